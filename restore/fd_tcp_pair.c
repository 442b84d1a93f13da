/* A TCP connection between two processes of a tree, made again by the
 * root's restorer before the processes exist (issue 20 item 3; the
 * checkpoint side is preload/dump_fd_tcp_pair.c).
 *
 * Why not TCP_REPAIR: it needs CAP_NET_ADMIN in the socket's network
 * namespace, the host's (tcp-restore makes no network namespace: the tree
 * keeps its network), which a user without privilege never has; and what
 * it would bring back beyond the addresses and the queues (sequence
 * numbers, windows, timers) nobody sees on the loopback. Instead both ends
 * agree on a reconnect: a temporary listener bound to one end's address
 * and port, a socket bound to the other end's address and port that
 * connects to it; the accepted socket and the connecting one then have the
 * very addresses and ports the program's two sockets had (getsockname and
 * getpeername unchanged). Each end's receive queue is then sent from the
 * other end, so that it waits where it waited, and a shut-down direction
 * is shut down again after it (its FIN comes after the bytes).
 *
 * Ports: both sockets have SO_REUSEADDR (as the checkpoint left the
 * program's: see there), so that connections of the killed tree in
 * TIME_WAIT and the program's own listener on the same port, bound later
 * by its process (also with SO_REUSEADDR), do not get in each other's way.
 * The kernel gives a TIME_WAIT of the very same four values to a new
 * connection on the loopback once it is a second old (tcp_tw_reuse=2):
 * the connect is retried for a few seconds. */
#define _GNU_SOURCE
#include "restore.h"
#include "../common/fstr.h"
#include "../common/sockaddr_same.h"
#include "../common/sockaddr_text.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 5000

static const char *addr_of(const uint8_t *a, uint32_t len, char *out, size_t cap)
{
	struct fbuf b;
	fb_init(&b, out, cap);
	fb_put_sockaddr(&b, a, len);
	out[b.len < cap ? b.len : cap - 1] = 0;
	return out;
}

static void nap_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static int set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

/* Room for `want` bytes (SO_RCVBUF or SO_SNDBUF as getsockopt reports it:
 * twice what is set), beyond the user's limit where allowed. */
static void make_room(int fd, int opt, int force, long want)
{
	int now = 0;
	socklen_t len = sizeof(now);
	getsockopt(fd, SOL_SOCKET, opt, &now, &len);
	if (want <= now)
		return;
	int v = want / 2 > 0x3fffffff ? 0x3fffffff : (int)(want / 2);
	if (set_int(fd, SOL_SOCKET, force, v))
		set_int(fd, SOL_SOCKET, opt, v);
}

/* A socket of end `e`'s family, with SO_REUSEADDR, V6ONLY as it had it,
 * and a receive buffer for its queue of `queued` bytes (set before the
 * connection exists: its window is chosen from it), bound to its address. */
static int bound_socket(const struct tcp_fd_socket *e, int fd_no, uint64_t queued)
{
	char text[200];
	int fd = socket((int)e->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		say("fd %d: cannot create a socket for its TCP connection: %s", fd_no, strerror(errno));
		return -1;
	}
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (e->family == AF_INET6)
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, (e->opts & TCP_SOCKO_V6ONLY) != 0);
	make_room(fd, SO_RCVBUF, SO_RCVBUFFORCE, e->rcvbuf > 4 * (long)queued ? e->rcvbuf : 4 * (long)queued);
	/* The killed run's own sockets on that port may still be closing (its
	 * many connections to one listener, as mpirun's): a while to go. */
	int rc = -1;
	for (int tries = 0; tries < WAIT_MS / 100; tries++) {
		rc = bind(fd, (const struct sockaddr *)e->addr, e->addr_len);
		if (rc == 0 || errno != EADDRINUSE)
			break;
		nap_ms(100);
	}
	if (rc) {
		say("fd %d: cannot bind a socket to %s to make its TCP connection with another process of the tree "
		    "again: %s%s",
		    fd_no, addr_of(e->addr, e->addr_len, text, sizeof(text)), strerror(errno),
		    errno == EADDRINUSE ? ". Another program uses that port now, or a connection of the checkpointed "
					  "tree on it waits in TIME_WAIT (a minute at most: restore again then)"
					: "");
		close(fd);
		return -1;
	}
	return fd;
}

