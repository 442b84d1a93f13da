/* unix_diag_parse() (preload/sock_diag.c) on made-up NETLINK_SOCK_DIAG
 * replies, well-formed and not. */
#include <criterion/criterion.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "preload/sock_diag.h"

static char buf[512];
static size_t len;

static void begin(uint16_t type, uint32_t ino)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr h = { .nlmsg_type = type };
	struct unix_diag_msg m = { .udiag_family = AF_UNIX, .udiag_type = SOCK_STREAM, .udiag_state = 1,
				   .udiag_ino = ino };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &m, sizeof(m));
	len = sizeof(h) + sizeof(m);
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

Test(sock_diag, full_reply)
{
	begin(SOCK_DIAG_BY_FAMILY, 1234);
	uint32_t peer = 5678;
	struct unix_diag_rqlen q = { 10, 20 };
	uint8_t shut = 3;
	attr(UNIX_DIAG_NAME, "\0abc", 4);
	attr(UNIX_DIAG_PEER, &peer, 4);
	attr(UNIX_DIAG_RQLEN, &q, sizeof(q));
	attr(UNIX_DIAG_SHUTDOWN, &shut, 1);
	finish();
	struct unix_sock_info i;
	cr_assert_eq(unix_diag_parse(buf, (long)len, 1234, &i), 0);
	cr_expect_eq(i.ino, 1234);
	cr_expect_eq(i.type, SOCK_STREAM);
	cr_expect_eq(i.state, 1);
	cr_expect(i.have_peer);
	cr_expect_eq(i.peer_ino, 5678);
	cr_expect(i.have_rqlen);
	cr_expect_eq(i.rqueue, 10);
	cr_expect_eq(i.wqueue, 20);
	cr_expect_eq(i.shutdown, 3);
	cr_expect_eq(i.name_len, 4);
	cr_expect(!memcmp(i.name, "\0abc", 4));
}

Test(sock_diag, no_attributes)
{
	begin(SOCK_DIAG_BY_FAMILY, 7);
	finish();
	struct unix_sock_info i;
	cr_assert_eq(unix_diag_parse(buf, (long)len, 7, &i), 0);
	cr_expect(!i.have_peer && !i.have_rqlen && !i.have_name);
}

Test(sock_diag, error_message)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr h = { .nlmsg_len = sizeof(h) + sizeof(struct nlmsgerr), .nlmsg_type = NLMSG_ERROR };
	struct nlmsgerr e = { .error = -2 };
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e, sizeof(e));
	struct unix_sock_info i;
	cr_expect_eq(unix_diag_parse(buf, (long)(sizeof(h) + sizeof(e)), 7, &i), -2);
	cr_expect_eq(unix_diag_parse(buf, (long)sizeof(h), 7, &i), -1, "truncated error message");
}

Test(sock_diag, malformed)
{
	struct unix_sock_info i;
	begin(SOCK_DIAG_BY_FAMILY, 7);
	finish();
	cr_expect_eq(unix_diag_parse(buf, (long)len, 8, &i), -1, "another socket's reply");
	cr_expect_eq(unix_diag_parse(buf, (long)len - 1, 7, &i), -1, "shorter than nlmsg_len");
	cr_expect_eq(unix_diag_parse(buf, 3, 7, &i), -1, "shorter than a header");
	begin(42, 7);
	finish();
	cr_expect_eq(unix_diag_parse(buf, (long)len, 7, &i), -1, "unknown message type");
	begin(SOCK_DIAG_BY_FAMILY, 7);
	len = sizeof(struct nlmsghdr) + 4;
	finish();
	cr_expect_eq(unix_diag_parse(buf, (long)len, 7, &i), -1, "message too short for unix_diag_msg");
}

Test(sock_diag, bad_attributes_are_ignored)
{
	begin(SOCK_DIAG_BY_FAMILY, 7);
	uint32_t peer = 9;
	attr(UNIX_DIAG_PEER, &peer, 2);				/* too short */
	char longname[200] = { 0 };
	attr(UNIX_DIAG_NAME, longname, sizeof(longname));	/* longer than sun_path */
	size_t good = len;
	attr(UNIX_DIAG_PEER, &peer, 4);
	uint16_t bogus = 0xffff;				/* attribute length past the end */
	memcpy(buf + good, &bogus, 2);
	finish();
	struct unix_sock_info i;
	cr_assert_eq(unix_diag_parse(buf, (long)len, 7, &i), 0);
	cr_expect(!i.have_peer);
	cr_expect(!i.have_name);
}

/* The real kernel: a socketpair's ends name each other. */
Test(sock_diag, live_socketpair)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	struct stat st0, st1;
	fstat(sv[0], &st0);
	fstat(sv[1], &st1);
	cr_assert_eq(send(sv[1], "hello", 5, 0), 5);
	struct unix_sock_info i;
	char reply[8192];
	int rc = unix_diag_query(st0.st_ino, &i, reply, sizeof(reply));
	if (rc == -EPROTONOSUPPORT || rc == -ENOENT)
		cr_skip_test("no unix_diag in this kernel");
	cr_assert_eq(rc, 0);
	cr_expect_eq(i.type, SOCK_SEQPACKET);
	cr_expect(i.have_peer);
	cr_expect_eq(i.peer_ino, st1.st_ino);
	cr_expect_eq(i.rqueue, 5, "first message's length");
	cr_expect_eq(i.shutdown, 0);
	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(unix_diag_query(st1.st_ino, &i, reply, sizeof(reply)), 0);
	cr_expect_eq(i.shutdown, 1, "the peer's writing shut down: reading here is");
}

/* unix_diag_dump_match(): a part of a dump of every socket, the one bound
 * to a name found in it; the end; an error. */
Test(sock_diag, dump_match)
{
	static char part[1024];
	size_t plen = 0;
	const char *names[2] = { "\0zzzzz", "\0b1bcf" };
	for (int k = 0; k < 2; k++) {
		begin(SOCK_DIAG_BY_FAMILY, 100 + (uint32_t)k);
		attr(UNIX_DIAG_NAME, names[k], 6);
		finish();
		memcpy(part + plen, buf, len);
		plen += (len + 3) & ~(size_t)3;
	}
	uint64_t ino = 0;
	cr_expect_eq(unix_diag_dump_match(part, (long)plen, "\0b1bcf", 6, &ino), 1);
	cr_expect_eq(ino, 101);
	cr_expect_eq(unix_diag_dump_match(part, (long)plen, "\0b1bc", 5, &ino), 0, "a prefix is another name");
	struct nlmsghdr done = { .nlmsg_len = sizeof(done) + 4, .nlmsg_type = NLMSG_DONE };
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &done, sizeof(done));
	cr_expect_eq(unix_diag_dump_match(buf, (long)done.nlmsg_len, "\0b1bcf", 6, &ino), 2);
	struct nlmsghdr e = { .nlmsg_len = sizeof(e) + sizeof(struct nlmsgerr), .nlmsg_type = NLMSG_ERROR };
	struct nlmsgerr err = { .error = -EPERM };
	memcpy(buf, &e, sizeof(e));
	memcpy(buf + sizeof(e), &err, sizeof(err));
	cr_expect_eq(unix_diag_dump_match(buf, (long)e.nlmsg_len, "\0b1bcf", 6, &ino), -EPERM);
	cr_expect_eq(unix_diag_dump_match(part, 10, "\0b1bcf", 6, &ino), 0, "too short for a message");
}
