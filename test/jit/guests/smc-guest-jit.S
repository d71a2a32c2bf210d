# SMC test (e): a guest that generates code and calls it, as a JIT does.
# Each iteration writes a small function into a buffer and calls it; the
# functions alternate between two shapes of different lengths, so stale
# decodes would also get the instruction boundaries wrong:
#   even i:  mov $imm, %eax; ret                 (b8 imm32 c3)
#   odd i:   xor %eax, %eax; add $imm, %eax; ret (31 c0 05 imm32 c3)
# with imm = i*i + 7.
#
#   RESULTS+0  fold of the results, buffer on a page of its own
#   RESULTS+4  fold of the results, buffer on the generator's own page
# for i = 1..N, with fold(s, v) = 3s + v.
        .code32
        .set RESULTS, 0x70000
        .set N, 64

        .include "guest.inc"

        # Write function i (ECX) at \buf and call it; EAX = its result.
        .macro GENERATE_AND_CALL buf
        movl    %ecx, %eax
        imull   %ecx, %eax
        addl    $7, %eax
        testl   $1, %ecx
        jnz     11f
        movb    $0xb8, \buf
        movl    %eax, \buf+1
        movb    $0xc3, \buf+5
        jmp     12f
11:     movw    $0xc031, \buf
        movb    $0x05, \buf+2
        movl    %eax, \buf+3
        movb    $0xc3, \buf+7
12:     call    \buf
        .endm

        .text
        .globl _start
_start:
        cli
        xorl    %esi, %esi
        movl    $1, %ecx
1:      GENERATE_AND_CALL far_buffer
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     1b
        movl    %esi, RESULTS

        xorl    %esi, %esi
        movl    $1, %ecx
2:      GENERATE_AND_CALL near_buffer
        FOLD    %eax
        incl    %ecx
        cmpl    $N+1, %ecx
        jne     2b
        movl    %esi, RESULTS+4
        hlt

near_buffer:                            # on the generator's page
        .fill   16, 1, 0xcc

        .p2align 12
far_buffer:
        .fill   16, 1, 0xcc
