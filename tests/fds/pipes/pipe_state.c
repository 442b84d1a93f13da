/* Pipes and FIFOs whose both ends the program holds, with bytes sitting in
 * them at the checkpoint: a pipe with a raised capacity read through a
 * non-blocking end and written through two fds (dup), a FIFO opened three
 * times (two separate read descriptions, one of them non-blocking), and a
 * pipe whose write end was closed early (its reader must reach EOF after
 * the data), one whose read end was closed (writes fail with EPIPE), and a
 * packet-mode pipe (O_DIRECT: one read, one packet). Prints hashes of what it reads and, at the end, every end's
 * capacity and flags: all of it must survive a checkpoint and restore. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STEPS 60

static unsigned long hash(unsigned long h, const char *p, long n)
{
	for (long i = 0; i < n; i++)
		h = h * 1099511628211ul ^ (unsigned char)p[i];
	return h;
}

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(void)
{
	int a[2], b[2], c[2], e[2];
	if (pipe2(a, 0) || pipe2(b, 0) || pipe2(c, O_DIRECT | O_NONBLOCK) || pipe2(e, 0))
		die("pipe");
	if (fcntl(a[1], F_SETPIPE_SZ, 256 * 1024) < 0)
		die("F_SETPIPE_SZ");
	fcntl(a[0], F_SETFL, O_NONBLOCK);
	int a_dup = dup2(a[1], 20);
	unlink("fifo1");
	if (mkfifo("fifo1", 0640))
		die("mkfifo");
	int f_rd1 = open("fifo1", O_RDONLY | O_NONBLOCK);
	int f_wr = open("fifo1", O_WRONLY);
	int f_rd2 = open("fifo1", O_RDONLY);
	if (f_rd1 < 0 || f_wr < 0 || f_rd2 < 0)
		die("open fifo1");

	/* b: 20000 bytes, then its write end goes: read 300 a step, then EOF. */
	char buf[65536];
	for (int i = 0; i < 20000; i++)
		buf[i] = (char)('a' + i % 23);
	if (write(b[1], buf, 20000) != 20000)
		die("write b");
	close(b[1]);
	close(e[0]); /* e: a write end nobody reads */
	signal(SIGPIPE, SIG_IGN);

	unsigned long ha = 14695981039346656037ul, hf = ha, hb = ha, hc = ha;
	long got_a = 0, got_f = 0, got_b = 0, got_c = 0;
	for (int step = 0; step < STEPS; step++) {
		/* a: records of varying length; read back only every third step,
		 * so that kilobytes pile up. */
		int len = 500 + (step * 733) % 1500;
		for (int i = 0; i < len; i++)
			buf[i] = (char)(step * 31 + i);
		if (write(step % 2 ? a_dup : a[1], buf, (size_t)len) != len)
			die("write a");
		if (step % 3 == 2) {
			long n = read(a[0], buf, 1800);
			if (n > 0) {
				ha = hash(ha, buf, n);
				got_a += n;
			}
		}
		/* fifo1: a line a step, read every other step through one of the
		 * two read descriptions. */
		int l = snprintf(buf, sizeof(buf), "step %d says %d\n", step, step * step);
		if (write(f_wr, buf, (size_t)l) != l)
			die("write fifo1");
		if (step % 2) {
			long n = read(step % 4 == 1 ? f_rd1 : f_rd2, buf, 20);
			if (n > 0) {
				hf = hash(hf, buf, n);
				got_f += n;
			}
		}
		/* c: a packet in, a packet out, ten always queued. */
		for (int k = step ? 0 : -10; k < 1; k++) {
			int plen = 1 + (step * 97 + k * 1013 + 10130) % 3000;
			memset(buf, 'A' + (step + k + 26) % 26, (size_t)plen);
			if (write(c[1], buf, (size_t)plen) != plen)
				die("write c");
		}
		long pn = read(c[0], buf, sizeof(buf));
		if (pn > 0) {
			hc = hash(hc, (char *)&pn, sizeof(pn));
			got_c++;
		}
		long n = read(b[0], buf, 300);
		if (n > 0) {
			hb = hash(hb, buf, n);
			got_b += n;
		}
		if (step % 10 == 9)
			printf("step %d: a %ld bytes %016lx, fifo %ld bytes %016lx, b %ld bytes %016lx\n", step, got_a, ha,
			       got_f, hf, got_b, hb);
		fflush(stdout);
		usleep(50000);
	}
	/* Drain: what is left in a and the FIFO, b up to EOF. */
	long n;
	while ((n = read(a[0], buf, sizeof(buf))) > 0) {
		ha = hash(ha, buf, n);
		got_a += n;
	}
	printf("a drained: %ld bytes %016lx, then %s\n", got_a, ha, n < 0 && errno == EAGAIN ? "EAGAIN" : "??");
	fcntl(f_rd1, F_SETFL, 0);
	close(f_wr);
	while ((n = read(f_rd1, buf, sizeof(buf))) > 0) {
		hf = hash(hf, buf, n);
		got_f += n;
	}
	printf("fifo drained: %ld bytes %016lx, then %s\n", got_f, hf, n == 0 ? "EOF" : "??");
	while ((n = read(b[0], buf, sizeof(buf))) > 0) {
		hb = hash(hb, buf, n);
		got_b += n;
	}
	printf("b drained: %ld bytes %016lx, then %s\n", got_b, hb, n == 0 ? "EOF" : "??");
	while ((n = read(c[0], buf, sizeof(buf))) > 0) {
		hc = hash(hc, (char *)&n, sizeof(n));
		hc = hash(hc, buf, n);
		got_c++;
	}
	printf("c drained: %ld packets %016lx\n", got_c, hc);
	printf("e: write %s\n", write(e[1], "x", 1) < 0 && errno == EPIPE ? "EPIPE" : "??");
	printf("capacity a %d, b %d, fifo %d\n", fcntl(a[0], F_GETPIPE_SZ), fcntl(b[0], F_GETPIPE_SZ),
	       fcntl(f_rd2, F_GETPIPE_SZ));
	printf("flags a %o %o %o, fifo %o %o, b %o\n", fcntl(a[0], F_GETFL) & 07777777,
	       fcntl(a[1], F_GETFL) & 07777777, fcntl(a_dup, F_GETFL) & 07777777, fcntl(f_rd1, F_GETFL) & 07777777,
	       fcntl(f_rd2, F_GETFL) & 07777777, fcntl(b[0], F_GETFL) & 07777777);
	/* a's two write fds share one description: O_NONBLOCK on one shows on the other. */
	fcntl(a_dup, F_SETFL, O_NONBLOCK);
	printf("a shares its write description: %s\n", fcntl(a[1], F_GETFL) & O_NONBLOCK ? "yes" : "no");
	unlink("fifo1");
	return 0;
}
