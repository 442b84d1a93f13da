/* The end of a run. When the program ends through exit() (it finished; it
 * was not killed), libtcp writes DIR/finished, so that tcp-run starts the
 * next run afresh instead of resuming an image of a run that is over (and
 * rolling its output files back). Only the process that is checkpointed
 * does it: not a child the program forked. */
#define _GNU_SOURCE
#include "internal.h"
#include "../common/rawsys.h"

#include <fcntl.h>

static long checkpointed_pid;

void tcp_finish_track(void)
{
	checkpointed_pid = r_getpid();
}

__attribute__((destructor)) static void tcp_finish(void)
{
	if (!tcp_active || r_getpid() != checkpointed_pid)
		return;
	/* A checkpoint still being written would end up newer than `finished`
	 * and be resumed: let it finish first. */
	tcp_writer_busy(1);
	char path[4200], line[256];
	struct fbuf p, l;
	fb_init(&p, path, sizeof(path));
	fb_init(&l, line, sizeof(line));
	fb_puts(&p, tcp_cfg.dir);
	fb_puts(&p, "/finished");
	fb_puts(&l, tcp_prog);
	fb_puts(&l, " (pid ");
	fb_puti(&l, checkpointed_pid);
	fb_puts(&l, ") ran to its end\n");
	if (p.full)
		return;
	long fd = r_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* tcp-run would resume; nothing else depends on it */
	r_write((int)fd, line, l.len);
	r_close((int)fd);
}
