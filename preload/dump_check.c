/* Refuses, before anything is written, processes whose state tcp cannot yet
 * restore faithfully: live child processes, POSIX timers. The app keeps running; the message names the obstacle.
 * A refusal due to a child alone is marked (child_only): the handler then asks again once the child is gone
 * (retry.c). */
#include "dump.h"
#include "tree/query.h"
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
			count += id != tcp_periodic_timer_id() && id != tcp_retry_timer_id();
		}
	}
	return count;
}

/* The children of the first thread that has any: the text of its
 * /proc/self/task/TID/children in buf (only its start if longer than cap)
 * and its length; 0 if no thread has a child, or if it cannot be told. */
static long first_children(char *buf, long cap)
{
	char dents[1024], path[64];
	long dfd = r_open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return 0;
	long found = 0, n;
	while (!found && (n = r_getdents64((int)dfd, dents, sizeof(dents))) > 0) {
		for (long pos = 0; pos < n && !found;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dents + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			struct fbuf p;
			fb_init(&p, path, sizeof(path));
			fb_puts(&p, "/proc/self/task/");
			fb_puts(&p, e->d_name);
			fb_puts(&p, "/children");
			long len = read_whole(path, buf, (uint64_t)cap);
			found = len == -27 /* longer than buf: children too */ ? cap : len > 0 ? len : 0;
		}
	}
	r_close((int)dfd);
	return found;
}

int tcp_has_child(void)
{
	char buf[32];
	return first_children(buf, sizeof(buf)) > 0;
}

int dump_check_process(struct dump_ctx *d)
{
	char *buf = arena_alloc(d, 65536);
	if (!buf) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	/* The current directory before the fds: a path too long to be read
	 * makes the files opened in it fail too, and it is the cause. */
	if (dump_read_cwd(d, buf, TCP_PATH_MAX))
		return -1;
	/* In a tree checkpoint the children are stopped with us and come along. */
	long n = tree_active() ? 0 : first_children(buf, 65536); /* every thread is stopped: the list holds */
	char child[24] = "";
	if (n > 0) {
		long i = 0;
		while (i < n && i < (long)sizeof(child) - 1 && buf[i] != ' ')
			child[i] = buf[i], i++;
		child[i] = 0;
	}
	/* The timers first: with them a retry after the child would fail anyway. */
	long t = read_whole("/proc/self/timers", buf, 65535);
	if (t > 0 && count_app_timers(buf, t) > 0) {
		fb_puts(&d->err, "the process has POSIX timers (timer_create); they cannot be checkpointed yet");
		return -1;
	}
	if (n > 0) {
		fb_puts(&d->err, "the process has a live child process (pid ");
		fb_puts(&d->err, child);
		fb_puts(&d->err, "); processes with children cannot be checkpointed yet: let it finish, or "
				 "checkpoint when it is gone");
		d->child_only = 1;
		return -1;
	}
	return 0;
}
