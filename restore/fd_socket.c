/* Sockets at restore (issue 7, item 3): the counterpart of
 * preload/dump_fd_socket.c. The two ends of a pair are made by one
 * socketpair(): the first record opened keeps the other end for its peer's
 * record. Queued data, buffer sizes, shutdown and peek offsets are set in
 * finish_fds_sockets(), once every end is at its number.
 *
 * In a tree (restore/tree/), the pairs whose ends are in several processes
 * (TCP_SOCK_TREE_PAIR, or an end held by several) are made once by the
 * root's restorer, with both queues (sock_make_shared_pair; TCP
 * connections: fd_tcp_pair.c), and every record of one of their ends
 * takes that end.
 *
 * fds in flight (queue records with TCP_SOCK_MSG_FDS) are fds of the image
 * that exist only to be sent again: a queue with such records is filled by
 * the process that receives it, once its fds are in place (a tree's pair:
 * from the other end the root's restorer made, which it inherited; of the
 * processes that hold it, one: tree_fills_queue), which then closes them.
 *
 * Datagrams that waited on an unconnected socket (TCP_SOCKQ_SENDERS) are
 * sent again from their senders (sock_dgram.c): by the process in
 * finish_fds_sockets, or in a tree by the root's restorer, which made the
 * sockets bound (tree/shared_dgram.c); their records take them. */
#define _GNU_SOURCE
#include "restore.h"
#include "sock_queue.h"
#include "tree/tree.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Other ends of socketpairs, waiting for their own record. */
static struct pending_end {
	uint64_t ino;
	int fd;
} pending[4096];
static size_t npending;

/* Ends made for the whole tree, by socket inode. */
static struct pending_end *tree_ends;
static size_t ntree_ends;

static int tree_end(uint64_t ino)
{
	for (size_t i = 0; i < ntree_ends; i++)
		if (tree_ends[i].ino == ino)
			return tree_ends[i].fd;
	return -1;
}

static const char *addr_text(const uint8_t *a, uint32_t len, char *out, size_t cap)
{
	sa_family_t family = 0;
	if (len >= sizeof(family))
		memcpy(&family, a, sizeof(family));
	char ip[INET6_ADDRSTRLEN] = "?";
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in s;
		memcpy(&s, a, sizeof(s));
		inet_ntop(AF_INET, &s.sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(s.sin_port));
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 s;
		memcpy(&s, a, sizeof(s));
		inet_ntop(AF_INET6, &s.sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s.sin6_port));
	} else if (family == AF_UNIX && len > 2) {
		const char *p = (const char *)a + 2;
		int n = (int)(len - 2);
		if (p[0])
			snprintf(out, cap, "%.*s", n, p);
		else
			snprintf(out, cap, "@%.*s", n - 1, p + 1);
	} else {
		snprintf(out, cap, "an unnamed socket");
	}
	return out;
}

