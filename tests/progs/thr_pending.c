/* thr_pending: signals still pending at the checkpoint reach, after the
 * restore, the thread they would have reached.
 *
 * Every thread blocks SIGUSR2, SIGWINCH and SIGRTMIN+3. Then:
 *   - SIGUSR2 is sent to thread B alone (pthread_kill),
 *   - SIGWINCH to the main thread alone (raise),
 *   - SIGRTMIN+3 to the process (kill): pending for whichever thread
 *     takes it,
 * the program raises SIGUSR1 (under the checkpointer: a checkpoint, taken
 * by the main thread, about a second in) and computes for a while (a later trigger from
 * outside, by any thread, lands there too). Then B waits for SIGUSR2,
 * thread C for SIGRTMIN+3 and the main thread for SIGWINCH, each with
 * sigtimedwait and a timeout, and each says what it got. A signal lost, or
 * re-raised for the wrong thread, shows as a timeout in the output. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_barrier_t go_b, go_c;

static void report(const char *who, int want)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, want);
	struct timespec limit = { 5, 0 };
	int got;
	do
		got = sigtimedwait(&set, NULL, &limit);
	while (got < 0 && errno == EINTR);
	if (got == want)
		printf("%s: got signal %d\n", who, want);
	else
		printf("%s: signal %d did not come (%s)\n", who, want, got < 0 ? strerror(errno) : "another one");
	fflush(stdout);
}

static void *thread_b(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go_b);
	report("thread B", SIGUSR2);
	return NULL;
}

static void *thread_c(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go_c);
	report("thread C", SIGRTMIN + 3);
	return NULL;
}

static void compute_step(volatile uint64_t *x, int step)
{
	for (long i = 0; i < 60000000; i++)
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	printf("step %d\n", step);
	fflush(stdout);
}

int main(void)
{
	/* Under the checkpointer, SIGUSR1 is its trigger; uninterrupted, a no-op. */
	signal(SIGUSR1, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_barrier_init(&go_b, NULL, 2);
	pthread_barrier_init(&go_c, NULL, 2);
	pthread_t b, c;
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_create(&c, NULL, thread_c, NULL);

	/* About a second of work first: a checkpoint at the very start would
	 * come before the test harness looks for it. */
	volatile uint64_t x = 1;
	int step = 0;
	for (; step < 12; step++)
		compute_step(&x, step);

	pthread_kill(b, SIGUSR2);
	raise(SIGWINCH);
	kill(getpid(), SIGRTMIN + 3);
	printf("signals sent\n");
	fflush(stdout);

	raise(SIGUSR1);
	for (; step < 42; step++)
		compute_step(&x, step);

	pthread_barrier_wait(&go_b);
	pthread_join(b, NULL);
	pthread_barrier_wait(&go_c);
	pthread_join(c, NULL);
	report("main thread", SIGWINCH);
	sigset_t left;
	sigpending(&left);
	printf("still pending: USR2 %d WINCH %d RTMIN+3 %d\n", sigismember(&left, SIGUSR2),
	       sigismember(&left, SIGWINCH), sigismember(&left, SIGRTMIN + 3));
	return 0;
}
