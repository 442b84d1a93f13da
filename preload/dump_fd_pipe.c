/* Pipes and FIFOs (issue 7 item 1). dump_fd_pipe() records each end;
 * dump_fd_pipes_finish() looks at every pipe as a whole once all fds are
 * known: both ends in the process (restorable, with the bytes sitting in
 * it), one end whose other side is closed everywhere (restorable too), or
 * one end whose other side is in another process: fds 0-2 are then taken
 * from the restorer, anything else is refused. Runs while the app is
 * stopped: raw syscalls only. */
#include "dump.h"
#include "tree/query.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <poll.h>
#include <time.h>

#define K_F_GETPIPE_SZ 1032
#define K_F_SETPIPE_SZ 1031
#define K_FIONREAD 0x541B
#define K_SPLICE_F_NONBLOCK 2u

static int readable(const struct tcp_fd *r)
{
	return (r->flags & O_ACCMODE) != O_WRONLY;
}

static int writable(const struct tcp_fd *r)
{
	return (r->flags & O_ACCMODE) != O_RDONLY;
}

int dump_fd_pipe(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	struct tcp_fd_pipe *pp = &out->rec.u.pipe;
	long cap = r_fcntl((int)p->fd, K_F_GETPIPE_SZ, 0);
	if (cap <= 0)
		return dump_fd_refuse(d, p->fd, out->path, "cannot read its capacity (F_GETPIPE_SZ)");
	out->rec.kind = TCP_FD_PIPE;
	pp->pipe_id = (uint64_t)p->st->st_ino;
	pp->capacity = (uint32_t)cap;
	/* A FIFO is reopened by name; one unlinked while open is as anonymous
	 * as a pipe and comes back as one. */
	pp->is_fifo = out->path[0] == '/' && !f_endswith(out->path, " (deleted)");
	return 0;
}

/* The poll events of fd right now, without waiting. */
static int poll_now(long fd)
{
	struct pollfd pfd = { (int)fd, POLLIN | POLLOUT, 0 };
	struct timespec zero = { 0, 0 };
	long n = rsys5(__NR_ppoll, (long)&pfd, 1, (long)&zero, 0, 8);
	return n == 1 ? pfd.revents : 0;
}

/* Whether readable fd `fd` has no bytes waiting in its pipe. */
static int fifo_empty(long fd)
{
	int have = -1;
	return r_ioctl((int)fd, K_FIONREAD, (long)&have) == 0 && have == 0;
}

/* The bytes in the pipe of readable fd `fd`, copied without consuming them:
 * tee(2) duplicates its buffers into a scratch pipe of the same capacity
 * (so that every buffer finds a slot), which is then read. A read stops at
 * the end of a packet (a buffer written in O_DIRECT mode): a short read with
 * bytes left means packets, whose lengths are kept after the bytes. */
static int capture_content(struct dump_ctx *d, struct dump_fd *f)
{
	int fd = f->rec.fd;
	int have = 0;
	if (r_ioctl(fd, K_FIONREAD, (long)&have) < 0 || have < 0)
		return dump_fd_refuse(d, fd, f->path, "cannot tell how many bytes sit in the pipe (FIONREAD)");
	f->rec.u.pipe.has_data = 1;
	if (!have)
		return 0;
	uint32_t maxpackets = f->rec.u.pipe.capacity / 4096 + 1;
	char *buf = arena_alloc(d, (uint64_t)have + maxpackets * sizeof(uint32_t));
	if (!buf)
		return dump_fd_refuse(d, fd, f->path, "out of scratch memory for the bytes in the pipe");
	uint32_t *lens = (uint32_t *)(buf + have), nreads = 0;
	int sp[2], short_read = 0;
	if (r_pipe2(sp, O_CLOEXEC | O_NONBLOCK) < 0)
		return dump_fd_refuse(d, fd, f->path, "cannot create a scratch pipe to copy its content (out of fds?)");
	long got = -1;
	if (r_fcntl(sp[1], K_F_SETPIPE_SZ, f->rec.u.pipe.capacity) >= (long)f->rec.u.pipe.capacity)
		got = r_tee(fd, sp[1], (size_t)have, K_SPLICE_F_NONBLOCK);
	for (long off = 0; got == have && off < have;) {
		long n = r_read(sp[0], buf + off, (size_t)(have - off));
		if (n <= 0 || nreads == maxpackets) {
			got = -1;
			break;
		}
		lens[nreads++] = (uint32_t)n;
		off += n;
		short_read |= off < have;
	}
	r_close(sp[0]);
	r_close(sp[1]);
	if (got != have)
		return dump_fd_refuse(d, fd, f->path,
				      "cannot copy the bytes sitting in the pipe (tee into a scratch pipe of its capacity "
				      "failed; the per-user pipe buffer limit, /proc/sys/fs/pipe-user-pages-soft, may be "
				      "reached: raise it or let the program drain the pipe first)");
	f->rec.u.pipe.npackets = short_read ? nreads : 0;
	f->data = buf;
	f->data_len = (uint64_t)have + f->rec.u.pipe.npackets * sizeof(uint32_t);
	f->rec.content_len += f->data_len; /* describe() counted the rest */
	return 0;
}

