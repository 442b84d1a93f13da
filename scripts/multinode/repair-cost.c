/* repair-cost: what the two ways of dealing with a TCP connection between
 * two nodes cost, measured on one connection between two network
 * namespaces ("hosts") of this machine (docs/multi-node.md, "Measured").
 *
 *   repair-cost NS_A ADDR_A NS_B ADDR_B MIB [big]
 *
 * NS_A and NS_B are names under /run/netns (ip netns add), ADDR_A and
 * ADDR_B their IPv4 addresses. The end in B writes MIB MiB to the end in A,
 * which does not read (the bytes wait in A's receive queue and B's send
 * queue: what a stopped job holds in flight; A's receive buffer is the
 * kernel's, B's send buffer is made large enough; with `big` A's receive
 * buffer is too, and the bytes wait there), and A writes 1000 bytes that
 * B does not read. Then, each on a fresh connection:
 *
 *   drain   A reads every byte in flight into memory, B its 1000: what an
 *           MPI-layer (MANA) or marker (DMTCP) drain costs at the
 *           checkpoint, beyond agreeing that everything has been sent.
 *   repair  TCP_REPAIR (CRIU's way; needs CAP_NET_ADMIN in the sockets'
 *           network namespace): both ends put in repair mode, their
 *           sequence numbers, options, windows and both queues read
 *           ("dump"); both closed silently; two new sockets made in the
 *           same namespaces on the same addresses, put in repair mode, given
 *           the sequence numbers, connected without a handshake, the queues
 *           written back, repair mode off ("restore"). Then every byte is
 *           read and checked at the new ends ("resume"), and one more byte
 *           goes each way: the connection lives on.
 *
 * Prints one line per way: times in milliseconds. Own code, written for
 * this measurement; it is not part of tcp. Needs root (setns, TCP_REPAIR,
 * SO_RCVBUFFORCE). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BACK_BYTES 1000		/* A -> B, left unread */
#define BIG_BUF (64 << 20)	/* B's send buffer, and the new sockets': room for 16 MiB */

static int ns_a, ns_b, big_a;
static struct sockaddr_in addr_a, addr_b;

