/* The eventfd EFD_SEMAPHORE probe of preload/dump_fd_anon.c, used on
 * kernels whose fdinfo does not say (before 6.3): it must tell a semaphore
 * from a plain eventfd and leave the counter as it found it. The file is
 * included whole; the dump helpers it calls are stubbed. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "preload/dump_fd_anon.c"

int dump_fd_refuse(struct dump_ctx *d, long fd, const char *what, const char *why)
{
	(void)d, (void)fd, (void)what, (void)why;
	return -1;
}
int dump_fd_inotify(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	(void)d, (void)p, (void)out;
	return -1;
}
void *arena_alloc(struct dump_ctx *d, uint64_t len)
{
	(void)d;
	return calloc(1, len);
}
long read_whole(const char *path, char *buf, uint64_t cap)
{
	(void)path, (void)buf, (void)cap;
	return -1;
}
int path_append_num(char *buf, size_t cap, const char *prefix, long n, const char *suffix)
{
	(void)buf, (void)cap, (void)prefix, (void)n, (void)suffix;
	return -1;
}

static void check(unsigned start, int flags, uint64_t want_sem)
{
	int fd = eventfd(start, EFD_CLOEXEC | flags);
	cr_assert_geq(fd, 0);
	uint64_t sem = 99;
	cr_assert_eq(probe_semaphore(fd, start, &sem), 0);
	cr_assert_eq(sem, want_sem, "start %u flags %#x", start, flags);
	/* The counter is as before: a plain read gives it all, a semaphore one
	 * unit at a time. */
	uint64_t v, total = 0;
	int nb = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, nb | O_NONBLOCK);
	while (read(fd, &v, 8) == 8)
		total += v;
	cr_assert_eq(total, start, "start %u flags %#x: counter %llu after the probe", start, flags,
		     (unsigned long long)total);
	close(fd);
}

Test(eventfd_probe, plain_and_semaphore)
{
	for (unsigned start = 0; start < 4; start++) {
		check(start, 0, 0);
		check(start, EFD_NONBLOCK, 0);
		check(start, EFD_SEMAPHORE, 1);
		check(start, EFD_SEMAPHORE | EFD_NONBLOCK, 1);
	}
	check(1000000, 0, 0);
	check(1000000, EFD_SEMAPHORE, 1);
}

Test(eventfd_probe, near_the_maximum_refuses)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t big = UINT64_MAX - 2, sem;
	cr_assert_eq(write(fd, &big, 8), 8);
	cr_assert_eq(probe_semaphore(fd, big, &sem), -1);
	close(fd);
}
