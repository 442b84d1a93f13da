/* State shared by the parts of libtcp.so. */
#ifndef TCP_PRELOAD_INTERNAL_H
#define TCP_PRELOAD_INTERNAL_H

#include <signal.h>
#include <stdint.h>
#include "config.h"
#include "../common/fstr.h"
#include "../image/format.h"

extern struct tcp_config tcp_cfg;
extern struct tcp_resume_slot tcp_slot;
extern int tcp_active;		/* configuration valid, handlers installed */
extern long tcp_tid_offset;	/* offset of the tid in glibc's struct pthread, -1 if unknown */
extern char tcp_prog[128];	/* program name used for image file names */
/* The run: drawn when the program first starts, kept across restores (it
 * is in libtcp's memory, which the image holds); in every image (run_id). */
extern uint64_t tcp_run_id;
/* checkpoint.c: the processes of the last checkpoint taken (1 without a
 * tree), set before the state is read, so that the restored root sees the
 * same: the handler runs the app's own one only after a single process's. */
extern int tcp_ck_processes;
/* writer_child.c: the forked writer of the last checkpoint (0 if none),
 * reaped and judged by the program: one that died without its own report
 * is reported in its place (stderr, status file), its files removed. */
extern long tcp_writer_pid;
long tcp_writer_clone(void);	/* the writer's pid, 0 in the writer, or -errno */
/* 1 while that writer still runs (block: wait for it to end first, then 0). */
int tcp_writer_busy(int block);
/* Waits for writer `pid` (the stop signal's): 0 if its image was written. */
int tcp_writer_wait(long pid);
/* TCP_THREAD_SIGNAL with a CLD_* code: if a writer has ended, judges it
 * and returns 1; 0 if the signal is about a child of the program's own. */
int tcp_writer_ended(const siginfo_t *si);
/* After a restore: the writers were the original process's children. */
void tcp_writer_forget(void);
/* The temporary name of the image that writer `pid` writes in TCP_DIR. */
/* The temporary names of the image and of `latest` for the checkpoint
 * being taken (random; chosen before the writer is forked). */
void tcp_image_tmp_choose(void);
/* The same for another image (a member of a process tree: its own name). */
void tcp_image_tmp_choose_named(const char *what, uint64_t run);
const char *tcp_image_tmp(void);
const char *tcp_latest_tmp(void);

/* TCP_CK_RETRY: refused only because the process had a live child process
 * (worth asking again once it is gone, see retry.c). */
enum tcp_ck_result { TCP_CK_WRITTEN, TCP_CK_FAILED, TCP_CK_RESTORED, TCP_CK_RETRY };

/* checkpoint.c: takes a checkpoint from inside the trigger handler. */
enum tcp_ck_result tcp_checkpoint(int sig, ucontext_t *uc);

struct tcp_resume_info {
	int root;			/* the process that takes the checkpoints (not a member of its tree) */
	struct tcp_thread thread;	/* the leader's */
	int nthreads;
	struct tcp_itimer itimers[3];
	uint64_t pending;
};

/* resume.c: per-thread and process fixups after a restore. */
void tcp_after_restore(const struct tcp_resume_info *info);
void tcp_thread_after_restore(const struct tcp_thread *t);

/* quiesce.c: stopping the other threads around a checkpoint. The signal is
 * reserved: an app's handler for it only runs for signals others send. */
#define TCP_THREAD_SIGNAL TCP_RESERVED_SIGNAL
#define TCP_MAX_THREADS 1024
struct tcp_thread_table {
	volatile int leader;	/* tid of the thread taking a checkpoint, 0 if none */
	volatile int epoch;	/* number of the current or last checkpoint */
	volatile int released;	/* the last epoch whose threads may go on */
	volatile int nslots;	/* slots in use; slot 0 is the leader's. A slot whose
				 * thread exited before it stopped stays empty
				 * (tcp_thread_valid() is false) */
	volatile int nparked;	/* threads stopped (futex word) */
	volatile int nresumed;	/* after a restore: threads done with their fixups */
	struct tcp_thread slots[TCP_MAX_THREADS];
};
extern struct tcp_thread_table tcp_threads;
int tcp_quiesce_lead(void);
void tcp_quiesce_lead_or_wait(void);
void tcp_thread_signal_handler(int sig, siginfo_t *si, void *uc);
void tcp_fill_thread(struct tcp_thread *t, ucontext_t *uc);
void tcp_quiesce_release(void);
int tcp_quiesce_wait_restored(int nthreads);
/* A slot holding a stopped thread (its resume context is saved last). */
static inline int tcp_thread_valid(const struct tcp_thread *t) { return t->ctx[7] != 0; }

/* pending_signals.c: signals pending at a checkpoint, with their siginfo.
 * tcp_pending_reset before the threads stop; tcp_pending_take in each
 * stopped thread; after a restore, tcp_pending_raise_thread in each thread
 * and tcp_pending_raise_process in the one that took the checkpoint. */
#define TCP_PENDING_UNKNOWN (~0ull) /* t->pending when /proc could not tell */
#define TCP_PENDING_RECORDS 4096    /* queued signals kept with their siginfo; more fail the checkpoint */
void tcp_pending_reset(void);
int tcp_pending_take(struct tcp_thread *t, uint64_t *process_pending);
int tcp_pending_overflowed(void);
void tcp_pending_raise_thread(const struct tcp_thread *t, int tid);
void tcp_pending_raise_process(uint64_t numbers);
/* Forgets the recorded instances of `sig` that drop() selects (a tree's
 * stop checkpoint: tree/member_stop.c), before the image is taken. */
void tcp_pending_drop(int sig, int (*drop)(const siginfo_t *si, void *arg), void *arg, struct tcp_thread *threads,
		      int nslots, uint64_t *process_pending);

