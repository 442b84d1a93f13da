/* The small shared memory area through which the processes of a tree being
 * restored wait for each other (restore/tree/, and the blob): a memfd made
 * by the root's restorer before it creates the others, so every process
 * inherits it; the blob maps it inside its own mapping and unmaps it before
 * the program runs. Futexes on it are not private (the processes share no
 * address space). Header-only, raw system calls: the blob uses it too.
 *
 * Every change bumps `seq` and wakes whoever waits on it; a waiter checks
 * its condition, then `abort`, then sleeps on seq. A process of the tree
 * that dies without saying so (killed, out of memory) is noticed by the
 * waiters (pidfd, every second): the tree is aborted then too. */
#ifndef TCP_RESTORE_TREE_AREA_H
#define TCP_RESTORE_TREE_AREA_H

#include <stdint.h>
#include "../../common/rawsys.h"

/* The blob's barriers (restore/blob/tree_sync.c): every page of every
 * process checked; the directories of UNIX sockets made again; the names
 * and bindings of every process made; the connections made; the output
 * files cut back. */
enum { TREE_SYNC_READY, TREE_SYNC_DIRS, TREE_SYNC_PLACED, TREE_SYNC_CONNECTED, TREE_SYNC_COMMITTED, TREE_SYNCS };

enum tree_state {
	TREE_ST_UNBORN = 0,
	TREE_ST_ALIVE = 1,	/* created, restoring (watched) */
	TREE_ST_EXITED = 2,	/* a zombie that exited, as it should */
};

struct tree_area_proc {
	int32_t pid;
	volatile int state;		/* enum tree_state */
	volatile int group_ready;	/* its own process group exists (others may join it) */
	int32_t reserved;
};

struct tree_area {
	volatile int seq;
	volatile int abort;		/* a process failed: every process exits 1, nothing changed */
	volatile int reported;		/* the failure was said (once, by whoever saw it first) */
	volatile int dead_pid;		/* a process that ended without saying why */
	volatile int arrived[TREE_SYNCS];
	uint32_t nprocs;
	uint32_t nlive;			/* processes that run a blob (the zombies excepted) */
	struct tree_area_proc procs[];
};

static inline uint64_t tree_area_size(uint32_t nprocs)
{
	uint64_t n = sizeof(struct tree_area) + (uint64_t)nprocs * sizeof(struct tree_area_proc);
	return (n + 4095) & ~4095ull;
}

#define TREE_FUTEX_WAIT 0	/* FUTEX_WAIT, shared */
#define TREE_FUTEX_WAKE 1
#define TREE_ETIMEDOUT 110
#define TREE_ESRCH 3

static inline void tree_area_bump(struct tree_area *a)
{
	__atomic_add_fetch(&a->seq, 1, __ATOMIC_SEQ_CST);
	r_futex(&a->seq, TREE_FUTEX_WAKE, 0x7fffffff, 0);
}

/* A process that fails claims the report first (then says why), and
 * aborts the tree after: whoever finds the tree aborted and can still
 * claim the report knows that nobody said why (a process just ended). */
static inline int tree_area_claim(struct tree_area *a)
{
	return __atomic_exchange_n(&a->reported, 1, __ATOMIC_SEQ_CST) == 0;
}

static inline void tree_area_abort(struct tree_area *a)
{
	a->abort = 1;
	tree_area_bump(a);
}

/* Has process i ended (a pidfd reads as such, or it is gone)? */
static inline int tree_area_ended(const struct tree_area *a, uint32_t i)
{
	if (a->procs[i].state != TREE_ST_ALIVE)
		return 0;
	long fd = rsys2(434 /* pidfd_open */, a->procs[i].pid, 0);
	if (fd == -TREE_ESRCH)
		return 1;
	if (fd < 0)
		return 0;
	struct {
		int fd;
		short events, revents;
	} p = { (int)fd, 1 /* POLLIN */, 0 };
	long n = rsys3(7 /* poll */, (long)&p, 1, 0);
	r_close((int)fd);
	return n == 1 && (p.revents & 1);
}

/* Waits until done(a, arg); 0, or -1 if the tree was aborted (by another
 * process, or here because a process of it ended without saying so: then
 * a->dead_pid names it). */
static inline int tree_area_wait(struct tree_area *a, int (*done)(const struct tree_area *, long), long arg)
{
	for (;;) {
		int s = __atomic_load_n(&a->seq, __ATOMIC_SEQ_CST);
		if (done(a, arg))
			return 0;
		if (a->abort)
			return -1;
		struct {
			long sec, nsec;
		} second = { 1, 0 };
		long r = r_futex(&a->seq, TREE_FUTEX_WAIT, s, &second);
		if (r != -TREE_ETIMEDOUT)
			continue;
		for (uint32_t i = 0; i < a->nprocs; i++)
			if (tree_area_ended(a, i)) {
				if (done(a, arg))
					return 0;
				a->dead_pid = a->procs[i].pid;
				tree_area_abort(a);
				return -1;
			}
	}
}

#endif
