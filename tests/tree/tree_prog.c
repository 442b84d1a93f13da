/* A process of a hand-built tree (restore_tree.sh): started on its own
 * under libtcp, checkpointed, killed; its image is then made a member of a
 * tree (make_tree_image) and restored with the others. It makes a log
 * file, a pipe, a socket pair and a shared anonymous page of its own, says
 * "ready", and waits for the file "go" (which the test makes before the
 * restore); then it says what it sees of the tree it was restored into.
 *
 * usage: tree_prog root|member
 *   root:   the log made (6 bytes: "start\n"); bytes left in its pipe and in
 *           one end of its socket pair; 7 in its shared page.
 *   member: the log opened at offset 6; its own empty pipe and pair; 5.
 * After "go" (pids in the file "pids": ROOT MEMBER ZOMBIE ROOTZOMBIE LEADER;
 * ZOMBIE and LEADER are zombie children of the member, in LEADER's group):
 *   root:   log "R\n"; "after" into the pipe, its ends closed; "ping" on
 *           its pair; 42 into the page; reaps its zombie and the member.
 *   member: reads the pipe to its end, the pair's "ping", waits for 42;
 *           log "M\n"; its parent, session, group, parent-death signal;
 *           its zombies' group; reaps them; exits 3. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { LOG_FD = 10, PIPE_R = 11, PIPE_W = 12, PAIR_A = 13, PAIR_B = 14 };

static volatile sig_atomic_t sigchld;
static void on_chld(int s)
{
	(void)s;
	sigchld++;
}

static void at(int fd, int want)
{
	if (fd != want && (dup2(fd, want) < 0 || close(fd) < 0)) {
		perror("dup2");
		exit(1);
	}
}

static void status_line(const char *who, const char *what, int status)
{
	if (WIFEXITED(status))
		printf("%s reaped %s: exit %d\n", who, what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("%s reaped %s: signal %d\n", who, what, WTERMSIG(status));
	else
		printf("%s reaped %s: status %#x\n", who, what, status);
}

static int reap(int pid, const char *who, const char *what)
{
	int status;
	if (waitpid(pid, &status, 0) != pid) {
		printf("%s cannot reap %s %d: %s\n", who, what, pid, strerror(errno));
		return -1;
	}
	status_line(who, what, status);
	return 0;
}

int main(int argc, char **argv)
{
	int root = argc > 1 && !strcmp(argv[1], "root");
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa = { .sa_handler = on_chld };
	sigaction(SIGCHLD, &sa, NULL);
	at(open("log", O_WRONLY | O_CREAT | (root ? O_TRUNC : 0), 0644), LOG_FD);
	if (root && write(LOG_FD, "start\n", 6) != 6)
		return 1;
	if (!root)
		lseek(LOG_FD, 6, SEEK_SET);
	int p[2], s[2];
	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		return 1;
	at(p[0], PIPE_R);
	at(p[1], PIPE_W);
	at(s[0], PAIR_A);
	at(s[1], PAIR_B);
	if (root && (write(PIPE_W, "from-R:", 7) != 7 || write(PAIR_B, "queued", 6) != 6))
		return 1;
	volatile int *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return 1;
	*page = root ? 7 : 5;
	printf("%s ready\n", root ? "R" : "M");
	while (access("go", F_OK))
		usleep(20000);

	int pids[5] = { 0 };
	FILE *f = fopen("pids", "r");
	if (!f || fscanf(f, "%d %d %d %d %d", &pids[0], &pids[1], &pids[2], &pids[3], &pids[4]) != 5)
		return 1;
	fclose(f);
	if (root) {
		printf("R stray SIGCHLD: %d\n", (int)sigchld);
		char got[16] = "";
		ssize_t n = recv(PAIR_A, got, sizeof(got) - 1, MSG_DONTWAIT);
		printf("R pair queue: %s\n", n > 0 ? got : "(empty)");
		if (write(LOG_FD, "R\n", 2) != 2 || write(PIPE_W, "after", 5) != 5)
			return 1;
		close(PIPE_W);
		close(PIPE_R);
		if (send(PAIR_A, "ping", 4, 0) != 4)
			return 1;
		*page = 42;
		reap(pids[3], "R", "its zombie");
		reap(pids[1], "R", "the member");
		printf("R SIGCHLD since: %s\n", sigchld ? "yes" : "no");
		printf("R done\n");
		return 0;
	}
	printf("M parent is the root: %s (%d)\n", getppid() == pids[0] ? "yes" : "no", (int)getppid());
	printf("M own session: %s, own group: %s\n", getsid(0) == getpid() ? "yes" : "no",
	       getpgid(0) == getpid() ? "yes" : "no");
	int pd = 0;
	prctl(PR_GET_PDEATHSIG, &pd);
	printf("M parent-death signal: %d\n", pd);
	printf("M zombies' group: the leader's own: %s, the other in it: %s\n", getpgid(pids[4]) == pids[4] ? "yes" : "no",
	       getpgid(pids[2]) == pids[4] ? "yes" : "no");
	close(PIPE_W);
	char buf[64];
	size_t len = 0;
	ssize_t n;
	while ((n = read(PIPE_R, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	printf("M pipe: %s\n", buf);
	n = recv(PAIR_B, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	printf("M pair: %s\n", buf);
	printf("M page not its own: %s\n", *page != 5 ? "yes" : "no");
	while (*page != 42)
		usleep(10000);
	if (write(LOG_FD, "M\n", 2) != 2)
		return 1;
	reap(pids[2], "M", "its zombie");
	reap(pids[4], "M", "its zombie leader");
	return 3;
}
