/* Values derived from a loaded image, shared by the text and JSON outputs. */
#define _GNU_SOURCE	/* REG_RIP */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

uint64_t *stored_bytes_per_region(const struct tcp_image *img)
{
	uint64_t *b = calloc(img->nregions ? img->nregions : 1, sizeof(*b));
	if (!b)
		return NULL;
	/* The reader guarantees extent.region < nregions. */
	for (size_t i = 0; i < img->nextents; i++)
		b[img->extents[i].region] += img->extents[i].npages * TCP_PAGE_SIZE;
	return b;
}

uint64_t mapped_bytes(const struct tcp_image *img)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < img->nregions; i++)
		sum += img->regions[i].r.end - img->regions[i].r.start;
	return sum;
}

/* Regions are sorted and disjoint (checked by the reader). */
long find_region(const struct tcp_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->nregions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct tcp_region *r = &img->regions[mid].r;
		if (addr < r->start)
			hi = mid;
		else if (addr >= r->end)
			lo = mid + 1;
		else
			return (long)mid;
	}
	return -1;
}

void format_time(int64_t sec, int64_t nsec, char *buf, size_t len)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (len == 0)
		return;
	buf[0] = 0;
	if (!localtime_r(&t, &tm)) {
		snprintf(buf, len, "@%lld", (long long)sec);
		return;
	}
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	long ns = nsec >= 0 && nsec < 1000000000 ? (long)nsec : 0;
	snprintf(buf, len, "%s.%09ld%c%02ld:%02ld", date, ns, sign, off / 60, off % 60);
}

int cmdline_args(const struct tcp_process *p, void (*cb)(void *ctx, const char *arg, size_t len), void *ctx)
{
	/* The reader checked cmdline_len <= sizeof(cmdline). */
	size_t len = p->cmdline_len, pos = 0;
	while (pos < len) {
		const char *a = p->cmdline + pos;
		const char *nul = memchr(a, 0, len - pos);
		size_t n = nul ? (size_t)(nul - a) : len - pos;
		cb(ctx, a, n);
		pos += n + 1;
	}
	/* A complete cmdline ends with the NUL of its last argument. */
	return len > 0 && p->cmdline[len - 1] != 0;
}

int sig_disposition_default(const struct tcp_ksigaction *sa)
{
	return sa->handler == 0;	/* SIG_DFL */
}

int read_image_memory(const struct tcp_image *img, uint64_t addr, void *buf, size_t len)
{
	if (len == 0)
		return 0;
	int fd = open(img->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* The reader only accepts pages region by region and run by run in
	 * address order, so the extents are sorted by address: one pass. */
	size_t done = 0;
	for (size_t i = 0; i < img->nextents && done < len; i++) {
		const struct img_extent *x = &img->extents[i];
		uint64_t a = addr + done, bytes = x->npages * TCP_PAGE_SIZE;
		if (a < x->addr || a - x->addr >= bytes)
			continue;
		uint64_t n = bytes - (a - x->addr);
		if (n > len - done)
			n = len - done;
		if (x->flags & IMG_EXT_ZSTD) {
			if (img_zpages_read(fd, &img->zpages[x->zsec], x->file_off + (a - x->addr), (char *)buf + done,
					    (size_t)n))
				break;
		} else {
			ssize_t got = pread(fd, (char *)buf + done, (size_t)n, (off_t)(x->file_off + (a - x->addr)));
			if (got != (ssize_t)n)
				break;
		}
		done += (size_t)n;
	}
	close(fd);
	return done == len ? 0 : -1;
}

int interrupted_ip(const struct tcp_image *img, const struct tcp_thread *t, uint64_t *ip)
{
	uint64_t at = t->uctx_addr + offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]);
	if (!t->uctx_addr || at < t->uctx_addr)
		return -1;
	return read_image_memory(img, at, ip, sizeof(*ip));
}
