/* A socket's receive queue as the image holds it (struct tcp_fd_socket's
 * content): nmsgs records, each a uint32_t length word (with flags), the
 * fds in flight for a TCP_SOCK_MSG_FDS one, then the bytes. */
#ifndef TCP_SOCK_QUEUE_H
#define TCP_SOCK_QUEUE_H

#include <stdint.h>

/* Checks that `len` bytes are exactly `nmsgs` well-formed records. Returns
 * 0, or -1 with *why saying what is wrong. */
int sock_queue_check(const char *buf, uint64_t len, uint32_t nmsgs, const char **why);

/* Sends every record from `sender` (one send per record: datagram and
 * seqpacket boundaries are kept) so that they wait at its peer `receiver`,
 * in order; a record marked TCP_SOCK_MSG_CREDS goes while the receiver has
 * SO_PASSCRED on, so that the kernel attaches our credentials (the
 * receiver's SO_PASSCRED is left as the last record needed it: set it
 * afterwards); one marked TCP_SOCK_MSG_FDS goes with its fds (SCM_RIGHTS):
 * the fds of those numbers in this process, in place already. Returns 0,
 * or -errno. */
int sock_queue_send(int sender, int receiver, const char *buf, uint64_t len);

/* Whether a checked queue holds a record with fds in flight. */
int sock_queue_has_fds(const char *buf, uint64_t len);
/* Closes the fds in flight a checked queue names (in the restored
 * process, once its queues are filled: they were not the program's). */
void sock_queue_close_fds(const char *buf, uint64_t len);

/* The queue of an unconnected datagram socket kept with its senders
 * (TCP_SOCKQ_SENDERS): nmsgs records, each a length word (no flags), the
 * sender's address length and address (unnamed, or an abstract UNIX
 * name), then the bytes. sock_dgram_check: 0, or -1 with *why.
 * sock_dgram_next: the datagram at *off of a checked queue, 1, or 0 at
 * its end. sock_dgram_send: sends it from `sender` to the address `to`
 * (the receiver's name); 0 or -errno. */
struct sock_dgram {
	const char *bytes;
	uint32_t len;
	uint32_t from_len;	/* 0: an unnamed sender */
	const uint8_t *from;	/* the sender's sockaddr_un */
};
/* Whether a sockaddr of len bytes is an abstract UNIX name. */
int sock_abstract_name(const uint8_t *a, uint32_t len);
int sock_dgram_check(const char *buf, uint64_t len, uint32_t nmsgs, const char **why);
int sock_dgram_next(const char *buf, uint64_t len, uint64_t *off, struct sock_dgram *m);
int sock_dgram_send(int sender, const struct sock_dgram *m, const uint8_t *to, uint32_t to_len);

#endif
