/* Pipes and FIFOs (issue 7): stub until both-ends support lands. fds 0-2 on
 * a pipe to another process are taken from the restorer. */
#include "dump.h"

int dump_fd_pipe(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	if (p->fd <= 2) {
		out->rec.kind = TCP_FD_INHERIT;
		out->rec.path_len = 0;
		return 0;
	}
	return dump_fd_refuse(d, p->fd, out->path, "pipes and FIFOs other than the standard fds 0-2 are not supported yet");
}

int dump_fd_pipes_finish(struct dump_ctx *d)
{
	(void)d;
	return 0;
}
