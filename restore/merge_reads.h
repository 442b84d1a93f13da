/* Fewer, larger reads for an incremental image. Its inherited extents sit
 * between the pages this image rewrote: a 5% rewrite leaves runs of 19
 * pages from the older image between single pages of this one, so tens of
 * thousands of small reads. Where consecutive inherited extents of one
 * older image lie at the same distance apart in its file as in memory, and
 * the pages between them all come from this image, one read covers them
 * all; the blob does it first ("pre-read"), then this image's pages
 * overwrite the ones in between. */
#ifndef TCP_RESTORE_MERGE_READS_H
#define TCP_RESTORE_MERGE_READS_H

#include <stddef.h>
#include <stdint.h>
#include "../image/reader.h"

struct merged_read {
	uint32_t source;	/* the older image (img_extent.source) */
	uint64_t addr, len, file_off;
};

/* Plans the merged reads of the n extents x (skip[i] set: an extent that
 * must not take part, e.g. mapped by --lazy). Fills out (room for n) and
 * merged_into[i] (1 + the merged read that covers extent i, or 0); returns
 * how many merged reads there are, or -1 without memory. */
long plan_merged_reads(const struct img_extent *x, size_t n, const unsigned char *skip, struct merged_read *out,
		       uint32_t *merged_into);

#endif
