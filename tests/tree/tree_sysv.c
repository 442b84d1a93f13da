/* A System V segment that a parent and its child both attach (UCX's sysv
 * transport between the ranks of an MPICH job, issue 21), in use at any
 * moment a checkpoint may come: the parent puts a number in it, the child
 * adds it to a sum it keeps there, the parent prints both. The segment is
 * removed (IPC_RMID) once both have it, as UCX does: nothing outlives a
 * kill -9.
 *   tree_sysv [STEPS [FDS [KIB]]]
 * FDS: the parent holds that many more fds (dups of /dev/null), so that it
 * reads its own state well after the child has; KIB: the child's memory
 * (compressible numbers), so that its image takes a while to write. The
 * parent stores the segment (first in the tree's order) and checks its
 * attachments late, while the child's forked writer, a copy of the child,
 * has it attached too: a checkpoint of the tree must take that writer for
 * one of the tree's own, not for a process outside it.
 * stdout is the same whatever happens to the checkpoints. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
	volatile long value;	/* the parent's, this step */
	volatile long sum;	/* the child's */
};

static int full_read(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Numbers as text: zstd works on them for a while. */
static char *ballast(long kib)
{
	size_t len = (size_t)kib << 10;
	char *p = malloc(len + 32);
	if (!p)
		return 0;
	unsigned long x = 12345;
	for (size_t i = 0; i < len; i += 8) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		snprintf(p + i, 9, "%08lu", (x >> 33) % 100000000ul);
	}
	return p;
}

static int child(struct shared *s, int in, int ack, long kib)
{
	char *keep = ballast(kib);
	if (!keep)
		return 1;
	long step;
	unsigned long h = 0;
	while (full_read(in, &step, sizeof(step)) == 0) {
		s->sum += s->value;
		h = h * 31 + (unsigned char)keep[(size_t)step * 4099 % ((size_t)kib << 10)];
		if (write(ack, &h, sizeof(h)) != sizeof(h))
			return 1;
	}
	return 42;
}

int main(int argc, char **argv)
{
	long steps = argc > 1 ? atol(argv[1]) : 150;
	long nfds = argc > 2 ? atol(argv[2]) : 3000;
	long kib = argc > 3 ? atol(argv[3]) : 8192;
	setvbuf(stdout, NULL, _IONBF, 0);
	int id = shmget(IPC_PRIVATE, 16 * 4096, IPC_CREAT | 0600);
	struct shared *s = id >= 0 ? shmat(id, NULL, 0) : (void *)-1;
	int down[2], up[2];
	if (s == (void *)-1 || pipe(down) || pipe(up)) {
		perror("tree_sysv: setup");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		_exit(child(s, down[0], up[1], kib));
	}
	close(down[0]);
	close(up[1]);
	shmctl(id, IPC_RMID, NULL); /* both have it now */
	int null = open("/dev/null", O_RDONLY);
	for (long i = 0; null >= 0 && i < nfds; i++)
		if (dup(null) < 0) {
			perror("tree_sysv: dup");
			return 1;
		}
	for (long i = 0; i < steps; i++) {
		s->value = i * 7 + 3;
		unsigned long h;
		if (write(down[1], &i, sizeof(i)) != sizeof(i) || full_read(up[0], &h, sizeof(h)))
			return 1;
		printf("step %ld: sum %ld hash %lx\n", i, s->sum, h);
		usleep(20000);
	}
	close(down[1]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("child exited %d; sum %ld\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, s->sum);
	return 0;
}
