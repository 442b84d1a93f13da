/* Refuses, before anything is written, processes whose state tcp cannot yet
 * restore faithfully: more than one thread, live child processes, POSIX
 * timers. The app keeps running; the message names the obstacle. */
#include "dump.h"
#include "../common/rawsys.h"

#include <fcntl.h>

static long count_tasks(struct dump_ctx *d, char *buf, uint64_t cap)
{
	long fd = r_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long count = 0;
	if (fd < 0)
		return fd;
	for (;;) {
		long n = r_getdents64((int)fd, buf, cap);
		if (n <= 0)
			break;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + pos);
			if (e->d_name[0] != '.')
				count++;
			pos += e->d_reclen;
		}
	}
	r_close((int)fd);
	(void)d;
	return count;
}

/* POSIX timers in /proc/self/timers ("ID: n" lines), not counting ours. */
static long count_app_timers(char *buf, long n)
{
	long count = 0;
	buf[n] = 0;
	for (long i = 0; i < n; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && f_startswith(buf + i, "ID: ")) {
			long id = 0;
			for (long j = i + 4; j < n && buf[j] >= '0' && buf[j] <= '9'; j++)
				id = id * 10 + (buf[j] - '0');
			count += id != tcp_periodic_timer_id();
		}
	}
	return count;
}

int dump_check_process(struct dump_ctx *d)
{
	char *buf = arena_alloc(d, 65536);
	if (!buf) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	long n = count_tasks(d, buf, 65536);
	if (n > 1) {
		fb_puts(&d->err, "the process has ");
		fb_puti(&d->err, n);
		fb_puts(&d->err, " threads; this version of tcp checkpoints single-threaded processes only");
		return -1;
	}
	char path[64];
	path_append_num(path, sizeof(path), "/proc/self/task/", r_gettid(), "/children");
	n = read_whole(path, buf, 65536);
	if (n > 0) {
		long i = 0;
		while (i < n && buf[i] != ' ')
			i++;
		buf[i] = 0;
		fb_puts(&d->err, "the process has a live child process (pid ");
		fb_puts(&d->err, buf);
		fb_puts(&d->err, "); processes with children cannot be checkpointed yet: let it finish, or "
				 "checkpoint when it is gone");
		return -1;
	}
	n = read_whole("/proc/self/timers", buf, 65535);
	if (n > 0 && count_app_timers(buf, n) > 0) {
		fb_puts(&d->err, "the process has POSIX timers (timer_create); they cannot be checkpointed yet");
		return -1;
	}
	return 0;
}
