/* Pipes and FIFOs at restore (issue 7 item 1). The first record of a pipe
 * creates it (pipe2, or the FIFO reopened by name) with its capacity; every
 * record gets its own open file description on it (the first read and
 * write record the pipe2 ends themselves, later ones a reopen through
 * /proc/self/fd, as the program had made them); the record that carries the
 * bytes that sat in the pipe writes them back. Once the last of the pipe's
 * `nends` records is handed out, the restorer's own ends are closed, so that
 * a pipe whose writers were all gone reads as EOF again.
 *
 * A named FIFO is opened by plan_files.c, before the namespaces, and only if
 * it is the program's (or a FIFO of the same owner); one whose name is gone
 * is made again there (under a hidden name, put in place by the blob's last
 * step): the name is only a meeting point, and the program holds both ends.
 * Every other end is opened through the restorer's own, never by name.
 *
 * A pipe between processes of a tree (restore/tree/) is made once, with its
 * bytes, by the root's restorer before the others exist (pipe_make_shared):
 * every process inherits the restorer's ends and opens its own from them. */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LIVE_PIPES 1024

struct live_pipe {
	uint64_t dev, id;
	int rk, wk;		/* the restorer's own ends (one O_RDWR fd for a FIFO) */
	int gave_r, gave_w;	/* pipe2's ends already handed out */
	uint32_t handed;
	int tree;		/* made for the whole tree: bytes in, ends kept (the blob closes them) */
};

static struct live_pipe live[MAX_LIVE_PIPES];
static int nlive;

static void drop_live(int i)
{
	close(live[i].rk);
	if (live[i].wk != live[i].rk)
		close(live[i].wk);
	live[i] = live[--nlive];
}

static int check_record(const struct img_fd *d)
{
	const struct tcp_fd *f = &d->f;
	const struct tcp_fd_pipe *p = &f->u.pipe;
	const char *bad = NULL;
	if (p->capacity < 4096 || p->capacity > (1u << 30))
		bad = "capacity";
	else if (p->is_fifo > 1 || p->has_data > 1 || p->no_reader > 1 || p->no_writer > 1 ||
		 (p->no_reader && p->no_writer))
		bad = "flags";
	else if (p->nends < 1 || p->nends > 65536)
		bad = "number of ends";
	else if ((f->flags & O_ACCMODE) == O_ACCMODE)
		bad = "access mode";
	else if (p->npackets > p->capacity / 4096 + 1 || (p->npackets && !p->has_data))
		bad = "number of packets";
	else if (TCP_FD_DATA_LEN(f) > (p->has_data ? p->capacity + (uint64_t)p->npackets * sizeof(uint32_t) : 0) ||
		 TCP_FD_DATA_LEN(f) < (uint64_t)p->npackets * sizeof(uint32_t))
		bad = "content length";
	else if (p->is_fifo && d->path[0] != '/')
		bad = "FIFO path";
	if (bad)
		say("fd %d: the image's pipe record has an impossible %s; the image is damaged or was not written "
		    "by libtcp. Restore from another image",
		    f->fd, bad);
	return bad ? -1 : 0;
}

static int create_pipe(const struct img_fd *d)
{
	const struct tcp_fd *f = &d->f;
	struct live_pipe *l = &live[nlive];
	if (nlive == MAX_LIVE_PIPES) {
		say("fd %d: more than %d pipes are being restored at once; the image is unusual", f->fd,
		    MAX_LIVE_PIPES);
		return -1;
	}
	memset(l, 0, sizeof(*l));
	l->dev = f->dev;
	l->id = f->u.pipe.pipe_id;
	if (f->u.pipe.is_fifo) {
		/* O_RDWR: opening a FIFO so never waits for the other side. */
		l->rk = l->wk = plan_take_fd(d);
		l->gave_r = l->gave_w = 1;
		if (l->rk < 0) {
			say("fd %d: the FIFO %s was not opened before the restore began; tcp-restore is inconsistent",
			    f->fd, d->path);
			return -1;
		}
	} else {
		int p[2];
		if (pipe2(p, O_CLOEXEC)) {
			say("fd %d: cannot create a pipe: %s", f->fd, strerror(errno));
			return -1;
		}
		l->rk = p[0];
		l->wk = p[1];
	}
	nlive++;
	if (fcntl(l->wk, F_SETPIPE_SZ, (int)f->u.pipe.capacity) < 0) {
		say("fd %d: cannot give the pipe its capacity of %u bytes at checkpoint time: %s; raise "
		    "/proc/sys/fs/pipe-max-size (or restore as root)",
		    f->fd, f->u.pipe.capacity, strerror(errno));
		drop_live(nlive - 1);
		return -1;
	}
	return nlive - 1;
}

