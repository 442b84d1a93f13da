/* fb_put_sockaddr(): socket addresses as text in messages and tcp-inspect. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/sockaddr_text.h"

static char text[160];

static int put(const void *addr, uint32_t len)
{
	struct fbuf b;
	fb_init(&b, text, sizeof(text));
	return fb_put_sockaddr(&b, addr, len);
}

Test(sockaddr_text, inet)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(8080) };
	inet_pton(AF_INET, "10.1.2.254", &s.sin_addr);
	cr_assert_eq(put(&s, sizeof(s)), 1);
	cr_assert_str_eq(text, "10.1.2.254:8080");
	cr_assert_eq(put(&s, sizeof(s) - 1), 0, "too short for its family");
	cr_assert_str_eq(text, "an unnamed socket");
}

Test(sockaddr_text, inet6)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	inet_pton(AF_INET6, "fe80::1:abcd", &s.sin6_addr);
	cr_assert_eq(put(&s, sizeof(s)), 1);
	cr_assert_str_eq(text, "[fe80:0:0:0:0:0:1:abcd]:443");
}

Test(sockaddr_text, unix_names)
{
	struct sockaddr_un s = { .sun_family = AF_UNIX };
	strcpy(s.sun_path, "/run/app.sock");
	cr_assert_eq(put(&s, offsetof(struct sockaddr_un, sun_path) + strlen(s.sun_path) + 1), 1);
	cr_assert_str_eq(text, "/run/app.sock");
	/* Abstract: a leading NUL, the length says where the name ends. */
	memcpy(s.sun_path, "\0job\x01" "42", 7);
	cr_assert_eq(put(&s, offsetof(struct sockaddr_un, sun_path) + 7), 1);
	cr_assert_str_eq(text, "@job?42", "unprintable bytes shown as ?");
	cr_assert_eq(put(&s, 2), 0, "unbound: the family alone");
	cr_assert_eq(put(&s, 0), 0);
	cr_assert_str_eq(text, "an unnamed socket");
}

Test(sockaddr_text, truncated_buffer)
{
	struct sockaddr_un s = { .sun_family = AF_UNIX };
	memset(s.sun_path, 'x', sizeof(s.sun_path));
	char small[8];
	struct fbuf b;
	fb_init(&b, small, sizeof(small));
	cr_assert_eq(fb_put_sockaddr(&b, (const uint8_t *)&s, sizeof(s)), 1);
	cr_assert_str_eq(small, "xxxxxxx");
	cr_assert(b.full, "the truncation is recorded");
}
