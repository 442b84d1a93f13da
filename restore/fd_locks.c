/* File locks at restore (issue 7): stub. */
#include "restore.h"

int restore_fd_locks(const struct img_fd *d, int image_fd)
{
	(void)image_fd;
	say("fd %d: file locks are not supported by this tcp-restore", d->f.fd);
	return -1;
}
