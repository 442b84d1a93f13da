/* inet_diag_parse() (preload/sock_diag_inet.c) on made-up INET_DIAG
 * replies, and inet_diag_query() on a real loopback connection: the way a
 * process of a tree finds the other end of its TCP connection. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/sock_diag.h"

static char buf[1024];
static size_t len;

static void begin(uint32_t ino, uint8_t state)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr h = { .nlmsg_type = SOCK_DIAG_BY_FAMILY };
	struct inet_diag_msg m = { .idiag_family = AF_INET, .idiag_state = state, .idiag_rqueue = 11,
				   .idiag_wqueue = 22, .idiag_inode = ino };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &m, sizeof(m));
	len = NLMSG_ALIGN(sizeof(h) + sizeof(m));
}

static void attr(uint16_t type, const void *v, uint16_t vlen)
{
	uint16_t hdr[2] = { (uint16_t)(4 + vlen), type };
	memcpy(buf + len, hdr, 4);
	memcpy(buf + len + 4, v, vlen);
	len += (4u + vlen + 3u) & ~3u;
}

static void finish(void)
{
	uint32_t l = (uint32_t)len;
	memcpy(buf, &l, 4);
}

Test(sock_diag_inet, full_reply)
{
	begin(4321, 8);
	struct tcp_info ti;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_bytes_acked = 101;
	ti.tcpi_bytes_received = 7;
	ti.tcpi_notsent_bytes = 3;
	uint8_t shut = 1;
	attr(INET_DIAG_SHUTDOWN, &shut, 1);
	attr(INET_DIAG_INFO, &ti, sizeof(ti));
	finish();
	struct inet_sock_info i;
	cr_assert_eq(inet_diag_parse(buf, (long)len, &i), 0);
	cr_expect_eq(i.ino, 4321);
	cr_expect_eq(i.state, 8);
	cr_expect_eq(i.rqueue, 11);
	cr_expect_eq(i.wqueue, 22);
	cr_expect_eq(i.shutdown, 1);
	cr_expect(i.have_info);
	cr_expect_eq(i.bytes_acked, 101);
	cr_expect_eq(i.bytes_received, 7);
	cr_expect_eq(i.notsent, 3);
}

/* A tcp_info from a kernel without the byte counts: not taken. */
Test(sock_diag_inet, short_info)
{
	begin(1, 1);
	char old[64] = { 0 };
	attr(INET_DIAG_INFO, old, sizeof(old));
	finish();
	struct inet_sock_info i;
	cr_assert_eq(inet_diag_parse(buf, (long)len, &i), 0);
	cr_expect(!i.have_info);
}

Test(sock_diag_inet, malformed)
{
	struct inet_sock_info i;
	begin(1, 1);
	finish();
	cr_expect_eq(inet_diag_parse(buf, 8, &i), -1); /* shorter than its header */
	cr_expect_eq(inet_diag_parse(buf, (long)len - 1, &i), -1); /* shorter than it says */
	buf[sizeof(struct nlmsghdr)] = AF_UNIX;
	cr_expect_eq(inet_diag_parse(buf, (long)len, &i), -1);
	begin(1, 1);
	uint16_t bad[2] = { 200, INET_DIAG_INFO }; /* an attribute longer than the message */
	memcpy(buf + len, bad, 4);
	len += 4;
	finish();
	cr_expect_eq(inet_diag_parse(buf, (long)len, &i), 0);
	cr_expect(!i.have_info);
}

Test(sock_diag_inet, error_message)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr h = { .nlmsg_len = sizeof(h) + sizeof(struct nlmsgerr), .nlmsg_type = NLMSG_ERROR };
	struct nlmsgerr e = { .error = -ENOENT };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e, sizeof(e));
	struct inet_sock_info i;
	cr_expect_eq(inet_diag_parse(buf, (long)h.nlmsg_len, &i), -ENOENT);
}

/* Each end of a real loopback connection finds the other by its four
 * values; an address nobody uses is not found. */
Test(sock_diag_inet, loopback_connection)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) }, c, s;
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), cl = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(l >= 0 && cl >= 0);
	cr_assert_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(l, 1), 0);
	cr_assert_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	cr_assert_eq(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	int sv = accept(l, NULL, NULL);
	cr_assert(sv >= 0);
	alen = sizeof(c);
	getsockname(cl, (struct sockaddr *)&c, &alen);
	alen = sizeof(s);
	getsockname(sv, (struct sockaddr *)&s, &alen);
	cr_assert_eq(write(cl, "hello", 5), 5);
	struct stat st;
	fstat(sv, &st);
	char scratch[8192];
	struct inet_sock_info i;
	int rc = inet_diag_query(AF_INET, &s, &c, &i, scratch, sizeof(scratch));
	if (rc == -EPROTONOSUPPORT || rc == -ENOENT)
		cr_skip_test("no INET_DIAG here (%d)", rc);
	cr_assert_eq(rc, 0);
	cr_expect_eq(i.ino, st.st_ino);
	cr_expect_eq(i.state, 1);
	cr_expect_eq(i.rqueue, 5);
	cr_expect(i.have_info);
	cr_expect_eq(i.bytes_received, 5);
	fstat(cl, &st);
	cr_assert_eq(inet_diag_query(AF_INET, &c, &s, &i, scratch, sizeof(scratch)), 0);
	cr_expect_eq(i.ino, st.st_ino);
	c.sin_port = 0;
	cr_expect_eq(inet_diag_query(AF_INET, &c, &s, &i, scratch, sizeof(scratch)), -ENOENT);
	close(sv);
	close(cl);
	close(l);
}
