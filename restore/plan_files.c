/* Every file the program had open, opened again before anything changes
 * (DESIGN §4): in tcp-restore's own process, before the namespaces (inside
 * a user namespace other users' ids all look like the overflow id), with
 * the real user ids. Nothing is followed through a symbolic link at the
 * last component, nothing is created, truncated or written: each file is
 * opened as it is and checked to be the one the program had
 * (file_identity.c); an output file's truncation, a FIFO that is gone and
 * a UNIX socket's path are planned for the blob's last step (commit.c).
 * The fds stay open above `floor`; the process that becomes the program
 * inherits them (pidns.c) and fds.c / fd_pipe.c take them. The names of
 * /dev/shm objects are checked here too (shm.c creates them).
 * A process tree's images are each planned here (in tcp-restore's process,
 * before the namespaces too); what several processes share is opened once
 * (tree/shared_plan.c says which record), and a file that several of them
 * write is cut back once. */
#define _GNU_SOURCE
#include "restore.h"
#include "../common/session_path.h"
#include "file_identity.h"
#include "tree/tree.h"
#include "../image/checksum.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

/* One plan per image (a tree has several). */
struct shm_name_plan {
	int present;			/* an object of ours is at the name: it is replaced */
	uint64_t dev, ino;
};
static struct image_plan {
	const struct tcp_image *img;
	int *planned;			/* per record: fd opened here, or -1 */
	struct shm_name_plan *shm;	/* per SHM section */
} *plans;
static size_t nplans;

/* Files already planned to be cut back (dev, inode): once each. */
static struct { uint64_t dev, ino; } *truncated;
static size_t ntruncated;

static int *planned_slot(const struct img_fd *d)
{
	for (size_t k = 0; k < nplans; k++) {
		const struct tcp_image *img = plans[k].img;
		if (d >= img->fds && d < img->fds + img->nfds)
			return &plans[k].planned[d - img->fds];
	}
	return NULL;
}

int plan_take_fd(const struct img_fd *d)
{
	int *slot = planned_slot(d);
	if (!slot)
		return -1;
	int fd = *slot;
	*slot = -1;
	return fd;
}

int plan_peek_fd(const struct img_fd *d)
{
	int *slot = planned_slot(d);
	return slot ? *slot : -1;
}

int plan_shm_name(const struct img_shm *s, uint64_t *dev, uint64_t *ino)
{
	for (size_t k = 0; k < nplans; k++) {
		const struct tcp_image *img = plans[k].img;
		if (s < img->shms || s >= img->shms + img->nshms)
			continue;
		const struct shm_name_plan *p = &plans[k].shm[s - img->shms];
		if (!p->present)
			return 0;
		*dev = p->dev;
		*ino = p->ino;
		return 1;
	}
	return 0;
}

/* Plans to cut the file (st) back to size through fd, unless that is
 * planned already (by another process of a tree: they run only once all
 * is done). */
static int plan_truncate(int fd, uint64_t size, const struct stat *st)
{
	for (size_t i = 0; i < ntruncated; i++)
		if (truncated[i].dev == (uint64_t)st->st_dev && truncated[i].ino == (uint64_t)st->st_ino)
			return 0;
	void *n = realloc(truncated, (ntruncated + 1) * sizeof(*truncated));
	if (!n)
		return -1;
	truncated = n;
	truncated[ntruncated].dev = st->st_dev;
	truncated[ntruncated++].ino = st->st_ino;
	return commit_truncate(fd, size);
}

/* A UNIX socket bound to a path (a file), or connected to one: bound,
 * listening and connected in the blob's last step (commit.c), since bind
 * creates the file. */
static int unix_path(const uint8_t *addr, uint32_t len)
{
	return len > offsetof(struct sockaddr_un, sun_path) && addr[offsetof(struct sockaddr_un, sun_path)] != 0;
}

int socket_binds_late(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	return f->kind == TCP_FD_SOCKET && s->family == AF_UNIX &&
	       (s->role == TCP_SOCK_LISTEN || s->role == TCP_SOCK_PLAIN) && unix_path(s->addr, s->addr_len);
}

int socket_connects_late(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	return f->kind == TCP_FD_SOCKET && s->family == AF_UNIX && s->role == TCP_SOCK_PLAIN &&
	       unix_path(s->peer, s->peer_len);
}

/* The fingerprint of what `fd` names, at the offsets the image's was taken
 * at (dump_fd_identity.c). */