/* Everything open_fd_socket relies on, checked before it is used. */
int sock_check_record(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	const char *why = NULL;
	if (s->family != AF_UNIX && s->family != AF_INET && s->family != AF_INET6)
		why = "unknown address family";
	else if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM && s->type != SOCK_SEQPACKET)
		why = "unknown socket type";
	else if (s->type == SOCK_SEQPACKET && s->family != AF_UNIX)
		why = "a seqpacket socket that is not a UNIX socket";
	else if (s->role < TCP_SOCK_PAIR || s->role > TCP_SOCK_TREE_PAIR)
		why = "unknown socket role";
	else if (s->role == TCP_SOCK_TREE_PAIR && (!s->peer_ino || (s->family != AF_UNIX && s->type != SOCK_STREAM)))
		why = "a socket pair across processes that is neither a UNIX socket nor a TCP connection with a peer";
	else if (s->addr_len > TCP_SOCK_ADDR_MAX || s->peer_len > TCP_SOCK_ADDR_MAX)
		why = "address length out of range";
	else if (s->role == TCP_SOCK_PAIR && s->family != AF_UNIX)
		why = "a socket pair that is not a UNIX socket";
	else if (s->role == TCP_SOCK_LISTEN && s->type == SOCK_DGRAM)
		why = "a listening datagram socket";
	else if (s->qflags & ~TCP_SOCKQ_SENDERS)
		why = "unknown queue flags";
	else if ((s->qflags & TCP_SOCKQ_SENDERS) &&
		 (s->family != AF_UNIX || s->type != SOCK_DGRAM || s->role != TCP_SOCK_PLAIN ||
		  s->peer_len > sizeof(sa_family_t) || !sock_abstract_name(s->addr, s->addr_len)))
		why = "datagrams kept with their senders on a socket that is not an unconnected UNIX datagram socket "
		      "bound to an abstract name";
	else if (s->role != TCP_SOCK_PAIR && s->role != TCP_SOCK_TREE_PAIR && !(s->qflags & TCP_SOCKQ_SENDERS) &&
		 TCP_FD_DATA_LEN(f))
		why = "queued data on a socket that cannot hold any";
	else if (TCP_FD_DATA_LEN(f) > f->content_len)
		why = "lock records larger than the content";
	if (why) {
		say("fd %d: the image's socket record is invalid (%s); the image is damaged or from another version "
		    "of tcp",
		    f->fd, why);
		return -1;
	}
	return 0;
}

static int set_flag(int fd, int level, int opt, int on)
{
	return setsockopt(fd, level, opt, &on, sizeof(on));
}

/* Options that must be in place before bind/listen or before data arrives. */
static int set_early_options(int fd, const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	if ((s->opts & TCP_SOCKO_REUSEPORT) && set_flag(fd, SOL_SOCKET, SO_REUSEPORT, 1))
		return -1;
	/* A TCP connection of the tree is made bound (fd_tcp_pair.c), when
	 * IPV6_V6ONLY can no longer change. */
	if (s->family == AF_INET6 && s->role != TCP_SOCK_TREE_PAIR &&
	    set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY, (s->opts & TCP_SOCKO_V6ONLY) != 0))
		return -1;
	if ((f->flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		return -1;
	return 0;
}

/* Whether a TCP socket of this machine (its network namespace) listens on
 * `port` now: /proc/net/tcp and tcp6, state 0A. Tells a port another
 * program took from one that connections in TIME_WAIT still hold. */
static int port_has_listener(unsigned port)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	for (int t = 0; t < 2; t++) {
		FILE *f = fopen(tables[t], "re");
		char line[512];
		int found = 0;
		while (f && !found && fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':'), *local = colon ? strchr(colon + 1, ':') : 0;
			unsigned p = 0, st = 0;
			/* "  N: LOCALADDR:PORT REMADDR:PORT ST ..." */
			if (local && sscanf(local + 1, "%x %*s %x", &p, &st) == 2 && p == port && st == 0x0A)
				found = 1;
		}
		if (f)
			fclose(f);
		if (found)
			return 1;
	}
	return 0;
}

static unsigned port_of(const struct tcp_fd_socket *s)
{
	if (s->family == AF_INET && s->addr_len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in a;
		memcpy(&a, s->addr, sizeof(a));
		return ntohs(a.sin_port);
	}
	if (s->family == AF_INET6 && s->addr_len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 a;
		memcpy(&a, s->addr, sizeof(a));
		return ntohs(a.sin6_port);
	}
	return 0;
}

/* Binds to the recorded address. A TCP port may still have connections in
 * TIME_WAIT from before the checkpoint: SO_REUSEADDR is on for the bind and
 * listen, then set as the program had it. A UNIX socket's path is a file:
 * it is bound (and listens, and is connected to a path) by the blob's last
 * step, once nothing can fail any more (plan_files.c, commit.c). */
