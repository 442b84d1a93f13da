/* Writes shared memory (a memfd mapping and shared anonymous memory) and a
 * private counter together without pause: whatever moment the checkpoint
 * hits, the restored values of all three must be of that same moment. An
 * image that took the shared content later (from a forked writer, while the
 * program ran on) restores the shared counters ahead of the private one. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <sys/mman.h>
#include <unistd.h>

#define ITERS 200000000L

int main(void)
{
	int fd = memfd_create("tcp-test-scribble", 0);
	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0, "memfd");
	volatile uint64_t *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	volatile uint64_t *an = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && an != MAP_FAILED, "mmap");
	uint64_t mine = 0;
	for (int round = 0; round < 30; round++) {
		for (long i = 0; i < ITERS; i++) {
			if (m[0] != mine || an[0] != mine) {
				printf("round %02d: shared %llu/%llu, private %llu: not of the same moment\n", round,
				       (unsigned long long)m[0], (unsigned long long)an[0], (unsigned long long)mine);
				return 1;
			}
			mine++;
			m[0] = mine;
			an[0] = mine;
		}
		printf("round %02d ok\n", round);
		fflush(stdout);
	}
	printf("done %llu\n", (unsigned long long)mine);
	return 0;
}
