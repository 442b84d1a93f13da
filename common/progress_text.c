#include "progress_text.h"

/* v / unit with one decimal, rounded. */
static void put_tenths(struct fbuf *b, uint64_t v, uint64_t unit)
{
	uint64_t tenths = (v * 10 + unit / 2) / unit;
	fb_putu(b, tenths / 10, 10, 0);
	fb_putc(b, '.');
	fb_putu(b, tenths % 10, 10, 0);
}

void fb_put_size(struct fbuf *b, uint64_t bytes)
{
	/* v * 10 must not overflow: above 1 PiB, whole GiB. */
	if (bytes >= (1ull << 50)) {
		fb_putu(b, bytes >> 30, 10, 0);
		fb_puts(b, " GiB");
	} else if (bytes >= (1ull << 30) - (1ull << 30) / 20) {
		put_tenths(b, bytes, 1ull << 30);
		fb_puts(b, " GiB");
	} else if (bytes >= (1ull << 20) - (1ull << 20) / 20) {
		put_tenths(b, bytes, 1ull << 20);
		fb_puts(b, " MiB");
	} else if (bytes >= 1024) {
		fb_putu(b, (bytes + 512) >> 10, 10, 0);
		fb_puts(b, " KiB");
	} else {
		fb_putu(b, bytes, 10, 0);
		fb_puts(b, " B");
	}
}

/* bytes per second, from bytes in ms (no overflow below 16 EiB / 1000). */
static uint64_t per_second(uint64_t bytes, uint64_t ms)
{
	return bytes / ms * 1000 + bytes % ms * 1000 / ms;
}

static void put_rate(struct fbuf *b, uint64_t bytes, uint64_t ms)
{
	fb_put_size(b, per_second(bytes, ms));
	fb_puts(b, "/s");
}

void progress_text(struct fbuf *b, uint64_t done, uint64_t total, uint64_t elapsed_ms)
{
	fb_put_size(b, done);
	if (total) {
		if (total < done)
			total = done;
		fb_puts(b, " of ");
		fb_put_size(b, total);
		fb_puts(b, " (");
		fb_putu(b, total >= (1ull << 50) ? done / (total / 100) : done * 100 / total, 10, 0);
		fb_puts(b, "%)");
	}
	if (elapsed_ms < 100 || !done)
		return;
	fb_puts(b, ", ");
	put_rate(b, done, elapsed_ms);
	uint64_t rate = per_second(done, elapsed_ms);
	if (total > done && rate) {
		fb_puts(b, ", ");
		fb_putu(b, (total - done + rate - 1) / rate, 10, 0);
		fb_puts(b, " s left");
	}
}

void progress_summary(struct fbuf *b, uint64_t bytes, const char *what, uint64_t elapsed_ms)
{
	fb_put_size(b, bytes);
	fb_puts(b, what);
	fb_puts(b, " in ");
	put_tenths(b, elapsed_ms, 1000);
	fb_puts(b, " s");
	if (!elapsed_ms)
		return;
	fb_puts(b, " (");
	put_rate(b, bytes, elapsed_ms);
	fb_putc(b, ')');
}
