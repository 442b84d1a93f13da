/* See query.h. Raw: runs while the tree is stopped. */
#include "query.h"
#include "area.h"
#include "../../common/rawsys.h"

#include <fcntl.h>
#include <sys/stat.h>

static uint64_t dev_key_of(uint64_t st_dev)
{
	uint32_t major = (uint32_t)(((st_dev >> 8) & 0xfff) | ((st_dev >> 32) & ~0xfffull));
	uint32_t minor = (uint32_t)((st_dev & 0xff) | ((st_dev >> 12) & ~0xffull));
	return (uint64_t)major << 32 | minor;
}

int tree_active(void)
{
	return tcp_tree != 0;
}

void tree_pipe_ends(uint64_t st_dev, uint64_t ino, int fd, int *readers, int *writers, int *stores)
{
	const struct tree_area *a = tcp_tree;
	int me = (int)r_getpid(), first = 1;
	uint64_t dev = dev_key_of(st_dev);
	*readers = *writers = *stores = 0;
	for (int i = 0; a && i < a->nfds; i++) {
		const struct tree_fd *f = &a->fds[i];
		if (f->ino != ino || f->dev != dev || !S_ISFIFO(f->mode))
			continue;
		int r = (f->flags & O_ACCMODE) != O_WRONLY, w = (f->flags & O_ACCMODE) != O_RDONLY;
		if (f->pid != me) {
			*readers |= r;
			*writers |= w;
		}
		if (r && first) {
			*stores = f->pid == me && f->fd == fd;
			first = 0;
		}
	}
}

int tree_holds_socket(uint64_t ino)
{
	const struct tree_area *a = tcp_tree;
	int me = (int)r_getpid();
	for (int i = 0; a && i < a->nfds; i++)
		if (a->fds[i].ino == ino && S_ISSOCK(a->fds[i].mode) && a->fds[i].pid != me)
			return 1;
	return 0;
}

int tree_has_socket(uint64_t ino)
{
	const struct tree_area *a = tcp_tree;
	for (int i = 0; a && ino && i < a->nfds; i++)
		if (a->fds[i].ino == ino && S_ISSOCK(a->fds[i].mode))
			return 1;
	return 0;
}

int tree_shm_owner(uint32_t major, uint32_t minor, uint64_t ino, int *nattach)
{
	const struct tree_area *a = tcp_tree;
	uint64_t dev = (uint64_t)major << 32 | minor;
	*nattach = 0;
	for (int i = 0; a && i < a->nshms; i++)
		if (a->shms[i].dev == dev && a->shms[i].ino == ino) {
			*nattach = a->shms[i].nattach;
			return a->shms[i].owner;
		}
	return 0;
}

long tree_sysv_nattch(uint32_t major, uint32_t minor, uint64_t id)
{
	const struct tree_area *a = tcp_tree;
	uint64_t dev = (uint64_t)major << 32 | minor;
	for (int i = 0; a && i < a->nshms; i++)
		if (a->shms[i].dev == dev && a->shms[i].ino == id && a->shms[i].type == TCP_SHM_SYSV)
			return a->shms[i].sysv_nattch;
	return -1;
}

int tree_pty_master_held(uint32_t index)
{
	const struct tree_area *a = tcp_tree;
	for (int i = 0; a && i < a->nfds; i++)
		if (a->fds[i].pty_master == (int32_t)index + 1)
			return 1;
	return 0;
}
