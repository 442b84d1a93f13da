/* See proc_fields.h. Freestanding. */
#include "proc_fields.h"
#include "fdinfo_parse.h"
#include "rawsys.h"

int proc_fields_read(int fd, char *buf, size_t cap, const char *const *keys, int nkeys, int base, uint64_t *out)
{
	int found = 0, all = (1 << nkeys) - 1, skipping = 0;
	size_t len = 0;
	while (found != all) {
		long n = r_read(fd, buf + len, cap - len);
		if (n == -4)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			for (int k = 0; k < nkeys && !skipping; k++)
				if (fdinfo_field(buf + start, i + 1 - start, keys[k], base, &out[k]) == 0) {
					found |= 1 << k;
					break;
				}
			skipping = 0;
			start = i + 1;
		}
		if (start == 0 && len == cap) {
			skipping = 1; /* a line longer than buf: not one of the keys */
			len = 0;
		} else {
			for (size_t i = start; i < len; i++)
				buf[i - start] = buf[i];
			len -= start;
		}
	}
	return found;
}
