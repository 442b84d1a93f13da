/* System V shared memory: a segment attached twice and partly made
 * read-only (its mapping splits), one marked IPC_RMID while attached. At
 * the end the program detaches by address and removes by id. */
#define _GNU_SOURCE
#include "shm_common.h"
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#define PAGE 4096
#define SIZE1 (5 * PAGE + 100)

int main(void)
{
	int id1 = shmget(IPC_PRIVATE, SIZE1, IPC_CREAT | 0600);
	int id2 = shmget(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600);
	CHECK(id1 >= 0 && id2 >= 0, "shmget");
	char *a = shmat(id1, NULL, 0);
	char *b = shmat(id1, NULL, 0);
	char *c = shmat(id2, NULL, 0);
	CHECK(a != (void *)-1 && b != (void *)-1 && c != (void *)-1, "shmat");
	CHECK(shmctl(id2, IPC_RMID, NULL) == 0, "rmid");
	memset(b + 4 * PAGE, 'r', PAGE);
	CHECK(mprotect(b + 4 * PAGE, PAGE, PROT_READ) == 0, "mprotect");

	uint64_t h = 0;
	for (int step = 0; step < 30; step++) {
		for (int i = 0; i < 5; i++)
			a[i * PAGE + step] = (char)('a' + (step + i) % 26);
		a[SIZE1 - 1 - step] = (char)step;
		CHECK(b[2 * PAGE + step] == a[2 * PAGE + step], "aliases differ at step %d", step);
		c[step * 50] += (char)step;
		h = h * 31 + fnv(b, SIZE1) + fnv(c, 3 * PAGE);
		printf("step %02d hash %016llx\n", step, (unsigned long long)h);
		fflush(stdout);
		pause_ms(100);
	}
	a[PAGE + 1] = '#';
	printf("two attachments %s\n", b[PAGE + 1] == '#' ? "alias" : "differ");
	printf("read-only part holds %c\n", b[4 * PAGE + 7]);
	struct shmid_ds ds;
	CHECK(shmctl(id1, IPC_STAT, &ds) == 0, "IPC_STAT %d", id1);
	printf("segment 1: size %zu attached %lu mode %o\n", (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch,
	       ds.shm_perm.mode & 0777);
	printf("detach: %d %d %d\n", shmdt(a), shmdt(b), shmdt(c));
	printf("remove: %d\n", shmctl(id1, IPC_RMID, NULL));
	printf("done %016llx\n", (unsigned long long)h);
	return 0;
}
