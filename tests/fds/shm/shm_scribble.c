/* Writes shared memory (a memfd mapping and shared anonymous memory) and a
 * private counter together without pause: whatever moment the checkpoint
 * hits, the restored values of all three must be of that same moment. An
 * image that took the shared content later (from a forked writer, while the
 * program ran on) restores the shared counters ahead of the private one.
 * With SHM_SCRIBBLE_MEMFD_ONLY=1 the memfd alone: then the image is written
 * by a forked writer from a copy taken in the pause (shared anonymous
 * memory makes the paused program write it itself). The program runs on
 * at once after the checkpoint, incrementing the counter in the memfd's
 * last page, which a writer reading the object itself (not the copy) only
 * reaches after 64 MiB: long after (about 0.5 s here), so without the
 * copy the image holds a later count than the private one and the
 * restored program says so. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ITERS 70000000L /* per round: the 30 take a few seconds */

int main(void)
{
	const char *env = getenv("SHM_SCRIBBLE_MEMFD_ONLY");
	int only = env && env[0] == '1';
	/* memfd only: 64 MiB, all of it data, the counter in its last page, so
	 * that a writer reading the object live would get there long after
	 * the program went on. */
	size_t size = only ? 64u << 20 : 1u << 20;
	int fd = memfd_create("tcp-test-scribble", 0);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0, "memfd");
	char *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(base != MAP_FAILED, "mmap");
	if (only)
		memset(base, 0x5a, size);
	volatile uint64_t *m = (volatile uint64_t *)(base + (only ? size - 4096 : 0));
	static uint64_t private_an;
	volatile uint64_t *an = only ? &private_an
				     : mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(an != MAP_FAILED, "mmap");
	m[0] = an[0] = 0;
	uint64_t mine = 0;
	for (int round = 0; round < 30; round++) {
		for (long i = 0; i < ITERS; i++) {
			/* Each counter moves on from its own value: a shared
			 * one stored from a later moment than the private one
			 * stays ahead after the restore and is seen at the next
			 * check, wherever the program resumes (were it set to
			 * the private value, a resume after the check would
			 * overwrite the difference before anything looked). */
			mine++;
			m[0] = m[0] + 1;
			an[0] = an[0] + 1;
			if (m[0] != mine || an[0] != mine) {
				printf("round %02d: shared %llu/%llu, private %llu: not of the same moment\n", round,
				       (unsigned long long)m[0], (unsigned long long)an[0], (unsigned long long)mine);
				return 1;
			}
		}
		printf("round %02d ok\n", round);
		fflush(stdout);
	}
	printf("done %llu\n", (unsigned long long)mine);
	return 0;
}
