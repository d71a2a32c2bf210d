# syscall: a ring-3 program makes system calls through INT 80h (a DPL 3
# trap gate, as i386 Linux sets it up) to a ring-0 handler that counts the
# call and returns with IRET. Each one is a privilege-changing interrupt
# through the IDT (stack switch from the TSS's ESP0/SS0, five-word frame)
# and an IRET back to CPL 3 (SDM vol. 3, 6.12.1; vol. 2, IRET).
        .include "nano.inc"

        .set SYSCALL_VECTOR, 0x80

        .section .rodata
        .globl  bench_name
bench_name:
        .asciz  "syscall"

        .text
        .globl  bench_setup, bench_check
bench_setup:
        IDTGATE SYSCALL_VECTOR, $syscall_entry, KCODE, GATE_TRAP3
        ret

# The system call: DS is still the caller's (flat UDATA), so the count
# goes through SS, which the gate loaded from SS0.
syscall_entry:
        incl    %ss:op_count
        iretl

bench_check:
        PRINTLN "check ok"
        ret

        .macro OP
        int     $SYSCALL_VECTOR
        .endm
        NANO_LOOPS ring=3
