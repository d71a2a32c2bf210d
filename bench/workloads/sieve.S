# sieve: the primes below LIMIT by the sieve of Eratosthenes over a byte
# array. Returns (number of primes) XOR (sum of the primes), mixed.
# Exercises byte stores, compare-and-branch loops, REP STOSD, IMUL.
        .code32
        .set LIMIT, 160000

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi

        # Clear the array: every number starts as a candidate.
        movl    $flags, %edi
        movl    $LIMIT/4, %ecx
        xorl    %eax, %eax
        cld
        rep stosl

        movl    $2, %ebx                # p
1:      movl    %ebx, %eax
        imull   %ebx, %eax              # p*p
        cmpl    $LIMIT, %eax
        jae     4f
        cmpb    $0, flags(%ebx)
        jne     3f
2:      movb    $1, flags(%eax)         # strike p*p, p*p+p, ...
        addl    %ebx, %eax
        cmpl    $LIMIT, %eax
        jb      2b
3:      incl    %ebx
        jmp     1b

        # Count and sum the survivors from 2.
4:      xorl    %esi, %esi              # count
        xorl    %edi, %edi              # sum
        movl    $2, %ebx
5:      cmpb    $0, flags(%ebx)
        jne     6f
        incl    %esi
        addl    %ebx, %edi
6:      incl    %ebx
        cmpl    $LIMIT, %ebx
        jb      5b

        movl    %esi, %eax
        roll    $16, %eax
        xorl    %edi, %eax
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
flags:  .space LIMIT
