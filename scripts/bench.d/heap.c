/* Benchmark program: a heap of pseudo-random words, checked after a restore.
 *
 *   heap TOUCH_MIB RESERVE_MIB random|half CTL
 *
 * Reserves RESERVE_MIB of anonymous memory (at least TOUCH_MIB), fills the
 * first TOUCH_MIB with xorshift words ("half": only the low 32 bits random,
 * so zstd has something to compress), prints "ready" and then polls every
 * millisecond for two files the bench script creates:
 *   CTL.rewrite  rewrite every 20th page (5% of the heap) once, print "rewritten"
 *   CTL.resume   print "resumed <epoch seconds>", check every word, print
 *                "verified <epoch seconds>" and exit 0 (3 if a word is wrong)
 * Polling rather than pause(): a restored program must notice the file
 * whether or not a signal interrupted it. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"

#define PAGE_WORDS 512 /* 4 KiB pages */
#define REWRITE_EVERY 20
#define REWRITE_MASK 0x5555555555555555ull

static int exists(const char *ctl, const char *suffix)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.%s", ctl, suffix);
	return access(path, F_OK) == 0;
}

static uint64_t word(uint64_t *x, int half)
{
	uint64_t v = next(x);
	return half ? v >> 32 : v;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: heap TOUCH_MIB RESERVE_MIB random|half CTL\n");
		return 2;
	}
	size_t touch = strtoull(argv[1], NULL, 10) << 20;
	size_t reserve = strtoull(argv[2], NULL, 10) << 20;
	int half = strcmp(argv[3], "half") == 0;
	const char *ctl = argv[4];
	if (reserve < touch)
		reserve = touch;
	/* A heap from malloc (what glibc.malloc.hugetlb=1, tcp-run --thp,
	 * applies to); a larger reservation straight from mmap. */
	uint64_t *heap = MAP_FAILED;
	void *mem = NULL;
	if (reserve > touch)
		heap = mmap(NULL, reserve, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	else if (posix_memalign(&mem, 4096, touch) == 0) /* page aligned: "every 20th page" is one page */
		heap = mem;
	if (heap == MAP_FAILED) {
		perror("heap: mmap/malloc");
		return 2;
	}
	/* One populate call instead of a fault per page: first touch is slow on this VM. */
	madvise(heap, touch, 23 /* MADV_POPULATE_WRITE */);
	size_t words = touch / 8;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < words; i++)
		heap[i] = word(&x, half);
	printf("ready\n");
	fflush(stdout);

	int rewritten = 0;
	struct timespec ms = {0, 1000000};
	while (!exists(ctl, "resume")) {
		if (!rewritten && exists(ctl, "rewrite")) {
			for (size_t p = 0; p * PAGE_WORDS < words; p += REWRITE_EVERY)
				for (size_t i = p * PAGE_WORDS; i < (p + 1) * PAGE_WORDS && i < words; i++)
					heap[i] ^= REWRITE_MASK;
			rewritten = 1;
			printf("rewritten\n");
			fflush(stdout);
		}
		nanosleep(&ms, NULL);
	}
	printf("resumed %.6f\n", now());
	fflush(stdout);
	x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < words; i++) {
		uint64_t want = word(&x, half);
		if (rewritten && (i / PAGE_WORDS) % REWRITE_EVERY == 0)
			want ^= REWRITE_MASK;
		if (heap[i] != want) {
			printf("corrupt word %zu\n", i);
			return 3;
		}
	}
	printf("verified %.6f\n", now());
	return 0;
}
