/* Datagrams waiting on an unconnected UNIX datagram socket (issue 21):
 * kept with their senders' addresses (TCP_SOCKQ_SENDERS, image/format.h)
 * when the restore can send each again from a socket of that address: an
 * unnamed sender (any socket will do), or a socket bound to an abstract
 * name that this process holds (checked in dump_dgram_senders_finish,
 * once every fd is known) or, in a tree, a process of the tree. MPICH
 * with UCX keeps such a wake-up byte unread between its ranks, each
 * rank's socket the other's sender. A receiver bound to a path is bound
 * only at the end of a restore, too late to be sent to: refused, like a
 * sender bound to a path or outside the tree. */
#include "dump.h"
#include "sock_diag.h"
#include "sock_peek.h"
#include "tree/query.h"
#include "../common/rawsys.h"
#include "../common/sockaddr_text.h"

#include <sys/socket.h>
#include <sys/un.h>

#define SUN_PATH_OFF 2 /* offsetof(struct sockaddr_un, sun_path) */
#define DIAG_BUF (32u << 10) /* a part of a sock_diag dump: up to 32 KiB */

static int abstract(const uint8_t *a, uint32_t len)
{
	uint16_t family;
	if (len <= SUN_PATH_OFF + 0u)
		return 0;
	f_memcpy(&family, a, 2);
	return family == AF_UNIX && a[SUN_PATH_OFF] == 0;
}

/* One record of a queue taken with senders: its sender and its bytes. */
struct dgram_rec {
	uint32_t word, from_len;
	const uint8_t *from;
};

static int next_rec(const char *buf, uint64_t len, uint64_t *off, struct dgram_rec *r)
{
	if (len - *off < 8)
		return -1;
	f_memcpy(&r->word, buf + *off, 4);
	f_memcpy(&r->from_len, buf + *off + 4, 4);
	*off += 8;
	uint32_t n = r->word & TCP_SOCK_MSG_LEN;
	if (r->from_len > TCP_SOCK_ADDR_MAX || len - *off < (uint64_t)r->from_len + n)
		return -1;
	r->from = (const uint8_t *)buf + *off;
	*off += r->from_len + (uint64_t)n;
	return 0;
}

static int refuse_sender(struct dump_ctx *d, const struct dump_fd *f, const struct dgram_rec *r, const char *what)
{
	char mem[700];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puts(&b, "a datagram waiting on this unconnected socket was sent by ");
	fb_put_sockaddr(&b, r->from, r->from_len);
	fb_puts(&b, what);
	return dump_fd_refuse(d, f->rec.fd, f->path, mem);
}

int dump_dgram_queue(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out, uint32_t rqueue)
{
	struct tcp_fd_socket *s = &out->rec.u.sock;
	if (!abstract(s->addr, s->addr_len))
		return !rqueue ? 0
			       : dump_fd_refuse(d, p->fd, out->path,
						"datagrams are waiting on this unconnected socket bound to a path; tcp keeps "
						"them only on a socket bound to an abstract name. Checkpoint when they have "
						"been read");
	struct sock_queue q = { d->arena + d->used, d->arena_len - d->used, 0, 0, 0, 1 };
	if (sock_peek_queue((int)p->fd, SOCK_DGRAM, 0, &q, 0))
		return dump_fd_refuse(d, p->fd, out->path, q.why);
	if (!q.nmsgs)
		return 0;
	out->data = arena_alloc(d, q.len);
	out->data_len = q.len;
	s->nmsgs = q.nmsgs;
	s->qflags = TCP_SOCKQ_SENDERS;
	if (!tree_active())
		return 0; /* a sender of this process: dump_dgram_senders_finish */
	/* In a tree: each named sender is a socket some process of the tree
	 * holds (found by its name: abstract names are unique in a network
	 * namespace). The last one found is not looked up again. */
	char *diag = arena_alloc(d, DIAG_BUF);
	const uint8_t *known = 0;
	uint32_t known_len = 0;
	struct dgram_rec r;
	for (uint64_t off = 0; off < out->data_len;) {
		if (next_rec(out->data, out->data_len, &off, &r))
			return dump_fd_refuse(d, p->fd, out->path, "its queue could not be read back (an internal error)");
		if (!r.from_len || (r.from_len == known_len && f_memeq(r.from, known, known_len)))
			continue;
		if (!abstract(r.from, r.from_len))
			return refuse_sender(d, out, &r,
					     ", a socket bound to a path; tcp keeps only datagrams from unnamed sockets "
					     "or sockets bound to an abstract name. Checkpoint when it has been read");
		uint64_t ino = 0;
		int rc = diag ? unix_diag_find_name(r.from + SUN_PATH_OFF, r.from_len - SUN_PATH_OFF, &ino, diag, DIAG_BUF)
			      : -12;
		if (rc == 0 && tree_has_socket(ino)) {
			known = r.from;
			known_len = r.from_len;
			continue;
		}
		return refuse_sender(d, out, &r,
				     rc && rc != -2 ? "; the kernel does not say which socket that is (NETLINK_SOCK_DIAG "
						      "with unix_diag). Checkpoint when it has been read"
						    : ", a socket outside the process tree (or closed since); it cannot be "
						      "kept with its sender. Checkpoint when it has been read");
	}
	return 0;
}

/* Single process: every named sender is a socket of this process that is
 * restored bound to that name (not connected to a socket of the process:
 * such a one comes back as a socket pair, without its name). */
int dump_dgram_senders_finish(struct dump_ctx *d)
{
	if (tree_active())
		return 0;
	for (uint64_t i = 0; i < d->nfds; i++) {
		const struct dump_fd *f = &d->fds[i];
		if (f->rec.kind != TCP_FD_SOCKET || !(f->rec.u.sock.qflags & TCP_SOCKQ_SENDERS))
			continue;
		struct dgram_rec r;
		for (uint64_t off = 0; off < f->data_len;) {
			if (next_rec(f->data, f->data_len, &off, &r))
				return dump_fd_refuse(d, f->rec.fd, f->path,
						      "its queue could not be read back (an internal error)");
			if (!r.from_len)
				continue;
			int found = 0;
			for (uint64_t j = 0; j < d->nfds && !found; j++) {
				const struct tcp_fd_socket *o = &d->fds[j].rec.u.sock;
				found = d->fds[j].rec.kind == TCP_FD_SOCKET && o->family == AF_UNIX &&
					o->type == SOCK_DGRAM && o->role == TCP_SOCK_PLAIN && o->addr_len == r.from_len &&
					f_memeq(o->addr, r.from, r.from_len);
			}
			if (!found)
				return refuse_sender(d, f, &r,
						     abstract(r.from, r.from_len)
							     ? ", a socket of another process (or one that is closed, or "
							       "connected); it cannot be kept with its sender. Checkpoint "
							       "when it has been read"
							     : ", a socket bound to a path; tcp keeps only datagrams from "
							       "unnamed sockets or sockets bound to an abstract name. "
							       "Checkpoint when it has been read");
		}
	}
	return 0;
}
