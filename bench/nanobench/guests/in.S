# in: IN AL from port 80h (the POST diagnostic port, a device of the
# board: QEMU's ioport80, wasmvisor's Port80) at CPL 0. Every IN leaves
# translated code (an I/O-instruction exit, SDM vol. 3, 25.1.3 and
# 27.2.1 exit reason 30) and the VMM answers it from its device model.
        .include "nano.inc"

        .set POST_PORT, 0x80

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "in"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        ret

bench_check:
        PRINTLN "check ok"
        ret

        .macro OP
        inb     $POST_PORT, %al
        incl    %esi
        .endm
        NANO_LOOPS
