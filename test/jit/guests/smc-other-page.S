# SMC test (b): code on one page rewrites code on another page, which then
# runs. The far page also holds a function that is never written, so the
# sub-page policy can keep its translation where the page policy drops it.
# Last, an unaligned dword store straddles two pages: its high half lands
# on the first bytes of a code page.
#
#   RESULTS+0  fold of far_imm(i) = 5i          (new imm32)
#   RESULTS+4  fold of far_op(i)  = 7 + i or 7 - i (opcode ADD or SUB)
#   RESULTS+8  fold of far_stable(i) = 11i      (never written)
#   RESULTS+12 fold of straddle(i) = 0xdeadbe00 + i (low imm byte written by the straddling store)
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .set RESULTS, 0x70000
        .set N, 64

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        xorl    %esi, %esi
        xorl    %edi, %edi
        xorl    %ebp, %ebp
        movl    $1, %ecx
1:
        # far_imm's immediate becomes 5i.
        leal    (%ecx,%ecx,4), %eax
        movl    %eax, far_imm_value
        call    far_imm
        FOLD    %eax

        # far_op's opcode becomes ADD (even i) or SUB (odd i): 01 c8 / 29 c8.
        xchgl   %esi, %edi
        movl    %ecx, %edx
        andl    $1, %edx
        movb    add_or_sub(%edx), %dl
        movb    %dl, far_op_opcode
        call    far_op
        FOLD    %eax

        xchgl   %esi, %ebp
        call    far_stable
        FOLD    %eax
        xchgl   %esi, %ebp
        xchgl   %esi, %edi

        incl    %ecx
        cmpl    $N+1, %ecx
        jne     1b
        movl    %esi, RESULTS
        movl    %edi, RESULTS+4
        movl    %ebp, RESULTS+8

        # Bytes straddle-2 .. straddle+1 get 90 90 b8 i: the opcode stays, the imm32's low byte becomes i.
        xorl    %esi, %esi
        movl    $1, %ecx
2:      movl    %ecx, %eax
        shll    $24, %eax
        orl     $0x00b89090, %eax
        movl    %eax, straddle-2
        call    straddle
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     2b
        movl    %esi, RESULTS+12
        hlt

add_or_sub:
        .byte   0x01, 0x29

        .p2align 12
far_page:
far_imm:
        movl    $0xdeadbeef, %eax
        .set    far_imm_value, . - 4
        ret

far_op:
        movl    $7, %eax
far_op_opcode:
        addl    %ecx, %eax
        ret

        .p2align 6                      # away from the bytes written above
far_stable:
        imull   $11, %ecx, %eax
        ret

        .p2align 12
straddle:                               # starts a page; the two bytes before it end the far page
        movl    $0xdeadbeef, %eax
        ret
