/* sock_queue_check() (restore/sock_queue.c): the queued-data records of a
 * socket as the image holds them, well-formed and not. */
#include <criterion/criterion.h>
#include <string.h>

#include "image/format.h"
#include "restore/sock_queue.h"

static char buf[256];
static size_t len;

static void rec(uint32_t n, uint32_t flags)
{
	uint32_t h = n | flags;
	memcpy(buf + len, &h, 4);
	memset(buf + len + 4, 'x', n);
	len += 4 + n;
}

Test(sock_queue, good)
{
	const char *why = NULL;
	len = 0;
	cr_expect_eq(sock_queue_check(buf, 0, 0, &why), 0, "empty queue");
	rec(5, 0);
	rec(0, 0); /* an empty datagram */
	rec(7, TCP_SOCK_MSG_CREDS);
	cr_expect_eq(sock_queue_check(buf, len, 3, &why), 0, "%s", why);
}

Test(sock_queue, bad)
{
	const char *why = NULL;
	len = 0;
	rec(5, 0);
	rec(3, 0);
	cr_expect_eq(sock_queue_check(buf, len, 3, &why), -1, "more messages than data");
	cr_expect(why != NULL);
	cr_expect_eq(sock_queue_check(buf, len, 1, &why), -1, "data left over");
	cr_expect_eq(sock_queue_check(buf, len - 1, 2, &why), -1, "last message cut");
	cr_expect_eq(sock_queue_check(buf, 2, 1, &why), -1, "header cut");
	len = 0;
	rec(0, 0);
	uint32_t huge = 0x7ffffff0u;
	memcpy(buf, &huge, 4);
	cr_expect_eq(sock_queue_check(buf, len, 1, &why), -1, "length past the end");
}
