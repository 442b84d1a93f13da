/* mlockall_future: mlockall(MCL_CURRENT | MCL_FUTURE), then computes (the
 * checkpoint comes meanwhile), then maps new memory, which the kernel
 * locks as the program asked: also after a restore, where only libtcp
 * knows of MCL_FUTURE (no /proc file shows it). Run as an unprivileged
 * user under RLIMIT_MEMLOCK (cycle.sh --as-nobody), a checkpoint must also
 * not try to lock libtcp's own scratch memory, which would exceed the
 * limit. Exit status 77 (skip) if the limit is too low for mlockall. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The VmFlags of the mapping at `addr` contain " lo"? -1 if not found. */
static int locked(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, res = -1;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			res = strstr(line, " lo") != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return res;
}

int main(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE)) {
		fprintf(stderr, "mlockall_future: mlockall: %s (RLIMIT_MEMLOCK too low?); skipped\n", strerror(errno));
		return 77;
	}
	volatile uint64_t x = 1;
	for (int step = 0; step < 30; step++) {
		for (long i = 0; i < 40000000; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		printf("step %d %llu\n", step, (unsigned long long)x);
		fflush(stdout);
	}
	char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("new mapping: %s\n", strerror(errno));
		return 1;
	}
	int l = locked(p);
	printf("new mapping locked: %s\n", l < 0 ? "not found" : l ? "yes" : "no");
	return 0;
}
