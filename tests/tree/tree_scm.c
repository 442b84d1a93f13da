/* fds in flight (issue 20 item 3): a child sends its parent fds with
 * SCM_RIGHTS over a stream socket pair and keeps WINDOW messages queued
 * ahead of the parent, which reads them late; whenever a checkpoint comes,
 * messages with fds wait unread. What travels: a regular file at an offset
 * (the child keeps its own fd on the same open file and checks that the
 * parent's reads moved the offset both see), a memfd the child wrote and
 * closed, the read end of a pipe whose write end is closed (its bytes live
 * only in the pipe), now and then two fds in one message. The parent also
 * keeps a memfd in flight in a socket pair of its own (both ends in one
 * process), and a message with a memfd waits from the start to the end in
 * a socket whose other end is closed (inherited by the child too); with
 * "alone" there is no child, only these two.
 *   tree_scm [STEPS] [alone]
 * stdout is the same whatever happens to the checkpoints; the exit status
 * is the child's verdict. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WINDOW 4
#define DATA "scm_data.txt"

struct msg {
	int step, kind, nfds;
};

static void die(const char *what)
{
	fprintf(stderr, "tree_scm: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void send_fds(int sock, const struct msg *m, const int *fds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { (void *)m, sizeof(*m) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = CMSG_SPACE(m->nfds * sizeof(int)) };
	struct cmsghdr *ch = CMSG_FIRSTHDR(&h);
	ch->cmsg_level = SOL_SOCKET;
	ch->cmsg_type = SCM_RIGHTS;
	ch->cmsg_len = CMSG_LEN(m->nfds * sizeof(int));
	memcpy(CMSG_DATA(ch), fds, m->nfds * sizeof(int));
	while (sendmsg(sock, &h, 0) < 0)
		if (errno != EINTR)
			die("sendmsg");
}

/* One message and its fds (exactly m->nfds of them). */
static void recv_fds(int sock, struct msg *m, int *fds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	ssize_t n;
	while ((n = recvmsg(sock, &h, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			die("recvmsg");
	struct cmsghdr *ch = CMSG_FIRSTHDR(&h);
	if (n != sizeof(*m) || (h.msg_flags & MSG_CTRUNC) || !ch || ch->cmsg_type != SCM_RIGHTS ||
	    ch->cmsg_len != CMSG_LEN(m->nfds * sizeof(int))) {
		fprintf(stderr, "tree_scm: message of %zd bytes without its %d fds (flags %x)\n", n, m->nfds,
			h.msg_flags);
		exit(3);
	}
	memcpy(fds, CMSG_DATA(ch), m->nfds * sizeof(int));
}

static int memfd_with(const char *text)
{
	int fd = memfd_create("scm", MFD_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die("memfd");
	return fd;
}

/* What the parent reads through an fd it was sent: 12 bytes at the file's
 * own offset (which moves), everything else from where it is. */
static void show(int step, int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, 12);
	if (n < 0)
		die("read");
	char *nl;
	buf[n] = 0;
	while ((nl = strchr(buf, '\n')))
		*nl = '|';
	printf("step %d: '%s'", step, buf);
}

static int child(int sock, int steps)
{
	int keep[WINDOW + 1], bad = 0;
	for (int i = 0; i < steps; i++) {
		/* The parent acknowledges each message it read: stay WINDOW ahead. */
		if (i >= WINDOW) {
			int ack, j = i - WINDOW;
			if (read(sock, &ack, sizeof(ack)) != sizeof(ack) || ack != j)
				return 10;
			if (j % 3 == 0) {
				/* The parent read 12 bytes through the same open file. */
				off_t at = lseek(keep[j % (WINDOW + 1)], 0, SEEK_CUR);
				if (at != (off_t)(j * 5 + 12))
					bad++;
				close(keep[j % (WINDOW + 1)]);
			}
		}
		struct msg m = { i, i % 3, 1 };
		int fds[2], p[2];
		char text[64];
		snprintf(text, sizeof(text), "memfd %d\n", i);
		if (m.kind == 0) {
			fds[0] = open(DATA, O_RDONLY | O_CLOEXEC);
			if (fds[0] < 0 || lseek(fds[0], i * 5, SEEK_SET) < 0)
				die(DATA);
			keep[i % (WINDOW + 1)] = fds[0];
		} else if (m.kind == 1) {
			fds[0] = memfd_with(text);
			lseek(fds[0], 0, SEEK_SET);
		} else {
			if (pipe2(p, O_CLOEXEC))
				die("pipe");
			snprintf(text, sizeof(text), "pipe %d\n", i);
			if (write(p[1], text, strlen(text)) < 0)
				die("write");
			close(p[1]);
			fds[0] = p[0];
		}
		if (i % 5 == 4) { /* a second fd in the same message */
			fds[1] = memfd_with("second\n");
			lseek(fds[1], 0, SEEK_SET);
			m.nfds = 2;
		}
		send_fds(sock, &m, fds);
		if (m.kind != 0)
			close(fds[0]);
		if (m.nfds == 2)
			close(fds[1]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	int steps = argc > 1 ? atoi(argv[1]) : 250;
	int alone = argc > 2 && !strcmp(argv[2], "alone");
	setvbuf(stdout, NULL, _IOLBF, 0);
	int data = open(DATA, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (int i = 0; data >= 0 && i < steps * 5 + 64; i++)
		if (dprintf(data, "%c", 'a' + i % 26) < 0)
			die(DATA);
	if (data < 0 || close(data))
		die(DATA);

	int sv[2] = { -1, -1 }, self[2], orphan[2];
	if ((!alone && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, self) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, orphan))
		die("socketpair");
	struct msg m = { -1, 1, 1 };
	int fd = memfd_with("orphan\n");
	lseek(fd, 0, SEEK_SET);
	send_fds(orphan[1], &m, &fd);
	close(fd);
	close(orphan[1]);
	pid_t pid = -1;
	if (!alone) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(sv[0]);
			_exit(child(sv[1], steps));
		}
		close(sv[1]);
	}
	/* One memfd always in flight to ourselves. */
	m.step = 0;
	fd = memfd_with("self 0\n");
	send_fds(self[1], &m, &fd);
	close(fd);
	for (int i = 0; i < steps; i++) {
		usleep(12000);
		struct msg own;
		m.step = i + 1;
		char text[32];
		snprintf(text, sizeof(text), "self %d\n", i + 1);
		fd = memfd_with(text);
		send_fds(self[1], &m, &fd);
		close(fd);
		recv_fds(self[0], &own, &fd);
		char buf[32] = "";
		if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
			die("pread");
		close(fd);
		if (own.step != i || strncmp(buf, "self ", 5) || atoi(buf + 5) != i) {
			fprintf(stderr, "tree_scm: own message %d carries '%s'\n", own.step, buf);
			return 4;
		}
		if (alone) {
			printf("step %d: own memfd '%.*s'\n", i, (int)strcspn(buf, "\n"), buf);
			continue;
		}
		struct msg in;
		int fds[2];
		recv_fds(sv[0], &in, fds);
		if (in.step != i)
			return 5;
		show(i, fds[0]);
		if (in.nfds == 2) {
			printf(" +");
			show(i, fds[1]);
		}
		printf("\n");
		close(fds[0]);
		if (in.nfds == 2)
			close(fds[1]);
		/* The child reads all but the last WINDOW acks (then it is gone). */
		if (send(sv[0], &i, sizeof(i), MSG_NOSIGNAL) != sizeof(i) && i < steps - WINDOW)
			die("ack");
	}
	struct msg last;
	recv_fds(orphan[0], &last, &fd);
	printf("last: ");
	show(last.step, fd);
	printf("\n");
	if (alone)
		return 0;
	int status;
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	printf("child: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
