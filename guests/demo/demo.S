# The bundled demo guest: a bare-metal 32-bit program entered in flat
# protected mode at 1 MiB (see src/loaders/flat.ts). It asks CPUID who it
# runs on, sieves the first 20 primes, computes 12! and the CRC-32 of a
# string, prints everything on COM1 with a polled 16550 driver, and stops
# with CLI; HLT (a clean halt: exit status 0).
#
# Build: npm run guests  (as --32; ld -m elf_i386 -Ttext 0x100000 --oformat binary)

        .code32
        .set COM1, 0x3f8
        .set LSR_THR_EMPTY, 0x20
        .set SIEVE_LIMIT, 100
        .set PRIME_COUNT, 20

        .text
        .globl _start
_start:
        cli
        movl    $0x90000, %esp
        cld
        call    serial_init

        movl    $msg_banner, %esi
        call    puts

        # CPUID leaf 0: vendor string in EBX, EDX, ECX.
        xorl    %eax, %eax
        cpuid
        movl    %ebx, vendor
        movl    %edx, vendor+4
        movl    %ecx, vendor+8
        movl    $msg_cpu, %esi
        call    puts
        movl    $vendor, %esi
        call    puts
        call    newline

        # Primes.
        call    sieve
        movl    $msg_primes, %esi
        call    puts
        xorl    %ebx, %ebx              # candidate
        xorl    %edi, %edi              # primes printed
1:      incl    %ebx
        cmpl    $SIEVE_LIMIT, %ebx
        jae     2f
        cmpb    $0, composite(%ebx)
        jne     1b
        movb    $' ', %al
        call    putc
        movl    %ebx, %eax
        call    print_dec
        incl    %edi
        cmpl    $PRIME_COUNT, %edi
        jb      1b
2:      call    newline

        # 12! with MUL.
        movl    $msg_fact, %esi
        call    puts
        movl    $1, %eax
        movl    $1, %ecx
3:      mull    %ecx
        incl    %ecx
        cmpl    $12, %ecx
        jbe     3b
        call    print_dec
        call    newline

        # CRC-32 of the pangram.
        movl    $msg_crc, %esi
        call    puts
        movl    $pangram, %esi
        call    puts
        movl    $msg_crc_end, %esi
        call    puts
        movl    $pangram, %esi
        movl    $pangram_len, %ecx
        call    crc32
        call    print_hex
        call    newline

        movl    $msg_bye, %esi
        call    puts
        cli
        hlt
        jmp     .-1                     # never resumed: nothing can interrupt

# --- the polled UART driver ------------------------------------------------

# 115200 baud (divisor 1), 8N1, FIFOs on, DTR/RTS/OUT2 set.
serial_init:
        movw    $COM1+1, %dx
        xorb    %al, %al
        outb    %al, %dx                # IER: no interrupts
        movw    $COM1+3, %dx
        movb    $0x80, %al
        outb    %al, %dx                # LCR: DLAB
        movw    $COM1+0, %dx
        movb    $1, %al
        outb    %al, %dx                # DLL
        movw    $COM1+1, %dx
        xorb    %al, %al
        outb    %al, %dx                # DLM
        movw    $COM1+3, %dx
        movb    $0x03, %al
        outb    %al, %dx                # LCR: 8N1
        movw    $COM1+2, %dx
        movb    $0xc7, %al
        outb    %al, %dx                # FCR: enable and clear FIFOs
        movw    $COM1+4, %dx
        movb    $0x0b, %al
        outb    %al, %dx                # MCR
        ret

# putc: AL = byte. Waits for THR empty. Preserves all but flags.
putc:
        pushl   %edx
        pushl   %eax
        movw    $COM1+5, %dx
1:      inb     %dx, %al
        testb   $LSR_THR_EMPTY, %al
        jz      1b
        popl    %eax
        movw    $COM1, %dx
        outb    %al, %dx
        popl    %edx
        ret

newline:
        pushl   %eax
        movb    $'\n', %al
        call    putc
        popl    %eax
        ret

# puts: ESI = NUL-terminated string.
puts:
        pushl   %eax
        pushl   %esi
1:      lodsb
        testb   %al, %al
        jz      2f
        call    putc
        jmp     1b
2:      popl    %esi
        popl    %eax
        ret

# print_dec: EAX unsigned, in decimal.
print_dec:
        pushal
        movl    $10, %ebx
        xorl    %ecx, %ecx
1:      xorl    %edx, %edx
        divl    %ebx
        pushl   %edx                    # digits come out last first
        incl    %ecx
        testl   %eax, %eax
        jnz     1b
2:      popl    %eax
        addb    $'0', %al
        call    putc
        loop    2b
        popal
        ret

# print_hex: EAX as eight hex digits.
print_hex:
        pushal
        movl    %eax, %edx
        movl    $8, %ecx
1:      roll    $4, %edx
        movl    %edx, %eax
        andl    $0xf, %eax
        movb    hex_digits(%eax), %al
        call    putc
        loop    1b
        popal
        ret

# --- the computations ------------------------------------------------------

# sieve: marks composite[n] = 1 for composite n < SIEVE_LIMIT (0 and 1 too).
sieve:
        pushal
        movl    $composite, %edi
        movl    $SIEVE_LIMIT, %ecx
        xorb    %al, %al
        rep stosb
        movb    $1, composite
        movb    $1, composite+1
        movl    $2, %ebx                # p
1:      movl    %ebx, %eax
        imull   %ebx, %eax              # p*p
        cmpl    $SIEVE_LIMIT, %eax
        jae     3f
        cmpb    $0, composite(%ebx)
        jne     4f
2:      movb    $1, composite(%eax)     # strike p*p, p*p+p, ...
        addl    %ebx, %eax
        cmpl    $SIEVE_LIMIT, %eax
        jb      2b
4:      incl    %ebx
        jmp     1b
3:      popal
        ret

# crc32: ESI = buffer, ECX = length; returns the CRC-32 (IEEE 802.3,
# reflected polynomial 0xEDB88320) in EAX. Bitwise, no table.
crc32:
        pushl   %ebx
        pushl   %ecx
        pushl   %edx
        pushl   %esi
        movl    $0xffffffff, %eax
        jecxz   3f
1:      movzbl  (%esi), %ebx
        incl    %esi
        xorl    %ebx, %eax
        movl    $8, %edx
2:      shrl    $1, %eax
        jnc     5f
        xorl    $0xedb88320, %eax
5:      decl    %edx
        jnz     2b
        loop    1b
3:      notl    %eax
        popl    %esi
        popl    %edx
        popl    %ecx
        popl    %ebx
        ret

        .data
msg_banner:  .asciz "wasmvisor demo guest: hello from 32-bit protected mode\n"
msg_cpu:     .asciz "cpu vendor: "
msg_primes:  .asciz "first 20 primes:"
msg_fact:    .asciz "12! = "
msg_crc:     .asciz "crc32(\""
msg_crc_end: .asciz "\") = "
msg_bye:     .asciz "bye\n"
pangram:     .ascii "The quick brown fox jumps over the lazy dog"
        .set pangram_len, . - pangram
        .byte 0
hex_digits:  .ascii "0123456789abcdef"
vendor:      .space 13

        .bss
composite:   .space SIEVE_LIMIT
