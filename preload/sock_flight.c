/* fds in flight (issue 20): a message sent with SCM_RIGHTS and not read yet
 * holds open files that no fd of any process may hold any more. Before
 * anything else of the process is read (in a tree: once every process is
 * stopped, before the root compares the tree's fds), each connected UNIX
 * socket's receive queue is peeked with room for fds: the kernel installs
 * duplicates of the fds in flight, which are moved to fds above every fd
 * of the program, [flight_lo, flight_hi). From then on they are ordinary
 * fds of this process: saved like any fd (a file, a memfd, a pipe end, an
 * open file shared with another process of the tree), referenced by number
 * from their message's record, and closed before the program goes on. The
 * restored process sends them again and closes them likewise. Raw syscalls
 * only. */
#include "dump.h"
#include "sock_diag.h"
#include "sock_peek.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/socket.h>

/* The program's fds from /proc/self/fd, each passed to `each` (-1 ends
 * the walk early); returns the highest, or -1 (d->err) if it cannot be
 * listed. */
static long walk_fds(struct dump_ctx *d, int (*each)(struct dump_ctx *, int, uint64_t), int dfd)
{
	long high = -1, n;
	r_lseek(dfd, 0, 0);
	while ((n = r_getdents64(dfd, d->dents, 65536)) > 0) {
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(d->dents + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = e->d_name; *c; c++)
				fd = fd * 10 + (*c - '0');
			high = fd > high ? fd : high; /* the listing's own fd too: above it all is free */
			if (fd == dfd)
				continue;
			struct stat st;
			if (each && r_fstatat(dfd, e->d_name, &st, 0) == 0 && S_ISSOCK(st.st_mode) && each(d, fd, st.st_ino))
				return -2;
		}
	}
	return n < 0 ? -1 : high;
}

static int count_socket(struct dump_ctx *d, int fd, uint64_t ino)
{
	(void)fd;
	(void)ino;
	d->nflights++;
	return 0;
}

static int get_int(int fd, int opt)
{
	int v = -1;
	unsigned int len = sizeof(v);
	return r_getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

/* One socket: a connected UNIX socket's queue, fds in flight taken. */
static int peek_socket(struct dump_ctx *d, int fd, uint64_t ino)
{
	int type = get_int(fd, SO_TYPE);
	if (fd >= d->flight_lo) /* one we installed: its own queue is not looked at */
		return 0;
	if (get_int(fd, SO_DOMAIN) != AF_UNIX || get_int(fd, SO_ACCEPTCONN) != 0 ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET))
		return 0;
	struct unix_sock_info info;
	if (unix_diag_query(ino, &info, d->flight_diag, 8192) < 0 || !info.have_peer)
		return 0; /* dump_fd_socket.c says what is wrong, or there is no queue to keep */
	uint64_t i = d->nflights;
	if (i >= d->flights_cap)
		return 0; /* opened meanwhile: not ours to know */
	struct dump_flight *f = &d->flights[i];
	f_memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->ino = ino;
	f->first = d->flight_hi;
	struct sock_queue q = { d->arena + d->used, d->arena_len - d->used, 0, 0, 0, 0 };
	if (sock_peek_queue(fd, type, (info.shutdown & 1) != 0, &q, &d->flight_hi))
		f->why = q.why;
	else
		f->data = arena_alloc(d, q.len);
	f->len = q.len;
	f->nmsgs = q.nmsgs;
	f->end = d->flight_hi;
	d->nflights++;
	return 0;
}

int dump_sock_flight_take(struct dump_ctx *d)
{
	if (d->flight_taken)
		return 0;
	d->flight_taken = 1;
	long dfd = r_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0) {
		fb_puts(&d->err, "cannot list /proc/self/fd: ");
		fb_puts(&d->err, tcp_strerror(dfd));
		return -1;
	}
	d->nflights = 0;
	long high = walk_fds(d, count_socket, (int)dfd);
	if (high >= 0 && d->nflights) {
		d->flights_cap = d->nflights;
		d->flights = arena_alloc(d, d->flights_cap * sizeof(*d->flights));
		d->flight_diag = arena_alloc(d, 8192);
		d->nflights = 0;
		d->flight_lo = d->flight_hi = (int)high + 1;
		if (d->flights && d->flight_diag)
			walk_fds(d, peek_socket, (int)dfd);
	}
	r_close((int)dfd);
	if (high < 0) {
		fb_puts(&d->err, "cannot list /proc/self/fd");
		return -1;
	}
	if (d->flights_cap && (!d->flights || !d->flight_diag)) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	return 0;
}

const struct dump_flight *dump_sock_flight_of(const struct dump_ctx *d, long fd, uint64_t ino)
{
	for (uint64_t i = 0; i < d->nflights; i++)
		if (d->flights[i].fd == fd && d->flights[i].ino == ino)
			return &d->flights[i];
	return 0;
}

int dump_sock_flight_carrier(const struct dump_ctx *d, long fd)
{
	for (uint64_t i = 0; fd >= d->flight_lo && i < d->nflights; i++)
		if (fd >= d->flights[i].first && fd < d->flights[i].end)
			return d->flights[i].fd;
	return -1;
}

void dump_sock_flight_close(struct dump_ctx *d)
{
	for (int fd = d->flight_lo; fd < d->flight_hi; fd++)
		r_close(fd);
	d->flight_lo = d->flight_hi = 0;
	d->nflights = 0;
	d->flight_taken = 0;
}
