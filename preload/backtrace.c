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

#include "internal.h"

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