/* c (bound to end y's address) connects to end y's peer, where listener l
 * (bound to x's address) waits; the accepted socket, or -1. */
static int connect_ends(int l, int c, const struct tcp_fd_socket *y, int fd_no)
{
	char text[200];
	int rc = -1;
	for (int tries = 0; tries < WAIT_MS / 100; tries++) {
		rc = connect(c, (const struct sockaddr *)y->peer, y->peer_len);
		if (rc == 0 || (errno != EADDRNOTAVAIL && errno != EADDRINUSE))
			break;
		nap_ms(100); /* a TIME_WAIT of these four values, reusable soon */
	}
	if (rc) {
		say("fd %d: cannot connect to %s to make its TCP connection with another process of the tree again: "
		    "%s%s",
		    fd_no, addr_of(y->peer, y->peer_len, text, sizeof(text)), strerror(errno),
		    errno == EADDRNOTAVAIL ? " (the connection of the checkpointed tree waits in TIME_WAIT; restore again "
					     "in a minute)"
					   : "");
		return -1;
	}
	/* Anyone may connect to the listener meanwhile: take ours only. */
	for (;;) {
		struct pollfd p = { l, POLLIN, 0 };
		if (poll(&p, 1, WAIT_MS) != 1) {
			say("fd %d: its TCP connection with another process of the tree was made again but never "
			    "accepted",
			    fd_no);
			return -1;
		}
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		int a = accept4(l, (struct sockaddr *)&from, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (a < 0 && errno == EAGAIN)
			continue;
		if (a < 0) {
			say("fd %d: cannot accept its TCP connection made again: %s", fd_no, strerror(errno));
			return -1;
		}
		if (sockaddr_same_inet((const uint8_t *)&from, len, y->addr, y->addr_len)) {
			fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_NONBLOCK);
			return a;
		}
		close(a);
	}
}

/* The receive queue of record r, sent from `sender` to `receiver`: every
 * chunk of it, without blocking for ever (the sender's buffer is made
 * large enough first). Bytes the receiver has no room for yet stay in the
 * sender's send queue and arrive once the program reads: in order. */
static int refill(const struct img_fd *r, int image_fd, int sender, int receiver)
{
	if (!TCP_FD_DATA_LEN(&r->f))
		return 0;
	char *buf;
	uint64_t len;
	if (sock_load_queue(r, image_fd, &buf, &len))
		return -1;
	make_room(sender, SO_SNDBUF, SO_SNDBUFFORCE, 2 * (long)len + 65536);
	uint64_t total = 0;
	int rc = 0;
	for (uint64_t pos = 0; pos + 4 <= len && !rc;) {
		uint32_t n;
		memcpy(&n, buf + pos, 4);
		n &= TCP_SOCK_MSG_LEN;
		pos += 4;
		for (uint64_t done = 0; done < n && !rc;) {
			ssize_t w = send(sender, buf + pos + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w > 0) {
				done += (uint64_t)w;
			} else if (w < 0 && errno == EAGAIN) {
				struct pollfd p = { sender, POLLOUT, 0 };
				if (poll(&p, 1, WAIT_MS) != 1)
					rc = ETIMEDOUT;
			} else if (errno != EINTR) {
				rc = errno;
			}
		}
		pos += n;
		total += n;
	}
	free(buf);
	if (rc) {
		say("fd %d: cannot put the %llu bytes waiting in its TCP connection back: %s%s", r->f.fd,
		    (unsigned long long)total, strerror(rc),
		    rc == ETIMEDOUT ? " (more than the socket buffers take: a user without privilege gets at most "
				      "net.core.rmem_max and net.core.wmem_max; raise them, or restore as root)"
				    : "");
		return -1;
	}
	/* On the loopback they arrive at once where there is room: wait a
	 * little for that, so that the program finds them there. */
	for (int i = 0; i < 100; i++) {
		int inq = 0;
		if (ioctl(receiver, FIONREAD, &inq) || (uint64_t)inq >= total)
			break;
		nap_ms(2);
	}
	return 0;
}

