/* Test program for ckpt_failures.sh: computes for a few seconds while
 * holding something tcp must refuse or that makes a checkpoint fail:
 *   obstacle pipe      fd 3 is a pipe to another process (the caller opens it:
 *                      obstacle pipe 3> >(cat >/dev/null))
 *   obstacle child     a live child process without libtcp, all along (60 s):
 *                      refused for good
 *                      with TCP_RETRY=0 (else retried until the program ends)
 *   obstacle heap N [STEPS]  N MiB of touched heap (to fill a small disk, or
 *                      to make checkpoints long), computing STEPS steps
 *   obstacle idle N STEPS  N MiB of random bytes, then STEPS steps of 0.1 s of sleep
 *                      (hardly any CPU time: for a CPU time limit that
 *                      only the image writer reaches)
 *   obstacle forked_timer  a forked child creates a POSIX timer (the id of
 *                      libtcp's TCP_INTERVAL one in the parent) and raises
 *                      SIGUSR1, which kills it: libtcp checkpoints only the
 *                      parent; then the parent computes
 *   obstacle sigflood  5000 instances of a blocked real-time signal queued
 *                      with values 0..4999: more than libtcp keeps; at the
 *                      end they must all come, in order (else exit 3)
 *   obstacle plain     nothing
 * Its output is the same whatever happens to the checkpoints. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../lib/without_libtcp.h"

int main(int argc, char **argv)
{
	struct stat st;
	pid_t child = -1;
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "pipe") && (fstat(3, &st) || !S_ISFIFO(st.st_mode))) {
		fprintf(stderr, "obstacle pipe: fd 3 must be a pipe to another process\n");
		return 1;
	}
	if (!strcmp(argv[1], "child")) {
		child = spawn_sleep_without_libtcp("60");
	}
	if (!strcmp(argv[1], "forked_timer")) {
		pid_t c = fork();
		if (c == 0) {
			struct sigevent sev = { .sigev_notify = SIGEV_NONE };
			timer_t t;
			if (timer_create(CLOCK_MONOTONIC, &sev, &t))
				_exit(1);
			raise(SIGUSR1);
			_exit(0);
		}
		if (c < 0 || waitpid(c, NULL, 0) != c)
			return 1;
	}
	int idle = !strcmp(argv[1], "idle");
	if ((!strcmp(argv[1], "heap") || idle) && argc > 2) {
		size_t n = (size_t)atol(argv[2]) << 20;
		unsigned char *p = malloc(n);
		unsigned long r = 1;
		for (size_t i = 0; i < n; i++) /* idle: random bytes, slow for zstd's high levels */
			p[i] = idle ? (unsigned char)((r = r * 6364136223846793005ul + 1) >> 56)
				    : (unsigned char)(i * 2654435761u >> 13);
	}
	int flood = !strcmp(argv[1], "sigflood");
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN + 6);
	if (flood) {
		sigprocmask(SIG_BLOCK, &rt, NULL);
		for (int v = 0; v < 5000; v++)
			if (sigqueue(getpid(), SIGRTMIN + 6, (union sigval){ .sival_int = v })) {
				perror("obstacle sigflood: sigqueue");
				return 1;
			}
	}
	int steps = ((!strcmp(argv[1], "heap") || idle) && argc > 3) ? atoi(argv[3]) : 40;
	volatile unsigned long x = 1;
	for (int step = 0; idle && step < steps; step++) {
		struct timespec t = { 0, 100000000 };
		while (nanosleep(&t, &t)) /* a checkpoint interrupts it */
			;
		printf("step %d\n", step);
		fflush(stdout);
	}
	for (int step = 0; !idle && step < steps; step++) {
		for (long i = 0; i < 40000000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
		printf("step %d %lu\n", step, x);
		fflush(stdout);
	}
	for (int v = 0; flood && v < 5000; v++) {
		siginfo_t si;
		struct timespec none = { 0, 0 };
		if (sigtimedwait(&rt, &si, &none) != SIGRTMIN + 6 || si.si_value.sival_int != v) {
			fprintf(stderr, "obstacle sigflood: instance %d of the queued signal is missing or out of order\n", v);
			return 3;
		}
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}