/* scratch_map.c, mlock_future.c: the program's mlockall(MCL_FUTURE)
 * (with MCL_ONFAULT if asked; 0 if none), which libtcp's own memory
 * escapes and a restore applies again. */
extern int tcp_mlock_future;
void *tcp_scratch_map(size_t len); /* the address, or a negative errno like r_mmap */
void tcp_mlock_future_after_restore(void);

/* status.c: the outcome of each checkpoint, for tcp-ckpt */
void tcp_status_init(void);
/* The status directory /tmp/tcp-UID, opened and checked (ours, private,
 * not a symlink), for other files of libtcp's there; -1 (said once). */
long tcp_status_dir_fd(void);
void tcp_status_begin(void);
void tcp_status_write(int ok, const char *text);
void tcp_status_forget(void);
void tcp_status_after_restore(void);
void tcp_status_disabled(const char *why);
long tcp_status_pid(void);	/* the pid users signal: ours, or our tcp-restore's */
void tcp_status_progress(uint64_t done, uint64_t total, uint64_t ms);

/* signal_timer.c: an interval timer sending `sig` marked with `magic`;
 * its id counts only in the process that created it (not in a fork). */
struct tcp_signal_timer { int id; long owner_pid; };
#define TCP_SIGNAL_TIMER_NONE { -1, 0 }
int tcp_signal_timer_start(struct tcp_signal_timer *t, int sig, int magic, long secs);
int tcp_signal_timer_id(const struct tcp_signal_timer *t);
void tcp_signal_timer_stop(struct tcp_signal_timer *t);

/* periodic.c: TCP_INTERVAL */
int tcp_periodic_start(void);
int tcp_periodic_timer_id(void);
int tcp_is_periodic(const siginfo_t *si);

/* retry.c: TCP_RETRY, asking again for a checkpoint refused because of a
 * live child process. All of them may run in the handler on any thread. */
int tcp_is_retry(const siginfo_t *si);
int tcp_retry_arm(int sig, const siginfo_t *si);
void tcp_retry_done(int sig);
void tcp_retry_tick(int sig, siginfo_t *si, ucontext_t *uc);
int tcp_retry_timer_id(void);
void tcp_retry_forget(void);
/* dump_check.c: whether a thread of the process has a child now (asked
 * without stopping the threads). */
int tcp_has_child(void);

/* sched_state.c: each thread's CPU affinity and scheduling. note_start
 * at start-up and in the restored leader, before any thread changes its
 * own; record in each stopping thread; apply in each restored thread (its
 * slot, 0 for the leader); report in the leader once all are back. */
void tcp_sched_note_start(void);
void tcp_sched_record(struct tcp_thread *t);
void tcp_sched_apply(const struct tcp_thread *t, int slot);
void tcp_sched_report(const struct tcp_thread *leader, const struct tcp_thread *slots, int nslots);

/* fsize_limit.c: a SIGXFSZ caused by the program's own image write (the
 * state before the write, then after it), and what to say about EFBIG. */
int tcp_xfsz_pending(void);
void tcp_xfsz_take_ours(int was_pending);
void tcp_fsize_hint(struct fbuf *b);

/* rseq.c */
int tcp_rseq_area(uint64_t *addr, uint32_t *len, uint32_t *sig);
int tcp_rseq_unregister(const struct tcp_thread *t);
void tcp_rseq_register(const struct tcp_thread *t);

/* job_env.c: the new job's variables into the restored environment */
int tcp_apply_job_env(const char *block, uint64_t len);
/* The batch job the program runs in now (tcp_process.job): the value of the
 * first of SLURM_JOB_ID, PBS_JOBID, LSB_JOBID, FLUX_JOB_ID that is set,
 * truncated to fit; "" outside a job. Reads environ only (no libc). */
void tcp_current_job(char *out, size_t cap);

/* sigwrap.c */
int tcp_install_handlers(int member);
/* In a process that is not the checkpoint root (tree/role.c): the
 * reserved signals get the program's own actions and mask back; the second
 * from one of our handlers, delivering `sig` again as the program set it. */
void tcp_hand_back_signals(void);
void tcp_hand_back_signal(int sig, siginfo_t *si, ucontext_t *uc);

/* finish.c: the process whose normal end marks DIR/finished (set at
 * start-up and after a restore, which may give it another pid). */
void tcp_finish_track(void);

/* inotify_paths.c: the path of each watch the app added (by wd), for the dump. */
void tcp_inotify_note(int wd, const char *path);
const char *tcp_inotify_path(int wd, uint64_t ino, uint64_t dev);
void tcp_chain_app_handler(int sig, siginfo_t *si, ucontext_t *uc);
int tcp_is_trigger(int sig);

/* backtrace.c: instruction addresses of the interrupted code, innermost first */
void tcp_backtrace_init(void);
void tcp_backtrace(ucontext_t *uc, uint64_t *frames, uint32_t *nframes, uint32_t max);
void tcp_backtraces(struct tcp_thread *threads, int n);

/* glibc_thread.c */
long tcp_find_tid_offset(void);

/* ctx_save.S: saves the callee-saved registers, stack pointer and return
 * address into ctx[8]; returns 0, and 1 when the restorer jumps back. */
int tcp_ctx_save(uint64_t ctx[8]) __attribute__((returns_twice));

/* log.c: messages on stderr, prefixed "tcp: ", async-signal-safe. */
void tcp_emit(struct fbuf *b);
#define TCP_MSG(name) char name##_mem[1024]; struct fbuf name; fb_init(&name, name##_mem, sizeof(name##_mem)); fb_puts(&name, "tcp: ")
const char *tcp_strerror(long negerr);
const char *tcp_signal_name(int sig);	/* "SIGSEGV", or "signal N" */

#endif
