/* Signals in the children of a program under libtcp (issue 19, item 15):
 * libtcp checkpoints only the process started under it, so in a child it
 * forks, or a program a child executes, a SIGTERM or SIGUSR1
 * must do exactly what it does without libtcp. Each case forks a child,
 * waits until it is ready (a pipe), signals it and prints what became of
 * it; run with and without LD_PRELOAD, the output must be the same.
 *   child_signals            every case below
 *   child_signals timeout    a child that executes `child_signals sleep`, then
 *                            waits for it and prints how it ended (for
 *                            `timeout 1 child_signals timeout`)
 *   child_signals sleep FD   writes a byte to FD, closes it, sleeps forever
 *   child_signals restored   raises SIGUSR1 (a checkpoint under libtcp; its
 *                            own handler does nothing), computes for a few
 *                            seconds, then runs every case: restored by
 *                            cycle.sh, the restored process is the root
 *                            and the children it forks are not */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *self;

static void say_status(const char *name, int status)
{
	if (WIFSIGNALED(status))
		printf("%s: killed by signal %d\n", name, WTERMSIG(status));
	else
		printf("%s: exit %d\n", name, WEXITSTATUS(status));
	fflush(stdout);
}

static void on_term(int sig)
{
	/* The program's flags and mask: SIGUSR2 from sa_mask, the signal
	 * itself (no SA_NODEFER) blocked while it runs. */
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	_exit(sigismember(&now, SIGUSR2) && sigismember(&now, sig) ? 7 : 8);
}

static void on_usr1(int sig)
{
	(void)sig;
}

enum setup { DFL, HANDLER, IGNORE, BLOCK, INHERITED_BLOCK, EXEC };

/* The child: set up as asked, say "ready", then wait for the parent's
 * byte (the signal came before it); exit 0 if a blocked signal is pending. */
static void child(enum setup how, int sig, int ready, int go)
{
	if (how == HANDLER) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGUSR2);
		sigaction(sig, &sa, NULL);
	} else if (how == IGNORE) {
		signal(sig, SIG_IGN);
	} else if (how == BLOCK) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_BLOCK, &s, NULL);
	} else if (how == EXEC) {
		char fd[16];
		snprintf(fd, sizeof(fd), "%d", ready);
		execl(self, self, "sleep", fd, (char *)NULL);
		_exit(99);
	}
	char c = 'r';
	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		_exit(98);
	sigset_t pending;
	sigpending(&pending);
	_exit(sigismember(&pending, sig) ? 0 : 1);
}

/* raw: the child comes from the fork system call itself, without glibc's
 * fork handlers (as after vfork or clone). */
static void one_case(const char *name, enum setup how, int sig, int raw)
{
	int ready[2], go[2];
	if (pipe(ready) || pipe(go))
		exit(2);
	if (how == INHERITED_BLOCK) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_BLOCK, &s, NULL);
	}
	pid_t pid = raw ? (pid_t)syscall(SYS_fork) : fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		child(how, sig, ready[1], go[0]);
	}
	if (how == INHERITED_BLOCK) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, sig);
		sigprocmask(SIG_UNBLOCK, &s, NULL);
	}
	close(ready[1]);
	close(go[0]);
	char c;
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		exit(2);
	kill(pid, sig);
	if (write(go[1], "g", 1) != 1) { /* the child is gone already: fine */
	}
	close(go[1]);
	close(ready[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		exit(2);
	say_status(name, status);
}

int main(int argc, char **argv)
{
	self = argv[0];
	signal(SIGPIPE, SIG_IGN);
	if (argc > 2 && !strcmp(argv[1], "sleep")) {
		int fd = atoi(argv[2]);
		if (write(fd, "r", 1) != 1)
			return 2;
		close(fd);
		for (;;)
			pause();
	}
	if (argc > 1 && !strcmp(argv[1], "restored")) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
		signal(SIGUSR1, SIG_DFL);
		volatile unsigned long x = 1;
		for (int step = 0; step < 40; step++) {
			for (long i = 0; i < 40000000; i++)
				x = x * 6364136223846793005ul + 1442695040888963407ul;
			printf("step %d %lu\n", step, x);
			fflush(stdout);
		}
	}
	if (argc > 1 && !strcmp(argv[1], "timeout")) {
		int ready[2];
		if (pipe(ready))
			return 2;
		pid_t pid = fork();
		if (pid == 0)
			child(EXEC, SIGTERM, ready[1], -1);
		/* The parent outlives timeout's SIGTERM to report the child's end
		 * (run with TCP_STOP_SIGNAL=none: for a root under libtcp,
		 * SIGTERM would mean checkpoint the tree and stop). */
		signal(SIGTERM, SIG_IGN);
		close(ready[1]);
		char c;
		int status;
		if (read(ready[0], &c, 1) != 1 || waitpid(pid, &status, 0) != pid)
			return 2;
		say_status("child of a program stopped by timeout", status);
		return 0;
	}
	one_case("SIGTERM, default action", DFL, SIGTERM, 0);
	one_case("SIGTERM, handler", HANDLER, SIGTERM, 0);
	one_case("SIGTERM, ignored", IGNORE, SIGTERM, 0);
	one_case("SIGTERM, blocked (exit 0: pending)", BLOCK, SIGTERM, 0);
	one_case("SIGTERM, blocked before the fork (exit 0: pending)", INHERITED_BLOCK, SIGTERM, 0);
	one_case("SIGUSR1, default action", DFL, SIGUSR1, 0);
	one_case("SIGUSR1, handler", HANDLER, SIGUSR1, 0);
	one_case("SIGUSR1, blocked (exit 0: pending)", BLOCK, SIGUSR1, 0);
	one_case("SIGTERM, default action, raw fork", DFL, SIGTERM, 1);
	one_case("SIGUSR1, blocked before a raw fork (exit 0: pending)", INHERITED_BLOCK, SIGUSR1, 1);
	one_case("SIGTERM in an executed program", EXEC, SIGTERM, 0);
	return 0;
}
