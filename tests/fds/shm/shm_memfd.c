/* memfd: one kept open (sealable, sealed against shrinking and growing,
 * mapped twice, read through an extra read-only fd with its own offset, a
 * hole in the middle), one closed right after mmap (the common case), one
 * not sealable. Every step writes through one view and checks the others;
 * the end prints what the restored objects hold. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096
#define SIZE_A (64 * PAGE)	/* pages 0-3 used, 4-59 a hole, 60-63 used */
#define SIZE_B (8 * PAGE)

int main(void)
{
	int a = memfd_create("tcp-test-a", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	CHECK(a >= 0, "memfd_create");
	CHECK(ftruncate(a, SIZE_A) == 0, "ftruncate");
	char *a1 = mmap(NULL, SIZE_A, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	char *a2 = mmap(NULL, 4 * PAGE, PROT_READ, MAP_SHARED, a, 60 * PAGE);
	CHECK(a1 != MAP_FAILED && a2 != MAP_FAILED, "mmap a");
	CHECK(fcntl(a, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seal");
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", a);
	int ra = open(self, O_RDONLY); /* a second open file description */
	CHECK(ra >= 0, "reopen");
	/* A page only the fd wrote, never touched through a mapping. */
	char fdpage[PAGE];
	memset(fdpage, 'F', sizeof(fdpage));
	CHECK(pwrite(a, fdpage, PAGE, 2 * PAGE) == PAGE, "pwrite");

	int bfd = memfd_create("tcp-test-b closed", 0);
	CHECK(bfd >= 0 && ftruncate(bfd, SIZE_B) == 0, "memfd b");
	unsigned *b1 = mmap(NULL, SIZE_B, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	unsigned *b2 = mmap(NULL, SIZE_B, PROT_READ | PROT_WRITE, MAP_SHARED, bfd, 0);
	CHECK(b1 != MAP_FAILED && b2 != MAP_FAILED, "mmap b");
	close(bfd);

	uint64_t h = 0;
	for (int step = 0; step < 30; step++) {
		/* memfd a: page 0 through the mapping, page 61 through the fd,
		 * page 1 sequentially through the fd's offset */
		memset(a1, 'a' + step % 26, 100 + step);
		char line[32];
		int n = snprintf(line, sizeof(line), "step %02d;", step);
		CHECK(pwrite(a, line, (size_t)n, 61 * PAGE + step * n) == n, "pwrite");
		CHECK(memcmp(a2 + PAGE + step * n, line, (size_t)n) == 0, "fd write not seen in mapping at step %d", step);
		CHECK(lseek(a, PAGE + step, SEEK_SET) >= 0 && write(a, "x", 1) == 1, "write");
		char got[8];
		CHECK(read(ra, got, 3) == 3, "read ra");
		h = h * 31 + fnv(got, 3);
		/* memfd b: written through one mapping, read through the other */
		for (int i = 0; i < (int)(SIZE_B / sizeof(unsigned)); i += 97)
			b1[i] += (unsigned)(step * 7 + i);
		for (int i = 0; i < (int)(SIZE_B / sizeof(unsigned)); i += 97)
			CHECK(b2[i] == b1[i], "b aliases broke at step %d", step);
		h = h * 31 + fnv(a1, 4 * PAGE) + fnv(b2, SIZE_B);
		printf("step %02d hash %016llx\n", step, (unsigned long long)h);
		fflush(stdout);
		pause_ms(100);
	}
	struct stat st;
	CHECK(fstat(a, &st) == 0, "fstat");
	char link[256] = "";
	CHECK(readlink(self, link, sizeof(link) - 1) > 0, "readlink");
	int seals = fcntl(a, F_GET_SEALS);
	printf("a: %s size %lld seals %#x offset %lld ra offset %lld flags %#x/%#x\n", link, (long long)st.st_size,
	       seals, (long long)lseek(a, 0, SEEK_CUR), (long long)lseek(ra, 0, SEEK_CUR),
	       fcntl(a, F_GETFL) & O_ACCMODE, fcntl(ra, F_GETFL) & O_ACCMODE);
	printf("a: growing it %s\n", ftruncate(a, SIZE_A * 2) ? "refused (sealed)" : "allowed");
	printf("a: page 2 %s, hole %s\n", a1[2 * PAGE + 17] == 'F' ? "kept" : "lost",
	       a1[30 * PAGE] == 0 ? "zero" : "not zero");
	/* the fd and the mapping are one object */
	CHECK(pwrite(a, "ALIAS", 5, 10) == 5, "pwrite");
	printf("a: fd and mapping %s\n", memcmp(a1 + 10, "ALIAS", 5) ? "differ" : "alias");
	a1[60 * PAGE] = 'M';
	printf("a: two mappings %s\n", a2[0] == 'M' ? "alias" : "differ");
	b1[5] = 12345;
	printf("b: two mappings %s\n", b2[5] == 12345 ? "alias" : "differ");
	int c = memfd_create("tcp-test-c", 0);
	printf("c: new memfd sealing %s\n", fcntl(c, F_ADD_SEALS, F_SEAL_GROW) ? "refused" : "allowed");
	printf("done %016llx\n", (unsigned long long)h);
	return 0;
}
