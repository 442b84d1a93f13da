/* Benchmark program for the LD_PRELOAD overhead: deterministic compute.
 *   compute ROUNDS
 * Each round allocates a 64 KiB buffer, fills it with xorshift words,
 * runs a few mixing passes over it and frees it; a little stdio at the
 * end. About 1 s per 4500 rounds on the bench machine. Prints a checksum so
 * the work cannot be optimised away. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS 8192

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 2000;
	uint64_t x = 88172645463325252ull, sum = 0;
	for (long r = 0; r < rounds; r++) {
		uint64_t *b = malloc(WORDS * sizeof(*b));
		if (!b)
			return 2;
		for (int i = 0; i < WORDS; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b[i] = x;
		}
		for (int pass = 0; pass < 16; pass++)
			for (int i = 1; i < WORDS; i++)
				b[i] = (b[i] ^ (b[i - 1] >> 3)) * 0x2545f4914f6cdd1dull;
		sum += b[WORDS - 1];
		free(b);
	}
	printf("%016llx\n", (unsigned long long)sum);
	return 0;
}
