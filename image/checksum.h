/* A fast 64-bit streaming checksum for image sections (not cryptographic: it
 * detects corruption and truncation, not forgery). Freestanding. */
#ifndef TCP_CHECKSUM_H
#define TCP_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

struct csum {
	uint64_t lane[4];
	uint64_t total;
	uint8_t tail[32];
	size_t ntail;
};

void csum_init(struct csum *c);
void csum_update(struct csum *c, const void *data, size_t len);
uint64_t csum_final(const struct csum *c);
uint64_t csum_buf(const void *data, size_t len);

/* Keyed with the identifier of an image (tcp_file_header.image_id): every
 * section header and payload checksum of an image is, so the same bytes
 * have another checksum in another image and a section copied from one
 * checkpoint into another is refused. The key is mixed in as one block
 * that is not counted as data: the data stays 32-byte aligned. */
void csum_init_keyed(struct csum *c, const uint64_t key[2]);
uint64_t csum_buf_keyed(const uint64_t key[2], const void *data, size_t len);

#endif
