/* Anonymous-inode fds (issue 7): eventfd, timerfd, signalfd, epoll, inotify.
 * Stub until they land. */
#include "dump.h"

int dump_fd_anon(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	if (f_streq(out->path, "anon_inode:inotify"))
		return dump_fd_inotify(d, p, out);
	return dump_fd_refuse(d, p->fd, out->path, "this kind of file descriptor is not supported yet");
}

int dump_fd_anon_finish(struct dump_ctx *d)
{
	(void)d;
	return 0;
}
