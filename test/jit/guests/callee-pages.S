# Callee pages (JitStrategy.calleePages): a loop that calls three functions,
# each alone on its own 4 KiB page, and one of them calls a fourth on yet
# another page; one callee has a loop of its own. With callee pages the
# caller's region takes them all in, so the calls and returns stay inside
# translated code.
#
#   RESULTS+0  fold over i = 1..N of f1(i) + f2(i) + f3(i), where
#              f1(i) = 3i, f2(i) = 2 * (i + 1) (f2 calls g(i) = i + 1),
#              f3(i) = i(i + 1) / 2 (a loop adding 1..i)
        .code32
        .set RESULTS, 0x70000
        .set N, 400

        .include "guest.inc"

        .text
        .globl _start
_start:
        cli
        xorl    %esi, %esi
        movl    $1, %ecx
1:      call    f1
        movl    %eax, %ebx
        call    f2
        addl    %eax, %ebx
        call    f3
        addl    %ebx, %eax
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     1b
        movl    %esi, RESULTS
        hlt

        .p2align 12
f1:     leal    (%ecx,%ecx,2), %eax
        ret

        .p2align 12
f2:     call    g
        addl    %eax, %eax
        ret

        .p2align 12
f3:     xorl    %eax, %eax
        movl    %ecx, %edx
2:      addl    %edx, %eax
        decl    %edx
        jnz     2b
        ret

        .p2align 12
g:      leal    1(%ecx), %eax
        ret
