/* Test program for the exec wrappers (preload/tree/exec_wrap.c): starts
 * itself again ("probe") through every exec function with an environment
 * that lacks LD_PRELOAD and the TCP_* variables, and the probe says whether
 * libtcp is loaded and what TCP_DIR it sees.
 *   exec_probe all     one line per way of exec'ing, in a fixed order
 *   exec_probe probe   "libtcp=yes|no root-mark=yes|no TCP_DIR=..." */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int probe(void)
{
	char line[4096];
	int loaded = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f))
		loaded |= strstr(line, "/libtcp.so") != NULL;
	if (f)
		fclose(f);
	const char *dir = getenv("TCP_DIR"), *root = getenv("TCP_ROOT_PROCESS");
	/* The root's mark: a program exec'd by a descendant is not the root. */
	printf("libtcp=%s root-mark=%s TCP_DIR=%s\n", loaded ? "yes" : "no", root ? "yes" : "no", dir ? dir : "(unset)");
	return 0;
}

static char self[4096];
static char *const probe_argv[] = { self, "probe", NULL };
static char *const clean_env[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
static char *const empty_env[] = { NULL };

static void run(const char *how)
{
	printf("%-14s ", how);
	fflush(stdout);
	pid_t pid;
	if (!strcmp(how, "posix_spawn") || !strcmp(how, "posix_spawnp")) {
		int (*spawn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
			     char *const[], char *const[]) = how[11] == 'p' ? posix_spawnp : posix_spawn;
		if (spawn(&pid, self, NULL, NULL, probe_argv, empty_env)) {
			printf("spawn failed\n");
			return;
		}
	} else {
		pid = fork();
		if (pid == 0) {
			if (!strcmp(how, "execve"))
				execve(self, probe_argv, empty_env);
			else if (!strcmp(how, "execle"))
				execle(self, self, "probe", (char *)NULL, clean_env);
			else if (!strcmp(how, "execvpe"))
				execvpe(self, probe_argv, clean_env);
			else if (!strcmp(how, "fexecve"))
				fexecve(open(self, O_RDONLY), probe_argv, empty_env);
			else if (!strcmp(how, "execveat"))
				execveat(AT_FDCWD, self, probe_argv, clean_env, 0);
			else if (!strcmp(how, "execv-unset")) {
				/* The program removed both from its own environment. */
				unsetenv("LD_PRELOAD");
				unsetenv("TCP_DIR");
				execv(self, probe_argv);
			} else if (!strcmp(how, "execl-clear")) {
				clearenv();
				execl(self, self, "probe", (char *)NULL);
			} else if (!strcmp(how, "vfork-execve")) {
				_exit(127); /* handled below */
			}
			_exit(127);
		}
	}
	int status;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		printf("exec failed (status %d)\n", status);
}

static void run_vfork(void)
{
	printf("%-14s ", "vfork-execve");
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		execve(self, probe_argv, empty_env);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "probe"))
		return probe();
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = 0;
	const char *ways[] = { "execve", "execle", "execvpe", "fexecve", "execveat", "execv-unset", "execl-clear",
			       "posix_spawn", "posix_spawnp" };
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++)
		run(ways[i]);
	run_vfork();
	return 0;
}
