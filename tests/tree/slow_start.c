/* slow_start [N]: the root runs N children one after the other, each this
 * program exec'd again ("child I"), which spends 200 ms in a library
 * constructor before libtcp's own (slow_ctor.c), then exits with I % 7. A
 * checkpoint nearly always finds a child starting up; it must wait for it,
 * not refuse the tree. Prints each child's exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int slow_ctor_linked(void);

int main(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "child") == 0)
		return slow_ctor_linked() ? atoi(argv[2]) % 7 : 1;
	int n = argc > 1 ? atoi(argv[1]) : 20;
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char num[16];
			snprintf(num, sizeof(num), "%d", i);
			execl("/proc/self/exe", argv[0], "child", num, (char *)0);
			perror("exec");
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		printf("child %d: exit status %d\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		fflush(stdout);
	}
	printf("done\n");
	return 0;
}
