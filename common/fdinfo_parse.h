/* Parser for /proc/PID/fdinfo/N. Freestanding. */
#ifndef TCP_FDINFO_PARSE_H
#define TCP_FDINFO_PARSE_H

#include <stdint.h>
#include <stddef.h>

struct fdinfo {
	uint64_t pos;
	uint32_t flags;	/* open flags as the kernel reports them (octal in the file), incl. O_CLOEXEC */
	uint32_t mnt_id;
	uint64_t ino;
	int have_pos, have_flags;
};

/* Returns 0 when at least pos and flags were found, -1 otherwise. Unknown
 * lines (eventfd-count, tfd, ...) are skipped. */
int fdinfo_parse(const char *buf, size_t len, struct fdinfo *out);

/* The number on the line that starts with `key` (e.g. "eventfd-count:",
 * "sigmask:", "settime flags:"; or "SigPnd:" of /proc/PID/status), in `base`
 * (8, 10 or 16). 0, or -1 if the line is missing or its value is not one
 * number. */
int fdinfo_field(const char *buf, size_t len, const char *key, int base, uint64_t *out);

/* One registration of an epoll fd: a "tfd:" line. */
struct fdinfo_epoll_item {
	int32_t tfd;
	uint32_t events;
	uint64_t data;
	uint64_t ino;		/* the target's inode */
};

/* The next "tfd:" line at or after *pos; advances *pos past it. Returns 1
 * with *it filled, 0 at the end, -1 on a malformed tfd line. */
int fdinfo_epoll_next(const char *buf, size_t len, size_t *pos, struct fdinfo_epoll_item *it);

#endif
