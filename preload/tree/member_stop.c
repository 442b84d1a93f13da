/* The stop signal in a member of a process tree (DESIGN §8).
 *
 * A job-wide stop (SLURM's SIGTERM at the time limit, scancel, kill to the
 * process group) reaches every process of the tree at about the same
 * instant. The root checkpoints the whole tree and exits 85; a member that
 * took the signal with its own action (the default: die) would be dead or
 * dying when the root stops it, and the tree's checkpoint would fail or
 * record a dead child. So in a member libtcp keeps the kernel action for
 * the stop signal (unless the program ignores it: then it stays ignored),
 * while the program sees and sets its own action through sigaction()
 * (sigwrap.c); the mask is the program's own (a blocked stop signal stays
 * pending as it would, and reaches this handler once unblocked).
 *
 * The handler:
 *  - a signal from inside the tree (the root or one of its descendants: a
 *    pool stopping its workers, `timeout`, a launcher forwarding signals),
 *    from the process itself, or from the kernel takes effect at once,
 *    exactly as without libtcp;
 *  - one from outside waits up to MEMBER_STOP_GRACE_MS for the root's stop
 *    checkpoint to take this process (its signal TCP_TREE_SIGNAL, and the
 *    threads' TCP_THREAD_SIGNAL, can come meanwhile). If one does, the
 *    signal is consumed: the process exits with the tree (checkpoint.c),
 *    and the restored process returns from here as if it had handled it.
 *    A checkpoint-and-continue meanwhile changes nothing: the wait goes on.
 *    If the grace ends without a stop checkpoint (only this process was
 *    signalled, the root is gone, its checkpoint failed), the signal takes
 *    the program's action then: the same effect as without libtcp, later.
 * A sender that has exited by the time the handler looks (a short-lived
 * `kill` command of the program's) cannot be placed: it counts as outside,
 * which only delays the signal.
 *
 * Raw system calls only: this runs in a signal handler. */
#include "area.h"
#include "member_stop.h"
#include "role.h"
#include "../dump.h"
#include "../../common/rawsys.h"
#include "../../common/proc_stat.h"

#include <errno.h>
#include <fcntl.h>

/* How often the wait looks whether a stop checkpoint took this process
 * (the checkpoint itself interrupts the sleep: it comes as a signal). */
#define MEMBER_STOP_TICK_MS 20
#define TREE_DEPTH_MAX 4096 /* parent links followed from a sender up to the root */

static int stop_sig;
/* Set before this process's state is read by a tree checkpoint: whether it
 * is the stop signal's. In the image, so the restored process knows. */
static volatile int ck_is_stop;
/* Restores from a stop checkpoint's image (counted at the restored
 * process's first instruction, before its other threads run on). */
static volatile uint32_t stops_restored;

void tcp_member_stop_set(int sig)
{
	stop_sig = sig;
}

int tcp_member_stop_signal(void)
{
	return stop_sig;
}

void tcp_member_stop_note(int stop)
{
	__atomic_store_n(&ck_is_stop, stop, __ATOMIC_SEQ_CST);
}

void tcp_member_stop_restored(void)
{
	if (__atomic_load_n(&ck_is_stop, __ATOMIC_SEQ_CST))
		__atomic_fetch_add(&stops_restored, 1, __ATOMIC_SEQ_CST);
}

/* The parent of `pid` (/proc/PID/stat), or -1. */
static long parent_of(long pid)
{
	char path[48], buf[1024];
	path_append_num(path, sizeof(path), "/proc/", pid, "/stat");
	long fd = r_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	long n = r_read((int)fd, buf, sizeof(buf) - 1);
	r_close((int)fd);
	struct proc_stat st;
	return n > 0 && proc_stat_parse(buf, (size_t)n, &st) == 0 ? st.ppid : -1;
}

/* Whether `pid` is `root` or one of its descendants, now. */
static int in_tree(long root, long pid)
{
	for (int depth = 0; depth < TREE_DEPTH_MAX && pid > 0; depth++) {
		if (pid == root)
			return 1;
		if (pid == 1)
			return 0;
		pid = parent_of(pid);
	}
	return 0;
}

