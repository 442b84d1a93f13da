/* The backtrace of the interrupted code, recorded in the image for
 * tcp-inspect (addresses only; tcp-inspect finds the names offline).
 *
 * libunwind is opened with RTLD_LOCAL at start-up rather than linked: its
 * shared library also exports _Unwind_*, which, preloaded, would take over
 * the C++ exception handling of the app (and Debian ships no PIC archive to
 * link it in hidden). Its local unwinding is async-signal-safe; it finds
 * unwind tables through dl_iterate_phdr, whose lock is recursive, so a
 * thread interrupted inside the loader can still unwind itself. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <dlfcn.h>
#include <sys/mman.h>

#include "internal.h"
#include "../common/rawsys.h"

static int (*init_local2)(unw_cursor_t *, unw_context_t *, int);
static int (*step)(unw_cursor_t *);
static int (*get_reg)(unw_cursor_t *, int, unw_word_t *);

void tcp_backtrace_init(void)
{
	void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	/* The names behind the unw_* macros for local unwinding. */
	init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(h, "_ULx86_64_init_local2");
	step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
	get_reg = (int (*)(unw_cursor_t *, int, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
	if (!init_local2 || !step || !get_reg)
		init_local2 = 0;
}

void tcp_backtrace(ucontext_t *uc, uint64_t *frames, uint32_t *nframes, uint32_t max)
{
	unw_cursor_t cursor;
	uint32_t n = 0;
	/* On x86-64 libunwind's context is a ucontext_t: start from the
	 * interrupted registers, not from this handler. */
	if (init_local2 && init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) == 0) {
		do {
			unw_word_t ip;
			if (get_reg(&cursor, UNW_REG_IP, &ip) < 0 || !ip)
				break;
			frames[n++] = ip;
		} while (n < max && step(&cursor) > 0);
	}
	*nframes = n;
}

/* Backtraces of every thread, from the forked writer. libunwind finds
 * unwind tables through dl_iterate_phdr, which takes the loader's lock; if a
 * stopped thread held it (in dlopen, or unwinding a C++ exception), the
 * writer, which has no such thread, would wait for it forever. So the
 * unwinding runs in one more child, given 2 s; if it does not finish, the
 * image simply has no backtraces. */
void tcp_backtraces(struct tcp_thread *threads, int n)
{
	if (!init_local2 || n <= 0)
		return;
	uint64_t len = (uint64_t)n * sizeof(struct tcp_thread);
	struct tcp_thread *shared = r_mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if ((long)shared < 0 && (long)shared > -4096)
		return;
	long pid = rsys5(__NR_clone, 0 /* no exit signal */, 0, 0, 0, 0);
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			if (threads[i].uctx_addr)
				tcp_backtrace((ucontext_t *)threads[i].uctx_addr, shared[i].frames, &shared[i].nframes,
					      TCP_MAX_FRAMES);
		r_exit_group(0);
	}
	int done = 0;
	for (int waited = 0; pid > 0 && waited < 2000 && !done; waited += 5) {
		int status = 0;
		long r = rsys4(__NR_wait4, pid, (long)&status, 1 /* WNOHANG */ | 0x80000000 /* __WCLONE */, 0);
		if (r == pid && (status & 0x7f)) {
			/* Not worth failing the checkpoint for, but not silent. */
			TCP_MSG(m);
			fb_puts(&m, "warning: the helper that records the threads' backtraces (pid ");
			fb_puti(&m, pid);
			fb_puts(&m, ") died of ");
			fb_puts(&m, tcp_signal_name(status & 0x7f));
			fb_puts(&m, "; the image has no backtraces");
			tcp_emit(&m);
		}
		if (r == pid)
			done = (status & 0x7f) == 0 ? 1 : -1;
		else if (r < 0)
			done = -1;
		else {
			struct { long sec, nsec; } ts = { 0, 5000000 };
			rsys2(__NR_nanosleep, (long)&ts, 0);
		}
	}
	if (pid > 0 && !done) {
		r_kill((int)pid, 9);
		rsys4(__NR_wait4, pid, 0, 0x80000000, 0);
	}
	for (int i = 0; i < n && done == 1; i++) {
		threads[i].nframes = shared[i].nframes <= TCP_MAX_FRAMES ? shared[i].nframes : 0;
		for (uint32_t j = 0; j < threads[i].nframes; j++)
			threads[i].frames[j] = shared[i].frames[j];
	}
	r_munmap(shared, len);
}