static void die(const char *what)
{
	fprintf(stderr, "repair-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Sockets belong to the network namespace their creator was in. */
static void enter(int ns)
{
	if (setns(ns, CLONE_NEWNET))
		die("setns");
}

/* Byte i of the stream from B to A, and of the one from A to B. */
static unsigned char b_byte(uint64_t i)
{
	return (unsigned char)(i * 2654435761u >> 13);
}

static unsigned char a_byte(uint64_t i)
{
	return (unsigned char)(i * 40503u >> 7) ^ 0x5a;
}

static void big_buffers(int fd)
{
	int v = BIG_BUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		die("SO_RCVBUFFORCE/SO_SNDBUFFORCE");
}

static int ioctl_int(int fd, unsigned long req)
{
	int v = 0;
	if (ioctl(fd, req, &v))
		die("ioctl SIOCINQ/SIOCOUTQ");
	return v;
}

/* Writes n bytes of gen(i) starting at byte `from` without blocking for
 * long: stops when no byte could go for 300 ms. Returns what went. */
static uint64_t push(int fd, unsigned char (*gen)(uint64_t), uint64_t from, uint64_t n)
{
	static unsigned char chunk[65536];
	uint64_t done = 0;
	while (done < n) {
		size_t len = n - done < sizeof(chunk) ? n - done : sizeof(chunk);
		for (size_t i = 0; i < len; i++)
			chunk[i] = gen(from + done + i);
		ssize_t w = send(fd, chunk, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			done += (uint64_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN)
			die("send");
		struct pollfd p = { fd, POLLOUT, 0 };
		if (poll(&p, 1, 300) == 0)
			break;
	}
	return done;
}

/* A connection from B to A, with `mib` MiB from B waiting at A and
 * BACK_BYTES from A waiting at B. */
static void connection(uint64_t mib, int *a, int *b)
{
	enter(ns_a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (big_a)
		big_buffers(l); /* the accepted socket inherits them */
	struct sockaddr_in la = addr_a;
	la.sin_port = 0;
	socklen_t len = sizeof(la);
	if (bind(l, (struct sockaddr *)&la, sizeof(la)) || listen(l, 1) || getsockname(l, (struct sockaddr *)&la, &len))
		die("listener in A");
	enter(ns_b);
	*b = socket(AF_INET, SOCK_STREAM, 0);
	/* A keeps the kernel's receive buffer (autotuned, tcp_rmem): what
	 * does not fit waits in B's send queue, made room for here. */
	big_buffers(*b);
	if (connect(*b, (struct sockaddr *)&la, sizeof(la)))
		die("connect from B to A");
	enter(ns_a);
	*a = accept(l, NULL, NULL);
	if (*a < 0)
		die("accept");
	close(l);
	uint64_t want = mib << 20;
	uint64_t went = push(*b, b_byte, 0, want);
	if (went != want) {
		fprintf(stderr, "repair-cost: only %llu of %llu bytes could be put in flight\n",
			(unsigned long long)went, (unsigned long long)want);
		exit(1);
	}
	if (push(*a, a_byte, 0, BACK_BYTES) != BACK_BYTES)
		die("A to B");
	/* Let the veth deliver what it can (a few ms at most). */
	usleep(100000);
}

/* Reads exactly n bytes (unchecked: see check, done outside the timing). */
static void take(int fd, unsigned char *buf, uint64_t n, const char *who)
{
	uint64_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r <= 0) {
			fprintf(stderr, "repair-cost: %s: the stream ended after %llu of %llu bytes\n", who,
				(unsigned long long)got, (unsigned long long)n);
			exit(1);
		}
		got += (uint64_t)r;
	}
}

/* The n bytes read must be gen(0..n-1). */
static void check(const unsigned char *buf, uint64_t n, unsigned char (*gen)(uint64_t), const char *who)
{
	for (uint64_t i = 0; i < n; i++)
		if (buf[i] != gen(i)) {
			fprintf(stderr, "repair-cost: %s: byte %llu is wrong\n", who, (unsigned long long)i);
			exit(1);
		}
}

/* What TCP_REPAIR lets one read of an established socket. */
struct end_state {
	struct sockaddr_in self, peer;
	uint32_t recv_seq, send_seq;	/* TCP_QUEUE_SEQ: the ends of the queues */
	int inq, outq, unsent;		/* SIOCINQ, SIOCOUTQ, SIOCOUTQNSD */
	unsigned char *rq, *sq;		/* the queues' bytes */
	struct tcp_info info;
	int mss;
	uint32_t tstamp;
	struct tcp_repair_window win;
	int have_win;
};

static void set_int(int fd, int level, int opt, int v, const char *what)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)))
		die(what);
}

/* Memory for the queues read, touched beforehand (a first touch costs
 * more than the copy on this VM: measured apart, as for the drain's). */
static unsigned char *pool;
static size_t pool_used, pool_len;

static unsigned char *pool_take(size_t n)
{
	if (pool_used + n + 1 > pool_len) {
		fprintf(stderr, "repair-cost: a queue holds more than expected\n");
		exit(1);
	}
	unsigned char *p = pool + pool_used;
	pool_used += n + 1;
	return p;
}

static unsigned char *peek_queue(int fd, int queue, int n, uint32_t *seq)
{
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, queue, "TCP_REPAIR_QUEUE");
	socklen_t len = sizeof(*seq);
	if (getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, seq, &len))
		die("TCP_QUEUE_SEQ (get)");
	unsigned char *buf = pool_take((size_t)n);
	/* A peek in repair mode reads the chosen queue from its start. */
	ssize_t r = n ? recv(fd, buf, (size_t)n, MSG_PEEK | MSG_DONTWAIT) : 0;
	if (r != n) {
		fprintf(stderr, "repair-cost: peek of a %s queue gave %zd of %d bytes\n",
			queue == TCP_RECV_QUEUE ? "receive" : "send", r, n);
		exit(1);
	}
	return buf;
}

