# SMC test (d): a device writes new code into guest RAM between two runs.
# The guest calls dma_fn N times and halts; the host then writes new bytes
# over dma_fn with PhysicalMemory.load (the loader and DMA path), wakes the
# guest, and it calls dma_fn N times more. The new code must run.
#
#   RESULTS+0  fold of dma_fn(i) before the write (as assembled: 0x1000 + i)
#   RESULTS+4  fold of dma_fn(i) after the write (the host's code)
#   RESULTS+8  physical address of dma_fn (where the host writes)
#   RESULTS+12 fold of dma_neighbour(i) = 17i over both runs (same page, never written)
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .set RESULTS, 0x70000
        .set N, 64

        .include "guest.inc"

        .macro CALL_N slot
        xorl    %esi, %esi
        movl    $1, %ecx
1:      call    dma_fn
        FOLD    %eax
        xchgl   %esi, %edi
        call    dma_neighbour
        FOLD    %eax
        xchgl   %esi, %edi
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     1b
        movl    %esi, RESULTS+\slot
        .endm

        .text
        .globl _start
_start:
        cli
        movl    $dma_fn, RESULTS+8
        xorl    %edi, %edi
        CALL_N  0
        hlt
        CALL_N  4
        movl    %edi, RESULTS+12
        hlt

        .p2align 12
dma_fn:                                 # the host overwrites these 8 bytes
        movl    $0x1000, %eax           # b8 imm32
        addl    %ecx, %eax              # 01 c8
        ret                             # c3
        nop

        .p2align 7
dma_neighbour:
        imull   $17, %ecx, %eax
        ret
