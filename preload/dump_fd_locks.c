/* Locks held through an fd (flock, fcntl POSIX and OFD locks), read from
 * the fd's fdinfo "lock:" lines and re-acquired at restore (restore/
 * fd_locks.c). POSIX locks shown there for another process (one that
 * shares this open file description) are not ours to keep. */
#include "dump.h"
#include "../common/fdinfo_locks.h"
#include "../common/rawsys.h"

#define MAX_LOCKS 256

int dump_fd_locks(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	int n = fdinfo_locks(p->fdinfo, (size_t)p->fdinfo_len, 0, 0);
	if (n == 0)
		return 0;
	if (n == -2)
		return dump_fd_refuse(d, p->fd, out->path,
				      "it holds a file lease or a mandatory lock, which cannot be restored");
	if (n < 0)
		return dump_fd_refuse(d, p->fd, out->path, "cannot read the locks in its /proc/self/fdinfo entry");
	if (n > MAX_LOCKS)
		return dump_fd_refuse(d, p->fd, out->path, "it holds more than 256 file locks");
	struct fdinfo_lock *all = arena_alloc(d, (uint64_t)n * sizeof(*all));
	out->locks = arena_alloc(d, (uint64_t)n * sizeof(*out->locks));
	if (!all || !out->locks) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	fdinfo_locks(p->fdinfo, (size_t)p->fdinfo_len, all, n);
	long self = r_getpid();
	uint32_t kept = 0;
	for (int i = 0; i < n; i++) {
		if (all[i].type == TCP_LOCK_POSIX && all[i].pid != self)
			continue;
		struct tcp_fd_lock *l = &out->locks[kept++];
		l->type = all[i].type;
		l->write = all[i].write;
		l->start = all[i].start;
		l->end = all[i].end;
	}
	out->rec.nlocks = kept;
	return 0;
}
