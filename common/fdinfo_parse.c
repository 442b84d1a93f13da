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