static int bind_listen(int fd, const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	char text[300];
	int any_port = 0;
	if (s->family == AF_INET && s->addr_len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in a;
		memcpy(&a, s->addr, sizeof(a));
		any_port = a.sin_port == 0;
	} else if (s->family == AF_INET6 && s->addr_len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 a;
		memcpy(&a, s->addr, sizeof(a));
		any_port = a.sin6_port == 0;
	}
	int late = socket_binds_late(f);
	int bound = late ? 0 : s->family == AF_UNIX ? s->addr_len > offsetof(struct sockaddr_un, sun_path) : !any_port;
	if (bound) {
		if (s->family != AF_UNIX)
			set_flag(fd, SOL_SOCKET, SO_REUSEADDR, 1);
		if (bind(fd, (const struct sockaddr *)s->addr, s->addr_len)) {
			int bind_errno = errno;
			if (bind_errno == EADDRINUSE && s->family != AF_UNIX && s->type == SOCK_STREAM &&
			    port_has_listener(port_of(s))) {
				say("fd %d: cannot bind the socket to %s again: another program listens on port %u "
				    "now (`ss -ltnp 'sport = :%u'` names it). Stop it, or restore when the port is "
				    "free again; a program that picks the first free port at start (Open MPI's "
				    "btl_tcp) can be kept to a range of its own (btl_tcp_port_min_v4)",
				    f->fd, addr_text(s->addr, s->addr_len, text, sizeof(text)), port_of(s), port_of(s));
				return -1;
			}
			if (bind_errno == EADDRINUSE && s->family != AF_UNIX && s->type == SOCK_STREAM &&
			    !(s->opts & TCP_SOCKO_REUSEADDR)) {
				say("fd %d: cannot bind the socket to %s again: the port is in use, probably by "
				    "connections in TIME_WAIT from before the checkpoint, and the program did not set "
				    "SO_REUSEADDR on it. Wait a minute (net.ipv4.tcp_fin_timeout) and restore again",
				    f->fd, addr_text(s->addr, s->addr_len, text, sizeof(text)));
				return -1;
			}
			say("fd %d: cannot bind the socket to %s again: %s. Stop whatever uses that address now, "
			    "then restore again",
			    f->fd, addr_text(s->addr, s->addr_len, text, sizeof(text)), strerror(bind_errno));
			return -1;
		}
	}
	if (s->role == TCP_SOCK_LISTEN && !late && listen(fd, (int)(s->backlog > 65535 ? 65535 : s->backlog))) {
		say("fd %d: cannot listen on %s again: %s", f->fd, addr_text(s->addr, s->addr_len, text, sizeof(text)),
		    strerror(errno));
		return -1;
	}
	if (s->family != AF_UNIX)
		set_flag(fd, SOL_SOCKET, SO_REUSEADDR, (s->opts & TCP_SOCKO_REUSEADDR) != 0);
	if (s->role == TCP_SOCK_PLAIN && s->peer_len > sizeof(sa_family_t) && !socket_connects_late(f) &&
	    connect(fd, (const struct sockaddr *)s->peer, s->peer_len)) {
		say("fd %d: cannot connect the datagram socket to %s again: %s", f->fd,
		    addr_text(s->peer, s->peer_len, text, sizeof(text)), strerror(errno));
		return -1;
	}
	return 0;
}

/* A TCP socket whose connection was reset by its peer: made over loopback
 * and reset with a zero-linger close, so that reads report ECONNRESET (then
 * the end) and writes EPIPE, as after a real lost connection. */
