/* Test program for restore_files.sh: runs for about 4 s in 40 steps and
 * writes a line per step to stdout and to two output files (fds 3 and 4):
 *   restore_files_prog plain OUT1 OUT2
 *   restore_files_prog deleted OUT1 OUT2 DIR   also holds DIR/scratch (256 KiB)
 *                                              open after unlinking it (fd 5)
 *   restore_files_prog shm OUT1 OUT2 NAME      also maps the POSIX shared memory
 *                                              object NAME (64 KiB), writes into
 *                                              it, and removes it at the end
 *   restore_files_prog fifo OUT1 OUT2 PATH     also makes the FIFO PATH and passes
 *                                              a byte through it every step
 *   restore_files_prog socket OUT1 OUT2 PATH   also listens on the UNIX socket PATH
 * Each line carries a value that depends on everything before it (and on the
 * scratch file's or the object's content), so a restored run that lost or
 * changed anything prints other lines. Exit status 0. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "plain") && argc < 5)) {
		fprintf(stderr, "usage: restore_files_prog plain|deleted|shm|fifo|socket OUT1 OUT2 [DIR|NAME|PATH]\n");
		return 2;
	}
	FILE *o1 = fopen(argv[2], "w"), *o2 = fopen(argv[3], "w");
	if (!o1 || !o2) {
		perror("open outputs");
		return 1;
	}
	int scratch = -1, fifo = -1;
	unsigned char *shm = NULL;
	if (!strcmp(argv[1], "deleted")) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/scratch", argv[4]);
		scratch = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unsigned char buf[4096];
		for (int i = 0; scratch >= 0 && i < 64; i++) {
			for (int k = 0; k < 4096; k++)
				buf[k] = (unsigned char)(i * 31 + k * 7);
			if (write(scratch, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				return 1;
		}
		if (scratch < 0 || unlink(path)) {
			perror("scratch file");
			return 1;
		}
	} else if (!strcmp(argv[1], "fifo")) {
		if (mkfifo(argv[4], 0600) || (fifo = open(argv[4], O_RDWR)) < 0) {
			perror("fifo");
			return 1;
		}
	} else if (!strcmp(argv[1], "socket")) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[4]);
		int l = socket(AF_UNIX, SOCK_STREAM, 0);
		if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 4)) {
			perror("socket");
			return 1;
		}
	} else if (!strcmp(argv[1], "shm")) {
		int fd = shm_open(argv[4], O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, 65536)) {
			perror("shm_open");
			return 1;
		}
		shm = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (shm == MAP_FAILED)
			return 1;
	}
	volatile uint64_t x = 88172645463325252ull;
	for (int step = 0; step < 40; step++) {
		for (long i = 0; i < 1000000; i++)
			x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* (a checkpoint interrupts it: that step is only shorter) */
		struct timespec t = { 0, 100000000 };
		nanosleep(&t, NULL);
		unsigned char b = 0;
		if (scratch >= 0 && pread(scratch, &b, 1, (off_t)(step * 4099) % 262144) != 1)
			return 1;
		if (fifo >= 0) {
			unsigned char c = (unsigned char)(x >> 3);
			if (write(fifo, &c, 1) != 1 || read(fifo, &b, 1) != 1)
				return 1;
		}
		if (shm) {
			shm[step * 1024] = (unsigned char)(x >> 7);
			for (int k = 0; k <= step; k++)
				b = (unsigned char)(b * 31 + shm[k * 1024]);
		}
		fprintf(o1, "step %d %llu %u\n", step, (unsigned long long)x, b);
		fflush(o1);
		fprintf(o2, "step %d %llu\n", step, (unsigned long long)(x ^ b));
		fflush(o2);
		printf("step %d\n", step);
		fflush(stdout);
	}
	if (shm)
		shm_unlink(argv[4]);
	if (fifo >= 0 || !strcmp(argv[1], "socket"))
		unlink(argv[4]);
	fclose(o1);
	fclose(o2);
	return 0;
}
