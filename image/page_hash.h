/* A 128-bit hash of one 4 KiB page, for incremental checkpoints: a page whose
 * hash at the same address equals the older image's is not stored again.
 * Freestanding (libtcp's dump, the restore blob, the hosted reader).
 *
 * Why 128 bits: a collision would silently restore a changed page with its
 * old content. A 64-bit hash over ~10^6 pages per checkpoint and thousands
 * of checkpoints leaves ~10^-10 odds per run; 128 bits (two differently
 * folded results of a 256-bit state) put that out of reach for data that is
 * not crafted against it. Not cryptographic: a program that wants to forge
 * a collision against itself could. */
#ifndef TCP_PAGE_HASH_H
#define TCP_PAGE_HASH_H

#include <stdint.h>

struct page_hash {
	uint64_t h[2];
};

void page_hash(const void *page, struct page_hash *out);

static inline int page_hash_eq(const struct page_hash *a, const struct page_hash *b)
{
	return a->h[0] == b->h[0] && a->h[1] == b->h[1];
}

#endif
