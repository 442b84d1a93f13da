/* Benchmark baseline: read FILE into freshly mapped anonymous memory.
 *   readfresh FILE
 * What an eager restore cannot avoid on a VM where fresh memory is costly:
 * dd reuses one buffer, a restore fills memory the process never had. The
 * memory is populated in one call (MADV_POPULATE_WRITE), then read into in
 * 8 MiB reads. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: readfresh FILE\n");
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	size_t len = st.st_size;
	char *mem = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("readfresh: mmap");
		return 1;
	}
	madvise(mem, len, 23 /* MADV_POPULATE_WRITE */);
	for (size_t off = 0; off < len;) {
		size_t want = len - off < (8u << 20) ? len - off : (8u << 20);
		ssize_t n = read(fd, mem + off, want);
		if (n <= 0) {
			perror("readfresh: read");
			return 1;
		}
		off += n;
	}
	return 0;
}
