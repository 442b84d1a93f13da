/* inotify instances at restore (issue 7): stub. */
#include "restore.h"

int open_fd_inotify(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	say("fd %d: inotify is not supported by this tcp-restore", d->f.fd);
	return -1;
}
