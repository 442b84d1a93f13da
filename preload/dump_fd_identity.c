/* What a restore needs to reopen the very file an fd names, and nothing
 * planted in its place (restore/file_identity.c): the owner, the device
 * number, and for a regular file a fingerprint: the checksum of its first
 * and of its last up to TCP_FP_LEN bytes. Runs while the program is paused:
 * raw syscalls, two small preads per regular file. */
#define _GNU_SOURCE
#include "dump.h"
#include "../common/rawsys.h"
#include "../common/fstr.h"
#include "../image/checksum.h"

#include <fcntl.h>
#include <sys/stat.h>

/* csum of `len` bytes at `off` of `fd` into *sum; 0, or -1 if short. */
static int hash_piece(int fd, char *buf, uint64_t off, uint32_t len, uint64_t *sum)
{
	uint32_t got = 0;
	while (got < len) {
		long n = r_pread(fd, buf + got, len - got, (long)(off + got));
		if (n == -4)
			continue;
		if (n <= 0)
			return -1;
		got += (uint32_t)n;
	}
	*sum = csum_buf(buf, len);
	return 0;
}

/* In a user namespace other than the initial one (a program restored by
 * an ordinary user runs in one), a file whose owner is not mapped there
 * shows as the overflow uid: its real owner is not known. */
static int owner_unknown(uint32_t uid, char *buf)
{
	char ns[64];
	long n = r_readlinkat(R_AT_FDCWD, "/proc/self/ns/user", ns, sizeof(ns) - 1);
	if (n < 0)
		return 0;
	ns[n] = 0;
	if (f_streq(ns, "user:[4026531837]")) /* the initial one (PROC_USER_INIT_INO) */
		return 0;
	long len = read_whole("/proc/sys/kernel/overflowuid", buf, 32);
	uint64_t overflow = 0;
	for (long i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++)
		overflow = overflow * 10 + (uint64_t)(buf[i] - '0');
	return len <= 0 || uid == overflow;
}

void dump_fd_identity(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	struct tcp_fd *r = &out->rec;
	if (owner_unknown(p->st->st_uid, d->bounce))
		r->owner.flags |= TCP_FDO_UID_UNKNOWN;
	r->owner.uid = p->st->st_uid;
	r->owner.gid = p->st->st_gid;
	r->owner.rdev = p->st->st_rdev;
	/* The birth time, where the filesystem keeps one: an inode number
	 * alone may be given again to a file made at the same path later. */
	struct statx sx;
	if (rsys5(__NR_statx, p->fd, (long)"", AT_EMPTY_PATH, STATX_BTIME, (long)&sx) == 0 &&
	    (sx.stx_mask & STATX_BTIME)) {
		r->owner.flags |= TCP_FDO_BTIME;
		r->owner.btime_sec = sx.stx_btime.tv_sec;
		r->owner.btime_nsec = sx.stx_btime.tv_nsec;
	}
	if (r->kind != TCP_FD_REGULAR || !S_ISREG(p->st->st_mode) || (r->flags & O_PATH))
		return;
	/* The program's own fd when it can read without O_DIRECT's alignment
	 * rules (pread leaves its offset alone); else a reopen through /proc,
	 * which needs read permission: without it, no fingerprint (a restore
	 * then accepts only the very same file). */
	int acc = (int)(r->flags & O_ACCMODE);
	int fd = (int)p->fd, own = 0;
	if (acc == O_WRONLY || (r->flags & O_DIRECT)) {
		char proc[64];
		path_append_num(proc, sizeof(proc), "/proc/self/fd/", p->fd, "");
		long o = r_open(proc, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
		if (o < 0)
			return;
		fd = (int)o;
		own = 1;
	}
	uint32_t len = r->size < TCP_FP_LEN ? (uint32_t)r->size : TCP_FP_LEN;
	r->owner.fp_len = len;
	if (!hash_piece(fd, d->bounce, 0, len, &r->owner.fp_head) &&
	    !hash_piece(fd, d->bounce, r->size - len, len, &r->owner.fp_tail))
		r->owner.flags |= TCP_FDO_FP;
	if (own)
		r_close(fd);
}
