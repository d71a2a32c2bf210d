# Callee pages (JitStrategy.calleePages) and a remapped callee: a loop
# calls the function at ALIAS, on a page of its own, whose frame is
# callee_one (returns 1); halfway through, the guest maps ALIAS onto the
# frame of callee_two (returns 2) instead and flushes the page with
# INVLPG. A region of the caller that took in callee_one's page must see
# the new mapping: it checks it at run time.
#
#   RESULTS+0  sum over i = 1..N of the callee's EAX: N/2 x 1 + N/2 x 2
#   RESULTS+4  fold over i = 1..N of the callee's EAX
        .code32
        .include "alias-paging.inc"

        .set HALF, N / 2

        ALIAS_GUEST_START 2
        xorl    %esi, %esi
        xorl    %ebx, %ebx
        movl    $1, %ecx
1:      call    ALIAS
        addl    %eax, %ebx
        FOLD    %eax
        cmpl    $HALF, %ecx
        jne     2f
        # ALIAS now maps callee_two's frame.
        movl    $alias_area + 4096 + PTE_PW, PAGE_TABLE_ALIAS
        invlpg  ALIAS
2:      incl    %ecx
        cmpl    $N+1, %ecx
        jne     1b
        movl    %ebx, RESULTS
        movl    %esi, RESULTS+4
        hlt

        .p2align 12
alias_area:
callee_one:
        movl    $1, %eax
        ret

        .p2align 12
callee_two:
        movl    $2, %eax
        ret
