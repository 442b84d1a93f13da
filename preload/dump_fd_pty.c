/* Pseudo-terminal pairs (issue 21: mpirun reads each rank's stdout from a
 * pty it made; the rank writes to its /dev/pts end). The master end
 * (/dev/ptmx) is recorded with its pair's number, lock and packet mode;
 * each end with its termios and window size. A slave end is a TCP_FD_PTY
 * only if its master is held by this process or its tree (the pair is made
 * again at restore); otherwise it is the user's terminal as before: fds 0-2
 * are taken from tcp-restore, others reopened by path.
 * Bytes a slave wrote that its master has not read yet (a rank's line that
 * mpirun had no time to read before it stopped) are read from the master,
 * kept in the image, and written back at once through a slave end of our
 * own with output processing off, so that the master reads the very same
 * bytes again, here and after the restore (a tty has no tee). Bytes the
 * master wrote that no slave has read yet (input) are refused: they sit in
 * the slave's line discipline, which cannot be replayed as it was.
 * Runs while the app is stopped: raw syscalls only. */
#include "dump.h"
#include "tree/query.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>

#define K_TCGETS 0x5401
#define K_TCSETS 0x5402
#define K_TIOCGPTPEER 0x5441
#define K_EAGAIN 11
#define K_EINTR 4
#define K_OPOST 1u
#define CAPTURE_MAX (256u * 1024u)
#define K_TIOCGWINSZ 0x5413
#define K_FIONREAD 0x541B
#define K_TIOCGPTN 0x80045430
#define K_TIOCGPKT 0x80045438
#define K_TIOCGPTLCK 0x80045439

static uint32_t dev_major(uint64_t d)
{
	return (uint32_t)(((d >> 8) & 0xfff) | ((d >> 32) & ~0xfffull));
}

static uint32_t dev_minor(uint64_t d)
{
	return (uint32_t)((d & 0xff) | ((d >> 12) & ~0xffull));
}

int dump_fd_pty_kind(const struct stat *st)
{
	uint32_t ma = dev_major(st->st_rdev), mi = dev_minor(st->st_rdev);
	if (ma == 5 && mi == 2)
		return 1; /* /dev/ptmx: a master */
	if (ma >= 136 && ma <= 143)
		return 2; /* UNIX98 slaves: /dev/pts/N */
	return 0;
}

static int refuse(struct dump_ctx *d, const struct dump_fd *out, const char *why)
{
	fb_puts(&d->err, "cannot checkpoint fd ");
	fb_puti(&d->err, out->rec.fd);
	fb_puts(&d->err, " (");
	fb_puts(&d->err, out->path);
	fb_puts(&d->err, ", pseudo-terminal /dev/pts/");
	fb_putu(&d->err, out->rec.u.pty.index, 10, 0);
	fb_puts(&d->err, "): ");
	fb_puts(&d->err, why);
	return -1;
}

/* Input written by the master that a slave has not read: refused. */
static int slave_input(struct dump_ctx *d, const struct dump_fd *out)
{
	int have = 0;
	if (r_ioctl(out->rec.fd, K_FIONREAD, (long)&have) < 0 || have <= 0)
		return 0;
	return refuse(d, out,
		      "input written to the terminal has not been read by the program yet, and tcp cannot put it "
		      "back as it was; take the checkpoint again once it is read");
}

/* Writes len bytes back into the pair through a slave end of our own,
 * output processing off meanwhile: the master reads them again as they
 * were. 0, or -1 if not all of them went back. */
