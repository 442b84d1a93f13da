/* A program that keeps a data file of its own mapped shared and writable
 * and keeps writing it, as the JVM does with /tmp/hsperfdata_USER/PID:
 *   mapped_data FILE STEPS
 * maps FILE (created, one page), and each 0.1 s step increments a counter
 * in it, msyncs it and prints the step. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 4096))
		return 1;
	volatile long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (counter == MAP_FAILED)
		return 1;
	close(fd);
	for (int step = 0; step < atoi(argv[2]); step++) {
		struct timespec t = { 0, 100000000 };
		while (nanosleep(&t, &t))
			;
		(*counter)++;
		msync((void *)counter, 4096, MS_SYNC); /* the next write updates the mtime again */
		printf("step %d\n", step);
		fflush(stdout);
	}
	return 0;
}
