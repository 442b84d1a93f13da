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

#endif
