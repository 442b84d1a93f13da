/* File descriptors at restore (DESIGN §5). Phases, so that a failure
 * changes nothing that others see: files, devices and FIFOs were opened and
 * checked by plan_files.c already; the locks are checked first; then every
 * target is opened at a high fd (by the function of its kind: fd_*.c,
 * shm.c; DUP records share the description of the fd they name); then all
 * are moved into place at once; then what needs every fd at its number
 * (epoll registrations, socket pairs' queues, locks) is done. Output files
 * are cut back, and names put in place, by the blob's last step (commit.c).
 * In a tree, an open file description several processes hold was opened
 * once (tree/shared.c): its records take it. */
#define _GNU_SOURCE
#include "restore.h"
#include "tree/tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lowest_free_fd_above_targets(const struct tcp_image *img)
{
	int top = 2;
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd > top)
			top = img->fds[i].f.fd;
	return top + 1 < 64 ? 64 : top + 1;
}

/* A regular file, directory, O_PATH fd or device: opened and checked by
 * plan_files.c before the namespaces, its offset and flags set there; an
 * output file is cut back by the blob's last step. */
static int open_planned(const struct img_fd *d)
{
	int fd = plan_take_fd(d);
	if (fd < 0)
		say("fd %d: %s was not opened before the restore began; tcp-restore is inconsistent", d->f.fd, d->path);
	return fd;
}

/* Writes all of buf at the current offset; 0, or -1 with errno (ENOSPC
 * for a short write on a full filesystem). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A deleted-but-open file comes back as an unlinked file with the saved
 * content, in the same directory if it still exists, else in $TMPDIR. It
 * has no name: a refused restore leaves nothing of it behind. */
static int open_deleted(const struct img_fd *d, int image_fd)
{
	const struct tcp_fd *f = &d->f;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", d->path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	int tmp = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tmp < 0) {
		const char *t = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s", t && *t ? t : "/tmp");
		tmp = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (tmp < 0) {
		say("fd %d: cannot create a file for the deleted file %s: %s", f->fd, d->path, strerror(errno));
		return -1;
	}
	uint64_t len = TCP_FD_DATA_LEN(f);
	/* The space first: a full filesystem is found before any byte is
	 * copied (where fallocate is not supported, the writes find it). */
	int rc = len && fallocate(tmp, 0, 0, (off_t)len) && errno != EOPNOTSUPP ? -1 : 0;
	char *buf = rc ? NULL : malloc(1 << 20);
	const char *why = NULL;
	if (!rc && !buf) {
		why = "out of memory";
		rc = -1;
	}
	for (uint64_t off = 0; !rc && off < len;) {
		size_t want = len - off > (1 << 20) ? (1 << 20) : (size_t)(len - off);
		ssize_t n = pread(image_fd, buf, want, (off_t)(d->content_off + off));
		if (n <= 0) {
			why = n < 0 ? strerror(errno) : "the image is shorter than it says";
			rc = -1;
		} else if (write_all(tmp, buf, (size_t)n)) {
			rc = -1;
		} else {
			off += (uint64_t)n;
		}
	}
	free(buf);
	size_t name_len = strlen(d->path);
	if (name_len > 10 && !strcmp(d->path + name_len - 10, " (deleted)"))
		name_len -= 10;
	if (rc && !why && (errno == ENOSPC || errno == EDQUOT)) {
		say("fd %d: no space left on %s (%s) for the %llu bytes of the deleted file %.*s, which the program "
		    "had open: free some space there (or set TMPDIR to a filesystem with room, if that directory is "
		    "gone), then restore again",
		    f->fd, dir, errno == EDQUOT ? "disk quota exceeded" : "filesystem full", (unsigned long long)len,
		    (int)name_len, d->path);
	} else if (rc) {
		say("fd %d: cannot copy the content of the deleted file %s into %s: %s", f->fd, d->path, dir,
		    why ? why : strerror(errno));
	}
	if (rc) {
		close(tmp);
		return -1;
	}
	/* Reopen with the program's own flags (O_TMPFILE forced O_RDWR). */
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", tmp);
	int fd = open(self, (int)(f->flags & ~(uint32_t)(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC);
	close(tmp);
	if (fd < 0 || lseek(fd, (off_t)f->pos, SEEK_SET) < 0) {
		say("fd %d: cannot reopen the recreated deleted file %s: %s", f->fd, d->path, strerror(errno));
		return -1;
	}
	return fd;
}

int open_record(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	const struct tcp_fd *f = &d->f;
	switch (f->kind) {
	case TCP_FD_REGULAR:
	case TCP_FD_DEVICE:
		return open_planned(d);
	case TCP_FD_DELETED:
		return open_deleted(d, image_fd);
	case TCP_FD_INHERIT:
		/* Taken from tcp-restore itself; /dev/null if it has none. */
		if (fcntl(f->fd, F_GETFD) >= 0)
			return dup(f->fd);
		return open("/dev/null", (int)(f->flags & O_ACCMODE) | O_CLOEXEC);
	case TCP_FD_PIPE:
		return open_fd_pipe(d, image_fd, o);
	case TCP_FD_EVENTFD:
	case TCP_FD_TIMERFD:
	case TCP_FD_SIGNALFD:
	case TCP_FD_EPOLL:
		return open_fd_anon(d, image_fd, o);
	case TCP_FD_INOTIFY:
		return open_fd_inotify(d, image_fd, o);
	case TCP_FD_SOCKET:
		return open_fd_socket(d, image_fd, o);
	case TCP_FD_MEMFD:
		return open_fd_memfd(d, image_fd, o);
	case TCP_FD_PTY:
		return open_fd_pty(d, image_fd, o);
	}
	say("fd %d: unknown kind %u", f->fd, f->kind);
	return -1;
}

/* The index of the record of fd `fd`, or -1. */
static long record_of(const struct tcp_image *img, int fd)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd == fd)
			return (long)i;
	return -1;
}

