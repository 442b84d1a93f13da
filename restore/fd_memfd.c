/* fds of shared memory objects (memfd, /dev/shm files) at restore: a new
 * open file description of the object shm.c recreated, with the fd's flags
 * and offset, so that the fd and the program's mappings share one object. */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int memfd_reopen(const struct img_fd *d, int object)
{
	const struct tcp_fd *f = &d->f;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", object);
	/* O_NOFOLLOW (shm_open sets it) would refuse the /proc link itself. */
	int fd = open(self, (int)(f->flags & ~(uint32_t)(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_NOFOLLOW)) | O_CLOEXEC);
	if (fd < 0 || lseek(fd, (off_t)f->pos, SEEK_SET) < 0) {
		say("fd %d: cannot reopen the recreated shared memory %s: %s (is /proc mounted?)", f->fd, d->path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int open_fd_memfd(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)image_fd, (void)o;
	const struct tcp_fd *f = &d->f;
	int object = shm_object_fd(f->u.memfd.shm_index);
	if (object < 0) {
		say("fd %d (%s): its shared memory object %u was not recreated; the image is inconsistent", f->fd,
		    d->path, f->u.memfd.shm_index);
		return -1;
	}
	return memfd_reopen(d, object);
}
