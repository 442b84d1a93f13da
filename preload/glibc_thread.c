/* Finds where glibc keeps the kernel thread id inside its thread descriptor
 * (struct pthread), which a restore must update: the restored threads get
 * new tids, and glibc uses the cached one for pthread_kill, raise, mutex
 * ownership, ... The layout is private to glibc, so it is found by looking
 * for gettid() in pthread_self() at start-up. */
#include "internal.h"
#include "../common/rawsys.h"
#include <pthread.h>

long tcp_find_tid_offset(void)
{
	const char *self = (const char *)pthread_self();
	int tid = (int)r_gettid();
	/* struct pthread starts with the TCB header (tcbhead_t, 0x2c0 bytes on
	 * x86-64 since glibc 2.26, holding small flags and random canaries that
	 * could match by chance); the tid follows the list links after it. */
	for (long off = 0x2c0; off < 4096; off += 4) {
		int v;
		f_memcpy(&v, self + off, 4);
		if (v == tid)
			return off;
	}
	return -1;
}
