/* eventfd, timerfd, signalfd and epoll at restore (issue 7 item 2). The
 * epoll registrations are made again in finish_fds_anon(), once every fd
 * sits at its number. inotify has its own file (fd_inotify.c). */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif
#define MAX_EPOLL_ITEMS (1u << 20)

static int damaged(const struct tcp_fd *f, const char *what)
{
	say("fd %d: the image's record of it has an impossible %s; the image is damaged or was not written by "
	    "libtcp. Restore from another image",
	    f->fd, what);
	return -1;
}

static int open_eventfd(const struct tcp_fd *f)
{
	const struct tcp_fd_eventfd *e = &f->u.eventfd;
	if (e->semaphore > 1 || e->count == UINT64_MAX || TCP_FD_DATA_LEN(f))
		return damaged(f, "eventfd state");
	int fd = eventfd(0, EFD_CLOEXEC | (e->semaphore ? EFD_SEMAPHORE : 0) | (int)(f->flags & O_NONBLOCK));
	if (fd < 0) {
		say("fd %d: cannot create an eventfd: %s", f->fd, strerror(errno));
		return -1;
	}
	/* Adding the counter to 0 never blocks. */
	if (e->count && write(fd, &e->count, sizeof(e->count)) != (ssize_t)sizeof(e->count)) {
		say("fd %d: cannot set the eventfd's counter to %llu: %s", f->fd, (unsigned long long)e->count,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int open_signalfd(const struct tcp_fd *f)
{
	if (TCP_FD_DATA_LEN(f))
		return damaged(f, "signalfd content");
	sigset_t set;
	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if ((f->u.signalfd.sigmask >> (sig - 1)) & 1 && sig != SIGKILL && sig != SIGSTOP)
			sigaddset(&set, sig);
	int fd = signalfd(-1, &set, SFD_CLOEXEC | (int)(f->flags & O_NONBLOCK));
	if (fd < 0)
		say("fd %d: cannot create a signalfd: %s", f->fd, strerror(errno));
	return fd;
}

static int valid_time(int64_t sec, int64_t nsec)
{
	return sec >= 0 && nsec >= 0 && nsec < 1000000000;
}

/* Re-armed for the time it had left (a CLOCK_REALTIME ABSTIME timer for its
 * date), with the same interval; the expirations not read yet are given
 * back with TFD_IOC_SET_TICKS. */
static int open_timerfd(const struct tcp_fd *f)
{
	const struct tcp_fd_timerfd *t = &f->u.timerfd;
	int clk = t->clockid;
	if ((clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME && clk != CLOCK_REALTIME_ALARM &&
	     clk != CLOCK_BOOTTIME_ALARM) ||
	    (t->settime_flags & ~(TCP_TFD_ABSTIME | TCP_TFD_CANCEL_ON_SET)) || t->armed > 1 ||
	    !valid_time(t->value_sec, t->value_nsec) || !valid_time(t->interval_sec, t->interval_nsec) ||
	    TCP_FD_DATA_LEN(f))
		return damaged(f, "timerfd state");
	int fd = timerfd_create(clk, TFD_CLOEXEC | (int)(f->flags & O_NONBLOCK));
	if (fd < 0) {
		say("fd %d: cannot create a timerfd on clock %d: %s", f->fd, clk, strerror(errno));
		return -1;
	}
	if (t->armed) {
		struct itimerspec its = { { t->interval_sec, t->interval_nsec }, { t->value_sec, t->value_nsec } };
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1; /* due right now; 0 would disarm it */
		int flags = (t->settime_flags & TCP_TFD_ABSTIME ? TFD_TIMER_ABSTIME : 0) |
			    (t->settime_flags & TCP_TFD_CANCEL_ON_SET ? TFD_TIMER_CANCEL_ON_SET : 0);
		if (timerfd_settime(fd, flags, &its, NULL)) {
			say("fd %d: cannot re-arm the timerfd: %s", f->fd, strerror(errno));
			close(fd);
			return -1;
		}
	}
	uint64_t ticks = t->ticks;
	if (ticks && ioctl(fd, TFD_IOC_SET_TICKS, &ticks)) {
		say("fd %d: cannot give back the timerfd's %llu expirations not read yet: %s (the kernel needs "
		    "CONFIG_CHECKPOINT_RESTORE)",
		    f->fd, (unsigned long long)ticks, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int open_epoll(const struct tcp_fd *f)
{
	if (f->u.epoll.nitems > MAX_EPOLL_ITEMS ||
	    TCP_FD_DATA_LEN(f) != (uint64_t)f->u.epoll.nitems * sizeof(struct tcp_fd_epoll_item))
		return damaged(f, "number of epoll registrations");
	int fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		say("fd %d: cannot create an epoll fd: %s", f->fd, strerror(errno));
	return fd;
}

int open_fd_anon(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	switch (d->f.kind) {
	case TCP_FD_EVENTFD:
		return open_eventfd(&d->f);
	case TCP_FD_TIMERFD:
		return open_timerfd(&d->f);
	case TCP_FD_SIGNALFD:
		return open_signalfd(&d->f);
	case TCP_FD_EPOLL:
		return open_epoll(&d->f);
	}
	say("fd %d: unknown kind %u", d->f.fd, d->f.kind);
	return -1;
}

static int in_image(const struct tcp_image *img, int fd)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd == fd)
			return 1;
	return 0;
}

static int register_items(const struct tcp_image *img, const struct img_fd *d, int image_fd)
{
	const struct tcp_fd *f = &d->f;
	size_t n = f->u.epoll.nitems;
	struct tcp_fd_epoll_item *items = malloc(n * sizeof(*items) + 1);
	if (!items || pread(image_fd, items, n * sizeof(*items), (off_t)d->content_off) != (ssize_t)(n * sizeof(*items))) {
		say("fd %d: cannot read its epoll registrations from the image: %s", f->fd,
		    items ? strerror(errno) : "out of memory");
		free(items);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct epoll_event ev = { .events = items[i].events, .data.u64 = items[i].data };
		if (!in_image(img, items[i].tfd)) {
			rc = damaged(f, "epoll registration (of an fd the image does not hold)");
		} else if (epoll_ctl(f->fd, EPOLL_CTL_ADD, items[i].tfd, &ev)) {
			say("fd %d: cannot register fd %d with the epoll fd again (events %#x): %s", f->fd, items[i].tfd,
			    items[i].events, strerror(errno));
			rc = -1;
		}
	}
	free(items);
	return rc;
}

int finish_fds_anon(const struct tcp_image *img, int image_fd)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.kind == TCP_FD_EPOLL && register_items(img, &img->fds[i], image_fd))
			return -1;
	return 0;
}
