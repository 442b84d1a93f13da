/* Signals pending at a checkpoint, kept with their siginfo (DESIGN §3).
 *
 * /proc tells only which signal numbers are pending. What a program reads
 * with sigwaitinfo or in an SA_SIGINFO handler (the sender, a sigqueue
 * value, si_code) and every queued instance of a real-time signal exist
 * only in the kernel's queues. So each thread, once stopped, takes its own
 * pending signals out with rt_sigtimedwait, records them here and queues
 * them again at once, in the order they came. The kernel delivers the
 * lowest number first and the instances of one number in order, so the
 * running program sees no difference. The records are in libtcp's memory,
 * which the image holds: after a restore each thread queues its own again.
 *
 * Two queues: the thread's own (tgkill, pthread_sigqueue) and the
 * process's (kill, sigqueue, SIGCHLD). rt_sigtimedwait empties the
 * thread's own before it takes from the process's, so a thread takes only
 * the numbers that are pending in exactly one of them. The process's are
 * taken by the main thread: the kernel lets only the thread whose tid is
 * the pid queue a kill()-style siginfo (si_code >= 0) to the process. A
 * number pending in both queues, and the process's signals when the main
 * thread has exited, come back by number alone (tgkill, kill), as /proc
 * shows them.
 *
 * Runs in stopped threads and right after a restore: raw system calls, a
 * small stack buffer, no locks (records are claimed with an atomic add). */
#include "dump.h"
#include "../common/rawsys.h"
#include "../common/proc_fields.h"
#include "tree/role.h"

#include <fcntl.h>

struct queued_signal {
	int32_t tid;	/* the thread that took it (its tid at the checkpoint); 0: unused */
	int32_t shared;	/* taken from the process's queue */
	int32_t next;	/* the same thread's next record of the same number, -1 */
	siginfo_t info;
};

static struct queued_signal queued[TCP_PENDING_RECORDS];
static int nqueued;	/* records claimed in the last checkpoint */
static int overflowed;	/* a thread found no free record */

void tcp_pending_reset(void)
{
	__atomic_store_n(&nqueued, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&overflowed, 0, __ATOMIC_SEQ_CST);
}

int tcp_pending_overflowed(void)
{
	return __atomic_load_n(&overflowed, __ATOMIC_SEQ_CST);
}

/* "SigPnd:" (the thread's queue) and "ShdPnd:" (the process's) from
 * /proc/self/task/TID/status. */
static int read_masks(int tid, uint64_t *mine, uint64_t *shared)
{
	static const char *const keys[2] = { "SigPnd:", "ShdPnd:" };
	char path[64], buf[256];
	uint64_t v[2] = { 0, 0 };
	path_append_num(path, sizeof(path), "/proc/self/task/", tid, "/status");
	long fd = r_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int found = proc_fields_read((int)fd, buf, sizeof(buf), keys, 2, 16, v);
	r_close((int)fd);
	*mine = v[0];
	*shared = v[1];
	return found == 3 ? 0 : -1;
}

static void queue_again(int pid, int tid, int sig, int shared, const siginfo_t *info)
{
	if (shared)
		r_rt_sigqueueinfo(pid, sig, info);
	else
		r_rt_tgsigqueueinfo(pid, tid, sig, info);
}

/* One thread's records of one number, from `first` along their chain. */
static void queue_chain_again(int pid, int tid, int sig, int shared, int first)
{
	for (int i = first; i >= 0; i = queued[i].next)
		queue_again(pid, tid, sig, shared, &queued[i].info);
}

/* Records that the last checkpoint filled (claims past the end did not). */
static int records_used(void)
{
	return nqueued < TCP_PENDING_RECORDS ? nqueued : TCP_PENDING_RECORDS;
}

/* The records ran out in the middle of `sig` (the checkpoint fails): the
 * rest of its instances go behind the recorded ones through a scratch
 * mapping, so that the program, which runs on, gets them in order. The
 * kernel queues at most RLIMIT_SIGPENDING of them. */
static void spill_rest(int sig, int tid, int pid, int shared, int first)
{
	uint64_t set = 1ull << (sig - 1);
	struct { long sec, nsec; } now = { 0, 0 };
	struct { uint64_t cur, max; } lim = { 0, 0 };
	r_prlimit(0, 11 /* RLIMIT_SIGPENDING */, 0, &lim);
	uint64_t cap = lim.cur < (1u << 20) ? lim.cur + 1 : (1u << 20);
	siginfo_t *rest = tcp_scratch_map(cap * sizeof(siginfo_t));
	uint64_t n = 0;
	if ((long)rest < 0 && (long)rest > -4096)
		rest = 0; /* they stay where they are, before the recorded ones */
	while (rest && n < cap && r_rt_sigtimedwait(&set, &rest[n], &now) == sig)
		n++;
	queue_chain_again(pid, tid, sig, shared, first);
	for (uint64_t i = 0; i < n; i++)
		queue_again(pid, tid, sig, shared, &rest[i]);
	if (rest)
		r_munmap(rest, cap * sizeof(siginfo_t));
}

/* Takes every instance of `sig` from this thread's view of the queues,
 * records it, then queues them all again in the same order. Its records
 * are chained: the ones between them may be another thread's, half
 * written. */
