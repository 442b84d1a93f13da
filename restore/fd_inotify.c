/* inotify at restore: a new instance with the same flags, every watch
 * re-added by path with its mask and under the same watch descriptor the
 * program knows it by. The kernel hands out wds in increasing order and
 * never reuses one soon, so a gap before a wd (watches the program removed)
 * is consumed with throw-away watches on files of a scratch directory.
 * Events queued but unread at checkpoint time are not in the image: the
 * checkpoint is refused while there are any (preload/dump_fd_inotify.c). */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_GAP 100000

struct watch {
	struct tcp_inotify_watch h;
	char *path;
};

static int by_wd(const void *a, const void *b)
{
	const struct watch *x = a, *y = b;
	return (x->h.wd > y->h.wd) - (x->h.wd < y->h.wd);
}

/* Parses the content into watches sorted by wd; NULL after a message. */
static struct watch *read_watches(const struct img_fd *d, int image_fd, size_t *count)
{
	uint64_t len = TCP_FD_DATA_LEN(&d->f);
	char *buf = len ? malloc(len) : NULL;
	struct watch *w = calloc(len / sizeof(struct tcp_inotify_watch) + 1, sizeof(*w));
	size_t n = 0;
	if ((len && !buf) || !w) {
		say("out of memory");
		goto fail;
	}
	if (len && pread(image_fd, buf, len, (off_t)d->content_off) != (ssize_t)len) {
		say("fd %d: cannot read its inotify watches from the image", d->f.fd);
		goto fail;
	}
	for (uint64_t at = 0; at < len; n++) {
		struct tcp_inotify_watch h;
		if (len - at < sizeof(h))
			goto bad;
		memcpy(&h, buf + at, sizeof(h));
		uint64_t size = (sizeof(h) + (uint64_t)h.path_len + 7) & ~7ull;
		if (h.wd <= 0 || !h.path_len || h.path_len >= TCP_PATH_MAX || size > len - at ||
		    memchr(buf + at + sizeof(h), 0, h.path_len))
			goto bad;
		w[n].h = h;
		w[n].path = strndup(buf + at + sizeof(h), h.path_len);
		if (!w[n].path) {
			say("out of memory");
			goto fail;
		}
		at += size;
	}
	free(buf);
	qsort(w, n, sizeof(*w), by_wd);
	for (size_t i = 1; i < n; i++)
		if (w[i].h.wd == w[i - 1].h.wd)
			goto bad_sorted;
	*count = n;
	return w;
bad_sorted:
	buf = NULL;
bad:
	say("fd %d: the inotify watches in the image are damaged", d->f.fd);
fail:
	for (size_t i = 0; w && i < n; i++)
		free(w[i].path);
	free(w);
	free(buf);
	return NULL;
}

/* Uses up watch descriptors until the next one the kernel gives is `want`.
 * `*next` is the wd the kernel gives next; `scratch` a directory of ours. */
static int skip_to(int fd, int want, int *next, const char *scratch, const struct img_fd *d)
{
	for (int i = 0; *next < want; i++) {
		if (i > MAX_GAP) {
			say("fd %d: inotify watch %d comes after a gap of more than %d removed watches; it cannot be "
			    "given the same number again",
			    d->f.fd, want, MAX_GAP);
			return -1;
		}
		char file[4200];
		snprintf(file, sizeof(file), "%s/%d", scratch, i);
		int f = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		int wd = f >= 0 ? inotify_add_watch(fd, file, IN_ATTRIB) : -1;
		if (f >= 0)
			close(f);
		if (wd < 0) {
			say("fd %d: cannot renumber inotify watches (%s): %s", d->f.fd, file, strerror(errno));
			unlink(file);
			return -1;
		}
		inotify_rm_watch(fd, wd);
		unlink(file);
		*next = wd + 1;
	}
	return 0;
}

int open_fd_inotify(const struct img_fd *d, int image_fd, const struct restore_opts *o)
{
	(void)o;
	size_t n = 0;
	struct watch *w = read_watches(d, image_fd, &n);
	if (!w)
		return -1;
	int fd = inotify_init1(IN_CLOEXEC | ((d->f.flags & O_NONBLOCK) ? IN_NONBLOCK : 0));
	char scratch[4096] = "";
	int next = 1, rc = fd < 0 ? -1 : 0;
	if (fd < 0)
		say("fd %d: cannot create an inotify instance: %s", d->f.fd, strerror(errno));
	for (size_t i = 0; i < n && !rc; i++) {
		if (w[i].h.wd > next && !scratch[0]) {
			const char *t = getenv("TMPDIR");
			snprintf(scratch, sizeof(scratch), "%s/tcp-inotify.XXXXXX", t && *t ? t : "/tmp");
			if (!mkdtemp(scratch)) {
				say("fd %d: cannot make a scratch directory %s: %s", d->f.fd, scratch, strerror(errno));
				scratch[0] = 0;
				rc = -1;
				break;
			}
		}
		if (skip_to(fd, w[i].h.wd, &next, scratch, d)) {
			rc = -1;
			break;
		}
		int wd = inotify_add_watch(fd, w[i].path, w[i].h.mask);
		if (wd < 0) {
			say("fd %d: cannot watch %s again (inotify watch %d): %s. Put it back, then restore again",
			    d->f.fd, w[i].path, w[i].h.wd, strerror(errno));
			rc = -1;
		} else if (wd != w[i].h.wd) {
			say("fd %d: %s came back as inotify watch %d instead of %d (is it watched twice, through "
			    "another path?)",
			    d->f.fd, w[i].path, wd, w[i].h.wd);
			rc = -1;
		}
		next = wd + 1;
	}
	if (scratch[0]) {
		rmdir(scratch);
		/* The throw-away watches left IN_IGNORED events. Whatever else is
		 * queued happened while the program was not running; it would
		 * not have seen it either. */
		int queued = 0;
		char ev[4096];
		while (!rc && ioctl(fd, FIONREAD, &queued) == 0 && queued > 0)
			if (read(fd, ev, sizeof(ev)) <= 0)
				break;
	}
	for (size_t i = 0; i < n; i++)
		free(w[i].path);
	free(w);
	if (rc && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}