static int reset_tcp_socket(int family)
{
	struct sockaddr_storage a;
	socklen_t alen;
	memset(&a, 0, sizeof(a));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		alen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		alen = sizeof(*s4);
	}
	int l = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ok = l >= 0 && c >= 0 && !bind(l, (struct sockaddr *)&a, alen) && !listen(l, 1) &&
		 !getsockname(l, (struct sockaddr *)&a, &alen) && !connect(c, (struct sockaddr *)&a, alen);
	int s = ok ? accept4(l, NULL, NULL, SOCK_CLOEXEC) : -1;
	if (s >= 0) {
		struct linger lg = { 1, 0 };
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(s);
		struct pollfd p = { c, POLLIN, 0 };
		poll(&p, 1, 1000);
	}
	if (l >= 0)
		close(l);
	if (s < 0 && c >= 0) {
		/* No loopback: a socket that was never connected reports
		 * ENOTCONN on reads and EPIPE on writes. */
		close(c);
		c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	}
	return c;
}

/* A socket of the same family and type whose peer is gone. */
static int open_gone(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	int fd;
	if (s->family == AF_UNIX) {
		int sv[2];
		if (socketpair(AF_UNIX, (int)s->type | SOCK_CLOEXEC, 0, sv))
			return -1;
		close(sv[1]);
		shutdown(sv[0], SHUT_RDWR);
		fd = sv[0];
	} else {
		fd = reset_tcp_socket((int)s->family);
	}
	if (fd >= 0 && set_early_options(fd, f)) {
		close(fd);
		return -1;
	}
	return fd;
}

int sock_load_queue(const struct img_fd *d, int image_fd, char **buf, uint64_t *len)
{
	const struct tcp_fd *f = &d->f;
	const char *why;
	*len = TCP_FD_DATA_LEN(f);
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		say("fd %d: out of memory for %llu bytes of queued socket data", f->fd, (unsigned long long)*len);
		return -1;
	}
	if (*len && pread(image_fd, *buf, *len, (off_t)d->content_off) != (ssize_t)*len) {
		say("fd %d: cannot read the socket's queued data from the image", f->fd);
		free(*buf);
		return -1;
	}
	if ((f->u.sock.qflags & TCP_SOCKQ_SENDERS) ? sock_dgram_check(*buf, *len, f->u.sock.nmsgs, &why)
						   : sock_queue_check(*buf, *len, f->u.sock.nmsgs, &why)) {
		say("fd %d: the socket's queued data in the image is invalid (%s); the image is damaged", f->fd, why);
		free(*buf);
		return -1;
	}
	return 0;
}

/* Ends whose other end was closed, with fds in flight: their data is
 * sent once every fd is at its number (finish_fds_sockets). */
static struct orphan {
	const struct img_fd *d;
	int sender;
} *orphans;
static size_t norphans;
static int fd_floor = 3;

void sock_restore_floor(int floor)
{
	fd_floor = floor;
}

int restore_keep_floor(void)
{
	return tree_now && tree_self < 0 ? tree_now->floor : fd_floor;
}

/* In a tree's root restorer (an end several processes hold, opened once
 * for them: tree_self < 0), the entry is inherited by every process, and
 * the one whose image holds record d sends the data. */
static int defer_orphan(const struct img_fd *d, int sender)
{
	struct orphan *n = realloc(orphans, (norphans + 1) * sizeof(*n));
	int floor = restore_keep_floor();
	int high = n ? fcntl(sender, F_DUPFD_CLOEXEC, floor) : -1;
	if (n)
		orphans = n;
	if (high < 0) {
		say("fd %d: cannot keep a socket open to refill its queue: %s", d->f.fd, strerror(errno));
		return -1;
	}
	orphans[norphans++] = (struct orphan){ d, high };
	return 0;
}

/* One end of a pair whose other end was closed before the checkpoint: its
 * data is sent from a temporary other end, which is then closed (with fds
 * in flight: later, defer_orphan). */