/* Shutdowns as each end saw them: a direction the end shut itself
 * (its FIN after the bytes), a reading side shut by the program alone. */
static void shut_again(int fd, const struct tcp_fd_socket *e, const struct tcp_fd_socket *other)
{
	if (e->shutdown & 2)
		shutdown(fd, SHUT_WR);
	if ((e->shutdown & 1) && !(other->shutdown & 2))
		shutdown(fd, SHUT_RD);
}

static int above(int *fd, int floor, int fd_no)
{
	int high = fcntl(*fd, F_DUPFD_CLOEXEC, floor);
	if (high < 0) {
		say("fd %d: cannot keep its TCP connection with another process of the tree open: %s (raise the "
		    "open-files limit)",
		    fd_no, strerror(errno));
		return -1;
	}
	close(*fd);
	*fd = high;
	return 0;
}

int sock_make_tcp_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd, int floor)
{
	const struct tcp_fd_socket *sx = &x->f.u.sock, *sy = &y->f.u.sock;
	if (sock_tree_end_made(sx->ino))
		return 0; /* made already, from its peer */
	char text[2][200];
	if (sx->type != SOCK_STREAM || sy->type != SOCK_STREAM || sx->addr_len > TCP_SOCK_ADDR_MAX ||
	    sx->peer_len > TCP_SOCK_ADDR_MAX || sy->addr_len > TCP_SOCK_ADDR_MAX || sy->peer_len > TCP_SOCK_ADDR_MAX) {
		say("fd %d: the image's record of its TCP connection is invalid; the image is damaged or from another "
		    "version of tcp",
		    x->f.fd);
		return -1;
	}
	if (!sockaddr_tcp_ends(sx->addr, sx->addr_len, sx->peer, sx->peer_len, sy->addr, sy->addr_len, sy->peer,
			       sy->peer_len)) {
		say("fd %d: its TCP connection from %s to %s does not end at fd %d of the other process (%s); the images "
		    "of the tree do not fit together",
		    x->f.fd, addr_of(sx->addr, sx->addr_len, text[0], sizeof(text[0])),
		    addr_of(sx->peer, sx->peer_len, text[1], sizeof(text[1])), y->f.fd,
		    addr_of(sy->addr, sy->addr_len, text[0], sizeof(text[0])));
		return -1;
	}
	int l = bound_socket(sx, x->f.fd, TCP_FD_DATA_LEN(&x->f));
	if (l < 0)
		return -1;
	int ends[2] = { -1, -1 }; /* x's, y's */
	if (listen(l, 1)) {
		say("fd %d: cannot listen on %s to make its TCP connection again: %s", x->f.fd,
		    addr_of(sx->addr, sx->addr_len, text[0], sizeof(text[0])), strerror(errno));
	} else if ((ends[1] = bound_socket(sy, y->f.fd, TCP_FD_DATA_LEN(&y->f))) >= 0) {
		ends[0] = connect_ends(l, ends[1], sy, y->f.fd);
	}
	close(l);
	int ok = ends[0] >= 0 && ends[1] >= 0 && !refill(x, x_image_fd, ends[1], ends[0]) &&
		 !refill(y, y_image_fd, ends[0], ends[1]);
	if (ok) {
		shut_again(ends[0], sx, sy);
		shut_again(ends[1], sy, sx);
		ok = !above(&ends[0], floor, x->f.fd) && !above(&ends[1], floor, y->f.fd) &&
		     !sock_tree_end_add(sx->ino, ends[0]) && !sock_tree_end_add(sy->ino, ends[1]);
		if (ok)
			return 0;
		ends[0] = ends[1] = -1; /* kept in the table, or closed there */
	}
	for (int i = 0; i < 2; i++)
		if (ends[i] >= 0)
			close(ends[i]);
	return -1;
}
