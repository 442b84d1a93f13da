/* The dump: everything here runs inside the trigger handler while the app
 * is stopped, so it uses raw system calls and the scratch arena only (no
 * malloc, no stdio, no locks). */
#ifndef TCP_DUMP_H
#define TCP_DUMP_H

#include <signal.h>
#include <sys/stat.h>
#include <stdint.h>
#include "internal.h"
#include "../image/writer.h"

struct dump_region {
	struct tcp_region rec;
	const char *path;	/* NUL-terminated, inside the maps text */
	int store;		/* may hold pages that must go into the image */
};

struct dump_fd {
	struct tcp_fd rec;
	char path[TCP_PATH_MAX];
	/* Kind data captured while the app is stopped (pipe or socket queue,
	 * epoll items, ...), in the arena; written after the path. A DELETED or
	 * MEMFD file's content is read from the file after it (file_len bytes),
	 * then the locks. rec.content_len covers all three. */
	const void *data;
	uint64_t data_len;
	uint64_t file_len;
	struct tcp_fd_lock *locks;
};

/* A shared memory object (memfd, /dev/shm file, shared anonymous memory,
 * SysV segment) found in the maps or among the fds: stored once, as an SHM
 * section, by dump_write_shm. */
struct dump_shm {
	struct tcp_shm rec;
	char name[256 + 16];	/* memfd name or /dev/shm path */
	long fd;		/* an fd of the app on it, or -1 */
	long nmaps;		/* mappings (vmas) of it in maps */
	/* dump_shm_snapshot: its extents, their addresses and bytes, copied
	 * in the pause into a private mapping of their own (0: none) */
	char *snap;
	uint64_t snap_len, snap_n, snap_bytes;
};

/* What describe() learnt about an fd, handed to the per-kind functions. */
struct fd_probe {
	long fd;
	const struct stat *st;
	const char *fdinfo;	/* the /proc/self/fdinfo/N text */
	long fdinfo_len;
};

struct dump_ctx {
	/* scratch arena: one anonymous mapping, left out of the image */
	char *arena;
	uint64_t arena_len, used;
	char *maps;		/* /proc/self/smaps, read in the pause */
	uint64_t maps_len;
	int no_vmflags;		/* too many mappings: maps was read, without VmFlags */
	struct dump_region *regions;
	uint64_t nregions;
	int regions_scanned;	/* dump_scan_memory ran (it parses d->maps in place: once): 1 ok, -1 failed */
	uint64_t expect_bytes;	/* about the memory the writer goes through (progress); 0: unknown */
	struct dump_fd *fds;
	uint64_t nfds;
	struct dump_shm *shms;	/* dump_scan_shm */
	uint64_t nshms;
	uint64_t nshms_stored;	/* those whose content this image holds (a tree: not another process's) */
	uint64_t *pagemap;	/* PAGEMAP_BATCH entries */
	struct tcp_run *runs;	/* RUNS_PER_SECTION */
	char *bounce;		/* BOUNCE_LEN */
	int mem_fd;		/* forked writer: /proc/self/mem, pages are read through it; else -1 */
	char *window;		/* with mem_fd: WINDOW_LEN, pages whose content is looked at */
	char *stage;		/* STAGE_LEN + 2 pages, page aligned: the writer's output buffer */
	char *dents;		/* 64 KiB for getdents64 */
	struct tcp_process *proc;
	uint64_t stack_lo, stack_hi; /* this thread's stack: copied, not written in place */
	int sig;
	ucontext_t *uc;
	struct tcp_thread *threads;	/* tcp_threads.slots; [0] is this thread; */
	int nslots;			/* some may be empty: tcp_thread_valid() */
	int nthreads;			/* stopped threads, this one included */
	int child_only;		/* refused only because of a live child process: worth asking again */
	int tree;		/* a process-tree checkpoint (tree/): DUMP_TREE_ROOT or DUMP_TREE_MEMBER, else 0 */
	long gen;		/* with tree: the generation the whole tree writes */
	int tree_procs;		/* with tree: processes in it (zombies too) */
	uint64_t image_size, image_id[2], process_sum;	/* the image written: what a tree's root checks */
	struct dump_fd *written;	/* files written and closed (written_files.c) */
	uint64_t nwritten;
	/* sock_flight.c: the queues of the connected UNIX sockets, peeked
	 * first, with the fds in flight placed at [flight_lo, flight_hi) */
	struct dump_flight *flights;
	uint64_t nflights, flights_cap;
	int flight_lo, flight_hi, flight_taken;
	char *flight_diag;
	struct fbuf err;	/* why the checkpoint failed */
	char err_mem[1024];
};

/* The receive queue of one connected UNIX socket, as sock_peek_queue()
 * recorded it (or why it could not); the fds in flight in it are the fds
 * [first, end). */
struct dump_flight {
	int fd;
	uint64_t ino;
	const void *data;
	uint64_t len;
	uint32_t nmsgs;
	const char *why;
	int first, end;
};

/* sock_flight.c. Takes the fds in flight in this process's sockets (once
 * per checkpoint; 0 or -1 with d->err); the recorded queue of socket fd
 * `fd` (inode ino), or 0; the socket fd whose queue holds fd `fd` in
 * flight, or -1; closes the fds taken (before the program goes on). */
