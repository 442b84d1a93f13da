/* Telling the image mappings of tcp-restore --lazy (image_mapping.h). */
#include "image_mapping.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"
#include "../image/format.h"

#include <fcntl.h>
#include <sys/stat.h>

#define DELETED_SUFFIX " (deleted)"

int image_mapping_name(const char *path, int *deleted)
{
	size_t len = f_strlen(path);
	size_t sl = sizeof(DELETED_SUFFIX) - 1;
	int del = 0;
	*deleted = 0;
	if (path[0] != '/')
		return 0;
	if (len > sl && f_streq(path + len - sl, DELETED_SUFFIX)) {
		del = 1;
		len -= sl;
	}
	if (len < 5 || !f_memeq(path + len - 4, ".tcp", 4))
		return 0;
	size_t end = len - 4, p = end;
	while (p > 0 && path[p - 1] >= '0' && path[p - 1] <= '9')
		p--;
	/* NNNNNN, after a '.' that follows a program name of at least one byte */
	if (end - p < 6 || p < 2 || path[p - 1] != '.' || path[p - 2] == '/')
		return 0;
	*deleted = del;
	return 1;
}

/* The file behind fd is the one mapped and starts with the image magic. */
static int is_image_file(long fd, const struct maps_entry *e, int check_identity)
{
	struct stat st;
	char magic[8];
	if (fd < 0)
		return -1;
	int ok = r_fstat((int)fd, &st) == 0;
	if (ok && check_identity) {
		uint64_t dev = (uint64_t)st.st_dev;
		uint32_t major = (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
		uint32_t minor = (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
		ok = (uint64_t)st.st_ino == e->inode && major == e->dev_major && minor == e->dev_minor;
		if (!ok) {
			r_close((int)fd);
			return -1; /* another file at that path now: the mapped one is gone */
		}
	}
	ok = ok && r_pread((int)fd, magic, 8, 0) == 8 && f_memeq(magic, TCP_IMAGE_MAGIC, 8);
	r_close((int)fd);
	return ok;
}

int is_image_mapping(const struct maps_entry *e)
{
	int deleted;
	if (e->shared || !image_mapping_name(e->path, &deleted))
		return 0;
	if (!deleted) {
		int r = is_image_file(r_open(e->path, O_RDONLY | O_CLOEXEC, 0), e, 1);
		if (r >= 0)
			return r;
	}
	/* Gone from its path (TCP_KEEP dropped it): the mapped file itself is
	 * reachable through map_files, but only with CAP_CHECKPOINT_RESTORE.
	 * Without it the name decides. That is safe: storing the pages of a
	 * private mapping of a deleted file as anonymous memory keeps exactly
	 * what the program sees (the alternative is refusing the checkpoint). */
	char link[64];
	struct fbuf b;
	fb_init(&b, link, sizeof(link));
	fb_puts(&b, "/proc/self/map_files/");
	fb_putu(&b, e->start, 16, 0);
	fb_putc(&b, '-');
	fb_putu(&b, e->end, 16, 0);
	int r = is_image_file(r_open(link, O_RDONLY | O_CLOEXEC, 0), e, 0);
	return r >= 0 ? r : 1;
}
