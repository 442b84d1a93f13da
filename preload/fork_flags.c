/* MADV_DONTFORK and MADV_WIPEONFORK around the forked writer. The writer is
 * a fork of the app: a DONTFORK mapping is missing from it and a
 * WIPEONFORK one reads as zeros, so the image would silently lose their
 * content. Both flags are lifted while the app is stopped, for the fork
 * only, and set again in the app right after it; the image records them
 * (TCP_REGF_*), so the restored program has them too. Raw syscalls only:
 * runs in the pause. */
#include "dump.h"
#include "../common/maps_parse.h"
#include "../common/rawsys.h"
#include "../common/smaps_flags.h"

#define MADV_DONTFORK_ 10
#define MADV_DOFORK_ 11
#define MADV_WIPEONFORK_ 18
#define MADV_KEEPONFORK_ 19

static int advise(struct dump_ctx *d, uint64_t start, uint64_t end, int advice)
{
	long rc = r_madvise((void *)start, end - start, advice);
	if (rc == 0)
		return 0;
	fb_puts(&d->err, "cannot change the fork flags (MADV_DONTFORK, MADV_WIPEONFORK) of the mapping ");
	fb_putu(&d->err, start, 16, 0);
	fb_putc(&d->err, '-');
	fb_putu(&d->err, end, 16, 0);
	fb_puts(&d->err, ": ");
	fb_puts(&d->err, tcp_strerror(rc));
	return -1;
}

/* Once dump_scan_memory ran (in the pause, for a shared memory copy), the
 * maps text is cut up in place: its regions say the same. */
static int fork_flags_of_regions(struct dump_ctx *d, int set)
{
	int rc = 0;
	for (uint64_t i = 0; i < d->nregions; i++) {
		const struct tcp_region *r = &d->regions[i].rec;
		if (r->flags & TCP_REGF_DONTFORK)
			rc |= advise(d, r->start, r->end, set ? MADV_DONTFORK_ : MADV_DOFORK_);
		if (r->flags & TCP_REGF_WIPEONFORK)
			rc |= advise(d, r->start, r->end, set ? MADV_WIPEONFORK_ : MADV_KEEPONFORK_);
	}
	return rc ? -1 : 0;
}

int dump_fork_flags(struct dump_ctx *d, int set)
{
	if (d->regions_scanned > 0)
		return fork_flags_of_regions(d, set);
	uint64_t mark = d->used;
	struct maps_entry *e = arena_alloc(d, sizeof(*e));
	size_t pos = 0;
	const char *line;
	uint32_t flags;
	long len;
	int rc = e ? 0 : -1;
	if (!e)
		fb_puts(&d->err, "out of scratch memory");
	while (e && (len = smaps_next(d->maps, d->maps_len, &pos, &line, &flags)) >= 0) {
		if (!(flags & (TCP_REGF_DONTFORK | TCP_REGF_WIPEONFORK)))
			continue;
		if (maps_parse_line(line, (size_t)len, e))
			continue; /* dump_scan_memory reports it */
		if (flags & TCP_REGF_DONTFORK)
			rc |= advise(d, e->start, e->end, set ? MADV_DONTFORK_ : MADV_DOFORK_);
		if (flags & TCP_REGF_WIPEONFORK)
			rc |= advise(d, e->start, e->end, set ? MADV_WIPEONFORK_ : MADV_KEEPONFORK_);
	}
	d->used = mark;
	return rc ? -1 : 0;
}
