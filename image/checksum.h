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

#endif
