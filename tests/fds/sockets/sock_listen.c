/* sock_listen: listening sockets (TCP over IPv4 and IPv6, UNIX on a path
 * and an abstract name) and bound datagram sockets (UDP, UNIX) across the
 * checkpoint. The program connects to each of its own listeners before and
 * after the checkpoint and prints what it exchanged, then checks that each
 * socket kept its address and options. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct sock {
	const char *name;
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void nap_ms(long ms)
{
	struct timespec t = { 0, ms * 1000000L }, rem;
	while (nanosleep(&t, &rem) && errno == EINTR)
		t = rem;
}

static void on(int fd, int level, int opt)
{
	int v = 1;
	if (setsockopt(fd, level, opt, &v, sizeof(v)))
		die("setsockopt");
}

static int get(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	getsockopt(fd, level, opt, &v, &len);
	return v;
}

static void make(struct sock *s, const char *name, int family, int type, const void *addr, socklen_t len,
		 int backlog)
{
	s->name = name;
	s->fd = socket(family, type, 0);
	if (s->fd < 0)
		die("socket");
	/* The TCP ports have connections in TIME_WAIT from round 0 when they
	 * are bound again at restore: like any server that restarts, they
	 * need SO_REUSEADDR. */
	if (type == SOCK_STREAM && family != AF_UNIX)
		on(s->fd, SOL_SOCKET, SO_REUSEADDR);
	if (family == AF_INET6) {
		on(s->fd, IPPROTO_IPV6, IPV6_V6ONLY);
		on(s->fd, SOL_SOCKET, SO_REUSEPORT);
	}
	if (bind(s->fd, addr, len))
		die("bind");
	if (backlog && listen(s->fd, backlog))
		die("listen");
	s->len = sizeof(s->addr);
	getsockname(s->fd, (struct sockaddr *)&s->addr, &s->len);
}

