/* Periodic checkpoints (TCP_INTERVAL): a POSIX timer of the process sends
 * the checkpoint signal, marked so that the handler knows no one sent it
 * (the app's own handler is then not called). The timer does not survive a
 * restore, so it is created again there. Raw syscalls: also used from the
 * restored handler. */
#include "internal.h"
#include "../common/rawsys.h"

#include <signal.h>
#include <time.h>

#define TCP_TIMER_MAGIC 0x7463702d /* "tcp-" */

static int timer_id = -1;
static long owner_pid; /* a fork() of the app inherits timer_id, not the timer */

int tcp_periodic_start(void)
{
	struct sigevent sev;
	struct itimerspec its;
	int id;

	timer_id = -1;
	if (!tcp_cfg.interval)
		return 0;
	f_memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = tcp_cfg.signal;
	sev.sigev_value.sival_int = TCP_TIMER_MAGIC;
	if (rsys3(__NR_timer_create, 1 /* CLOCK_MONOTONIC */, (long)&sev, (long)&id) < 0)
		return -1;
	f_memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = tcp_cfg.interval;
	its.it_interval.tv_sec = tcp_cfg.interval;
	if (rsys4(__NR_timer_settime, id, 0, (long)&its, 0) < 0) {
		rsys1(__NR_timer_delete, id);
		return -1;
	}
	timer_id = id;
	owner_pid = r_getpid();
	return 0;
}

int tcp_periodic_timer_id(void)
{
	return owner_pid == r_getpid() ? timer_id : -1;
}

int tcp_is_periodic(const siginfo_t *si)
{
	return tcp_periodic_timer_id() >= 0 && si && si->si_code == SI_TIMER && si->si_value.sival_int == TCP_TIMER_MAGIC;
}
