/* Datagrams that waited on an unconnected UNIX datagram socket, kept with
 * their senders' addresses (TCP_SOCKQ_SENDERS; preload/dump_fd_dgram.c):
 * each is sent again, in queue order, to the receiver's abstract name from
 * a socket bound to its sender's name, so that recvfrom reports the same
 * sender (an unnamed sender: from a fresh unbound socket). The sender is
 * the program's own socket, restored already: a socket bound to that name
 * for the occasion would collide with it (MPICH/UCX: two ranks, each one's
 * socket the other's sender). In a single process: from the process's fd
 * of that name, once every fd is in place (finish_fds_sockets). In a tree:
 * the root's restorer makes every such receiver and sender bound before
 * the other processes exist (sock_make_dgram, restore/tree/shared_dgram.c)
 * and sends them all; each process takes its sockets by inheritance. */
#define _GNU_SOURCE
#include "restore.h"
#include "sock_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *name_text(const uint8_t *a, uint32_t len, char *out, size_t cap)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	if (len <= off) {
		snprintf(out, cap, "an unnamed socket");
		return out;
	}
	/* Abstract: "@" and the name's bytes, the unprintable ones escaped. */
	size_t o = 0;
	out[o++] = '@';
	for (size_t i = off + 1; i < len && o + 5 < cap; i++) {
		unsigned char c = a[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = 0;
	return out;
}

int sock_dgram_refill(const struct img_fd *d, int image_fd, sock_dgram_sender_fn sender_of, void *ctx)
{
	const struct tcp_fd_socket *s = &d->f.u.sock;
	char *buf, text[400];
	uint64_t len;
	if (!TCP_FD_DATA_LEN(&d->f))
		return 0;
	if (sock_load_queue(d, image_fd, &buf, &len))
		return -1;
	int unnamed = -1, rc = 0;
	struct sock_dgram m;
	for (uint64_t off = 0; !rc && sock_dgram_next(buf, len, &off, &m);) {
		int sender = m.from_len ? sender_of(m.from, m.from_len, ctx) : unnamed;
		if (!m.from_len && sender < 0)
			sender = unnamed = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sender < 0) {
			say("fd %d: a datagram waiting on it was sent by %s, which is not %s", d->f.fd,
			    name_text(m.from, m.from_len, text, sizeof(text)),
			    m.from_len ? "in the image as a datagram socket bound to that name (the image is damaged, or the "
					 "sender's socket is connected to a socket of the tree and comes back without its name)"
				       : "there: no socket can be made");
			rc = -1;
			break;
		}
		int e = sock_dgram_send(sender, &m, s->addr, s->addr_len);
		if (e) {
			say("fd %d: cannot put back a datagram of %u bytes sent by %s: %s", d->f.fd, m.len,
			    name_text(m.from, m.from_len, text, sizeof(text)), strerror(-e));
			rc = -1;
		}
	}
	if (unnamed >= 0)
		close(unnamed);
	free(buf);
	return rc;
}

/* Single process: the sender is the fd of this image bound to its name. */
static int own_sender(const uint8_t *addr, uint32_t len, void *ctx)
{
	const struct tcp_image *img = ctx;
	for (size_t i = 0; i < img->nfds; i++) {
		const struct tcp_fd *f = &img->fds[i].f;
		if (sock_dgram_sender_record(f, addr, len))
			return f->fd;
	}
	return -1;
}

int sock_dgram_refill_own(const struct tcp_image *img, const struct img_fd *d, int image_fd)
{
	return sock_dgram_refill(d, image_fd, own_sender, (void *)img);
}

int sock_dgram_sender_record(const struct tcp_fd *f, const uint8_t *addr, uint32_t len)
{
	const struct tcp_fd_socket *s = &f->u.sock;
	return f->kind == TCP_FD_SOCKET && s->family == AF_UNIX && s->type == SOCK_DGRAM && s->role == TCP_SOCK_PLAIN &&
	       s->addr_len == len && memcmp(s->addr, addr, len) == 0;
}

int sock_make_dgram(const struct img_fd *d, int floor)
{
	const struct tcp_fd *f = &d->f;
	const struct tcp_fd_socket *s = &f->u.sock;
	char text[400];
	if (sock_tree_end_made(s->ino))
		return 0;
	if (sock_check_record(f))
		return -1;
	if (!sock_abstract_name(s->addr, s->addr_len)) {
		say("fd %d: a datagram socket the tree's queued datagrams need is not bound to an abstract name; the "
		    "images are damaged",
		    f->fd);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, (int)s->protocol);
	if (fd < 0 || bind(fd, (const struct sockaddr *)s->addr, s->addr_len)) {
		say("fd %d: cannot bind a datagram socket to %s again: %s. Stop whatever uses that name now, then "
		    "restore again",
		    f->fd, name_text(s->addr, s->addr_len, text, sizeof(text)), strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	close(fd);
	if (high < 0) {
		say("fd %d: cannot keep a datagram socket between processes open: %s (raise the open-files limit)", f->fd,
		    strerror(errno));
		return -1;
	}
	if (sock_tree_end_add(s->ino, high)) {
		close(high);
		return -1;
	}
	return 0;
}
