#include "fdinfo_parse.h"
#include "fstr.h"

/* Parses digits in `base` after optional spaces/tabs; returns -1 if none. */
static int field_number(const char *s, size_t len, int base, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	size_t start = i;
	while (i < len && s[i] >= '0' && s[i] < '0' + base) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + d;
		i++;
	}
	if (i == start)
		return -1;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i != len) /* trailing garbage */
		return -1;
	*out = v;
	return 0;
}

static int digit_value(char c, int base)
{
	int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return v < base ? v : -1;
}

/* Like field_number, in base 8, 10 or 16, but stops at the first character
 * that is not a digit (the rest of the line is the caller's). *used = the
 * characters consumed, spaces included. */
static int leading_number(const char *s, size_t len, int base, uint64_t *out, size_t *used)
{
	size_t i = 0;
	uint64_t v = 0;
	int neg = 0;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (base == 10 && i < len && s[i] == '-') {
		neg = 1;
		i++;
	}
	size_t start = i;
	for (int d; i < len && (d = digit_value(s[i], base)) >= 0; i++) {
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (i == start)
		return -1;
	*out = neg ? (uint64_t)0 - v : v;
	*used = i;
	return 0;
}

static int key_is(const char *line, size_t len, const char *key, size_t *rest)
{
	size_t k = f_strlen(key);
	if (len < k || !f_memeq(line, key, k))
		return 0;
	*rest = k;
	return 1;
}

int fdinfo_parse(const char *buf, size_t len, struct fdinfo *o)
{
	size_t pos = 0;
	f_memset(o, 0, sizeof(*o));
	while (pos < len) {
		size_t end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		const char *line = buf + pos;
		size_t llen = end - pos, r;
		uint64_t v;
		if (key_is(line, llen, "pos:", &r)) {
			if (field_number(line + r, llen - r, 10, &v))
				return -1;
			o->pos = v;
			o->have_pos = 1;
		} else if (key_is(line, llen, "flags:", &r)) {
			if (field_number(line + r, llen - r, 8, &v) || v > 0xffffffffu)
				return -1;
			o->flags = (uint32_t)v;
			o->have_flags = 1;
		} else if (key_is(line, llen, "mnt_id:", &r)) {
			if (field_number(line + r, llen - r, 10, &v) || v > 0xffffffffu)
				return -1;
			o->mnt_id = (uint32_t)v;
		} else if (key_is(line, llen, "ino:", &r)) {
			if (field_number(line + r, llen - r, 10, &v))
				return -1;
			o->ino = v;
		}
		pos = end + 1;
	}
	return (o->have_pos && o->have_flags) ? 0 : -1;
}

int fdinfo_field(const char *buf, size_t len, const char *key, int base, uint64_t *out)
{
	size_t k = f_strlen(key);
	for (size_t pos = 0; pos < len;) {
		size_t end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		if (end - pos >= k && f_memeq(buf + pos, key, k)) {
			uint64_t v;
			size_t used;
			const char *rest = buf + pos + k;
			size_t rlen = end - pos - k;
			if (leading_number(rest, rlen, base, &v, &used))
				return -1;
			while (used < rlen && (rest[used] == ' ' || rest[used] == '\t'))
				used++;
			if (used != rlen)
				return -1;
			*out = v;
			return 0;
		}
		pos = end + 1;
	}
	return -1;
}

/* "NAME:" then a number: advances *p over both. */
static int labelled(const char *line, size_t llen, size_t *p, const char *name, int base, uint64_t *v)
{
	size_t k = f_strlen(name), used;
	while (*p < llen && (line[*p] == ' ' || line[*p] == '\t'))
		(*p)++;
	if (llen - *p < k || !f_memeq(line + *p, name, k))
		return -1;
	*p += k;
	if (leading_number(line + *p, llen - *p, base, v, &used))
		return -1;
	*p += used;
	return 0;
}

int fdinfo_epoll_next(const char *buf, size_t len, size_t *pos, struct fdinfo_epoll_item *it)
{
	while (*pos < len) {
		size_t start = *pos, end = start;
		while (end < len && buf[end] != '\n')
			end++;
		*pos = end + 1;
		const char *line = buf + start;
		size_t llen = end - start, p = 0;
		if (llen < 4 || !f_memeq(line, "tfd:", 4))
			continue;
		/* tfd: %8d events: %8x data: %16llx  pos:%lli ino:%lx sdev:%x */
		uint64_t tfd, events, data, ipos, ino;
		if (labelled(line, llen, &p, "tfd:", 10, &tfd) || (int64_t)tfd < 0 || tfd > 0x7fffffff ||
		    labelled(line, llen, &p, "events:", 16, &events) || events > 0xffffffffu ||
		    labelled(line, llen, &p, "data:", 16, &data) || labelled(line, llen, &p, "pos:", 10, &ipos) ||
		    labelled(line, llen, &p, "ino:", 16, &ino))
			return -1;
		it->tfd = (int32_t)tfd;
		it->events = (uint32_t)events;
		it->data = data;
		it->ino = ino;
		return 1;
	}
	return 0;
}
