/* Restoring a process tree (issue 20, DESIGN §8): the root image's TREE
 * section names every process of the tree and its image. tcp-restore
 * opens and checks them all before anything changes (load.c); the
 * namespace's init creates the root, whose restorer makes the objects the
 * processes share (shared.c) and creates the others parent first, with
 * their pids, sessions and groups (spawn.c); each then becomes its program
 * by the path a single process takes (process.c), and the blobs make the
 * tree's visible changes together, once every page of every process is
 * checked (area.h, blob/tree_sync.c).
 *
 *   load.c       member images: opened, trusted, matched, loaded
 *   relations.c  how sessions and groups come back (checked first)
 *   shared_plan.c  what the processes share: checked, and who plans what
 *   shared.c     the shared objects, made once in the root's restorer
 *   shared_dgram.c  datagrams between processes, sent again from their senders
 *   spawn.c      the processes, parent first; zombies
 *   run.c        the whole restore of a tree */
#ifndef TCP_RESTORE_TREE_H
#define TCP_RESTORE_TREE_H

#include "../restore.h"
#include "area.h"

struct tree_member {
	const struct tcp_tree_proc *p;	/* its entry in the root image's TREE */
	struct tcp_image *img;		/* NULL for a zombie */
	struct tcp_image own;		/* a member's image (the root's is the caller's) */
	int fd;				/* its image file, -1 for a zombie */
	char *path;			/* its image file's path */
	struct vdso_layout v;
	long parent;			/* index of its parent, -1 for the root */
	/* relations.c: how it gets its session and group back */
	int new_session;		/* setsid() before creating its children */
	int before_parent_setsid;	/* created before its parent's setsid() */
	int lead_group;			/* setpgid(0, 0) */
	long join_group;		/* setpgid(0, pgid) once this one leads it; -1: none */
	/* shared_plan.c: per fd record, the tree ofd group that holds its open
	 * file description (DUPs of a held record included), or -1 */
	long *rec_group;
};

struct tree {
	struct tree_member *m;
	size_t n;
	int floor;			/* above every fd of every process */
	int area_fd;			/* the memfd of the shared area (area.h) */
	struct tree_area *area;
	/* shared_plan.c */
	struct tree_group {
		long member, rec;	/* the record it is opened from */
		int fd;			/* shared.c: the open file description, above floor */
	} *groups;
	size_t ngroups;
	struct tree_pipe {
		uint64_t dev, id;
		long member, rec;	/* the first record (a FIFO: the one planned) */
		long data_member, data_rec;	/* the one with the bytes, -1: none */
	} *pipes;
	size_t npipes;
	struct tree_shm {
		long member;		/* the process whose image stores it */
		uint32_t index;		/* its SHM section there */
		const struct img_shm *named;	/* a record of it with a linked /dev/shm name, or NULL */
	} *shms;
	size_t nshms;
};

/* The tree being restored (NULL: a single process), and the index of the
 * process this is in it (after tree_spawn; -1 before). */
extern struct tree *tree_now;
extern long tree_self;

/* load.c: the members of root's TREE, from its directory (img_path's,
 * symbolic links resolved), each checked to be the file the TREE names
 * (size, image id, PROCESS checksum, pid) and trusted like the root image,
 * loaded (page data deferred, or read and checked for --check), with its
 * incremental chain. NULL after a message naming the member. */
struct tree *tree_load(struct tcp_image *root, int root_fd, const char *img_path, const struct restore_opts *o);
void tree_free(struct tree *t);
/* The member whose image this is, or -1. */
long tree_member_of(const struct tree *t, const struct tcp_image *img);
/* "pid 101 (worker, app.000003.p101.tcp): " for messages about member i. */
const char *tree_who(const struct tree *t, long i, char *buf, size_t cap);

/* relations.c: fills new_session, before_parent_setsid, lead_group,
 * join_group; -1 after a message if the tree's sessions or groups cannot
 * be rebuilt. */
int tree_plan_relations(struct tree *t);

/* shared_plan.c: checks that what the images say they share fits together
 * (ofd group holders, pipes with their bytes in one image, pairs across
 * processes, shared memory stored once) and fills rec_group, groups and
 * pipes. -1 after a message. */
int tree_plan_shared(struct tree *t);
/* For plan_files.c: 1 if record d of img is opened by another record
 * (the first holder of its ofd group, the first record of a FIFO shared
 * across processes), so it is not opened or planned for itself; -1 if it
 * is the record a FIFO shared across processes is opened from; else 0. */
int tree_plan_skip(const struct tcp_image *img, const struct img_fd *d);
/* The tree pipe (dev, id) is, or NULL. */
const struct tree_pipe *tree_pipe_of(uint64_t dev, uint64_t id);

/* shared.c: in the root's restorer, before the others exist: the shared
 * memory objects several processes map, the pipes and socket pairs
 * between processes, the ofd groups; all above t->floor. -1 after a
 * message. */
int tree_make_shared(struct tree *t, const struct restore_opts *o);
/* shared_dgram.c: in the root's restorer, with the socket pairs: the
 * unconnected datagram sockets whose queues were kept with their senders,
 * and those senders, made bound, the queues sent again. -1 after a
 * message. */
int tree_make_dgrams(struct tree *t);
/* For fd_socket.c: whether record d of img is the one record of its
 * socket that fills its queue and shuts it down, when the processes of the
 * tree that hold it run their own restores side by side: the record its
 * ofd group is opened from, or the only one (1 outside a tree). */
int tree_fills_queue(const struct tcp_image *img, const struct img_fd *d);
/* For fds.c: the group's fd if record d of img is held by an ofd group
 * (then dup it), else -1. */
int tree_group_fd(const struct tcp_image *img, const struct img_fd *d);

/* spawn.c: creates the tree's processes from the root's restorer (this
 * process, the root), each with its pid, parent, session, group, exit and
 * parent-death signals; zombies exit there with their status. Returns, in
 * every live process of the tree, its index (0 in the root), or -1 after a
 * message (the tree is aborted). */
long tree_spawn(struct tree *t);

/* run.c: the restore of the tree whose root image is `root` (loaded,
 * trusted). Returns only on failure (1) or after --check (0). */
int tree_restore(struct tcp_image *root, int root_fd, struct restore_opts *o);
/* A failure of this process after the tree's processes exist: every
 * process of the tree stops (the message was said). */
void tree_abort(void);

#endif
