/* memfd seals: one object sealed against writes (mapped read-only), one
 * sealed against future writes while a writable mapping of it exists (which
 * keeps writing), one not sealable at all; with the number of open fds, so
 * that an fd the restorer used must not stay open. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

/* Not counted: libtcp's own lock on its image directory (.tcp-lock), which
 * the program holds under libtcp whether restored or not. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));) {
		char link[4096] = "";
		ssize_t len = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
		size_t l = len > 0 ? (size_t)len : 0;
		n += e->d_name[0] != '.' && !(l >= 10 && !strcmp(link + l - 10, "/.tcp-lock"));
	}
	if (d)
		closedir(d);
	return n - 1; /* the directory itself */
}

int main(void)
{
	int w = memfd_create("tcp-test-sealed", MFD_ALLOW_SEALING);
	CHECK(w >= 0 && ftruncate(w, 2 * PAGE) == 0 && pwrite(w, "frozen", 6, PAGE) == 6, "memfd w");
	CHECK(fcntl(w, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0, "seal w");
	char *wm = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, w, 0);
	CHECK(wm != MAP_FAILED, "mmap w");

	int f = memfd_create("tcp-test-future", MFD_ALLOW_SEALING);
	CHECK(f >= 0 && ftruncate(f, PAGE) == 0, "memfd f");
	char *fm = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	CHECK(fm != MAP_FAILED, "mmap f");
	CHECK(fcntl(f, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0, "seal f");

	int n = memfd_create("tcp-test-unsealable", 0);
	CHECK(n >= 0, "memfd n");

	uint64_t h = 0;
	for (int step = 0; step < 30; step++) {
		fm[step] = (char)('a' + step % 26);
		h = h * 31 + fnv(fm, PAGE) + fnv(wm, 2 * PAGE);
		printf("step %02d hash %016llx\n", step, (unsigned long long)h);
		fflush(stdout);
		pause_ms(100);
	}
	printf("sealed: seals %#x, write %s, content %s\n", fcntl(w, F_GET_SEALS),
	       pwrite(w, "x", 1, 0) < 0 && errno == EPERM ? "refused" : "allowed", wm + PAGE);
	void *again = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	printf("future: seals %#x, write %s, new writable mapping %s, old mapping writes %s\n", fcntl(f, F_GET_SEALS),
	       pwrite(f, "x", 1, 0) < 0 && errno == EPERM ? "refused" : "allowed",
	       again == MAP_FAILED ? "refused" : "allowed", (fm[100] = 'z', pread(f, wm, 0, 0), "go on"));
	char c = 0;
	CHECK(pread(f, &c, 1, 100) == 1, "pread");
	printf("future: old mapping and fd %s\n", c == 'z' ? "alias" : "differ");
	printf("unsealable: seals %#x, sealing %s\n", fcntl(n, F_GET_SEALS),
	       fcntl(n, F_ADD_SEALS, F_SEAL_GROW) ? "refused" : "allowed");
	printf("open fds: %d\n", open_fds());
	printf("done %016llx\n", (unsigned long long)h);
	return 0;
}
