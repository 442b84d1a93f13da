/* The program's mlockall(MCL_FUTURE), which the kernel keeps where no /proc
 * file shows it (mm->def_flags): every mapping made afterwards is locked
 * and populated in full, and counted against RLIMIT_MEMLOCK.
 *
 * libtcp follows the program's mlockall()/munlockall() calls so that
 *   - its own scratch memory during a checkpoint is not locked with it
 *     (a 256 MiB reservation would be populated in the pause, or fail
 *     against the limit): tcp_scratch_map (scratch_map.c);
 *   - the restored program locks its future memory again:
 *     tcp_mlock_future_after_restore.
 * A program that calls the mlockall system call itself, not through libc,
 * is not seen. */
#define _GNU_SOURCE
#include "internal.h"
#include "../common/rawsys.h"

#include <dlfcn.h>
#include <sys/mman.h>

#define INTERPOSE __attribute__((visibility("default")))

/* The process that called mlockall: a forked child does not inherit
 * MCL_FUTURE (libtcp's copy of it, it does). */
static long owner_pid;

INTERPOSE int mlockall(int flags)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "mlockall");
	if (!real)
		return -1;
	int rc = real(flags);
	if (rc == 0) { /* each call replaces the last one's MCL_FUTURE */
		tcp_mlock_future = (flags & MCL_FUTURE) ? flags & (MCL_FUTURE | MCL_ONFAULT) : 0;
		owner_pid = r_getpid();
	}
	return rc;
}

INTERPOSE int munlockall(void)
{
	static int (*real)(void);
	if (!real)
		real = (int (*)(void))dlsym(RTLD_NEXT, "munlockall");
	if (!real)
		return -1;
	int rc = real();
	if (rc == 0)
		tcp_mlock_future = 0;
	return rc;
}

/* After a restore: future mappings locked again, as the program asked. */
void tcp_mlock_future_after_restore(void)
{
	if (!tcp_mlock_future || owner_pid != r_getpid())
		return;
	long rc = rsys1(__NR_mlockall, tcp_mlock_future);
	if (rc < 0) {
		TCP_MSG(m);
		fb_puts(&m, "warning: cannot lock the program's future memory again (mlockall MCL_FUTURE, errno ");
		fb_puti(&m, -rc);
		fb_puts(&m, "); the memory it maps from now on is not locked");
		tcp_emit(&m);
	}
}