static void dump_end(int fd, struct end_state *s)
{
	memset(s, 0, sizeof(*s));
	set_int(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on (needs CAP_NET_ADMIN)");
	socklen_t len = sizeof(s->self);
	getsockname(fd, (struct sockaddr *)&s->self, &len);
	len = sizeof(s->peer);
	getpeername(fd, (struct sockaddr *)&s->peer, &len);
	s->inq = ioctl_int(fd, SIOCINQ);
	s->outq = ioctl_int(fd, SIOCOUTQ);
	s->unsent = ioctl_int(fd, SIOCOUTQNSD);
	s->rq = peek_queue(fd, TCP_RECV_QUEUE, s->inq, &s->recv_seq);
	s->sq = peek_queue(fd, TCP_SEND_QUEUE, s->outq, &s->send_seq);
	len = sizeof(s->info);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &s->info, &len);
	len = sizeof(s->mss);
	getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &s->mss, &len);
	len = sizeof(s->tstamp);
	getsockopt(fd, IPPROTO_TCP, TCP_TIMESTAMP, &s->tstamp, &len);
	len = sizeof(s->win);
	s->have_win = getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &s->win, &len) == 0;
}

/* Writes n bytes into the queue chosen by TCP_REPAIR_QUEUE (repair mode:
 * nothing goes on the wire); the kernel takes a receive queue in pieces. */
static void fill_queue(int fd, const unsigned char *buf, int n)
{
	for (int done = 0; done < n;) {
		ssize_t w = send(fd, buf + done, (size_t)(n - done), 0);
		if (w <= 0)
			die("writing a queue in repair mode");
		done += (int)w;
	}
}

/* The end again, in the current network namespace, still in repair mode
 * (its unsent bytes are written later, with repair mode off). */
static int restore_end(const struct end_state *s)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	big_buffers(fd);
	set_int(fd, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_ON, "TCP_REPAIR on (needs CAP_NET_ADMIN)");
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	/* Where each queue starts: its end minus what it holds. The send
	 * queue starts at the oldest byte not acknowledged. */
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
	set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(s->recv_seq - (uint32_t)s->inq), "TCP_QUEUE_SEQ (recv)");
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
	set_int(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, (int)(s->send_seq - (uint32_t)s->outq), "TCP_QUEUE_SEQ (send)");
	if (bind(fd, (const struct sockaddr *)&s->self, sizeof(s->self)))
		die("bind in repair mode");
	if (connect(fd, (const struct sockaddr *)&s->peer, sizeof(s->peer))) /* no SYN: ESTABLISHED at once */
		die("connect in repair mode");
	struct tcp_repair_opt opts[4];
	int n = 0;
	opts[n++] = (struct tcp_repair_opt){ TCPOPT_MAXSEG, (uint32_t)s->mss };
	if (s->info.tcpi_options & TCPI_OPT_WSCALE)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						     s->info.tcpi_snd_wscale | (uint32_t)s->info.tcpi_rcv_wscale << 16 };
	if (s->info.tcpi_options & TCPI_OPT_SACK)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERMITTED, 0 };
	if (s->info.tcpi_options & TCPI_OPT_TIMESTAMPS)
		opts[n++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_OPTIONS, opts, (socklen_t)(n * sizeof(opts[0]))))
		die("TCP_REPAIR_OPTIONS");
	if (s->info.tcpi_options & TCPI_OPT_TIMESTAMPS)
		set_int(fd, IPPROTO_TCP, TCP_TIMESTAMP, (int)s->tstamp, "TCP_TIMESTAMP");
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
	fill_queue(fd, s->rq, s->inq);
	/* The sent part of the send queue goes back as sent (retransmitted if
	 * the peer never acknowledges it); the unsent part is written after
	 * repair mode, as a program would write it. */
	set_int(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
	fill_queue(fd, s->sq, s->outq - s->unsent);
	if (s->have_win && setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &s->win, sizeof(s->win)))
		die("TCP_REPAIR_WINDOW (set)");
	return fd; /* still in repair mode: see main */
}

/* Writes the unsent tail of an end's send queue with the repair mode off;
 * the other end reads meanwhile when it does not fit. */
static void write_unsent(int fd, const struct end_state *s, int reader, unsigned char *sink, uint64_t *sunk)
{
	const unsigned char *p = s->sq + (s->outq - s->unsent);
	for (int done = 0; done < s->unsent;) {
		ssize_t w = send(fd, p + done, (size_t)(s->unsent - done), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0) {
			done += (int)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN)
			die("writing the unsent bytes");
		ssize_t r = recv(reader, sink + *sunk, 1 << 20, MSG_DONTWAIT);
		if (r > 0)
			*sunk += (uint64_t)r;
		else
			usleep(1000);
	}
}

