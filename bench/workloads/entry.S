# Guest entry stub for the benchmark workloads: entered in flat 32-bit
# protected mode at 1 MiB (src/loaders/flat.ts), it calls the workload
# `repeat_count` times and halts with the fold of the per-call checksums
# in EAX, where the bench reads it. The count is a word the bench patches
# into the image (bench/workloads.ts finds it by the magic before it); as
# built it is 1, so the image also runs stand-alone. Repeating the call
# lets a timed run last long enough for the JIT to reach steady state.
# Linked first, so _start is at 0x100000.
        .code32
        .text
        .globl _start
_start:
        cli
        cld
        movl    repeat_count, %edi      # calls left (EDI and ESI survive the call: cdecl)
        testl   %edi, %edi
        jnz     1f
        incl    %edi                    # 0 would mean 2^32 calls: make it one
1:      xorl    %esi, %esi              # fold = 0
2:      call    workload_main
        roll    $5, %esi                # fold = rol(fold, 5) ^ checksum
        xorl    %eax, %esi              # (mirrored by foldChecksums in bench/workloads.ts)
        decl    %edi
        jnz     2b
        movl    %esi, %eax
3:      hlt
        jmp     3b                      # never resumed: CLI keeps it halted

        .balign 4
        .ascii  "WVREPEAT"              # REPEAT_MAGIC in bench/workloads.ts
repeat_count:
        .long   1
