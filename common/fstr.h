/* Tiny string and number helpers with no libc dependency, for the dump path
 * (async-signal context) and the restore blob. */
#ifndef TCP_FSTR_H
#define TCP_FSTR_H

#include <stddef.h>
#include <stdint.h>

static inline size_t f_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline int f_memeq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static inline int f_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static inline int f_startswith(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

static inline int f_endswith(const char *s, const char *suffix)
{
	size_t a = f_strlen(s), b = f_strlen(suffix);
	return a >= b && f_streq(s + a - b, suffix);
}

/* rep movsb/stosb: the CPU's own fast string copy (ERMS), several GB/s where
 * the byte loop a freestanding build gets (-fno-builtin) does ~0.4 GB/s;
 * the checkpoint writer copies every page through f_memcpy. x86-64 only. */
static inline void f_memcpy(void *d, const void *s, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static inline void f_memset(void *d, int c, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
}

/* Bounded string builder: appends never overflow; `full` records truncation. */
struct fbuf {
	char *p;
	size_t cap, len;
	int full;
};

static inline void fb_init(struct fbuf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	b->len = 0;
	b->full = 0;
	if (cap)
		mem[0] = 0;
}

static inline void fb_putc(struct fbuf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = 0;
	} else {
		b->full = 1;
	}
}

static inline void fb_puts(struct fbuf *b, const char *s)
{
	while (*s)
		fb_putc(b, *s++);
}

static inline void fb_putu(struct fbuf *b, uint64_t v, int base, int width)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v % (unsigned)base];
		v /= (unsigned)base;
	} while (v && n < sizeof(tmp));
	while (width > 0 && n < (size_t)width && n < sizeof(tmp))
		tmp[n++] = '0';
	while (n > 0)
		fb_putc(b, tmp[--n]);
}

static inline void fb_puti(struct fbuf *b, int64_t v)
{
	if (v < 0) {
		fb_putc(b, '-');
		fb_putu(b, (uint64_t)(-(v + 1)) + 1, 10, 0);
	} else {
		fb_putu(b, (uint64_t)v, 10, 0);
	}
}

#endif
