/* pingpong: two programs with one TCP connection between them, one per
 * "host" (docs/multi-node.md, "Measured": each under its own tcp-run, a
 * checkpoint of either must be refused, naming the connection).
 *
 *   pingpong serve ADDR PORT STEPS     listens, accepts one connection
 *   pingpong connect ADDR PORT STEPS   connects (retrying for 10 s)
 *
 * Each step the server sends a counter, the client sends it back plus one;
 * both print the step, then sleep 100 ms (a sleep cut short by a
 * checkpoint's signal changes nothing). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void full(int fd, void *buf, size_t n, int out)
{
	for (size_t done = 0; done < n;) {
		ssize_t r = out ? write(fd, (char *)buf + done, n - done) : read(fd, (char *)buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die(out ? "write" : "read (connection closed?)");
		done += (size_t)r;
	}
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "serve") && strcmp(argv[1], "connect"))) {
		fprintf(stderr, "usage: pingpong serve|connect ADDR PORT STEPS\n");
		return 2;
	}
	int serve = argv[1][0] == 's';
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3])) };
	if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) {
		fprintf(stderr, "pingpong: %s is not an IPv4 address\n", argv[2]);
		return 2;
	}
	long steps = atol(argv[4]);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (serve) {
		int l = fd;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1))
			die("bind/listen");
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(l);
	} else {
		int tries = 0;
		while (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
			if (++tries == 100)
				die("connect");
			close(fd);
			fd = socket(AF_INET, SOCK_STREAM, 0);
			usleep(100000);
		}
	}
	for (long i = 0; i < steps; i++) {
		uint64_t v = (uint64_t)i * 3;
		if (serve) {
			full(fd, &v, sizeof(v), 1);
			full(fd, &v, sizeof(v), 0);
		} else {
			full(fd, &v, sizeof(v), 0);
			v++;
			full(fd, &v, sizeof(v), 1);
		}
		printf("step %ld value %llu\n", i, (unsigned long long)v);
		fflush(stdout);
		struct timespec t = { 0, 100000000 };
		while (nanosleep(&t, &t) && errno == EINTR)
			;
	}
	return 0;
}
