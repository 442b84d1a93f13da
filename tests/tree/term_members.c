/* The stop signal sent from outside the tree to some of its members only
 * (term_members.sh): the root is not signalled, so no stop checkpoint
 * comes, and each member takes the signal as it would without libtcp.
 *   term_members READY_FILE
 * The parent (the root) forks four workers, each waiting on a pipe until
 * its end (EOF):
 *   A  the default action for SIGTERM
 *   B  its own SIGTERM handler, which says so and exits 3
 *   D  SIGTERM ignored; exits 4 at EOF
 *   E  executes `sleep 60` (libtcp loaded by exec, not by fork)
 * Each checks first that sigaction() shows its own action. Once A, B and D
 * are set up and E runs sleep, the parent writes "A B D E" (their pids)
 * into READY_FILE for the test, which sends them SIGTERM, then reaps B, A
 * and E, closes the pipe, reaps D, and prints how each ended (B first: its
 * handler's line comes before B ends). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig)
{
	(void)sig;
	static const char msg[] = "B: its SIGTERM handler ran\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(5);
	_exit(3);
}

/* The action sigaction() reports must be the program's own. */
static void expect_action(const char *name, void (*want)(int))
{
	struct sigaction now;
	if (sigaction(SIGTERM, NULL, &now) || now.sa_handler != want) {
		printf("%s: sigaction() does not show its own action for SIGTERM\n", name);
		fflush(stdout);
		_exit(6);
	}
}

static int ready[2];

static pid_t worker(char which, int pipe_in, int pipe_out)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	close(pipe_out);
	close(ready[0]);
	if (which == 'B') {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		expect_action("B", on_term);
	} else if (which == 'D') {
		signal(SIGTERM, SIG_IGN);
		expect_action("D", SIG_IGN);
	} else if (which == 'E') {
		execl("/bin/sleep", "sleep", "60", (char *)NULL);
		_exit(7);
	} else {
		expect_action("A", SIG_DFL);
	}
	char c = which;
	if (write(ready[1], &c, 1) != 1)
		_exit(8);
	close(ready[1]);
	while (read(pipe_in, &c, 1) > 0)
		;
	_exit(which == 'D' ? 4 : 0);
}

static void say(const char *name, pid_t pid)
{
	int status;
	if (waitpid(pid, &status, 0) != pid)
		printf("%s: waitpid failed\n", name);
	else if (WIFSIGNALED(status))
		printf("%s: killed by signal %d\n", name, WTERMSIG(status));
	else
		printf("%s: exit %d\n", name, WEXITSTATUS(status));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int p[2];
	if (pipe(p) || pipe(ready))
		return 2;
	pid_t a = worker('A', p[0], p[1]), b = worker('B', p[0], p[1]), d = worker('D', p[0], p[1]),
	      e = worker('E', p[0], p[1]);
	close(p[0]);
	close(ready[1]);
	char c;
	for (int i = 0; i < 3; i++)
		if (read(ready[0], &c, 1) != 1)
			return 2;
	/* E is ready once it runs sleep (its own command name). */
	char path[64], comm[32] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)e);
	for (int i = 0; i < 500 && strcmp(comm, "sleep\n"); i++) {
		FILE *f = fopen(path, "r");
		if (!f || !fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		if (f)
			fclose(f);
		usleep(10000);
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return 2;
	fprintf(f, "%d %d %d %d\n", (int)a, (int)b, (int)d, (int)e);
	if (fclose(f) || rename(tmp, argv[1]))
		return 2;
	say("B", b);
	say("A", a);
	say("E", e);
	close(p[1]);
	say("D", d);
	return 0;
}
