/* What the benchmark programs of this folder share (heap.c, tree.c,
 * threads.c, mpi_heap.c): the word generator whose words they check after
 * a restore, the clock of their "resumed"/"verified" lines, and a heap of
 * a process's own words. scripts/bench compiles each program alone; the
 * quoted #include finds this file next to it, without -I. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

/* xorshift64: random 64-bit words, nothing for zstd to compress. */
static inline uint64_t next(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* Seconds since the epoch: the bench script subtracts its own clock. */
static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The seed of process (or rank) `index`: each has words of its own. */
static inline uint64_t seed_of(int index)
{
	return 0x9e3779b97f4a7c15ull + (uint64_t)index * 0x100000001b3ull;
}

/* A fresh private mapping of `bytes` filled with the words from `seed`;
 * NULL if it cannot be mapped. */
static inline uint64_t *heap_fill(size_t bytes, uint64_t seed)
{
	uint64_t *heap = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (heap == MAP_FAILED)
		return NULL;
	madvise(heap, bytes, 23 /* MADV_POPULATE_WRITE: first touch is slow on this VM */);
	uint64_t x = seed;
	for (size_t i = 0; i < bytes / 8; i++)
		heap[i] = next(&x);
	return heap;
}

/* 1 if a word of heap_fill(bytes, seed)'s heap changed, else 0. */
static inline int heap_changed(const uint64_t *heap, size_t bytes, uint64_t seed)
{
	uint64_t x = seed;
	for (size_t i = 0; i < bytes / 8; i++)
		if (heap[i] != next(&x))
			return 1;
	return 0;
}

#endif
