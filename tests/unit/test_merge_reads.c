/* plan_merged_reads(): which inherited extents of an incremental image are
 * read by one larger read, and never across a page no extent provides. */
#include <criterion/criterion.h>
#include <string.h>

#include "restore/merge_reads.h"

#define PG 4096ull
#define BASE 0x10000000ull

/* Extent from `source` at page `page` of the region, npages long, at file
 * page `fpage` of its image. */
static struct img_extent ext(uint32_t source, uint64_t page, uint64_t npages, uint64_t fpage)
{
	return (struct img_extent){ .region = 1, .source = source, .addr = BASE + page * PG, .npages = npages,
				    .file_off = fpage * PG };
}

static struct merged_read out[16];
static uint32_t into[16];

Test(merge_reads, rewritten_pages_between)
{
	/* 19 inherited pages, 1 rewritten, 19 inherited, 1 rewritten, 10
	 * inherited: the older image stored all 50 in a row. Listed as the
	 * image lists them: this image's first, then the inherited ones. */
	struct img_extent x[] = { ext(0, 19, 1, 900), ext(0, 39, 1, 901), ext(1, 0, 19, 100), ext(1, 20, 19, 120),
				  ext(1, 40, 10, 140) };
	long n = plan_merged_reads(x, 5, NULL, out, into);
	cr_assert_eq(n, 1);
	cr_assert_eq(out[0].source, 1);
	cr_assert_eq(out[0].addr, BASE);
	cr_assert_eq(out[0].len, 50 * PG);
	cr_assert_eq(out[0].file_off, 100 * PG);
	uint32_t want[] = { 0, 0, 1, 1, 1 };
	cr_assert_arr_eq(into, want, sizeof(want));
}

Test(merge_reads, not_across_a_hole)
{
	/* Page 19 comes from nowhere (a zero page): a read over it would put
	 * the older image's byte there. */
	struct img_extent x[] = { ext(1, 0, 19, 100), ext(1, 20, 19, 120) };
	cr_assert_eq(plan_merged_reads(x, 2, NULL, out, into), 0);
	cr_assert_eq(into[0] | into[1], 0);
}

Test(merge_reads, not_across_a_hole_next_to_a_rewritten_page)
{
	/* Page 10 rewritten, page 11 zero (in no image), then inherited again. */
	struct img_extent x[] = { ext(0, 10, 1, 900), ext(1, 0, 10, 100), ext(1, 12, 8, 112) };
	cr_assert_eq(plan_merged_reads(x, 3, NULL, out, into), 0);
}

Test(merge_reads, only_at_the_same_file_distance)
{
	struct img_extent x[] = { ext(0, 19, 1, 900), ext(1, 0, 19, 100), ext(1, 20, 19, 300) };
	cr_assert_eq(plan_merged_reads(x, 3, NULL, out, into), 0);
}

Test(merge_reads, not_across_older_images)
{
	/* The gap holds a page of another older image, which would be read
	 * before or after in no defined order: no merge. Nor between extents
	 * of two different older images. */
	struct img_extent x[] = { ext(2, 19, 1, 5), ext(1, 0, 19, 100), ext(1, 20, 19, 120) };
	cr_assert_eq(plan_merged_reads(x, 3, NULL, out, into), 0);
	struct img_extent y[] = { ext(0, 19, 1, 900), ext(1, 0, 19, 100), ext(2, 20, 19, 120) };
	cr_assert_eq(plan_merged_reads(y, 3, NULL, out, into), 0);
}

Test(merge_reads, skipped_extents_stay_alone)
{
	struct img_extent x[] = { ext(0, 19, 1, 900), ext(1, 0, 19, 100), ext(1, 20, 19, 120) };
	unsigned char skip[] = { 0, 0, 1 };
	cr_assert_eq(plan_merged_reads(x, 3, skip, out, into), 0);
}

Test(merge_reads, two_runs_of_merges)
{
	/* Pages 0-9 | 10 | 11-20, then a hole at 21, then 22-29 | 30 | 31-40. */
	struct img_extent x[] = { ext(0, 10, 1, 900), ext(0, 30, 1, 901), ext(1, 0, 10, 0), ext(1, 11, 10, 11),
				  ext(1, 22, 8, 22), ext(1, 31, 10, 31) };
	long n = plan_merged_reads(x, 6, NULL, out, into);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0].addr, BASE);
	cr_assert_eq(out[0].len, 21 * PG);
	cr_assert_eq(out[1].addr, BASE + 22 * PG);
	cr_assert_eq(out[1].len, 19 * PG);
	cr_assert_eq(out[1].file_off, 22 * PG);
	uint32_t want[] = { 0, 0, 1, 1, 2, 2 };
	cr_assert_arr_eq(into, want, sizeof(want));
}
