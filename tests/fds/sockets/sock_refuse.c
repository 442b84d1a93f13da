/* sock_refuse MODE: holds a socket state that tcp cannot checkpoint (or,
 * with TCP_SOCKETS=close, only with a loss), for the refusal tests:
 *   accept-queue       a TCP listener with a connection not yet accepted
 *   unix-accept-queue  the same for a UNIX listener
 *   tcp-self           a TCP connection between two fds of this process
 *   scm-rights         a socketpair with an fd in flight (SCM_RIGHTS) of a kind
 *                      tcp cannot keep (a netlink socket, closed after sending)
 *   udp-queue          a bound UDP socket with a datagram waiting
 *   netlink            a netlink socket
 * Prints "ready", waits 2 s, prints "done". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
	struct timespec t = { 0, ms * 1000000L }, rem;
	while (nanosleep(&t, &rem) && errno == EINTR)
		t = rem;
}

static int tcp_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)a, sizeof(*a)) || listen(l, 4) || getsockname(l, (struct sockaddr *)a, &len))
		return -1;
	return l;
}

static int setup(const char *mode)
{
	struct sockaddr_in a;
	if (!strcmp(mode, "accept-queue") || !strcmp(mode, "tcp-self")) {
		int l = tcp_listener(&a), c = socket(AF_INET, SOCK_STREAM, 0);
		if (l < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			return -1;
		return !strcmp(mode, "tcp-self") && accept(l, NULL, NULL) < 0 ? -1 : 0;
	}
	if (!strcmp(mode, "unix-accept-queue")) {
		struct sockaddr_un u = { .sun_family = AF_UNIX };
		snprintf(u.sun_path + 1, sizeof(u.sun_path) - 1, "tcp-test-refuse-%d", (int)getpid());
		socklen_t len = sizeof(u);
		int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
		return bind(l, (struct sockaddr *)&u, len) || listen(l, 4) || connect(c, (struct sockaddr *)&u, len) ? -1 : 0;
	}
	if (!strcmp(mode, "scm-rights")) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -1;
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
		memcpy(CMSG_DATA(c), &nl, sizeof(int));
		return nl < 0 || sendmsg(sv[0], &m, 0) != 1 || close(nl) ? -1 : 0;
	}
	if (!strcmp(mode, "udp-queue")) {
		socklen_t len = sizeof(a);
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int u = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(u, (struct sockaddr *)&a, sizeof(a)) || getsockname(u, (struct sockaddr *)&a, &len))
			return -1;
		return sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof(a)) == 2 ? 0 : -1;
	}
	if (!strcmp(mode, "netlink"))
		return socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) < 0 ? -1 : 0;
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 2 || setup(argv[1])) {
		fprintf(stderr, "sock_refuse: bad mode or setup failed: %s\n", strerror(errno));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < 20; i++)
		nap_ms(100);
	printf("done\n");
	return 0;
}
