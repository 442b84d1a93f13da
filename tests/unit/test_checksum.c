/* The streaming image checksum: splitting, sensitivity, length mixing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "image/checksum.h"

#define N 4099 /* not a multiple of the 32-byte block */

static uint8_t data[N];

/* Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
static uint64_t rng = 0x123456789abcdefull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(void)
{
	for (size_t i = 0; i < N; i++)
		data[i] = (uint8_t)next_rand();
}

Test(checksum, streaming_equals_one_shot)
{
	fill();
	/* Every length up to N is checked against random split points. */
	for (size_t len = 0; len <= N; len += (len < 200 ? 1 : 37)) {
		uint64_t want = csum_buf(data, len);
		for (int trial = 0; trial < 8; trial++) {
			struct csum c;
			csum_init(&c);
			size_t off = 0;
			while (off < len) {
				/* Mostly small pieces (tail handling), sometimes big ones. */
				size_t max = (next_rand() & 3) ? 40 : len;
				size_t n = (size_t)(next_rand() % (max + 1));
				if (n > len - off)
					n = len - off;
				csum_update(&c, data + off, n);
				off += n;
			}
			cr_assert_eq(csum_final(&c), want, "len %zu trial %d", len, trial);
		}
	}
}

Test(checksum, byte_by_byte_and_final_is_pure)
{
	fill();
	struct csum c;
	csum_init(&c);
	for (size_t i = 0; i < N; i++)
		csum_update(&c, data + i, 1);
	uint64_t a = csum_final(&c);
	/* csum_final does not consume the state. */
	cr_assert_eq(csum_final(&c), a);
	cr_assert_eq(a, csum_buf(data, N));
}

Test(checksum, deterministic)
{
	fill();
	uint8_t copy[N];
	memcpy(copy, data, N);
	cr_assert_eq(csum_buf(data, N), csum_buf(copy, N));
}

Test(checksum, every_bit_matters)
{
	/* Flipping any single bit (in full blocks and in the tail) changes the sum. */
	fill();
	const size_t len = 100;
	uint64_t base = csum_buf(data, len);
	for (size_t i = 0; i < len; i++)
		for (int b = 0; b < 8; b++) {
			data[i] ^= (uint8_t)(1u << b);
			cr_assert_neq(csum_buf(data, len), base, "byte %zu bit %d", i, b);
			data[i] ^= (uint8_t)(1u << b);
		}
	cr_assert_eq(csum_buf(data, len), base);
}

Test(checksum, different_data_differs)
{
	/* Swapping words between lanes or blocks must be noticed too. */
	uint64_t a[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, b[8] = { 2, 1, 3, 4, 5, 6, 7, 8 },
		 d[8] = { 5, 6, 7, 8, 1, 2, 3, 4 };
	cr_assert_neq(csum_buf(a, sizeof(a)), csum_buf(b, sizeof(b)));
	cr_assert_neq(csum_buf(a, sizeof(a)), csum_buf(d, sizeof(d)));
	/* No collisions among many small distinct inputs. */
	enum { M = 4096 };
	uint64_t *sums = malloc(M * sizeof(*sums));
	for (uint32_t i = 0; i < M; i++)
		sums[i] = csum_buf(&i, sizeof(i));
	for (int i = 0; i < M; i++)
		for (int j = i + 1; j < M; j++)
			cr_assert_neq(sums[i], sums[j], "%d and %d collide", i, j);
	free(sums);
}

Test(checksum, length_is_mixed_in)
{
	static uint8_t zeros[1024];
	uint64_t seen[1025];
	for (size_t len = 0; len <= 1024; len++) {
		seen[len] = csum_buf(zeros, len);
		for (size_t k = 0; k < len; k++)
			cr_assert_neq(seen[len], seen[k], "zeros of length %zu and %zu collide", len, k);
	}
	/* The empty input still has a well-defined, non-trivial sum. */
	cr_assert_neq(csum_buf(NULL, 0), 0);
}
