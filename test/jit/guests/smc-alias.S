# SMC test (c): one physical frame of code mapped at two linear addresses.
# The guest builds its own page tables (identity map of the first 4 MiB,
# plus ALIAS = 0x400000 mapping the frames of alias_area) and turns paging
# on; writes through one mapping must reach code run through the other.
#
#   RESULTS+0  fold of code_a(i) = 9i, written through the alias, run through the identity map
#   RESULTS+4  fold of code_b(i) = 13i, written through the identity map, run through the alias
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .include "alias-paging.inc"

        ALIAS_GUEST_START 2
        # Written through the alias, run through the identity map.
        xorl    %esi, %esi
        movl    $1, %ecx
4:      imull   $9, %ecx, %eax
        movl    %eax, code_a_value - alias_area + ALIAS
        call    code_a
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     4b
        movl    %esi, RESULTS

        # Written through the identity map, run through the alias.
        xorl    %esi, %esi
        movl    $1, %ecx
        movl    $code_b - alias_area + ALIAS, %ebx
5:      imull   $13, %ecx, %eax
        movl    %eax, code_b_value
        call    *%ebx
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     5b
        movl    %esi, RESULTS+4
        hlt

        .p2align 12
alias_area:
code_a:
        movl    $0xdeadbeef, %eax
        .set    code_a_value, . - 4
        ret

        .p2align 12
code_b:
        movl    $0xdeadbeef, %eax
        .set    code_b_value, . - 4
        ret
