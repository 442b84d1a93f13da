/* Test program for ckpt_failures.sh: computes for a few seconds while
 * holding something tcp must refuse or that makes a checkpoint fail:
 *   obstacle pipe      a pipe on fd >= 3 whose write end another process
 *                      holds (a grandchild, so that it is no child of ours)
 *   obstacle child     a live child process
 *   obstacle heap N [STEPS]  N MiB of touched heap (to fill a small disk, or
 *                      to make checkpoints long), computing STEPS steps
 *   obstacle plain     nothing
 * Its output is the same whatever happens to the checkpoints. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fds[2];
	pid_t child = -1;
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "pipe")) {
		if (pipe(fds))
			return 1;
		pid_t self = getpid(), mid = fork();
		if (mid == 0) {
			if (fork() == 0) { /* holds the write end while we live */
				close(fds[0]);
				for (int fd = 0; fd < 3; fd++)
					close(fd);
				while (kill(self, 0) == 0)
					sleep(1);
			}
			_exit(0);
		}
		waitpid(mid, NULL, 0);
		close(fds[1]);
	}
	if (!strcmp(argv[1], "child")) {
		child = fork();
		if (child == 0) {
			sleep(60);
			_exit(0);
		}
	}
	if (!strcmp(argv[1], "heap") && argc > 2) {
		size_t n = (size_t)atol(argv[2]) << 20;
		unsigned char *p = malloc(n);
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(i * 2654435761u >> 13);
	}
	int steps = (!strcmp(argv[1], "heap") && argc > 3) ? atoi(argv[3]) : 40;
	volatile unsigned long x = 1;
	for (int step = 0; step < steps; step++) {
		for (long i = 0; i < 40000000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
		printf("step %d %lu\n", step, x);
		fflush(stdout);
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}
