/* The POSIX timers libtcp owns (TCP_INTERVAL, TCP_RETRY): an interval timer
 * of the process that sends a signal marked with a magic value, so that the
 * handler can tell it from a signal someone sent. A fork() of the app
 * inherits the recorded id but not the timer (and may create its own timer
 * with the same id), so the id counts only in the process that created it.
 * Raw syscalls: used from the signal handler on any thread. */
#include "internal.h"
#include "../common/rawsys.h"

#include <time.h>

int tcp_signal_timer_start(struct tcp_signal_timer *t, int sig, int magic, long secs)
{
	struct sigevent sev;
	struct itimerspec its;
	int id;

	t->id = -1;
	f_memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig;
	sev.sigev_value.sival_int = magic;
	if (rsys3(__NR_timer_create, 1 /* CLOCK_MONOTONIC */, (long)&sev, (long)&id) < 0)
		return -1;
	f_memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = secs;
	its.it_interval.tv_sec = secs;
	if (rsys4(__NR_timer_settime, id, 0, (long)&its, 0) < 0) {
		rsys1(__NR_timer_delete, id);
		return -1;
	}
	t->id = id;
	t->owner_pid = r_getpid();
	return 0;
}

int tcp_signal_timer_id(const struct tcp_signal_timer *t)
{
	return t->id >= 0 && t->owner_pid == r_getpid() ? t->id : -1;
}

void tcp_signal_timer_stop(struct tcp_signal_timer *t)
{
	if (tcp_signal_timer_id(t) >= 0)
		rsys1(__NR_timer_delete, t->id);
	t->id = -1;
}
