#include "internal.h"
#include "../common/rawsys.h"

void tcp_emit(struct fbuf *b)
{
	fb_putc(b, '\n');
	if (b->full) /* keep the newline even when the message was cut */
		b->p[b->len - 1] = '\n';
	r_write(2, b->p, b->len);
}

const char *tcp_strerror(long e)
{
	switch (-e) {
	case 1: return "operation not permitted";
	case 2: return "no such file or directory";
	case 5: return "input/output error";
	case 12: return "out of memory";
	case 13: return "permission denied";
	case 17: return "file exists";
	case 20: return "not a directory";
	case 21: return "is a directory";
	case 24: return "too many open files";
	case 27: return "file too large";
	case 28: return "no space left on device";
	case 30: return "read-only file system";
	case 36: return "file name too long";
	case 122: return "disk quota exceeded";
	default: break;
	}
	/* One checkpoint at a time writes messages: a static buffer will do. */
	static char other[32];
	struct fbuf b;
	fb_init(&b, other, sizeof(other));
	fb_puts(&b, "system error (errno ");
	fb_puti(&b, -e);
	fb_putc(&b, ')');
	return other;
}

const char *tcp_signal_name(int sig)
{
	static const char *names[32] = {
		0, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
		"SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
		"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
		"SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
	};
	if (sig > 0 && sig < 32)
		return names[sig];
	static char other[24];
	struct fbuf b;
	fb_init(&b, other, sizeof(other));
	fb_puts(&b, "signal ");
	fb_puti(&b, sig);
	return other;
}
