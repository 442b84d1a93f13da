/* See image_names.h. */
#include "image_names.h"
#include "../common/rawsys.h"

void image_name_put(struct fbuf *b, const char *prog, long gen)
{
	fb_puts(b, prog);
	fb_putc(b, '.');
	fb_putu(b, (uint64_t)gen, 10, TCP_GEN_MIN_DIGITS);
	fb_puts(b, ".tcp");
}

long image_name_generation(const char *name, const char *prog)
{
	size_t pl = f_strlen(prog);
	if (!pl || !f_memeq(name, prog, pl) || name[pl] != '.')
		return -1;
	const char *p = name + pl + 1;
	long g = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > TCP_GEN_MAX_DIGITS)
			return -1;
		g = g * 10 + (*p - '0');
	}
	if (digits < TCP_GEN_MIN_DIGITS || !f_streq(p, ".tcp"))
		return -1;
	/* "0000001" is not how generation 1 is written: not ours. */
	if (digits > TCP_GEN_MIN_DIGITS && name[pl + 1] == '0')
		return -1;
	return g;
}

void member_image_name_put(struct fbuf *b, const char *prog, long gen, long pid)
{
	fb_puts(b, prog);
	fb_putc(b, '.');
	fb_putu(b, (uint64_t)gen, 10, TCP_GEN_MIN_DIGITS);
	fb_puts(b, ".p");
	fb_putu(b, (uint64_t)pid, 10, 0);
	fb_puts(b, ".tcp");
}

int member_image_of(const char *name, const char *prog, long gen)
{
	char want[300];
	struct fbuf b;
	fb_init(&b, want, sizeof(want));
	fb_puts(&b, prog);
	fb_putc(&b, '.');
	fb_putu(&b, (uint64_t)gen, 10, TCP_GEN_MIN_DIGITS);
	fb_puts(&b, ".p");
	if (b.full || !f_startswith(name, want))
		return 0;
	const char *p = name + b.len;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	return digits > 0 && digits <= 10 && f_streq(p, ".tcp");
}

int member_image_any(const char *name, const char *prog, long *gen)
{
	size_t n = f_strlen(prog);
	if (!f_startswith(name, prog) || name[n] != '.')
		return 0;
	long g = 0;
	int digits = 0;
	for (const char *p = name + n + 1; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		g = g * 10 + (*p - '0');
	if (!digits || !member_image_of(name, prog, g))
		return 0;
	*gen = g;
	return 1;
}

uint64_t tcp_random64(void)
{
	uint64_t v = 0;
	if (rsys3(318 /* getrandom */, (long)&v, sizeof(v), 1 /* GRND_NONBLOCK */) == (long)sizeof(v))
		return v;
	struct { long sec, nsec; } ts = { 0, 0 };
	r_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
	return ((uint64_t)ts.nsec << 32) ^ (uint64_t)ts.sec ^ ((uint64_t)r_getpid() << 16) ^ (uint64_t)(uintptr_t)&v;
}

static void tmp_prefix(struct fbuf *b, const char *what, uint64_t run)
{
	fb_putc(b, '.');
	fb_puts(b, what);
	fb_putc(b, '.');
	fb_putu(b, run, 16, 16);
	fb_putc(b, '.');
}

void tmp_name_put(struct fbuf *b, const char *what, uint64_t run)
{
	tmp_prefix(b, what, run);
	fb_putu(b, tcp_random64(), 16, 16);
	fb_puts(b, ".tmp");
}

int tmp_name_is(const char *name, const char *what, uint64_t run)
{
	char prefix[300];
	struct fbuf b;
	fb_init(&b, prefix, sizeof(prefix));
	tmp_prefix(&b, what, run);
	if (b.full || !f_startswith(name, prefix))
		return 0;
	const char *p = name + b.len;
	int n = 0;
	for (; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'); p++)
		n++;
	return n == 16 && f_streq(p, ".tmp");
}

long member_image_pid(const char *name, const char *prog)
{
	size_t plen = f_strlen(prog);
	if (!f_startswith(name, prog) || name[plen] != '.')
		return -1;
	const char *p = name + plen + 1, *g = p;
	while (*p >= '0' && *p <= '9')
		p++;
	/* The generation as image_name_put writes it, no other spelling. */
	if (p - g < TCP_GEN_MIN_DIGITS || p - g > TCP_GEN_MAX_DIGITS || (p - g > TCP_GEN_MIN_DIGITS && *g == '0') ||
	    p[0] != '.' || p[1] != 'p')
		return -1;
	p += 2;
	long pid = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9' && digits < 10; p++, digits++)
		pid = pid * 10 + (*p - '0');
	return digits > 0 && f_streq(p, ".tcp") && pid > 0 ? pid : -1;
}
