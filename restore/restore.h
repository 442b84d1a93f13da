/* The hosted stage of tcp-restore (DESIGN §4, stage 1): ordinary C that
 * validates everything and prepares the process before the blob takes
 * over. Every function returns 0, or -1 after printing a message that names
 * the thing at fault and what to do. */
#ifndef TCP_RESTORE_H
#define TCP_RESTORE_H

#include <stddef.h>
#include <stdint.h>
#include "../image/reader.h"

struct restore_opts {
	const char *image;	/* resolved image file */
	int verbose;
	int allow_changed_inputs;
	int allow_other_owner;
	int check_only;
	int no_namespace;	/* --no-namespace: restore in this process, new pid and tids */
	int lazy;		/* --lazy: map page data from the image (lazy.c) */
	long status_id;		/* pid whose status file the restored libtcp writes (the
				 * tcp-restore process that users and tcp-ckpt signal) */
	/* A process tree (restore/tree/): a PID namespace or nothing, an IPC
	 * namespace if any of its images holds a System V segment; the area
	 * its processes share while they are restored (area.h). */
	int tree, tree_sysv;
	int tree_area_fd;
	uint64_t tree_area_len;		/* 0: a single process */
};

/* The vdso block of this process and of the image: same pieces, same sizes. */
struct vdso_piece {
	char name[16];
	uint64_t start, end;
};
struct vdso_layout {
	struct vdso_piece cur[4], img[4];
	int n;
};

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Put before every message when set: which process of a tree it is about. */
extern const char *say_prefix;
/* Where say() writes: tcp-restore's own stderr, also once fd 2 is the
 * program's (restore_fds moves it out of the way first). */
extern int say_fd;

/* dir_lock.c: refuses (-1, said why) when a running program holds the
 * lock of the image's directory (the same run restored twice, or another
 * run there); else holds it at an fd >= floor until the blob closes it
 * (returns that fd), or -2 when the directory has no lock to take. */
int dir_lock_take(const struct tcp_image *img, const char *image, int floor, const struct restore_opts *o);

/* job_env.c: "NAME=value\0..." for the variables of the new job; returns
 * the bytes used (0: none). */
size_t job_env_block(char *out, size_t cap);

/* trust.c */
int check_not_setuid(void);
int check_no_capabilities(void);
int check_trusted_image(int fd, const char *path, int allow_other_owner);

/* checks.c */
int check_cpu(const struct tcp_image *img);
/* The same against a given XCR0 (the set of XSAVE features this CPU has). */
int check_cpu_features(const struct tcp_image *img, uint64_t have);
int check_address_space(const struct tcp_image *img, struct vdso_layout *v);
int check_mapped_files(const struct tcp_image *img);
int check_process(const struct tcp_image *img);
const struct tcp_thread *main_thread_of(const struct tcp_image *img);

/* fds.c: `floor` is the lowest fd the restorer may use for itself. */
int restore_fds(const struct tcp_image *img, int image_fd, int floor, const struct restore_opts *o);
int lowest_free_fd_above_targets(const struct tcp_image *img);

/* Per-kind fds (fd_*.c): open_* returns an fd for the record (any number,
 * O_CLOEXEC; restore_fds moves it into place) or -1 after a message. The
 * finish_* ones run once every fd is at its number (epoll registrations,
 * ...); restore_fd_locks re-acquires the locks of one placed fd. */
int open_fd_pipe(const struct img_fd *d, int image_fd, const struct restore_opts *o);
int open_fd_anon(const struct img_fd *d, int image_fd, const struct restore_opts *o);
int finish_fds_anon(const struct tcp_image *img, int image_fd);
int open_fd_inotify(const struct img_fd *d, int image_fd, const struct restore_opts *o);
int open_fd_socket(const struct img_fd *d, int image_fd, const struct restore_opts *o);
int finish_fds_sockets(const struct tcp_image *img, int image_fd);
int open_fd_memfd(const struct img_fd *d, int image_fd, const struct restore_opts *o);
/* The same, on shared memory object `object` (an fd of it). */
int memfd_reopen(const struct img_fd *d, int object);
/* fds.c: record d's open file description, by the function of its kind
 * (regular files and devices: the fd plan_files.c opened). */
int open_record(const struct img_fd *d, int image_fd, const struct restore_opts *o);
/* Objects shared by processes of a tree (restore/tree/shared.c), made once
 * by the root's restorer above floor before the others exist; the records
 * of each process then take them. pipe_make_shared: the pipe (or FIFO)
 * of record `first`, with the bytes of record `data` (NULL: none) read
 * from data_image_fd. sock_make_shared_pair: the pair of sockets x and y
 * (records of two processes, or of one whose ends others hold), its
 * queues filled afterwards (sock_fill_shared_pair). shm_make_shared: object `index` of img, under
 * the linked name of `named` (another process's record of it) if not NULL. */