/* Sent by a process (kill, sigqueue, tgkill), not by the kernel or by
 * something of this process's own (a timer, asynchronous I/O). */
static int sent_by_a_process(const siginfo_t *si)
{
	return si->si_code == SI_USER || si->si_code == SI_QUEUE || si->si_code == SI_TKILL;
}

static int from_outside(const siginfo_t *si, long root)
{
	if (!sent_by_a_process(si) || si->si_pid == (pid_t)r_getpid())
		return 0;
	return !in_tree(root, si->si_pid);
}

/* Waits for a stop checkpoint of the tree to take this process, up to the
 * grace. 1 if one did (only the restored process gets here then), 0 if the
 * grace ended or the root is gone. */
static int wait_for_stop_checkpoint(long root)
{
	uint32_t seen = __atomic_load_n(&stops_restored, __ATOMIC_SEQ_CST);
	/* This handler blocks every signal; the tree's two must come in. */
	uint64_t tree = 1ull << (TCP_TREE_SIGNAL - 1) | 1ull << (TCP_THREAD_SIGNAL - 1), old;
	r_rt_sigprocmask(1 /* SIG_UNBLOCK */, &tree, &old);
	int taken = 0;
	/* Time in ticks, not by a clock: a restore (another node, another
	 * boot) may resume this loop under a different CLOCK_MONOTONIC. */
	for (int waited = 0;; waited += MEMBER_STOP_TICK_MS) {
		if (__atomic_load_n(&stops_restored, __ATOMIC_SEQ_CST) != seen) {
			taken = 1;
			break;
		}
		if (waited >= MEMBER_STOP_GRACE_MS || r_kill((int)root, 0) == -3 /* ESRCH */)
			break;
		struct { long sec, nsec; } ts = { 0, MEMBER_STOP_TICK_MS * 1000000L };
		rsys2(__NR_nanosleep, (long)&ts, 0);
	}
	r_rt_sigprocmask(2 /* SIG_SETMASK */, &old, 0);
	return taken;
}

static void say_late(int sig, const siginfo_t *si)
{
	if (tcp_cfg.log < 2)
		return;
	TCP_MSG(m);
	fb_puts(&m, "process ");
	fb_puti(&m, r_getpid());
	fb_puts(&m, ": ");
	fb_puts(&m, tcp_signal_name(sig));
	fb_puts(&m, " from pid ");
	fb_puti(&m, si->si_pid);
	fb_puts(&m, ", outside its process tree, came with no stop checkpoint of the tree within ");
	fb_puti(&m, MEMBER_STOP_GRACE_MS);
	fb_puts(&m, " ms: it takes effect now");
	tcp_emit(&m);
}

void tcp_member_stop_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	long root = tcp_role_tree_root();
	int outside = root && root != r_getpid() && from_outside(si, root);
	if (outside && wait_for_stop_checkpoint(root)) {
		errno = saved_errno; /* restored: the tree's stop consumed it */
		return;
	}
	if (outside)
		say_late(sig, si);
	tcp_member_stop_deliver(sig, si, ucv);
	errno = saved_errno;
}

/* A stop signal pending in this member at the tree's stop checkpoint, sent
 * from outside the tree (all of whose processes are in the area now). */
static int outside_stop(const siginfo_t *si, void *arg)
{
	const struct tree_area *a = arg;
	if (!sent_by_a_process(si) || si->si_pid == (pid_t)r_getpid())
		return 0;
	for (int i = 0; i < a->nslots && i < TREE_MAX_PROCS; i++)
		if (a->slots[i].pid == si->si_pid)
			return 0;
	return 1;
}

void tree_member_stop_drop_pending(struct dump_ctx *d)
{
	if (!tcp_tree || !tcp_tree->stop || !stop_sig)
		return;
	tcp_pending_drop(stop_sig, outside_stop, tcp_tree, d->threads, d->nslots, &d->proc->pending);
}
