/* A TCP connection between two processes of a tree (issue 20 item 3: the
 * loopback connections of MPI launchers and ranks). The whole tree is
 * stopped, so both ends hold still while each process reads its own end:
 *   - the other end is the socket whose local address is our peer address
 *     and whose peer is our local address; the kernel finds it by these
 *     four values (INET_DIAG, allowed to any user), and it is ours when a
 *     process of the tree holds its inode (tree_has_socket);
 *   - what was sent to us waits in our receive queue: peeked into the
 *     image (one chunk). On the loopback every byte sent is in the other
 *     end's receive queue at once, unless that queue is full: bytes still
 *     in a send queue cannot be read without privilege (TCP_REPAIR), so
 *     they refuse the checkpoint, and so does a byte sent but not received
 *     yet (the counts of both ends say it);
 *   - urgent data and connections being opened or closed are refused;
 *     a connection shut down for writing (FIN) is kept.
 * The restore makes the connection again with the same addresses and ports
 * (restore/fd_tcp_pair.c). Raw syscalls only. */
#include "dump.h"
#include "sock_diag.h"
#include "tree/query.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int get_int(int fd, int level, int opt)
{
	int v = 0;
	unsigned int len = sizeof(v);
	return r_getsockopt(fd, level, opt, &v, &len) < 0 ? 0 : v;
}

void dump_tcp_options(int fd, struct tcp_fd_socket *s)
{
	if (get_int(fd, IPPROTO_TCP, TCP_NODELAY))
		s->opts |= TCP_SOCKO_NODELAY;
	if (get_int(fd, IPPROTO_TCP, TCP_CORK))
		s->opts |= TCP_SOCKO_CORK;
	if (get_int(fd, SOL_SOCKET, SO_KEEPALIVE))
		s->opts |= TCP_SOCKO_KEEPALIVE;
	if (get_int(fd, SOL_SOCKET, SO_OOBINLINE))
		s->opts |= TCP_SOCKO_OOBINLINE;
	s->keepidle = get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE);
	s->keepintvl = get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL);
	s->keepcnt = get_int(fd, IPPROTO_TCP, TCP_KEEPCNT);
	struct linger lg = { 0, 0 };
	unsigned int len = sizeof(lg);
	s->linger = r_getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0 && lg.l_onoff ? lg.l_linger + 1 : 0;
}

static int refuse_bytes(struct dump_ctx *d, const struct dump_fd *out, long n, const char *what)
{
	char mem[600];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puti(&b, n);
	fb_puts(&b, what);
	return dump_fd_refuse(d, out->rec.fd, out->path, mem);
}

static const char *state_name(uint32_t state)
{
	static const char *const names[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
					     "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING" };
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

/* Our receive queue, peeked from its start without moving the program's
 * own peek offset (SO_PEEK_OFF), as one chunk. */
static int peek_queue(struct dump_ctx *d, int fd, long inq, struct dump_fd *out)
{
	struct tcp_fd_socket *s = &out->rec.u.sock;
	char *buf = arena_alloc(d, 4 + (uint64_t)inq);
	if (!buf)
		return refuse_bytes(d, out, inq, " bytes wait in this connection's receive queue, more than the "
						  "checkpoint's scratch memory holds");
	int old = -1, zero = 0;
	unsigned int olen = sizeof(old);
	int offset = r_getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, &olen) == 0 && old >= 0;
	if (offset)
		r_setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero));
	struct iovec iov = { buf + 4, (size_t)inq };
	struct msghdr m;
	f_memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	long n;
	do
		n = r_recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT);
	while (n == -4 /* EINTR */);
	if (offset)
		r_setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old));
	/* A peek stops before urgent data (MSG_OOB), also inline. */
	if (n != inq)
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      n >= 0 && n < inq ? "urgent data (MSG_OOB) waits in this TCP connection between "
							  "processes of the tree; tcp cannot keep it. Checkpoint when "
							  "it has been read"
							: "cannot read the receive queue of this TCP connection (MSG_PEEK)");
	uint32_t len = (uint32_t)inq;
	f_memcpy(buf, &len, 4);
	out->data = buf;
	out->data_len = 4 + (uint64_t)inq;
	s->nmsgs = 1;
	return 0;
}

static uint64_t sent_by(const struct inet_sock_info *i)
{
	return i->bytes_acked + i->wqueue - i->notsent;
}

