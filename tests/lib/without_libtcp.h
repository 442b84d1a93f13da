/* For tests of what tcp refuses: runs /bin/sleep SECONDS (in a child the
 * caller forked) without libtcp. The exec wrappers of libtcp would keep it
 * (issue 20: every program of the tree carries libtcp), so the system call
 * is made directly, with an environment that lacks LD_PRELOAD: the child is
 * then a process of the tree that cannot be checkpointed, as a static or
 * setuid program would be. */
#ifndef TCP_TEST_WITHOUT_LIBTCP_H
#define TCP_TEST_WITHOUT_LIBTCP_H

#include <sys/syscall.h>
#include <unistd.h>

static inline void exec_sleep_without_libtcp(const char *seconds)
{
	char *const argv[] = { "sleep", (char *)seconds, 0 };
	char *const envp[] = { "PATH=/usr/bin:/bin", 0 };
	syscall(SYS_execve, "/bin/sleep", argv, envp);
	_exit(127);
}

#endif
