/* Pseudo-terminal pairs (TCP_FD_PTY, preload/dump_fd_pty.c): each pair is
 * made again once, as a new /dev/ptmx (its number may differ from the
 * checkpoint's: nothing of the program names it but ttyname), and every
 * record takes it: the master's records a duplicate of the new master,
 * each slave record an open of its peer (TIOCGPTPEER: no path is looked
 * up, so nothing planted under /dev/pts can stand in). Each end gets its
 * terminal settings and window size back; the master its packet mode and
 * lock. In a tree the root's restorer makes the pairs before the other
 * processes exist (they inherit them); alone, the first record of a pair
 * makes it. */
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define K_TCGETS 0x5401
#define K_TCSETS 0x5402
#define K_TIOCSWINSZ 0x5414
#define K_TIOCPKT 0x5420
#define K_TIOCGPTPEER 0x5441
#define K_TIOCSPTLCK 0x40045431
#define K_TIOCGPTLCK 0x80045439

#define MAX_PTYS 256

/* The pairs made by this restorer (or inherited from the tree's root's),
 * by their number at checkpoint time. */
static struct live_pty {
	uint32_t index;
	int master; /* above the floor: the blob closes it */
} live[MAX_PTYS];
static int nlive;

static struct live_pty *pair_of(uint32_t index)
{
	for (int i = 0; i < nlive; i++)
		if (live[i].index == index)
			return &live[i];
	return NULL;
}

static struct live_pty *make_pair(const struct tcp_fd *f)
{
	uint32_t index = f->u.pty.index;
	struct live_pty *l = pair_of(index);
	if (l)
		return l;
	if (nlive == MAX_PTYS) {
		say("fd %d: more than %d pseudo-terminals to make again; the image is unusual", f->fd, MAX_PTYS);
		return NULL;
	}
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int high = m >= 0 ? fcntl(m, F_DUPFD_CLOEXEC, restore_keep_floor()) : -1;
	int unlocked = 0;
	if (high >= 0 && ioctl(high, K_TIOCSPTLCK, &unlocked) < 0) {
		close(high);
		high = -1;
	}
	if (m >= 0)
		close(m);
	if (high < 0) {
		say("fd %d: cannot make the pseudo-terminal /dev/pts/%u again (open /dev/ptmx): %s", f->fd, index,
		    strerror(errno));
		return NULL;
	}
	live[nlive] = (struct live_pty){ index, high };
	return &live[nlive++];
}

static int set_terminal(int fd, const struct tcp_fd *f, const char *end)
{
	if (ioctl(fd, K_TCSETS, f->u.pty.termios) == 0 && ioctl(fd, K_TIOCSWINSZ, f->u.pty.winsize) == 0 &&
	    fcntl(fd, F_SETFL, (int)(f->flags & O_NONBLOCK)) == 0)
		return 0;
	say("fd %d: cannot give the %s of the pseudo-terminal /dev/pts/%u its settings back: %s", f->fd, end,
	    f->u.pty.index, strerror(errno));
	return -1;
}

/* The output its slaves had written that the master had not read: written
 * again through a slave end of ours, output processing off, so that the
 * master reads the same bytes. */
static int refill(const struct img_fd *d, int image_fd, int master)
{
	uint64_t len = TCP_FD_DATA_LEN(&d->f);
	if (!len)
		return 0;
	char *buf = len <= (1u << 20) ? malloc(len) : NULL;
	int slave = ioctl(master, K_TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios2_raw { uint32_t flags[4]; uint8_t rest[20]; } saved, raw;
	int rc = buf && slave >= 0 && pread(image_fd, buf, len, (off_t)d->content_off) == (ssize_t)len &&
			 ioctl(slave, K_TCGETS, &saved) == 0
		 ? 0
		 : -1;
	raw = saved;
	raw.flags[1] &= ~1u; /* OPOST */
	if (rc == 0 && ioctl(slave, K_TCSETS, &raw) == 0) {
		rc = write(slave, buf, len) == (ssize_t)len ? 0 : -1;
		ioctl(slave, K_TCSETS, &saved);
	} else {
		rc = -1;
	}
	if (rc)
		say("fd %d: cannot put back the %llu bytes of output the pseudo-terminal /dev/pts/%u held unread: %s",
		    d->f.fd, (unsigned long long)len, d->f.u.pty.index, strerror(errno));
	if (slave >= 0)
		close(slave);
	free(buf);
	return rc;
}

static int open_master(const struct img_fd *d, int image_fd, struct live_pty *l)
{
	const struct tcp_fd *f = &d->f;
	int fd = fcntl(l->master, F_DUPFD_CLOEXEC, 0);
	int packet = (int)f->u.pty.packet, lock = (int)f->u.pty.locked;
	if (fd < 0 || ioctl(fd, K_TIOCPKT, &packet) < 0 || ioctl(fd, K_TIOCSPTLCK, &lock) < 0) {
		say("fd %d: cannot set up the master of the pseudo-terminal /dev/pts/%u: %s", f->fd, f->u.pty.index,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (set_terminal(fd, f, "master") || refill(d, image_fd, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A new open of the slave; a pair locked by its program (rare: locked
 * after the slave was opened) is unlocked for that instant. */
static int open_slave(const struct tcp_fd *f, struct live_pty *l)
{
	int locked = 0, unlocked = 0;
	ioctl(l->master, K_TIOCGPTLCK, &locked);
	if (locked)
		ioctl(l->master, K_TIOCSPTLCK, &unlocked);
	int fd = ioctl(l->master, K_TIOCGPTPEER, (int)(f->flags & O_ACCMODE) | O_NOCTTY | O_CLOEXEC);
	int err = errno;
	if (locked)
		ioctl(l->master, K_TIOCSPTLCK, &locked);
	if (fd < 0) {
		say("fd %d: cannot open the slave end of the remade pseudo-terminal /dev/pts/%u: %s", f->fd,
		    f->u.pty.index, strerror(err));
		return -1;
	}
	if (set_terminal(fd, f, "slave end")) {
		close(fd);
		return -1;
	}
	return fd;
}

int open_fd_pty(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)o;
	const struct tcp_fd *f = &d->f;
	if (f->u.pty.master > 1 || f->u.pty.locked > 1 || f->u.pty.packet > 1 || (f->flags & O_ACCMODE) == O_ACCMODE ||
	    (TCP_FD_DATA_LEN(f) && !f->u.pty.master) || TCP_FD_DATA_LEN(f) > (256u << 10)) {
		say("fd %d: the image's pseudo-terminal record is impossible; the image is damaged or was not "
		    "written by libtcp. Restore from another image",
		    f->fd);
		return -1;
	}
	struct live_pty *l = make_pair(f);
	if (!l)
		return -1;
	return f->u.pty.master ? open_master(d, image_fd, l) : open_slave(f, l);
}

int pty_make_shared(const struct img_fd *master)
{
	return make_pair(&master->f) ? 0 : -1;
}
