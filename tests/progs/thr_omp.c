/* thr_omp: an ordinary OpenMP program (libgomp; run it with
 * OMP_NUM_THREADS=4).  STEPS steps of: a static parallel for filling an
 * array of doubles, integer reductions over their bits (+, ^, max), a
 * dynamically scheduled loop, a parallel region with barrier, single,
 * critical and atomic, and a task tree.  libgomp keeps its thread pool
 * between the regions (idle threads spin, then sleep on futexes).  Only
 * integer reductions are printed, so the output does not depend on the
 * order in which the threads combine their partial results. */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define STEPS 12
#define N (1 << 20)
#define INNER 24

static double a[N];

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t tree(int depth, uint64_t seed)
{
    uint64_t l, r;
    if (depth == 0) {
        for (int i = 0; i < 2000; i++)
            seed = mix(seed);
        return seed;
    }
#pragma omp task shared(l) firstprivate(depth, seed)
    l = tree(depth - 1, seed * 2);
#pragma omp task shared(r) firstprivate(depth, seed)
    r = tree(depth - 1, seed * 2 + 1);
#pragma omp taskwait
    return mix(l ^ (r << 1));
}

int main(void)
{
    uint64_t total = 0;

    printf("thr_omp: max threads %d, %d steps\n", omp_get_max_threads(), STEPS);
    fflush(stdout);
    for (int step = 0; step < STEPS; step++) {
        uint64_t sum = 0, x = 0, mx = 0, dyn = 0, crit = 0, atom = 0, tasks = 0;
        int members = 0;

#pragma omp parallel for schedule(static)
        for (int i = 0; i < N; i++) {
            double v = (double)i / N + step;
            for (int k = 0; k < INNER; k++)
                v = sqrt(v * v + 1.0) * 0.75 + 0.125 * v;
            a[i] = v;
        }
#pragma omp parallel for schedule(static) reduction(+ : sum) reduction(^ : x) reduction(max : mx)
        for (int i = 0; i < N; i++) {
            uint64_t u = bits(a[i]);
            sum += u;
            x ^= u * (uint64_t)(i | 1);
            if ((u & 0xffff) > mx)
                mx = u & 0xffff;
        }
#pragma omp parallel for schedule(dynamic, 512) reduction(+ : dyn)
        for (int i = 0; i < N; i += 4) {
            uint64_t h = bits(a[i]) ^ (uint64_t)step;
            for (int k = 0; k < 40; k++)
                h = mix(h);
            dyn += h >> 8;
        }
#pragma omp parallel
        {
            uint64_t local = 0;
#pragma omp atomic
            members++;
#pragma omp for schedule(guided)
            for (int i = 0; i < N; i += 8)
                local += bits(a[i]) >> 20;
#pragma omp critical
            crit += local;
#pragma omp barrier
#pragma omp single
            tasks = tree(8, (uint64_t)step);
#pragma omp atomic
            atom += 1;
        }
        total = mix(total ^ sum ^ x ^ mx ^ dyn ^ crit ^ tasks);
        printf("step %2d sum %016llx xor %016llx max %04llx dyn %016llx crit %016llx "
               "tasks %016llx team %d/%d\n", step, (unsigned long long)sum,
               (unsigned long long)x, (unsigned long long)mx, (unsigned long long)dyn,
               (unsigned long long)crit, (unsigned long long)tasks,
               members, (int)atom);
        fflush(stdout);
    }
    printf("checksum %016llx\n", (unsigned long long)total);
    return 0;
}
