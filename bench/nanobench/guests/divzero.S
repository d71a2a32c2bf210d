# divzero: DIV by zero raises #DE, a fault (SDM vol. 3, 6.15, interrupt
# 0): the saved EIP is the DIV's. The guest's handler checks that, steps
# the saved EIP over the 2-byte `divl %ecx` (F7 F1) and IRETs.
        .include "nano.inc"

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "divzero"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        IDTGATE 0, $de_handler, KCODE, GATE_INT
        ret

de_handler:
        cmpl    $div_insn, (%esp)
        jne     1f
        addl    $2, (%esp)
        incl    op_count
        iretl
1:      incl    wrong_eip               # skip it all the same: the check reports it
        addl    $2, (%esp)
        iretl

bench_check:
        cmpl    $0, wrong_eip
        je      1f
        CHECK_FAIL "#DE with a saved EIP other than the DIV's"
1:      PRINTLN "check ok"
        ret

        .bss                            # not beside code: see nano.S
wrong_eip:      .long 0

        .macro OP
div_insn:
        divl    %ecx                    # ECX is 0 throughout
        .endm
        NANO_LOOPS
