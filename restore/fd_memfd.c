/* memfd files at restore (issue 7): stub. */
#include "restore.h"

int open_fd_memfd(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	say("fd %d: memfd files are not supported by this tcp-restore", d->f.fd);
	return -1;
}
