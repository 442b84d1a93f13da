/* Files under /dev/shm (one mapped twice with its fd open, one unlinked and
 * closed while mapped, one only open as an fd), MAP_SHARED|MAP_ANONYMOUS
 * memory with a second mapping made by mremap(old_size 0), and a private
 * mapping of a memfd (its written pages are its own, the others still show
 * the object). The /dev/shm names carry the pid: a restored run has the
 * same pid, other runs do not collide. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096

int main(void)
{
	char name1[64], name2[64], name3[64];
	snprintf(name1, sizeof(name1), "/tcp-test-%d-one", (int)getpid());
	snprintf(name2, sizeof(name2), "/tcp-test-%d-gone", (int)getpid());
	snprintf(name3, sizeof(name3), "/tcp-test-%d-fd", (int)getpid());
	int f1 = shm_open(name1, O_CREAT | O_EXCL | O_RDWR, 0640);
	int f2 = shm_open(name2, O_CREAT | O_EXCL | O_RDWR, 0600);
	int f3 = shm_open(name3, O_CREAT | O_EXCL | O_RDWR, 0600);
	CHECK(f1 >= 0 && f2 >= 0 && f3 >= 0, "shm_open");
	CHECK(ftruncate(f1, 16 * PAGE) == 0 && ftruncate(f2, 4 * PAGE + 123) == 0, "ftruncate");
	char *p1 = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f1, 0);
	char *q1 = mmap(NULL, 8 * PAGE, PROT_READ, MAP_SHARED, f1, 8 * PAGE);
	char *p2 = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
	CHECK(p1 != MAP_FAILED && q1 != MAP_FAILED && p2 != MAP_FAILED, "mmap");
	close(f2);
	shm_unlink(name2);

	unsigned *an = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(an != MAP_FAILED, "mmap anon");
	unsigned *an2 = mremap(an, 0, 6 * PAGE, MREMAP_MAYMOVE);
	CHECK(an2 != MAP_FAILED && an2 != an, "mremap alias");

	/* shared memory behind PROT_NONE still holds its data */
	char *pn = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(pn != MAP_FAILED, "mmap pn");
	pn[0] = 'n';
	pn[PAGE + 1] = 'N';
	CHECK(mprotect(pn, 2 * PAGE, PROT_NONE) == 0, "mprotect");

	int m = memfd_create("tcp-test-private", 0);
	CHECK(m >= 0 && ftruncate(m, 4 * PAGE) == 0, "memfd");
	char init[4 * PAGE];
	memset(init, 'o', sizeof(init));
	CHECK(pwrite(m, init, sizeof(init), 0) == (ssize_t)sizeof(init), "pwrite");
	char *pv = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, m, 0);
	CHECK(pv != MAP_FAILED, "mmap private");
	close(m);
	pv[0] = 'P'; /* page 0 is now private; pages 1-3 still the object's */

	uint64_t h = 0;
	for (int step = 0; step < 30; step++) {
		for (int i = 0; i < 16; i++)
			p1[i * PAGE + step] = (char)('A' + (step + i) % 26);
		CHECK(q1[PAGE + step] == p1[9 * PAGE + step], "/dev/shm mappings differ at step %d", step);
		p2[4 * PAGE + step] = (char)step;
		char line[32];
		int n = snprintf(line, sizeof(line), "%02d,", step);
		CHECK(write(f3, line, (size_t)n) == n, "write f3");
		for (int i = 0; i < (int)(6 * PAGE / sizeof(unsigned)); i += 113)
			an[i] += (unsigned)(i ^ step);
		for (int i = 0; i < (int)(6 * PAGE / sizeof(unsigned)); i += 113)
			CHECK(an2[i] == an[i], "anonymous aliases differ at step %d", step);
		pv[PAGE * (step % 2) + step] = 'w';
		h = h * 31 + fnv(p1, 16 * PAGE) + fnv(p2, 4 * PAGE + 123) + fnv(an2, 6 * PAGE) + fnv(pv, 4 * PAGE);
		printf("step %02d hash %016llx\n", step, (unsigned long long)h);
		fflush(stdout);
		pause_ms(100);
	}
	struct stat st;
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm%s", name1);
	CHECK(stat(path, &st) == 0, "stat %s", path);
	printf("one: size %lld mode %o\n", (long long)st.st_size, st.st_mode & 0777);
	p1[5] = '!';
	int r1 = open(path, O_RDONLY);
	char c = 0;
	CHECK(r1 >= 0 && pread(r1, &c, 1, 5) == 1, "reopen");
	printf("one: file and mapping %s\n", c == '!' ? "alias" : "differ");
	p1[9 * PAGE + 3] = '?';
	printf("one: two mappings %s\n", q1[PAGE + 3] == '?' ? "alias" : "differ");
	char fdtext[128] = "";
	CHECK(pread(f3, fdtext, sizeof(fdtext) - 1, 0) > 0, "pread f3");
	printf("fd-only: offset %lld text %s\n", (long long)lseek(f3, 0, SEEK_CUR), fdtext);
	snprintf(path, sizeof(path), "/dev/shm%s", name2);
	printf("gone: %s, tail %d\n", access(path, F_OK) ? "still unlinked" : "exists", p2[4 * PAGE + 29]);
	an[7] = 777;
	printf("anon: two mappings %s\n", an2[7] == 777 ? "alias" : "differ");
	CHECK(mprotect(pn, 2 * PAGE, PROT_READ) == 0, "mprotect back");
	printf("behind PROT_NONE: %c%c\n", pn[0], pn[PAGE + 1]);
	printf("private: %c %c %c %c\n", pv[0], pv[1], pv[PAGE + 1], pv[2 * PAGE]);
	shm_unlink(name1);
	shm_unlink(name3);
	printf("done %016llx\n", (unsigned long long)h);
	return 0;
}
