#include "dump.h"
#include "../common/rawsys.h"

#include <fcntl.h>

void *arena_alloc(struct dump_ctx *d, uint64_t len)
{
	len = (len + 63) & ~63ull;
	if (d->used + len > d->arena_len)
		return 0;
	void *p = d->arena + d->used;
	d->used += len;
	return p;
}

/* Reads a whole (proc) file into buf; returns its length, or -errno, or
 * -EFBIG (-27) when it does not fit. */
long read_whole(const char *path, char *buf, uint64_t cap)
{
	long fd = r_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	uint64_t len = 0;
	for (;;) {
		if (len == cap) {
			r_close((int)fd);
			return -27;
		}
		long n = r_read((int)fd, buf + len, cap - len);
		if (n == -4)
			continue;
		if (n < 0) {
			r_close((int)fd);
			return n;
		}
		if (n == 0)
			break;
		len += (uint64_t)n;
	}
	r_close((int)fd);
	return (long)len;
}

int path_append_num(char *buf, size_t cap, const char *prefix, long n, const char *suffix)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	fb_puts(&b, prefix);
	fb_puti(&b, n);
	fb_puts(&b, suffix);
	return b.full ? -1 : 0;
}

uint64_t now_ms(void)
{
	struct { long sec, nsec; } ts;
	r_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.sec * 1000 + (uint64_t)ts.nsec / 1000000;
}
