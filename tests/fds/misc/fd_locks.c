/* fd_locks: holds an flock, fcntl (POSIX) locks and an open-file-description
 * lock across the checkpoint. Every round a child process tries to take
 * conflicting and non-conflicting locks and reports what it could take:
 * after a restore the program must still hold exactly the same locks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 30
#define WORK_ITERS 60000000UL

static int try_fcntl(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl) == 0;
}

/* In a child: which of the probes succeed (bit set = could lock). */
static int probe(void)
{
	int bits = 0;
	int f = open("locks.dat", O_RDWR);
	int g = open("locks2.dat", O_RDWR);
	int h = open("locks3.dat", O_RDWR);
	if (f < 0 || g < 0 || h < 0)
		return 255;
	bits |= (flock(f, LOCK_SH | LOCK_NB) == 0) << 0;	      /* exclusive flock held: no */
	bits |= try_fcntl(g, F_SETLK, F_WRLCK, 15, 2) << 1;	      /* inside the write lock: no */
	bits |= try_fcntl(g, F_SETLK, F_WRLCK, 50, 10) << 2;	      /* unlocked gap: yes */
	bits |= try_fcntl(g, F_SETLK, F_RDLCK, 200, 1) << 3;	      /* shared read lock: yes */
	bits |= try_fcntl(g, F_SETLK, F_WRLCK, 5000, 1) << 4;	      /* read lock to EOF: no */
	bits |= try_fcntl(h, F_OFD_SETLK, F_WRLCK, 0, 1) << 5;	      /* OFD read lock: no */
	bits |= try_fcntl(h, F_OFD_SETLK, F_RDLCK, 0, 1) << 6;	      /* shared: yes */
	return bits;
}

int main(void)
{
	int f = open("locks.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int g = open("locks2.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	int h = open("locks3.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (f < 0 || g < 0 || h < 0) {
		perror("open");
		return 1;
	}
	if (flock(f, LOCK_EX | LOCK_NB) || !try_fcntl(g, F_SETLK, F_WRLCK, 10, 20) ||
	    !try_fcntl(g, F_SETLK, F_RDLCK, 100, 0) || !try_fcntl(h, F_OFD_SETLK, F_RDLCK, 0, 5)) {
		perror("lock");
		return 1;
	}
	uint64_t x = 3, s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned long i = 0; i < WORK_ITERS; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			s += x >> 62;
		}
		pid_t c = fork();
		if (c == 0)
			_exit(probe());
		int status = 0;
		if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status)) {
			perror("probe");
			return 1;
		}
		printf("round %02d: probe %02x, work %llu\n", round, WEXITSTATUS(status), (unsigned long long)s);
		fflush(stdout);
	}
	/* Give the locks up and check that they really were ours. */
	flock(f, LOCK_UN);
	try_fcntl(g, F_SETLK, F_UNLCK, 0, 0);
	try_fcntl(h, F_OFD_SETLK, F_UNLCK, 0, 0);
	pid_t c = fork();
	if (c == 0)
		_exit(probe());
	int status = 0;
	waitpid(c, &status, 0);
	printf("after unlock: probe %02x\n", WEXITSTATUS(status));
	return 0;
}
