/* Captures a UNIX socket's receive queue while the app is stopped: MSG_PEEK
 * with SO_PEEK_OFF walks the queue message by message without taking
 * anything out of it. Ancillary data: credentials of this very process are
 * kept (the restored process sends them again, with the same pid in its new
 * PID namespace); passed fds cannot be, and refuse the checkpoint. */
#define _GNU_SOURCE
#include "sock_peek.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"
#include "../image/format.h"

#include <errno.h>
#include <sys/socket.h>

#define MAX_RECORDS (1u << 22)

/* The credentials sent along with a message: 0 none, 1 this process's
 * own, -1 someone else's. (Walked by hand: glibc's CMSG_NXTHDR may be a
 * libc call.) With SO_PASSCRED a message sent without credentials shows
 * pid 0. */
static int credentials(const struct msghdr *m)
{
	const char *p = m->msg_control, *end = p + m->msg_controllen;
	int own = 0;
	while (p && end - p >= (long)sizeof(struct cmsghdr)) {
		struct cmsghdr c;
		f_memcpy(&c, p, sizeof(c));
		if (c.cmsg_len < sizeof(c) || c.cmsg_len > (size_t)(end - p))
			return -1;
		if (c.cmsg_level != SOL_SOCKET || c.cmsg_type != SCM_CREDENTIALS ||
		    c.cmsg_len < CMSG_LEN(sizeof(struct ucred)))
			return -1;
		struct ucred u;
		f_memcpy(&u, p + CMSG_LEN(0), sizeof(u));
		if (u.pid != 0) {
			if (u.pid != (pid_t)r_getpid() || u.uid != (uid_t)r_getuid())
				return -1;
			own = 1;
		}
		p += CMSG_ALIGN(c.cmsg_len);
	}
	return own;
}

static int peek_all(int fd, int type, int rcv_shut, int passcred, struct sock_queue *q)
{
	/* Room for exactly one SCM_CREDENTIALS: with SO_PASSCRED the kernel puts
	 * the credentials first, so that passed fds (and pidfds) never fit and
	 * are never installed in our fd table; they show as MSG_CTRUNC. */
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} control;

	for (uint32_t records = 0; records < MAX_RECORDS; records++) {
		if (q->cap - q->len < 4 + 1) {
			q->why = "its queued data does not fit into the checkpoint's scratch memory";
			return -1;
		}
		struct iovec iov = { q->buf + q->len + 4, q->cap - q->len - 4 };
		struct msghdr m;
		f_memset(&m, 0, sizeof(m));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = passcred ? control.buf : 0;
		m.msg_controllen = passcred ? sizeof(control.buf) : 0;
		long n = r_recvmsg(fd, &m, MSG_PEEK | MSG_DONTWAIT);
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN)
			return 0;
		if (n < 0) {
			q->why = "reading its queued data (MSG_PEEK) failed";
			return -1;
		}
		if (m.msg_flags & MSG_CTRUNC) {
			q->why = "a message waiting in it carries file descriptors (SCM_RIGHTS), which tcp cannot keep; "
				 "checkpoint when no fds are in flight";
			return -1;
		}
		if (m.msg_flags & MSG_TRUNC) {
			q->why = "a message waiting in it is larger than the checkpoint's scratch memory";
			return -1;
		}
		int creds = passcred ? credentials(&m) : 0;
		if (creds < 0) {
			q->why = "a message waiting in it carries the credentials (SCM_CREDENTIALS) of another process, "
				 "which tcp cannot send again";
			return -1;
		}
		/* End of the stream: the peer is gone or shut down writing. A
		 * SEQPACKET socket whose reading is shut down reports the same for
		 * an empty queue as for an empty message; take it as the end. */
		if (n == 0 && (type == SOCK_STREAM || (type == SOCK_SEQPACKET && rcv_shut)))
			return 0;
		if ((unsigned long)n > TCP_SOCK_MSG_LEN) {
			q->why = "a message waiting in it is larger than 2 GiB";
			return -1;
		}
		uint32_t len = (uint32_t)n | (creds ? TCP_SOCK_MSG_CREDS : 0);
		f_memcpy(q->buf + q->len, &len, 4);
		q->len += 4 + (uint64_t)n;
		q->nmsgs++;
	}
	q->why = "its receive queue holds too many messages";
	return -1;
}

int sock_peek_queue(int fd, int type, int rcv_shut, struct sock_queue *q)
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
	int rc = peek_all(fd, type, rcv_shut, creds_shown, q);
	r_setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof(passcred));
	r_setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old));
	return rc;
}