/* A new open file description on pipe l with the record's access mode. */
static int open_end(const struct img_fd *d, struct live_pipe *l)
{
	int acc = (int)(d->f.flags & O_ACCMODE);
	if (acc == O_RDONLY && !l->gave_r) {
		l->gave_r = 1;
		return fcntl(l->rk, F_DUPFD_CLOEXEC, 0);
	}
	if (acc == O_WRONLY && !l->gave_w) {
		l->gave_w = 1;
		return fcntl(l->wk, F_DUPFD_CLOEXEC, 0);
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", l->rk);
	/* O_NONBLOCK: the restorer's own ends are the other side, so this
	 * never waits; the program's flags are set afterwards. */
	return open(self, acc | O_NONBLOCK | O_CLOEXEC);
}

/* Through a description of its own, so that the program's flags (O_DIRECT
 * makes packets) do not shape the data: packets each by one write in
 * O_DIRECT mode, a byte stream at once. */
static int refill(const struct img_fd *d, struct live_pipe *l, const char *bytes, uint64_t len, const uint32_t *lens)
{
	uint32_t n = d->f.u.pipe.npackets;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += lens[i] >= 1 && lens[i] <= 4096 ? lens[i] : (uint64_t)1 << 40;
	if (n && sum != len) {
		say("fd %d: the image's pipe packets do not add up to its content; the image is damaged. Restore "
		    "from another image",
		    d->f.fd);
		return -1;
	}
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", l->rk);
	/* open() refuses O_DIRECT on a pipe; fcntl takes it. */
	int w = open(self, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (w >= 0 && n && fcntl(w, F_SETFL, O_NONBLOCK | O_DIRECT)) {
		close(w);
		w = -1;
	}
	if (w < 0) {
		say("fd %d: cannot open the pipe to put its content back: %s", d->f.fd, strerror(errno));
		return -1;
	}
	uint32_t i = 0;
	for (uint64_t off = 0; off < len; i++) {
		size_t chunk = n ? lens[i] : len;
		if (write(w, bytes + off, chunk) != (ssize_t)chunk) {
			say("fd %d: cannot put the %llu bytes that sat in the pipe back into it: %s", d->f.fd,
			    (unsigned long long)len, errno ? strerror(errno) : "short write");
			close(w);
			return -1;
		}
		off += chunk;
	}
	close(w);
	return 0;
}

/* The bytes that sat in the pipe (then, in packet mode, the packet lengths). */
static int write_content(const struct img_fd *d, int image_fd, struct live_pipe *l)
{
	uint64_t all = TCP_FD_DATA_LEN(&d->f);
	uint64_t len = all - (uint64_t)d->f.u.pipe.npackets * sizeof(uint32_t);
	if (!all)
		return 0;
	char *buf = malloc(all + sizeof(uint32_t));
	if (!buf)
		return -1;
	ssize_t got = pread(image_fd, buf, all, (off_t)d->content_off);
	if (got != (ssize_t)all) {
		say("fd %d: cannot read the bytes that sat in the pipe from the image: %s", d->f.fd,
		    got < 0 ? strerror(errno) : "short read");
		free(buf);
		return -1;
	}
	uint32_t *lens = malloc(d->f.u.pipe.npackets * sizeof(uint32_t) + 1);
	int rc = -1;
	if (lens) {
		memcpy(lens, buf + len, d->f.u.pipe.npackets * sizeof(uint32_t));
		errno = 0;
		rc = refill(d, l, buf, len, lens);
	}
	free(lens);
	free(buf);
	return rc;
}

int open_fd_pipe(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)o;
	const struct tcp_fd *f = &d->f;
	if (check_record(d))
		return -1;
	int i;
	for (i = 0; i < nlive; i++)
		if (live[i].dev == f->dev && live[i].id == f->u.pipe.pipe_id)
			break;
	if (i == nlive && (i = create_pipe(d)) < 0)
		return -1;
	struct live_pipe *l = &live[i];
	int fd = open_end(d, l);
	if (fd < 0) {
		say("fd %d: cannot open an end of the restored %s: %s", f->fd, f->u.pipe.is_fifo ? d->path : "pipe",
		    strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETFL, (int)(f->flags & (O_NONBLOCK | O_DIRECT))) < 0) {
		say("fd %d: cannot set the flags of the restored pipe end: %s", f->fd, strerror(errno));
		close(fd);
		return -1;
	}
	if (l->tree)
		return fd;
	if (f->u.pipe.has_data && write_content(d, image_fd, l)) {
		close(fd);
		return -1;
	}
	if (++l->handed == f->u.pipe.nends)
		drop_live(i);
	return fd;
}

/* Moves *fd to a number >= floor (the blob closes those). */
static int keep_above(int *fd, int floor, const struct img_fd *d)
{
	if (*fd >= floor)
		return 0;
	int high = fcntl(*fd, F_DUPFD_CLOEXEC, floor);
	if (high < 0) {
		say("fd %d: cannot keep a pipe between processes open: %s (raise the open-files limit, ulimit -n)",
		    d->f.fd, strerror(errno));
		return -1;
	}
	close(*fd);
	*fd = high;
	return 0;
}

int pipe_make_shared(const struct img_fd *first, const struct img_fd *data, int data_image_fd, int floor)
{
	if (check_record(first) || (data && check_record(data)))
		return -1;
	int i = create_pipe(first);
	if (i < 0)
		return -1;
	struct live_pipe *l = &live[i];
	l->tree = l->gave_r = l->gave_w = 1; /* every end a description of its own */
	int same = l->wk == l->rk; /* a FIFO: one O_RDWR fd */
	if (keep_above(&l->rk, floor, first) || (!same && keep_above(&l->wk, floor, first))) {
		drop_live(i);
		return -1;
	}
	if (same)
		l->wk = l->rk;
	if (data && write_content(data, data_image_fd, l)) {
		drop_live(i);
		return -1;
	}
	return 0;
}
