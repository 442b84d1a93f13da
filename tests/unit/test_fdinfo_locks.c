/* The "lock:" lines of /proc/PID/fdinfo/N (common/fdinfo_locks.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include "common/fdinfo_locks.h"
#include "image/format.h"

static int parse(const char *text, struct fdinfo_lock *out, int max)
{
	return fdinfo_locks(text, strlen(text), out, max);
}

Test(fdinfo_locks, none)
{
	cr_assert_eq(parse("pos:\t0\nflags:\t0100002\nmnt_id:\t26\nino:\t5\n", NULL, 0), 0);
	cr_assert_eq(parse("", NULL, 0), 0);
}

Test(fdinfo_locks, every_kind)
{
	const char *t = "pos:\t0\nflags:\t0100002\n"
			"lock:\t1: FLOCK  ADVISORY  WRITE 25154 fe:00:10956123 0 EOF\n"
			"lock:\t2: POSIX  ADVISORY  READ 25154 fe:00:10956138 100 199\n"
			"lock:\t3: OFDLCK ADVISORY  READ -1 fe:00:10956163 0 4\n";
	struct fdinfo_lock l[3];
	cr_assert_eq(parse(t, l, 3), 3);
	cr_assert_eq(l[0].type, TCP_LOCK_FLOCK);
	cr_assert_eq(l[0].write, 1);
	cr_assert_eq(l[0].pid, 25154);
	cr_assert_eq(l[0].start, 0);
	cr_assert_eq(l[0].end, UINT64_MAX);
	cr_assert_eq(l[1].type, TCP_LOCK_POSIX);
	cr_assert_eq(l[1].write, 0);
	cr_assert_eq(l[1].start, 100);
	cr_assert_eq(l[1].end, 199);
	cr_assert_eq(l[2].type, TCP_LOCK_OFD);
	cr_assert_eq(l[2].pid, -1);
	cr_assert_eq(l[2].end, 4);
}

Test(fdinfo_locks, waiters_are_not_held_locks)
{
	const char *t = "lock:\t1: POSIX  ADVISORY  WRITE 10 fe:00:1 0 EOF\n"
			"lock:\t1: -> POSIX  ADVISORY  WRITE 77 fe:00:1 0 EOF\n";
	struct fdinfo_lock l[2];
	cr_assert_eq(parse(t, l, 2), 1);
	cr_assert_eq(l[0].pid, 10);
}

Test(fdinfo_locks, counts_beyond_max)
{
	const char *t = "lock:\t1: FLOCK  ADVISORY  READ 1 fe:00:1 0 EOF\n"
			"lock:\t2: FLOCK  ADVISORY  READ 1 fe:00:1 0 EOF\n";
	struct fdinfo_lock l[1];
	cr_assert_eq(parse(t, l, 1), 2);
	cr_assert_eq(parse(t, NULL, 0), 2);
}

Test(fdinfo_locks, leases_and_mandatory_locks_are_refused)
{
	cr_assert_eq(parse("lock:\t1: LEASE  ACTIVE    READ 1 fe:00:1 0 EOF\n", NULL, 0), -2);
	cr_assert_eq(parse("lock:\t1: POSIX  MANDATORY WRITE 1 fe:00:1 0 EOF\n", NULL, 0), -2);
}

Test(fdinfo_locks, malformed)
{
	const char *bad[] = {
		"lock:\n",
		"lock:\t1: FLOCK\n",
		"lock:\t1: FLOCK  ADVISORY\n",
		"lock:\t1: FLOCK  ADVISORY  BOTH 1 fe:00:1 0 EOF\n",
		"lock:\t1: WHAT  ADVISORY  READ 1 fe:00:1 0 EOF\n",
		"lock:\t1: POSIX  ADVISORY  READ x fe:00:1 0 EOF\n",
		"lock:\t1: POSIX  ADVISORY  READ 1 fe:00:1 9 4\n",	/* end before start */
		"lock:\t1: POSIX  ADVISORY  READ 1 fe:00:1 0 99999999999999999999999\n",
		"lock:\t1: POSIX  ADVISORY  READ 1 fe:00:1 0 EOF extra\n",
		"lock:\t1 POSIX  ADVISORY  READ 1 fe:00:1 0 EOF\n",
		"lock:\t1: POSIX  ADVISORY  READ 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i], NULL, 0), -1, "accepted: %s", bad[i]);
}

Test(fdinfo_locks, no_trailing_newline)
{
	struct fdinfo_lock l[1];
	cr_assert_eq(parse("lock:\t1: FLOCK  ADVISORY  WRITE 3 fe:00:1 0 EOF", l, 1), 1);
}