static ssize_t xrecv(int fd, char *buf, size_t n)
{
	ssize_t r;
	do
		r = recv(fd, buf, n, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Connects to the listener, accepts, exchanges one line each way. */
static void exchange(struct sock *l, int round)
{
	int c = socket(l->addr.ss_family, get(l->fd, SOL_SOCKET, SO_TYPE), 0);
	if (c < 0 || connect(c, (struct sockaddr *)&l->addr, l->len))
		die("connect");
	int a;
	do
		a = accept(l->fd, NULL, NULL);
	while (a < 0 && (errno == EINTR || errno == EAGAIN));
	if (a < 0)
		die("accept");
	char msg[64], got[64], back[64];
	snprintf(msg, sizeof(msg), "hello %s %d", l->name, round);
	send(c, msg, strlen(msg), 0);
	ssize_t n = xrecv(a, got, sizeof(got));
	snprintf(msg, sizeof(msg), "welcome %d", round);
	send(a, msg, strlen(msg), 0);
	ssize_t m = xrecv(c, back, sizeof(back));
	printf("%s round %d: server got \"%.*s\", client got \"%.*s\"\n", l->name, round, (int)(n > 0 ? n : 0), got,
	       (int)(m > 0 ? m : 0), back);
	close(a);
	close(c);
}

/* One datagram from `from` to the bound socket `to`. */
static void datagram(struct sock *to, int from, int round)
{
	char msg[64], got[64];
	snprintf(msg, sizeof(msg), "datagram %d to %s", round, to->name);
	if (send(from, msg, strlen(msg), 0) < 0)
		die("send datagram");
	ssize_t n = xrecv(to->fd, got, sizeof(got));
	printf("%s round %d: got \"%.*s\"\n", to->name, round, (int)(n > 0 ? n : 0), got);
}

int main(void)
{
	struct sock s[6];
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un path = { .sun_family = AF_UNIX }, abstract = { .sun_family = AF_UNIX },
			   dpath = { .sun_family = AF_UNIX };
	char cwd[64];
	if (!getcwd(cwd, sizeof(cwd)))
		die("getcwd (the work dir path must be short)");
	snprintf(path.sun_path, sizeof(path.sun_path), "%s/listen.sock", cwd);
	snprintf(dpath.sun_path, sizeof(dpath.sun_path), "%s/dgram.sock", cwd);
	snprintf(abstract.sun_path + 1, sizeof(abstract.sun_path) - 1, "tcp-test-listen-%d", (int)getpid());
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract.sun_path + 1);

	make(&s[0], "tcp4", AF_INET, SOCK_STREAM, &a4, sizeof(a4), 7);
	int have6 = 1;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	if (probe < 0 || bind(probe, (struct sockaddr *)&a6, sizeof(a6)))
		have6 = 0; /* no IPv6 loopback here: the output says the same in both runs */
	close(probe);
	if (have6)
		make(&s[1], "tcp6", AF_INET6, SOCK_STREAM, &a6, sizeof(a6), 5);
	unlink(path.sun_path);
	unlink(dpath.sun_path);
	make(&s[2], "unix-path", AF_UNIX, SOCK_STREAM, &path, sizeof(path), 3);
	make(&s[3], "unix-abstract", AF_UNIX, SOCK_SEQPACKET, &abstract, alen, 4);
	make(&s[4], "udp", AF_INET, SOCK_DGRAM, &a4, sizeof(a4), 0);
	make(&s[5], "unix-dgram", AF_UNIX, SOCK_DGRAM, &dpath, sizeof(dpath), 0);
	if (have6)
		fcntl(s[1].fd, F_SETFL, O_NONBLOCK);
	/* For sock_restore_refusals.sh, which takes the port at restore. */
	fprintf(stderr, "tcp4 port %d\n", ntohs(((struct sockaddr_in *)&s[0].addr)->sin_port));
	/* Datagram sockets connected to the bound ones. */
	int udp = socket(AF_INET, SOCK_DGRAM, 0), ud = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (connect(udp, (struct sockaddr *)&s[4].addr, s[4].len) || connect(ud, (struct sockaddr *)&s[5].addr, s[5].len))
		die("connect datagram");

	/* A connection through the UNIX listener that stays open across the
	 * checkpoint, with data waiting in both directions. */
	int held_c = socket(AF_UNIX, SOCK_STREAM, 0);
	if (held_c < 0 || connect(held_c, (struct sockaddr *)&s[2].addr, s[2].len))
		die("connect held");
	int held_a = accept(s[2].fd, NULL, NULL);
	if (held_a < 0)
		die("accept held");
	send(held_c, "to the server", 13, 0);
	send(held_a, "to the client", 13, 0);

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 4; i++)
			if (i != 1 || have6)
				exchange(&s[i], round);
		datagram(&s[4], udp, round);
		datagram(&s[5], ud, round);
		fflush(stdout);
		for (int t = 0; t < 32 && round == 0; t++)
			nap_ms(100);
	}

	for (int i = 0; i < 6; i++) {
		if (i == 1 && !have6)
			continue;
		struct sockaddr_storage now;
		socklen_t len = sizeof(now);
		getsockname(s[i].fd, (struct sockaddr *)&now, &len);
		printf("%s: same address %d, listening %d, reuseaddr %d, nonblock %d", s[i].name,
		       len == s[i].len && !memcmp(&now, &s[i].addr, len), get(s[i].fd, SOL_SOCKET, SO_ACCEPTCONN),
		       get(s[i].fd, SOL_SOCKET, SO_REUSEADDR) != 0, (fcntl(s[i].fd, F_GETFL) & O_NONBLOCK) != 0);
		if (i == 1)
			printf(", v6only %d, reuseport %d", get(s[i].fd, IPPROTO_IPV6, IPV6_V6ONLY),
			       get(s[i].fd, SOL_SOCKET, SO_REUSEPORT));
		printf("\n");
	}
	char got[64];
	ssize_t n = recv(held_a, got, sizeof(got), MSG_DONTWAIT);
	printf("held connection, server side: \"%.*s\"\n", (int)(n > 0 ? n : 0), got);
	n = recv(held_c, got, sizeof(got), MSG_DONTWAIT);
	printf("held connection, client side: \"%.*s\"\n", (int)(n > 0 ? n : 0), got);
	unlink(path.sun_path);
	unlink(dpath.sun_path);
	printf("done\n");
	return 0;
}