static void fingerprint(int fd, const struct tcp_fd *f, struct file_now *n)
{
	uint32_t len = f->owner.fp_len;
	if (len > TCP_FP_LEN || len > f->size || (uint64_t)n->st.st_size < f->size)
		return;
	char proc[64], *buf = malloc(TCP_FP_LEN + 1);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	int rd = buf ? open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
	if (rd >= 0 && pread(rd, buf, len, 0) == (ssize_t)len) {
		n->fp_head = csum_buf(buf, len);
		if (pread(rd, buf, len, (off_t)(f->size - len)) == (ssize_t)len) {
			n->fp_tail = csum_buf(buf, len);
			n->fp_valid = 1;
		}
	}
	if (rd >= 0)
		close(rd);
	free(buf);
}

static int keep_above(int fd, int floor, const char *what)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	if (high < 0)
		say("cannot keep %s open: %s (raise the open-files limit, ulimit -n)", what, strerror(errno));
	close(fd);
	return high;
}

/* The birth time of what fd names, where the filesystem keeps one. */
static void birth_time(int fd, struct file_now *n)
{
	struct statx sx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
		n->btime_valid = 1;
		n->btime_sec = sx.stx_btime.tv_sec;
		n->btime_nsec = sx.stx_btime.tv_nsec;
	}
}

/* A file with flag FS_APPEND_FL (chattr +a) cannot be truncated. */
static int append_only(int fd)
{
	struct statx sx;
	return statx(fd, "", AT_EMPTY_PATH, 0, &sx) == 0 && (sx.stx_attributes_mask & STATX_ATTR_APPEND) &&
	       (sx.stx_attributes & STATX_ATTR_APPEND);
}

/* lstat of the record's path, with the messages for a missing file and a
 * symbolic link in its place. */
static int look(const struct tcp_fd *f, const char *path, struct stat *st)
{
	if (lstat(path, st)) {
		say("%s: %s is missing (%s); the program had it open at checkpoint time. Put it back, then restore "
		    "again",
		    fd_label(f), path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st->st_mode) && !S_ISLNK(f->mode)) {
		char to[4096];
		ssize_t n = readlink(path, to, sizeof(to) - 1);
		to[n > 0 ? n : 0] = 0;
		say("%s: %s is now a symbolic link (to %s), but the program had a %s there; tcp-restore does not "
		    "follow it (it could lead to any file). Put the program's %s back at that path, then restore again",
		    fd_label(f), path, n > 0 ? to : "?", file_type_name(f->mode), file_type_name(f->mode));
		return -1;
	}
	return 0;
}

/* Opens what `path` names now, as `flags` allow, and checks that it is
 * what lstat saw; -1 after a message. */
static int open_checked(const struct tcp_fd *f, const char *path, int flags, const struct stat *seen, struct stat *st)
{
	int fd = open(path, flags);
	if (fd < 0) {
		say("%s: cannot open %s: %s", fd_label(f), path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) || st->st_dev != seen->st_dev || st->st_ino != seen->st_ino) {
		say("%s: %s changed while tcp-restore opened it; restore again", fd_label(f), path);
		close(fd);
		return -1;
	}
	return fd;
}

/* 0 if the rule accepts it (-v: says so when it is a copy), else -1 after
 * the rule's message. */
static int verdict(const struct tcp_fd *f, const char *path, const struct file_now *n,
		   const struct identity_policy *p, int verbose)
{
	char msg[4096 + 1024];
	enum identity_verdict v = file_identity(f, path, n, p, msg, sizeof(msg));
	if (v == IDENTITY_REFUSED)
		say("%s", msg);
	else if (v == IDENTITY_REPLACED && verbose)
		say("%s: %s is another file than the program had (another device or inode) but passes the check "
		    "for a copy (type, owner%s); using it",
		    fd_label(f), path, fd_is_output(f) ? ", size, content" : "");
	return v == IDENTITY_REFUSED ? -1 : 0;
}

