/* What the kernel's NETLINK_SOCK_DIAG (UNIX_DIAG) says about one UNIX
 * socket: its peer, queue lengths, shutdown state and bound name. The query
 * uses raw system calls only (it runs in the dump); the parser is pure so
 * that the unit tests can feed it made-up replies. */
#ifndef TCP_SOCK_DIAG_H
#define TCP_SOCK_DIAG_H

#include <stdint.h>

struct unix_sock_info {
	uint32_t type;		/* SOCK_STREAM, ... */
	uint32_t state;		/* TCP_ESTABLISHED (1), TCP_CLOSE (7), TCP_LISTEN (10) */
	uint64_t ino;
	uint64_t peer_ino;	/* 0: no peer (or a peer that is closed) */
	int have_peer, have_rqlen, have_shutdown, have_name;
	uint32_t rqueue;	/* listening: connections waiting; else bytes (stream) or
				 * the first message's length (datagram) in the receive queue */
	uint32_t wqueue;	/* listening: the backlog; else bytes sent, not yet read */
	uint32_t shutdown;	/* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	uint32_t name_len;	/* bytes of sun_path (abstract names start with a 0 byte) */
	char name[108];
};

/* Parses a reply to a request for inode `ino`. Returns 0, -1 if the reply is
 * malformed or about another socket, or the kernel's -errno from an
 * NLMSG_ERROR message. */
int unix_diag_parse(const void *buf, long len, uint64_t ino, struct unix_sock_info *out);

/* Asks the kernel about the UNIX socket with inode `ino`; `buf` is scratch
 * space of `cap` bytes (8 KiB is plenty). Returns 0 or -errno. */
int unix_diag_query(uint64_t ino, struct unix_sock_info *out, void *buf, unsigned long cap);

#endif
