/* Hand-built images for the reader's unit tests: an in-memory file of a
 * header and sections whose checksums are right (keyed with the image's
 * identifier, a different one for every image built), so that a test can
 * make exactly one fact wrong. */
#ifndef TCP_TEST_IMAGE_BUILDER_H
#define TCP_TEST_IMAGE_BUILDER_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/checksum.h"
#include "image/format.h"

struct buf {
	uint8_t *p;
	size_t len, cap;
	uint64_t nsec;
	uint64_t id[2];		/* the image's identifier, new for every put_header */
	uint64_t off[64];	/* offset of each section's header (the first 64) */
};

static inline void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void put_header(struct buf *b, uint32_t version)
{
	static uint64_t serial;
	serial++;
	b->id[0] = 0x7463702d69640000ull | serial;
	b->id[1] = serial * 0x9e3779b97f4a7c15ull;
	struct tcp_file_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TCP_IMAGE_MAGIC, 8);
	h.image_id[0] = b->id[0];
	h.image_id[1] = b->id[1];
	h.version = version;
	h.header_size = sizeof(h);
	h.arch = TCP_ARCH_X86_64;
	h.page_size = TCP_PAGE_SIZE;
	h.checksum = csum_buf(&h, offsetof(struct tcp_file_header, checksum));
	put(b, &h, sizeof(h));
}

/* A section whose header claims `length` bytes; `n` payload bytes follow. */
static inline void put_section_raw(struct buf *b, uint32_t magic, uint32_t type, uint64_t length, const void *p,
				   size_t n)
{
	struct tcp_section_header h = { .magic = magic, .type = type, .length = length,
					.payload_sum = csum_buf_keyed(b->id, p, n) };
	h.header_sum = csum_buf_keyed(b->id, &h, offsetof(struct tcp_section_header, header_sum));
	if (b->nsec < sizeof(b->off) / sizeof(b->off[0]))
		b->off[b->nsec] = b->len;
	b->nsec++;
	put(b, &h, sizeof(h));
	put(b, p, n);
}

/* A normal section whose payload is a followed by c. */
static inline void put_section(struct buf *b, uint32_t type, const void *a, size_t alen, const void *c, size_t clen)
{
	uint8_t *tmp = malloc(alen + clen + 1);
	cr_assert_not_null(tmp);
	memcpy(tmp, a, alen);
	if (clen)
		memcpy(tmp + alen, c, clen);
	put_section_raw(b, TCP_SECTION_MAGIC, type, alen + clen, tmp, alen + clen);
	free(tmp);
}

#endif
