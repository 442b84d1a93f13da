/* Sockets (issue 7, item 3). What is kept:
 * - UNIX sockets whose two ends are both in the process (socketpair, or both
 *   ends of a connection), with the data queued in each direction, message
 *   boundaries, shutdown state, buffer sizes, SO_PASSCRED and the peek offset;
 * - listening sockets (TCP over IPv4/IPv6, UNIX path or abstract), re-created
 *   on their address with their backlog and options;
 * - sockets that are not connected (bound or not) and UDP / UNIX datagram
 *   sockets connected to an address: re-created, re-bound, re-connected;
 *   the datagrams waiting on an unconnected UNIX one bound to an abstract
 *   name, with their senders, where those can send again (dump_fd_dgram.c).
 * A connection to the outside (or a TCP connection inside the process)
 * cannot be taken along: refused, or with TCP_SOCKETS=close restored as a
 * socket whose peer is gone. In a process tree, a TCP connection whose two
 * ends are in the tree is kept (dump_fd_tcp_pair.c). fds 0-2 on a socket are taken from the
 * restorer. */
#include "dump.h"
#include "sock_diag.h"
#include "sock_peek.h"
#include "tree/query.h"
#include "../common/rawsys.h"
#include "../common/sockaddr_text.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

static int get_int(int fd, int level, int opt, int *v)
{
	unsigned int len = sizeof(*v);
	*v = 0;
	return r_getsockopt(fd, level, opt, v, &len) < 0 ? -1 : 0;
}

static int opt_on(int fd, int level, int opt)
{
	int v;
	return !get_int(fd, level, opt, &v) && v;
}

/* TCP_SOCKETS=close: connections waiting in an accept queue are dropped
 * (their clients see the connection reset); say so. */
static void warn_dropped(long fd, uint32_t n)
{
	if (!tcp_cfg.log)
		return;
	char mem[200];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puts(&b, "tcp: fd ");
	fb_puti(&b, fd);
	fb_puts(&b, ": ");
	fb_putu(&b, n, 10, 0);
	fb_puts(&b, " connection(s) waiting to be accepted are not in the image (TCP_SOCKETS=close)");
	tcp_emit(&b);
}

static int refuse_connection(struct dump_ctx *d, const struct dump_fd *f, const char *what)
{
	const struct tcp_fd_socket *s = &f->rec.u.sock;
	char mem[700];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puts(&b, what);
	fb_puts(&b, " from ");
	fb_put_sockaddr(&b, s->addr, s->addr_len);
	fb_puts(&b, " to ");
	fb_put_sockaddr(&b, s->peer, s->peer_len);
	fb_puts(&b, "; tcp cannot take the other end along. Set TCP_SOCKETS=close to restore it as a connection whose "
		    "peer is gone (reads see the end, writes fail with EPIPE), so that the program reconnects");
	return dump_fd_refuse(d, f->rec.fd, f->path, mem);
}

/* A listening socket with `queued` connections not accepted yet: they
 * cannot be kept, so the checkpoint is refused, or with TCP_SOCKETS=close
 * they are dropped with a warning. */
static int accept_queue(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out, uint32_t queued)
{
	if (!queued)
		return 0;
	if (tcp_cfg.sockets != TCP_SOCKETS_CLOSE)
		return dump_fd_refuse(d, p->fd, out->path,
				      "connections are waiting to be accepted on this listening socket; they "
				      "cannot be kept. Checkpoint when the program has accepted them, or set "
				      "TCP_SOCKETS=close to drop them");
	warn_dropped(p->fd, queued);
	return 0;
}

/* UNIX sockets: the kernel's view (peer, queues, shutdown), and the data
 * waiting to be read, captured now. */