int pipe_make_shared(const struct img_fd *first, const struct img_fd *data, int data_image_fd, int floor);
int sock_make_shared_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd, int floor);
/* Then the pair's two receive queues, but those with fds in flight: their
 * process fills them (finish_fds_sockets). 0 or -1 after a message. */
int sock_fill_shared_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd);
/* fd_socket.c: the lowest fd restore_fds keeps for itself. */
void sock_restore_floor(int floor);
/* The lowest fd for an object the restorer keeps until its blob closes it
 * (the tree's floor in a tree's root restorer before the others exist). */
int restore_keep_floor(void);
/* session_dirs.c: for `path` in a session directory that is gone, the
 * nearest existing directory above it (an fd above floor) with the missing
 * ones planned (commit_mkdir), and *rel the path from there; the object is
 * then made there under a hidden name and moved into place (commit_move
 * with *rel). -1 after a message. */
int plan_missing_dirs(const char *path, int floor, const char **rel);
/* fd_pty.c: an end of a pseudo-terminal pair, the pair made once per
 * restorer (in a tree's root restorer for the whole tree: pty_make_shared,
 * from a master record, before the other processes exist). */
int open_fd_pty(const struct img_fd *d, int image_fd, const struct restore_opts *o);
int pty_make_shared(const struct img_fd *master);
/* fd_tcp_pair.c: the TCP connection between x and y (TCP_SOCK_TREE_PAIR
 * records over TCP), with the same addresses and both receive queues. */
int sock_make_tcp_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd, int floor);
/* fd_socket.c, for fd_tcp_pair.c: an end made for the tree (its socket
 * inode at checkpoint time), taken by every record of it; whether it is
 * made; the receive queue of record d, checked (free *buf). 0 or -1 after
 * a message. */
int sock_tree_end_add(uint64_t ino, int fd);
int sock_tree_end_made(uint64_t ino);
int sock_load_queue(const struct img_fd *d, int image_fd, char **buf, uint64_t *len);
/* The tree's end of socket inode ino (an fd above the floor), or -1. */
int sock_tree_end_fd(uint64_t ino);
/* fd_socket.c: the checks of a socket record open_fd_socket relies on (0,
 * or -1 after a message). */
int sock_check_record(const struct tcp_fd *f);
/* sock_dgram.c: datagrams kept with their senders (TCP_SOCKQ_SENDERS),
 * sent again to record d's name, each from sender_of(its sender's name),
 * an fd, or -1 if there is none (an unnamed sender: a fresh socket).
 * sock_dgram_refill_own: the senders are fds of img (single process).
 * sock_dgram_sender_record: whether f is the datagram socket bound to
 * addr that can send again. sock_make_dgram: in a tree's root restorer,
 * record d's datagram socket, bound to its name, above floor, taken by
 * every record of it (sock_tree_end_add). 0 or -1 after a message. */
typedef int (*sock_dgram_sender_fn)(const uint8_t *addr, uint32_t len, void *ctx);
int sock_dgram_refill(const struct img_fd *d, int image_fd, sock_dgram_sender_fn sender_of, void *ctx);
int sock_dgram_refill_own(const struct tcp_image *img, const struct img_fd *d, int image_fd);
int sock_dgram_sender_record(const struct tcp_fd *f, const uint8_t *addr, uint32_t len);
int sock_make_dgram(const struct img_fd *d, int floor);
int shm_make_shared(const struct tcp_image *img, uint32_t index, int image_fd, const struct img_shm *named, int floor,
		    const struct restore_opts *o);
/* The tree's object of the same identity as `s` (its fd, or its shmid for
 * a System V segment), or -1. */
int shm_shared_fd(const struct tcp_shm *s);
int shm_shared_shmid(const struct tcp_shm *s);
int check_fd_locks(const struct tcp_image *img, const struct img_fd *d, int image_fd);
int restore_fd_locks(const struct tcp_image *img, const struct img_fd *d, int image_fd);

/* plan_files.c: before the namespaces, with the real user ids: opens every
 * regular file, directory, device and named FIFO of the image above `floor`
 * without changing anything, checks that each is the one the program had
 * (file_identity.h), checks the paths of UNIX sockets and /dev/shm objects,
 * and plans the visible changes (commit.c). The process that becomes the
 * program inherits the fds: plan_take_fd() hands out record d's (-1: none).
 * plan_shm_name(): 1 if an object of the user is at SHM section s's
 * name (dev, ino: it), which is then replaced at the end; 0 if none.
 * Called once per image (a tree's images each); the same file written by
 * several processes is cut back once. */