static void take_one(int sig, int tid, int pid, int shared)
{
	uint64_t set = 1ull << (sig - 1);
	struct { long sec, nsec; } now = { 0, 0 };
	int first = -1, last = -1;
	for (;;) {
		int i = __atomic_fetch_add(&nqueued, 1, __ATOMIC_SEQ_CST);
		if (i >= TCP_PENDING_RECORDS) {
			__atomic_store_n(&overflowed, 1, __ATOMIC_SEQ_CST);
			spill_rest(sig, tid, pid, shared, first);
			return;
		}
		struct queued_signal *q = &queued[i];
		q->next = -1;
		if (r_rt_sigtimedwait(&set, &q->info, &now) != sig) {
			q->tid = 0;
			break;
		}
		q->tid = tid;
		q->shared = shared;
		if (last >= 0)
			queued[last].next = i;
		else
			first = i;
		last = i;
	}
	queue_chain_again(pid, tid, sig, shared, first);
}

/* In each stopped thread (the one taking the checkpoint too): its pending
 * signals, by number into t->pending and with their siginfo into the
 * records; in the main thread also the process's. *process_pending gets
 * the process's numbers. Returns -1, with t->pending TCP_PENDING_UNKNOWN,
 * if /proc cannot tell. */
int tcp_pending_take(struct tcp_thread *t, uint64_t *process_pending)
{
	uint64_t mine = 0, shared = 0;
	if (read_masks(t->tid, &mine, &shared) < 0) {
		t->pending = TCP_PENDING_UNKNOWN;
		return -1;
	}
	int pid = (int)r_getpid();
	/* libtcp's own: the one being handled, and a second one that came
	 * meanwhile, need no replay; SIGKILL and SIGSTOP cannot be waited for.
	 * The triggers are the root's only: in a member of a tree they are the
	 * program's signals like any other (a stop signal from outside the
	 * tree is dropped later, tree/member_stop.c). */
	uint64_t ours = 1ull << (TCP_THREAD_SIGNAL - 1) | 1ull << (9 - 1) | 1ull << (19 - 1);
	if (tcp_role_is_root()) {
		if (tcp_cfg.signal)
			ours |= 1ull << (tcp_cfg.signal - 1);
		if (tcp_cfg.stop_signal)
			ours |= 1ull << (tcp_cfg.stop_signal - 1);
	}
	t->pending = mine & ~ours;
	*process_pending = shared & ~ours;
	for (int s = 1; s <= TCP_NSIG; s++)
		if ((mine & ~shared & ~ours) & (1ull << (s - 1)))
			take_one(s, t->tid, pid, 0);
	if (t->tid == pid)
		for (int s = 1; s <= TCP_NSIG; s++)
			if ((shared & ~mine & ~ours) & (1ull << (s - 1)))
				take_one(s, t->tid, pid, 1);
	return 0;
}

/* The records of one queue, back into it in order (after a restore);
 * returns their signal numbers. */
static uint64_t raise_recorded(int old_tid, int tid, int pid, int shared)
{
	uint64_t done = 0;
	int end = records_used();
	for (int i = 0; i < end; i++) {
		struct queued_signal *q = &queued[i];
		int sig = q->info.si_signo;
		if (q->tid != old_tid || q->shared != shared || sig < 1 || sig > TCP_NSIG)
			continue;
		queue_again(pid, tid, sig, shared, &q->info);
		done |= 1ull << (sig - 1);
	}
	return done;
}

void tcp_pending_raise_thread(const struct tcp_thread *t, int tid)
{
	int pid = (int)r_getpid();
	uint64_t bare = t->pending & ~raise_recorded(t->tid, tid, pid, 0);
	for (int s = 1; s <= TCP_NSIG; s++)
		if (bare & (1ull << (s - 1)))
			r_tgkill(pid, tid, s);
	if (t->tid == pid)
		raise_recorded(pid, pid, pid, 1);
}

void tcp_pending_raise_process(uint64_t numbers)
{
	uint64_t recorded = 0;
	int end = records_used();
	for (int i = 0; i < end; i++) {
		int sig = queued[i].info.si_signo;
		if (queued[i].tid && queued[i].shared && sig >= 1 && sig <= TCP_NSIG)
			recorded |= 1ull << (sig - 1);
	}
	int pid = (int)r_getpid();
	for (int s = 1; s <= TCP_NSIG; s++)
		if ((numbers & ~recorded) & (1ull << (s - 1)))
			r_kill(pid, s);
}

/* Records whose number is `sig` and that drop() selects are forgotten; a
 * number none of whose records stays leaves the pending set of its queue
 * (the thread's t->pending, or *process_pending). A number that was
 * pending in both queues has no records (it comes back by number alone)
 * and stays. */
void tcp_pending_drop(int sig, int (*drop)(const siginfo_t *si, void *arg), void *arg, struct tcp_thread *threads,
		      int nslots, uint64_t *process_pending)
{
	uint64_t bit = 1ull << (sig - 1);
	int end = records_used();
	for (int i = 0; i < end; i++) {
		struct queued_signal *q = &queued[i];
		if (!q->tid || q->info.si_signo != sig || !drop(&q->info, arg))
			continue;
		int tid = q->tid, shared = q->shared, kept = 0;
		q->tid = 0;
		for (int j = 0; j < end && !kept; j++)
			kept = queued[j].tid == tid && queued[j].shared == shared && queued[j].info.si_signo == sig;
		if (kept)
			continue;
		if (shared)
			*process_pending &= ~bit;
		else
			for (int t = 0; t < nslots; t++)
				if (tcp_thread_valid(&threads[t]) && threads[t].tid == tid &&
				    threads[t].pending != TCP_PENDING_UNKNOWN)
					threads[t].pending &= ~bit;
	}
}
