/* Stops every other thread of the process at a signal frame before memory
 * is read, and lets them go again (DESIGN §3, "Quiesce").
 *
 * The thread that takes the checkpoint (the leader) sends TCP_THREAD_SIGNAL
 * to every other thread with tgkill. Each one records its own state (tid,
 * fs base, signal frame, robust list, rseq area, alternate stack, resume
 * context) in a slot of tcp_threads and parks on a futex inside its
 * handler. The leader rescans /proc/self/task until every thread it finds
 * is parked or gone, so threads created or exiting meanwhile are neither
 * lost nor waited for forever.
 *
 * After a restore every thread resumes in park() (or, for the
 * leader, in tcp_checkpoint()), fixes its own kernel state, and checks in;
 * the leader waits for all of them before it unmaps the restorer, whose code
 * the new threads ran last.
 *
 * Runs while threads are stopped: raw system calls and our own futex words
 * only, no locks anyone else may hold. */
#include "dump.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <errno.h>
#include <fcntl.h>

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

#define STOP_TIMEOUT_MS 10000

struct tcp_thread_table tcp_threads;

static void futex_wait_ms(volatile int *w, int val, long ms)
{
	struct { long sec, nsec; } ts = { ms / 1000, (ms % 1000) * 1000000 };
	r_futex(w, FUTEX_WAIT_PRIVATE, val, &ts);
}

static void futex_wake_all(volatile int *w)
{
	r_futex(w, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0);
}

