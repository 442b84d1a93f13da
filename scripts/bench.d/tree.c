/* Benchmark program: a process tree, each process with a heap of
 * pseudo-random words, checked after a restore.
 *
 *   tree NPROC MIB CTL
 *
 * The root forks NPROC-1 children; every process fills MIB of its own words
 * (a seed per process) and tells the root over a pipe; the root then prints
 * "ready". Every process polls every millisecond for CTL.resume (the bench
 * script creates it after the restore), then the root prints "resumed
 * <epoch seconds>", every process checks its words, and the root prints
 * "verified <epoch seconds>" once every child has exited 0 (exit 3 if a
 * word is wrong anywhere). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

static void wait_resume(const char *ctl)
{
	char path[4096];
	struct timespec ms = {0, 1000000};
	snprintf(path, sizeof(path), "%s.resume", ctl);
	while (access(path, F_OK) != 0)
		nanosleep(&ms, NULL);
}

static uint64_t *fill(size_t bytes, int index)
{
	uint64_t *heap = heap_fill(bytes, seed_of(index));
	if (!heap) {
		perror("tree: mmap");
		exit(2);
	}
	return heap;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: tree NPROC MIB CTL\n");
		return 2;
	}
	int nproc = atoi(argv[1]);
	size_t bytes = strtoull(argv[2], NULL, 10) << 20;
	const char *ctl = argv[3];
	if (nproc < 1 || nproc > 64 || bytes == 0) {
		fprintf(stderr, "tree: NPROC 1..64, MIB > 0\n");
		return 2;
	}
	int ready[2];
	if (pipe(ready) != 0) {
		perror("tree: pipe");
		return 2;
	}
	pid_t kids[64];
	for (int i = 1; i < nproc; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("tree: fork");
			return 2;
		}
		if (kids[i] == 0) {
			close(ready[0]);
			uint64_t *heap = fill(bytes, i);
			if (write(ready[1], "r", 1) != 1)
				_exit(2);
			close(ready[1]);
			wait_resume(ctl);
			_exit(heap_changed(heap, bytes, seed_of(i)) ? 3 : 0);
		}
	}
	close(ready[1]);
	uint64_t *heap = fill(bytes, 0);
	char c;
	for (int i = 1; i < nproc; i++)
		if (read(ready[0], &c, 1) != 1) {
			fprintf(stderr, "tree: a child died before it was ready\n");
			return 2;
		}
	close(ready[0]);
	printf("ready\n");
	fflush(stdout);
	wait_resume(ctl);
	printf("resumed %.6f\n", now());
	fflush(stdout);
	int rc = heap_changed(heap, bytes, seed_of(0)) ? 3 : 0;
	for (int i = 1; i < nproc; i++) {
		int st;
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("child %d ended with status 0x%x\n", i, st);
			rc = 3;
		}
	}
	if (rc == 0)
		printf("verified %.6f\n", now());
	else
		printf("corrupt\n");
	return rc;
}
