/* Queued socket data at restore: validated, then sent again from the
 * other end so that it waits where it waited at checkpoint time, with the
 * fds that were in flight in it (SCM_RIGHTS). */
#define _GNU_SOURCE
#include "sock_queue.h"
#include "../image/format.h"

#include <errno.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* One record at buf + off (len bytes in all): its length word, fds and
 * bytes. -1 with *why if it runs past the end. */
struct record {
	uint32_t word, n, nfds;
	const char *fds;	/* nfds int32_t, unaligned */
	const char *bytes;
};

static int next_record(const char *buf, uint64_t len, uint64_t *off, struct record *r, const char **why)
{
	if (len - *off < 4) {
		*why = "a message header runs past the end of the queued data";
		return -1;
	}
	memcpy(&r->word, buf + *off, 4);
	*off += 4;
	r->n = r->word & TCP_SOCK_MSG_LEN;
	r->nfds = 0;
	r->fds = NULL;
	if (r->word & TCP_SOCK_MSG_FDS) {
		if (len - *off < 4) {
			*why = "a message's fd count runs past the end of the queued data";
			return -1;
		}
		memcpy(&r->nfds, buf + *off, 4);
		*off += 4;
		if (r->nfds < 1 || r->nfds > TCP_SOCK_MSG_MAX_FDS || (uint64_t)r->nfds * 4 > len - *off) {
			*why = "a message carries a wrong number of fds";
			return -1;
		}
		r->fds = buf + *off;
		*off += (uint64_t)r->nfds * 4;
		for (uint32_t i = 0; i < r->nfds; i++) {
			int32_t fd;
			memcpy(&fd, r->fds + i * 4, 4);
			if (fd < 0) {
				*why = "a message carries a negative fd number";
				return -1;
			}
		}
	}
	if (r->n > len - *off) {
		*why = "a message runs past the end of the queued data";
		return -1;
	}
	r->bytes = buf + *off;
	*off += r->n;
	return 0;
}

int sock_queue_check(const char *buf, uint64_t len, uint32_t nmsgs, const char **why)
{
	uint64_t off = 0;
	struct record r;
	for (uint32_t i = 0; i < nmsgs; i++)
		if (next_record(buf, len, &off, &r, why))
			return -1;
	if (off != len) {
		*why = "the queued data holds more than its messages";
		return -1;
	}
	return 0;
}

/* The kernel counts queued data against the sender's send buffer: make
 * it large while the queue is refilled (the program's own size is set
 * afterwards). SO_SNDBUFFORCE needs CAP_NET_ADMIN; SO_SNDBUF is capped at
 * net.core.wmem_max, which held the queue at checkpoint time anyway. */
static void widen_send_buffer(int fd, uint64_t need)
{
	int v = need > (1u << 29) ? (1 << 29) : (int)need * 2 + (1 << 20);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* Sends r's bytes (a stream may take them in pieces; a datagram goes
 * whole), the fds with the first piece: the fds of those numbers in this
 * process. */
