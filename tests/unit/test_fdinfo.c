/* fdinfo_parse() on /proc/PID/fdinfo/N contents. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/fdinfo_parse.h"
#include "common/proc_fields.h"
#include "tmp_file.h"

/* The kernel's O_LARGEFILE; glibc defines O_LARGEFILE as 0 on x86-64. */
#define K_O_LARGEFILE 0100000u

static struct fdinfo fi;

static int parse(const char *s)
{
	memset(&fi, 0xa5, sizeof(fi)); /* canary: the parser must reset what it does not find */
	return fdinfo_parse(s, strlen(s), &fi);
}

Test(fdinfo, regular_file)
{
	cr_assert_eq(parse("pos:\t4096\nflags:\t0100002\nmnt_id:\t29\nino:\t1234567\n"), 0);
	cr_assert_eq(fi.pos, 4096);
	cr_assert_eq(fi.flags, 0100002u);
	cr_assert_eq(fi.mnt_id, 29);
	cr_assert_eq(fi.ino, 1234567);
	cr_assert_eq(fi.have_pos, 1);
	cr_assert_eq(fi.have_flags, 1);
}

Test(fdinfo, octal_flags_decoding)
{
	/* x86-64: 02000000 O_CLOEXEC, 0100000 O_LARGEFILE, 02000 O_APPEND, 02 O_RDWR.
	 * So 02102002 has O_APPEND and 02100002 does not. */
	cr_assert_eq(parse("pos:\t0\nflags:\t02102002\nmnt_id:\t1\n"), 0);
	cr_assert_eq(fi.flags, 02102002u);
	cr_assert_eq(fi.flags & O_ACCMODE, O_RDWR);
	cr_assert(fi.flags & O_CLOEXEC);
	cr_assert(fi.flags & O_APPEND);
	cr_assert(fi.flags & K_O_LARGEFILE);
	cr_assert_eq(fi.flags, (uint32_t)(O_RDWR | O_APPEND | O_CLOEXEC) | K_O_LARGEFILE);
	cr_assert_eq(parse("pos:\t0\nflags:\t02100002\n"), 0);
	cr_assert_eq(fi.flags, (uint32_t)(O_RDWR | O_CLOEXEC) | K_O_LARGEFILE);
	cr_assert_not(fi.flags & O_APPEND);
}

Test(fdinfo, eventfd_extra_lines)
{
	const char *s = "pos:\t0\nflags:\t02004002\nmnt_id:\t15\nino:\t1057\neventfd-count:                5\n"
			"eventfd-id: 12\n";
	cr_assert_eq(parse(s), 0);
	cr_assert_eq(fi.pos, 0);
	cr_assert_eq(fi.flags, 02004002u);
	cr_assert_eq(fi.mnt_id, 15);
	cr_assert_eq(fi.ino, 1057);
}

Test(fdinfo, no_trailing_newline_and_order)
{
	cr_assert_eq(parse("ino:\t7\nflags:\t00\npos:\t123"), 0);
	cr_assert_eq(fi.pos, 123);
	cr_assert_eq(fi.flags, 0);
	cr_assert_eq(fi.ino, 7);
	cr_assert_eq(fi.mnt_id, 0);
}

Test(fdinfo, uses_len_not_nul)
{
	const char s[] = "pos:\t5\nflags:\t01\npos:\t99\n";
	/* Cut before the second pos line: it must not be seen. */
	cr_assert_eq(fdinfo_parse(s, strlen("pos:\t5\nflags:\t01\n"), &fi), 0);
	cr_assert_eq(fi.pos, 5);
	cr_assert_eq(fi.flags, 1);
}

Test(fdinfo, missing_fields)
{
	cr_assert_eq(parse(""), -1);
	cr_assert_eq(parse("flags:\t02\nmnt_id:\t1\n"), -1);
	cr_assert_eq(fi.have_pos, 0);
	cr_assert_eq(fi.have_flags, 1);
	cr_assert_eq(parse("pos:\t0\nmnt_id:\t1\n"), -1);
	cr_assert_eq(fi.have_pos, 1);
	cr_assert_eq(fi.have_flags, 0);
	/* Keys must start the line and be spelled exactly. */
	cr_assert_eq(parse(" pos:\t0\nflags:\t0\n"), -1);
	cr_assert_eq(parse("Pos:\t0\nflags:\t0\n"), -1);
	cr_assert_eq(parse("position:\t0\nflags:\t0\n"), -1);
}

