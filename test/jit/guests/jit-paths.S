# JIT paths test: loops that take the translated code's less common paths,
# each leaving a result the test computes independently.
#
#   RESULTS+0   sum of dwords read at every offset 0..LEN-4 of a buffer just
#               written byte by byte (first touches miss the TLB inside the
#               loop; dwords straddle page ends)
#   RESULTS+4   fold of 400 bytes after REP MOVSB copied a buffer onto itself
#               one byte up (the forward overlap repeats the first byte)
#   RESULTS+8   fold of the dwords REP STOSD/STOSW/STOSB left across pages
#   RESULTS+12  fold of a REP MOVSD copy made backwards (DF = 1)
#   RESULTS+16  fold after REP MOVSD copied dwords one element up (overlap)
#   RESULTS+20  CF kept by INC/DEC across blocks of a loop (ADC collects it)
#   RESULTS+24  fib(18) by recursive calls (returns within one region)
#   RESULTS+28  an x87 loop: the integer part of sum of 1/(k+1), k < 20, times 1000
#   RESULTS+32  a loop of LOOP with a memory operand per iteration (count 5000)
# with fold(s, v) = 3s + v.
        .code32
        .set RESULTS, 0x70000
        .set BUF, 0x200ffd              # three pages from 3 bytes before a page end
        .set LEN, 12300
        .set OVER, 0x210000
        .set STOS, 0x220ffe
        .set BACK_SRC, 0x230000
        .set BACK_DST, 0x240000
        .set ELEMS, 3000

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        # 1. Bytes i * 7 + 3, then the dword at every offset, summed.
        movl    $BUF, %edi
        xorl    %ecx, %ecx
1:      leal    3(%ecx,%ecx,2), %eax
        leal    (%eax,%ecx,4), %eax
        movb    %al, (%edi,%ecx)
        incl    %ecx
        cmpl    $LEN, %ecx
        jb      1b
        xorl    %eax, %eax
        xorl    %ecx, %ecx
2:      addl    (%edi,%ecx), %eax
        incl    %ecx
        cmpl    $LEN-3, %ecx
        jb      2b
        movl    %eax, RESULTS

        # 2. 64 bytes k + 1 at OVER, then REP MOVSB OVER -> OVER+1, 300 bytes; fold 400 bytes.
        movl    $OVER, %edi
        movl    $1, %eax
3:      movb    %al, -1(%edi,%eax)
        incl    %eax
        cmpl    $65, %eax
        jb      3b
        cld
        movl    $OVER, %esi
        leal    1(%esi), %edi
        movl    $300, %ecx
        rep movsb
        xorl    %esi, %esi
        xorl    %ecx, %ecx
4:      movzbl  OVER(%ecx), %eax
        FOLD    %eax
        incl    %ecx
        cmpl    $400, %ecx
        jb      4b
        movl    %esi, RESULTS+4

        # 3. REP STOSD 0x11223344 x 1500, STOSW 0x5555 x 700, STOSB 0x66 x 999, from STOS on.
        movl    $STOS, %edi
        movl    $0x11223344, %eax
        movl    $1500, %ecx
        rep stosl
        movl    $0x5555, %eax
        movl    $700, %ecx
        rep stosw
        movb    $0x66, %al
        movl    $999, %ecx
        rep stosb
        xorl    %esi, %esi
        movl    $STOS, %edi
        xorl    %ecx, %ecx
5:      FOLD    "(%edi,%ecx,4)"
        incl    %ecx
        cmpl    $(6000 + 1400 + 999) / 4, %ecx
        jb      5b
        movl    %esi, RESULTS+8

        # 4. BACK_SRC[k] = k * 0x9e3779b9, k < ELEMS; REP MOVSD backwards into BACK_DST.
        xorl    %ecx, %ecx
        xorl    %eax, %eax
6:      movl    %eax, BACK_SRC(,%ecx,4)
        addl    $0x9e3779b9, %eax
        incl    %ecx
        cmpl    $ELEMS, %ecx
        jb      6b
        std
        movl    $BACK_SRC + 4 * (ELEMS - 1), %esi
        movl    $BACK_DST + 4 * (ELEMS - 1), %edi
        movl    $ELEMS, %ecx
        rep movsl
        cld
        xorl    %esi, %esi
        xorl    %ecx, %ecx
7:      FOLD    "BACK_DST(,%ecx,4)"
        incl    %ecx
        cmpl    $ELEMS, %ecx
        jb      7b
        movl    %esi, RESULTS+12

        # 5. REP MOVSD from BACK_SRC to BACK_SRC + 4, ELEMS - 1 dwords: every dword becomes element 0.
        movl    $0x12345678, BACK_SRC
        movl    $BACK_SRC, %esi
        leal    4(%esi), %edi
        movl    $ELEMS - 1, %ecx
        rep movsl
        xorl    %esi, %esi
        xorl    %ecx, %ecx
8:      FOLD    "BACK_SRC(,%ecx,4)"
        incl    %ecx
        cmpl    $ELEMS, %ecx
        jb      8b
        movl    %esi, RESULTS+16

        # 6. CF set by SUB, kept by INC/DEC through several blocks, collected by ADC: the count of
        # iterations with ECX < 100. The branch tests PF from an INC, which leaves CF alone.
        xorl    %ebx, %ebx
        movl    $200, %ecx
        movl    $7, %edx
9:      movl    %ecx, %eax
        subl    $100, %eax              # CF = (ecx < 100)
        incl    %edx                    # keeps CF
        jp      10f
        decl    %edx
        incl    %edx                    # CF still from the SUB
        adcl    $0, %ebx
        jmp     11f
10:     incl    %edx
        adcl    $0, %ebx
11:     decl    %ecx
        jnz     9b
        movl    %ebx, RESULTS+20

        # 7. fib(18), recursively.
        movl    $18, %eax
        call    fib
        movl    %eax, RESULTS+24

        # 8. x87: s = sum 1/(k+1) for k < 20, then s * 1000 truncated (FISTTP is SSE3: use the rounding of FISTP on floor).
        fninit
        fldz
        movl    $1, %ecx
12:     movl    %ecx, scratch
        fld1
        fidivl  scratch
        faddp
        incl    %ecx
        cmpl    $21, %ecx
        jb      12b
        fimull  thousand
        fnstcw  scratch
        orw     $0x0c00, scratch        # round toward zero
        fldcw   scratch
        fistpl  RESULTS+28

        # 9. LOOP with a memory operand: sum of dwords of BACK_DST, 5000 iterations (wrapping at ELEMS).
        xorl    %eax, %eax
        xorl    %edx, %edx
        movl    $5000, %ecx
13:     addl    BACK_DST(,%edx,4), %eax
        incl    %edx
        cmpl    $ELEMS, %edx
        jb      14f
        xorl    %edx, %edx
14:     loop    13b
        movl    %eax, RESULTS+32
        hlt

# fib(EAX) -> EAX; clobbers EDX.
fib:
        cmpl    $2, %eax
        jb      1f
        pushl   %eax
        decl    %eax
        call    fib
        movl    %eax, %edx
        popl    %eax
        pushl   %edx
        subl    $2, %eax
        call    fib
        popl    %edx
        addl    %edx, %eax
1:      ret

        .p2align 2
thousand:
        .long   1000
scratch:
        .long   0
