/* Whether two socket addresses (getsockname/getpeername bytes) name the
 * same IPv4 or IPv6 end, port included: the two ends of one TCP connection
 * see each other's address this way. An IPv6 socket on a dual-stack port
 * sees an IPv4 peer as ::ffff:a.b.c.d; that is the same end as a.b.c.d.
 * Pure, freestanding: used by the dump and by the restore. */
#ifndef TCP_SOCKADDR_SAME_H
#define TCP_SOCKADDR_SAME_H

#include <stdint.h>

/* 1 if the same address and port, 0 if not (or not IPv4/IPv6). */
int sockaddr_same_inet(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen);

/* The two ends of one TCP connection: a's local address is b's peer and
 * b's local address is a's peer. */
int sockaddr_tcp_ends(const uint8_t *a_addr, uint32_t a_len, const uint8_t *a_peer, uint32_t a_peer_len,
		      const uint8_t *b_addr, uint32_t b_len, const uint8_t *b_peer, uint32_t b_peer_len);

#endif