static int put_back(int master, const char *buf, uint64_t len)
{
	long slave = r_ioctl(master, K_TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (slave < 0)
		return -1;
	uint32_t saved[9], raw[9];
	int rc = r_ioctl((int)slave, K_TCGETS, (long)saved) < 0 ? -1 : 0;
	f_memcpy(raw, saved, sizeof(raw));
	raw[1] &= ~K_OPOST;
	if (rc == 0 && r_ioctl((int)slave, K_TCSETS, (long)raw) < 0)
		rc = -1;
	/* What fits at once: it all came from there; a moment for the kernel
	 * to move its buffers to the master's side if it must. */
	for (uint64_t off = 0, tries = 0; rc == 0 && off < len;) {
		long n = r_write((int)slave, buf + off, len - off);
		if (n > 0) {
			off += (uint64_t)n;
		} else if ((n == -K_EAGAIN || n == -K_EINTR) && tries++ < 200) {
			struct timespec ms = { 0, 5000000 };
			rsys2(__NR_nanosleep, (long)&ms, 0);
		} else {
			rc = -1;
		}
	}
	r_ioctl((int)slave, K_TCSETS, (long)saved);
	r_close((int)slave);
	return rc;
}

/* Output of the slaves that master record `out` has not read: taken into
 * the record's content, then put back. */
static int capture_output(struct dump_ctx *d, struct dump_fd *out)
{
	int fd = out->rec.fd;
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct timespec zero = { 0, 0 };
	/* poll moves what the kernel still holds for the master into it */
	if (rsys5(__NR_ppoll, (long)&pfd, 1, (long)&zero, 0, 8) != 1 || !(pfd.revents & POLLIN))
		return 0;
	/* (The master's own line discipline is always raw: termios ioctls on
	 * a master reach its slave.) */
	if (out->rec.u.pty.packet || out->rec.u.pty.locked)
		return refuse(d, out,
			      "output of the program on the terminal has not been read yet, and in packet mode or "
			      "locked tcp cannot put it back; take the checkpoint again once it is read");
	char *buf = arena_alloc(d, CAPTURE_MAX);
	if (!buf)
		return refuse(d, out, "out of scratch memory for the output not read yet");
	long fl = r_fcntl(fd, F_GETFL, 0);
	if (fl < 0 || r_fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return refuse(d, out, "cannot read the output not read yet (F_SETFL)");
	uint64_t len = 0;
	for (long n; len < CAPTURE_MAX && (n = r_read(fd, buf + len, CAPTURE_MAX - len)) > 0;)
		len += (uint64_t)n;
	r_fcntl(fd, F_SETFL, fl);
	int full = len == CAPTURE_MAX;
	if (len && put_back(fd, buf, len)) {
		return refuse(d, out,
			      "the output not read yet could not be put back into the terminal after it was copied; "
			      "the running program may miss part of it");
	}
	if (full)
		return refuse(d, out, "more than 256 KiB of output not read yet; take the checkpoint again");
	out->data = buf;
	out->data_len = len;
	out->rec.content_len += len; /* describe() counted the rest */
	return 0;
}

int dump_fd_pty(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	struct tcp_fd_pty *t = &out->rec.u.pty;
	int fd = (int)p->fd;
	out->rec.kind = TCP_FD_PTY;
	t->master = dump_fd_pty_kind(p->st) == 1;
	if (t->master) {
		int v = 0;
		if (r_ioctl(fd, K_TIOCGPTN, (long)&v) < 0)
			return dump_fd_refuse(d, fd, out->path, "cannot tell which pseudo-terminal it is (TIOCGPTN)");
		t->index = (uint32_t)v;
		v = 0;
		if (r_ioctl(fd, K_TIOCGPTLCK, (long)&v) == 0)
			t->locked = v != 0;
		v = 0;
		if (r_ioctl(fd, K_TIOCGPKT, (long)&v) == 0)
			t->packet = v != 0;
	} else {
		t->index = (dev_major(p->st->st_rdev) - 136) * 256 + dev_minor(p->st->st_rdev);
	}
	if (r_ioctl(fd, K_TCGETS, (long)t->termios) < 0 || r_ioctl(fd, K_TIOCGWINSZ, (long)t->winsize) < 0)
		return dump_fd_refuse(d, fd, out->path, "cannot read its terminal settings (TCGETS, TIOCGWINSZ)");
	return 0;
}

/* Whether the master of pair `index` is among this process's records. */
static int master_here(const struct dump_ctx *d, uint32_t index)
{
	for (uint64_t i = 0; i < d->nfds; i++) {
		const struct tcp_fd *r = &d->fds[i].rec;
		if (r->kind == TCP_FD_PTY && r->u.pty.master && r->u.pty.index == index)
			return 1;
	}
	return 0;
}

int dump_fd_ptys_finish(struct dump_ctx *d)
{
	for (uint64_t i = 0; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		struct tcp_fd *r = &f->rec;
		if (r->kind != TCP_FD_PTY)
			continue;
		if (r->u.pty.master || master_here(d, r->u.pty.index) || tree_pty_master_held(r->u.pty.index)) {
			if (r->u.pty.master ? capture_output(d, f) : slave_input(d, f))
				return -1;
			continue;
		}
		/* The user's terminal (or another program's pty): as before. */
		f_memset(&r->u, 0, sizeof(r->u));
		r->kind = r->fd <= 2 ? TCP_FD_INHERIT : TCP_FD_DEVICE;
	}
	return 0;
}
