/* lazy_mem: data in every kind of memory tcp-restore --lazy maps from the
 * image (a large mmap'd malloc block, small brk blocks, a thread's malloc
 * arena), checksummed at every step while parts of it are rewritten, and the
 * allocator calls whose semantics a file-backed range could change: brk
 * trimmed and grown again, a thread arena trimmed with MADV_DONTNEED then
 * calloc'd, realloc growing the large block (mremap). The output depends only on the
 * step count, never on timing. */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS 40
#define BIG (48u << 20)
#define NSMALL 2000
#define SMALL 2000
#define NARENA 120
#define ARENA_BLK (60u << 10)

static uint64_t *big;
static size_t big_words = BIG / 8;
static unsigned char *small[NSMALL];
static unsigned char *arena_blk[NARENA];
static pthread_barrier_t bar;
static int arena_zero = -1;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

static uint64_t sum_bytes(const unsigned char *p, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		h = h * 31 + p[i];
	return h;
}

/* The worker's allocations live in its own arena (a mmap'd heap that
 * glibc trims with MADV_DONTNEED, not with brk). */
static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < NARENA; i++) {
		arena_blk[i] = malloc(ARENA_BLK);
		memset(arena_blk[i], 0x40 + i % 50, ARENA_BLK);
	}
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar); /* step 28: trim, then calloc must give zeros */
	for (int i = NARENA - 1; i >= 0; i--)
		free(arena_blk[i]);
	malloc_trim(0);
	int zero = 1;
	for (int i = 0; i < NARENA; i++) {
		arena_blk[i] = calloc(1, ARENA_BLK);
		for (size_t j = 0; j < ARENA_BLK; j++)
			zero &= arena_blk[i][j] == 0;
		memset(arena_blk[i], 0x11, ARENA_BLK);
	}
	arena_zero = zero;
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar); /* the end */
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&t, NULL, worker, NULL);
	big = malloc(BIG);
	for (size_t i = 0; i < big_words; i++)
		big[i] = mix(i);
	for (int i = 0; i < NSMALL; i++) {
		small[i] = malloc(SMALL);
		memset(small[i], i % 251 + 1, SMALL);
	}
	pthread_barrier_wait(&bar);
	uint64_t x = 1;
	for (int step = 0; step < STEPS; step++) {
		if (step == 15) { /* brk trimmed, then grown again: fresh memory is zero */
			for (int i = NSMALL / 2; i < NSMALL; i++)
				free(small[i]);
			malloc_trim(0);
			int zero = 1;
			for (int i = NSMALL / 2; i < NSMALL; i++) {
				small[i] = calloc(1, SMALL);
				for (int j = 0; j < SMALL; j++)
					zero &= small[i][j] == 0;
				memset(small[i], i % 13 + 7, SMALL);
			}
			printf("heap calloc after trim zero: %d\n", zero);
		}
		if (step == 22) { /* realloc of an mmap'd block: mremap */
			size_t nw = big_words + big_words / 4;
			big = realloc(big, nw * 8);
			for (size_t i = big_words; i < nw; i++)
				big[i] = mix(i ^ 0x5555);
			big_words = nw;
			printf("realloc grown to %zu MiB\n", nw * 8 >> 20);
		}
		if (step == 28) {
			pthread_barrier_wait(&bar);
			pthread_barrier_wait(&bar);
			printf("arena calloc after trim zero: %d\n", arena_zero);
		}
		/* Rewrite a slice, then checksum everything. */
		size_t from = (size_t)step * (big_words / STEPS);
		for (size_t i = from; i < from + big_words / 64; i++)
			big[i] ^= mix(i + (uint64_t)step);
		uint64_t h = 0;
		for (size_t i = 0; i < big_words; i++)
			h = h * 31 + big[i];
		for (int i = 0; i < NSMALL; i++)
			h = sum_bytes(small[i], SMALL, h);
		for (int i = 0; i < NARENA; i++)
			h = sum_bytes(arena_blk[i], ARENA_BLK, h);
		for (unsigned long i = 0; i < 40000000ul; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		printf("step %2d sum %016llx x %016llx\n", step, (unsigned long long)h, (unsigned long long)x);
		fflush(stdout);
	}
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	return 0;
}
