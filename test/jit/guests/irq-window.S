# An interrupt pending while IF = 0 is taken exactly where IF becomes 1:
# after the instruction that follows STI (blocking by STI), and right
# after POPF. Each round waits until the timer's IRQ0 is pending (reading
# the 8259A's IRR), runs a loop with IF = 0 (the interrupt pending all
# the while: the vCPU runs it as translated code, test/jit/irq-window.test.ts),
# then sets IF. The handler compares the EIP it interrupted with the one
# expected; the rounds run often enough for STI and POPF to be compiled.
        .include "../../system/guests/lib.inc"

        .set ROUNDS, 40
        .set SPIN, 300
        .set PIT_COUNT, 20

        .text
        .globl  main
main:
        IDTGATE 0x20, $timer_handler, KCODE, GATE_INT
        PIC_INIT 0xfe
        PIT_RATE PIT_COUNT
        movl    $ROUNDS, %ecx
1:      call    wait_pending
        call    spin
        movl    $after_nop, expect
        sti
        nop
after_nop:
        cli
        call    wait_pending
        call    spin
        movl    $after_popf, expect
        pushl   $0x202
        popfl
after_popf:
        cli
        loop    1b
        movb    $0xff, %al
        outb    %al, $0x21
        PRINT   "ticks "
        HEX32   ticks
        PRINT   " wrong "
        HEX32   wrong
        NEWLINE
        ret

wait_pending:
        movb    $0x0a, %al              # OCW3: read the IRR
        outb    %al, $0x20
2:      inb     $0x20, %al
        testb   $1, %al
        jz      2b
        ret

spin:   pushl   %ecx
        movl    $SPIN, %ecx
3:      addl    %ecx, %edx
        xorl    $5, %edx
        loop    3b
        popl    %ecx
        ret

timer_handler:
        pushl   %eax
        movl    4(%esp), %eax
        cmpl    expect, %eax
        je      4f
        incl    wrong
4:      incl    ticks
        movb    $0x20, %al              # EOI
        outb    %al, $0x20
        popl    %eax
        iretl

        .data
ticks:  .long 0
wrong:  .long 0
expect: .long 0
