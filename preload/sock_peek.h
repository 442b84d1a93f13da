/* Reading a socket's receive queue without consuming it (dump path). */
#ifndef TCP_SOCK_PEEK_H
#define TCP_SOCK_PEEK_H

#include <stdint.h>

struct sock_queue {
	char *buf;		/* where the records go */
	uint64_t cap;		/* room at buf */
	uint64_t len;		/* bytes of records written */
	uint32_t nmsgs;		/* records: uint32_t length, then the bytes */
	const char *why;	/* when it fails: what went wrong */
	int senders;		/* set by the caller: each record with its sender's
				 * address (TCP_SOCKQ_SENDERS, image/format.h), and a
				 * message with credentials refused */
};

/* Peeks at every message (or stream chunk) queued for `fd` with SO_PEEK_OFF,
 * leaving the queue and the app's own peek offset as they were. `type` is the
 * socket type; `rcv_shut`: reading is shut down (a SEQPACKET socket then
 * reports its end as an empty message). Records of messages that carry
 * this process's credentials are marked TCP_SOCK_MSG_CREDS. With `next_fd`,
 * fds in flight (SCM_RIGHTS) are taken: installed by the peek, moved to
 * *next_fd, *next_fd + 1, ... (which must be free, and everything above),
 * recorded with their message (TCP_SOCK_MSG_FDS, image/format.h); *next_fd
 * ends past the last. Without, they refuse. Returns 0, or -1 with q->why
 * (fds placed before the failure stay placed). */
int sock_peek_queue(int fd, int type, int rcv_shut, struct sock_queue *q, int *next_fd);

#endif
