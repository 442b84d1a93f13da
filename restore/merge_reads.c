#include "merge_reads.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 4096ull

static const struct img_extent *sort_base;

static int by_addr(const void *a, const void *b)
{
	uint64_t x = sort_base[*(const size_t *)a].addr, y = sort_base[*(const size_t *)b].addr;
	return x < y ? -1 : x > y;
}

static uint64_t end_of(const struct img_extent *e) { return e->addr + e->npages * PAGE; }

/* Inherited, read with pread from an older image's file. */
static int mergeable(const struct img_extent *e, const unsigned char *skip, size_t i)
{
	return e->source != 0 && !(e->flags & IMG_EXT_ZSTD) && !(skip && skip[i]);
}

long plan_merged_reads(const struct img_extent *x, size_t n, const unsigned char *skip, struct merged_read *out,
		       uint32_t *merged_into)
{
	memset(merged_into, 0, n * sizeof(*merged_into));
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return -1;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	sort_base = x;
	qsort(order, n, sizeof(*order), by_addr);
	long nout = 0;
	for (size_t k = 0; k < n;) {
		const struct img_extent *first = &x[order[k]];
		if (!mergeable(first, skip, order[k])) {
			k++;
			continue;
		}
		/* Extend over [this image's extents that tile the gap] + the next
		 * extent of the same older image at the same file distance. */
		size_t last = k, j = k + 1;
		for (;;) {
			uint64_t at = end_of(&x[order[last]]);
			while (j < n && x[order[j]].source == 0 && x[order[j]].addr == at && !(x[order[j]].flags & IMG_EXT_ZSTD))
				at = end_of(&x[order[j++]]);
			if (j >= n || j == last + 1)
				break; /* the end, or no page of this image in between */
			const struct img_extent *next = &x[order[j]];
			if (next->addr != at || !mergeable(next, skip, order[j]) || next->source != first->source ||
			    next->region != first->region || next->addr - first->addr != next->file_off - first->file_off)
				break;
			last = j++;
		}
		if (last == k) {
			k++;
			continue;
		}
		out[nout] = (struct merged_read){ first->source, first->addr, end_of(&x[order[last]]) - first->addr,
						  first->file_off };
		nout++;
		for (size_t m = k; m <= last; m++)
			if (x[order[m]].source != 0)
				merged_into[order[m]] = (uint32_t)nout;
		k = last + 1;
	}
	free(order);
	return nout;
}
