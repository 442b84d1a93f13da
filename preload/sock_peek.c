/* Captures a UNIX socket's receive queue while the app is stopped: MSG_PEEK
 * with SO_PEEK_OFF walks the queue message by message without taking
 * anything out of it. Ancillary data: credentials of this very process are
 * kept (the restored process sends them again, with the same pid in its new
 * PID namespace). Passed fds (SCM_RIGHTS): a peek with room for them makes
 * the kernel install duplicates of them in this process (scm_fp_dup); they
 * are moved to the numbers the caller hands out and recorded with their
 * message, so that they are saved as fds of this process and sent again at
 * restore. Without such room they refuse the checkpoint. */
#define _GNU_SOURCE
#include "sock_peek.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"
#include "../image/format.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#define MAX_RECORDS (1u << 22)

struct ancillary {
	int creds;		/* 0 none, 1 this process's own, -1 someone else's */
	int nfds;		/* SCM_RIGHTS fds installed by the peek */
	int fds[TCP_SOCK_MSG_MAX_FDS];
	int bad;		/* something else, or malformed */
};

/* What came with a message (walked by hand: glibc's CMSG_NXTHDR may be a
 * libc call). With SO_PASSCRED a message sent without credentials shows
 * pid 0. */
static void ancillary(const struct msghdr *m, struct ancillary *a)
{
	const char *p = m->msg_control, *end = p + m->msg_controllen;
	f_memset(a, 0, sizeof(*a));
	while (p && end - p >= (long)sizeof(struct cmsghdr)) {
		struct cmsghdr c;
		f_memcpy(&c, p, sizeof(c));
		if (c.cmsg_len < sizeof(c) || c.cmsg_len > (size_t)(end - p) || c.cmsg_level != SOL_SOCKET) {
			a->bad = 1;
			return;
		}
		if (c.cmsg_type == SCM_RIGHTS) {
			size_t n = (c.cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int fd;
				f_memcpy(&fd, p + CMSG_LEN(0) + i * sizeof(int), sizeof(fd));
				if (a->nfds < TCP_SOCK_MSG_MAX_FDS) {
					a->fds[a->nfds++] = fd;
				} else { /* more than the kernel sends in one message */
					r_close(fd);
					a->bad = 1;
				}
			}
		} else if (c.cmsg_type == SCM_CREDENTIALS && c.cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred u;
			f_memcpy(&u, p + CMSG_LEN(0), sizeof(u));
			if (u.pid != 0) {
				if (u.pid != (pid_t)r_getpid() || u.uid != (uid_t)r_getuid())
					a->creds = -1;
				else if (a->creds == 0)
					a->creds = 1;
			}
		} else {
			a->bad = 1;
		}
		p += CMSG_ALIGN(c.cmsg_len);
	}
}

/* Moves the fds a peek installed (at the lowest free numbers: in holes of
 * the program's fds, or from *next on) to *next, *next + 1, ... (above
 * every fd of the program). -1 if one cannot be placed: the ones not
 * placed are closed, the placed ones are in the caller's range, which it
 * closes. */
static int place_fds(struct ancillary *a, int *next)
{
	int rc = 0;
	/* Out of the way first: those installed where the others go. */
	for (int i = 0; i < a->nfds; i++)
		if (a->fds[i] >= *next) {
			long far = r_fcntl(a->fds[i], F_DUPFD_CLOEXEC, *next + TCP_SOCK_MSG_MAX_FDS + 1);
			r_close(a->fds[i]);
			a->fds[i] = (int)far;
			rc |= far < 0;
		}
	for (int i = 0; i < a->nfds; i++) {
		if (a->fds[i] < 0)
			continue;
		long to = rc ? -1 : r_fcntl(a->fds[i], F_DUPFD_CLOEXEC, *next);
		r_close(a->fds[i]);
		if (to >= 0 && to != *next)
			r_close((int)to); /* never: everything from *next on is free */
		if (to != *next) {
			rc = -1;
			continue;
		}
		a->fds[i] = (int)to;
		(*next)++;
	}
	return rc ? -1 : 0;
}

