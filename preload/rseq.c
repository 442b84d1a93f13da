/* The thread's rseq area (registered by glibc >= 2.35). The kernel writes
 * the current CPU into it whenever the thread is scheduled, so it is
 * unregistered while memory is being checksummed and written (a write in
 * between would look like corruption), and registered again afterwards or
 * after a restore. */
#include "internal.h"
#include "../common/rawsys.h"

/* Weak: libtcp must still load on a glibc without rseq support. */
extern const long __rseq_offset __attribute__((weak));
extern const unsigned int __rseq_size __attribute__((weak));

#define RSEQ_SIG 0x53053053
#define RSEQ_FLAG_UNREGISTER 1

int tcp_rseq_area(uint64_t *addr, uint32_t *len, uint32_t *sig)
{
	if (!&__rseq_size || !&__rseq_offset || !__rseq_size)
		return 0;
	*addr = (uint64_t)__builtin_thread_pointer() + (uint64_t)__rseq_offset;
	/* glibc registers at least the original 32-byte struct rseq. */
	*len = __rseq_size < 32 ? 32 : __rseq_size;
	*sig = RSEQ_SIG;
	return 1;
}

int tcp_rseq_unregister(const struct tcp_thread *t)
{
	if (!t->rseq_addr)
		return 0;
	return r_rseq((void *)t->rseq_addr, t->rseq_len, RSEQ_FLAG_UNREGISTER, t->rseq_sig) == 0;
}

void tcp_rseq_register(const struct tcp_thread *t)
{
	if (!t->rseq_addr)
		return;
	/* rseq_cs (offset 8) must not point at a stale critical section. */
	*(volatile uint64_t *)(t->rseq_addr + 8) = 0;
	if (r_rseq((void *)t->rseq_addr, t->rseq_len, 0, t->rseq_sig) < 0) {
		TCP_MSG(m);
		fb_puts(&m, "warning: could not register rseq again; sched_getcpu() falls back to a system call");
		tcp_emit(&m);
	}
}