static int open_orphan(const struct img_fd *d, int image_fd)
{
	const struct tcp_fd *f = &d->f;
	char *buf;
	uint64_t len;
	int sv[2];
	if (sock_load_queue(d, image_fd, &buf, &len))
		return -1;
	if (socketpair(AF_UNIX, (int)f->u.sock.type | SOCK_CLOEXEC, 0, sv)) {
		say("fd %d: cannot create a socket pair: %s", f->fd, strerror(errno));
		free(buf);
		return -1;
	}
	int rc = set_early_options(sv[0], f);
	if (!rc && sock_queue_has_fds(buf, len))
		rc = defer_orphan(d, sv[1]) ? -EBADF : 0;
	else if (!rc)
		rc = sock_queue_send(sv[1], sv[0], buf, len);
	free(buf);
	close(sv[1]);
	if (rc) {
		say("fd %d: cannot put the socket's queued data back: %s", f->fd, strerror(rc < 0 ? -rc : errno));
		close(sv[0]);
		return -1;
	}
	return sv[0];
}

static int open_pair_end(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	int made = tree_end(s->ino);
	if (made >= 0) {
		int fd = fcntl(made, F_DUPFD_CLOEXEC, 0);
		if (fd < 0 || set_early_options(fd, f)) {
			say("fd %d: cannot take its end of a socket pair between processes: %s", f->fd, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	if (s->role == TCP_SOCK_TREE_PAIR) {
		say("fd %d: its socket is connected to one of another process of a tree, and this is no tree's "
		    "restore; restore the tree's root image",
		    f->fd);
		return -1;
	}
	for (size_t i = 0; i < npending; i++) {
		if (pending[i].ino == s->ino) {
			int fd = pending[i].fd;
			pending[i] = pending[--npending];
			if (set_early_options(fd, f)) {
				say("fd %d: cannot set the socket's options: %s", f->fd, strerror(errno));
				close(fd);
				return -1;
			}
			return fd;
		}
	}
	if (npending == sizeof(pending) / sizeof(pending[0])) {
		say("fd %d: too many socket pairs", f->fd);
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, (int)s->type | SOCK_CLOEXEC, 0, sv)) {
		say("fd %d: cannot create a socket pair: %s", f->fd, strerror(errno));
		return -1;
	}
	if (set_early_options(sv[0], f)) {
		say("fd %d: cannot set the socket's options: %s", f->fd, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	pending[npending].ino = s->peer_ino;
	pending[npending++].fd = sv[1];
	return sv[0];
}

/* A datagram socket the tree's root restorer made bound, with its queue
 * (sock_dgram.c): taken, connected here if it was. */
static int open_made_plain(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	char text[300];
	int fd = fcntl(tree_end(s->ino), F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || set_early_options(fd, f)) {
		say("fd %d: cannot take its datagram socket made for the tree: %s", f->fd, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (s->peer_len > sizeof(sa_family_t) && !socket_connects_late(f) &&
	    connect(fd, (const struct sockaddr *)s->peer, s->peer_len)) {
		say("fd %d: cannot connect the datagram socket to %s again: %s", f->fd,
		    addr_text(s->peer, s->peer_len, text, sizeof(text)), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int open_fd_socket(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)o;
	const struct tcp_fd *f = &d->f;
	const struct tcp_fd_socket *s = &f->u.sock;
	if (sock_check_record(f))
		return -1;
	switch (s->role) {
	case TCP_SOCK_PAIR:
		return s->peer_fd < 0 ? open_orphan(d, image_fd) : open_pair_end(f);
	case TCP_SOCK_TREE_PAIR:
		return open_pair_end(f);
	case TCP_SOCK_GONE: {
		int fd = open_gone(f);
		if (fd < 0)
			say("fd %d: cannot create a socket to stand for the lost connection: %s", f->fd, strerror(errno));
		return fd;
	}
	}
	if (tree_end(s->ino) >= 0)
		return open_made_plain(f);
	int fd = socket((int)s->family, (int)s->type | SOCK_CLOEXEC, (int)s->protocol);
	if (fd < 0) {
		say("fd %d: cannot create a socket: %s", f->fd, strerror(errno));
		return -1;
	}
	if (set_early_options(fd, f)) {
		say("fd %d: cannot set the socket's options: %s", f->fd, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind_listen(fd, f)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Buffer sizes as getsockopt reported them at checkpoint time (the kernel
 * doubles what setsockopt is given), where the socket's differ now: sizes
 * the program set, and send buffers widened to refill a queue. */
static void set_buffers(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	const int opts[2] = { SO_SNDBUF, SO_RCVBUF }, force[2] = { SO_SNDBUFFORCE, SO_RCVBUFFORCE };
	const int32_t want[2] = { s->sndbuf, s->rcvbuf };
	for (int i = 0; i < 2; i++) {
		int now = 0;
		socklen_t len = sizeof(now);
		getsockopt(f->fd, SOL_SOCKET, opts[i], &now, &len);
		if (want[i] > 0 && want[i] != now) {
			int v = want[i] / 2;
			if (setsockopt(f->fd, SOL_SOCKET, force[i], &v, sizeof(v)))
				setsockopt(f->fd, SOL_SOCKET, opts[i], &v, sizeof(v));
		}
	}
}

/* TCP options, once the queues are filled (TCP_CORK would hold what a
 * restore sends). Images without them have zeros: the defaults. */
static void set_tcp_options(const struct tcp_fd *f)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	set_flag(f->fd, IPPROTO_TCP, TCP_NODELAY, (s->opts & TCP_SOCKO_NODELAY) != 0);
	set_flag(f->fd, IPPROTO_TCP, TCP_CORK, (s->opts & TCP_SOCKO_CORK) != 0);
	set_flag(f->fd, SOL_SOCKET, SO_KEEPALIVE, (s->opts & TCP_SOCKO_KEEPALIVE) != 0);
	set_flag(f->fd, SOL_SOCKET, SO_OOBINLINE, (s->opts & TCP_SOCKO_OOBINLINE) != 0);
	if (s->keepidle > 0)
		set_flag(f->fd, IPPROTO_TCP, TCP_KEEPIDLE, s->keepidle);
	if (s->keepintvl > 0)
		set_flag(f->fd, IPPROTO_TCP, TCP_KEEPINTVL, s->keepintvl);
	if (s->keepcnt > 0)
		set_flag(f->fd, IPPROTO_TCP, TCP_KEEPCNT, s->keepcnt);
	struct linger lg = { s->linger > 0, s->linger > 0 ? s->linger - 1 : 0 };
	setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static const struct img_fd *socket_record(const struct tcp_image *img, int fd)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd == fd && img->fds[i].f.kind == TCP_FD_SOCKET)
			return &img->fds[i];
	return NULL;
}

int finish_fds_sockets(const struct tcp_image *img, int image_fd)
{
	if (npending) {
		say("the image holds a socket pair with only one end (socket inode %llu); the image is damaged",
		    (unsigned long long)pending[0].ino);
		return -1;
	}
	/* Queued data first (sent from the other end), then what would stop
	 * it from being sent: buffer sizes, shutdown, the peek offset. */
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		const struct tcp_fd_socket *s = &d->f.u.sock;
		if (d->f.kind != TCP_FD_SOCKET || s->role != TCP_SOCK_PAIR || s->peer_fd < 0)
			continue;
		const struct img_fd *peer = socket_record(img, s->peer_fd);
		if (!peer || peer->f.u.sock.role != TCP_SOCK_PAIR || peer->f.u.sock.peer_fd != d->f.fd ||
		    peer->f.u.sock.ino != s->peer_ino || peer->f.u.sock.peer_ino != s->ino ||
		    peer->f.u.sock.type != s->type) {
			say("fd %d: its socket pair's other end, fd %d, is not in the image as such; the image is damaged",
			    d->f.fd, s->peer_fd);
			return -1;
		}
		if (!TCP_FD_DATA_LEN(&d->f) || tree_end(s->ino) >= 0) /* a tree's: filled once */
			continue;
		char *buf;
		uint64_t len;
		if (sock_load_queue(d, image_fd, &buf, &len))
			return -1;
		int rc = sock_queue_send(s->peer_fd, d->f.fd, buf, len);
		free(buf);
		if (rc) {
			say("fd %d: cannot put the socket's %llu bytes of queued data back (sent from fd %d): %s", d->f.fd,
			    (unsigned long long)len, s->peer_fd, strerror(-rc));
			return -1;
		}
	}
	/* Datagrams waiting on unconnected sockets, sent again from their
	 * senders (those of a tree: by its root's restorer). */
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		if (d->f.kind == TCP_FD_SOCKET && (d->f.u.sock.qflags & TCP_SOCKQ_SENDERS) && tree_end(d->f.u.sock.ino) < 0 &&
		    sock_dgram_refill_own(img, d, image_fd))
			return -1;
	}
	for (size_t i = 0; i < norphans; i++) {
		char *buf;
		uint64_t len;
		const struct img_fd *d = orphans[i].d;
		if (d < img->fds || d >= img->fds + img->nfds)
			continue; /* another process's, inherited from the root's restorer */
		int rc = sock_load_queue(d, image_fd, &buf, &len) ? -EINVAL : 0; /* d is of img */
		if (!rc)
			rc = sock_queue_send(orphans[i].sender, d->f.fd, buf, len);
		free(buf);
		close(orphans[i].sender);
		if (rc) {
			say("fd %d: cannot put the socket's queued data back: %s", d->f.fd, strerror(-rc));
			return -1;
		}
	}
	free(orphans);
	orphans = NULL;
	norphans = 0;
	/* Queues of a tree's pairs with fds in flight: from the other end,
	 * which the root's restorer made and this process inherited. */
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		const struct tcp_fd_socket *s = &d->f.u.sock;
		char *buf;
		uint64_t len;
		int sender = d->f.kind == TCP_FD_SOCKET && s->family == AF_UNIX ? tree_end(s->peer_ino) : -1;
		if (sender < 0 || tree_end(s->ino) < 0 || !TCP_FD_DATA_LEN(&d->f) || !tree_fills_queue(img, d))
			continue;
		if (sock_load_queue(d, image_fd, &buf, &len))
			return -1;
		int rc = sock_queue_has_fds(buf, len) ? sock_queue_send(sender, d->f.fd, buf, len) : 0;
		free(buf);
		if (rc) {
			say("fd %d: cannot put the socket's %llu bytes of queued data back, with the fds in flight in it: "
			    "%s",
			    d->f.fd, (unsigned long long)len, strerror(-rc));
			return -1;
		}
	}
	/* The fds in flight are sent: they were never the program's. */
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		char *buf;
		uint64_t len;
		if (d->f.kind != TCP_FD_SOCKET || !TCP_FD_DATA_LEN(&d->f) || (d->f.u.sock.qflags & TCP_SOCKQ_SENDERS) ||
		    sock_load_queue(d, image_fd, &buf, &len))
			continue;
		sock_queue_close_fds(buf, len);
		free(buf);
	}
	for (size_t i = 0; i < img->nfds; i++) {
		const struct tcp_fd *f = &img->fds[i].f;
		const struct tcp_fd_socket *s = &f->u.sock;
		if (f->kind != TCP_FD_SOCKET)
			continue;
		if (s->role != TCP_SOCK_GONE)
			set_buffers(f);
		/* After the queues were filled: the kernel attaches credentials
		 * to what is sent to a socket with SO_PASSCRED. */
		if (s->family == AF_UNIX)
			set_flag(f->fd, SOL_SOCKET, SO_PASSCRED, (s->opts & TCP_SOCKO_PASSCRED) != 0);
		if (s->family != AF_UNIX && s->type == SOCK_STREAM && s->role != TCP_SOCK_GONE)
			set_tcp_options(f);
		/* A TCP connection of the tree was shut down where it was made. */
		int pair = s->family == AF_UNIX && (s->role == TCP_SOCK_PAIR || s->role == TCP_SOCK_TREE_PAIR);
		if (pair && s->shutdown && tree_fills_queue(img, &img->fds[i])) /* once, after its queue */
			shutdown(f->fd, s->shutdown == 3 ? SHUT_RDWR : s->shutdown == 2 ? SHUT_WR : SHUT_RD);
		if (s->family == AF_UNIX && s->peek_off >= 0 && (pair || (s->qflags & TCP_SOCKQ_SENDERS))) {
			int v = s->peek_off;
			setsockopt(f->fd, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof(v));
		}
	}
	return 0;
}

/* Puts the receive queue of record d back into the end `receiver`, sent
 * from its peer `sender`. */
static int refill_queue(const struct img_fd *d, int image_fd, int sender, int receiver)
{
	if (!TCP_FD_DATA_LEN(&d->f))
		return 0;
	char *buf;
	uint64_t len;
	if (sock_load_queue(d, image_fd, &buf, &len))
		return -1;
	if (sock_queue_has_fds(buf, len)) { /* by its process: finish_fds_sockets */
		free(buf);
		return 0;
	}
	int rc = sock_queue_send(sender, receiver, buf, len);
	free(buf);
	if (rc)
		say("fd %d: cannot put the socket's %llu bytes of queued data back: %s", d->f.fd, (unsigned long long)len,
		    strerror(-rc));
	return rc ? -1 : 0;
}

int sock_tree_end_add(uint64_t ino, int fd)
{
	struct pending_end *n = realloc(tree_ends, (ntree_ends + 1) * sizeof(*n));
	if (!n) {
		say("out of memory for the sockets of the tree");
		return -1;
	}
	tree_ends = n;
	tree_ends[ntree_ends++] = (struct pending_end){ ino, fd };
	return 0;
}

int sock_tree_end_made(uint64_t ino)
{
	return tree_end(ino) >= 0;
}

int sock_tree_end_fd(uint64_t ino)
{
	return tree_end(ino);
}

int sock_make_shared_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd, int floor)
{
	const struct tcp_fd_socket *s = &x->f.u.sock;
	(void)x_image_fd; /* the queues: sock_fill_shared_pair */
	(void)y_image_fd;
	if (sock_check_record(&x->f) || sock_check_record(&y->f))
		return -1;
	if (tree_end(s->ino) >= 0)
		return 0; /* made already, from its peer */
	struct pending_end *n = realloc(tree_ends, (ntree_ends + 2) * sizeof(*n));
	if (!n)
		return -1;
	tree_ends = n;
	int sv[2], high[2] = { -1, -1 };
	if (socketpair(AF_UNIX, (int)s->type | SOCK_CLOEXEC, 0, sv)) {
		say("fd %d: cannot create a socket pair: %s", x->f.fd, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		high[i] = fcntl(sv[i], F_DUPFD_CLOEXEC, floor);
		close(sv[i]);
	}
	if (high[0] < 0 || high[1] < 0) {
		if (high[0] < 0 || high[1] < 0)
			say("fd %d: cannot keep a socket pair between processes open: %s (raise the open-files limit)",
			    x->f.fd, strerror(errno));
		for (int i = 0; i < 2; i++)
			if (high[i] >= 0)
				close(high[i]);
		return -1;
	}
	tree_ends[ntree_ends++] = (struct pending_end){ s->ino, high[0] };
	tree_ends[ntree_ends++] = (struct pending_end){ y->f.u.sock.ino, high[1] };
	return 0;
}

int sock_fill_shared_pair(const struct img_fd *x, int x_image_fd, const struct img_fd *y, int y_image_fd)
{
	int ex = tree_end(x->f.u.sock.ino), ey = tree_end(y->f.u.sock.ino);
	if (ex < 0 || ey < 0)
		return -1;
	return refill_queue(x, x_image_fd, ey, ex) || refill_queue(y, y_image_fd, ex, ey) ? -1 : 0;
}
