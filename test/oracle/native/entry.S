/*
 * Guest entry/exit for the native oracle (x86_64 host process, guest runs in
 * a 32-bit or 16-bit compatibility-mode code segment at CPL 3).
 *
 * oracle_enter(struct oracle_entry *e)   -- never returns by itself; control
 *     comes back (as a return from oracle_enter) when the signal handler
 *     calls oracle_leave().
 *
 * struct oracle_entry layout (must match oracle.c):
 *    0  u32 regs[8]      EAX ECX EDX EBX ESP EBP ESI EDI (ESP unused here)
 *   32  u64 frame        address of a 5-qword IRETQ frame: RIP CS RFLAGS RSP SS
 *   40  u16 ds
 *   42  u16 es
 *   44  u32 use_xsave    nonzero: XRSTOR init image, else FXRSTOR image
 *   48  u64 fpu_image    64-byte aligned init image
 *   56  u32 xmask_lo     XRSTOR requested-feature bitmap
 *   60  u32 xmask_hi
 */

	.text

	.globl	oracle_enter
	.type	oracle_enter, @function
oracle_enter:
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, oracle_host_rsp(%rip)

	/* Architectural FPU/SSE/AVX init state for every case. */
	movq	48(%rdi), %rcx
	movl	44(%rdi), %eax
	testl	%eax, %eax
	jz	1f
	movl	56(%rdi), %eax
	movl	60(%rdi), %edx
	xrstor	(%rcx)
	jmp	2f
1:	fxrstor	(%rcx)
2:
	/* Data segments (ignored by 64-bit code, used once we are in the guest). */
	movzwl	40(%rdi), %eax
	movl	%eax, %ds
	movzwl	42(%rdi), %eax
	movl	%eax, %es

	movq	32(%rdi), %rsp
	movl	0(%rdi), %eax
	movl	4(%rdi), %ecx
	movl	8(%rdi), %edx
	movl	12(%rdi), %ebx
	movl	20(%rdi), %ebp
	movl	24(%rdi), %esi
	movl	28(%rdi), %edi
	iretq
	.size	oracle_enter, .-oracle_enter

	/* Called from the signal handler (on the alternate stack): abandon the
	   signal frame and return from oracle_enter. */
	.globl	oracle_leave
	.type	oracle_leave, @function
oracle_leave:
	movq	oracle_host_rsp(%rip), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ret
	.size	oracle_leave, .-oracle_leave

	/* sa_sigaction entry. The kernel clears DF, TF and RF for the handler
	   but leaves whatever else the guest put in EFLAGS (POPF/IRET):
	     AC: Linux keeps CR0.AM on, so misaligned accesses would raise #AC;
	     NT: the next IRETQ in oracle_enter would raise #GP.
	   Clear them (and DF/TF for good measure) before compiled code runs. */
	.globl	oracle_sig_trampoline
	.type	oracle_sig_trampoline, @function
oracle_sig_trampoline:
	pushfq
	andq	$~0x44500, (%rsp)	/* AC | NT | DF | TF */
	popfq
	jmp	oracle_sig_handler
	.size	oracle_sig_trampoline, .-oracle_sig_trampoline

	.bss
	.align	8
	.globl	oracle_host_rsp
	.hidden	oracle_host_rsp
oracle_host_rsp:
	.quad	0

	.section .note.GNU-stack,"",@progbits