Test(fdinfo, garbage_values)
{
	static const char *bad[] = {
		"pos:\tabc\nflags:\t0\n",
		"pos:\t\nflags:\t0\n",
		"pos:\t12x\nflags:\t0\n",
		"pos:\t-1\nflags:\t0\n",
		"pos:\t18446744073709551616\nflags:\t0\n",	/* 2^64 */
		"pos:\t0\nflags:\t08\n",			/* not octal */
		"pos:\t0\nflags:\t0129\n",
		"pos:\t0\nflags:\t040000000000\n",		/* above 32 bits */
		"pos:\t0\nflags:\t0\nmnt_id:\t4294967296\n",
		"pos:\t0\nflags:\t0\nmnt_id:\tz\n",
		"pos:\t0\nflags:\t0\nino:\t1 2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse(bad[i]), -1, "accepted \"%s\"", bad[i]);
	/* Limits themselves are fine. */
	cr_assert_eq(parse("pos:\t18446744073709551615\nflags:\t037777777777\nmnt_id:\t4294967295\n"), 0);
	cr_assert_eq(fi.pos, UINT64_MAX);
	cr_assert_eq(fi.flags, UINT32_MAX);
	cr_assert_eq(fi.mnt_id, UINT32_MAX);
	/* Spaces and tabs around the number are allowed. */
	cr_assert_eq(parse("pos: \t 77 \nflags:  \t010\t\n"), 0);
	cr_assert_eq(fi.pos, 77);
	cr_assert_eq(fi.flags, 010);
}

Test(fdinfo, real_eventfd)
{
	/* What the running kernel prints for an eventfd we opened ourselves. */
	int fd = eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK);
	cr_assert_geq(fd, 0);
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	int in = open(path, O_RDONLY);
	cr_assert_geq(in, 0);
	ssize_t n = read(in, buf, sizeof(buf));
	close(in);
	close(fd);
	cr_assert_gt(n, 0);
	cr_assert_eq(fdinfo_parse(buf, (size_t)n, &fi), 0, "%.*s", (int)n, buf);
	cr_assert_eq(fi.flags, (uint32_t)(O_RDWR | O_CLOEXEC | O_NONBLOCK));
}

/* ---- fdinfo_field() and fdinfo_epoll_next(): the kind-specific lines ---- */

static const char eventfd_info[] = "pos:\t0\nflags:\t04002\nmnt_id:\t17\nino:\t26\n"
				   "eventfd-count:                5\neventfd-id: 1\neventfd-semaphore: 1\n";
static const char timerfd_info[] = "pos:\t0\nflags:\t02004002\nmnt_id:\t17\nino:\t26\nclockid: 1\nticks: 12\n"
				   "settime flags: 03\nit_value: (0, 9876)\nit_interval: (0, 100000000)\n";

static int get(const char *info, const char *key, int base, uint64_t *v)
{
	*v = 0xdeadbeef;
	return fdinfo_field(info, strlen(info), key, base, v);
}

