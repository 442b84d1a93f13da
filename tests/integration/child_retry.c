/* Test program for TCP_RETRY (retry.sh, integration-child_retry): a
 * checkpoint asked for while the program has a live child process.
 *   child_retry SECONDS [raise] [STEPS] [THREADS] [worker]
 * starts `sleep SECONDS` (fork+exec, without libtcp: a process of its tree
 * that cannot be checkpointed, see tests/lib/without_libtcp.h), and with `raise` sends itself SIGUSR1
 * while that child lives (its own handler prints one line per call: a retry
 * must not call it again; so does its SIGTERM handler, which must not run
 * while a stop-signal checkpoint is pending, nor when it succeeds); then waits for the child and computes STEPS
 * steps (default 40, about 2-3 s), printing each. THREADS compute threads
 * (default 0) run from the start to the end, so that the retry timer's
 * signal may land on any thread, and print their sums when joined. With
 * `worker`, a child with libtcp (a fork) lives from the start to the end
 * beside `sleep`: a checkpoint of the tree takes it along, so the retry
 * must wait for `sleep` alone. The
 * output does not depend on when or whether checkpoints are taken. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../lib/without_libtcp.h"

static void on_signal(int sig)
{
	static const char usr1[] = "handler called\n", term[] = "term handler called\n";
	const char *msg = sig == SIGUSR1 ? usr1 : term;
	if (write(1, msg, sig == SIGUSR1 ? sizeof(usr1) - 1 : sizeof(term) - 1) < 0)
		_exit(3);
}

#define MAX_THREADS 8

static volatile int stop;

/* A result that does not depend on timing, then busy until main is done:
 * the thread is running whenever a signal comes. */
static void *compute(void *arg)
{
	unsigned long x = (unsigned long)arg + 1;
	for (long i = 0; i < 100000000; i++)
		x = x * 2862933555777941757ul + 3037000493ul;
	volatile unsigned long spin = 0;
	while (!stop)
		spin++;
	return (void *)x;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int do_raise = argc > 2 && !strcmp(argv[2], "raise");
	int steps = argc > 3 ? atoi(argv[3]) : 40;
	int nthreads = argc > 4 ? atoi(argv[4]) : 0;
	int with_worker = argc > 5 && !strcmp(argv[5], "worker");
	pthread_t threads[MAX_THREADS];
	if (nthreads < 0 || nthreads > MAX_THREADS)
		return 2;
	signal(SIGUSR1, on_signal);
	signal(SIGTERM, on_signal);
	printf("start\n");
	fflush(stdout);
	for (long t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t], NULL, compute, (void *)t))
			return 1;
	pid_t worker = with_worker ? fork() : -1;
	if (worker == 0)
		for (;;)
			pause();
	pid_t child = spawn_sleep_without_libtcp(argv[1]);
	if (child < 0)
		return 1;
	if (do_raise)
		raise(SIGUSR1); /* the checkpoint is refused now: the child lives */
	int status = 0;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	printf("child ended with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	fflush(stdout);
	volatile unsigned long x = 1;
	for (int step = 0; step < steps; step++) {
		for (long i = 0; i < 40000000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
		printf("step %d %lu\n", step, x);
		fflush(stdout);
	}
	stop = 1;
	for (int t = 0; t < nthreads; t++) {
		void *sum;
		pthread_join(threads[t], &sum);
		printf("thread %d %lu\n", t, (unsigned long)sum);
	}
	if (worker > 0) {
		kill(worker, SIGKILL);
		waitpid(worker, NULL, 0);
	}
	return 0;
}
