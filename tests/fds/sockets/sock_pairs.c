/* sock_pairs: UNIX socketpairs (stream, datagram, seqpacket) with data
 * queued in both directions across the checkpoint. Every 100 ms one more
 * message goes in at one end and the oldest comes out at the other, so the
 * queues are never empty and change while an image is written. At the end
 * the rest of each queue is read (message boundaries and an empty datagram
 * show), and the shutdown state, O_NONBLOCK, buffer sizes, SO_PASSCRED with
 * its credentials, the peek offset and a pair whose other end was closed
 * are checked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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

static void put(int fd, const char *s)
{
	ssize_t n;
	do
		n = send(fd, s, strlen(s), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)strlen(s))
		die("send");
}

/* One message (or what a stream read returns), printed with its length. */
static int take(const char *name, int fd, size_t max)
{
	char buf[256];
	ssize_t n;
	if (max > sizeof(buf))
		max = sizeof(buf);
	do
		n = recv(fd, buf, max, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		printf("%s: %s\n", name, errno == EAGAIN ? "nothing more (EAGAIN)" : strerror(errno));
		return 0;
	}
	printf("%s: %zd bytes \"%.*s\"\n", name, n, (int)n, buf);
	return n > 0 ? 1 : 2;
}

static void drain(const char *name, int fd, int type)
{
	for (int i = 0; i < 64; i++) {
		int r = take(name, fd, type == SOCK_STREAM ? 7 : 64);
		if (r == 0 || (r == 2 && type != SOCK_DGRAM))
			return;
	}
}

