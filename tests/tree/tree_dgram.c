/* Datagrams left unread between two processes across a checkpoint (issue
 * 21: MPICH with UCX, whose ranks each keep a wake-up byte from the other
 * unread on an unconnected datagram socket bound to an autobound abstract
 * name). A parent and its child each make such a socket after the fork
 * and tell the other its name over a pipe; then the child sends the
 * parent an empty datagram and a 00 byte, the parent sends the child a 00
 * byte, a text from an unnamed socket, then another text. Nobody reads
 * for STEPS x 20 ms (the checkpoints come then). The child then reads its
 * queue and checks each sender (the parent's name, unnamed), prints it,
 * sends "done" and exits; the parent waits for it, reads its own queue
 * the same way. Names are random: only the checks are printed. "self":
 * both sockets in one process, no child.
 *   tree_dgram [STEPS [self]]
 * stdout is the same whatever happens to the checkpoints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct name {
	struct sockaddr_un a;
	socklen_t len;
};

static void die(const char *what)
{
	fprintf(stderr, "tree_dgram: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int autobound(struct name *own)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	sa_family_t family = AF_UNIX;
	if (fd < 0 || bind(fd, (struct sockaddr *)&family, sizeof(family)))
		die("socket/autobind");
	own->len = sizeof(own->a);
	if (getsockname(fd, (struct sockaddr *)&own->a, &own->len) || own->len <= sizeof(sa_family_t) ||
	    own->a.sun_path[0] != 0)
		die("getsockname: not an abstract name");
	return fd;
}

static void send_to(int fd, const void *buf, size_t len, const struct name *to)
{
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)&to->a, to->len) != (ssize_t)len)
		die("sendto");
}

static int same(const struct name *n, const struct sockaddr_un *a, socklen_t len)
{
	return len == n->len && memcmp(a, &n->a, len) == 0;
}

/* Reads n datagrams and prints, for each, who sent it and what. */
static void read_queue(const char *who, int fd, int n, const struct name *own, const struct name *peer)
{
	struct name now;
	now.len = sizeof(now.a);
	getsockname(fd, (struct sockaddr *)&now.a, &now.len);
	printf("%s: still bound to its name: %s\n", who, same(own, &now.a, now.len) ? "yes" : "NO");
	for (int i = 0; i < n; i++) {
		char buf[256];
		struct sockaddr_un from;
		socklen_t flen = sizeof(from);
		ssize_t r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (r < 0) {
			printf("%s: datagram %d: none (%s)\n", who, i, strerror(errno));
			continue;
		}
		const char *sender = flen == 0 ? "unnamed" : same(peer, &from, flen) ? "the other process" : "SOMEONE ELSE";
		printf("%s: datagram %d from %s, %zd bytes:", who, i, sender, r);
		for (ssize_t k = 0; k < r; k++)
			printf(" %02x", (unsigned char)buf[k]);
		printf("\n");
	}
	char buf[16];
	printf("%s: queue empty afterwards: %s\n", who, recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 ? "yes" : "NO");
	fflush(stdout);
}

static void wait_steps(int steps)
{
	for (int i = 0; i < steps; i++)
		usleep(20000);
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 150;
	int to_child[2], to_parent[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char zero = 0;
	if (argc > 2 && !strcmp(argv[2], "self")) {
		struct name a, b;
		int fa = autobound(&a), fb = autobound(&b);
		send_to(fb, "", 0, &a);
		send_to(fb, &zero, 1, &a);
		send_to(fa, &zero, 1, &b);
		int unnamed = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (unnamed < 0)
			die("socket");
		send_to(unnamed, "from nobody", 11, &b);
		close(unnamed);
		send_to(fa, "second", 6, &b);
		wait_steps(steps);
		read_queue("child", fb, 3, &b, &a);
		send_to(fb, "done", 4, &a);
		read_queue("parent", fa, 3, &a, &b);
		printf("child exit status 0\n");
		return 0;
	}
	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	struct name own, peer;
	int fd = autobound(&own);
	int out = pid ? to_child[1] : to_parent[1], in = pid ? to_parent[0] : to_child[0];
	if (write(out, &own, sizeof(own)) != sizeof(own) || read(in, &peer, sizeof(peer)) != sizeof(peer))
		die("name exchange");
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	if (!pid) {
		send_to(fd, "", 0, &peer);
		send_to(fd, &zero, 1, &peer);
		wait_steps(steps);
		read_queue("child", fd, 3, &own, &peer);
		send_to(fd, "done", 4, &peer);
		return 0;
	}
	send_to(fd, &zero, 1, &peer);
	int unnamed = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (unnamed < 0)
		die("socket");
	send_to(unnamed, "from nobody", 11, &peer);
	close(unnamed);
	send_to(fd, "second", 6, &peer);
	wait_steps(steps);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	read_queue("parent", fd, 3, &own, &peer);
	printf("child exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
