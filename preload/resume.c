/* Back in the app after a restore, still inside the trigger handler with
 * every signal blocked: make glibc and the kernel agree again (new tid,
 * clear-child-tid, robust list, rseq), re-arm what the kernel forgot
 * (alternate stack, interval timers, pending signals), and unmap what is
 * left of the restorer. Then the handler returns and sigreturn resumes the
 * app with its exact registers (DESIGN §4, stage 3). */
#include "internal.h"
#include "dir_lock.h"
#include "written_files.h"
#include "tree/exec_wrap.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <fcntl.h>

/* Every thread, in its new kernel thread: what the kernel keeps per thread. */
void tcp_thread_after_restore(const struct tcp_thread *t)
{
	int tid = (int)r_gettid();
	if (t->tid_addr) {
		*(volatile int *)t->tid_addr = tid;
		r_set_tid_address((void *)t->tid_addr);
	}
	if (t->robust_head)
		r_set_robust_list((void *)t->robust_head, t->robust_len);
	tcp_rseq_register(t);
	if (t->comm[0])
		r_prctl(15 /* PR_SET_NAME */, (long)t->comm, 0, 0, 0);
	/* Its CPUs and scheduling, where the program changed them. */
	uintptr_t at = (uintptr_t)t, slots = (uintptr_t)tcp_threads.slots;
	int slot = at > slots && at < slots + sizeof(tcp_threads.slots) ? (int)((at - slots) / sizeof(*t)) : 0;
	tcp_sched_apply(t, slot); /* the leader's record is a copy: slot 0 */
	if (t->altstack.sp || t->altstack.flags) {
		struct { uint64_t sp; int flags; uint64_t size; } ss = {
			t->altstack.sp, t->altstack.flags & ~1 /* SS_ONSTACK is a status, not a request */,
			t->altstack.size };
		r_sigaltstack(&ss, 0);
	}
	/* Signals pending at the checkpoint for this thread (and, in the main
	 * thread, the process's it recorded): queued again with their siginfo
	 * (blocked now, they wait for the mask the thread returns to). */
	tcp_pending_raise_thread(t, tid);
}

/* The directory's lock did not come along (its fd is not in the image);
 * tcp-restore held it until the blob closed its fds: take it again. If
 * another program took it in between (a second copy of this image restored
 * at the same instant, which tcp-restore normally refuses), say so: this
 * copy's checkpoints fail while the other runs. */
static void relock_image_dir(void)
{
	char mem[512];
	struct fbuf why;
	tcp_dir_lock_forget();
	long dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0)
		return; /* made later, or on another node: the checkpoint takes it */
	int lock;
	/* Our own tcp-restore held it until the blob ran; its outer processes
	 * may not have closed their copies yet: wait for that (bounded). */
	for (int tries = 0;; tries++) {
		fb_init(&why, mem, sizeof(mem));
		lock = tcp_dir_lock((int)dirfd, tcp_status_pid(), &why);
		if (lock != TCP_LOCK_BUSY || tcp_dir_lock_last_holder() != tcp_slot.status_id || !tcp_slot.status_id ||
		    tries == 500)
			break;
		struct { long sec, nsec; } ts = { 0, 10000000 };
		rsys2(__NR_nanosleep, (long)&ts, 0);
	}
	r_close((int)dirfd);
	if (lock == TCP_LOCK_BUSY) {
		TCP_MSG(m);
		fb_puts(&m, "warning: after the restore, TCP_DIR ");
		fb_puts(&m, tcp_cfg.dir);
		fb_puts(&m, ": ");
		fb_puts(&m, mem);
		fb_puts(&m, ". If that is this same run restored twice, both copies write the same output files: "
			    "stop one of them");
		tcp_emit(&m);
	}
}

/* The leader (the thread that took the checkpoint): its own thread state,
 * then what belongs to the process. */
void tcp_after_restore(const struct tcp_resume_info *info)
{
	/* A member of a process tree stays one; only the root takes
	 * checkpoints, reports and holds the directory's lock. */
	int root = info->root;
	tcp_role_after_restore(root); /* the root again (maybe under another pid), or its member */
	tcp_carry_after_restore(); /* the children's environments name it so */
	tcp_sched_note_start(); /* what tcp-restore gave us, before our threads change theirs */
	tcp_thread_after_restore(&info->thread);
	for (int i = 0; i < 3; i++) {
		const struct tcp_itimer *it = &info->itimers[i];
		if (it->value_sec || it->value_usec) {
			long v[4] = { it->interval_sec, it->interval_usec, it->value_sec, it->value_usec };
			r_setitimer(i, v, 0);
		}
	}
	/* Signals sent to the process that no main thread recorded: to the
	 * process again, so that whichever thread does not block them takes
	 * them, as it would have. */
	tcp_pending_raise_process(info->pending);
	if (tcp_apply_job_env((const char *)tcp_slot.env_addr, tcp_slot.env_len) < 0) {
		TCP_MSG(m);
		fb_puts(&m, "warning: the new job's environment variables did not fit; the program keeps its old ones");
		tcp_emit(&m);
	}
	tcp_writer_forget(); /* the original process's writers are not our children */
	if (root) {
		tcp_status_after_restore();
		relock_image_dir();
		tcp_finish_track();
		tcp_retry_forget(); /* its timer did not come along; the image is written */
		if (tcp_cfg.interval && tcp_periodic_start() < 0) {
			TCP_MSG(m);
			fb_puts(&m, "warning: cannot create the TCP_INTERVAL timer again; no more periodic checkpoints");
			tcp_emit(&m);
		}
	}
	/* The other threads left the restorer's code last: unmap it once all
	 * of them are back, then let them go. */
	if (tcp_quiesce_wait_restored(info->nthreads) < 0) {
		TCP_MSG(m);
		fb_puts(&m, "warning: not every thread came back within 10 s after the restore; the restorer stays mapped");
		tcp_emit(&m);
	} else if (tcp_slot.blob_addr) {
		r_munmap((void *)tcp_slot.blob_addr, tcp_slot.blob_len);
	}
	tcp_sched_report(&info->thread, tcp_threads.slots, tcp_threads.nslots);
	tcp_slot.blob_addr = 0;
	tcp_mlock_future_after_restore();
	tcp_quiesce_release();
	if (tcp_cfg.log >= 1 && root) {
		TCP_MSG(m);
		fb_puts(&m, "restored; the program continues as pid ");
		fb_puti(&m, r_getpid());
		tcp_emit(&m);
	}
}
