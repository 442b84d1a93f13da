/* See sockaddr_same.h. */
#include "sockaddr_same.h"
#include "fstr.h"

#include <netinet/in.h>
#include <sys/socket.h>

/* The address as 16 bytes of IPv6 (IPv4 mapped) and the port (network
 * order); -1 if it is neither. */
static int canonical(const uint8_t *a, uint32_t len, uint8_t out[16], uint16_t *port)
{
	sa_family_t family;
	if (len < sizeof(family))
		return -1;
	f_memcpy(&family, a, sizeof(family));
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in s;
		f_memcpy(&s, a, sizeof(s));
		for (int i = 0; i < 10; i++)
			out[i] = 0;
		out[10] = out[11] = 0xff;
		f_memcpy(out + 12, &s.sin_addr, 4);
		*port = s.sin_port;
		return 0;
	}
	if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 s;
		f_memcpy(&s, a, sizeof(s));
		f_memcpy(out, &s.sin6_addr, 16);
		*port = s.sin6_port;
		return 0;
	}
	return -1;
}

int sockaddr_same_inet(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
	uint8_t x[16], y[16];
	uint16_t px, py;
	if (canonical(a, alen, x, &px) || canonical(b, blen, y, &py) || px != py)
		return 0;
	for (int i = 0; i < 16; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

int sockaddr_tcp_ends(const uint8_t *a_addr, uint32_t a_len, const uint8_t *a_peer, uint32_t a_peer_len,
		      const uint8_t *b_addr, uint32_t b_len, const uint8_t *b_peer, uint32_t b_peer_len)
{
	return sockaddr_same_inet(a_addr, a_len, b_peer, b_peer_len) && sockaddr_same_inet(b_addr, b_len, a_peer, a_peer_len);
}
