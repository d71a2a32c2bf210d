# calls: control transfers between pages, the shape of code that calls
# small functions all over a large binary (a shell, a kernel): each round
# calls 32 functions, each alone on its own 4 KiB page, 8 times over
# (256 calls and returns that leave the caller's page). Returns a checksum
# of EAX as the functions leave it. Exercises CALL/RET across pages, where a
# binary translator goes through its dispatcher on every transfer.
        .code32
        .set ROUNDS, 400
        .set FUNCS, 32

        .text
        .globl workload_main
        .type workload_main, @function
workload_main:
        pushl   %ebx
        movl    $ROUNDS, %ebx
        xorl    %eax, %eax
1:
        .rept 8
        .irp k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        call    callee_\k
        .endr
        .endr
        decl    %ebx
        jnz     1b
        popl    %ebx
        ret

# callee_k: EAX = rol(EAX + k + 1, 5), alone on its page.
        .irp k, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .p2align 12
callee_\k:
        addl    $\k + 1, %eax
        roll    $5, %eax
        ret
        .endr
