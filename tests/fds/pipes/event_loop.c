/* An event loop over epoll, paced by a periodic timerfd: every tick puts a
 * work item into a pipe and adds to an eventfd; the loop takes the items
 * out of the pipe only every third tick (the pipe is EPOLLONESHOT and
 * re-armed then), reads the eventfd (EPOLLET) every fifth, a semaphore
 * eventfd one unit per wakeup, and a SIGUSR2 it raises every seventh tick
 * through a signalfd that sits in an inner epoll inside the outer one. So at
 * any moment items sit in the pipe and counts in the eventfds. The loop ends
 * after exactly TICKS expirations; it prints totals only (never times). Two
 * timerfds outside the loop check the rest: a one-shot that expired unread
 * long ago (its tick must still be there) and a long timer that must still
 * be armed, with its interval. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TICKS 60

enum { EV_PIPE = 1, EV_COUNT, EV_SEM, EV_TIMER, EV_INNER, EV_CONTROL };

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl add");
}

int main(void)
{
	int work[2], control[2];
	if (pipe2(work, O_NONBLOCK) || pipe2(control, 0))
		die("pipe");
	int count = eventfd(0, EFD_NONBLOCK);
	int sem = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE);
	int tick = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	int oneshot = timerfd_create(CLOCK_BOOTTIME, 0);
	int longt = timerfd_create(CLOCK_MONOTONIC, 0);
	int wall = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	int sig = signalfd(-1, &usr2, SFD_NONBLOCK | SFD_CLOEXEC);
	int ep = epoll_create1(0), inner = epoll_create1(EPOLL_CLOEXEC);
	if (count < 0 || sem < 0 || tick < 0 || oneshot < 0 || longt < 0 || wall < 0 || sig < 0 || ep < 0 || inner < 0)
		die("create");
	add(ep, work[0], EPOLLIN | EPOLLONESHOT, EV_PIPE);
	add(ep, count, EPOLLIN | EPOLLET, EV_COUNT);
	add(ep, sem, EPOLLIN | EPOLLET, EV_SEM);
	add(ep, tick, EPOLLIN, EV_TIMER);
	add(ep, control[0], EPOLLIN | EPOLLEXCLUSIVE, EV_CONTROL);
	add(inner, sig, EPOLLIN, 0xfeedface00000000ull);
	add(ep, inner, EPOLLIN, EV_INNER);

	struct itimerspec t = { { 0, 50000000 }, { 0, 50000000 } };
	struct itimerspec once = { { 0, 0 }, { 0, 200000000 } };
	struct itimerspec lng = { { 7, 250000000 }, { 1000, 0 } };
	if (timerfd_settime(tick, 0, &t, NULL) || timerfd_settime(oneshot, 0, &once, NULL) ||
	    timerfd_settime(longt, 0, &lng, NULL))
		die("timerfd_settime");
	/* A wall-clock deadline 100 s from now, cancelled if the clock is set. */
	struct itimerspec date = { { 0, 0 }, { 0, 0 } };
	clock_gettime(CLOCK_REALTIME, &date.it_value);
	date.it_value.tv_sec += 100;
	if (timerfd_settime(wall, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &date, NULL))
		die("timerfd_settime abstime");

	uint64_t ticks = 0, items = 0, item_sum = 0, counted = 0, sem_units = 0, signals = 0, rearms = 0;
	uint64_t inner_data = 0;
	while (ticks < TICKS) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			uint64_t v;
			switch (evs[i].data.u64) {
			case EV_TIMER:
				if (read(tick, &v, 8) != 8)
					break;
				/* One work step per expiration, however many came at once. */
				for (uint64_t k = 0; k < v && ticks < TICKS; k++) {
					ticks++;
					char item[16];
					int len = snprintf(item, sizeof(item), "%07llu\n", (unsigned long long)(ticks * ticks));
					if (write(work[1], item, (size_t)len) != len)
						die("write work");
					uint64_t one = ticks;
					if (write(count, &one, 8) != 8 || write(sem, &(uint64_t){ 2 }, 8) != 8)
						die("write eventfd");
					if (ticks % 7 == 0)
						raise(SIGUSR2);
					if (ticks % 3 == 0) { /* re-arm the one-shot pipe */
						struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = EV_PIPE };
						if (epoll_ctl(ep, EPOLL_CTL_MOD, work[0], &ev))
							die("epoll_ctl mod");
						rearms++;
					}
					if (ticks == TICKS / 2 && write(control[1], "c", 1) != 1)
						die("write control");
				}
				break;
			case EV_PIPE: {
				char line[8]; /* two items at most per wakeup */
				for (int k = 0; k < 2 && read(work[0], line, 8) == 8; k++) {
					items++;
					item_sum += strtoull(line, NULL, 10);
				}
				break;
			}
			case EV_COUNT:
				if (ticks % 5 == 0 && read(count, &v, 8) == 8)
					counted += v;
				break;
			case EV_SEM:
				if (read(sem, &v, 8) == 8)
					sem_units += v;
				break;
			case EV_INNER: {
				struct epoll_event iev;
				if (epoll_wait(inner, &iev, 1, 0) == 1) {
					inner_data = iev.data.u64;
					struct signalfd_siginfo si;
					while (read(sig, &si, sizeof(si)) == sizeof(si))
						signals += si.ssi_signo == SIGUSR2;
				}
				break;
			}
			case EV_CONTROL: {
				char c;
				if (read(control[0], &c, 1) == 1)
					printf("control byte '%c' seen\n", c);
				break;
			}
			}
		}
	}
	/* What is still queued, then the totals. */
	uint64_t v;
	char line[8];
	uint64_t left = 0;
	while (read(work[0], line, 8) == 8) {
		left++;
		item_sum += strtoull(line, NULL, 10);
	}
	uint64_t count_left = read(count, &v, 8) == 8 ? v : 0;
	uint64_t sem_left = 0;
	while (read(sem, &v, 8) == 8)
		sem_left += v;
	/* How the work split between the loop and the drain depends on timing;
	 * the totals do not. */
	printf("ticks %llu, items %llu, item sum %llu\n", (unsigned long long)ticks,
	       (unsigned long long)(items + left), (unsigned long long)item_sum);
	printf("eventfd total %llu, semaphore units %llu\n", (unsigned long long)(counted + count_left),
	       (unsigned long long)(sem_units + sem_left));
	printf("signals %llu (inner data %llx), re-arms %llu\n", (unsigned long long)signals,
	       (unsigned long long)inner_data, (unsigned long long)rearms);
	if (read(oneshot, &v, 8) == 8)
		printf("one-shot timer: %llu expiration waiting\n", (unsigned long long)v);
	struct itimerspec cur;
	timerfd_gettime(longt, &cur);
	printf("long timer: %s, interval %ld.%09ld\n", cur.it_value.tv_sec > 900 ? "armed" : "NOT armed",
	       (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
	/* Still due at the same date (the run takes seconds, not 5). */
	struct itimerspec left_date;
	timerfd_gettime(wall, &left_date);
	printf("wall-clock timer: %s\n",
	       left_date.it_value.tv_sec >= 90 && left_date.it_value.tv_sec < 100 ? "due at its date" : "WRONG");
	printf("flags: count %o sem %o sig %o ep %o\n", fcntl(count, F_GETFL) & 07777, fcntl(sem, F_GETFL) & 07777,
	       fcntl(sig, F_GETFL) & 07777, fcntl(ep, F_GETFL) & 07777);
	printf("cloexec: sig %d inner %d ep %d\n", fcntl(sig, F_GETFD), fcntl(inner, F_GETFD), fcntl(ep, F_GETFD));
	return 0;
}
