/* The trigger signal handler: checkpoint, then what the signal means.
 *
 * Checkpoint signal: checkpoint, then the app's own handler (if any) runs,
 * both in the original process and in a restored one (a restore resumes at
 * the instant of the checkpoint, so it replays what followed it); after a
 * checkpoint of a process tree it does not: the signal asked for the whole
 * job's checkpoint, and a launcher's handler would forward it to processes
 * that have just been checkpointed. After a refused checkpoint it runs, tree
 * or not: a signal libtcp could not turn into a checkpoint keeps the
 * meaning it has without libtcp (for mpirun: its ranks get SIGUSR1).
 * Periodic checkpoints (TCP_INTERVAL) and retries (TCP_RETRY) come from our
 * own timers: no app handler runs for them.
 * Stop signal: checkpoint and exit 85 without running the app's handler: the
 * app is being suspended, not ended; its future runs after the restore. If
 * the checkpoint fails, the app keeps running (exiting would lose its work)
 * and its own handler, if any, runs as it would without tcp.
 * A checkpoint refused only because of a live child process is tried again
 * (retry.c); for the stop signal the app's handler waits for that outcome. */
#include "handler.h"
#include "internal.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <errno.h>

void tcp_trigger_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;

	/* Not the checkpoint root (a child forked without fork handlers): the
	 * signal means what the program made it mean. */
	if (!tcp_role_is_root()) {
		tcp_hand_back_signal(sig, si, uc);
		errno = saved_errno;
		return;
	}
	if (tcp_is_retry(si)) {
		tcp_retry_tick(sig, si, uc);
		errno = saved_errno;
		return;
	}
	int periodic = sig != tcp_cfg.stop_signal && tcp_is_periodic(si);
	enum tcp_ck_result r = tcp_checkpoint(sig, uc);
	if (r == TCP_CK_WRITTEN)
		tcp_retry_done(sig);
	/* A periodic checkpoint needs no retry: the next period comes anyway. */
	if (r == TCP_CK_RETRY && (periodic || !tcp_retry_arm(sig, si)))
		r = TCP_CK_FAILED;

	if (sig == tcp_cfg.stop_signal) {
		if (r == TCP_CK_WRITTEN)
			r_exit_group(TCP_EXIT_CHECKPOINTED);
		if (r == TCP_CK_FAILED) {
			tcp_retry_done(sig); /* a pending retry of an earlier stop signal would chain it twice */
			TCP_MSG(m);
			fb_puts(&m, "the stop signal did not stop the program, because its checkpoint failed");
			tcp_emit(&m);
			tcp_chain_app_handler(sig, si, uc);
		}
	} else if (!periodic && (r == TCP_CK_FAILED || tcp_ck_processes == 1)) {
		/* The app's handler is for signals someone sent; not after a
		 * checkpoint of a whole tree, whose root would pass the signal on
		 * (mpirun forwards SIGUSR1 to its ranks, which it ends). */
		tcp_chain_app_handler(sig, si, uc);
	}
	errno = saved_errno;
}