static int send_record(int sender, const struct record *r)
{
	int fds[TCP_SOCK_MSG_MAX_FDS], rc = 0;
	if (r->nfds) /* r->fds is NULL without fds (and memcpy's is not) */
		memcpy(fds, r->fds, r->nfds * sizeof(int));
	union {
		char buf[CMSG_SPACE(TCP_SOCK_MSG_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	uint64_t done = 0;
	int first = 1;
	while (rc == 0 && (first || done < r->n)) {
		struct iovec iov = { (void *)(r->bytes + done), r->n - done };
		struct msghdr m;
		memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (first && r->nfds) {
			m.msg_control = control.buf;
			m.msg_controllen = CMSG_SPACE(r->nfds * sizeof(int));
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(r->nfds * sizeof(int));
			memcpy(CMSG_DATA(c), fds, r->nfds * sizeof(int));
		}
		ssize_t w = sendmsg(sender, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			rc = -errno;
		else
			done += (uint64_t)w;
		first = 0;
	}
	return rc;
}

int sock_queue_send(int sender, int receiver, const char *buf, uint64_t len)
{
	int receiver_creds = 0;
	socklen_t clen = sizeof(receiver_creds);
	getsockopt(receiver, SOL_SOCKET, SO_PASSCRED, &receiver_creds, &clen);
	widen_send_buffer(sender, len);
	const char *why;
	struct record r;
	for (uint64_t off = 0; off < len;) {
		if (next_record(buf, len, &off, &r, &why))
			return -EINVAL; /* checked before */
		/* The kernel attaches our credentials to what is sent to a socket
		 * with SO_PASSCRED (on the sender it would also bind it to an
		 * abstract name). */
		int creds = (r.word & TCP_SOCK_MSG_CREDS) != 0;
		if (creds != receiver_creds) {
			setsockopt(receiver, SOL_SOCKET, SO_PASSCRED, &creds, sizeof(creds));
			receiver_creds = creds;
		}
		int rc = send_record(sender, &r);
		if (rc)
			return rc;
	}
	return 0;
}

int sock_queue_has_fds(const char *buf, uint64_t len)
{
	const char *why;
	struct record r;
	for (uint64_t off = 0; off < len;) {
		if (next_record(buf, len, &off, &r, &why))
			return 0;
		if (r.nfds)
			return 1;
	}
	return 0;
}

void sock_queue_close_fds(const char *buf, uint64_t len)
{
	const char *why;
	struct record r;
	for (uint64_t off = 0; off < len;) {
		if (next_record(buf, len, &off, &r, &why))
			return;
		for (uint32_t i = 0; i < r.nfds; i++) {
			int32_t fd;
			memcpy(&fd, r.fds + i * 4, 4);
			close(fd);
		}
	}
}

/* ---- datagrams with their senders (TCP_SOCKQ_SENDERS) ---- */

int sock_abstract_name(const uint8_t *a, uint32_t len)
{
	sa_family_t family;
	if (len <= offsetof(struct sockaddr_un, sun_path) || len > sizeof(struct sockaddr_un))
		return 0;
	memcpy(&family, a, sizeof(family));
	return family == AF_UNIX && a[offsetof(struct sockaddr_un, sun_path)] == 0;
}

static int next_dgram(const char *buf, uint64_t len, uint64_t *off, struct sock_dgram *m, const char **why)
{
	uint32_t word;
	if (len - *off < 8) {
		*why = "a datagram's header runs past the end of the queued data";
		return -1;
	}
	memcpy(&word, buf + *off, 4);
	memcpy(&m->from_len, buf + *off + 4, 4);
	*off += 8;
	if (word & ~TCP_SOCK_MSG_LEN) {
		*why = "a datagram kept with its sender carries fds or credentials";
		return -1;
	}
	m->len = word;
	if (m->from_len > TCP_SOCK_ADDR_MAX || m->from_len > len - *off) {
		*why = "a datagram's sender address runs past the end of the queued data";
		return -1;
	}
	m->from = (const uint8_t *)buf + *off;
	if (m->from_len && !sock_abstract_name(m->from, m->from_len)) {
		*why = "a datagram's sender is neither unnamed nor a UNIX socket bound to an abstract name";
		return -1;
	}
	*off += m->from_len;
	if (m->len > len - *off) {
		*why = "a datagram runs past the end of the queued data";
		return -1;
	}
	m->bytes = buf + *off;
	*off += m->len;
	return 0;
}

int sock_dgram_check(const char *buf, uint64_t len, uint32_t nmsgs, const char **why)
{
	uint64_t off = 0;
	struct sock_dgram m;
	for (uint32_t i = 0; i < nmsgs; i++)
		if (next_dgram(buf, len, &off, &m, why))
			return -1;
	if (off != len) {
		*why = "the queued data holds more than its datagrams";
		return -1;
	}
	return 0;
}

int sock_dgram_next(const char *buf, uint64_t len, uint64_t *off, struct sock_dgram *m)
{
	const char *why;
	return *off < len && next_dgram(buf, len, off, m, &why) == 0;
}

int sock_dgram_send(int sender, const struct sock_dgram *m, const uint8_t *to, uint32_t to_len)
{
	widen_send_buffer(sender, (uint64_t)m->len + 4096);
	for (;;) {
		ssize_t w = sendto(sender, m->bytes, m->len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)to, to_len);
		if (w >= 0)
			return w == (ssize_t)m->len ? 0 : -EMSGSIZE;
		if (errno != EINTR)
			return -errno;
	}
}
