/* fd_inotify: inotify watches across a checkpoint. A directory watch, a
 * file watch, a removed watch (so the next wd comes after a gap) and a
 * watch added by a relative path; every round the program creates, writes
 * and removes a file and prints the events it reads, wd numbers included.
 * After a restore the same wds must report the same events. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROUNDS 30
#define WORK_ITERS 120000000UL /* ~4 s in all: the -chain test spends ~1 s of it per checkpoint */

static void drain(int in, int round)
{
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			perror("read inotify");
			exit(1);
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			printf("round %02d: wd %d mask %08x %s\n", round, e->wd, e->mask, e->len ? e->name : "-");
			p += sizeof(*e) + e->len;
		}
	}
}

int main(void)
{
	mkdir("watched", 0755);
	mkdir("other", 0755);
	int f = open("watched/keep.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f < 0 || in < 0) {
		perror("setup");
		return 1;
	}
	int dir = inotify_add_watch(in, "watched", IN_CREATE | IN_DELETE | IN_CLOSE_WRITE);
	int gone = inotify_add_watch(in, "other", IN_CREATE);
	int file = inotify_add_watch(in, "watched/keep.txt", IN_MODIFY);
	inotify_rm_watch(in, gone);
	drain(in, -1); /* the IN_IGNORED of the removed watch */
	int other = inotify_add_watch(in, "other", IN_DELETE);
	printf("watches: dir %d file %d other %d (removed %d)\n", dir, file, other, gone);

	uint64_t x = 5, s = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (unsigned long i = 0; i < WORK_ITERS; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			s += x >> 62;
		}
		char name[64];
		snprintf(name, sizeof(name), "watched/f%02d", round);
		int t = open(name, O_CREAT | O_WRONLY, 0644);
		if (t < 0 || write(t, "x", 1) != 1 || close(t) || unlink(name)) {
			perror(name);
			return 1;
		}
		if (write(f, "k", 1) != 1)
			return 1;
		snprintf(name, sizeof(name), "other/o%02d", round);
		t = open(name, O_CREAT | O_WRONLY, 0644);
		if (t < 0 || close(t) || unlink(name))
			return 1;
		drain(in, round);
		printf("round %02d: work %llu\n", round, (unsigned long long)s);
		fflush(stdout);
	}
	return 0;
}
