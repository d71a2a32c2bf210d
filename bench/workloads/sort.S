# sort: a recursive quicksort (Hoare partition, middle pivot) of COUNT
# pseudo-random unsigned dwords from a xorshift32 generator, then a pass
# that checks the order and folds the array into a checksum (0xBAD0BAD0
# if it is not sorted). Exercises CALL/RET and the stack, indexed
# addressing, unsigned compares, XCHG-free swaps.
        .code32
        .set COUNT, 12000

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        pushl   %ebp

        # Fill with xorshift32.
        movl    $2463534242, %eax
        xorl    %ecx, %ecx
1:      movl    %eax, %edx
        shll    $13, %edx
        xorl    %edx, %eax
        movl    %eax, %edx
        shrl    $17, %edx
        xorl    %edx, %eax
        movl    %eax, %edx
        shll    $5, %edx
        xorl    %edx, %eax
        movl    %eax, array(,%ecx,4)
        incl    %ecx
        cmpl    $COUNT, %ecx
        jb      1b

        xorl    %eax, %eax              # lo
        movl    $COUNT-1, %edx          # hi
        call    quicksort

        # Check and fold: h = (h * 31) + a[i].
        movl    array, %eax
        movl    $1, %ecx
2:      movl    array-4(,%ecx,4), %ebx
        movl    array(,%ecx,4), %edx
        cmpl    %edx, %ebx
        ja      3f
        imull   $31, %eax, %eax
        addl    %edx, %eax
        incl    %ecx
        cmpl    $COUNT, %ecx
        jb      2b
        jmp     4f
3:      movl    $0xbad0bad0, %eax
4:      popl    %ebp
        popl    %edi
        popl    %esi
        popl    %ebx
        ret
        .size workload_main, . - workload_main

# quicksort(EAX = lo, EDX = hi): sorts array[lo..hi]; clobbers EAX-EDX, ESI, EDI, EBP.
quicksort:
        cmpl    %edx, %eax
        jge     9f
        # pivot = array[(lo + hi) / 2]
        leal    (%eax,%edx), %ebp
        shrl    $1, %ebp
        movl    array(,%ebp,4), %ebp
        leal    -1(%eax), %esi          # i
        leal    1(%edx), %edi           # j
1:      incl    %esi                    # do i++ while a[i] < pivot
        cmpl    %ebp, array(,%esi,4)
        jb      1b
2:      decl    %edi                    # do j-- while a[j] > pivot
        cmpl    %ebp, array(,%edi,4)
        ja      2b
        cmpl    %edi, %esi
        jge     3f
        movl    array(,%esi,4), %ebx    # swap a[i], a[j]
        movl    array(,%edi,4), %ecx
        movl    %ecx, array(,%esi,4)
        movl    %ebx, array(,%edi,4)
        jmp     1b
3:      pushl   %edx                    # hi
        pushl   %edi                    # j
        movl    %edi, %edx
        call    quicksort               # (lo, j)
        popl    %eax
        incl    %eax
        popl    %edx
        call    quicksort               # (j + 1, hi)
9:      ret

        .bss
        # Written data starts on a page of its own, as in the native ELF build
        # (ld -N packs .bss right after .text): a write must never touch a page
        # holding translated code, or the bench measures an SMC policy instead.
        .balign 4096
array:  .space COUNT*4
