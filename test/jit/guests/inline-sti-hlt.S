# `sti; hlt` with the timer's interrupt already pending: blocking by STI
# holds it back until HLT has run, so it wakes HLT and the handler sees the
# EIP after HLT; delivered between STI and HLT it would find HLT still to
# run, and the wake-up would be lost. The wait for the pending interrupt
# reads the 8259A's IRR (each read advances guest time), so that it turns
# up in the middle of translated code; test/jit/inline.test.ts runs it with
# time slices that end right after STI.
        .include "../../system/guests/lib.inc"

        .set LOOPS, 40
        .set PIT_COUNT, 60

        .text
        .globl  main
main:
        IDTGATE 0x20, $timer_handler, KCODE, GATE_INT
        # Master 8259A: vectors 20h-27h, only IRQ0; the PIT's channel 0 as a rate generator.
        PIC_INIT 0xfe
        PIT_RATE PIT_COUNT
        movl    $LOOPS, %ecx
1:      movb    $0x0a, %al              # OCW3: read the IRR
        outb    %al, $0x20
2:      incl    %edx                    # guest time passes before the read that finds IRQ0
        incl    %edx
        inb     $0x20, %al
        testb   $1, %al
        jz      2b
        sti
        hlt
after_hlt:
        cli
        loop    1b
        movb    $0xff, %al
        outb    %al, $0x21
        PRINT   "ticks "
        HEX32   ticks
        PRINT   " before hlt "
        HEX32   early
        NEWLINE
        ret

timer_handler:
        pushl   %eax
        cmpl    $after_hlt, 4(%esp)
        je      1f
        incl    early
1:      incl    ticks
        movb    $0x20, %al              # EOI
        outb    %al, $0x20
        popl    %eax
        iretl

        .data
ticks:  .long 0
early:  .long 0