static int dump_unix(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out, int listening)
{
	struct tcp_fd_socket *s = &out->rec.u.sock;
	struct unix_sock_info info;
	char *reply = arena_alloc(d, 8192);
	int rc = reply ? unix_diag_query(s->ino, &info, reply, 8192) : -12;
	if (rc < 0)
		return dump_fd_refuse(d, p->fd, out->path,
				      "the kernel does not describe this UNIX socket (NETLINK_SOCK_DIAG with unix_diag; "
				      "load the unix_diag module: modprobe unix_diag)");
	s->shutdown = info.shutdown;
	if (listening) {
		s->role = TCP_SOCK_LISTEN;
		s->backlog = info.wqueue;
		return accept_queue(d, p, out, info.rqueue);
	}
	/* Connected or not: whether it has a peer (datagram sockets report
	 * TCP_ESTABLISHED either way). A peer that was closed shows inode 0. */
	if (!info.have_peer) {
		s->role = TCP_SOCK_PLAIN;
		/* A bound datagram socket receives from anyone: its messages
		 * are kept with their senders' addresses where they can be sent
		 * again from there (dump_fd_dgram.c). A datagram's rqueue is the
		 * first one's length: an empty one shows 0, so a bound datagram
		 * socket is always looked at. */
		if (s->type == SOCK_DGRAM && s->addr_len > 2)
			return dump_dgram_queue(d, p, out, info.rqueue);
		if (s->type != SOCK_STREAM && info.rqueue)
			return dump_fd_refuse(d, p->fd, out->path,
					      "datagrams from other sockets are waiting on this unconnected socket; "
					      "they cannot be kept with their senders. Checkpoint when they have been read");
		return 0;
	}
	/* Connected: to another fd of ours (checked once every fd is known),
	 * to a peer that is closed already (peer_ino 0), or to the outside. */
	s->role = TCP_SOCK_PAIR;
	s->peer_ino = info.peer_ino;
	s->peer_fd = -1;
	/* Peeked already, with the fds in flight (sock_flight.c); else (a
	 * socket that was itself in flight) now, fds refused. */
	const struct dump_flight *fl = dump_sock_flight_of(d, p->fd, s->ino);
	if (fl) {
		if (fl->why)
			return dump_fd_refuse(d, p->fd, out->path, fl->why);
		out->data = fl->data;
		out->data_len = fl->len;
		s->nmsgs = fl->nmsgs;
		return 0;
	}
	struct sock_queue q = { d->arena + d->used, d->arena_len - d->used, 0, 0, 0, 0 };
	if (sock_peek_queue((int)p->fd, (int)s->type, (info.shutdown & 1) != 0, &q, 0))
		return dump_fd_refuse(d, p->fd, out->path, q.why);
	out->data = arena_alloc(d, q.len);
	out->data_len = q.len;
	s->nmsgs = q.nmsgs;
	return 0;
}

