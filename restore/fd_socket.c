/* Sockets at restore (issue 7): stub. */
#include "restore.h"

int open_fd_socket(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	say("fd %d: sockets are not supported by this tcp-restore", d->f.fd);
	return -1;
}

int finish_fds_sockets(const struct tcp_image *img, int image_fd)
{
	(void)img, (void)image_fd;
	return 0;
}
