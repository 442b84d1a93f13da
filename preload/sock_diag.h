/* What the kernel's NETLINK_SOCK_DIAG says about one UNIX socket (its
 * peer, queue lengths, shutdown state and bound name), or about the TCP
 * socket at one end of a connection (sock_diag_inet.c: its inode, state,
 * shutdown and byte counts; the way to find the other end of a loopback
 * connection). The queries use raw system calls only (they run in the
 * dump); the parsers are pure so that the unit tests can feed them made-up
 * replies. */
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

/* Which UNIX socket is bound to `name` (name_len bytes of sun_path; an
 * abstract name starts with its 0 byte), among the sockets of this
 * network namespace (a dump of them all). unix_diag_dump_match parses one
 * part of that dump: 1 and *ino when it holds the name, 2 at its end, 0
 * when neither, -1 if malformed, or the kernel's -errno. The query returns
 * 0 with *ino, -ENOENT if no socket is bound to it, or -errno. */
int unix_diag_dump_match(const void *buf, long len, const void *name, uint32_t name_len, uint64_t *ino);
int unix_diag_find_name(const void *name, uint32_t name_len, uint64_t *ino, void *buf, unsigned long cap);

struct inet_sock_info {
	uint64_t ino;		/* 0: no socket holds it (TIME_WAIT, not accepted yet) */
	uint32_t state;		/* TCP_ESTABLISHED (1), ... */
	uint32_t shutdown;	/* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
	uint32_t rqueue, wqueue;
	int have_info;		/* the two counts below are known */
	uint64_t bytes_acked;	/* tcp_info: bytes it sent that the other end acknowledged */
	uint64_t bytes_received;	/* tcp_info: bytes it received in order */
	uint32_t notsent;	/* tcp_info: bytes written, not sent yet */
};

/* Parses a reply about a TCP socket. Returns 0, -1 if the reply is
 * malformed, or the kernel's -errno from an NLMSG_ERROR message (-ENOENT:
 * no such connection). */
int inet_diag_parse(const void *buf, long len, struct inet_sock_info *out);

/* Asks the kernel about the TCP socket whose local address is `local` and
 * whose peer is `remote` (sockaddr_in or sockaddr_in6 of `family`; IPv4
 * addresses mapped into IPv6 are looked up as IPv4 by the kernel).
 * Returns 0 or -errno (-ENOENT: none). */
int inet_diag_query(int family, const void *local, const void *remote, struct inet_sock_info *out, void *buf,
		    unsigned long cap);

#endif
