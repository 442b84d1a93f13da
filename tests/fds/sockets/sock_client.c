/* sock_client: talks to a server that the test runs (tcp PORT, tcp6 PORT
 * or unix PATH): 30 requests, 100 ms apart, each answered with one line. When the
 * connection is lost it reconnects and asks again, saying so on stderr
 * only, so that stdout is the same with or without a lost connection. A
 * restored connection (TCP_SOCKETS=close) must report the loss the way a
 * real one does: ECONNRESET, EPIPE or the end of the stream, to a read
 * (each round starts with one) as to a write; anything else is printed on
 * stdout and makes the comparison fail. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_storage server;
static socklen_t server_len;

static void nap_ms(long ms)
{
	struct timespec t = { 0, ms * 1000000L }, rem;
	while (nanosleep(&t, &rem) && errno == EINTR)
		t = rem;
}

static int dial(void)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		int fd = socket(server.ss_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&server, server_len) == 0)
			return fd;
		if (fd >= 0)
			close(fd);
		nap_ms(100);
	}
	perror("connect");
	exit(1);
}

/* The connection is gone: check how it said so, then dial again. */
static int redial(int fd, int err)
{
	if (err != 0 && err != ECONNRESET && err != EPIPE)
		printf("unexpected error on the lost connection: %s\n", strerror(err));
	fprintf(stderr, "connection lost (%s), reconnecting\n", err ? strerror(err) : "end of stream");
	close(fd);
	return dial();
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sock_client tcp|tcp6 PORT | unix PATH\n");
		return 2;
	}
	if (!strcmp(argv[1], "tcp")) {
		struct sockaddr_in *a = (struct sockaddr_in *)&server;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)atoi(argv[2]));
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		server_len = sizeof(*a);
	} else if (!strcmp(argv[1], "tcp6")) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&server;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)atoi(argv[2]));
		a->sin6_addr = in6addr_loopback;
		server_len = sizeof(*a);
	} else {
		struct sockaddr_un *a = (struct sockaddr_un *)&server;
		a->sun_family = AF_UNIX;
		snprintf(a->sun_path, sizeof(a->sun_path), "%s", argv[2]);
		server_len = sizeof(*a);
	}
	int fd = dial();
	for (int i = 0; i < 30; i++) {
		char req[64], line[256];
		/* Is the connection still there? Nothing is due from the server
		 * now: a live connection says EAGAIN, a lost one reports how. */
		ssize_t n = recv(fd, line, sizeof(line), MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			fd = redial(fd, n < 0 ? errno : 0);
			i--;
			continue;
		}
		int len = snprintf(req, sizeof(req), "request %d\n", i);
		n = send(fd, req, (size_t)len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			n = send(fd, req, (size_t)len, MSG_NOSIGNAL);
		if (n != len) {
			fd = redial(fd, n < 0 ? errno : 0);
			i--;
			continue;
		}
		size_t got = 0;
		int lost = -1;
		while (got < sizeof(line) - 1 && (got == 0 || line[got - 1] != '\n')) {
			n = recv(fd, line + got, sizeof(line) - 1 - got, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				lost = n < 0 ? errno : 0;
				break;
			}
			got += (size_t)n;
		}
		if (lost >= 0) {
			fd = redial(fd, lost);
			i--;
			continue;
		}
		line[got] = 0;
		printf("%d: %s", i, line);
		fflush(stdout);
		nap_ms(100);
	}
	close(fd);
	printf("done\n");
	return 0;
}
