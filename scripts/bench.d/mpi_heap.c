/* Benchmark program: an MPI job whose ranks each hold a heap of
 * pseudo-random words and do light MPI work, checked after a restore.
 *
 *   mpirun -np N mpi_heap MIB CTL
 *
 * Every rank fills MIB of its own words (a seed per rank, the generator of
 * heap.c and tree.c: random 64-bit words, nothing to compress); after a
 * barrier rank 0 prints "ready". Then every rank, about every 100 ms, joins
 * an Allreduce (the job keeps talking while it is checkpointed), polling
 * every millisecond in between for CTL.resume (the bench script creates it
 * after killing the job, before the restore). A rank that sees it joins the
 * next Allreduce at once with its flag set; the others see the file within
 * a millisecond too, so the job's first collective after the restore ends
 * the loop everywhere: rank 0 prints "resumed <epoch seconds>" (the job
 * runs, and talks, again), every rank checks its words (and that every
 * sum was right), and rank 0 prints
 * "verified <epoch seconds>" (exit 3 if a word is wrong in any rank). */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_common.h"

/* Waits up to 100 ms for CTL.resume; 1 if it is there. */
static int resume_within_100ms(const char *path)
{
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 100; i++) {
		if (access(path, F_OK) == 0)
			return 1;
		nanosleep(&ms, NULL);
	}
	return access(path, F_OK) == 0;
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	int rank, size;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (argc != 3) {
		if (rank == 0)
			fprintf(stderr, "usage: mpirun -np N mpi_heap MIB CTL\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	size_t bytes = strtoull(argv[1], NULL, 10) << 20;
	char path[4096];
	snprintf(path, sizeof(path), "%s.resume", argv[2]);

	uint64_t *heap = bytes ? heap_fill(bytes, seed_of(rank)) : NULL;
	if (!heap) {
		perror("mpi_heap: mmap");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	MPI_Barrier(MPI_COMM_WORLD);
	if (rank == 0) {
		printf("ready\n");
		fflush(stdout);
	}

	/* The light work: a sum over the ranks that changes every round. */
	long round = 0, sum;
	int flag, any = 0, wrong = 0;
	while (!any) {
		flag = resume_within_100ms(path);
		long mine = round + rank;
		MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
		if (sum != round * size + (long)size * (size - 1) / 2)
			wrong = 1;
		MPI_Allreduce(&flag, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
		round++;
	}
	if (rank == 0) {
		printf("resumed %.6f\n", now());
		fflush(stdout);
	}
	int bad = wrong || heap_changed(heap, bytes, seed_of(rank)), anybad;
	MPI_Allreduce(&bad, &anybad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
	if (rank == 0) {
		if (anybad)
			printf("corrupt\n");
		else
			printf("verified %.6f\n", now());
		fflush(stdout);
	}
	MPI_Finalize();
	return anybad ? 3 : 0;
}
