# Guest entry stub for the benchmark workloads: entered in flat 32-bit
# protected mode at 1 MiB (src/loaders/flat.ts), it calls the workload once
# and halts with its checksum in EAX, where the bench reads it.
# Linked first, so _start is at 0x100000.
        .code32
        .text
        .globl _start
_start:
        cli
        cld
        call    workload_main
        hlt
        jmp     _start + 4      # never resumed: CLI keeps it halted
