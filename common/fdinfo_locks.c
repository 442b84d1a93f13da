/* Lines look like (fs/locks.c, lock_get_status):
 *   lock:	1: FLOCK  ADVISORY  WRITE 25154 fe:00:10956123 0 EOF
 *   lock:	2: POSIX  ADVISORY  READ 25154 fe:00:10956138 100 199
 *   lock:	1: OFDLCK ADVISORY  READ -1 fe:00:10956163 0 4
 *   lock:	1: -> POSIX  ADVISORY  WRITE 77 fe:00:10956138 0 EOF   (a waiter) */
#include "fdinfo_locks.h"
#include "fstr.h"
#include "../image/format.h"

struct cursor {
	const char *p, *end;
};

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* The next blank-separated word; its length, 0 at the end of the line. */
static size_t word(struct cursor *c, const char **w)
{
	skip_blanks(c);
	*w = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	return (size_t)(c->p - *w);
}

static int is_word(const char *w, size_t n, const char *s)
{
	return n == f_strlen(s) && f_memeq(w, s, n);
}

static int number(const char *w, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9' || x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(w[i] - '0');
	}
	*v = x;
	return 0;
}

/* One line after "lock:": 0 lock filled, 1 a waiter, -1 unreadable, -2 not a lock. */
static int parse_line(struct cursor *c, struct fdinfo_lock *l)
{
	const char *w;
	size_t n = word(c, &w); /* "1:" */
	if (n < 2 || w[n - 1] != ':')
		return -1;
	n = word(c, &w);
	if (is_word(w, n, "->"))
		return 1;
	if (is_word(w, n, "FLOCK"))
		l->type = TCP_LOCK_FLOCK;
	else if (is_word(w, n, "POSIX"))
		l->type = TCP_LOCK_POSIX;
	else if (is_word(w, n, "OFDLCK"))
		l->type = TCP_LOCK_OFD;
	else if (is_word(w, n, "LEASE") || is_word(w, n, "DELEG") || is_word(w, n, "ACCESS"))
		return -2;
	else
		return -1;
	n = word(c, &w);
	if (!is_word(w, n, "ADVISORY"))
		return is_word(w, n, "MANDATORY") ? -2 : -1;
	n = word(c, &w);
	if (is_word(w, n, "WRITE"))
		l->write = 1;
	else if (is_word(w, n, "READ"))
		l->write = 0;
	else
		return -1;
	n = word(c, &w); /* pid, -1 for OFD locks */
	uint64_t v;
	if (n == 2 && w[0] == '-' && w[1] == '1')
		l->pid = -1;
	else if (!number(w, n, &v))
		l->pid = (int64_t)v;
	else
		return -1;
	if (!word(c, &w)) /* dev:dev:inode */
		return -1;
	n = word(c, &w);
	if (number(w, n, &l->start))
		return -1;
	n = word(c, &w);
	if (is_word(w, n, "EOF"))
		l->end = UINT64_MAX;
	else if (number(w, n, &l->end) || l->end < l->start)
		return -1;
	if (word(c, &w))
		return -1; /* trailing words */
	return 0;
}

int fdinfo_locks(const char *buf, size_t len, struct fdinfo_lock *out, int max)
{
	int count = 0;
	for (size_t pos = 0; pos < len;) {
		size_t end = pos;
		while (end < len && buf[end] != '\n')
			end++;
		if (end - pos >= 5 && f_memeq(buf + pos, "lock:", 5)) {
			struct cursor c = { buf + pos + 5, buf + end };
			struct fdinfo_lock l = { 0 };
			int rc = parse_line(&c, &l);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (count < max)
					out[count] = l;
				count++;
			}
		}
		pos = end + 1;
	}
	return count;
}
