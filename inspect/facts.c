/* Values derived from a loaded image, shared by the text and JSON outputs. */
#define _GNU_SOURCE	/* REG_RIP */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
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
		if (!img->extents[i].source) /* not the pages an incremental image takes from older ones */
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

/* The file of an extent's source: the image, or an older image of its
 * chain in the same directory. */
static int open_source(const struct tcp_image *img, uint32_t source)
{
	char err[512];
	if (!source)
		return img_open(img->path, 0, err, sizeof(err));
	char *slash = strrchr(img->path, '/');
	int dirlen = slash ? (int)(slash - img->path) : 1;
	char path[8192];
	snprintf(path, sizeof(path), "%.*s/%s", dirlen, slash ? img->path : ".", img->parents[source - 1].p.name);
	return img_open(path, 1, err, sizeof(err));
}

int read_image_memory(const struct tcp_image *img, uint64_t addr, void *buf, size_t len)
{
	/* Extents of PAGES and REFS sections interleave: look each piece up. */
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		const struct img_extent *x = NULL;
		for (size_t i = 0; i < img->nextents && !x; i++)
			if (a >= img->extents[i].addr && a - img->extents[i].addr < img->extents[i].npages * TCP_PAGE_SIZE)
				x = &img->extents[i];
		if (!x)
			return -1;
		uint64_t n = x->npages * TCP_PAGE_SIZE - (a - x->addr);
		if (n > len - done)
			n = len - done;
		int fd = open_source(img, x->source);
		if (fd < 0)
			return -1;
		int bad;
		if (x->flags & IMG_EXT_ZSTD) {
			bad = img_zpages_read(fd, &img->zpages[x->zsec], x->file_off + (a - x->addr), (char *)buf + done,
					      (size_t)n) != 0;
		} else {
			ssize_t got = pread(fd, (char *)buf + done, (size_t)n, (off_t)(x->file_off + (a - x->addr)));
			bad = got != (ssize_t)n;
		}
		close(fd);
		if (bad)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int interrupted_ip(const struct tcp_image *img, const struct tcp_thread *t, uint64_t *ip)
{
	uint64_t at = t->uctx_addr + offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]);
	if (!t->uctx_addr || at < t->uctx_addr)
		return -1;
	return read_image_memory(img, at, ip, sizeof(*ip));
}
