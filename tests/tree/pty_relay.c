/* pty_relay: what mpirun does with its ranks' output (issue 21), small.
 *
 *   pty_relay tree [STEPS]   the parent makes a pseudo-terminal pair, forks a
 *                            child whose stdout is the slave end, and copies
 *                            what it reads from the master to its own stdout
 *   pty_relay self [STEPS]   one process holds both ends and relays to itself
 *   pty_relay tree STEPS slow  the parent reads only every 0.35 s, so that a
 *                            checkpoint finds the child's output unread in
 *                            the terminal
 *
 * The terminal is set raw as Open MPI sets it (no echo, no CR/LF mapping).
 * Each step prints a line whose value depends only on the step, so an
 * interrupted-and-restored run prints the same bytes. The tree ends when the
 * child exits: the master then reads EIO, and the parent reports the
 * child's status. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void make_raw(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &t)) {
		perror("tcgetattr");
		exit(1);
	}
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL | ICANON);
	t.c_oflag &= ~(tcflag_t)(ONLCR | OCRNL);
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR);
	if (tcsetattr(fd, TCSANOW, &t)) {
		perror("tcsetattr");
		exit(1);
	}
}

static double value(int step)
{
	double x = 1.0;
	for (int i = 0; i < 1000 + step; i++)
		x = x * 1.0000001 + 1e-9 * i;
	return x;
}

/* Copies what the master has to stdout; 0 at the end (EIO: no slave left). */
static int relay(int master)
{
	char buf[4096];
	ssize_t n = read(master, buf, sizeof(buf));
	if (n < 0 && errno == EIO)
		return 0;
	if (n < 0 && errno != EINTR) {
		perror("read master");
		exit(1);
	}
	if (n > 0 && fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
		exit(1);
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || (strcmp(argv[1], "tree") && strcmp(argv[1], "self"))) {
		fprintf(stderr, "usage: pty_relay tree|self [STEPS]\n");
		return 2;
	}
	int steps = argc > 2 ? atoi(argv[2]) : 40;
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("posix_openpt");
		return 1;
	}
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		perror("open slave");
		return 1;
	}
	make_raw(slave);
	if (!strcmp(argv[1], "self")) {
		for (int s = 1; s <= steps; s++) {
			dprintf(slave, "step %d value %.17g\n", s, value(s));
			relay(master);
			usleep(100000);
		}
		return 0;
	}
	pid_t child = fork();
	if (child == 0) {
		close(master);
		dup2(slave, 1);
		close(slave);
		for (int s = 1; s <= steps; s++) {
			printf("child step %d value %.17g\n", s, value(s));
			fflush(stdout);
			usleep(100000);
		}
		return 7;
	}
	close(slave);
	int slow = argc > 3 && !strcmp(argv[3], "slow");
	while (relay(master))
		if (slow)
			usleep(350000);
	int status;
	if (waitpid(child, &status, 0) != child) {
		perror("waitpid");
		return 1;
	}
	printf("child exited with %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