int main(void)
{
	static const int types[3] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	static const char *names[3] = { "stream", "dgram", "seqpacket" };
	int sv[3][2];
	char msg[64];

	for (int t = 0; t < 3; t++) {
		if (socketpair(AF_UNIX, types[t], 0, sv[t]))
			die("socketpair");
		for (int i = 0; i < 4; i++) {
			snprintf(msg, sizeof(msg), "%s a>b %d", names[t], i);
			put(sv[t][0], msg);
			snprintf(msg, sizeof(msg), "%s b>a %d", names[t], i);
			put(sv[t][1], msg);
		}
	}
	/* An empty datagram in the middle of the queue. */
	if (send(sv[1][0], "", 0, 0) != 0)
		die("send empty");
	/* Options the program set. */
	int big = 65536, small = 20000, on = 1;
	setsockopt(sv[0][0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(sv[0][1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(sv[2][1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	fcntl(sv[1][1], F_SETFL, O_NONBLOCK);
	/* The app peeks itself: its peek offset must survive ours. */
	int peek = 3;
	setsockopt(sv[0][1], SOL_SOCKET, SO_PEEK_OFF, &peek, sizeof(peek));
	/* A pair whose other end is gone, with data still to read. */
	int orphan[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, orphan))
		die("socketpair");
	put(orphan[0], "last words");
	close(orphan[0]);
	/* Shut down: no more writing from a stream end, no more reading at a
	 * seqpacket end. */
	int half[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, half))
		die("socketpair");
	put(half[0], "before shutdown");
	shutdown(half[0], SHUT_WR);
	int noread[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, noread))
		die("socketpair");
	put(noread[0], "first packet");
	put(noread[0], "second packet");
	shutdown(noread[1], SHUT_RD);

	/* A large stream queue: 150000 bytes of a pattern. */
	static char bulk[150000];
	int large[2];
	for (size_t k = 0; k < sizeof(bulk); k++)
		bulk[k] = (char)(k * 7 + k / 251);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, large) || send(large[0], bulk, sizeof(bulk), 0) != (ssize_t)sizeof(bulk))
		die("large queue");

	for (int i = 0; i < 30; i++) {
		nap_ms(100);
		for (int t = 0; t < 3; t++) {
			snprintf(msg, sizeof(msg), "%s a>b %d", names[t], i + 4);
			put(sv[t][0], msg);
			snprintf(msg, sizeof(msg), "%d/%s", i, names[t]);
			if (types[t] == SOCK_STREAM)
				take(msg, sv[t][1], 13); /* one message's worth of the stream */
			else
				take(msg, sv[t][1], 64);
		}
		fflush(stdout);
	}

	/* What is left, in order. */
	char peeked[8];
	ssize_t pn = recv(sv[0][1], peeked, sizeof(peeked), MSG_PEEK | MSG_DONTWAIT);
	printf("peek at offset 3+: %zd \"%.*s\"\n", pn, (int)(pn > 0 ? pn : 0), peeked);
	for (int t = 0; t < 3; t++) {
		snprintf(msg, sizeof(msg), "rest %s b", names[t]);
		drain(msg, sv[t][1], types[t]);
		snprintf(msg, sizeof(msg), "rest %s a", names[t]);
		drain(msg, sv[t][0], types[t]);
	}
	unsigned long total = 0, sum = 0;
	for (;;) {
		char chunk[4096];
		ssize_t n = recv(large[1], chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n <= 0)
			break;
		for (ssize_t k = 0; k < n; k++)
			sum = sum * 31 + (unsigned char)chunk[k];
		total += (unsigned long)n;
	}
	printf("large queue: %lu bytes, checksum %lx\n", total, sum);
	drain("orphan", orphan[1], SOCK_STREAM);
	drain("half read", half[1], SOCK_STREAM);
	printf("half write: %s\n", send(half[0], "x", 1, MSG_NOSIGNAL) < 0 ? strerror(errno) : "accepted");
	printf("half back: %s\n", send(half[1], "y", 1, MSG_NOSIGNAL) == 1 ? "accepted" : strerror(errno));
	drain("half other way", half[0], SOCK_STREAM);
	drain("no-read end", noread[1], SOCK_SEQPACKET);
	printf("no-read end's peer sends: %s\n", send(noread[0], "x", 1, MSG_NOSIGNAL) < 0 ? strerror(errno) : "accepted");

	int v;
	socklen_t len = sizeof(v);
	getsockopt(sv[0][0], SOL_SOCKET, SO_SNDBUF, &v, &len);
	printf("sndbuf %d\n", v);
	getsockopt(sv[0][1], SOL_SOCKET, SO_RCVBUF, &v, &len);
	printf("rcvbuf %d\n", v);
	for (int t = 0; t < 3; t++) {
		int snd[2], rcv[2];
		for (int e = 0; e < 2; e++) {
			getsockopt(sv[t][e], SOL_SOCKET, SO_SNDBUF, &snd[e], &len);
			getsockopt(sv[t][e], SOL_SOCKET, SO_RCVBUF, &rcv[e], &len);
		}
		printf("%s buffers: a %d/%d, b %d/%d\n", names[t], snd[0], rcv[0], snd[1], rcv[1]);
	}
	getsockopt(sv[2][1], SOL_SOCKET, SO_PASSCRED, &v, &len);
	printf("passcred %d\n", v);
	getsockopt(sv[0][1], SOL_SOCKET, SO_PEEK_OFF, &v, &len);
	printf("peek offset %d\n", v);
	printf("nonblock %d %d\n", (fcntl(sv[1][1], F_GETFL) & O_NONBLOCK) != 0, (fcntl(sv[1][0], F_GETFL) & O_NONBLOCK) != 0);
	/* The credentials of a message queued before the checkpoint. */
	put(sv[2][0], "with creds");
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], data[32];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(sv[2][1], &m, MSG_DONTWAIT);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (n >= 0 && c && c->cmsg_type == SCM_CREDENTIALS) {
		struct ucred u;
		memcpy(&u, CMSG_DATA(c), sizeof(u));
		printf("creds message \"%.*s\": from this process %d\n", (int)n, data, u.pid == getpid());
	} else {
		printf("creds message: none (%zd)\n", n);
	}
	printf("done\n");
	return 0;
}
