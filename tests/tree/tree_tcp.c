/* Loopback TCP connections between processes of a tree, in use at any
 * moment a checkpoint may come (issue 20 item 3, the basis of MPI jobs):
 * a parent listens on 127.0.0.1 (port 0), forks two children that connect
 * to it, and each pair exchanges numbered messages of varying sizes both
 * ways, every side writing WINDOW messages ahead of what it reads, so that
 * bytes wait in both directions. The second child and the parent's end of
 * its connection are nonblocking (poll), with TCP_NODELAY; the first
 * connection has SO_KEEPALIVE. A third child connects to a second listener
 * (on ::1 where there is IPv6), sends a block and shuts its writing down at
 * once: the parent reads it only at the end, then answers. At the end the
 * first listener, still listening on its port, accepts a fifth child; a
 * fourth one holds a connection to the first child (two processes that are
 * not the root) that stays idle until the end;
 * every side checks that its addresses, O_NONBLOCK and options are what
 * they were.
 *   tree_tcp [STEPS]
 * stdout is the same whatever happens to the checkpoints. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WINDOW 4
#define MAXLEN 6000

struct head {
	uint32_t step, len;
};

/* Waits for fd to be ready when it is nonblocking. */
static int io_full(int fd, void *buf, size_t len, int out)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = out ? write(fd, (char *)buf + done, len - done) : read(fd, (char *)buf + done, len - done);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { fd, out ? POLLOUT : POLLIN, 0 };
			poll(&p, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint32_t fnv(uint32_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Message `step` from side `who`: its length and bytes. */
static uint32_t fill(int who, uint32_t step, unsigned char *buf)
{
	uint32_t len = 50 + (step * 37u + (uint32_t)who * 101u) % (MAXLEN - 50);
	for (uint32_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(step * 7u + i * 13u + (uint32_t)who);
	return len;
}

static int send_msg(int fd, int who, uint32_t step)
{
	static unsigned char buf[MAXLEN];
	struct head h = { step, fill(who, step, buf) };
	return io_full(fd, &h, sizeof(h), 1) || io_full(fd, buf, h.len, 1) ? -1 : 0;
}

static int recv_msg(int fd, uint32_t step, uint32_t *sum)
{
	static unsigned char buf[MAXLEN];
	struct head h;
	if (io_full(fd, &h, sizeof(h), 0) || h.step != step || h.len > MAXLEN || io_full(fd, buf, h.len, 0))
		return -1;
	*sum = fnv(*sum, buf, h.len);
	return 0;
}

/* Its addresses and options, to compare at the end. */
struct state {
	struct sockaddr_storage self, peer;
	int fl, nodelay, keepalive;
};

static void take_state(int fd, struct state *s)
{
	socklen_t len = sizeof(s->self);
	memset(s, 0, sizeof(*s));
	getsockname(fd, (struct sockaddr *)&s->self, &len);
	len = sizeof(s->peer);
	getpeername(fd, (struct sockaddr *)&s->peer, &len);
	s->fl = fcntl(fd, F_GETFL) & O_NONBLOCK;
	len = sizeof(int);
	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &s->nodelay, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &s->keepalive, &len);
}

static int same_state(int fd, const struct state *before)
{
	struct state now;
	take_state(fd, &now);
	return !memcmp(&now, before, sizeof(now));
}

/* One side's walk: write step i, read the other side's step i - WINDOW. */
static int exchange(int fd, int who, int steps, uint32_t *sum)
{
	for (int i = 0; i < steps + WINDOW; i++) {
		if (i < steps && send_msg(fd, who, (uint32_t)i))
			return -1;
		if (i >= WINDOW && recv_msg(fd, (uint32_t)(i - WINDOW), sum))
			return -1;
		usleep(8000);
	}
	return 0;
}

static int connect_to(const void *a, int nonblock)
{
	int family = ((const struct sockaddr *)a)->sa_family;
	int fd = socket(family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd < 0)
		return -1;
	socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (connect(fd, (const struct sockaddr *)a, len) && errno != EINPROGRESS)
		return -1;
	struct pollfd p = { fd, POLLOUT, 0 };
	poll(&p, 1, -1);
	int err = 0;
	len = sizeof(err);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err ? -1 : fd;
}

static int child(const struct sockaddr_in *at, int who, int steps, int sib)
{
	int fd = connect_to(at, who == 2);
	if (fd < 0)
		return 1;
	/* The first child: the connection from its sibling, idle until the end. */
	int idle = sib >= 0 ? accept(sib, NULL, NULL) : -1;
	if (sib >= 0 && (idle < 0 || close(sib)))
		return 1;
	int one = 1;
	if (who == 2)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	else
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	uint32_t id = (uint32_t)who, sum = 2166136261u;
	if (io_full(fd, &id, sizeof(id), 1))
		return 1;
	struct state st;
	take_state(fd, &st);
	if (exchange(fd, who, steps, &sum))
		return 2;
	char z = 'z', y = '-';
	if (idle >= 0 && (io_full(idle, &z, 1, 1) || io_full(idle, &y, 1, 0)))
		return 5;
	uint32_t end[3] = { sum, (uint32_t)same_state(fd, &st), (uint32_t)y };
	if (io_full(fd, end, sizeof(end), 1))
		return 3;
	char c;
	struct pollfd p = { fd, POLLIN, 0 };
	poll(&p, 1, -1);
	return read(fd, &c, 1) == 0 ? 40 + who : 4; /* the parent closed its end */
}

#define EARLY 5000

/* The fourth child: connected to the first, silent until the end (a killed
 * tree leaves this connection in TIME_WAIT on one side). */
static int idle_child(const struct sockaddr_in *at)
{
	int fd = connect_to(at, 0);
	char c;
	if (fd < 0 || io_full(fd, &c, 1, 0) || c != 'z')
		return 1;
	return io_full(fd, "y", 1, 1) ? 2 : 44;
}

/* The third child: a block, its writing shut down, then the answer. */
static int early_child(const struct sockaddr_storage *at)
{
	static unsigned char buf[EARLY];
	int fd = connect_to(at, 0);
	if (fd < 0)
		return 1;
	uint32_t len = fill(3, 77, buf), sum = 2166136261u;
	if (io_full(fd, buf, len, 1) || shutdown(fd, SHUT_WR))
		return 2;
	struct state st;
	take_state(fd, &st);
	ssize_t n;
	uint32_t got = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		sum = fnv(sum, buf, (size_t)n);
		got += (uint32_t)n;
	}
	/* Closed by now (no peer any more): its own address stays. */
	struct state now;
	take_state(fd, &now);
	printf("child 3 got %u bytes %08x after its shutdown, its address unchanged: %s\n", got, sum,
	       memcmp(&now.self, &st.self, sizeof(st.self)) ? "no" : "yes");
	return n == 0 ? 43 : 3;
}

/* A second listener: on ::1, or on 127.0.0.1 where there is no IPv6. */
static int second_listener(struct sockaddr_storage *at)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)at;
	struct sockaddr_in *a4 = (struct sockaddr_in *)at;
	socklen_t len = sizeof(*at);
	memset(at, 0, sizeof(*at));
	a6->sin6_family = AF_INET6;
	a6->sin6_addr = in6addr_loopback;
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	if (l >= 0 && !bind(l, (struct sockaddr *)a6, sizeof(*a6)) && !listen(l, 1) &&
	    !getsockname(l, (struct sockaddr *)at, &len))
		return l;
	if (l >= 0)
		close(l);
	memset(at, 0, sizeof(*at));
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(*at);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)a4, sizeof(*a4)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)at, &len))
		return -1;
	return l;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 300;
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(at);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof(at)) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&at, &alen))
		return 1;
	struct sockaddr_storage at2;
	int l2 = second_listener(&at2);
	if (l2 < 0)
		return 1;
	pid_t pids[4];
	pids[2] = fork();
	if (pids[2] == 0) {
		close(l);
		close(l2);
		_exit(early_child(&at2));
	}
	int early = accept(l2, NULL, NULL);
	if (early < 0)
		return 1;
	close(l2);
	struct sockaddr_in at3 = at;
	at3.sin_port = 0;
	alen = sizeof(at3);
	int l3 = socket(AF_INET, SOCK_STREAM, 0);
	if (l3 < 0 || bind(l3, (struct sockaddr *)&at3, sizeof(at3)) || listen(l3, 1) ||
	    getsockname(l3, (struct sockaddr *)&at3, &alen))
		return 1;
	for (int who = 1; who <= 4; who += who == 2 ? 2 : 1) {
		pids[who - 1] = fork();
		if (pids[who - 1] < 0)
			return 1;
		if (pids[who - 1] == 0) {
			close(l);
			close(early);
			if (who != 1)
				close(l3);
			_exit(who == 4 ? idle_child(&at3) : child(&at, who, steps, who == 1 ? l3 : -1));
		}
	}
	close(l3);
	int conn[3] = { -1, -1, -1 };
	for (int n = 0; n < 2; n++) {
		int fd = accept(l, NULL, NULL);
		uint32_t id;
		if (fd < 0 || io_full(fd, &id, sizeof(id), 0) || id < 1 || id > 2)
			return 1;
		conn[id] = fd;
	}
	fcntl(conn[2], F_SETFL, fcntl(conn[2], F_GETFL) | O_NONBLOCK);
	int one = 1;
	setsockopt(conn[2], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct state st[3];
	take_state(conn[1], &st[1]);
	take_state(conn[2], &st[2]);
	printf("parent: 2 children connected\n");

	/* Both children at once: step i to each, then step i - WINDOW from each. */
	uint32_t sum[3] = { 0, 2166136261u, 2166136261u };
	for (int i = 0; i < steps + WINDOW; i++) {
		for (int c = 1; c <= 2; c++)
			if (i < steps && send_msg(conn[c], 10 + c, (uint32_t)i))
				return 2;
		for (int c = 1; c <= 2; c++)
			if (i >= WINDOW && recv_msg(conn[c], (uint32_t)(i - WINDOW), &sum[c]))
				return 3;
		if (i >= WINDOW && (i - WINDOW) % 50 == 49)
			printf("step %d: from child 1 %08x, from child 2 %08x\n", i - WINDOW, sum[1], sum[2]);
		usleep(8000);
	}
	for (int c = 1; c <= 2; c++) {
		uint32_t end[3];
		if (io_full(conn[c], end, sizeof(end), 0))
			return 4;
		printf("child %d received %08x, its connection unchanged: %s; parent's end unchanged: %s\n", c, end[0],
		       end[1] ? "yes" : "no", same_state(conn[c], &st[c]) ? "yes" : "no");
		if (c == 1)
			printf("child 1's idle connection from child 4 answered '%c'\n", (char)end[2]);
		close(conn[c]);
	}
	/* The third child's block waited since the start, with its end. */
	static unsigned char block[EARLY];
	uint32_t bsum = 2166136261u, blen = 0;
	ssize_t n;
	while ((n = read(early, block, sizeof(block))) > 0) {
		bsum = fnv(bsum, block, (size_t)n);
		blen += (uint32_t)n;
	}
	printf("child 3 sent %u bytes %08x and shut down\n", blen, bsum);
	uint32_t alen3 = fill(4, 5, block);
	if (n < 0 || io_full(early, block, alen3, 1))
		return 7;
	close(early);
	for (int i = 0; i < 4; i++) {
		int status, c = (i + 2) % 4; /* the third first: it prints before it exits */
		if (waitpid(pids[c], &status, 0) != pids[c])
			return 5;
		printf("child %d exited %d\n", c + 1, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	/* The listener still listens on its port. */
	struct sockaddr_in now;
	alen = sizeof(now);
	getsockname(l, (struct sockaddr *)&now, &alen);
	pid_t late = fork();
	if (late == 0) {
		close(l);
		int fd = connect_to(&at, 0);
		_exit(fd >= 0 && write(fd, "late", 4) == 4 ? 0 : 1);
	}
	int fd = accept(l, NULL, NULL);
	char word[5] = "";
	int status;
	if (fd < 0 || io_full(fd, word, 4, 0) || waitpid(late, &status, 0) != late)
		return 6;
	printf("listener on the same port: %s; a late child connected and said '%s', exited %d\n",
	       now.sin_port == at.sin_port ? "yes" : "no", word, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
