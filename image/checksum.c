#include "checksum.h"

/* Four independent multiply-rotate lanes over 32-byte blocks (so the CPU can
 * run them in parallel), folded together with the length at the end. */
#define K1 0x9e3779b185ebca87ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static inline uint64_t mix(uint64_t acc, uint64_t w)
{
	acc += w * K2;
	acc = rotl(acc, 31);
	return acc * K1;
}

void csum_init(struct csum *c)
{
	c->lane[0] = K1 + K2;
	c->lane[1] = K2;
	c->lane[2] = 0;
	c->lane[3] = (uint64_t)0 - K1;
	c->total = 0;
	c->ntail = 0;
}

static void blocks(struct csum *c, const uint8_t *p, size_t nblocks)
{
	uint64_t a = c->lane[0], b = c->lane[1], d = c->lane[2], e = c->lane[3];
	for (size_t i = 0; i < nblocks; i++, p += 32) {
		a = mix(a, load64(p));
		b = mix(b, load64(p + 8));
		d = mix(d, load64(p + 16));
		e = mix(e, load64(p + 24));
	}
	c->lane[0] = a;
	c->lane[1] = b;
	c->lane[2] = d;
	c->lane[3] = e;
}

void csum_update(struct csum *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->total += len;
	if (c->ntail) {
		while (len && c->ntail < 32) {
			c->tail[c->ntail++] = *p++;
			len--;
		}
		if (c->ntail < 32)
			return;
		blocks(c, c->tail, 1);
		c->ntail = 0;
	}
	size_t n = len / 32;
	blocks(c, p, n);
	p += n * 32;
	len -= n * 32;
	for (size_t i = 0; i < len; i++)
		c->tail[c->ntail++] = p[i];
}

uint64_t csum_final(const struct csum *c)
{
	uint64_t h = rotl(c->lane[0], 1) + rotl(c->lane[1], 7) + rotl(c->lane[2], 12) + rotl(c->lane[3], 18);
	h ^= c->total * K3;
	for (size_t i = 0; i < c->ntail; i++)
		h = rotl(h ^ (c->tail[i] * K1), 11) * K2;
	h ^= h >> 33;
	h *= K2;
	h ^= h >> 29;
	h *= K3;
	h ^= h >> 32;
	return h;
}

uint64_t csum_buf(const void *data, size_t len)
{
	struct csum c;
	csum_init(&c);
	csum_update(&c, data, len);
	return csum_final(&c);
}

void csum_init_keyed(struct csum *c, const uint64_t key[2])
{
	uint64_t k[4] = { key[0], key[1], rotl(key[0], 32) ^ K3, rotl(key[1], 32) ^ K1 };
	csum_init(c);
	blocks(c, (const uint8_t *)k, 1);
}

uint64_t csum_buf_keyed(const uint64_t key[2], const void *data, size_t len)
{
	struct csum c;
	csum_init_keyed(&c, key);
	csum_update(&c, data, len);
	return csum_final(&c);
}
