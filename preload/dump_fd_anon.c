/* Anonymous-inode fds (issue 7 item 2): eventfd (counter, EFD_SEMAPHORE),
 * timerfd (clock, remaining time, interval, ticks not read yet), signalfd
 * (mask) and epoll (every registration with its events and data). inotify
 * goes to dump_fd_inotify(); any other anonymous inode is refused. All of it
 * is read from fdinfo (and timerfd_gettime), so nothing is consumed. */
#include "dump.h"
#include "../common/fdinfo_parse.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#define K_KCMP_EPOLL_TFD 7
#define K_CLOCK_REALTIME 0
#define K_CLOCK_REALTIME_ALARM 8

struct k_itimerspec {
	int64_t interval_sec, interval_nsec;
	int64_t value_sec, value_nsec;
};

static int field(const struct fd_probe *p, const char *key, int base, uint64_t *v)
{
	return fdinfo_field(p->fdinfo, (size_t)p->fdinfo_len, key, base, v);
}

/* Kernels before 6.3 do not show EFD_SEMAPHORE in fdinfo: ask the eventfd
 * itself. With 2 added, a semaphore read takes 1 and a plain read all, so
 * the answer tells; then the counter is put back as it was. Nothing blocks:
 * the counter is never 0 when read, nor near its maximum when added to. The
 * only trace is a wakeup of whoever polls it (an EPOLLET waiter may see one
 * spurious event after the checkpoint). */
static int probe_semaphore(long fd, uint64_t count, uint64_t *sem)
{
	uint64_t two = 2, got = 0, one;
	if (count > UINT64_MAX - 3 || r_write((int)fd, &two, 8) != 8)
		return -1;
	if (r_read((int)fd, &got, 8) != 8)
		return -1;
	*sem = got == 1;
	if (got == 1)	/* count + 1 left: take the other unit back */
		return r_read((int)fd, &one, 8) == 8 ? 0 : -1;
	/* plain: it is 0 now */
	return count && r_write((int)fd, &count, 8) != 8 ? -1 : 0;
}

static int dump_eventfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	uint64_t count, sem;
	if (field(p, "eventfd-count:", 16, &count))
		return dump_fd_refuse(d, p->fd, out->path, "its fdinfo has no eventfd-count line");
	if (field(p, "eventfd-semaphore:", 10, &sem) && probe_semaphore(p->fd, count, &sem))
		return dump_fd_refuse(d, p->fd, out->path,
				      "cannot tell whether it is an EFD_SEMAPHORE eventfd (no eventfd-semaphore line in "
				      "its fdinfo before Linux 6.3, and reading it failed); run on a newer kernel");
	if (sem > 1)
		return dump_fd_refuse(d, p->fd, out->path, "its fdinfo has a strange eventfd-semaphore value");
	out->rec.kind = TCP_FD_EVENTFD;
	out->rec.u.eventfd.count = count;
	out->rec.u.eventfd.semaphore = (uint32_t)sem;
	return 0;
}

static int dump_signalfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	uint64_t mask;
	if (field(p, "sigmask:", 16, &mask))
		return dump_fd_refuse(d, p->fd, out->path, "its fdinfo has no readable sigmask line");
	out->rec.kind = TCP_FD_SIGNALFD;
	out->rec.u.signalfd.sigmask = mask;
	return 0;
}

/* timerfd_gettime() first: it brings an expired periodic timer up to date
 * (adds the overruns to the ticks) which the fdinfo does not; the ticks are
 * then read from a fresh fdinfo. */
