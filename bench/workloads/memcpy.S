# memcpy: ROUNDS rounds of copying a buffer with REP MOVSD and back with a
# byte loop that also adds one to every byte (so no round is redundant),
# then a Fletcher-style sum over the result.
# Exercises string instructions and byte loads and stores.
        .code32
        .set SIZE, 32768
        .set ROUNDS, 4

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi

        # src[i] = i * 7 (mod 256)
        xorl    %ecx, %ecx
        xorl    %eax, %eax
1:      movb    %al, src(%ecx)
        addb    $7, %al
        incl    %ecx
        cmpl    $SIZE, %ecx
        jb      1b

        cld
        movl    $ROUNDS, %ebx
2:      movl    $src, %esi              # dst = src, by dwords
        movl    $dst, %edi
        movl    $SIZE/4, %ecx
        rep movsl
        movl    $dst, %esi              # src = dst + 1, by bytes
        movl    $src, %edi
        movl    $SIZE, %ecx
3:      movb    (%esi), %al
        incb    %al
        movb    %al, (%edi)
        incl    %esi
        incl    %edi
        decl    %ecx
        jnz     3b
        decl    %ebx
        jnz     2b

        # Fletcher-32-like: a += byte; b += a (both mod 2^32).
        xorl    %eax, %eax
        xorl    %edx, %edx
        movl    $src, %esi
        movl    $SIZE, %ecx
4:      movzbl  (%esi), %ebx
        addl    %ebx, %eax
        addl    %eax, %edx
        incl    %esi
        loop    4b
        shll    $16, %edx
        xorl    %edx, %eax

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
src:    .space SIZE
dst:    .space SIZE
