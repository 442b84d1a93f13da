/* Pipes and FIFOs at restore (issue 7): stub. */
#include "restore.h"

int open_fd_pipe(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	say("fd %d: pipes are not supported by this tcp-restore", d->f.fd);
	return -1;
}
