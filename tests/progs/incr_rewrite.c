/* incr_rewrite: for incremental checkpoints. A 64 MiB heap of pseudo-random
 * pages of which each step rewrites a sliding 1% window, zeroes one page,
 * and every 4th step replaces a small mapping by a fresh one (whose pages
 * must come back zero, never from an older image). Prints a checksum of
 * all of it per step; the output depends only on the step count. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096u
#define HEAP_PAGES 16384u	/* 64 MiB */
#define WINDOW (HEAP_PAGES / 100)
#define SIDE_PAGES 16u
#define STEPS 100
#define SPIN 20000000UL	/* ~0.1 s per step at -O1 */

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s ^ (*s >> 29);
}

static void fill(uint64_t *p, size_t words, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		p[i] = rng(&seed);
}

static uint64_t sum(const uint64_t *p, size_t words)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < words; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : STEPS;
	uint64_t *heap = mmap(NULL, (size_t)HEAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *side = mmap(NULL, SIDE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED || side == MAP_FAILED)
		return 1;
	fill(heap, (size_t)HEAP_PAGES * PAGE / 8, 1);
	fill(side, SIDE_PAGES * PAGE / 8, 2);
	uint64_t spin = 1;
	for (int step = 0; step < steps; step++) {
		size_t first = (size_t)step * WINDOW % (HEAP_PAGES - WINDOW);
		fill(heap + first * PAGE / 8, (size_t)WINDOW * PAGE / 8, 100 + (uint64_t)step);
		memset(heap + (size_t)((step * 37u) % HEAP_PAGES) * PAGE / 8, 0, PAGE);
		if (step % 4 == 3) {
			munmap(side, SIDE_PAGES * PAGE);
			side = mmap(NULL, SIDE_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (side == MAP_FAILED)
				return 1;
			fill(side, PAGE / 8, 1000 + (uint64_t)step); /* the others stay zero */
		}
		for (unsigned long i = 0; i < SPIN; i++)
			rng(&spin);
		printf("step %2d heap %016llx side %016llx\n", step,
		       (unsigned long long)sum(heap, (size_t)HEAP_PAGES * PAGE / 8),
		       (unsigned long long)sum(side, SIDE_PAGES * PAGE / 8));
		fflush(stdout);
	}
	printf("spin %016llx\n", (unsigned long long)spin);
	return 0;
}
