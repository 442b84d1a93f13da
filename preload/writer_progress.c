/* The image writer's progress, published in /tmp/tcp-UID/PID.progress
 * (status.c, same directory and rules as the status file) for tcp-ckpt to
 * show on a terminal. Cheap: the clock is read once per CHECK_BYTES of
 * memory, the file replaced at most every PUBLISH_MS, so a small
 * checkpoint publishes twice (its start and its end) and a large one a few
 * times per second. */
#include "writer_progress.h"
#include "dump.h"

#define CHECK_BYTES (4ull << 20)
#define PUBLISH_MS 250

struct tcp_progress tcp_progress = { .next_check = ~0ull };

void tcp_progress_begin(uint64_t total)
{
	tcp_progress.done = 0;
	tcp_progress.total = total;
	tcp_progress.t0_ms = tcp_progress.shown_ms = now_ms();
	tcp_progress.next_check = CHECK_BYTES;
	tcp_status_progress(0, total, 0);
}

void tcp_progress_check(void)
{
	struct tcp_progress *p = &tcp_progress;
	p->next_check = p->done + CHECK_BYTES;
	uint64_t now = now_ms();
	if (now - p->shown_ms < PUBLISH_MS)
		return;
	p->shown_ms = now;
	tcp_status_progress(p->done, p->total, now - p->t0_ms);
}

void tcp_progress_end(void)
{
	struct tcp_progress *p = &tcp_progress;
	if (p->next_check == ~0ull)
		return;
	p->next_check = ~0ull;
	tcp_status_progress(p->done, p->done, now_ms() - p->t0_ms);
}
