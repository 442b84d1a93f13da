/* fd_misc: the fd properties of issue 7 item 5 around a checkpoint.
 * - stderr is a dup of stdout (2>&1): one file, one offset;
 * - a file written alternately through two dup'ed fds (one offset);
 * - one file opened twice with O_APPEND;
 * - a directory opened O_PATH, used with fstatat/openat;
 * - a file written with O_DIRECT (where the file system allows it);
 * - /dev/urandom, /dev/full, /dev/zero;
 * - FD_CLOEXEC on some fds and not on others.
 * Every round prints what it saw; output files are compared too. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROUNDS 40
#define WORK_ITERS 50000000UL

static void die(const char *what)
{
	perror(what);
	exit(1);
}

int main(void)
{
	if (dup2(1, 2) < 0)
		die("dup2");
	int a = open("shared.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int b = dup(a);
	int ap1 = open("append.txt", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	int ap2 = open("append.txt", O_WRONLY | O_APPEND);
	int dir = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ur = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	int full = open("/dev/full", O_WRONLY);
	int zero = open("/dev/zero", O_RDONLY);
	if (a < 0 || b < 0 || ap1 < 0 || ap2 < 0 || dir < 0 || ur < 0 || full < 0 || zero < 0)
		die("open");
	if (fcntl(b, F_SETFD, FD_CLOEXEC))
		die("fcntl");
	int direct = open("direct.dat", O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (direct < 0 && errno != EINVAL)
		die("open direct.dat");
	void *block;
	if (posix_memalign(&block, 4096, 4096))
		die("posix_memalign");

	uint64_t x = 7, h = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned long i = 0; i < WORK_ITERS; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			h += x >> 61;
		}
		dprintf(round % 2 ? b : a, "round %02d via %s, work %016llx\n", round, round % 2 ? "dup" : "orig",
			(unsigned long long)h);
		dprintf(round % 2 ? ap2 : ap1, "append %02d from open #%d\n", round, round % 2 + 1);

		struct stat st;
		if (fstatat(dir, "shared.txt", &st, 0))
			die("fstatat");
		int rd = openat(dir, "append.txt", O_RDONLY | O_CLOEXEC);
		off_t apsize = rd >= 0 ? lseek(rd, 0, SEEK_END) : -1;
		if (rd >= 0)
			close(rd);

		int odirect = -1;
		if (direct >= 0) {
			memset(block, 'a' + round % 26, 4096);
			if (pwrite(direct, block, 4096, (off_t)round * 4096) != 4096)
				die("pwrite O_DIRECT");
			odirect = (fcntl(direct, F_GETFL) & O_DIRECT) != 0;
		}
		char rnd[16], zeros[8] = { 1 };
		ssize_t nr = read(ur, rnd, sizeof(rnd));
		ssize_t nz = read(zero, zeros, sizeof(zeros));
		errno = 0;
		ssize_t nf = write(full, "x", 1);
		int enospc = nf < 0 && errno == ENOSPC;

		printf("round %02d: shared.txt %lld bytes, offsets %lld/%lld, append.txt %lld bytes, "
		       "O_DIRECT %d, urandom %zd, zero %zd/%d, full ENOSPC %d, cloexec a=%d b=%d dir=%d, "
		       "append flag %d\n",
		       round, (long long)st.st_size, (long long)lseek(a, 0, SEEK_CUR), (long long)lseek(b, 0, SEEK_CUR),
		       (long long)apsize, odirect, nr, nz, zeros[0] == 0 && zeros[7] == 0, enospc,
		       fcntl(a, F_GETFD) & FD_CLOEXEC, fcntl(b, F_GETFD) & FD_CLOEXEC, fcntl(dir, F_GETFD) & FD_CLOEXEC,
		       (fcntl(ap1, F_GETFL) & O_APPEND) != 0);
		fflush(stdout);
		fprintf(stderr, "round %02d on stderr\n", round);
	}
	printf("done\n");
	return 0;
}
