/* The walk every scan of the image directory shares: fn(dirfd, name, arg)
 * for each entry, from the directory's start, read through `dents` (64 KiB
 * of scratch). Raw syscalls only: it runs while the program is stopped. */
#ifndef TCP_DIR_EACH_H
#define TCP_DIR_EACH_H

#include "../common/rawsys.h"

static inline void dir_each(int dirfd, char *dents, void (*fn)(int dirfd, const char *name, void *arg), void *arg)
{
	r_lseek(dirfd, 0, 0);
	for (;;) {
		long n = r_getdents64(dirfd, dents, 65536);
		if (n <= 0)
			break;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dents + pos);
			pos += e->d_reclen;
			fn(dirfd, e->d_name, arg);
		}
	}
}

#endif