int dump_tcp_tree_pair(struct dump_ctx *d, int fd, struct dump_fd *out)
{
	struct tcp_fd_socket *s = &out->rec.u.sock;
	if (!tree_active() || !s->addr_len || !s->peer_len)
		return 1;
	char *scratch = arena_alloc(d, 8192);
	struct inet_sock_info me, peer;
	int rc = scratch ? inet_diag_query((int)s->family, s->peer, s->addr, &peer, scratch, 8192) : -12;
	if (rc == -2 /* ENOENT: the other end is not on this host */)
		return 1;
	if (rc == 0)
		rc = inet_diag_query((int)s->family, s->addr, s->peer, &me, scratch, 8192);
	if (rc < 0)
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      "the kernel does not describe this TCP connection (NETLINK_SOCK_DIAG with "
				      "inet_diag; load the module: modprobe tcp_diag)");
	/* No socket holds the other end: it waits in an accept queue, or it
	 * was closed (its process exited) with bytes or its FIN still on the
	 * way. Either passes soon. */
	if (!peer.ino && tcp_cfg.sockets != TCP_SOCKETS_CLOSE)
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      peer.state == TCP_ESTABLISHED || peer.state == TCP_SYN_RECV
					      ? "the other end of this TCP connection waits to be accepted on a listening "
						"socket; checkpoint when the program has accepted it"
					      : "the other end of this TCP connection was closed (its process closed it or "
						"exited) and is still being shut down; checkpoint again a moment later, or set "
						"TCP_SOCKETS=close to restore it as a connection whose peer is gone");
	if (!peer.ino || !tree_has_socket(peer.ino))
		return 1; /* another program's: refused as such */
	if (peer.ino == s->ino)
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      "a TCP socket connected to itself (a simultaneous open on one address) cannot be "
				      "made again; this is not supported");
	if (me.ino != s->ino || !me.have_info || !peer.have_info)
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      "the kernel's description of this TCP connection between processes of the tree "
				      "is not complete (tcp_info)");
	if (me.state != TCP_ESTABLISHED && me.state != TCP_FIN_WAIT2 && me.state != TCP_CLOSE_WAIT) {
		char mem[300];
		struct fbuf b;
		fb_init(&b, mem, sizeof(mem));
		fb_puts(&b, "this TCP connection between processes of the tree is being opened or closed (state ");
		fb_puts(&b, state_name(me.state));
		fb_puts(&b, "); checkpoint again a moment later");
		return dump_fd_refuse(d, out->rec.fd, out->path, mem);
	}
	int inq = 0, unsent = 0;
	if (r_ioctl(fd, FIONREAD, (long)&inq) || r_ioctl(fd, SIOCOUTQNSD, (long)&unsent))
		return dump_fd_refuse(d, out->rec.fd, out->path, "cannot read the queue lengths of this TCP connection");
	if (unsent > 0)
		return refuse_bytes(d, out, unsent,
				    " bytes the program wrote to this TCP connection between processes of the tree are "
				    "still in its send queue: the other end's receive buffer is full (its process has not "
				    "read for a while) or TCP_CORK holds them. tcp cannot take bytes out of a send queue; "
				    "checkpoint when the other end has read");
	/* What each end sent (acknowledged + in flight) must be what the
	 * other received: in its receive queue, which that end stores. The
	 * end that opened the connection counts its SYN as one byte
	 * acknowledged: in both directions together, exactly one too many. */
	uint64_t lost = sent_by(&me) - peer.bytes_received + sent_by(&peer) - me.bytes_received - 1;
	if (lost)
		return refuse_bytes(d, out, (long)lost,
				    " bytes sent on this TCP connection between processes of the tree have not reached "
				    "the other end yet (a retransmission is due); checkpoint again a moment later");
	/* Urgent data (MSG_OOB): FIONREAD and a peek stop at its mark, the
	 * kernel's count of what waits (with the FIN, once received) does not. */
	if ((uint32_t)inq != me.rqueue - (me.state == TCP_CLOSE_WAIT))
		return dump_fd_refuse(d, out->rec.fd, out->path,
				      "urgent data (MSG_OOB) was sent on this TCP connection between processes of the "
				      "tree and waits to be read; tcp cannot keep it. Checkpoint when it has been read");
	if (inq > 0 && peek_queue(d, fd, inq, out))
		return -1;
	s->role = TCP_SOCK_TREE_PAIR;
	s->peer_ino = peer.ino;
	s->shutdown = me.shutdown;
	/* SO_REUSEADDR from now on: when the tree is killed, the end that
	 * closes first stays in TIME_WAIT for a minute, and only a socket with
	 * SO_REUSEADDR leaves its port free to bind again, as the restore must
	 * (for the same four values the kernel then reuses a TIME_WAIT on the
	 * loopback). The restored connection has it on as well. */
	int one = 1;
	r_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	return 0;
}

/* Nagle's algorithm holds a small segment back until what went before is
 * acknowledged, and the receiver delays its ACK (up to 40 ms on the
 * loopback); TCP_CORK holds partial segments. Such bytes wait in the send
 * queue although the other end has room. Setting TCP_NODELAY (and taking
 * TCP_CORK off) sends them at once; the options are then put back. Every
 * process of a tree does this after its threads stopped and before it
 * reports so (tree/member.c, tree/lead.c), so that when the processes read
 * their receive queues, no byte is on its way any more. */
static void push_one(int fd)
{
	int unsent = 0, on = 1, off = 0;
	if (get_int(fd, SOL_SOCKET, SO_PROTOCOL) != IPPROTO_TCP || r_ioctl(fd, SIOCOUTQNSD, (long)&unsent) || unsent <= 0)
		return;
	if (get_int(fd, IPPROTO_TCP, TCP_CORK)) {
		r_setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off));
		r_setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
	}
	if (!get_int(fd, IPPROTO_TCP, TCP_NODELAY)) {
		r_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
		r_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &off, sizeof(off));
	}
}

void dump_tcp_push_all(void)
{
	long dfd = r_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return;
	char buf[2048];
	long n;
	while ((n = r_getdents64((int)dfd, buf, sizeof(buf))) > 0) {
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = e->d_name; *c; c++)
				fd = fd * 10 + (*c - '0');
			struct stat st;
			if (fd != dfd && r_fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
				push_one(fd);
		}
	}
	r_close((int)dfd);
}
