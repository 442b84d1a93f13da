/* Test program for refusals.sh: computes for about 2 s while holding what a
 * checkpoint must refuse:
 *   pipe_refuse plain        nothing (the reference output)
 *   pipe_refuse epoll-stale  an epoll registration of fd 7, whose file now
 *                            lives on as fd 8 only (dup2, close)
 *   pipe_refuse other-anon   a userfaultfd (an anonymous fd of another kind)
 *   pipe_refuse outside      nothing itself: the caller gives it fd 3 on a
 *                            pipe whose other end another process holds
 * Its output is the same whatever happens to the checkpoints. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "plain";
	if (!strcmp(mode, "epoll-stale")) {
		int p[2], ep = epoll_create1(0);
		if (pipe(p) || ep < 0 || dup2(p[0], 7) != 7)
			return 1;
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, 7, &ev) || dup2(7, 8) != 8 || close(7) || close(p[0]))
			return 1;
	} else if (!strcmp(mode, "other-anon")) {
		if (syscall(__NR_userfaultfd, O_CLOEXEC | 1 /* UFFD_USER_MODE_ONLY */) < 0) {
			perror("userfaultfd");
			return 77;
		}
	}
	double x = 0;
	for (int step = 0; step < 40; step++) {
		for (int i = 1; i < 100000; i++)
			x += 1.0 / ((double)i * i + step);
		usleep(50000);
	}
	printf("%.12f\n", x);
	return 0;
}
