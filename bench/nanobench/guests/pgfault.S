# pgfault: a read of a not-present page raises #PF (SDM vol. 3, 4.7:
# error code 0 for a supervisor read of a not-present page, CR2 = the
# address); the handler maps the page (sets P in its PTE) and IRETs, and
# the read is retried and succeeds. Then the page is unmapped again
# (P cleared, INVLPG: SDM vol. 3, 4.10.4.1) for the next iteration. A
# not-present translation is never cached (4.10.2.3), so mapping needs no
# INVLPG. Each read's value is summed in EBX, so the check sees that
# every retry read the page's frame.
        .include "nano.inc"

        .set PF_PAGE, TEST_BASE + 0x1000        # linear page, PT_TEST entry 1
        .set PF_PTE, PT_TEST + 1 * 4
        .set PF_MARKER, 0x50f00d01

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "pgfault"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        movl    $PF_MARKER, FRAME_C
        movl    $(FRAME_C | PTE_W), PF_PTE      # not present
        IDTGATE 14, $pf_handler, KCODE, GATE_INT
        ret

pf_handler:
        pushl   %eax
        movl    %cr2, %eax
        cmpl    $PF_PAGE, %eax
        jne     1f
        cmpl    $0, 4(%esp)                     # the error code
        jne     1f
        orl     $PTE_P, PF_PTE
        incl    op_count
        popl    %eax
        addl    $4, %esp
        iretl
1:      PRINT   "unexpected #PF("
        HEX16   4(%esp)
        PRINT   ") cr2="
        call    puthex32
        NEWLINE
        EXIT    1

bench_check:
        movl    op_count, %eax
        imull   $PF_MARKER, %eax
        cmpl    %eax, loop_ebx
        je      1f
        CHECK_FAIL "the sum of the values read is not count x marker"
1:      PRINTLN "check ok"
        ret

        .macro OP
        addl    PF_PAGE, %ebx
        andl    $~PTE_P, PF_PTE
        invlpg  PF_PAGE
        .endm
        NANO_LOOPS
