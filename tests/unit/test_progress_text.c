/* The words of tcp-restore -v's progress line and summary
 * (common/progress_text.c): sizes, percentages, rates, time left. */
#include <criterion/criterion.h>
#include "common/progress_text.h"

static const char *size(uint64_t bytes)
{
	static char mem[64];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_put_size(&b, bytes);
	return mem;
}

static const char *line(uint64_t done, uint64_t total, uint64_t ms)
{
	static char mem[256];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	progress_text(&b, done, total, ms);
	return mem;
}

Test(progress_text, sizes)
{
	cr_assert_str_eq(size(0), "0 B");
	cr_assert_str_eq(size(1023), "1023 B");
	cr_assert_str_eq(size(1024), "1 KiB");
	cr_assert_str_eq(size(812 << 10), "812 KiB");
	cr_assert_str_eq(size((12ull << 20) + (3ull << 20) / 10), "12.3 MiB");
	cr_assert_str_eq(size(4ull << 30), "4.0 GiB");
	cr_assert_str_eq(size((1ull << 30) - 1), "1.0 GiB"); /* rounds up into the next unit */
	cr_assert_str_eq(size(3ull << 50), "3145728 GiB");
}

Test(progress_text, a_line_with_total_rate_and_time_left)
{
	/* 1 GiB of 4 GiB in 2 s: 512 MiB/s, 3 GiB left: 6 s. */
	cr_assert_str_eq(line(1ull << 30, 4ull << 30, 2000), "1.0 GiB of 4.0 GiB (25%), 512.0 MiB/s, 6 s left");
	/* Done: no time left. */
	cr_assert_str_eq(line(4ull << 30, 4ull << 30, 8000), "4.0 GiB of 4.0 GiB (100%), 512.0 MiB/s");
}

Test(progress_text, at_the_start_no_rate)
{
	cr_assert_str_eq(line(0, 300ull << 20, 0), "0 B of 300.0 MiB (0%)");
	cr_assert_str_eq(line(10ull << 20, 300ull << 20, 50), "10.0 MiB of 300.0 MiB (3%)");
}

Test(progress_text, without_a_total_or_past_it)
{
	cr_assert_str_eq(line(64ull << 20, 0, 1000), "64.0 MiB, 64.0 MiB/s");
	/* The expected total was an estimate: more done than expected is 100%. */
	cr_assert_str_eq(line(70ull << 20, 64ull << 20, 1000), "70.0 MiB of 70.0 MiB (100%), 70.0 MiB/s");
}

Test(progress_text, huge_values_do_not_overflow)
{
	cr_assert_str_eq(line(1ull << 60, 1ull << 61, 1000), "1073741824 GiB of 2147483648 GiB (50%), 1073741824 GiB/s, 1 s left");
}

Test(progress_text, summary)
{
	char mem[128];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	progress_summary(&b, 306ull << 20, " of page data", 300);
	cr_assert_str_eq(mem, "306.0 MiB of page data in 0.3 s (1.0 GiB/s)");
	fb_init(&b, mem, sizeof(mem));
	progress_summary(&b, 4096, "", 0);
	cr_assert_str_eq(mem, "4 KiB in 0.0 s");
}
