/* A line looks like (fs/notify/fdinfo.c):
 *   inotify wd:2 ino:2dd sdev:fe00000 mask:84000002 ignored_mask:0 fhandle-bytes:8 ...
 * Numbers are hex; sdev is the kernel's dev_t (major << 20 | minor). */
#include "fdinfo_inotify.h"
#include "fstr.h"

/* The hex value of the blank-separated word "key:value" in [p, end); -1 if
 * absent or bad. */
static int hex_field(const char *p, const char *end, const char *key, uint64_t *out)
{
	size_t k = f_strlen(key);
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		const char *w = p;
		while (p < end && *p != ' ')
			p++;
		if ((size_t)(p - w) <= k || !f_memeq(w, key, k))
			continue;
		uint64_t v = 0;
		for (const char *q = w + k; q < p; q++) {
			int d = *q >= '0' && *q <= '9' ? *q - '0'
				: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
				: *q >= 'A' && *q <= 'F' ? *q - 'A' + 10 : -1;
			if (d < 0 || q - (w + k) >= 16)
				return -1;
			v = v << 4 | (uint64_t)d;
		}
		*out = v;
		return 0;
	}
	return -1;
}

int fdinfo_inotify_next(const char *buf, size_t len, size_t *pos, struct fdinfo_watch *w)
{
	static const char tag[] = "inotify ";
	while (*pos < len) {
		const char *line = buf + *pos, *end = line;
		while (end < buf + len && *end != '\n')
			end++;
		*pos = (size_t)(end - buf) + 1;
		if ((size_t)(end - line) < sizeof(tag) - 1 || !f_memeq(line, tag, sizeof(tag) - 1))
			continue;
		uint64_t wd, ino, sdev, mask;
		const char *fields = line + sizeof(tag) - 1;
		if (hex_field(fields, end, "wd:", &wd) || hex_field(fields, end, "ino:", &ino) ||
		    hex_field(fields, end, "sdev:", &sdev) || hex_field(fields, end, "mask:", &mask) ||
		    wd == 0 || wd > 0x7fffffff || mask > 0xffffffffu)
			return -1;
		w->wd = (int32_t)wd;
		w->mask = (uint32_t)mask;
		w->ino = ino;
		/* The kernel's MAJOR/MINOR, re-encoded the way glibc's makedev() does. */
		uint64_t major = sdev >> 20, minor = sdev & 0xfffff;
		w->dev = (major & 0xfff) << 8 | (major & ~0xfffull) << 32 | (minor & 0xff) | (minor & ~0xffull) << 12;
		return 1;
	}
	return 0;
}
