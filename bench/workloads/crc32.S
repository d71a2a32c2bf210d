# crc32: the bitwise (table-less) CRC-32 of IEEE 802.3 (reflected
# polynomial 0xEDB88320) over a buffer of pseudo-random bytes that the
# workload fills first with a linear congruential generator.
# Exercises shifts, XOR, conditional branches on CF, MOVZX, LOOP.
        .code32
        .set LENGTH, 49152

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi

        # Fill: x = x * 1103515245 + 12345, one byte (bits 16..23) per step.
        movl    $buffer, %edi
        movl    $LENGTH, %ecx
        movl    $0x2545f491, %eax
1:      imull   $1103515245, %eax, %eax
        addl    $12345, %eax
        movl    %eax, %edx
        shrl    $16, %edx
        movb    %dl, (%edi)
        incl    %edi
        decl    %ecx
        jnz     1b

        movl    $buffer, %esi
        movl    $LENGTH, %ecx
        movl    $0xffffffff, %eax
2:      movzbl  (%esi), %ebx
        incl    %esi
        xorl    %ebx, %eax
        movl    $8, %edx
3:      shrl    $1, %eax
        jnc     4f
        xorl    $0xedb88320, %eax
4:      decl    %edx
        jnz     3b
        loop    2b
        notl    %eax

        popl    %edi
        popl    %esi
        popl    %ebx
        ret
        .size workload_main, . - workload_main

        .bss
        # Written data starts on a page of its own, as in the native ELF build
        # (ld -N packs .bss right after .text): a write must never touch a page
        # holding translated code, or the bench measures an SMC policy instead.
        .balign 4096
buffer: .space LENGTH
