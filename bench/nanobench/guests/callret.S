# call/ret: a near CALL to a routine that counts and RETs, at CPL 0: a
# direct transfer out and an indirect one (the return address, from the
# stack) back, which a translator must look up at run time.
        .include "nano.inc"

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "call/ret"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        ret

bench_check:
        PRINTLN "check ok"
        ret

callee:
        incl    %esi
        ret

        .macro OP
        call    callee
        .endm
        NANO_LOOPS
