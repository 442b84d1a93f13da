/* Periodic checkpoints (TCP_INTERVAL): a POSIX timer of the process sends
 * the checkpoint signal, marked so that the handler knows no one sent it
 * (the app's own handler is then not called). The timer does not survive a
 * restore, so it is created again there. Raw syscalls: also used from the
 * restored handler. */
#include "internal.h"
#include "../common/rawsys.h"

#include <signal.h>

#define TCP_TIMER_MAGIC 0x7463702d /* "tcp-" */

static struct tcp_signal_timer timer = TCP_SIGNAL_TIMER_NONE;

int tcp_periodic_start(void)
{
	/* After a restore the old timer is gone with the old process; starting
	 * a new one forgets its id. */
	if (!tcp_cfg.interval)
		return 0;
	return tcp_signal_timer_start(&timer, tcp_cfg.signal, TCP_TIMER_MAGIC, tcp_cfg.interval);
}

int tcp_periodic_timer_id(void)
{
	return tcp_signal_timer_id(&timer);
}

int tcp_is_periodic(const siginfo_t *si)
{
	return tcp_periodic_timer_id() >= 0 && si && si->si_code == SI_TIMER && si->si_value.sival_int == TCP_TIMER_MAGIC;
}
