/* /proc/PID/stat and children parsers (common/proc_stat.c), used by the
 * process-tree checkpoint. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>

#include "common/proc_stat.h"

/* A real line with 52 fields, the name holding ") (" to mislead. */
static const char zombie[] =
	"4711 (a) (b c) Z 4700 4700 4600 0 -1 4227084 70 0 0 0 0 0 0 0 20 0 1 0 123456 0 0 "
	"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 2816\n";

Test(proc_stat, zombie_with_exit_code)
{
	struct proc_stat s;
	cr_assert_eq(proc_stat_parse(zombie, strlen(zombie), &s), 0);
	cr_assert_eq(s.state, 'Z');
	cr_assert_eq(s.ppid, 4700);
	cr_assert_eq(s.pgrp, 4700);
	cr_assert_eq(s.session, 4600);
	cr_assert_eq(s.start_time, 123456);
	cr_assert(s.has_exit_code);
	cr_assert_eq(s.exit_code, 2816); /* exit(11) */
	cr_assert_str_eq(s.comm, "a) (b c");
}

Test(proc_stat, running_process_of_this_kernel)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct proc_stat s;
	cr_assert_eq(proc_stat_parse(buf, n, &s), 0);
	cr_assert_eq(s.state, 'R');
	cr_assert_eq(s.ppid, getppid());
	cr_assert_eq(s.pgrp, getpgrp());
	cr_assert_eq(s.session, getsid(0));
	cr_assert(s.has_exit_code);
	cr_assert_eq(s.exit_code, 0);
}

Test(proc_stat, malformed)
{
	struct proc_stat s;
	const char *bad[] = { "", "12 (x", "12 x) S 1", "12 (x) S 1 2 3", "12 (x) S a b c 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(proc_stat_parse(bad[i], strlen(bad[i]), &s), -1, "accepted: %s", bad[i]);
}

Test(proc_stat, children)
{
	int pids[2];
	cr_assert_eq(proc_children_parse("", 0, pids, 2), 0);
	cr_assert_eq(proc_children_parse("12 345 ", 7, pids, 2), 2);
	cr_assert_eq(pids[0], 12);
	cr_assert_eq(pids[1], 345);
	cr_assert_eq(proc_children_parse("1 2 3 ", 6, pids, 2), 3); /* did not fit */
	cr_assert_eq(proc_children_parse("1 x ", 4, pids, 2), -1);
	cr_assert_eq(proc_children_parse("0 ", 2, pids, 2), -1);
}