int dump_sock_flight_take(struct dump_ctx *d);
const struct dump_flight *dump_sock_flight_of(const struct dump_ctx *d, long fd, uint64_t ino);
int dump_sock_flight_carrier(const struct dump_ctx *d, long fd);
void dump_sock_flight_close(struct dump_ctx *d);

#define DUMP_TREE_ROOT 1
#define DUMP_TREE_MEMBER 2

#define PAGEMAP_BATCH 65536
#define RUNS_PER_SECTION 8192
#define BOUNCE_LEN (1u << 20)
#define WINDOW_LEN (1u << 20)
#define STAGE_LEN (8u << 20)

void *arena_alloc(struct dump_ctx *d, uint64_t len);

/* Each returns 0, or -1 with a message in d->err. */
int dump_check_process(struct dump_ctx *d);
int dump_read_maps(struct dump_ctx *d);
int dump_scan_memory(struct dump_ctx *d);
/* fork_flags.c: MADV_WIPEONFORK and MADV_DONTFORK lifted for the forked
 * writer (set = 0) and set again in the app (set = 1). Returns 0 or -1. */
int dump_fork_flags(struct dump_ctx *d, int set);
int dump_scan_fds(struct dump_ctx *d);
int tcp_quiesce_others(struct dump_ctx *d);
int dump_fill_process(struct dump_ctx *d, struct tcp_process *p, uint32_t generation);
void dump_write_memory(struct dump_ctx *d, struct img_writer *w);
void dump_write_fds(struct dump_ctx *d, struct img_writer *w);
/* Shared memory (dump_shm.c). dump_scan_shm runs during the pause, after
 * dump_scan_fds and dump_read_maps: it finds every object. Their content is not copied on
 * write by a fork, so with any object the image is written by the paused
 * process itself. dump_shm_index finds a mapping's object (-1: none). */
int dump_scan_shm(struct dump_ctx *d);
long dump_shm_index(struct dump_ctx *d, int type, uint32_t major, uint32_t minor, uint64_t inode);
void dump_write_shm(struct dump_ctx *d, struct img_writer *w);
/* In the pause: copies what the image stores of every shared memory object
 * (at most `limit` bytes of objects in all) into private mappings, so that
 * a forked writer can write the image while the program runs on (shared
 * memory is not copied on write). 0, or -1 (nothing kept: the paused
 * program writes its image itself). dump_shm_snapshot_drop frees them. */
int dump_shm_snapshot(struct dump_ctx *d, uint64_t limit);
void dump_shm_snapshot_drop(struct dump_ctx *d);
int dump_fd_refuse(struct dump_ctx *d, long fd, const char *what, const char *why);
/* getcwd into out (TCP_PATH_MAX bytes), or -1 with a message that names
 * the directory even when its path is too long to read (dump_process.c). */
int dump_read_cwd(struct dump_ctx *d, char *out, size_t cap);

/* Per-kind fd functions (dump_fd_*.c): each fills out->rec.kind and out->rec.u
 * (and out->data) or refuses with a message. The *_finish ones run once all
 * fds are known, to check what needs every fd (both ends of a pipe present,
 * epoll targets, socket peers). All return 0 or -1. */
int dump_fd_pipe(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
int dump_fd_pipes_finish(struct dump_ctx *d);
/* dump_fd_pty.c: 1 for a pty master (/dev/ptmx), 2 for a slave, else 0. */
int dump_fd_pty_kind(const struct stat *st);
int dump_fd_pty(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
/* Slaves whose master is neither here nor in the tree: the user's terminal. */
int dump_fd_ptys_finish(struct dump_ctx *d);
int dump_fd_anon(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
int dump_fd_anon_finish(struct dump_ctx *d);
int dump_fd_socket(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
int dump_fd_sockets_finish(struct dump_ctx *d);
/* dump_fd_tcp_pair.c: a connected TCP socket whose other end a process of
 * the tree holds: role TCP_SOCK_TREE_PAIR with its receive queue. Returns
 * 0, -1 (refused), or 1: not such a connection. */
int dump_tcp_tree_pair(struct dump_ctx *d, int fd, struct dump_fd *out);
/* dump_fd_dgram.c: datagrams waiting on an unconnected UNIX socket, taken
 * with their senders' addresses, or refused; the senders of a single
 * process checked once every fd is known (from dump_fd_sockets_finish). */
int dump_dgram_queue(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out, uint32_t rqueue);
int dump_dgram_senders_finish(struct dump_ctx *d);
/* The TCP options of a TCP socket into its record. */
void dump_tcp_options(int fd, struct tcp_fd_socket *s);
/* Sends what Nagle or TCP_CORK hold back in this process's TCP send
 * queues (a process of a tree, stopped, before it says so). */
void dump_tcp_push_all(void);
int dump_fd_inotify(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
int dump_fd_memfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
int dump_fd_locks(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);
/* dump_fd_identity.c: out->rec.owner (owner, device number, a regular
 * file's content fingerprint), once out->rec.kind is known. Cannot fail:
 * what it cannot take stays 0 (a restore is then stricter). */
void dump_fd_identity(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out);

/* Small helpers over raw syscalls. */
long read_whole(const char *path, char *buf, uint64_t cap);
int path_append_num(char *buf, size_t cap, const char *prefix, long n, const char *suffix);
uint64_t now_ms(void);	/* CLOCK_MONOTONIC in ms */

#endif