/* The end has no partner in the process: a pipe to or from another program. */
static void take_from_restorer(struct dump_fd *f)
{
	f->rec.kind = TCP_FD_INHERIT;
	f->rec.path_len = 0;
	f_memset(&f->rec.u, 0, sizeof(f->rec.u));
}

/* Settles the pipe whose first record is d->fds[first]. */
static int settle_pipe(struct dump_ctx *d, uint64_t first)
{
	uint64_t dev = d->fds[first].rec.dev, ino = d->fds[first].rec.inode;
	int reader = 0, writer = 0;
	long a_reader = -1, a_writer = -1;
	for (uint64_t i = first; i < d->nfds; i++) {
		const struct tcp_fd *r = &d->fds[i].rec;
		if (r->kind != TCP_FD_PIPE || r->dev != dev || r->inode != ino)
			continue;
		if (readable(r)) {
			reader = 1;
			a_reader = r->fd;
		}
		if (writable(r)) {
			writer = 1;
			a_writer = r->fd;
		}
	}
	/* In a process tree, the other processes' ends count too. */
	int tree_readers = 0, tree_writers = 0, unused;
	tree_pipe_ends(dev, ino, -1, &tree_readers, &tree_writers, &unused);
	reader |= tree_readers;
	writer |= tree_writers;
	int no_writer = 0, no_reader = 0, writer_outside = 0;
	if (!writer)
		no_writer = (poll_now(a_reader) & POLLHUP) != 0;
	if (!reader)
		no_reader = (poll_now(a_writer) & POLLERR) != 0;
	/* A named FIFO read here that no process of the tree writes, with
	 * nothing in it: a rendezvous point (mpirun's debugger_attach_fifo) that
	 * is opened by name again at the restore. A writer from outside, if one
	 * holds it, is still attached to the same inode then; a reader that
	 * never saw a writer (no POLLHUP) sees none after the restore either. */
	if (!writer && !no_writer && d->fds[first].rec.u.pipe.is_fifo && fifo_empty(a_reader))
		writer_outside = 1;
	uint32_t nends = 0;
	for (uint64_t i = first; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		if (f->rec.kind != TCP_FD_PIPE || f->rec.dev != dev || f->rec.inode != ino)
			continue;
		if ((!writer && !no_writer && !writer_outside) || (!reader && !no_reader) || (f->rec.fd <= 2 && !(reader && writer))) {
			/* The other end is (or may be) in another process. */
			if (f->rec.fd <= 2) {
				take_from_restorer(f);
				continue;
			}
			return dump_fd_refuse(
				d, f->rec.fd, f->path,
				!writer ? "its write end is held by a process that is not this one nor a descendant of the "
					  "checkpointed program; only pipes and FIFOs whose ends are all in the program's "
					  "process tree can be checkpointed (fds 0-2 are taken from tcp-restore). Pass it "
					  "as stdin, or close it before the checkpoint"
					: "its read end is held by a process that is not this one nor a descendant of the "
					  "checkpointed program; only pipes and FIFOs whose ends are all in the program's "
					  "process tree can be checkpointed (fds 0-2 are taken from tcp-restore). Pass it "
					  "as stdout/stderr, or close it before the checkpoint");
		}
		nends++;
	}
	/* Second pass: counts and the content, stored once with one readable end. */
	int stored = 0;
	for (uint64_t i = first; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		if (f->rec.kind != TCP_FD_PIPE || f->rec.dev != dev || f->rec.inode != ino)
			continue;
		f->rec.u.pipe.nends = nends;
		f->rec.u.pipe.no_writer = (uint32_t)no_writer;
		f->rec.u.pipe.no_reader = (uint32_t)no_reader;
		f->rec.u.pipe.has_data = 0;
		/* The bytes once for the tree: by its first reader (a tree),
		 * else by our first readable end. */
		int stores = 0;
		if (tree_active())
			tree_pipe_ends(dev, ino, f->rec.fd, &tree_readers, &tree_writers, &stores);
		else
			stores = !stored && readable(&f->rec) && !no_reader;
		if (stores) {
			if (capture_content(d, f))
				return -1;
			stored = 1;
		}
	}
	return 0;
}

int dump_fd_pipes_finish(struct dump_ctx *d)
{
	for (uint64_t i = 0; i < d->nfds; i++) {
		struct tcp_fd *r = &d->fds[i].rec;
		if (r->kind != TCP_FD_PIPE || r->u.pipe.nends)
			continue;
		if (settle_pipe(d, i))
			return -1;
	}
	/* fds 0-2 sharing a description with an end now taken from the
	 * restorer (2>&1) are taken from it as well, as before. */
	for (uint64_t i = 0; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		if (f->rec.kind != TCP_FD_DUP || f->rec.fd > 2)
			continue;
		for (uint64_t j = 0; j < i; j++)
			if (d->fds[j].rec.fd == f->rec.same_as && d->fds[j].rec.kind == TCP_FD_INHERIT &&
			    (d->fds[j].rec.mode & S_IFMT) == S_IFIFO) {
				take_from_restorer(f);
				f->rec.same_as = -1;
			}
	}
	return 0;
}
