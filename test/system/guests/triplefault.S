# A triple fault (SDM vol. 3, 6.15, interrupt 8: "If another contributory
# or page fault exception occurs while attempting to call the double-fault
# handler, the processor enters shutdown mode"). With an empty IDT, UD2's
# #UD cannot be delivered (#GP), nor can that #GP (#DF), nor the #DF: the
# processor shuts down, which a PC turns into a reset, and QEMU with
# -no-reboot and wasmvisor into the end of the run. Nothing after UD2 runs.
        .include "lib.inc"

        .text
        .globl  main
main:
        PRINTLN "loading an IDT with limit 0, then UD2"
        lidt    empty_idt
        ud2
        PRINTLN "still running after a triple fault"
        ret

        .data
        .align 4
        .word   0
empty_idt:
        .word   0
        .long   0
