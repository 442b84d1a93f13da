/* File locks at restore: every lock the program held through an fd is
 * taken again on the placed fd, without waiting. If someone else holds a
 * conflicting lock now, the restore stops and says so: the program would
 * otherwise go on believing it owns the file. check_fd_locks() finds that
 * out before anything is changed (output files rolled back, fds moved);
 * restore_fd_locks() takes them once the fds are in place. */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/file.h>
#include <unistd.h>

static const char *type_name(uint32_t t)
{
	return t == TCP_LOCK_FLOCK ? "flock" : t == TCP_LOCK_POSIX ? "fcntl" : "open-file-description";
}

static void range(const struct tcp_fd_lock *l, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = l->write ? F_WRLCK : F_RDLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)l->start;
	fl->l_len = l->end == UINT64_MAX ? 0 : (off_t)(l->end - l->start + 1);
}

static void say_conflict(const struct img_fd *d, int fd, const struct tcp_fd_lock *l)
{
	char who[64] = "another process";
	if (l->type != TCP_LOCK_FLOCK) {
		struct flock fl;
		range(l, &fl);
		if (!fcntl(fd, F_GETLK, &fl) && fl.l_type != F_UNLCK && fl.l_pid > 0)
			snprintf(who, sizeof(who), "process %d", (int)fl.l_pid);
	}
	say("fd %d: %s holds a lock on %s that conflicts with the %s %s lock the program held at checkpoint "
	    "time; the program would go on without it. Stop that process (fuser %s shows it) and restore again",
	    d->f.fd, who, d->path, l->write ? "exclusive" : "shared", type_name(l->type), d->path);
}

/* Takes the lock on fd; with `probe_only`, only finds out whether it could
 * (fd is then a description of our own that holds nothing). */
static int take(const struct img_fd *d, int fd, const struct tcp_fd_lock *l, int probe_only)
{
	int rc;
	struct flock fl;
	range(l, &fl);
	if (l->type == TCP_LOCK_FLOCK) {
		rc = flock(fd, (l->write ? LOCK_EX : LOCK_SH) | LOCK_NB);
		if (rc == 0 && probe_only)
			flock(fd, LOCK_UN);
	} else if (l->type == TCP_LOCK_POSIX || l->type == TCP_LOCK_OFD) {
		int ofd = l->type == TCP_LOCK_OFD;
		if (probe_only) {
			rc = fcntl(fd, ofd ? F_OFD_GETLK : F_GETLK, &fl);
			if (rc == 0 && fl.l_type != F_UNLCK) {
				rc = -1;
				errno = EAGAIN;
			}
		} else {
			rc = fcntl(fd, ofd ? F_OFD_SETLK : F_SETLK, &fl);
		}
	} else {
		say("fd %d: unknown lock type %u in the image", d->f.fd, l->type);
		return -1;
	}
	if (rc == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES || errno == EWOULDBLOCK)
		say_conflict(d, fd, l);
	else
		say("fd %d: cannot take the %s lock on %s again: %s", d->f.fd, type_name(l->type), d->path,
		    strerror(errno));
	return -1;
}

/* POSIX locks go away when the process closes any fd of the file, and the
 * blob closes the fds it mapped files from: a locked file that is also
 * mapped would silently lose its lock. */
static int mapped_too(const struct tcp_image *img, const struct tcp_fd *f)
{
	for (size_t i = 0; i < img->nregions; i++) {
		const struct tcp_region *r = &img->regions[i].r;
		if ((r->kind == TCP_REG_FILE || r->kind == TCP_REG_FILE_SHARED) && r->inode == f->inode &&
		    makedev(r->dev_major, r->dev_minor) == f->dev)
			return 1;
	}
	return 0;
}

static struct tcp_fd_lock *read_locks(const struct img_fd *d, int image_fd)
{
	const struct tcp_fd *f = &d->f;
	size_t bytes = (size_t)f->nlocks * sizeof(struct tcp_fd_lock);
	struct tcp_fd_lock *locks = malloc(bytes);
	if (!locks) {
		say("out of memory");
		return NULL;
	}
	if (pread(image_fd, locks, bytes, (off_t)(d->content_off + TCP_FD_DATA_LEN(f))) != (ssize_t)bytes) {
		say("fd %d: cannot read its locks from the image: %s", f->fd, strerror(errno));
		free(locks);
		return NULL;
	}
	for (uint32_t i = 0; i < f->nlocks; i++)
		if (locks[i].end < locks[i].start || locks[i].start > INT64_MAX ||
		    (locks[i].end != UINT64_MAX && locks[i].end > INT64_MAX)) {
			say("fd %d: lock %u in the image has a bad range", f->fd, i);
			free(locks);
			return NULL;
		}
	return locks;
}

/* fd: the placed fd, or (probe_only) a fresh description of the file. */
static int each_lock(const struct tcp_image *img, const struct img_fd *d, int image_fd, int fd, int probe_only)
{
	const struct tcp_fd *f = &d->f;
	struct tcp_fd_lock *locks = read_locks(d, image_fd);
	if (!locks)
		return -1;
	int rc = 0;
	for (uint32_t i = 0; i < f->nlocks && !rc; i++)
		if (locks[i].type == TCP_LOCK_POSIX && mapped_too(img, f)) {
			say("fd %d: the program held an fcntl lock on %s and has the file mapped too; the lock "
			    "cannot be kept through the restore of the mapping, so the program would go on "
			    "without it. This combination is not supported yet",
			    f->fd, d->path);
			rc = -1;
		}
	for (uint32_t i = 0; i < f->nlocks && !rc; i++)
		rc = take(d, fd, &locks[i], probe_only);
	free(locks);
	return rc;
}

int check_fd_locks(const struct tcp_image *img, const struct img_fd *d, int image_fd)
{
	if (d->f.kind != TCP_FD_REGULAR)
		return 0; /* a file only we have: nobody else can hold its locks */
	/* A description of its own on the very file plan_files.c checked (never
	 * whatever the path leads to now). */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", plan_peek_fd(d));
	int fd = plan_peek_fd(d) >= 0 ? open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) : -1;
	if (fd < 0)
		return 0; /* not readable: the locks are only taken once placed */
	int rc = each_lock(img, d, image_fd, fd, 1);
	close(fd);
	return rc;
}

int restore_fd_locks(const struct tcp_image *img, const struct img_fd *d, int image_fd)
{
	return each_lock(img, d, image_fd, d->f.fd, 0);
}
