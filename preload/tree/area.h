/* The coordination area of a process-tree checkpoint (DESIGN §8): a
 * memfd the root creates for one checkpoint and every process of the tree
 * maps (MAP_SHARED, found through /proc/ROOT/fd/N), never part of any
 * image. It holds the phase every process follows, one slot per process,
 * and the tables the root builds while the whole tree is stopped: which fds
 * of which processes are one open file description, and which process
 * stores each object they share. Futexes on it are shared (not private):
 * they work across processes. Raw syscalls only. */
#ifndef TCP_TREE_AREA_H
#define TCP_TREE_AREA_H

#include <stdint.h>
#include "../config.h"
#include "../../image/format.h"

#define TCP_TREE_SIGNAL 61	/* SIGRTMAX-3: the root asks a process of its tree to stop */
#define TREE_MAX_PROCS 256
#define TREE_MAX_FDS 32768	/* fds of every process of the tree together */
#define TREE_MAX_SHMS 4096	/* shared memory objects mapped or held, per process summed */
#define TREE_STOP_TIMEOUT_MS 10000

/* What every process does now (tree_area.phase). */
enum tree_phase {
	TREE_STOP = 1,		/* stop your threads and report PARKED */
	TREE_DUMP = 2,		/* read your state, start your writer, report CAPTURED or FAILED */
	TREE_RESUME = 3,	/* the tree's state is taken: go on */
	TREE_ABORT = 4,		/* the checkpoint failed: remove your image, go on */
	TREE_EXIT = 5,		/* the stop signal: every image is written, exit 85 */
	TREE_FLIGHT = 6,	/* every process is stopped: when flight_turn is your slot, take
				 * the fds in flight in your sockets' queues (sock_flight.c),
				 * report on nflight (or FAILED). One at a time: the peek offset
				 * of a socket several processes hold is the socket's */
};

/* Where one process is (tree_slot.state). */
enum tree_state {
	TS_SIGNALLED = 1,
	TS_PARKED = 2,
	TS_CAPTURED = 3,	/* its writer runs (or it wrote its image itself) */
	TS_FAILED = 4,		/* msg says why */
	TS_ZOMBIE = 5,		/* exited, not reaped: recorded, never signalled */
	TS_GONE = 6,		/* exited and reaped before it stopped: not part of the tree */
};

struct tree_slot {
	volatile int32_t state;	/* enum tree_state */
	int32_t pid, ppid, pgid, sid;
	int32_t exit_status;	/* zombies */
	int32_t pdeath_signal;	/* filled by the process itself */
	uint64_t net_ns;	/* its network namespace's inode, by itself (netns.c); 0 unknown */
	int32_t writer_pid;	/* its image's writer, while it writes */
	volatile int32_t written;	/* its image: 0 not yet, 1 complete (image_* filled), -1 failed (msg) */
	uint32_t flags;		/* TCP_TREEP_* */
	uint64_t start_time;	/* /proc/PID/stat field 22: a reused pid is another process */
	char comm[16];
	char image[TCP_PARENT_NAME_MAX];	/* the member's image name in the root's directory */
	uint64_t image_size, image_id[2], process_sum;
	char msg[640];		/* why it failed */
};

/* One fd of one process of the tree. */
struct tree_fd {
	int32_t pid, fd;
	uint64_t dev, ino;
	uint32_t mode;		/* st_mode */
	uint32_t flags;		/* open flags (fdinfo) */
	int32_t ofd;		/* index of the first fd of the tree on the same open file description */
	int32_t pty_master;	/* a /dev/ptmx fd: its pair's number + 1 (fdinfo tty-index); else 0 */
};

/* A shared memory object of the tree: stored by `owner` only. */
struct tree_shm {
	uint64_t dev, ino;	/* major << 32 | minor, as in /proc/PID/maps; inode */
	int32_t owner;		/* pid */
	int32_t nattach;	/* mappings and fds of it in the tree */
	int32_t type;		/* TCP_SHM_* */
	int32_t sysv_nattch;	/* System V: the kernel's count of its attachments while every
				 * process of the tree was stopped (tree_scan_objects); -1 unknown */
};

struct tree_area {
	volatile int32_t phase;		/* enum tree_phase: futex word */
	volatile int32_t nparked;	/* futex word: slots that reached PARKED (or failed) */
	volatile int32_t ncaptured;	/* futex word: slots done with TREE_DUMP */
	volatile int32_t nwritten;	/* futex word: members whose image is written (or failed) */
	volatile int32_t nflight;	/* futex word: members done with TREE_FLIGHT */
	volatile int32_t flight_turn;	/* futex word: the slot whose turn it is in TREE_FLIGHT */
	int32_t root_pid;
	int32_t nslots;
	int32_t nfds, nshms;
	uint32_t epoch;
	uint32_t generation;		/* of the images being written */
	int32_t stop;			/* 1: the stop signal's checkpoint (every process exits after it) */
	uint64_t run_id;
	uint64_t self_ino;		/* the area's own memfd (in every process's maps: not the program's) */
	struct tcp_config cfg;		/* the root's: every process writes with it */
	char prog[128];			/* the root's name for images */
	struct tree_slot slots[TREE_MAX_PROCS];
	struct tree_fd fds[TREE_MAX_FDS];
	struct tree_shm shms[TREE_MAX_SHMS];
};

#define TREE_AREA_LEN ((sizeof(struct tree_area) + 4095) & ~(uint64_t)4095)

/* The root: a new area (memfd mapped shared inside the checkpoint's
 * scratch arena, which no image holds and whose unmapping ends it), its fd
 * above every fd of the program. Returns the mapping or 0 (d->err). */
struct dump_ctx;
struct tree_area *tree_area_create(struct dump_ctx *d, int *fd);
/* A member: maps the area the root holds at fd `fd` likewise. 0 if it
 * cannot. */
struct tree_area *tree_area_attach(struct dump_ctx *d, int root_pid, int fd);
/* The slot of `pid`, or 0. */
struct tree_slot *tree_slot_of(struct tree_area *a, int pid);

/* Shared futexes on the area. */
void tree_wait(volatile int32_t *w, int32_t seen, long ms);
void tree_wake(volatile int32_t *w);
/* Moves everyone to `phase`. */
void tree_set_phase(struct tree_area *a, int phase);
/* Waits until the phase is no longer `phase`; returns the new one. */
int tree_wait_phase(struct tree_area *a, int phase);

/* The area this process takes part in during a checkpoint (0 otherwise). */
extern struct tree_area *tcp_tree;

/* objects.c, the root: the tables of fds and shared memory of the stopped
 * tree. 0 or -1 (d->err). */
int tree_scan_objects(struct dump_ctx *d, struct tree_area *a);
/* lead.c: an fd of libtcp's own in the root (the area's, the lock's). */
int tree_is_own_fd(int fd);

#endif
