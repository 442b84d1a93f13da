/* How far the image writer is, for tcp-ckpt (writer_progress.c). Runs in
 * the writer (forked, or the paused program): raw syscalls only. */
#ifndef TCP_WRITER_PROGRESS_H
#define TCP_WRITER_PROGRESS_H

#include <stdint.h>

struct tcp_progress {
	uint64_t done;		/* bytes of the program's memory gone through */
	uint64_t next_check;	/* done at which the clock is looked at next; ~0: off */
	uint64_t total;		/* expected done at the end; 0 if not known */
	uint64_t t0_ms, shown_ms;
};

extern struct tcp_progress tcp_progress;

/* Publishes "0 of total" at once: tcp-ckpt learns the total early. */
void tcp_progress_begin(uint64_t total);
void tcp_progress_check(void);
/* Publishes the last figures (done of done); progress is off again. */
void tcp_progress_end(void);

/* Per page looked at: an addition and a comparison; the clock only every
 * few MiB. */
static inline void tcp_progress_add(uint64_t bytes)
{
	tcp_progress.done += bytes;
	if (tcp_progress.done >= tcp_progress.next_check)
		tcp_progress_check();
}

#endif
