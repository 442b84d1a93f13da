/* For tests of what tcp refuses: runs /bin/sleep SECONDS (in a child the
 * caller forked) without libtcp. The exec wrappers of libtcp would keep it
 * (issue 20: every program of the tree carries libtcp), so the system call
 * is made directly, with an environment that lacks LD_PRELOAD: the child is
 * then a process of the tree that cannot be checkpointed, as a static or
 * setuid program would be. */
#ifndef TCP_TEST_WITHOUT_LIBTCP_H
#define TCP_TEST_WITHOUT_LIBTCP_H

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void exec_sleep_without_libtcp(const char *seconds)
{
	char *const argv[] = { "sleep", (char *)seconds, 0 };
	char *const envp[] = { "PATH=/usr/bin:/bin", 0 };
	syscall(SYS_execve, "/bin/sleep", argv, envp);
	_exit(127);
}

/* Forks a child that runs `sleep SECONDS` without libtcp, and returns its
 * pid only once it has exec'd: until then the child is a copy of the
 * caller, with libtcp, and a checkpoint of the tree would take it along
 * instead of refusing. The exec closes the pipe's write end (O_CLOEXEC). */
static inline pid_t spawn_sleep_without_libtcp(const char *seconds)
{
	int p[2];
	if (pipe(p) || fcntl(p[1], F_SETFD, FD_CLOEXEC))
		return -1;
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		exec_sleep_without_libtcp(seconds);
	}
	close(p[1]);
	char c;
	while (child > 0 && read(p[0], &c, 1) < 0)
		;
	close(p[0]);
	return child;
}

#endif
