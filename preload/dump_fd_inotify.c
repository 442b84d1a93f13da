/* inotify instances (issue 7): stub until they land. */
#include "dump.h"

int dump_fd_inotify(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	return dump_fd_refuse(d, p->fd, out->path, "inotify is not supported yet");
}
