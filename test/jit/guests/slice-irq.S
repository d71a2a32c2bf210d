# Interrupts where time slices end: test/jit/slices.test.ts runs this guest
# in every tier; each must take every interrupt at the same instruction as
# the interpreter.
#
# 1. A device raises INTR from a port write in the middle of a hot loop
#    (the test's device on port 81h drives IRQ 5): the interrupt is taken
#    at the boundary right after the OUT, although no timer would end the
#    time slice for a guest millisecond.
# 2. The PIT's channel 0 as a rate generator: the handler records the loop
#    counter at each tick; a slice ends where the tick is due, so every
#    tier sees each tick after the same number of iterations.
        .include "../../system/guests/lib.inc"

        .set DEVICE, 0x81
        .set RAISE_AT, 3000
        .set PIT_COUNT, 100
        .set TICKS, 6

        .text
        .globl  main
main:
        IDTGATE 0x20, $timer_handler, KCODE, GATE_INT
        IDTGATE 0x25, $device_handler, KCODE, GATE_INT
        # Master 8259A: vectors 20h-27h; IRQ 5 unmasked (IRQ 0 later).
        PIC_INIT 0xdf

        # Part 1: the device's interrupt, raised at iteration RAISE_AT of a hot loop.
        xorl    %ebx, %ebx
        sti
1:      incl    %ebx
        cmpl    $RAISE_AT, %ebx
        jne     2f
        movb    $1, %al
        outb    %al, $DEVICE
raised:
2:      cmpl    $2 * RAISE_AT, %ebx
        jb      1b
        cli

        # Part 2: timer ticks counted against loop iterations.
        movb    $0xfe, %al
        outb    %al, $0x21
        PIT_RATE PIT_COUNT
        xorl    %ebx, %ebx
        sti
3:      incl    %ebx
        cmpl    $TICKS, ticks
        jb      3b
        cli
        movb    $0xff, %al
        outb    %al, $0x21

        PRINT   "device ebx "
        HEX32   device_ebx
        PRINT   " at raised "
        HEX32   device_at_raised
        NEWLINE
        PRINT   "ticks"
        .irp k, 0, 1, 2, 3, 4, 5
        PRINT   " "
        HEX32   tick_ebx+4*\k
        .endr
        NEWLINE
        ret

device_handler:
        pushl   %eax
        movl    %ebx, device_ebx
        cmpl    $raised, 4(%esp)
        jne     1f
        incl    device_at_raised
1:      xorb    %al, %al                # lower IRQ 5, then EOI
        outb    %al, $DEVICE
        movb    $0x20, %al
        outb    %al, $0x20
        popl    %eax
        iretl

timer_handler:
        pushl   %eax
        movl    ticks, %eax
        cmpl    $TICKS, %eax
        jae     1f
        movl    %ebx, tick_ebx(,%eax,4)
        incl    ticks
1:      movb    $0x20, %al              # EOI
        outb    %al, $0x20
        popl    %eax
        iretl

        .data
device_ebx:       .long 0
device_at_raised: .long 0
ticks:            .long 0
tick_ebx:         .fill TICKS, 4, 0
