/* Shared memory cases for shm_cases.sh; each runs ~3 s printing ticks:
 *   sysv-shared FILE  a System V segment whose id goes to FILE, for another
 *                     process to attach (the checkpoint must refuse)
 *   sysv-tree FILE    the same, the segment attached by a child too (a tree:
 *                     the other process is outside it all the same)
 *   many              257 memfds (more objects than a checkpoint takes)
 *   keyed             a System V segment with a key (of the pid)
 *   posix             a /dev/shm file (of the pid), mapped, fd closed */
#define _GNU_SOURCE
#include "shm_common.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	char *mem = NULL;
	int id = -1;
	pid_t child = -1;
	char name[64];
	snprintf(name, sizeof(name), "/tcp-test-%d-obstacle", (int)getpid());
	if (!strcmp(mode, "attach") && argc > 2) { /* the other process */
		mem = shmat(atoi(argv[2]), NULL, 0);
		CHECK(mem != (void *)-1, "shmat %s", argv[2]);
		pause_ms(6000);
		return 0;
	} else if ((!strcmp(mode, "sysv-shared") || !strcmp(mode, "sysv-tree")) && argc > 2) {
		id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
		mem = shmat(id, NULL, 0);
		CHECK(mem != (void *)-1, "shmat");
		shmctl(id, IPC_RMID, NULL); /* gone with the last process */
		if (!strcmp(mode, "sysv-tree")) {
			child = fork();
			CHECK(child >= 0, "fork");
			if (child == 0) { /* holds the segment until the parent ends it */
				for (;;)
					pause_ms(100);
			}
		}
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
		FILE *f = fopen(tmp, "w"); /* complete when it appears */
		CHECK(f && fprintf(f, "%d\n", id) > 0 && fclose(f) == 0 && rename(tmp, argv[2]) == 0, "write %s", argv[2]);
	} else if (!strcmp(mode, "many")) {
		for (int i = 0; i < 257; i++)
			CHECK(memfd_create("tcp-test-many", 0) >= 0, "memfd %d", i);
	} else if (!strcmp(mode, "keyed")) {
		id = shmget(0x7c000000 | (getpid() & 0xffffff), 8192, IPC_CREAT | IPC_EXCL | 0600);
		mem = shmat(id, NULL, 0);
		CHECK(mem != (void *)-1, "shmat keyed");
	} else if (!strcmp(mode, "posix")) {
		int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
		CHECK(fd >= 0 && ftruncate(fd, 8192) == 0, "shm_open");
		mem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(mem != MAP_FAILED, "mmap");
		close(fd);
	} else {
		fprintf(stderr, "usage: shm_obstacle sysv-shared FILE|sysv-tree FILE|attach ID|many|keyed|posix\n");
		return 2;
	}
	for (int i = 0; i < 30; i++) {
		if (mem)
			mem[i] = (char)('a' + i % 26);
		printf("tick %02d %.*s\n", i, mem ? i + 1 : 0, mem ? mem : "");
		fflush(stdout);
		pause_ms(100);
	}
	if (id >= 0)
		shmctl(id, IPC_RMID, NULL);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (!strcmp(mode, "posix"))
		shm_unlink(name);
	printf("done\n");
	return 0;
}
