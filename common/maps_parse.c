#include "maps_parse.h"
#include "fstr.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a number in `base` at *i; requires at least one digit. */
static int number(const char *s, size_t len, size_t *i, int base, uint64_t *out)
{
	uint64_t v = 0;
	size_t start = *i;
	while (*i < len) {
		int d = hexval(s[*i]);
		if (d < 0 || d >= base)
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return -1; /* overflow */
		v = v * (uint64_t)base + (uint64_t)d;
		(*i)++;
	}
	if (*i == start)
		return -1;
	*out = v;
	return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

static void skip_spaces(const char *s, size_t len, size_t *i)
{
	while (*i < len && s[*i] == ' ')
		(*i)++;
}

int maps_parse_line(const char *s, size_t len, struct maps_entry *e)
{
	size_t i = 0;
	uint64_t maj, min;

	if (number(s, len, &i, 16, &e->start) || expect(s, len, &i, '-') ||
	    number(s, len, &i, 16, &e->end) || expect(s, len, &i, ' '))
		return -1;
	if (e->end <= e->start || i + 4 > len)
		return -1;
	e->prot = 0;
	if (s[i] == 'r')
		e->prot |= 1;
	else if (s[i] != '-')
		return -1;
	if (s[i + 1] == 'w')
		e->prot |= 2;
	else if (s[i + 1] != '-')
		return -1;
	if (s[i + 2] == 'x')
		e->prot |= 4;
	else if (s[i + 2] != '-')
		return -1;
	if (s[i + 3] == 's')
		e->shared = 1;
	else if (s[i + 3] == 'p')
		e->shared = 0;
	else
		return -1;
	i += 4;
	if (expect(s, len, &i, ' ') || number(s, len, &i, 16, &e->offset) ||
	    expect(s, len, &i, ' ') || number(s, len, &i, 16, &maj) ||
	    expect(s, len, &i, ':') || number(s, len, &i, 16, &min) ||
	    expect(s, len, &i, ' ') || number(s, len, &i, 10, &e->inode))
		return -1;
	if (maj > 0xffffffffu || min > 0xffffffffu || (i < len && s[i] != ' '))
		return -1;
	e->dev_major = (uint32_t)maj;
	e->dev_minor = (uint32_t)min;
	skip_spaces(s, len, &i);
	size_t plen = len - i;
	if (plen >= MAPS_PATH_MAX)
		return -1;
	f_memcpy(e->path, s + i, plen);
	e->path[plen] = 0;
	return 0;
}

long maps_next_line(const char *buf, size_t len, size_t *pos, const char **line)
{
	if (*pos >= len)
		return -1;
	size_t start = *pos, end = start;
	while (end < len && buf[end] != '\n')
		end++;
	*line = buf + start;
	*pos = end < len ? end + 1 : end;
	return (long)(end - start);
}
