/* A socket's receive queue as the image holds it (struct tcp_fd_socket's
 * content): nmsgs records, each a uint32_t length then the bytes. */
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
 * afterwards).
 * Returns 0, or -errno. */
int sock_queue_send(int sender, int receiver, const char *buf, uint64_t len);

#endif
