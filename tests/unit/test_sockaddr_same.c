/* sockaddr_same_inet() and sockaddr_tcp_ends() (common/sockaddr_same.c):
 * the two ends of one TCP connection, also when one sees the other's IPv4
 * address mapped into IPv6. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/sockaddr_same.h"

struct end {
	uint8_t b[128];
	uint32_t len;
};

static struct end v4(const char *ip, int port)
{
	struct end e;
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, ip, &s.sin_addr);
	memset(&e, 0, sizeof(e));
	memcpy(e.b, &s, sizeof(s));
	e.len = sizeof(s);
	return e;
}

static struct end v6(const char *ip, int port)
{
	struct end e;
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	inet_pton(AF_INET6, ip, &s.sin6_addr);
	memset(&e, 0, sizeof(e));
	memcpy(e.b, &s, sizeof(s));
	e.len = sizeof(s);
	return e;
}

static int same(struct end a, struct end b)
{
	return sockaddr_same_inet(a.b, a.len, b.b, b.len);
}

Test(sockaddr_same, addresses)
{
	cr_expect(same(v4("127.0.0.1", 80), v4("127.0.0.1", 80)));
	cr_expect(!same(v4("127.0.0.1", 80), v4("127.0.0.1", 81)));
	cr_expect(!same(v4("127.0.0.1", 80), v4("127.0.0.2", 80)));
	cr_expect(same(v6("::1", 5), v6("::1", 5)));
	cr_expect(!same(v6("::1", 5), v4("127.0.0.1", 5)));
	cr_expect(same(v6("::ffff:127.0.0.1", 5), v4("127.0.0.1", 5)));
	cr_expect(same(v4("10.1.2.3", 5), v6("::ffff:10.1.2.3", 5)));
	cr_expect(!same(v6("::ffff:10.1.2.3", 6), v4("10.1.2.3", 5)));
}

Test(sockaddr_same, not_inet)
{
	struct end u, a = v4("127.0.0.1", 80);
	struct sockaddr_un s = { .sun_family = AF_UNIX, .sun_path = "/x" };
	memset(&u, 0, sizeof(u));
	memcpy(u.b, &s, sizeof(s));
	u.len = sizeof(s);
	cr_expect(!same(u, u));
	cr_expect(!same(u, a));
	a.len = 4; /* too short for its family */
	cr_expect(!same(a, a));
	cr_expect(!sockaddr_same_inet(a.b, 0, a.b, 0));
}

Test(sockaddr_same, tcp_ends)
{
	struct end s = v4("127.0.0.1", 4000), c = v4("127.0.0.1", 50000), c6 = v6("::ffff:127.0.0.1", 50000),
		   s6 = v6("::ffff:127.0.0.1", 4000), other = v4("127.0.0.1", 50001);
	/* server end (addr s, peer c) and client end (addr c, peer s) */
	cr_expect(sockaddr_tcp_ends(s.b, s.len, c.b, c.len, c.b, c.len, s.b, s.len));
	/* a dual-stack IPv6 server end against an IPv4 client */
	cr_expect(sockaddr_tcp_ends(s6.b, s6.len, c6.b, c6.len, c.b, c.len, s.b, s.len));
	/* two clients of one server are not each other's ends */
	cr_expect(!sockaddr_tcp_ends(c.b, c.len, s.b, s.len, other.b, other.len, s.b, s.len));
	/* the same end twice */
	cr_expect(!sockaddr_tcp_ends(s.b, s.len, c.b, c.len, s.b, s.len, c.b, c.len));
}
