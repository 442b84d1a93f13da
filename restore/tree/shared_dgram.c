/* Datagrams waiting on unconnected sockets of a tree, kept with their
 * senders (TCP_SOCKQ_SENDERS): in the root's restorer, before the other
 * processes exist, every receiver and every named sender of its queue is
 * made bound to its name (sock_make_dgram), then each queue is sent again
 * from the senders' sockets (sock_dgram_refill). Two processes that are
 * each other's sender and receiver (MPICH/UCX's ranks) need both sockets
 * at once, which no single process has: hence here, like the socket
 * pairs between processes (shared.c); every process then takes its
 * sockets by inheritance (open_fd_socket). */
#include "tree.h"
#include "../sock_queue.h"

#include <stdlib.h>
#include <sys/socket.h>

static int receiver(const struct img_fd *d)
{
	return d->f.kind == TCP_FD_SOCKET && (d->f.u.sock.qflags & TCP_SOCKQ_SENDERS) && TCP_FD_DATA_LEN(&d->f);
}

/* The record of the tree bound to the sender's name (any, when several
 * processes hold that socket: the root makes it once). */
static const struct img_fd *sender_record(const struct tree *t, const uint8_t *addr, uint32_t len)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++)
			if (sock_dgram_sender_record(&img->fds[r].f, addr, len))
				return &img->fds[r];
	}
	return NULL;
}

static int tree_sender(const uint8_t *addr, uint32_t len, void *ctx)
{
	const struct img_fd *s = sender_record(ctx, addr, len);
	return s ? sock_tree_end_fd(s->f.u.sock.ino) : -1;
}

/* Makes receiver d of member k and every named sender in its queue. */
static int make_ends(struct tree *t, long k, const struct img_fd *d)
{
	char *buf;
	uint64_t len;
	if (sock_make_dgram(d, t->floor) || sock_load_queue(d, t->m[k].fd, &buf, &len))
		return -1;
	struct sock_dgram m;
	int rc = 0;
	for (uint64_t off = 0; !rc && sock_dgram_next(buf, len, &off, &m);) {
		const struct img_fd *s = m.from_len ? sender_record(t, m.from, m.from_len) : NULL;
		rc = s ? sock_make_dgram(s, t->floor) : 0; /* none: sock_dgram_refill says so */
	}
	free(buf);
	return rc;
}

int tree_make_dgrams(struct tree *t)
{
	/* Every socket first: a queue's sender may be another queue's
	 * receiver. */
	for (int fill = 0; fill < 2; fill++)
		for (size_t k = 0; k < t->n; k++) {
			const struct tcp_image *img = t->m[k].img;
			for (size_t r = 0; img && r < img->nfds; r++) {
				const struct img_fd *d = &img->fds[r];
				if (!receiver(d))
					continue;
				/* A socket several processes hold: its queue once, from
				 * the first record of it in the tree's order. */
				int first = 1;
				for (size_t q = 0; q <= k && first; q++) {
					const struct tcp_image *o = t->m[q].img;
					for (size_t s = 0; o && s < o->nfds && first && !(q == k && s >= r); s++)
						first = !(receiver(&o->fds[s]) && o->fds[s].f.u.sock.ino == d->f.u.sock.ino);
				}
				if (!first)
					continue;
				int rc = fill ? sock_dgram_refill(d, t->m[k].fd, tree_sender, t) : make_ends(t, (long)k, d);
				if (rc) {
					char who[512];
					say("%sfd %d: cannot put back the datagrams waiting on it, sent by sockets of the tree",
					    tree_who(t, (long)k, who, sizeof(who)), d->f.fd);
					return -1;
				}
			}
		}
	return 0;
}
