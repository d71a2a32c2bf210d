# ptemod: rewrite the PTE of a page in use, INVLPG it (SDM vol. 3,
# 4.10.4.1: a changed translation must be invalidated) and use the page:
# each iteration moves linear page PTE_PAGE between frames A and B and
# reads a word through it. The write hits a page table, which a shadow-
# paging VMM write-protects (its worst case); the read after INVLPG walks
# the new entry. The values read are summed in EBX for the check.
        .include "nano.inc"

        .set PTE_PAGE, TEST_BASE                # linear page, PT_TEST entry 0
        .set PAGE_PTE, PT_TEST + 0 * 4
        .set MARKER_A, 0x0a0a0001
        .set MARKER_B, 0x0b0b0002

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "ptemod"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        movl    $MARKER_A, FRAME_A
        movl    $MARKER_B, FRAME_B
        movl    $(FRAME_A | PTE_P | PTE_W), PAGE_PTE
        # Use the page once, so that the entry is cached (and, under a
        # shadow policy, its page table shadowed) before the loop.
        movl    PTE_PAGE, %eax
        cmpl    $MARKER_A, %eax
        je      1f
        PRINTLN "setup: the test page does not read frame A"
        EXIT    1
1:      ret

# After k operations the reads were B, A, B, ...: ceil(k/2) of B, floor(k/2) of A.
bench_check:
        movl    op_count, %ecx
        movl    %ecx, %eax
        shrl    $1, %eax
        imull   $MARKER_A, %eax, %edx
        incl    %ecx
        shrl    $1, %ecx
        imull   $MARKER_B, %ecx
        addl    %ecx, %edx
        cmpl    %edx, loop_ebx
        je      1f
        CHECK_FAIL "the values read do not follow the PTE's frames"
1:      PRINTLN "check ok"
        ret

        .macro OP
        xorl    $(FRAME_A ^ FRAME_B), PAGE_PTE
        invlpg  PTE_PAGE
        addl    PTE_PAGE, %ebx
        incl    %esi
        .endm
        NANO_LOOPS
