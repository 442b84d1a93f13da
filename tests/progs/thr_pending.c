/* thr_pending: signals still pending at the checkpoint reach, after the
 * restore, the thread they would have reached.
 *
 * Every thread blocks SIGUSR2, SIGWINCH and SIGRTMIN+3..5. Then:
 *   - SIGUSR2 is sent to thread B alone (pthread_kill), and SIGRTMIN+4
 *     twice with the values 11 and 22 (pthread_sigqueue),
 *   - SIGWINCH to the main thread alone (raise),
 *   - SIGRTMIN+3 to the process (kill), and SIGRTMIN+5 three times with
 *     the values 101, 102, 103 (sigqueue): pending for whichever thread
 *     takes them,
 * the program raises SIGUSR1 (under the checkpointer: a checkpoint, taken
 * by the main thread, about a second in; with the argument other-thread,
 * by a short-lived thread, while the main thread is stopped like the rest) and computes for a while (a later trigger from
 * outside, by any thread, lands there too). Then B waits for SIGUSR2,
 * thread C for SIGRTMIN+3 and the main thread for SIGWINCH, each with
 * sigtimedwait and a timeout, then B and C for each queued one, and each
 * says what it got: how it was sent (si_code), by whom, the value. A
 * signal lost, raised again for the wrong thread or without its siginfo,
 * or real-time instances merged or reordered, show in the output. */
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

static const char *how(int code)
{
	switch (code) {
	case SI_USER: return "kill";
	case SI_TKILL: return "tgkill";
	case SI_QUEUE: return "sigqueue";
	default: return "other";
	}
}

static void report(const char *who, int want)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, want);
	struct timespec limit = { 5, 0 };
	siginfo_t si;
	int got;
	do
		got = sigtimedwait(&set, &si, &limit);
	while (got < 0 && errno == EINTR);
	if (got == want) {
		printf("%s: got signal %d by %s from %s", who, want, how(si.si_code),
		       si.si_pid == getpid() ? "this process" : "elsewhere");
		if (si.si_code == SI_QUEUE)
			printf(", value %d", si.si_value.sival_int);
		printf("\n");
	} else {
		printf("%s: signal %d did not come (%s)\n", who, want, got < 0 ? strerror(errno) : "another one");
	}
	fflush(stdout);
}

static void *thread_b(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go_b);
	report("thread B", SIGUSR2);
	report("thread B", SIGRTMIN + 4);
	report("thread B", SIGRTMIN + 4);
	return NULL;
}

static void *thread_c(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go_c);
	report("thread C", SIGRTMIN + 3);
	for (int i = 0; i < 3; i++)
		report("thread C", SIGRTMIN + 5);
	return NULL;
}

static void *trigger(void *arg)
{
	(void)arg;
	raise(SIGUSR1);
	return NULL;
}

static void compute_step(volatile uint64_t *x, int step)
{
	for (long i = 0; i < 60000000; i++)
		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	printf("step %d\n", step);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	int other = argc > 1 && !strcmp(argv[1], "other-thread");
	/* Under the checkpointer, SIGUSR1 is its trigger; uninterrupted, a no-op. */
	signal(SIGUSR1, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGRTMIN + 3);
	sigaddset(&set, SIGRTMIN + 4);
	sigaddset(&set, SIGRTMIN + 5);
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
	pthread_sigqueue(b, SIGRTMIN + 4, (union sigval){ .sival_int = 11 });
	pthread_sigqueue(b, SIGRTMIN + 4, (union sigval){ .sival_int = 22 });
	raise(SIGWINCH);
	kill(getpid(), SIGRTMIN + 3);
	for (int v = 101; v <= 103; v++)
		sigqueue(getpid(), SIGRTMIN + 5, (union sigval){ .sival_int = v });
	printf("signals sent\n");
	fflush(stdout);

	if (other) {
		pthread_t t;
		pthread_create(&t, NULL, trigger, NULL);
		pthread_join(t, NULL);
	} else {
		raise(SIGUSR1);
	}
	for (; step < 42; step++)
		compute_step(&x, step);

	pthread_barrier_wait(&go_b);
	pthread_join(b, NULL);
	pthread_barrier_wait(&go_c);
	pthread_join(c, NULL);
	report("main thread", SIGWINCH);
	sigset_t left;
	sigpending(&left);
	printf("still pending: USR2 %d WINCH %d RTMIN+3 %d RTMIN+4 %d RTMIN+5 %d\n", sigismember(&left, SIGUSR2),
	       sigismember(&left, SIGWINCH), sigismember(&left, SIGRTMIN + 3), sigismember(&left, SIGRTMIN + 4),
	       sigismember(&left, SIGRTMIN + 5));
	return 0;
}