int tcp_quiesce_lead(void)
{
	return __atomic_compare_exchange_n(&tcp_threads.leader, &(int){ 0 }, (int)r_gettid(), 0, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* This thread's own record: everything the restorer and the fixups after a
 * restore need. */
void tcp_fill_thread(struct tcp_thread *t, ucontext_t *uc)
{
	t->tid = (int32_t)r_gettid();
	r_arch_prctl(0x1003 /* ARCH_GET_FS */, (unsigned long)&t->fs_base);
	r_arch_prctl(0x1004 /* ARCH_GET_GS */, (unsigned long)&t->gs_base);
	t->uctx_addr = (uint64_t)uc;
	f_memcpy(&t->sigmask, &uc->uc_sigmask, 8);
	struct { void *sp; int flags; size_t size; } ss;
	if (r_sigaltstack(0, &ss) == 0) {
		t->altstack.sp = (uint64_t)ss.sp;
		t->altstack.flags = ss.flags;
		t->altstack.size = ss.size;
	}
	size_t len = 0;
	void *head = 0;
	if (r_get_robust_list(0, &head, &len) == 0) {
		t->robust_head = (uint64_t)head;
		t->robust_len = len;
	}
	tcp_rseq_area(&t->rseq_addr, &t->rseq_len, &t->rseq_sig);
	r_prctl(16 /* PR_GET_NAME */, (long)t->comm, 0, 0, 0);
	if (tcp_tid_offset >= 0)
		t->tid_addr = t->fs_base + (uint64_t)tcp_tid_offset; /* pthread_self() is the fs base */
	tcp_sched_record(t);
}

/* Another thread is taking checkpoint `epoch` and gave this one slot
 * `idx`: record this thread there and wait until the checkpoint is done.
 * Returns 1 if we come back in a restored process. */
static int park(ucontext_t *uc, int idx, int epoch)
{
	struct tcp_thread *t = &tcp_threads.slots[idx];
	volatile int restored = 0;
	tcp_fill_thread(t, uc);
	uint64_t process_pending;
	tcp_pending_take(t, &process_pending); /* a failure is the leader's to report */
	/* Our own copy: once released, the slot may be the next checkpoint's. */
	struct tcp_thread rs = { .rseq_addr = t->rseq_addr, .rseq_len = t->rseq_len, .rseq_sig = t->rseq_sig };
	int rseq_paused = tcp_rseq_unregister(&rs);
	if (tcp_ctx_save(t->ctx)) {
		/* Restored: same tid (the restorer saw to it), new kernel thread. */
		restored = 1;
		tcp_thread_after_restore(&tcp_threads.slots[idx]);
		__atomic_fetch_add(&tcp_threads.nresumed, 1, __ATOMIC_SEQ_CST);
		futex_wake_all(&tcp_threads.nresumed);
	} else {
		__atomic_fetch_add(&tcp_threads.nparked, 1, __ATOMIC_SEQ_CST);
		futex_wake_all(&tcp_threads.nparked);
	}
	for (;;) {
		int r = tcp_threads.released;
		if (r - epoch >= 0)
			break;
		r_futex(&tcp_threads.released, FUTEX_WAIT_PRIVATE, r, 0);
	}
	/* A restored thread registered its rseq in tcp_thread_after_restore. */
	if (rseq_paused && !restored)
		tcp_rseq_register(&rs);
	return restored;
}

/* The leader's signal carries the checkpoint's number and the slot this
 * thread records itself in. */
static int stop_value(int epoch, int idx)
{
	return ((epoch & 0xffff) << 16) | idx;
}

/* The handler of TCP_THREAD_SIGNAL. One of ours that comes late (the
 * checkpoint it was for is over) is dropped; the exit signal of a forked
 * writer is judged (writer_child.c); one from anyone else goes to the
 * app's own handler, if it installed one. */
void tcp_thread_signal_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	if (si->si_code >= CLD_EXITED && si->si_code <= CLD_DUMPED && tcp_writer_ended(si))
		; /* only the kernel sends these codes: our writer's exit signal */
	else if (si->si_code == SI_QUEUE && si->si_pid == r_getpid() && si->si_uid == (uid_t)r_getuid()) {
		int epoch = tcp_threads.epoch, v = si->si_value.sival_int, idx = v & 0xffff;
		if (tcp_threads.leader && v == stop_value(epoch, idx) && idx > 0 && idx < TCP_MAX_THREADS)
			park(ucv, idx, epoch);
	} else {
		tcp_chain_app_handler(sig, si, ucv);
	}
	errno = saved_errno;
}

/* A trigger arrived in this thread while another one is taking a
 * checkpoint: become one of its stopped threads (the leader's signal is
 * blocked in this handler, so let it in here), then take our own. */
void tcp_quiesce_lead_or_wait(void)
{
	uint64_t set = 1ull << (TCP_THREAD_SIGNAL - 1);
	while (!tcp_quiesce_lead()) {
		int leader = tcp_threads.leader;
		r_rt_sigprocmask(1 /* SIG_UNBLOCK */, &set, 0);
		if (leader)
			futex_wait_ms(&tcp_threads.leader, leader, 5);
		r_rt_sigprocmask(0 /* SIG_BLOCK */, &set, 0);
	}
}

/* Has the thread given slot `idx` recorded itself (its resume context is
 * the last thing it saves)? */
static int is_parked(int idx)
{
	return tcp_threads.slots[idx].ctx[7] != 0;
}

static char task_state(int tid)
{
	char path[64], buf[512];
	path_append_num(path, sizeof(path), "/proc/self/task/", tid, "/stat");
	long n = read_whole(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = buf;
	for (long i = 0; i < n; i++)
		if (buf[i] == ')')
			p = buf + i;
	return p[1] == ' ' ? p[2] : '?';
}

struct stop_list {
	int *tids;	/* threads signalled in this checkpoint; tids[i] has slot i + 1 */
	int n, cap;
};

/* rt_tgsigqueueinfo: a signal with a value, to one thread. */
static long send_stop(int pid, int tid, int value)
{
	siginfo_t si;
	f_memset(&si, 0, sizeof(si));
	si.si_signo = TCP_THREAD_SIGNAL;
	si.si_code = SI_QUEUE;
	si.si_pid = pid;
	si.si_uid = (uid_t)r_getuid();
	si.si_value.sival_int = value;
	return r_rt_tgsigqueueinfo(pid, tid, TCP_THREAD_SIGNAL, &si);
}

/* Signals every thread in /proc/self/task not signalled yet; returns how
 * many were new, or -1 (message in d->err). */
static int signal_new_threads(struct dump_ctx *d, struct stop_list *l, int me, int pid)
{
	long fd = r_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		fb_puts(&d->err, "cannot list the threads in /proc/self/task: ");
		fb_puts(&d->err, tcp_strerror(fd));
		return -1;
	}
	int added = 0;
	for (;;) {
		long n = r_getdents64((int)fd, d->dents, 65536);
		if (n <= 0)
			break;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(d->dents + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int tid = 0;
			for (const char *c = e->d_name; *c; c++)
				tid = tid * 10 + (*c - '0');
			if (tid == me)
				continue;
			int seen = 0;
			for (int i = 0; i < l->n && !seen; i++)
				seen = l->tids[i] == tid;
			if (seen)
				continue;
			if (tid == pid && task_state(tid) == 'Z') {
				fb_puts(&d->err, "the main thread has exited (pthread_exit in main) while others run on; "
						 "such a process cannot be checkpointed");
				r_close((int)fd);
				return -1;
			}
			if (l->n == l->cap) {
				fb_puts(&d->err, "the process has more than ");
				fb_puti(&d->err, TCP_MAX_THREADS);
				fb_puts(&d->err, " threads, more than tcp can checkpoint");
				r_close((int)fd);
				return -1;
			}
			int idx = l->n + 1;
			f_memset(&tcp_threads.slots[idx], 0, sizeof(tcp_threads.slots[idx]));
			if (send_stop(pid, tid, stop_value(tcp_threads.epoch, idx)) == 0) {
				l->tids[l->n++] = tid;
				tcp_threads.nslots = l->n + 1;
				added++;
			}
		}
	}
	r_close((int)fd);
	return added;
}

/* Signalled threads that are neither parked nor gone yet. */
static int count_running(struct stop_list *l, int pid, int *example)
{
	int running = 0;
	for (int i = 0; i < l->n; i++) {
		int tid = l->tids[i];
		if (!tid || is_parked(i + 1))
			continue;
		if (r_tgkill(pid, tid, 0) == -3 /* ESRCH: it exited */) {
			l->tids[i] = 0;
			continue;
		}
		running++;
		*example = tid;
	}
	return running;
}

int tcp_quiesce_others(struct dump_ctx *d)
{
	int me = (int)r_gettid(), pid = (int)r_getpid();
	struct stop_list l = { arena_alloc(d, TCP_MAX_THREADS * sizeof(int)), 0, TCP_MAX_THREADS - 1 };
	if (!l.tids) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	tcp_threads.nparked = 0;
	tcp_threads.nresumed = 0;
	tcp_threads.nslots = 1; /* slot 0 is the leader's */
	__atomic_fetch_add(&tcp_threads.epoch, 1, __ATOMIC_SEQ_CST);
	uint64_t deadline = now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		int added = signal_new_threads(d, &l, me, pid);
		if (added < 0)
			return -1;
		int example = 0;
		int running;
		while ((running = count_running(&l, pid, &example)) > 0) {
			if (now_ms() > deadline) {
				fb_puts(&d->err, "thread ");
				fb_puti(&d->err, example);
				fb_puts(&d->err, " did not stop within 10 s (state ");
				char st[2] = { task_state(example), 0 };
				fb_puts(&d->err, st[0] ? st : "?");
				fb_puts(&d->err, "); it may block signal ");
				fb_puti(&d->err, TCP_THREAD_SIGNAL);
				fb_puts(&d->err, " with a raw system call or sit in an uninterruptible wait");
				return -1;
			}
			int seen = tcp_threads.nparked;
			futex_wait_ms(&tcp_threads.nparked, seen, 2);
		}
		/* Parked threads create none; a full scan with nothing new ends it. */
		if (added == 0)
			return 0;
	}
}

void tcp_quiesce_release(void)
{
	__atomic_store_n(&tcp_threads.released, tcp_threads.epoch, __ATOMIC_SEQ_CST);
	futex_wake_all(&tcp_threads.released);
	__atomic_store_n(&tcp_threads.leader, 0, __ATOMIC_SEQ_CST);
}

/* The leader, after a restore: every other thread must be back in libtcp
 * (out of the restorer's code) before the restorer is unmapped. */
int tcp_quiesce_wait_restored(int nthreads)
{
	uint64_t deadline = now_ms() + STOP_TIMEOUT_MS;
	for (;;) {
		int n = tcp_threads.nresumed;
		if (n >= nthreads - 1)
			return 0;
		if (now_ms() > deadline)
			return -1;
		futex_wait_ms(&tcp_threads.nresumed, n, 2);
	}
}