/* TCP and UDP. */
static int dump_inet(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out, int listening)
{
	struct tcp_fd_socket *s = &out->rec.u.sock;
	if (listening) {
		/* For a listening socket TCP_INFO reports the accept queue in
		 * tcpi_unacked and the backlog in tcpi_sacked. */
		struct tcp_info ti;
		unsigned int len = sizeof(ti);
		f_memset(&ti, 0, sizeof(ti));
		if (r_getsockopt((int)p->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
			return dump_fd_refuse(d, p->fd, out->path, "cannot read TCP_INFO of this listening socket");
		s->role = TCP_SOCK_LISTEN;
		s->backlog = ti.tcpi_sacked;
		return accept_queue(d, p, out, ti.tcpi_unacked);
	}
	if (s->type == SOCK_STREAM) {
		/* Connected, or on the way there (SYN_SENT has no peer name yet):
		 * refused in the finish step unless TCP_SOCKETS=close. */
		struct tcp_info ti;
		unsigned int len = sizeof(ti);
		f_memset(&ti, 0, sizeof(ti));
		int state = r_getsockopt((int)p->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ? TCP_CLOSE : ti.tcpi_state;
		if (s->peer_len || state != TCP_CLOSE) {
			int rc = dump_tcp_tree_pair(d, (int)p->fd, out); /* both ends in the tree? */
			if (rc <= 0)
				return rc;
			s->role = TCP_SOCK_GONE;
			return 0;
		}
	}
	s->role = TCP_SOCK_PLAIN;
	int queued = 0;
	if (s->type == SOCK_DGRAM && r_ioctl((int)p->fd, FIONREAD, (long)&queued) == 0 && queued)
		return dump_fd_refuse(d, p->fd, out->path,
				      "datagrams are waiting on this UDP socket; they cannot be kept with their "
				      "senders. Checkpoint when they have been read");
	return 0;
}

/* fds 0-2 on a socket are taken from tcp-restore; in a process tree, not
 * a UNIX socket whose peer is in the tree (dump_fd_sockets_finish). */
static int take_from_restorer(struct dump_fd *out)
{
	out->rec.kind = TCP_FD_INHERIT;
	out->rec.path_len = 0;
	out->data = 0;
	out->data_len = 0;
	f_memset(&out->rec.u, 0, sizeof(out->rec.u));
	out->rec.content_len = (uint64_t)out->rec.nlocks * sizeof(struct tcp_fd_lock);
	return 0;
}

/* The directory a bound UNIX socket's path is in: tcp-restore makes it
 * again if it is gone by then (multiprocessing's /tmp/pymp-XXXX goes with
 * the worker that made it, which may end after the checkpoint). */
static void note_socket_dir(struct tcp_fd_socket *s)
{
	size_t off = 2; /* sun_path */
	if (s->family != AF_UNIX || s->addr_len <= off || !s->addr[off])
		return; /* unbound or abstract */
	char dir[TCP_SOCK_ADDR_MAX + 1];
	size_t n = s->addr_len - off, slash = 0;
	f_memcpy(dir, s->addr + off, n);
	dir[n] = 0;
	for (size_t i = 0; i < n && dir[i]; i++)
		if (dir[i] == '/')
			slash = i;
	if (!slash)
		return; /* in the working directory, or in / */
	dir[slash] = 0;
	struct stat st;
	if (r_fstatat(R_AT_FDCWD, dir, &st, 0x100 /* AT_SYMLINK_NOFOLLOW */) || !S_ISDIR(st.st_mode))
		return;
	s->dir_flags = TCP_SOCKD_KNOWN;
	s->dir_mode = st.st_mode;
	s->dir_uid = st.st_uid;
	s->dir_gid = st.st_gid;
}

int dump_fd_socket(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	int domain;
	if (p->fd <= 2 && (!tree_active() || get_int((int)p->fd, SOL_SOCKET, SO_DOMAIN, &domain) || domain != AF_UNIX))
		return take_from_restorer(out);
	struct tcp_fd_socket *s = &out->rec.u.sock;
	int fd = (int)p->fd, family, type, protocol, v;
	out->rec.kind = TCP_FD_SOCKET;
	if (get_int(fd, SOL_SOCKET, SO_DOMAIN, &family) || get_int(fd, SOL_SOCKET, SO_TYPE, &type) ||
	    get_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol))
		return dump_fd_refuse(d, p->fd, out->path, "cannot read its family and type (getsockopt)");
	if (family != AF_UNIX && family != AF_INET && family != AF_INET6)
		return dump_fd_refuse(d, p->fd, out->path,
				      "only UNIX, IPv4 and IPv6 sockets are supported (this is a netlink, packet or "
				      "other kind of socket); close it before the checkpoint");
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return dump_fd_refuse(d, p->fd, out->path, "only stream, datagram and seqpacket sockets are supported");
	s->family = (uint32_t)family;
	s->type = (uint32_t)type;
	s->protocol = (uint32_t)protocol;
	s->ino = p->st->st_ino;
	s->peer_fd = -1;
	unsigned int alen = TCP_SOCK_ADDR_MAX;
	if (r_getsockname(fd, s->addr, &alen) == 0 && alen <= TCP_SOCK_ADDR_MAX)
		s->addr_len = alen;
	note_socket_dir(s);
	alen = TCP_SOCK_ADDR_MAX;
	if (r_getpeername(fd, s->peer, &alen) == 0 && alen <= TCP_SOCK_ADDR_MAX)
		s->peer_len = alen;
	if (opt_on(fd, SOL_SOCKET, SO_REUSEADDR))
		s->opts |= TCP_SOCKO_REUSEADDR;
	if (opt_on(fd, SOL_SOCKET, SO_REUSEPORT))
		s->opts |= TCP_SOCKO_REUSEPORT;
	if (family == AF_INET6 && opt_on(fd, IPPROTO_IPV6, IPV6_V6ONLY))
		s->opts |= TCP_SOCKO_V6ONLY;
	if (family == AF_UNIX && opt_on(fd, SOL_SOCKET, SO_PASSCRED))
		s->opts |= TCP_SOCKO_PASSCRED;
	s->sndbuf = get_int(fd, SOL_SOCKET, SO_SNDBUF, &v) ? 0 : v;
	s->rcvbuf = get_int(fd, SOL_SOCKET, SO_RCVBUF, &v) ? 0 : v;
	s->peek_off = family == AF_UNIX && !get_int(fd, SOL_SOCKET, SO_PEEK_OFF, &v) ? v : -1;
	if (family != AF_UNIX && type == SOCK_STREAM)
		dump_tcp_options(fd, s);
	int listening = type != SOCK_DGRAM && opt_on(fd, SOL_SOCKET, SO_ACCEPTCONN);
	return family == AF_UNIX ? dump_unix(d, p, out, listening) : dump_inet(d, p, out, listening);
}

static struct dump_fd *socket_by_ino(struct dump_ctx *d, uint64_t ino)
{
	for (uint64_t i = 0; i < d->nfds; i++)
		if (d->fds[i].rec.kind == TCP_FD_SOCKET && d->fds[i].rec.u.sock.ino == ino)
			return &d->fds[i];
	return 0;
}

/* The other end of a TCP connection, if it is an fd of this process too. */
static int tcp_peer_inside(struct dump_ctx *d, const struct tcp_fd_socket *s)
{
	for (uint64_t i = 0; i < d->nfds; i++) {
		const struct tcp_fd_socket *o = &d->fds[i].rec.u.sock;
		if (d->fds[i].rec.kind == TCP_FD_SOCKET && o->role == TCP_SOCK_GONE && o->addr_len == s->peer_len &&
		    o->peer_len == s->addr_len && f_memeq(o->addr, s->peer, s->peer_len) &&
		    f_memeq(o->peer, s->addr, s->addr_len))
			return 1;
	}
	return 0;
}

/* Connected sockets are settled here, where every fd is known: the other
 * end inside the process, or outside (refused, or TCP_SOCKETS=close). */
int dump_fd_sockets_finish(struct dump_ctx *d)
{
	int close_them = tcp_cfg.sockets == TCP_SOCKETS_CLOSE;
	for (uint64_t i = 0; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		struct tcp_fd_socket *s = &f->rec.u.sock;
		if (f->rec.kind != TCP_FD_SOCKET)
			continue;
		if (s->role == TCP_SOCK_GONE && !close_them)
			return refuse_connection(d, f, tcp_peer_inside(d, s) ? "a TCP connection between two fds of this process,"
						       : tree_active() ? "a TCP connection to a process outside the tree (or to a "
									 "connection not accepted yet),"
								       : "a TCP connection to another process,");
		if (s->role != TCP_SOCK_PAIR || !s->peer_ino) {
			if (f->rec.fd <= 2)
				take_from_restorer(f);
			continue;
		}
		const struct dump_fd *peer = socket_by_ino(d, s->peer_ino);
		if (peer && peer->rec.u.sock.peer_ino == s->ino) {
			s->peer_fd = peer->rec.fd;
			continue;
		}
		/* The other end in another process of the tree: one pair again. */
		if (!peer && tree_holds_socket(s->peer_ino)) {
			s->role = TCP_SOCK_TREE_PAIR;
			continue;
		}
		if (f->rec.fd <= 2) {
			take_from_restorer(f);
			continue;
		}
		if (s->type == SOCK_DGRAM && s->peer_len > 2 && !f->data_len) {
			/* Connected to a named datagram socket: connect again by name. */
			s->role = TCP_SOCK_PLAIN;
			continue;
		}
		if (peer)
			return dump_fd_refuse(d, f->rec.fd, f->path,
					      "a datagram socket connected to an unnamed socket of this process that is not "
					      "connected back; this is not supported");
		if (!close_them)
			return refuse_connection(d, f, "a UNIX socket connected to another process,");
		s->role = TCP_SOCK_GONE;
		f->data = 0;
		f->data_len = 0;
		s->nmsgs = 0;
		f->rec.content_len = f->file_len + (uint64_t)f->rec.nlocks * sizeof(struct tcp_fd_lock);
	}
	return dump_dgram_senders_finish(d);
}
