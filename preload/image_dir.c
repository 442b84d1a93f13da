/* TCP_DIR may be shared (a project's scratch directory, /tmp). libtcp
 * writes there only when no other user can remove, rename or plant files
 * in it: it belongs to the user or to root, and group and others may not
 * write it unless it is sticky (then they can add files, but not touch the
 * user's). Files in it are opened with O_NOFOLLOW and counted, kept or
 * deleted only when they are the user's own regular files; `latest` and
 * TCP_KEEP also look at the run that wrote each image (its run id). */
#include "image_dir.h"
#include "dump.h"
#include "../common/rawsys.h"
#include "../image/checksum.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>

/* Whether `uid` is how this user namespace shows an owner it does not
 * map. A restore run by a user (not root) puts the program in a user
 * namespace that maps that user only: root's files, and every other
 * user's, show the overflow uid (65534) there, and cannot be told apart.
 * tcp-restore checked the image's directory from outside, with the real
 * owners (restore/dir_lock.c); such an owner counts as root here. */
static int owner_unmapped(uid_t uid)
{
	char buf[512];
	long n = read_whole("/proc/self/uid_map", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (const char *p = buf; *p;) { /* a line whose first field is 0 maps root */
		while (*p == ' ')
			p++;
		if (p[0] == '0' && p[1] == ' ')
			return 0;
		while (*p && *p != '\n')
			p++;
		if (*p)
			p++;
	}
	n = read_whole("/proc/sys/kernel/overflowuid", buf, sizeof(buf) - 1);
	uint64_t over = 0;
	for (long i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		over = over * 10 + (uint64_t)(buf[i] - '0');
	return n > 0 && uid == (uid_t)over;
}

int image_dir_trusted(int dirfd, struct fbuf *why)
{
	struct stat st;
	long rc = r_fstat(dirfd, &st);
	if (rc < 0) {
		fb_puts(why, "cannot stat it: ");
		fb_puts(why, tcp_strerror(rc));
		return -1;
	}
	if (st.st_uid != (uid_t)r_getuid() && st.st_uid != 0 && !owner_unmapped(st.st_uid)) {
		fb_puts(why, "it belongs to uid ");
		fb_putu(why, st.st_uid, 10, 0);
		fb_puts(why, ", who can remove or replace the images in it; use a directory of your own");
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		fb_puts(why, "other users may write it (mode ");
		fb_putu(why, st.st_mode & 07777, 8, 4);
		fb_puts(why, ") and it is not sticky, so they could remove, replace or plant images and 'latest'; "
			     "chmod go-w it (or chmod +t it, if it must be shared)");
		return -1;
	}
	return 0;
}

int image_is_ours(int dirfd, const char *name)
{
	struct stat st;
	return r_fstatat(dirfd, name, &st, 0x100 /* AT_SYMLINK_NOFOLLOW */) == 0 && S_ISREG(st.st_mode) &&
	       st.st_uid == (uid_t)r_getuid();
}

int image_run_of(int dirfd, const char *name, struct tcp_process *scratch, uint64_t *run)
{
	struct tcp_file_header hdr;
	struct tcp_section_header sh;
	struct stat st;
	int rc = -1;
	long fd = r_openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (r_fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == (uid_t)r_getuid() &&
	    r_pread((int)fd, &hdr, sizeof(hdr), 0) == (long)sizeof(hdr) && f_memeq(hdr.magic, TCP_IMAGE_MAGIC, 8) &&
	    hdr.version == TCP_FORMAT_VERSION && hdr.checksum == csum_buf(&hdr, offsetof(struct tcp_file_header, checksum)) &&
	    r_pread((int)fd, &sh, sizeof(sh), sizeof(hdr)) == (long)sizeof(sh) && sh.magic == TCP_SECTION_MAGIC &&
	    sh.header_sum == csum_buf_keyed(hdr.image_id, &sh, offsetof(struct tcp_section_header, header_sum)) &&
	    sh.type == TCP_SEC_PROCESS && sh.length == sizeof(*scratch) &&
	    r_pread((int)fd, scratch, sizeof(*scratch), sizeof(hdr) + sizeof(sh)) == (long)sizeof(*scratch) &&
	    sh.payload_sum == csum_buf_keyed(hdr.image_id, scratch, sizeof(*scratch))) {
		*run = scratch->run_id;
		rc = 0;
	}
	r_close((int)fd);
	return rc;
}
