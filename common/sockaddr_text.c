/* See sockaddr_text.h. Freestanding. */
#include "sockaddr_text.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static uint16_t port_of(uint16_t net) { return (uint16_t)(net >> 8 | net << 8); }

int fb_put_sockaddr(struct fbuf *b, const uint8_t *a, uint32_t len)
{
	uint16_t family = 0;
	if (len >= 2)
		f_memcpy(&family, a, 2);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in s;
		f_memcpy(&s, a, sizeof(s));
		const uint8_t *ip = (const uint8_t *)&s.sin_addr;
		for (int i = 0; i < 4; i++) {
			if (i)
				fb_putc(b, '.');
			fb_putu(b, ip[i], 10, 0);
		}
		fb_putc(b, ':');
		fb_putu(b, port_of(s.sin_port), 10, 0);
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 s;
		f_memcpy(&s, a, sizeof(s));
		fb_putc(b, '[');
		for (int i = 0; i < 16; i += 2) {
			if (i)
				fb_putc(b, ':');
			fb_putu(b, (uint64_t)s.sin6_addr.s6_addr[i] << 8 | s.sin6_addr.s6_addr[i + 1], 16, 0);
		}
		fb_puts(b, "]:");
		fb_putu(b, port_of(s.sin6_port), 10, 0);
	} else if (family == AF_UNIX && len > 2) {
		const char *p = (const char *)a + 2;
		uint32_t n = len - 2;
		if (p[0] == 0) {
			fb_putc(b, '@');
			p++, n--;
		}
		for (uint32_t i = 0; i < n && p[i]; i++)
			fb_putc(b, p[i] >= 32 && p[i] < 127 ? p[i] : '?');
	} else {
		fb_puts(b, "an unnamed socket");
		return 0;
	}
	return 1;
}