static int dump_timerfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	struct tcp_fd_timerfd *t = &out->rec.u.timerfd;
	struct k_itimerspec cur;
	if (r_timerfd_gettime((int)p->fd, &cur) < 0)
		return dump_fd_refuse(d, p->fd, out->path, "timerfd_gettime failed");
	char proc[64];
	path_append_num(proc, sizeof(proc), "/proc/self/fdinfo/", p->fd, "");
	char *info = arena_alloc(d, 4096);
	long len = info ? read_whole(proc, info, 4096) : -1;
	uint64_t clockid, ticks, flags;
	if (len < 0 || fdinfo_field(info, (size_t)len, "clockid:", 10, &clockid) ||
	    fdinfo_field(info, (size_t)len, "ticks:", 10, &ticks) ||
	    fdinfo_field(info, (size_t)len, "settime flags:", 8, &flags))
		return dump_fd_refuse(d, p->fd, out->path, "cannot read clockid, ticks and settime flags from its fdinfo");
	out->rec.kind = TCP_FD_TIMERFD;
	t->clockid = (int32_t)clockid;
	t->settime_flags = (uint32_t)flags & (TCP_TFD_ABSTIME | TCP_TFD_CANCEL_ON_SET);
	t->ticks = ticks;
	t->interval_sec = cur.interval_sec;
	t->interval_nsec = cur.interval_nsec;
	t->value_sec = cur.value_sec;
	t->value_nsec = cur.value_nsec;
	t->armed = cur.value_sec || cur.value_nsec;
	/* A wall-clock deadline stays one (the restored timer fires at the same
	 * date); every other timer runs on for the time it had left. */
	if (t->armed && (t->settime_flags & TCP_TFD_ABSTIME) &&
	    (clockid == K_CLOCK_REALTIME || clockid == K_CLOCK_REALTIME_ALARM)) {
		struct { int64_t sec, nsec; } now;
		r_clock_gettime(K_CLOCK_REALTIME, &now);
		t->value_sec += now.sec;
		t->value_nsec += now.nsec;
		if (t->value_nsec >= 1000000000) {
			t->value_nsec -= 1000000000;
			t->value_sec++;
		}
	} else {
		t->settime_flags = 0;
	}
	return 0;
}

/* The registrations, each checked with kcmp(KCMP_EPOLL_TFD): the fd number
 * it was added under must still be that file, since the restorer re-adds
 * it by number. */
static int dump_epoll(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	struct fdinfo_epoll_item it;
	size_t pos = 0;
	uint32_t n = 0;
	int rc;
	while ((rc = fdinfo_epoll_next(p->fdinfo, (size_t)p->fdinfo_len, &pos, &it)) == 1)
		n++;
	if (rc < 0)
		return dump_fd_refuse(d, p->fd, out->path, "cannot parse the registrations in its fdinfo");
	struct tcp_fd_epoll_item *items = n ? arena_alloc(d, n * sizeof(*items)) : 0;
	if (n && !items)
		return dump_fd_refuse(d, p->fd, out->path, "out of scratch memory for its registrations");
	long pid = r_getpid();
	pos = 0;
	for (uint32_t i = 0; i < n; i++) {
		fdinfo_epoll_next(p->fdinfo, (size_t)p->fdinfo_len, &pos, &it);
		uint32_t toff = 0; /* earlier registrations under the same number */
		for (uint32_t j = 0; j < i; j++)
			toff += items[j].tfd == it.tfd;
		struct { uint32_t efd, tfd, toff; } slot = { (uint32_t)p->fd, (uint32_t)it.tfd, toff };
		if (r_kcmp((int)pid, (int)pid, K_KCMP_EPOLL_TFD, it.tfd, (long)&slot) != 0) {
			fb_puts(&d->err, "cannot checkpoint fd ");
			fb_puti(&d->err, p->fd);
			fb_puts(&d->err, " (epoll): it watches fd ");
			fb_puti(&d->err, it.tfd);
			fb_puts(&d->err, ", which is no longer open under that number (closed or replaced after "
					 "EPOLL_CTL_ADD; the kernel keeps the registration while another fd holds the "
					 "file), so it cannot be registered again. Remove it with EPOLL_CTL_DEL before "
					 "closing the fd");
			return -1;
		}
		items[i].tfd = it.tfd;
		items[i].events = it.events;
		items[i].data = it.data;
	}
	out->rec.kind = TCP_FD_EPOLL;
	out->rec.u.epoll.nitems = n;
	out->data = items;
	out->data_len = (uint64_t)n * sizeof(*items);
	return 0;
}

int dump_fd_anon(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	const char *name = out->path;
	if (f_streq(name, "anon_inode:inotify"))
		return dump_fd_inotify(d, p, out);
	if (f_streq(name, "anon_inode:[eventfd]"))
		return dump_eventfd(d, p, out);
	if (f_streq(name, "anon_inode:[timerfd]"))
		return dump_timerfd(d, p, out);
	if (f_streq(name, "anon_inode:[signalfd]"))
		return dump_signalfd(d, p, out);
	if (f_streq(name, "anon_inode:[eventpoll]"))
		return dump_epoll(d, p, out);
	return dump_fd_refuse(d, p->fd, out->path,
			      "this kind of anonymous fd cannot be checkpointed (eventfd, timerfd, signalfd, epoll "
			      "and inotify can); close it before the checkpoint");
}

int dump_fd_anon_finish(struct dump_ctx *d)
{
	(void)d;
	return 0;
}