Test(fdinfo_field, eventfd_lines)
{
	uint64_t v;
	cr_assert_eq(get(eventfd_info, "eventfd-count:", 16, &v), 0);
	cr_assert_eq(v, 5);
	cr_assert_eq(get(eventfd_info, "eventfd-semaphore:", 10, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(get("eventfd-count: fffffffffffffffe\n", "eventfd-count:", 16, &v), 0);
	cr_assert_eq(v, 0xfffffffffffffffeull);
	/* An old kernel without the semaphore line: missing, not 0. */
	cr_assert_eq(get("pos:\t0\neventfd-count:  0\n", "eventfd-semaphore:", 10, &v), -1);
}

Test(fdinfo_field, timerfd_lines)
{
	uint64_t v;
	cr_assert_eq(get(timerfd_info, "clockid:", 10, &v), 0);
	cr_assert_eq(v, 1);
	cr_assert_eq(get(timerfd_info, "ticks:", 10, &v), 0);
	cr_assert_eq(v, 12);
	cr_assert_eq(get(timerfd_info, "settime flags:", 8, &v), 0);
	cr_assert_eq(v, 3);
	/* "it_value: (...)" is not one number. */
	cr_assert_eq(get(timerfd_info, "it_value:", 10, &v), -1);
}

Test(fdinfo_field, signalfd_mask_and_bad_values)
{
	uint64_t v;
	cr_assert_eq(get("pos:\t0\nsigmask:\t0000000000000802\n", "sigmask:", 16, &v), 0);
	cr_assert_eq(v, 0x802);
	cr_assert_eq(get("sigmask:\t00000000000008g2\n", "sigmask:", 16, &v), -1);
	cr_assert_eq(get("sigmask:\t\n", "sigmask:", 16, &v), -1);
	cr_assert_eq(get("sigmask:\t1ffffffffffffffff\n", "sigmask:", 16, &v), -1); /* overflow */
	cr_assert_eq(get("ticks: 9\n", "ticks:", 8, &v), -1);	/* not octal */
	cr_assert_eq(get("sigmask:\t0802", "sigmask:", 16, &v), 0);	/* no final newline */
	cr_assert_eq(v, 0x802);
	cr_assert_eq(get("", "sigmask:", 16, &v), -1);
	/* A key must start its line. */
	cr_assert_eq(get("xticks: 4\n", "ticks:", 10, &v), -1);
}

/* /proc/PID/task/TID/status: a thread's own pending signals (SigPnd) and the
 * process's (ShdPnd), told apart from the neighbouring Sig* lines. */
Test(fdinfo_field, proc_status_pending)
{
	static const char status[] = "Name:\tthr_pending\nUmask:\t0022\nState:\tS (sleeping)\n"
				     "SigQ:\t2/95594\nSigPnd:\t0000000000000800\nShdPnd:\t0000001000000000\n"
				     "SigBlk:\t0000001000002800\nSigIgn:\t0000000000000200\n";
	uint64_t v;
	cr_assert_eq(get(status, "SigPnd:", 16, &v), 0);
	cr_assert_eq(v, 1ull << 11, "SIGUSR2 for this thread alone");
	cr_assert_eq(get(status, "ShdPnd:", 16, &v), 0);
	cr_assert_eq(v, 1ull << 36, "SIGRTMIN+3 (37) for the process");
	cr_assert_eq(get(status, "SigBlk:", 16, &v), 0);
	cr_assert_eq(v, 0x1000002800ull);
	cr_assert_eq(get("Name:\tx\nSigQ:\t0/1\n", "SigPnd:", 16, &v), -1, "missing line");
}

/* A status file whose Groups line is far longer than the buffer, read
 * with every buffer size from one line's length up: each key's line falls
 * across a piece boundary somewhere in that range. */
Test(proc_fields, small_buffer_long_lines)
{
	static char status[16384];
	int len = snprintf(status, sizeof(status), "Name:\tthr_pending\nGroups:\t");
	for (int i = 0; i < 2000; i++)
		len += snprintf(status + len, sizeof(status) - len, "%d ", 1000 + i);
	len += snprintf(status + len, sizeof(status) - len,
			"\nSigQ:\t2/95594\nSigPnd:\t0000000000000800\nShdPnd:\t0000001000000000\n"
			"SigBlk:\t0000001000002800\n");
	int fd = tmp_file();
	cr_assert_eq(write(fd, status, len), len);
	static const char *const keys[3] = { "SigPnd:", "ShdPnd:", "NoSuch:" };
	for (size_t cap = 26; cap <= 300; cap++) {
		char buf[300];
		uint64_t v[3] = { 0, 0, 0 };
		lseek(fd, 0, SEEK_SET);
		cr_assert_eq(proc_fields_read(fd, buf, cap, keys, 2, 16, v), 3, "buffer of %zu bytes", cap);
		cr_assert_eq(v[0], 1ull << 11, "buffer of %zu bytes", cap);
		cr_assert_eq(v[1], 1ull << 36, "buffer of %zu bytes", cap);
		lseek(fd, 0, SEEK_SET);
		cr_assert_eq(proc_fields_read(fd, buf, cap, keys, 3, 16, v), 3, "the missing key's bit stays clear");
	}
	cr_assert_eq(proc_fields_read(-1, (char[64]){ 0 }, 64, keys, 2, 16, (uint64_t[2]){ 0 }), -1, "read error");
	close(fd);
}

Test(fdinfo_epoll, items)
{
	const char info[] = "pos:\t0\nflags:\t02\nmnt_id:\t17\nino:\t26\n"
			    "tfd:        4 events: 40000000 data:             1234  pos:0 ino:1a sdev:10\n"
			    "tfd:      123 events: 80000019 data: ffffffffffffffff  pos:0 ino:fea3e sdev:f\n";
	struct fdinfo_epoll_item it;
	size_t pos = 0;
	cr_assert_eq(fdinfo_epoll_next(info, strlen(info), &pos, &it), 1);
	cr_assert_eq(it.tfd, 4);
	cr_assert_eq(it.events, 0x40000000u);
	cr_assert_eq(it.data, 0x1234);
	cr_assert_eq(it.ino, 0x1a);
	cr_assert_eq(fdinfo_epoll_next(info, strlen(info), &pos, &it), 1);
	cr_assert_eq(it.tfd, 123);
	cr_assert_eq(it.events, 0x80000019u);
	cr_assert_eq(it.data, UINT64_MAX);
	cr_assert_eq(it.ino, 0xfea3e);
	cr_assert_eq(fdinfo_epoll_next(info, strlen(info), &pos, &it), 0);
	pos = 0;
	cr_assert_eq(fdinfo_epoll_next("pos:\t0\n", 7, &pos, &it), 0);
}

Test(fdinfo_epoll, malformed_lines)
{
	const char *bad[] = {
		"tfd: -4 events: 1 data: 0 pos:0 ino:1 sdev:1\n",
		"tfd: 4 events: 1ffffffff data: 0 pos:0 ino:1 sdev:1\n",
		"tfd: 4 events: 1 data: 0 ino:1 sdev:1\n",
		"tfd: 4 events: 1 data: zz pos:0 ino:1 sdev:1\n",
		"tfd: 99999999999 events: 1 data: 0 pos:0 ino:1 sdev:1\n",
		"tfd:\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fdinfo_epoll_item it;
		size_t pos = 0;
		cr_expect_eq(fdinfo_epoll_next(bad[i], strlen(bad[i]), &pos, &it), -1, "accepted \"%s\"", bad[i]);
	}
}

Test(fdinfo_epoll, real_epoll)
{
	/* What the running kernel prints for an epoll fd we made ourselves. */
	int ep = epoll_create1(EPOLL_CLOEXEC), ev = eventfd(0, EFD_CLOEXEC);
	cr_assert(ep >= 0 && ev >= 0);
	struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.u64 = 0x1122334455667788ull };
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e), 0);
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	int in = open(path, O_RDONLY);
	ssize_t n = read(in, buf, sizeof(buf));
	close(in);
	cr_assert_gt(n, 0);
	struct fdinfo_epoll_item it;
	size_t pos = 0;
	cr_assert_eq(fdinfo_epoll_next(buf, (size_t)n, &pos, &it), 1, "%.*s", (int)n, buf);
	cr_assert_eq(it.tfd, ev);
	cr_assert_eq(it.events & (EPOLLIN | EPOLLET), (uint32_t)(EPOLLIN | EPOLLET));
	cr_assert_eq(it.data, 0x1122334455667788ull);
	cr_assert_eq(fdinfo_epoll_next(buf, (size_t)n, &pos, &it), 0);
	close(ep);
	close(ev);
}
