# SMC test (c): one physical frame of code mapped at two linear addresses.
# The guest builds its own page tables (identity map of the first 4 MiB,
# plus ALIAS = 0x400000 mapping the frames of alias_area) and turns paging
# on; writes through one mapping must reach code run through the other.
#
#   RESULTS+0  fold of code_a(i) = 9i, written through the alias, run through the identity map
#   RESULTS+4  fold of code_b(i) = 13i, written through the identity map, run through the alias
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
        # Alias page table: entry k maps frame k of alias_area (two pages).
        movl    $PAGE_TABLE_ALIAS, %edi
        movl    $alias_area + PTE_PW, %eax
        movl    $2, %ecx
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
