/* TCP_RETRY: a checkpoint refused only because of a child process that
 * cannot be checkpointed (one without libtcp, e.g. a static tool that a
 * system() or popen() runs at the wrong moment) is asked for again. A POSIX
 * timer of the process re-sends the same trigger signal every second, marked
 * so that the handler knows it is a retry (no app handler runs for it),
 * until the checkpoint is written or TCP_RETRY seconds have passed. A tick
 * first looks for such processes in the tree without stopping anything
 * (tree_has_outsider), so waiting is quiet and cheap; only when none is
 * left is a checkpoint tried (children with libtcp come along in it).
 *
 * One retry at most is pending: a new trigger meanwhile creates no second
 * timer, except that the stop signal replaces a pending checkpoint-signal
 * retry (its image and exit cover both). After a refused stop signal the
 * app's handler is not called while the retry is pending (the program is
 * being suspended); it is if the retry gives up.
 *
 * Runs in the trigger handler, on any thread (with every signal blocked):
 * raw syscalls only. A small spin lock keeps two threads from arming or
 * ending the retry at once; it is never held across a checkpoint, so no
 * stopped thread can hold it. The kernel timer does not survive a restore:
 * tcp_retry_forget() drops the state there. */
#include "dump.h"
#include "tree/discover.h"
#include "../common/rawsys.h"

#include <signal.h>

#define TCP_RETRY_MAGIC 0x74637052 /* "tcpR" */

static volatile int lock_word;
static struct tcp_signal_timer timer = TCP_SIGNAL_TIMER_NONE;
static int pending_sig;		/* the signal being asked for again, 0 if none */
static uint64_t started_ms;	/* when it was first refused */
static int tries;		/* ticks so far */
static siginfo_t stop_si;	/* the stop signal as delivered: for the app's handler if we give up */

static void lock(void)
{
	while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
		rsys0(__NR_sched_yield);
}

static void unlock(void)
{
	__atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
}

/* Under the lock. */
static void drop_timer(void)
{
	tcp_signal_timer_stop(&timer);
	pending_sig = 0;
}

/* Under the lock: a 1 s interval timer sending `sig`. */
static int create_timer(int sig)
{
	return tcp_signal_timer_start(&timer, sig, TCP_RETRY_MAGIC, 1);
}

/* Under the lock: a child the app forked inherits our state, not the timer. */
static void forget_if_inherited(void)
{
	if (timer.id >= 0 && tcp_signal_timer_id(&timer) < 0) {
		timer.id = -1;
		pending_sig = 0;
	}
}

int tcp_is_retry(const siginfo_t *si)
{
	return si && si->si_code == SI_TIMER && si->si_value.sival_int == TCP_RETRY_MAGIC;
}

int tcp_retry_timer_id(void)
{
	return tcp_signal_timer_id(&timer);
}

static const char *sig_word(int sig)
{
	return sig == tcp_cfg.stop_signal ? "stop-signal checkpoint" : "checkpoint";
}

/* After a trigger refused with TCP_CK_RETRY: returns 1 if a retry is now
 * pending that covers `sig`, 0 if not (TCP_RETRY=0, or no timer). */
int tcp_retry_arm(int sig, const siginfo_t *si)
{
	if (!tcp_cfg.retry)
		return 0;
	lock();
	forget_if_inherited();
	int covered = pending_sig && (pending_sig == sig || pending_sig == tcp_cfg.stop_signal);
	int ok = covered;
	if (!covered) {
		int upgrade = pending_sig != 0; /* the stop signal over a checkpoint-signal retry */
		drop_timer();
		started_ms = now_ms(); /* before the timer: its first tick sees a full second */
		if (create_timer(sig) == 0) {
			pending_sig = sig;
			tries = 0;
			if (sig == tcp_cfg.stop_signal && si)
				stop_si = *si;
			ok = 1;
		}
		unlock();
		TCP_MSG(m);
		if (ok) {
			fb_puts(&m, "the ");
			fb_puts(&m, sig_word(sig));
			fb_puts(&m, upgrade ? " (which replaces the pending checkpoint)" : "");
			fb_puts(&m, " will be tried again every second for up to ");
			fb_puti(&m, tcp_cfg.retry);
			fb_puts(&m, " s (TCP_RETRY), as soon as no process of its tree runs without libtcp (the child "
				    "process named above has ended)");
			if (sig == tcp_cfg.stop_signal)
				fb_puts(&m, "; the program runs on until then");
		} else {
			fb_puts(&m, "cannot create the timer to try the checkpoint again; it is lost: send the signal "
				    "again once the child process named above has ended");
		}
		tcp_emit(&m);
		return ok;
	}
	unlock();
	if (tcp_cfg.log >= 1) {
		TCP_MSG(m);
		fb_puts(&m, "a retry is already pending; the ");
		fb_puts(&m, sig_word(pending_sig));
		fb_puts(&m, " is tried again every second");
		tcp_emit(&m);
	}
	return ok;
}

