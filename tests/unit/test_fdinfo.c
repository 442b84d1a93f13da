/* fdinfo_parse() on /proc/PID/fdinfo/N contents. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/fdinfo_parse.h"

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
