#include "page_hash.h"

/* Eight lanes over 32-byte stripes: each 64-bit word goes into two lanes
 * with different multipliers and rotations, so a change to a page must
 * collide in two unrelated 64-bit states at once to go unnoticed. The lanes
 * are independent, so the CPU runs them in parallel (several GB/s). The
 * 512-bit state is folded twice, with different rotations and constants,
 * into the two 64-bit halves, each ending in a full avalanche. */
#define P1 0x9e3779b185ebca87ull
#define P2 0xc2b2ae3d27d4eb4full
#define P3 0x165667b19e3779f9ull
#define P4 0x85ebca77c2b2ae63ull
#define P5 0x27d4eb2f165667c5ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

/* Both are bijections of acc for a fixed word and of the word for a fixed acc. */
static inline uint64_t round_a(uint64_t acc, uint64_t w) { return rotl(acc + w * P2, 31) * P1; }
static inline uint64_t round_b(uint64_t acc, uint64_t w) { return rotl(acc + w * P4, 27) * P5; }

static inline uint64_t avalanche(uint64_t h)
{
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

void page_hash(const void *page, struct page_hash *out)
{
	const unsigned char *p = page;
	uint64_t a = P1 + P2, b = P2, c = 0, d = (uint64_t)0 - P1;
	uint64_t e = P3, f = P4, g = P5, h = P1 ^ P3;
	for (int i = 0; i < 4096; i += 32) {
		uint64_t w0 = load64(p + i), w1 = load64(p + i + 8), w2 = load64(p + i + 16), w3 = load64(p + i + 24);
		a = round_a(a, w0);
		b = round_a(b, w1);
		c = round_a(c, w2);
		d = round_a(d, w3);
		e = round_b(e, w1);
		f = round_b(f, w2);
		g = round_b(g, w3);
		h = round_b(h, w0);
	}
	uint64_t x = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
	uint64_t y = rotl(e, 3) + rotl(f, 17) + rotl(g, 29) + rotl(h, 43);
	out->h[0] = avalanche(x ^ avalanche(y + P4));
	out->h[1] = avalanche(y ^ rotl(x * P5, 23));
}