/* A regular file, directory, O_PATH fd or device (kinds REGULAR, DEVICE). */
static int plan_file(const struct img_fd *d, int floor, const struct identity_policy *p,
		     const struct restore_opts *o)
{
	const struct tcp_fd *f = &d->f;
	struct file_now now;
	memset(&now, 0, sizeof(now));
	struct stat seen;
	if (look(f, d->path, &seen))
		return -1;
	/* A wrong type or device is refused before it is opened: opening a
	 * device or a FIFO may do something. */
	now.st = seen;
	if (((seen.st_mode ^ f->mode) & S_IFMT) || (S_ISCHR(f->mode) && !(f->flags & O_PATH)))
		if (verdict(f, d->path, &now, p, 0))
			return -1;
	int flags = (int)(f->flags & ~(uint32_t)(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW | O_CLOEXEC;
	if (!(f->flags & O_PATH))
		flags |= O_NONBLOCK | O_NOCTTY;
	int fd = open_checked(f, d->path, flags, &seen, &now.st);
	if (fd < 0)
		return -1;
	birth_time(fd, &now);
	if (S_ISREG(now.st.st_mode) && !(f->flags & O_PATH))
		fingerprint(fd, f, &now);
	const char *fail = NULL;
	int cut = 0; /* an output to cut back to its size at checkpoint time */
	if (verdict(f, d->path, &now, p, o->verbose)) {
		fail = "";
	} else if (!(f->flags & O_PATH)) {
		if (fd_is_output(f) && (uint64_t)now.st.st_size > f->size) {
			if (append_only(fd))
				fail = "it is append-only (chattr +a), so it cannot be cut back to its size at checkpoint "
				       "time; remove the flag (chattr -a) or rerun the program";
			else
				cut = 1;
		}
		/* The program's own flags (O_NONBLOCK was only for opening). */
		if (!fail && fcntl(fd, F_SETFL, (int)f->flags))
			fail = strerror(errno);
		if (!fail && S_ISREG(now.st.st_mode) && lseek(fd, (off_t)f->pos, SEEK_SET) < 0)
			fail = strerror(errno);
	}
	if (fail) {
		if (*fail)
			say("%s: %s: %s", fd_label(f), d->path, fail);
		close(fd);
		return -1;
	}
	int high = keep_above(fd, floor, d->path);
	/* Cut through the program's fd at its number, or (a file written and
	 * closed: no fd of the program's) through ours, which the blob closes
	 * after its last step. */
	if (high >= 0 && cut && plan_truncate(f->fd >= 0 ? f->fd : high, f->size, &now.st)) {
		say("%s: %s: out of memory", fd_label(f), d->path);
		close(high);
		return -1;
	}
	return high;
}

/* The directory of `path` (O_PATH, above floor) and its last component. */
static int open_parent(const char *path, int floor, const char **name)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	*name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		*(slash == dir ? slash + 1 : slash) = 0;
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -1 : keep_above(fd, floor, dir);
}

/* A FIFO that is gone: made under a hidden name in its directory, put in
 * place by the blob's last step (the program holds both ends; the name is
 * only where they met). */
static int remake_fifo(const struct img_fd *d, int floor)
{
	const struct tcp_fd *f = &d->f;
	const char *name;
	int dir = open_parent(d->path, floor, &name), moved = 0;
	const char *rel = NULL;
	if (dir < 0 && errno == ENOENT && session_path(d->path)) {
		/* An MPI session directory that is gone: made again at the end. */
		dir = plan_missing_dirs(d->path, floor, &rel);
		moved = 1;
	}
	char tmp[64];
	int rc = -1;
	for (int tries = 0; dir >= 0 && tries < 100 && rc; tries++) {
		commit_temp_name(tmp, sizeof(tmp));
		rc = mkfifoat(dir, tmp, f->mode & 07777);
		if (rc && errno != EEXIST)
			break;
	}
	if (rc) {
		say("%s: the FIFO %s is gone and cannot be made again: %s; make it (mkfifo), then restore again",
		    fd_label(f), d->path, strerror(errno));
		if (dir >= 0)
			close(dir);
		return -1;
	}
	if (moved ? commit_move(dir, tmp, rel) : commit_place(dir, tmp, name, 0, 0, 0))
		return -1;
	int fd = openat(dir, tmp, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
		say("%s: cannot open the FIFO made again for %s: %s", fd_label(f), d->path,
		    fd < 0 ? strerror(errno) : "it was replaced meanwhile");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	say("note: %s: the FIFO %s was gone; made it again (the program holds its ends)", fd_label(f), d->path);
	return keep_above(fd, floor, d->path);
}

/* The first record of a named FIFO: the FIFO at its path, opened O_RDWR
 * (never waits), or made again if it is gone. */
static int plan_fifo(const struct img_fd *d, int floor, const struct identity_policy *p,
		     const struct restore_opts *o)
{
	const struct tcp_fd *f = &d->f;
	struct stat seen;
	if (lstat(d->path, &seen)) {
		if (errno == ENOENT)
			return remake_fifo(d, floor);
		say("%s: cannot look at the FIFO %s: %s", fd_label(f), d->path, strerror(errno));
		return -1;
	}
	if (!S_ISFIFO(seen.st_mode)) {
		say("%s: %s was a FIFO at checkpoint time and now is something else; move it away, then restore "
		    "again",
		    fd_label(f), d->path);
		return -1;
	}
	struct file_now now = { .st = seen };
	struct statx sx;
	if (statx(AT_FDCWD, d->path, AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME)) {
		now.btime_valid = 1;
		now.btime_sec = sx.stx_btime.tv_sec;
		now.btime_nsec = sx.stx_btime.tv_nsec;
	}
	struct tcp_fd as_fifo = *f;
	as_fifo.mode = S_IFIFO | (f->mode & 07777);
	if (verdict(&as_fifo, d->path, &now, p, o->verbose))
		return -1;
	int fd = open_checked(f, d->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, &seen, &now.st);
	return fd < 0 ? -1 : keep_above(fd, floor, d->path);
}

/* The directory of a UNIX socket's path: the one of the checkpoint (a
 * directory of the same owner, not a link planted at its name), or gone
 * since (multiprocessing's /tmp/pymp-XXXX goes with the worker that made
 * it): then made again by the blob, if it was the user's and its parent is
 * there. */
static int plan_socket_dir(const struct tcp_fd *f, const char *path, uint32_t user)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	struct stat st;
	if (lstat(dir, &st) == 0) {
		/* The very directory, or one the user made again: not a link
		 * someone planted at its name, nor another user's. */
		if ((s->dir_flags & TCP_SOCKD_KNOWN) && (!S_ISDIR(st.st_mode) || st.st_uid != s->dir_uid)) {
			say("%s: cannot re-create the socket at %s: %s is now %s of uid %u, not the directory of uid "
			    "%u it was at checkpoint time. Move it away, then restore again",
			    fd_label(f), path, dir,
			    S_ISDIR(st.st_mode)	  ? "a directory"
			    : S_ISLNK(st.st_mode) ? "a symbolic link"
						  : "a file",
			    (unsigned)st.st_uid, (unsigned)s->dir_uid);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT)
		return 0; /* bind says what is wrong */
	if (!(s->dir_flags & TCP_SOCKD_KNOWN) || !S_ISDIR(s->dir_mode)) {
		say("%s: cannot re-create the socket at %s: its directory %s is gone, and the image does not say "
		    "what it was. Make it again, then restore again",
		    fd_label(f), path, dir);
		return -1;
	}
	if (s->dir_uid != user) {
		say("%s: cannot re-create the socket at %s: its directory %s is gone, and it belonged to uid %u; "
		    "tcp-restore makes again only a directory of yours. Have it made again, then restore again",
		    fd_label(f), path, dir, (unsigned)s->dir_uid);
		return -1;
	}
	char parent[sizeof(dir)];
	const char *up = strrchr(dir, '/');
	if (up)
		snprintf(parent, sizeof(parent), "%.*s", up == dir ? 1 : (int)(up - dir), dir);
	else
		snprintf(parent, sizeof(parent), ".");
	if (stat(parent, &st) || !S_ISDIR(st.st_mode)) {
		say("%s: cannot re-create the socket at %s: its directory %s is gone, and so is %s. Make them "
		    "again, then restore again",
		    fd_label(f), path, dir, parent);
		return -1;
	}
	return commit_mkdir(dir, s->dir_mode & 07777, s->dir_gid);
}

/* A UNIX socket's path: free (its directory made again if it is gone), or
 * a socket file of ours (the killed run's), which the blob replaces. */
static int plan_socket(const struct img_fd *d, uint32_t user)
{
	const struct tcp_fd *f = &d->f;
	const struct tcp_fd_socket *s = &f->u.sock;
	if (socket_connects_late(f) && commit_connect(f->fd, s->peer, s->peer_len))
		return -1;
	if (!socket_binds_late(f))
		return 0;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	size_t n = s->addr_len - offsetof(struct sockaddr_un, sun_path);
	if (n >= sizeof(path))
		n = sizeof(path) - 1;
	memcpy(path, s->addr + offsetof(struct sockaddr_un, sun_path), n);
	path[n] = 0;
	struct stat st;
	uint64_t dev = 0, ino = 0;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			say("%s: cannot re-create the socket at %s: something that is not a socket is there now. Move "
			    "it away, then restore again",
			    fd_label(f), path);
			return -1;
		}
		if (st.st_uid != user) {
			say("%s: cannot re-create the socket at %s: a socket of uid %u is there, not one of yours left "
			    "by the killed run; tcp-restore removes only those. Have it removed, then restore again",
			    fd_label(f), path, (unsigned)st.st_uid);
			return -1;
		}
		dev = st.st_dev;
		ino = st.st_ino;
	} else if (errno != ENOENT) {
		say("%s: cannot look at the socket path %s: %s", fd_label(f), path, strerror(errno));
		return -1;
	}
	if (plan_socket_dir(f, path, user))
		return -1;
	return commit_bind(f->fd, s->addr, s->addr_len, s->role == TCP_SOCK_LISTEN,
			   s->backlog > 65535 ? 65535 : s->backlog, dev, ino);
}

