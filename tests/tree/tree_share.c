/* What two processes of a tree share, in use at any moment a checkpoint
 * may come (issue 20 item 3): a parent and its child talk over a socket
 * pair with messages queued in both directions (the parent keeps three
 * pings ahead and reads the pongs late), a pipe carries numbers from the
 * parent to the child, both count in one MAP_SHARED page, and the child
 * writes a log through the open file description the parent opened before
 * the fork (one offset: the parent's footer lands after the child's lines).
 *   tree_share [STEPS]
 * stdout and share.log are the same whatever happens to the checkpoints. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WINDOW 3

struct msg {
	int step;
	long sum;
};

static int full(ssize_t (*io)(int, void *, size_t), int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = io(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static ssize_t wr(int fd, void *buf, size_t len)
{
	return write(fd, buf, len);
}

static int child(int sock, int in, int log, volatile int *counter, int steps)
{
	long sum = 0;
	for (int i = 0; i < steps; i++) {
		struct msg ping, pong;
		int value;
		if (full(read, sock, &ping, sizeof(ping)) || full(read, in, &value, sizeof(value)) || ping.step != i)
			return 1;
		sum += value;
		__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
		char line[64];
		int n = snprintf(line, sizeof(line), "child %d sum %ld\n", i, sum);
		if (full(wr, log, line, (size_t)n))
			return 1;
		usleep(15000);
		pong = (struct msg){ i, sum };
		if (full(wr, sock, &pong, sizeof(pong)))
			return 1;
	}
	int more;
	return read(in, &more, sizeof(more)) == 0 ? 42 : 2; /* the parent closed its end */
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 120;
	setvbuf(stdout, NULL, _IONBF, 0);
	int log = open("share.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	volatile int *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int sv[2], p[2];
	if (log < 0 || counter == MAP_FAILED || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p))
		return 1;
	if (write(log, "header\n", 7) != 7)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sv[0]);
		close(p[1]);
		_exit(child(sv[1], p[0], log, counter, steps));
	}
	close(sv[1]);
	close(p[0]);
	int sent = 0;
	for (int i = 0; i < steps; i++) {
		for (; sent < steps && sent <= i + WINDOW; sent++) {
			struct msg ping = { sent, 0 };
			int value = sent * 7 + 3;
			if (full(wr, p[1], &value, sizeof(value)) || full(wr, sv[0], &ping, sizeof(ping)))
				return 1;
			__atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
		}
		usleep(10000); /* the pongs wait in the queue meanwhile */
		struct msg pong;
		if (full(read, sv[0], &pong, sizeof(pong)) || pong.step != i)
			return 1;
		printf("pong %d: sum %ld\n", pong.step, pong.sum);
	}
	close(p[1]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child exited %d; counter %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, *counter);
	return write(log, "footer\n", 7) == 7 ? 0 : 1;
}
