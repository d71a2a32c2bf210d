# The nanobenchmark driver (linked after test/system/guests/lib.S, whose
# _start calls `main` and ends the run through isa-debug-exit with status
# 0 when it returns). It reads the loop count and the mode from the
# multiboot command line ("n=DECIMAL", and "empty" for the baseline
# loop), turns on 32-bit paging, lets the workload set up, runs the loop,
# and reports on the debug console:
#
#   nanobench NAME
#   n XXXXXXXX op B          (B: 1 when the loop runs the operation, 0 for
#                             the empty loop; equal lengths, so both modes make
#                             the same debug-console exits)
#   info ...                (any lines bench_setup prints)
#   ops XXXXXXXX            (operations the workload counted)
#   check ok                (or "check FAILED: ...")
#
# Counts are in hex, as lib.S prints them.
        .include "nano.inc"

        .text
        .globl  main
main:
        call    parse_cmdline
        PRINT   "nanobench "
        pushl   %esi
        movl    $bench_name, %esi
        call    puts
        popl    %esi
        NEWLINE
        PRINT   "n "
        HEX32   iterations
        cmpl    $0, empty_mode
        jne     1f
        PRINTLN " op 1"
        jmp     2f
1:      PRINTLN " op 0"
2:      call    paging_on
        call    bench_setup
        movl    iterations, %edi
        movl    empty_mode, %eax
        xorl    %ebx, %ebx
        xorl    %ecx, %ecx
        xorl    %edx, %edx
        xorl    %esi, %esi
        testl   %edi, %edi
        jz      3f
        call    nano_run
3:      addl    %esi, op_count
        movl    %ebx, loop_ebx
        PRINT   "ops "
        HEX32   op_count
        NEWLINE
        call    bench_check
        ret

# parse_cmdline: the multiboot command line (information flag 2, pointer
# at +16) is split at spaces; "n=DECIMAL" sets iterations and "empty"
# sets empty_mode. Other words (the kernel's file name first) are skipped.
parse_cmdline:
        pushal
        movl    mb_info, %ebx
        testl   $4, (%ebx)
        jz      9f
        movl    16(%ebx), %esi
1:      movb    (%esi), %al             # skip spaces
        testb   %al, %al
        jz      9f
        cmpb    $' ', %al
        jne     2f
        incl    %esi
        jmp     1b
2:      cmpb    $'n', (%esi)
        jne     4f
        cmpb    $'=', 1(%esi)
        jne     4f
        addl    $2, %esi
        xorl    %ecx, %ecx
3:      movzbl  (%esi), %eax
        subl    $'0', %eax
        cmpl    $9, %eax
        ja      5f
        imull   $10, %ecx
        addl    %eax, %ecx
        incl    %esi
        jmp     3b
5:      movl    %ecx, iterations
        jmp     7f
4:      movl    $word_empty, %edi       # "empty", as a whole word
        movl    %esi, %edx
6:      movb    (%edi), %al
        testb   %al, %al
        jz      8f
        cmpb    %al, (%edx)
        jne     7f
        incl    %edi
        incl    %edx
        jmp     6b
8:      movb    (%edx), %al
        testb   %al, %al
        jz      10f
        cmpb    $' ', %al
        jne     7f
10:     movl    $1, empty_mode
7:      movb    (%esi), %al             # to the end of the word
        testb   %al, %al
        jz      9f
        cmpb    $' ', %al
        je      1b
        incl    %esi
        jmp     7b
9:      popal
        ret

# paging_on: 32-bit paging with 4 MiB pages enabled (CR4.PSE). Linear 0-4
# MiB is identity-mapped through PT_LOW (4 KiB pages, user and writable,
# so that ring-3 loops can run the image's code on lib.S's user stack);
# 4-8 MiB goes through PT_TEST, empty for the workloads to fill; FEC00000h
# is a 4 MiB supervisor page with caching off (PCD, PWT) for the local
# and I/O APIC registers.
paging_on:
        pushal
        movl    $PAGE_DIR, %edi         # clear the directory and both tables
        movl    $3 * 1024, %ecx
        xorl    %eax, %eax
        rep stosl
        movl    $PT_LOW, %edi
        movl    $(PTE_P | PTE_W | PTE_U), %eax
        movl    $1024, %ecx
1:      stosl
        addl    $0x1000, %eax
        loop    1b
        movl    $(PT_LOW | PTE_P | PTE_W | PTE_U), PAGE_DIR + 0 * 4
        movl    $(PT_TEST | PTE_P | PTE_W | PTE_U), PAGE_DIR + 1 * 4
        movl    $(0xfec00000 | PDE_PS | PTE_PCD | PTE_PWT | PTE_W | PTE_P), PAGE_DIR + (0xfec00000 >> 22) * 4
        movl    %cr4, %eax
        orl     $CR4_PSE, %eax
        movl    %eax, %cr4
        movl    $PAGE_DIR, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $CR0_PG, %eax
        movl    %eax, %cr0
        popal
        ret

        .section .rodata
word_empty:
        .asciz  "empty"

        .data
        .align 4
        .globl  iterations, empty_mode
iterations:     .long 1000
empty_mode:     .long 0

# What the loop writes lives in .bss, which link.ld starts on a page of its
# own: a write to a page holding code is self-modifying code to a
# translator (and to a CPU's pipeline), a cost no real kernel pays here.
        .bss
        .align 4096
        .globl  op_count, loop_ebx
op_count:       .long 0
loop_ebx:       .long 0
