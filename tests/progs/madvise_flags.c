/* madvise_flags: mappings with each madvise flag tcp keeps (MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_WIPEONFORK, MADV_DONTFORK,
 * MADV_MERGEABLE), one MAP_NORESERVE, one mlock'd and one mlock'd on fault
 * (MLOCK_ONFAULT), each filled with its own pattern;
 * 100 x 25 ms of sleep (the checkpoint lands in there), then it prints, for
 * each mapping, whether its bytes are intact and the flags /proc/self/smaps
 * shows. Last, a fork: the child must find the WIPEONFORK mapping zeroed
 * and the DONTFORK one absent. A forked checkpoint writer that lost either
 * mapping's content, or a restore that lost a flag, changes the output.
 * `madvise_flags shm`: also a MAP_SHARED memfd closed after mmap, which
 * tcp copies in the pause and whose mappings it therefore reads before the
 * fork flags are lifted (the flags must still be lifted and set again). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LEN (4u << 20)
#define HUGE (2u << 20)

static const struct {
	const char *name;
	int advice;	/* 0: MAP_NORESERVE, or the lock below, instead */
	int lock;	/* 1: mlock, 2: mlock2(MLOCK_ONFAULT) */
} cases[] = {
	{ "hugepage", MADV_HUGEPAGE, 0 },   { "nohugepage", MADV_NOHUGEPAGE, 0 }, { "dontdump", MADV_DONTDUMP, 0 },
	{ "wipeonfork", MADV_WIPEONFORK, 0 }, { "dontfork", MADV_DONTFORK, 0 },	  { "mergeable", MADV_MERGEABLE, 0 },
	{ "noreserve", 0, 0 },		      { "locked", 0, 1 },		  { "lockonfault", 0, 2 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static unsigned char *maps[NCASES];

static unsigned char pattern(size_t k, size_t i) { return (unsigned char)(i * 7 + k * 31 + 1); }

/* The smaps flags of the mapping at p that tcp keeps, space separated. */
static void flags_of(const void *p, char *out, size_t cap)
{
	char want[32], line[1024];
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0;
	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = 1;
		else if (in && !strncmp(line, "VmFlags:", 8))
			break;
	}
	if (f)
		fclose(f);
	static const char *kept[] = { "hg", "nh", "dd", "wf", "dc", "mg", "nr", "lo", "lf" };
	char *save = 0;
	for (char *t = in ? strtok_r(line + 8, " \n", &save) : 0; t; t = strtok_r(0, " \n", &save))
		for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
			if (!strcmp(t, kept[k]))
				snprintf(out + strlen(out), cap - strlen(out), " %s", t);
}

static void sleep_25ms(void)
{
	struct timespec req = { 0, 25 * 1000 * 1000 }, rem;
	while (nanosleep(&req, &rem) != 0 && errno == EINTR)
		req = rem;
}

int main(int argc, char **argv)
{
	unsigned char *shm = 0;
	if (argc > 1 && !strcmp(argv[1], "shm")) {
		int fd = memfd_create("madvise-shm", 0);
		if (fd < 0 || ftruncate(fd, LEN) != 0 ||
		    (shm = mmap(0, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
			perror("memfd");
			return 1;
		}
		close(fd);
		for (size_t i = 0; i < LEN; i++)
			shm[i] = pattern(NCASES, i);
	}
	for (size_t k = 0; k < NCASES; k++) {
		/* 2 MiB aligned, so that MADV_HUGEPAGE can use huge pages. */
		int extra = cases[k].advice || cases[k].lock ? 0 : MAP_NORESERVE;
		unsigned char *raw = mmap(0, LEN + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);
		if (raw == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		unsigned char *p = (unsigned char *)(((unsigned long)raw + HUGE - 1) & ~(unsigned long)(HUGE - 1));
		if (p > raw)
			munmap(raw, (size_t)(p - raw));
		munmap(p + LEN, (size_t)(raw + LEN + HUGE - (p + LEN)));
		/* MADV_MERGEABLE needs a kernel with KSM: print whether it took,
		 * which is the same in both runs on one machine. */
		if (cases[k].advice && madvise(p, LEN, cases[k].advice) != 0)
			printf("%s: madvise: %s\n", cases[k].name, strerror(errno));
		/* Locking needs RLIMIT_MEMLOCK room: print whether it took (the
		 * same in both runs under one user). */
		if (cases[k].lock && mlock2(p, LEN, cases[k].lock == 2 ? MLOCK_ONFAULT : 0) != 0)
			printf("%s: mlock2: %s\n", cases[k].name, strerror(errno));
		for (size_t i = 0; i < LEN; i++)
			p[i] = pattern(k, i);
		maps[k] = p;
	}
	for (int i = 0; i < 100; i++)
		sleep_25ms();
	for (size_t k = 0; k < NCASES; k++) {
		size_t bad = 0;
		for (size_t i = 0; i < LEN; i++)
			bad += maps[k][i] != pattern(k, i);
		char flags[64];
		flags_of(maps[k], flags, sizeof(flags));
		printf("%s: %zu bytes differ; flags:%s\n", cases[k].name, bad, flags);

	}
	if (shm) {
		size_t bad = 0;
		for (size_t i = 0; i < LEN; i++)
			bad += shm[i] != pattern(NCASES, i);
		printf("shared memfd: %zu bytes differ\n", bad);
	}
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		unsigned char *wiped = maps[3], *absent = maps[4], vec;
		size_t nonzero = 0;
		for (size_t i = 0; i < LEN; i++)
			nonzero += wiped[i] != 0;
		int gone = mincore(absent, 4096, &vec) != 0 && errno == ENOMEM;
		_exit((nonzero ? 1 : 0) | (gone ? 0 : 2));
	}
	int status = 0;
	waitpid(child, &status, 0);
	printf("fork: wipeonfork %s, dontfork %s\n", WEXITSTATUS(status) & 1 ? "kept its bytes" : "zeroed",
	       WEXITSTATUS(status) & 2 ? "mapped" : "absent");
	printf("done\n");
	return 0;
}
