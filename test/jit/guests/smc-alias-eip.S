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
        .set RESULTS, 0x70000
        .set N, 64
        .set PAGE_DIR, 0x60000
        .set PAGE_TABLE_LOW, 0x61000    # maps 0 - 4 MiB onto itself
        .set PAGE_TABLE_ALIAS, 0x62000  # maps ALIAS onward onto alias_area
        .set ALIAS, 0x400000
        .set PTE_PW, 3                  # present, writable
        .set CR0_PE_ET_PG, 0x80000011

        .macro FOLD value
        leal    (%esi,%esi,2), %esi
        addl    \value, %esi
        .endm

        .text
        .globl _start
_start:
        cli
        cld
        # Identity page table: entry k maps frame k.
        movl    $PAGE_TABLE_LOW, %edi
        movl    $PTE_PW, %eax
        movl    $1024, %ecx
1:      stosl
        addl    $4096, %eax
        loop    1b
        # Alias page table: entry k maps frame k of alias_area (one page).
        movl    $PAGE_TABLE_ALIAS, %edi
        movl    $alias_area + PTE_PW, %eax
        movl    $1, %ecx
2:      stosl
        addl    $4096, %eax
        loop    2b
        # Directory: 0 - 4 MiB and 4 - 8 MiB.
        movl    $PAGE_TABLE_LOW + PTE_PW, PAGE_DIR
        movl    $PAGE_TABLE_ALIAS + PTE_PW, PAGE_DIR+4
        movl    $PAGE_DIR, %eax
        movl    %eax, %cr3
        movl    $CR0_PE_ET_PG, %eax
        movl    %eax, %cr0
        jmp     3f
3:
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