/* A /dev/shm object's name: free, or an object of the restoring user. */
static int plan_shm(const struct img_shm *s, struct shm_name_plan *out, uint32_t user)
{
	struct stat st;
	if (lstat(s->name, &st)) {
		if (errno == ENOENT)
			return 0;
		say("cannot look at %s, shared memory of the program: %s", s->name, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != user) {
		say("%s, shared memory of the program, is now %s%s of uid %u; tcp-restore neither writes into nor "
		    "replaces another user's object. Have it removed, then restore again",
		    s->name, S_ISREG(st.st_mode) ? "an object" : "a ", S_ISREG(st.st_mode) ? "" : file_type_name(st.st_mode),
		    (unsigned)st.st_uid);
		return -1;
	}
	out->present = 1;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return 0;
}

int plan_files(const struct tcp_image *img, int floor, const struct restore_opts *o)
{
	struct identity_policy p = { .user = (uint32_t)geteuid(), .allow_changed_inputs = o->allow_changed_inputs };
	if (geteuid() == 0 && o->allow_other_owner)
		p.user = img->proc.uid; /* the program's files are that user's */
	struct image_plan *n = realloc(plans, (nplans + 1) * sizeof(*plans));
	if (!n)
		return -1;
	plans = n;
	struct image_plan *plan = &plans[nplans];
	plan->img = img;
	plan->planned = malloc((img->nfds + 1) * sizeof(int));
	plan->shm = calloc(img->nshms + 1, sizeof(*plan->shm));
	if (!plan->planned || !plan->shm) {
		free(plan->planned);
		free(plan->shm);
		return -1;
	}
	nplans++;
	int *planned = plan->planned;
	for (size_t i = 0; i < img->nfds; i++)
		planned[i] = -1;
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		const struct tcp_fd *f = &d->f;
		int tree = tree_plan_skip(img, d);
		if (tree > 0)
			continue; /* another process's record of it opens it */
		if (f->kind == TCP_FD_REGULAR || f->kind == TCP_FD_DEVICE) {
			if ((planned[i] = plan_file(d, floor, &p, o)) < 0)
				return -1;
		} else if (f->kind == TCP_FD_PIPE && f->u.pipe.is_fifo && d->path[0] == '/') {
			int first = 1;
			for (size_t j = 0; j < i && first && !tree; j++)
				first = !(img->fds[j].f.kind == TCP_FD_PIPE && img->fds[j].f.dev == f->dev &&
					  img->fds[j].f.u.pipe.pipe_id == f->u.pipe.pipe_id);
			if (first && (planned[i] = plan_fifo(d, floor, &p, o)) < 0)
				return -1;
		} else if (f->kind == TCP_FD_SOCKET && plan_socket(d, (uint32_t)geteuid())) {
			return -1;
		} else if (f->kind == TCP_FD_INOTIFY && commit_drain(f->fd)) {
			return -1;
		}
	}
	for (size_t i = 0; i < img->nshms; i++)
		if (img->shms[i].s.type == TCP_SHM_POSIX && !(img->shms[i].s.flags & TCP_SHMF_DELETED) &&
		    plan_shm(&img->shms[i], &plan->shm[i], (uint32_t)geteuid()))
			return -1;
	/* Files the program wrote and closed before the checkpoint: cut back
	 * like outputs, through an fd of ours that the blob closes. */
	for (size_t i = 0; i < img->nwritten; i++)
		if (plan_file(&img->written[i], floor, &p, o) < 0)
			return -1;
	return 0;
}
