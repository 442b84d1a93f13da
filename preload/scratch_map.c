/* Scratch memory for libtcp: private, anonymous, read-write, reserved
 * (MAP_NORESERVE), and never locked, whatever the program asked with
 * mlockall(MCL_FUTURE) (mlock_future.c). Raw system calls only. */
#define _GNU_SOURCE
#include "internal.h"
#include "../common/rawsys.h"

#include <sys/mman.h>

int tcp_mlock_future;

/* Under MCL_FUTURE a new mapping is locked, so a one-page one is
 * made, unlocked, then grown: growing keeps its flags, and the pages
 * beyond the first are neither populated nor counted against the limit.
 * Returns the address or a negative errno, like r_mmap. */
void *tcp_scratch_map(size_t len)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	if (!tcp_mlock_future)
		return r_mmap(0, len, prot, flags, -1, 0);
	void *seed = r_mmap(0, 4096, prot, flags, -1, 0);
	if ((long)seed < 0 && (long)seed > -4096)
		return seed;
	rsys2(__NR_munlock, (long)seed, 4096);
	void *p = r_mremap(seed, 4096, len, MREMAP_MAYMOVE, 0);
	if ((long)p < 0 && (long)p > -4096)
		r_munmap(seed, 4096);
	return p;
}