int main(int argc, char **argv)
{
	if (argc != 6 && !(argc == 7 && strcmp(argv[6], "big") == 0)) {
		fprintf(stderr, "usage: repair-cost NS_A ADDR_A NS_B ADDR_B MIB [big]\n");
		return 2;
	}
	big_a = argc == 7;
	char path[300];
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	ns_a = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/run/netns/%s", argv[3]);
	ns_b = open(path, O_RDONLY | O_CLOEXEC);
	if (ns_a < 0 || ns_b < 0)
		die("opening the network namespaces under /run/netns");
	addr_a.sin_family = addr_b.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[2], &addr_a.sin_addr) != 1 || inet_pton(AF_INET, argv[4], &addr_b.sin_addr) != 1) {
		fprintf(stderr, "repair-cost: addresses must be IPv4\n");
		return 2;
	}
	uint64_t mib = strtoull(argv[5], NULL, 10), n = mib << 20;
	unsigned char *sink = malloc(n + (1 << 20)), back[BACK_BYTES];
	pool_len = 2 * n + (4 << 20);
	pool = malloc(pool_len);
	if (!sink || !pool)
		die("malloc");
	memset(sink, 1, n + (1 << 20));
	memset(pool, 1, pool_len);

	/* drain */
	int a, b;
	connection(mib, &a, &b);
	int a_inq = ioctl_int(a, SIOCINQ), b_outq = ioctl_int(b, SIOCOUTQ);
	double t0 = now_ms();
	take(a, sink, n, "drain, at A");
	take(b, back, BACK_BYTES, "drain, at B");
	double t1 = now_ms();
	check(sink, n, b_byte, "drain, at A");
	check(back, BACK_BYTES, a_byte, "drain, at B");
	printf("drain  MiB=%llu%s in_A_recvq=%d in_B_sendq=%d drain_ms=%.2f\n", (unsigned long long)mib, big_a ? " big" : "", a_inq, b_outq,
	       t1 - t0);
	close(a);
	close(b);

	/* repair */
	connection(mib, &a, &b);
	struct end_state sa, sb;
	t0 = now_ms();
	enter(ns_a);
	dump_end(a, &sa);
	enter(ns_b);
	dump_end(b, &sb);
	t1 = now_ms();
	close(a); /* in repair mode: no FIN, no RST */
	close(b);
	double t2 = now_ms();
	enter(ns_a);
	int a2 = restore_end(&sa);
	enter(ns_b);
	int b2 = restore_end(&sb);
	/* Out of repair mode only once both ends exist: leaving it sends a
	 * window probe, which a namespace without the other end answers with
	 * a reset (CRIU keeps such packets out with a firewall rule). */
	set_int(a2, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF, "TCP_REPAIR off");
	set_int(b2, IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF, "TCP_REPAIR off");
	double t3 = now_ms();
	/* Resume: B's unsent bytes go now; A reads them all. */
	uint64_t got = 0;
	write_unsent(b2, &sb, a2, sink, &got);
	write_unsent(a2, &sa, b2, back, &(uint64_t){ 0 });
	take(a2, sink + got, n - got, "repair, at the new A");
	take(b2, back, BACK_BYTES, "repair, at the new B");
	double t4 = now_ms();
	check(sink, n, b_byte, "repair, at the new A");
	check(back, BACK_BYTES, a_byte, "repair, at the new B");
	unsigned char x = 7, y = 0;
	if (send(a2, &x, 1, 0) != 1 || recv(b2, &y, 1, 0) != 1 || y != 7 || send(b2, &x, 1, 0) != 1 ||
	    recv(a2, &y, 1, 0) != 1)
		die("one more byte each way after the repair");
	printf("repair MiB=%llu%s A_recvq=%d B_sendq=%d (unsent %d) dump_ms=%.2f restore_ms=%.2f resume_ms=%.2f ok\n",
	       (unsigned long long)mib, big_a ? " big" : "", sa.inq, sb.outq, sb.unsent, t1 - t0, t3 - t2, t4 - t3);
	close(a2);
	close(b2);
	return 0;
}
