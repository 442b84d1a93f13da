/* Refuses, before anything is written, processes whose state tcp cannot yet
 * restore faithfully: live child processes, POSIX timers. The app keeps running; the message names the obstacle. */
#include "dump.h"
#include "../common/rawsys.h"

#include <fcntl.h>

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
	long n = 0;
	for (int i = 0; i < d->nslots && n <= 0; i++) { /* each thread's own children */
		if (!tcp_thread_valid(&d->threads[i]))
			continue;
		char path[64];
		path_append_num(path, sizeof(path), "/proc/self/task/", d->threads[i].tid, "/children");
		n = read_whole(path, buf, 65536);
	}
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
