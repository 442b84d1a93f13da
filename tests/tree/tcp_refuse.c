/* TCP connections of a tree that a checkpoint must refuse, with a clear
 * message, while the tree runs on (tcp_refusals.sh):
 *   tcp_refuse serve              a listener outside any tree: prints its
 *                                 port, accepts one connection, holds it 4 s
 *   tcp_refuse outside PORT       a child connects to that port
 *   tcp_refuse full               a child writes until the parent's receive
 *                                 buffer is full; the parent does not read
 *   tcp_refuse urgent             a child sends urgent data (MSG_OOB)
 * Each mode but serve prints "ready" once its state is set (stdout, then
 * stderr for the script), waits 2 s for the checkpoint, then ends the
 * child and prints "end". */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)a, sizeof(*a)) || listen(l, 1) || getsockname(l, (struct sockaddr *)a, &len))
		exit(1);
	return l;
}

static int dial(const struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a)))
		exit(1);
	return fd;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	struct sockaddr_in a;
	if (!strcmp(argv[1], "serve")) {
		int l = listener(&a);
		printf("%d\n", ntohs(a.sin_port));
		int c = accept(l, NULL, NULL);
		sleep(4);
		return c < 0;
	}
	int l = -1, sync[2];
	if (pipe(sync))
		return 1;
	if (!strcmp(argv[1], "outside")) {
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((uint16_t)atoi(argc > 2 ? argv[2] : "0"));
	} else {
		l = listener(&a);
	}
	pid_t pid = fork();
	if (pid == 0) {
		int fd = dial(&a);
		if (!strcmp(argv[1], "urgent") && (send(fd, "abc", 3, 0) != 3 || send(fd, "!", 1, MSG_OOB) != 1 ||
						   send(fd, "def", 3, 0) != 3))
			_exit(1);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		if (!strcmp(argv[1], "full")) {
			static char block[65536];
			for (;;)
				if (write(fd, block, sizeof(block)) < 0)
					_exit(1);
		}
		pause();
		_exit(0);
	}
	int c = l >= 0 ? accept(l, NULL, NULL) : -1;
	char x;
	if (read(sync[0], &x, 1) != 1)
		return 1;
	if (!strcmp(argv[1], "full"))
		sleep(1); /* the child fills both buffers meanwhile */
	printf("ready\n");
	fprintf(stderr, "ready\n");
	sleep(2);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("end\n");
	return c < -1;
}
