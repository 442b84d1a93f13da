/* memfd_create() files (issue 7): stub until shared memory lands. */
#include "dump.h"

int dump_fd_memfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	return dump_fd_refuse(d, p->fd, out->path, "an anonymous file (memfd) is not supported yet");
}