static int peek_all(int fd, int type, int rcv_shut, int passcred, struct sock_queue *q, int *next_fd)
{
	/* Without room for fds: room for exactly one SCM_CREDENTIALS: with
	 * SO_PASSCRED the kernel puts the credentials first, so that passed
	 * fds (and pidfds) never fit and are never installed in our fd table;
	 * they show as MSG_CTRUNC. */
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(TCP_SOCK_MSG_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	static struct ancillary anc; /* one peek at a time: the app is stopped */
	uint64_t head = next_fd ? 8 + TCP_SOCK_MSG_MAX_FDS * 4 : 4; /* room for the longest record head */
	uint8_t from[TCP_SOCK_ADDR_MAX];
	if (q->senders)
		head += 4 + TCP_SOCK_ADDR_MAX;

	for (uint32_t records = 0; records < MAX_RECORDS; records++) {
		if (q->cap - q->len < head + 1) {
			q->why = "its queued data does not fit into the checkpoint's scratch memory";
			return -1;
		}
		char *data = q->buf + q->len + head;
		struct iovec iov = { data, q->cap - q->len - head };
		struct msghdr m;
		f_memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (q->senders) { /* the sender's address: unix_copy_addr, 0 bytes for an unnamed one */
			m.msg_name = from;
			m.msg_namelen = sizeof(from);
		}
		m.msg_control = passcred || next_fd ? control.buf : 0;
		m.msg_controllen = next_fd ? sizeof(control.buf)
				   : passcred ? CMSG_SPACE(sizeof(struct ucred))
					      : 0;
		long n = r_recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT | (next_fd ? MSG_CMSG_CLOEXEC : 0));
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			q->why = "reading its queued data (MSG_PEEK) failed";
			return -1;
		}
		ancillary(&m, &anc);
		if (m.msg_flags & MSG_CTRUNC) {
			for (int i = 0; i < anc.nfds; i++)
				r_close(anc.fds[i]);
			q->why = next_fd ? "a message waiting in it carries file descriptors (SCM_RIGHTS) that cannot all "
					   "be taken (the open-files limit, ulimit -n, is reached?); raise the limit"
					 : "a message waiting in it carries file descriptors (SCM_RIGHTS), and this socket "
					   "was itself sent with SCM_RIGHTS and is waiting to be read: fds in flight inside "
					   "a socket in flight cannot be kept; checkpoint when they have been read";
			return -1;
		}
		if (anc.bad) {
			for (int i = 0; i < anc.nfds; i++)
				r_close(anc.fds[i]);
			q->why = "a message waiting in it carries ancillary data tcp does not know";
			return -1;
		}
		if (anc.nfds && place_fds(&anc, next_fd)) {
			q->why = "the file descriptors in flight in it cannot be placed above the program's own (the "
				 "open-files limit, ulimit -n, is reached?); raise the limit";
			return -1;
		}
		if (m.msg_flags & MSG_TRUNC) {
			q->why = "a message waiting in it is larger than the checkpoint's scratch memory";
			return -1;
		}
		if (anc.creds && q->senders) {
			q->why = "a datagram waiting on it carries credentials (SCM_CREDENTIALS), which tcp cannot send "
				 "again from its sender";
			return -1;
		}
		if (anc.creds < 0) {
			q->why = "a message waiting in it carries the credentials (SCM_CREDENTIALS) of another process, "
				 "which tcp cannot send again";
			return -1;
		}
		/* End of the stream: the peer is gone or shut down writing. A
		 * SEQPACKET socket whose reading is shut down reports the same for
		 * an empty queue as for an empty message; take it as the end. */
		if (n == 0 && !anc.nfds && (type == SOCK_STREAM || (type == SOCK_SEQPACKET && rcv_shut)))
			return 0;
		if ((unsigned long)n > TCP_SOCK_MSG_LEN) {
			q->why = "a message waiting in it is larger than 1 GiB";
			return -1;
		}
		/* The record: its length word, the fds, then the bytes, moved
		 * down to follow them. */
		uint32_t len = (uint32_t)n | (anc.creds ? TCP_SOCK_MSG_CREDS : 0) | (anc.nfds ? TCP_SOCK_MSG_FDS : 0);
		char *rec = q->buf + q->len;
		f_memcpy(rec, &len, 4);
		uint64_t at = 4;
		if (anc.nfds) {
			uint32_t k = (uint32_t)anc.nfds;
			f_memcpy(rec + 4, &k, 4);
			f_memcpy(rec + 8, anc.fds, k * 4);
			at = 8 + (uint64_t)k * 4;
		}
		if (q->senders) {
			uint32_t flen = m.msg_namelen <= sizeof(from) ? (uint32_t)m.msg_namelen : 0;
			f_memcpy(rec + at, &flen, 4);
			f_memcpy(rec + at + 4, from, flen);
			at += 4 + flen;
		}
		for (long i = 0; rec + at != data && i < n; i++) /* forwards: the bytes only move down */
			rec[at + (uint64_t)i] = data[i];
		q->len += at + (uint64_t)n;
		q->nmsgs++;
	}
	q->why = "its receive queue holds too many messages";
	return -1;
}

int sock_peek_queue(int fd, int type, int rcv_shut, struct sock_queue *q, int *next_fd)
{
	int old = -1, zero = 0, one = 1, passcred = 0;
	unsigned int olen = sizeof(old);
	q->len = 0;
	q->nmsgs = 0;
	q->why = 0;
	if (r_getsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, &olen) < 0 ||
	    r_setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0) {
		q->why = "cannot set a peek offset (SO_PEEK_OFF) to read its queue without consuming it";
		return -1;
	}
	/* SO_PASSCRED on while peeking shows which messages carry credentials
	 * even when the app does not ask for them (yet). */
	r_getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &passcred, &olen);
	int creds_shown = r_setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0;
	int rc = peek_all(fd, type, rcv_shut, creds_shown, q, next_fd);
	r_setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof(passcred));
	r_setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old));
	return rc;
}