int plan_files(const struct tcp_image *img, int floor, const struct restore_opts *o);
int plan_take_fd(const struct img_fd *d);
int plan_peek_fd(const struct img_fd *d);	/* the same, left in place */
int plan_shm_name(const struct img_shm *s, uint64_t *dev, uint64_t *ino);
/* UNIX sockets bound to a path (or connected to one): bound (and listening)
 * or connected by the blob's last step, not by fd_socket.c. */
int socket_binds_late(const struct tcp_fd *f);
int socket_connects_late(const struct tcp_fd *f);

/* commit.c: the restore's visible changes, made by the blob at its very end
 * (blob/commit.c): each returns 0, or -1 (out of memory). A temporary name
 * (commit_temp_name, made in dirfd by the caller) is removed if the restore
 * fails; commit_place puts it in place as `name` at the end (exchange: over
 * the object (dev, ino) that is there now). fds are the program's numbers. */
void commit_temp_name(char *tmp, size_t len);
int commit_place(int dirfd, const char *tmp, const char *name, int exchange, uint64_t dev, uint64_t ino);
int commit_truncate(int fd, uint64_t size);
int commit_bind(int fd, const void *addr, uint32_t len, int listen, uint32_t backlog, uint64_t stale_dev,
		uint64_t stale_ino);
int commit_connect(int fd, const void *addr, uint32_t len);
/* The directory `dir` (gone since the checkpoint) made again, before any
 * bind, with mode and group; planned once however many sockets are in it. */
int commit_mkdir(const char *dir, uint32_t mode, uint32_t gid);
/* Moves `tmp` of dirfd to `path` (relative to dirfd; refused if anything
 * is there) after the directories are made: an object of a session
 * directory that was gone (session_dirs.c). */
int commit_move(int dirfd, const char *tmp, const char *path);
int commit_rmid(int shmid);
int commit_drain(int inotify_fd);
size_t commit_count(void);
void commit_copy(void *to);	/* commit_count() struct blob_act */
/* A process tree: the changes planned from now on are made by the blob of
 * process `process` (its index in the tree); commit_count and commit_copy
 * give those of process `process` only. Both 0 for a single process. */
void commit_owner(int process);
void commit_select(int process);

/* shm.c: creates every shared memory object of the image (fds >= floor,
 * closed by the blob); then the object of SHM section `index`: its fd, or
 * for a System V segment its new shmid (-1 if none). */
int shm_create_objects(const struct tcp_image *img, int image_fd, int floor, const struct restore_opts *o);
int shm_object_fd(uint32_t index);
int shm_object_shmid(uint32_t index);
/* Seals the blob adds once the object is mapped (F_SEAL_FUTURE_WRITE with a
 * writable mapping); given out once, for the first region of the object. */
uint32_t shm_object_late_seals(uint32_t index);

/* pidns.c: restore inside a new PID namespace (in a new user namespace when
 * not root), as the image's pid. Returns 0 in the process that goes on with
 * the restore: the program's (pid img->proc.pid), or this one (a new pid)
 * with --no-namespace or when a one-thread image cannot have a namespace.
 * Returns -1 after a message. The tcp-restore process itself stays behind,
 * forwards signals and exits with the program's status. Sets o->status_id. */
int enter_pid_namespace(const struct tcp_image *img, struct restore_opts *o);

/* lazy.c: for --lazy, which page extents the blob maps from the image
 * (map[i] = 1) rather than reads; -1 after a message if the image cannot
 * be restored lazily (compressed pages, an allocator that expects zeros
 * after MADV_DONTNEED, a file that cannot be mapped from `fd`). */
int lazy_plan(const struct tcp_image *img, const char *path, int fd, unsigned char *map, int verbose);

/* process.c: one process's image. check_image: every hosted check but
 * those of the page data (check_process, the CPU, the address space and
 * the vdso, the mapped files); check_image_data: --check's reading of the
 * page data that a restore checks where it lands (--lazy's plan, the
 * compressed sections). become_program: from inside the program's own
 * process (its pid), everything that turns it into the program; returns
 * (-1, after a message) only if the restore failed before the blob. */
int check_image(struct tcp_image *img, const char *path, struct vdso_layout *v, const struct restore_opts *o);
int check_image_data(struct tcp_image *img, int image_fd, const char *path, const struct restore_opts *o);
int become_program(struct tcp_image *img, int image_fd, const struct vdso_layout *v, int floor,
		   const struct restore_opts *o);

/* launch.c: builds the blob's mapping with everything the blob needs;
 * jump_to_blob() is the point of no return. */
struct launch;
struct launch *prepare_launch(const struct tcp_image *img, const struct vdso_layout *v, int image_fd, int floor,
			      const struct restore_opts *o);
__attribute__((noreturn)) void jump_to_blob(struct launch *l);
int prepare_signals(const struct tcp_image *img);
int drop_own_rseq(void);

#endif