/* A checkpoint caused by `sig` was written (or failed for good): a retry
 * of it is done. */
void tcp_retry_done(int sig)
{
	lock();
	forget_if_inherited();
	if (pending_sig == sig)
		drop_timer();
	unlock();
}

/* Under the lock, which it releases: the retry of `sig` ends without an
 * image. `child`: because a process of the tree without libtcp is still
 * there (else the last try
 * failed for another reason, which its report said, status file included). */
static void give_up(int sig, int child, ucontext_t *uc)
{
	siginfo_t si = stop_si;
	uint64_t secs = (now_ms() - started_ms) / 1000;
	drop_timer();
	unlock();
	TCP_MSG(m);
	fb_puts(&m, "gave up the ");
	fb_puts(&m, sig_word(sig));
	fb_puts(&m, " after ");
	fb_putu(&m, secs, 10, 0);
	fb_puts(&m, " s of retries: ");
	if (child)
		fb_puts(&m, "the process still has a live child process that cannot be checkpointed (one without "
			    "libtcp, named in the refusal above); no image was written for this signal: send it again once "
			    "that process has ended, or raise TCP_RETRY");
	else
		fb_puts(&m, "the last try failed for the reason above; no image was written for this signal");
	tcp_emit(&m);
	if (child) {
		tcp_status_begin();
		tcp_status_write(0, m_mem + 5 /* without "tcp: " */);
	}
	if (sig == tcp_cfg.stop_signal) {
		TCP_MSG(s);
		fb_puts(&s, "the stop signal did not stop the program, because its checkpoint failed");
		tcp_emit(&s);
		tcp_chain_app_handler(sig, &si, uc);
	}
}

/* A tick of the retry timer (the signal `sig`, marked as a retry). */
void tcp_retry_tick(int sig, siginfo_t *si, ucontext_t *uc)
{
	lock();
	/* A tick of a timer since replaced or deleted (its signal was queued
	 * already), or the app's own timer with our mark: not ours. */
	if (sig != pending_sig || si->si_timerid != timer.id) {
		unlock();
		return;
	}
	tries++;
	int expired = now_ms() - started_ms >= (uint64_t)tcp_cfg.retry * 1000;
	unlock();
	/* A forked writer of an earlier checkpoint is a child too; it is reaped
	 * here once done. It is not what we wait for: it ends by itself. */
	if (tcp_writer_busy(0))
		return;
	if (tree_has_outsider()) {
		if (expired) {
			lock();
			if (sig == pending_sig)
				give_up(sig, 1, uc);
			else
				unlock();
		}
		return;
	}
	enum tcp_ck_result r = tcp_checkpoint(sig, uc);
	if (r == TCP_CK_RESTORED)
		return; /* in the restored process: tcp_after_restore forgot the retry */
	lock();
	if (sig != pending_sig) { /* replaced meanwhile by the stop signal (or done) */
		unlock();
		if (r == TCP_CK_WRITTEN && sig == tcp_cfg.stop_signal)
			r_exit_group(TCP_EXIT_CHECKPOINTED);
		return;
	}
	if (r == TCP_CK_WRITTEN) {
		int n = tries;
		uint64_t secs = (now_ms() - started_ms) / 1000;
		drop_timer();
		unlock();
		if (tcp_cfg.log >= 1) {
			TCP_MSG(m);
			fb_puts(&m, "the ");
			fb_puts(&m, sig_word(sig));
			fb_puts(&m, " was taken after ");
			fb_puti(&m, n);
			fb_puts(&m, n == 1 ? " retry (" : " retries (");
			fb_putu(&m, secs, 10, 0);
			fb_puts(&m, " s after it was refused), the child process that could not be checkpointed having "
				    "ended");
			tcp_emit(&m);
		}
		if (sig == tcp_cfg.stop_signal)
			r_exit_group(TCP_EXIT_CHECKPOINTED);
		return;
	}
	if (r == TCP_CK_RETRY && !expired) { /* a new child came first: next tick */
		unlock();
		return;
	}
	give_up(sig, r == TCP_CK_RETRY, uc);
}

void tcp_retry_forget(void)
{
	timer.id = -1;
	pending_sig = 0;
	lock_word = 0;
}
