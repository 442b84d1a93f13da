/* The forked writer of a checkpoint (TCP_FORK=1), seen from the program:
 * started, reaped, and judged. The writer reports what it did itself
 * (exit 0: the image is written; exit 1: it failed and said why, status
 * file included, its temporary file removed). Any other end (killed by a
 * signal: a crash, the out-of-memory killer, a CPU time limit) would
 * otherwise pass unnoticed: the program reports it in the writer's place
 * and removes what the writer left in TCP_DIR.
 *
 * The writer is a clone whose exit signal is TCP_THREAD_SIGNAL, not
 * SIGCHLD, so that the program's wait() never sees it; that signal, with a
 * CLD_* code, tells libtcp at once that the writer has ended (see
 * tcp_thread_signal_handler), for the checkpoint of the signal that runs
 * on meanwhile, where nobody waits for the writer. Raw syscalls only: all
 * of this runs in signal handlers. */
#include "dump.h"
#include "../common/rawsys.h"
#include "image_names.h"

#include <signal.h>

long tcp_writer_pid; /* the forked writer of the last checkpoint, 0 if none */
static long last_writer; /* the last one started, reaped or not: its exit signal may still come */

/* The temporary names of the current checkpoint (image_names.c's random
 * names), chosen by the program before it forks the writer: one that dies
 * leaves files the program can name and remove. */
static char image_tmp[300], latest_tmp[128];

void tcp_image_tmp_choose_named(const char *what, uint64_t run)
{
	struct fbuf b;
	fb_init(&b, image_tmp, sizeof(image_tmp));
	tmp_name_put(&b, what, run);
	fb_init(&b, latest_tmp, sizeof(latest_tmp));
	tmp_name_put(&b, "latest", run);
}

void tcp_image_tmp_choose(void)
{
	char what[160];
	struct fbuf b;
	fb_init(&b, what, sizeof(what));
	fb_puts(&b, tcp_prog);
	fb_puts(&b, ".tcp");
	tcp_image_tmp_choose_named(what, tcp_run_id);
}

const char *tcp_image_tmp(void)
{
	return image_tmp;
}

const char *tcp_latest_tmp(void)
{
	return latest_tmp;
}

long tcp_writer_clone(void)
{
	long pid = rsys5(__NR_clone, TCP_THREAD_SIGNAL /* exit signal */, 0, 0, 0, 0);
	if (pid > 0)
		last_writer = pid;
	return pid;
}

/* A writer that ended without its own report: say so on stderr and in
 * the status file, and remove its temporary files. */
static void report_death(long pid, int status)
{
	long dirfd = r_open(tcp_cfg.dir, 0 /* O_RDONLY */ | 0200000 /* O_DIRECTORY */ | 02000000 /* O_CLOEXEC */, 0);
	if (dirfd >= 0) {
		r_unlinkat((int)dirfd, image_tmp, 0);
		r_unlinkat((int)dirfd, latest_tmp, 0);
		r_close((int)dirfd);
	}
	char why[256];
	struct fbuf w;
	fb_init(&w, why, sizeof(why));
	fb_puts(&w, "the image writer (pid ");
	fb_puti(&w, pid);
	if ((status & 0x7f) == 0) {
		fb_puts(&w, ") ended with status ");
		fb_puti(&w, (status >> 8) & 0xff);
		fb_puts(&w, " without a report");
	} else {
		int sig = status & 0x7f;
		fb_puts(&w, ") died of ");
		fb_puts(&w, tcp_signal_name(sig));
		if (sig == SIGKILL)
			fb_puts(&w, " (the out-of-memory killer, a CPU time limit, ulimit -t, or a kill -9)");
		else if (sig == SIGXCPU)
			fb_puts(&w, " (its CPU time limit, ulimit -t)");
	}
	TCP_MSG(m);
	fb_puts(&m, "checkpoint failed: ");
	fb_puts(&m, why);
	fb_puts(&m, "; the program continues, earlier images are unchanged");
	tcp_emit(&m);
	tcp_status_write(0, why);
}

/* The writer `pid` has ended with `status`: was its image written? */
static int judge(long pid, int status)
{
	if ((status & 0x7f) == 0 && ((status >> 8) & 0xff) <= 1)
		return ((status >> 8) & 0xff) == 0 ? 0 : -1; /* it reported itself */
	report_death(pid, status);
	return -1;
}

/* Reaps the writer if it has ended (waits for it with `block`). Whoever
 * reaps it judges it: a handler on another thread may race us for it.
 * Returns 1 while it runs, else 0 (ended: *written says how). */
static int reap(long pid, int block, int *written)
{
	int status = 0;
	long r = rsys4(__NR_wait4, pid, (long)&status, (block ? 0 : 1 /* WNOHANG */) | 0x80000000 /* __WCLONE */, 0);
	if (r == 0)
		return 1;
	int ok = r == pid ? judge(pid, status) : -1;
	if (written)
		*written = ok == 0;
	__atomic_compare_exchange_n(&tcp_writer_pid, &pid, 0, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return 0;
}

int tcp_writer_busy(int block)
{
	long pid = __atomic_load_n(&tcp_writer_pid, __ATOMIC_SEQ_CST);
	return pid > 0 && reap(pid, block, 0);
}

int tcp_writer_wait(long pid)
{
	int written = 0;
	reap(pid, 1, &written);
	return written ? 0 : -1;
}

void tcp_writer_forget(void)
{
	tcp_writer_pid = 0;
	last_writer = 0;
}

int tcp_writer_ended(const siginfo_t *si)
{
	long pid = __atomic_load_n(&tcp_writer_pid, __ATOMIC_SEQ_CST);
	if (pid > 0 && si->si_pid == pid)
		reap(pid, 0, 0);
	/* A writer already reaped (the stop signal waits for it) is ours too. */
	return (pid > 0 && si->si_pid == pid) || (last_writer > 0 && si->si_pid == last_writer);
}
