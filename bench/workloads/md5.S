# md5: the MD5 digest (RFC 1321) of LENGTH pseudo-random bytes, with the
# padding block; returns the four digest words XORed together. The rounds
# run as one loop over i = 0..63 with tables for K[i], the rotation s[i]
# and the message index g(i), so the code is small and branchy rather than
# unrolled. Exercises ROL by CL, PUSH/POP, table lookups, NOT/OR/AND/XOR.
# (K[i] = floor(|sin(i + 1)| * 2^32), from the RFC's definition.)
        .code32
        .set LENGTH, 49152

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        pushl   %ebp

        # Fill the message with an LCG, one byte per step.
        movl    $message, %edi
        movl    $LENGTH, %ecx
        movl    $0x12345678, %eax
1:      imull   $1664525, %eax, %eax
        addl    $1013904223, %eax
        movl    %eax, %edx
        shrl    $24, %edx
        movb    %dl, (%edi)
        incl    %edi
        loop    1b

        # Padding: 0x80, zeros, then the length in bits (little endian, 64 bits).
        movl    $message+LENGTH, %edi
        movl    $16, %ecx
        xorl    %eax, %eax
        rep stosl
        movb    $0x80, message+LENGTH
        movl    $LENGTH*8, message+LENGTH+56

        movl    $0x67452301, h0
        movl    $0xefcdab89, h1
        movl    $0x98badcfe, h2
        movl    $0x10325476, h3
        movl    $message, %esi
2:      call    md5_block
        addl    $64, %esi
        cmpl    $message+LENGTH+64, %esi
        jb      2b

        movl    h0, %eax
        xorl    h1, %eax
        xorl    h2, %eax
        xorl    h3, %eax
        popl    %ebp
        popl    %edi
        popl    %esi
        popl    %ebx
        ret
        .size workload_main, . - workload_main

# md5_block(ESI = 64-byte block): folds the block into h0..h3.
# a = EAX, b = EBX, c = ECX, d = EDX, i = EDI, F = EBP.
md5_block:
        movl    h0, %eax
        movl    h1, %ebx
        movl    h2, %ecx
        movl    h3, %edx
        xorl    %edi, %edi
1:      cmpl    $16, %edi
        jae     2f
        movl    %ecx, %ebp              # F = d ^ (b & (c ^ d))
        xorl    %edx, %ebp
        andl    %ebx, %ebp
        xorl    %edx, %ebp
        jmp     5f
2:      cmpl    $32, %edi
        jae     3f
        movl    %ebx, %ebp              # G = c ^ (d & (b ^ c))
        xorl    %ecx, %ebp
        andl    %edx, %ebp
        xorl    %ecx, %ebp
        jmp     5f
3:      cmpl    $48, %edi
        jae     4f
        movl    %ebx, %ebp              # H = b ^ c ^ d
        xorl    %ecx, %ebp
        xorl    %edx, %ebp
        jmp     5f
4:      movl    %edx, %ebp              # I = c ^ (b | ~d)
        notl    %ebp
        orl     %ebx, %ebp
        xorl    %ecx, %ebp
5:      addl    %eax, %ebp              # F += a + K[i] + M[g(i)]
        addl    md5_k(,%edi,4), %ebp
        pushl   %eax
        movzbl  md5_g(%edi), %eax
        addl    (%esi,%eax,4), %ebp
        popl    %eax
        pushl   %ecx                    # b += F <<< s[i]
        movb    md5_s(%edi), %cl
        roll    %cl, %ebp
        popl    %ecx
        movl    %edx, %eax              # (a, b, c, d) = (d, b + F', b, c)
        movl    %ecx, %edx
        movl    %ebx, %ecx
        addl    %ebp, %ebx
        incl    %edi
        cmpl    $64, %edi
        jb      1b
        addl    %eax, h0
        addl    %ebx, h1
        addl    %ecx, h2
        addl    %edx, h3
        ret

        .data
        .align 4
md5_k:
        .long 0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee
        .long 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501
        .long 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be
        .long 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821
        .long 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa
        .long 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8
        .long 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed
        .long 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a
        .long 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c
        .long 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70
        .long 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05
        .long 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665
        .long 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039
        .long 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1
        .long 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1
        .long 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
md5_s:
        .byte 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22
        .byte 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20
        .byte 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23
        .byte 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
md5_g:
        .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 1, 6, 11, 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12
        .byte 5, 8, 11, 14, 1, 4, 7, 10, 13, 0, 3, 6, 9, 12, 15, 2
        .byte 0, 7, 14, 5, 12, 3, 10, 1, 8, 15, 6, 13, 4, 11, 2, 9

        .bss
        # Written data starts on a page of its own, as in the native ELF build
        # (ld -N packs .bss right after .text): a write must never touch a page
        # holding translated code, or the bench measures an SMC policy instead.
        .balign 4096
h0:     .space 4
h1:     .space 4
h2:     .space 4
h3:     .space 4
message: .space LENGTH+64
