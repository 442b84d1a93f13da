/* Threads pinned to CPUs with scheduling of their own (issue 19, item 17),
 * as GROMACS or OpenMP with OMP_PROC_BIND pin theirs: the main thread pins
 * itself to the first CPU it may use and sets nice 2; worker i pins itself
 * to the next CPU (round robin) and sets nice 4+i, worker 1 also
 * SCHED_BATCH. They compute for a few seconds (checkpointed meanwhile),
 * then each prints its CPUs, policy and nice value as it has them at the
 * end: after a restore, what it had before.
 *   thr_affinity [STEPS]   (default 30) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORKERS 2

static int cpus[CPU_SETSIZE], ncpus;
static pthread_barrier_t start;
static char final[WORKERS + 1][256];
static int steps = 30;

static void pin_and_nice(int cpu, int nice, int batch)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) ||
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice)) {
		perror("thr_affinity: pin or nice");
		exit(1);
	}
	struct sched_param p = { 0 };
	if (batch && sched_setscheduler(0, SCHED_BATCH, &p)) {
		perror("thr_affinity: SCHED_BATCH");
		exit(1);
	}
}

/* What this thread has now, as one line. */
static void describe(char *out, size_t cap, const char *who)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
	int len = snprintf(out, cap, "%s: cpus", who);
	for (int c = 0; c < CPU_SETSIZE && len < (int)cap - 8; c++)
		if (CPU_ISSET(c, &set))
			len += snprintf(out + len, cap - (size_t)len, " %d", c);
	int policy = sched_getscheduler(0);
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	snprintf(out + len, cap - (size_t)len, " policy %s nice %d", policy == SCHED_BATCH ? "batch" : policy == SCHED_OTHER ? "other" : "?", nice);
}

static unsigned long work(unsigned long x)
{
	for (long i = 0; i < 20000000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

static void *worker(void *arg)
{
	long i = (long)arg;
	pin_and_nice(cpus[(i + 1) % ncpus], 4 + (int)i, i == 1);
	pthread_barrier_wait(&start);
	unsigned long x = (unsigned long)i;
	for (int s = 0; s < steps; s++)
		x = work(x);
	char who[64];
	snprintf(who, sizeof(who), "worker %ld (sum %lu)", i, x);
	describe(final[i + 1], sizeof(final[i + 1]), who);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		steps = atoi(argv[1]);
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[ncpus++] = c;
	pin_and_nice(cpus[0], 2, 0);
	pthread_barrier_init(&start, NULL, WORKERS + 1);
	pthread_t t[WORKERS];
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&start);
	unsigned long x = 7;
	for (int s = 0; s < steps; s++) {
		x = work(x);
		printf("step %d %lu\n", s, x);
		fflush(stdout);
	}
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	describe(final[0], sizeof(final[0]), "main");
	for (int i = 0; i <= WORKERS; i++)
		printf("%s\n", final[i]);
	return 0;
}
