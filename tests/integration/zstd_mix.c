/* zstd_mix: memory that compresses in every way at once, for TCP_COMPRESS=zstd:
 * 24 MiB of random bytes (stored raw), 24 MiB of repetitive text (compresses
 * well), and a sparse 16 MiB area with one written page in three (many
 * short runs per block). It then works on it in passes (a checkpoint lands
 * in one) and prints a checksum of everything after each pass. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RANDOM_LEN (24u << 20)
#define TEXT_LEN (24u << 20)
#define SPARSE_LEN (16u << 20)

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t sum(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v;
		memcpy(&v, p + i, 8);
		h = (h ^ v) * 1099511628211ull;
	}
	return h;
}

int main(void)
{
	unsigned char *rnd = malloc(RANDOM_LEN), *text = malloc(TEXT_LEN);
	unsigned char *sparse = mmap(0, SPARSE_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!rnd || !text || sparse == MAP_FAILED)
		return 1;
	uint64_t s = 88172645463325252ull;
	for (size_t i = 0; i < RANDOM_LEN; i += 8) {
		uint64_t v = xs(&s);
		memcpy(rnd + i, &v, 8);
	}
	static const char words[] = "checkpoint restore compress page block frame ";
	for (size_t i = 0; i < TEXT_LEN; i++)
		text[i] = (unsigned char)words[(i * 7 + i / 4096) % (sizeof(words) - 1)];
	for (size_t i = 0; i < SPARSE_LEN; i += 3 * 4096)
		memset(sparse + i, (int)(i / 4096) | 1, 4096);
	for (int pass = 0; pass < 300; pass++) {
		/* Some work on the data, so the passes take a while. */
		for (int k = 0; k < 5; k++)
			for (size_t i = (size_t)pass * 4096; i < RANDOM_LEN; i += 65536)
				rnd[i] ^= (unsigned char)(xs(&s) | 1);
		uint64_t h = sum(rnd, RANDOM_LEN) ^ sum(text, TEXT_LEN) * 3 ^ sum(sparse, SPARSE_LEN) * 7;
		for (int k = 0; k < 6; k++)
			h ^= sum(rnd, RANDOM_LEN) >> k;
		printf("pass %d: %016llx\n", pass, (unsigned long long)h);
		fflush(stdout);
	}
	return 0;
}
