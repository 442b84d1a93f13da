/* Parser for the "inotify wd:..." lines of an inotify fd's
 * /proc/PID/fdinfo/N. Freestanding. */
#ifndef TCP_FDINFO_INOTIFY_H
#define TCP_FDINFO_INOTIFY_H

#include <stddef.h>
#include <stdint.h>

struct fdinfo_watch {
	int32_t wd;
	uint32_t mask;
	uint64_t ino;
	uint64_t dev;	/* as stat() reports st_dev (converted from the kernel's sdev) */
};

/* The next watch line at or after *pos: 1 and *w filled (*pos moves past
 * it), 0 when there are no more, -1 on a line it cannot read. */
int fdinfo_inotify_next(const char *buf, size_t len, size_t *pos, struct fdinfo_watch *w);

#endif