/* DUP records: the same open file description as an earlier record. */
static int open_dup(const struct tcp_image *img, size_t i, const int *opened, int floor)
{
	const struct tcp_fd *f = &img->fds[i].f;
	long j = record_of(img, f->same_as);
	if (j < 0 || (size_t)j >= i || img->fds[j].f.kind == TCP_FD_DUP) {
		say("fd %d: it shares its file with fd %d, which the image does not hold before it; the image is "
		    "inconsistent (written by another version of libtcp?)",
		    f->fd, f->same_as);
		return -1;
	}
	int fd = fcntl(opened[j], F_DUPFD_CLOEXEC, floor);
	if (fd < 0)
		say("fd %d: cannot duplicate fd %d: %s", f->fd, f->same_as, strerror(errno));
	return fd;
}

int restore_fds(const struct tcp_image *img, int image_fd, int floor, const struct restore_opts *o)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.nlocks && check_fd_locks(img, &img->fds[i], image_fd))
			return -1;
	sock_restore_floor(floor);
	int *opened = calloc(img->nfds + 1, sizeof(int));
	if (!opened)
		return -1;
	for (size_t i = 0; i < img->nfds; i++) {
		int high, held = tree_group_fd(img, &img->fds[i]);
		if (held >= 0) {
			high = fcntl(held, F_DUPFD_CLOEXEC, floor);
			if (high < 0)
				say("fd %d: cannot take the open file it shares with other processes: %s", img->fds[i].f.fd,
				    strerror(errno));
		} else if (img->fds[i].f.kind == TCP_FD_DUP) {
			high = open_dup(img, i, opened, floor);
		} else {
			int fd = open_record(&img->fds[i], image_fd, o);
			high = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, floor) : -1;
			if (fd >= 0)
				close(fd);
			if (high < 0 && fd >= 0)
				say("fd %d: cannot place it: %s", img->fds[i].f.fd, strerror(errno));
		}
		if (high < 0) {
			for (size_t j = 0; j < i; j++)
				close(opened[j]);
			free(opened);
			return -1;
		}
		opened[i] = high;
	}
	/* Point of no return for the fd table: close what the program did not
	 * have, then move every fd into place. Our own fds are >= floor; our
	 * messages keep going to our own stderr, never into the program's. */
	int own_stderr = fcntl(2, F_DUPFD_CLOEXEC, floor);
	if (own_stderr >= 0)
		say_fd = own_stderr;
	for (int fd = 0; fd < floor; fd++)
		if (record_of(img, fd) < 0)
			close(fd);
	for (size_t i = 0; i < img->nfds; i++) {
		const struct tcp_fd *f = &img->fds[i].f;
		dup2(opened[i], f->fd); /* dup2 clears FD_CLOEXEC */
		if (f->cloexec)
			fcntl(f->fd, F_SETFD, FD_CLOEXEC);
		close(opened[i]);
	}
	free(opened);
	/* What needs every fd at its number: epoll registrations, locks. */
	if (finish_fds_anon(img, image_fd) || finish_fds_sockets(img, image_fd))
		return -1;
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.nlocks && restore_fd_locks(img, &img->fds[i], image_fd))
			return -1;
	return 0;
}
