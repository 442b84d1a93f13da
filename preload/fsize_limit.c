/* RLIMIT_FSIZE (ulimit -f) and the image. A write past the limit fails
 * with EFBIG, and the kernel also sends SIGXFSZ to the writing thread,
 * whose default action kills the program. A forked writer exits with the
 * signal still blocked (every signal is, in the trigger handler); but
 * where the program writes its image itself (TCP_FORK=0, shared memory),
 * the signal would be delivered when the handler returns and kill the
 * program that the failed checkpoint promised to leave running. So the
 * SIGXFSZ our own write caused is taken back first. Raw syscalls: runs in
 * the trigger handler. */
#include "dump.h"
#include "../common/rawsys.h"

#include <signal.h>

#define XFSZ_BIT (1ull << (SIGXFSZ - 1))

int tcp_xfsz_pending(void)
{
	uint64_t set = 0;
	r_rt_sigpending(&set);
	return (set & XFSZ_BIT) != 0;
}

void tcp_xfsz_take_ours(int was_pending)
{
	/* One that was pending before is the program's (a standard signal
	 * is pending once: ours merged into it). */
	if (was_pending || !tcp_xfsz_pending())
		return;
	uint64_t set = XFSZ_BIT;
	struct { long sec, nsec; } now = { 0, 0 };
	siginfo_t si;
	r_rt_sigtimedwait(&set, &si, &now);
}

void tcp_fsize_hint(struct fbuf *b)
{
	struct { uint64_t cur, max; } lim = { ~0ull, ~0ull };
	if (r_prlimit(0, 1 /* RLIMIT_FSIZE */, 0, &lim) < 0 || lim.cur == ~0ull)
		return;
	fb_puts(b, " (the image is larger than the program's file size limit, ulimit -f: ");
	fb_putu(b, lim.cur, 10, 0);
	fb_puts(b, " bytes; raise it for the program)");
}
