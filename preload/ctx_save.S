/* int tcp_ctx_save(uint64_t ctx[8]) -- like setjmp, without the signal mask:
 * ctx = rbx rbp r12 r13 r14 r15 rsp(after return) rip(return address).
 * The restore blob loads these, sets eax = 1 and jumps to rip. */
	.text
	.globl tcp_ctx_save
	.hidden tcp_ctx_save
	.type tcp_ctx_save, @function
tcp_ctx_save:
	movq %rbx, 0(%rdi)
	movq %rbp, 8(%rdi)
	movq %r12, 16(%rdi)
	movq %r13, 24(%rdi)
	movq %r14, 32(%rdi)
	movq %r15, 40(%rdi)
	leaq 8(%rsp), %rax
	movq %rax, 48(%rdi)
	movq (%rsp), %rax
	movq %rax, 56(%rdi)
	xorl %eax, %eax
	ret
	.size tcp_ctx_save, .-tcp_ctx_save
	.section .note.GNU-stack,"",@progbits
