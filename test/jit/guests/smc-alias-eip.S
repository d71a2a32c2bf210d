# SMC test (c2): one physical frame of code run at two linear addresses
# (the same page tables as smc-alias.S: an identity map of the first 4 MiB,
# plus ALIAS = 0x400000 mapping the frame of alias_area). Code that reads
# its own EIP must see the address it was entered at, through either
# mapping: a translation of the frame made for one linear address cannot
# serve the other.
#
#   RESULTS+0  fold of where_am_i() called through the identity map (its own EIP)
#   RESULTS+4  fold of where_am_i() called through the alias (its own EIP there)
#   RESULTS+8  where_am_i's identity address (for the test)
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .include "alias-paging.inc"

        ALIAS_GUEST_START 1
        xorl    %esi, %esi
        xorl    %edi, %edi
        movl    $1, %ecx
        movl    $where_am_i - alias_area + ALIAS, %ebx
4:      call    where_am_i
        FOLD    %eax
        xchgl   %esi, %edi
        call    *%ebx
        FOLD    %eax
        xchgl   %esi, %edi
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     4b
        movl    %esi, RESULTS
        movl    %edi, RESULTS+4
        movl    $where_am_i, RESULTS+8
        hlt

        .p2align 12
alias_area:
# EAX = the linear address this function was entered at.
where_am_i:
        call    5f
5:      popl    %eax
        subl    $5b - where_am_i, %eax
        ret
