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

/* A message with fds in flight: its length word, the fd count, the fd
 * numbers, then the bytes (image/format.h, TCP_SOCK_MSG_FDS). */
static void rec_fds(uint32_t n, uint32_t nfds, int32_t first_fd)
{
	uint32_t h = n | TCP_SOCK_MSG_FDS;
	memcpy(buf + len, &h, 4);
	memcpy(buf + len + 4, &nfds, 4);
	len += 8;
	for (uint32_t i = 0; i < nfds && i < 8; i++, len += 4) {
		int32_t fd = first_fd + (int32_t)i;
		memcpy(buf + len, &fd, 4);
	}
	memset(buf + len, 'y', n);
	len += n;
}

Test(sock_queue, fds_in_flight)
{
	const char *why = NULL;
	len = 0;
	rec(3, 0);
	rec_fds(12, 2, 1001);
	rec_fds(0, 1, 1003); /* an empty datagram with an fd */
	cr_expect_eq(sock_queue_check(buf, len, 3, &why), 0, "%s", why);
	cr_expect_eq(sock_queue_has_fds(buf, len), 1);
	len = 0;
	rec(3, TCP_SOCK_MSG_CREDS);
	cr_expect_eq(sock_queue_has_fds(buf, len), 0);
}

Test(sock_queue, fds_in_flight_bad)
{
	const char *why = NULL;
	len = 0;
	rec_fds(4, 0, 5);
	cr_expect_eq(sock_queue_check(buf, len, 1, &why), -1, "no fds");
	len = 0;
	rec_fds(4, 1, -1);
	cr_expect_eq(sock_queue_check(buf, len, 1, &why), -1, "a negative fd");
	len = 0;
	rec_fds(4, 2, 7);
	cr_expect_eq(sock_queue_check(buf, len - 6, 1, &why), -1, "fds cut");
	cr_expect_eq(sock_queue_check(buf, 6, 1, &why), -1, "count cut");
	len = 0;
	rec_fds(0, 1, 7);
	uint32_t many = TCP_SOCK_MSG_MAX_FDS + 1;
	memcpy(buf + 4, &many, 4);
	cr_expect_eq(sock_queue_check(buf, len, 1, &why), -1, "too many fds");
}

/* Datagrams with their senders (TCP_SOCKQ_SENDERS): length word, sender
 * address length and address, bytes. */
static void drec(uint32_t n, uint32_t flags, const char *name, uint32_t name_len)
{
	uint32_t h = n | flags, flen = name ? 2 + name_len : 0;
	memcpy(buf + len, &h, 4);
	memcpy(buf + len + 4, &flen, 4);
	len += 8;
	if (name) {
		uint16_t family = 1; /* AF_UNIX */
		memcpy(buf + len, &family, 2);
		memcpy(buf + len + 2, name, name_len);
		len += flen;
	}
	memset(buf + len, 'y', n);
	len += n;
}

Test(sock_queue, dgram_senders)
{
	const char *why = NULL;
	len = 0;
	drec(1, 0, "\0b1bcf", 6);
	drec(0, 0, NULL, 0); /* empty, from an unnamed socket */
	drec(11, 0, "\0a9e67", 6);
	cr_expect_eq(sock_dgram_check(buf, len, 3, &why), 0, "%s", why);
	uint64_t off = 0;
	struct sock_dgram m;
	cr_expect_eq(sock_dgram_next(buf, len, &off, &m), 1);
	cr_expect(m.len == 1 && m.from_len == 8 && m.from[2] == 0 && m.from[3] == 'b');
	cr_expect_eq(sock_dgram_next(buf, len, &off, &m), 1);
	cr_expect(m.len == 0 && m.from_len == 0);
	cr_expect_eq(sock_dgram_next(buf, len, &off, &m), 1);
	cr_expect(m.len == 11 && m.bytes[0] == 'y');
	cr_expect_eq(sock_dgram_next(buf, len, &off, &m), 0, "the end");
	cr_expect_eq(sock_dgram_check(buf, len, 2, &why), -1, "datagrams left over");
	cr_expect_eq(sock_dgram_check(buf, len - 1, 3, &why), -1, "last datagram cut");

	len = 0;
	drec(3, 0, "/tmp/sock", 9);
	cr_expect_eq(sock_dgram_check(buf, len, 1, &why), -1, "a sender bound to a path");
	len = 0;
	drec(3, TCP_SOCK_MSG_CREDS, "\0abcde", 6);
	cr_expect_eq(sock_dgram_check(buf, len, 1, &why), -1, "credentials");
	len = 0;
	drec(3, 0, "\0abcde", 6);
	uint32_t huge = 4000;
	memcpy(buf + 4, &huge, 4);
	cr_expect_eq(sock_dgram_check(buf, len, 1, &why), -1, "address length past the end");
}
