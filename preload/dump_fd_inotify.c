/* inotify instances: every watch (wd, mask, and its path, which the kernel
 * does not keep: inotify_paths.c noted it when the app added the watch).
 * Events already queued cannot be carried over, so their presence refuses
 * the checkpoint rather than losing them. */
#include "dump.h"
#include "../common/fdinfo_inotify.h"
#include "../common/rawsys.h"

#define FIONREAD_ 0x541B

int dump_fd_inotify(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	int queued = 0;
	if (r_ioctl((int)p->fd, FIONREAD_, (long)&queued) == 0 && queued > 0)
		return dump_fd_refuse(d, p->fd, out->path,
				      "inotify events are queued that the program has not read yet; they cannot be "
				      "carried over. Checkpoint again a moment later (the program reads them)");
	/* Pass 1: room for the content; pass 2: fill it. */
	uint64_t need = 0;
	char *buf = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0;
		uint64_t at = 0;
		struct fdinfo_watch w;
		int rc;
		while ((rc = fdinfo_inotify_next(p->fdinfo, (size_t)p->fdinfo_len, &pos, &w)) == 1) {
			const char *path = tcp_inotify_path(w.wd, w.ino, w.dev);
			if (!path) {
				fb_puts(&d->err, "cannot checkpoint fd ");
				fb_puti(&d->err, p->fd);
				fb_puts(&d->err, " (inotify): the path of watch ");
				fb_puti(&d->err, w.wd);
				fb_puts(&d->err, " (inode ");
				fb_puti(&d->err, (long)w.ino);
				fb_puts(&d->err, ") is not known: the watch was added without going through libc's "
						 "inotify_add_watch, or its file was renamed or removed since");
				return -1;
			}
			uint32_t len = (uint32_t)f_strlen(path);
			uint64_t size = (sizeof(struct tcp_inotify_watch) + len + 7) & ~7ull;
			if (pass == 1) {
				struct tcp_inotify_watch *h = (struct tcp_inotify_watch *)(buf + at);
				f_memset(h, 0, (size_t)size);
				h->wd = w.wd;
				h->mask = w.mask;
				h->path_len = len;
				f_memcpy(h + 1, path, len);
			}
			at += size;
		}
		if (rc < 0)
			return dump_fd_refuse(d, p->fd, out->path, "cannot read the watches in its /proc/self/fdinfo entry");
		need = at;
		if (pass == 0 && need && !(buf = arena_alloc(d, need))) {
			fb_puts(&d->err, "out of scratch memory");
			return -1;
		}
	}
	out->rec.kind = TCP_FD_INOTIFY;
	out->data = buf;
	out->data_len = need;
	return 0;
}
