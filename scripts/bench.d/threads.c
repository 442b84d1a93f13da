/* Benchmark program: N compute threads, each with its own data.
 *
 *   threads NTHREADS TOTAL_MIB CTL
 *
 * Each thread fills TOTAL_MIB/NTHREADS of its own memory with xorshift words,
 * then computes over it (reading it, writing a private 256 KiB scratch
 * buffer) until told to stop, counting rounds. Main prints "ready" once all
 * are filled and polls for CTL.resume (see heap.c); then it prints
 * "resumed <epoch>", checks that every thread still makes progress (so the
 * threads were restored, not only main), stops them, checks their data and
 * prints "verified <epoch>" (exit 3 on a wrong word, 4 on a stuck thread). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"

#define MAXT 64
#define SCRATCH_WORDS (256 * 1024 / 8)

struct worker {
	pthread_t tid;
	uint64_t *data;
	size_t words;
	uint64_t seed;
	uint64_t scratch[SCRATCH_WORDS];
	_Atomic unsigned long rounds;
};

static struct worker *workers;
static atomic_int filled, stop;

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t x = w->seed;
	for (size_t i = 0; i < w->words; i++)
		w->data[i] = next(&x);
	atomic_fetch_add(&filled, 1);
	size_t at = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (size_t j = 0; j < SCRATCH_WORDS; j++) {
			w->scratch[j] = w->scratch[j] * 6364136223846793005ull + w->data[at];
			if (++at == w->words)
				at = 0;
		}
		atomic_fetch_add_explicit(&w->rounds, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: threads NTHREADS TOTAL_MIB CTL\n");
		return 2;
	}
	int n = atoi(argv[1]);
	size_t total = strtoull(argv[2], NULL, 10) << 20;
	char resume[4096];
	snprintf(resume, sizeof(resume), "%s.resume", argv[3]);
	if (n < 1 || n > MAXT || total < (size_t)n * 8) {
		fprintf(stderr, "threads: bad arguments\n");
		return 2;
	}
	workers = calloc(n, sizeof(*workers));
	if (!workers)
		return 2;
	for (int t = 0; t < n; t++) {
		struct worker *w = &workers[t];
		w->words = total / n / 8;
		w->seed = 0x9e3779b97f4a7c15ull + 7919 * (uint64_t)t;
		w->data = mmap(NULL, w->words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w->data == MAP_FAILED) {
			perror("threads: mmap");
			return 2;
		}
		madvise(w->data, w->words * 8, 23 /* MADV_POPULATE_WRITE */);
		if (pthread_create(&w->tid, NULL, work, w)) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return 2;
		}
	}
	struct timespec ms = {0, 1000000};
	while (atomic_load(&filled) < n)
		nanosleep(&ms, NULL);
	printf("ready\n");
	fflush(stdout);
	while (access(resume, F_OK) != 0)
		nanosleep(&ms, NULL);
	printf("resumed %.6f\n", now());
	fflush(stdout);

	unsigned long before[MAXT];
	for (int t = 0; t < n; t++)
		before[t] = atomic_load(&workers[t].rounds);
	for (int tries = 0;; tries++) {
		int stuck = 0;
		for (int t = 0; t < n; t++)
			stuck += atomic_load(&workers[t].rounds) == before[t];
		if (!stuck)
			break;
		if (tries == 10000) { /* 10 s */
			printf("%d thread(s) made no progress after the restore\n", stuck);
			return 4;
		}
		nanosleep(&ms, NULL);
	}
	atomic_store(&stop, 1);
	for (int t = 0; t < n; t++) {
		struct worker *w = &workers[t];
		pthread_join(w->tid, NULL);
		uint64_t x = w->seed;
		for (size_t i = 0; i < w->words; i++)
			if (w->data[i] != next(&x)) {
				printf("thread %d: corrupt word %zu\n", t, i);
				return 3;
			}
	}
	printf("verified %.6f\n", now());
	return 0;
}
