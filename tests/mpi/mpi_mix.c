/* mpi_mix: a small deterministic MPI job for checkpoint tests (issue 21).
 *
 *   mpirun -np 2 ./mpi_mix STEPS [SLEEP_MS]     (default 100 ms per step)
 *
 * Each step uses the three kinds of MPI traffic a checkpoint can cut through:
 * point-to-point (blocking Send/Recv on a ring, and Isend/Irecv left pending
 * across a sleep so that a checkpoint can land while requests are in flight),
 * collectives (Allreduce, Bcast, Alltoall) and one-sided (Put/Get between
 * fences on a window made once). The state of every rank feeds on what it
 * received, so a message lost or duplicated at a restore changes the numbers.
 * Rank 0 prints one line per step at full precision; nothing depends on timing
 * (a sleep cut short by a checkpoint's signal changes nothing). */
#include <mpi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 4096      /* doubles of local state per rank */
#define RING 512    /* doubles sent on the ring each step */

static double checksum(const double *v, int n)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += v[i] * (double)(i % 7 + 1);
    return s;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, np;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &np);
    if (argc < 2) {
        if (rank == 0)
            fprintf(stderr, "usage: mpi_mix STEPS [SLEEP_MS]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    int steps = atoi(argv[1]);
    int sleep_ms = argc > 2 ? atoi(argv[2]) : 100;
    int right = (rank + 1) % np, left = (rank + np - 1) % np;

    double *a = malloc(N * sizeof *a), *in = malloc(N * sizeof *in);
    double *ata = malloc((size_t)np * 4 * sizeof *ata), *atb = malloc((size_t)np * 4 * sizeof *atb);
    double *win_buf;
    MPI_Alloc_mem((MPI_Aint)np * sizeof(double), MPI_INFO_NULL, &win_buf);
    for (int i = 0; i < np; i++)
        win_buf[i] = 0.0;
    MPI_Win win;
    MPI_Win_create(win_buf, (MPI_Aint)np * sizeof(double), sizeof(double), MPI_INFO_NULL,
                   MPI_COMM_WORLD, &win);
    for (int i = 0; i < N; i++)
        a[i] = sin(0.001 * i + rank);

    for (int s = 0; s < steps; s++) {
        /* Some real compute: the state moves on from its own values. */
        for (int k = 0; k < 20; k++)
            for (int i = 0; i < N; i++)
                a[i] = 0.5 * sin(a[i] + 0.01 * s) + 0.25 * cos(a[(i + 1) % N]);

        /* Blocking ring: even ranks send first, odd ranks receive first. */
        if (rank % 2 == 0) {
            MPI_Send(a, RING, MPI_DOUBLE, right, 1, MPI_COMM_WORLD);
            MPI_Recv(in, RING, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(in, RING, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(a, RING, MPI_DOUBLE, right, 1, MPI_COMM_WORLD);
        }
        double ring = checksum(in, RING);

        /* Nonblocking the other way round, pending across the sleep: the
         * receive is posted first, the waits come only after the sleep. */
        MPI_Request req[2];
        MPI_Irecv(in + RING, N - RING, MPI_DOUBLE, right, 2, MPI_COMM_WORLD, &req[0]);
        MPI_Isend(a + RING, N - RING, MPI_DOUBLE, left, 2, MPI_COMM_WORLD, &req[1]);
        if (sleep_ms > 0)
            usleep((useconds_t)sleep_ms * 1000);
        MPI_Status st[2];   /* not MPI_STATUSES_IGNORE: GCC 12 warns on MPICH's */
        MPI_Waitall(2, req, st);
        double nb = checksum(in + RING, N - RING);

        /* Collectives. */
        double local[2] = {checksum(a, N), ring + nb}, sum[2], mx;
        MPI_Allreduce(local, sum, 2, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(&local[0], &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        double bc[8];
        for (int i = 0; i < 8; i++)
            bc[i] = a[i * 17] + rank;
        MPI_Bcast(bc, 8, MPI_DOUBLE, s % np, MPI_COMM_WORLD);
        for (int i = 0; i < np * 4; i++)
            ata[i] = a[(i * 31 + s) % N] * (rank + 1);
        MPI_Alltoall(ata, 4, MPI_DOUBLE, atb, 4, MPI_DOUBLE, MPI_COMM_WORLD);
        double bcs = checksum(bc, 8), ats = checksum(atb, np * 4);

        /* One-sided: put my value into my right neighbour's slot [rank],
         * then read my left neighbour's slot [left] from it. */
        double mine = a[s % N] + s, got = 0.0;
        MPI_Win_fence(0, win);
        MPI_Put(&mine, 1, MPI_DOUBLE, right, rank, 1, MPI_DOUBLE, win);
        MPI_Win_fence(0, win);
        MPI_Get(&got, 1, MPI_DOUBLE, left, left, 1, MPI_DOUBLE, win);
        MPI_Win_fence(0, win);
        double rma = got + checksum(win_buf, np);

        /* Feed what came in back into the state. */
        for (int i = 0; i < N; i++)
            a[i] += 1e-3 * in[i] + 1e-6 * (sum[0] + mx + bcs + ats + rma);
        if (rank == 0) {
            printf("step %d sum %.17g %.17g max %.17g bcast %.17g alltoall %.17g rma %.17g\n",
                   s, sum[0], sum[1], mx, bcs, ats, rma);
            fflush(stdout);
        }
    }

    double fin = checksum(a, N), all;
    MPI_Reduce(&fin, &all, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("done np %d steps %d final %.17g\n", np, steps, all);
        fflush(stdout);
    }
    MPI_Win_free(&win);
    MPI_Free_mem(win_buf);
    free(a), free(in), free(ata), free(atb);
    MPI_Finalize();
    return 0;
}
