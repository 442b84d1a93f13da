/* Memory: one REGION section per mapping of /proc/self/maps, followed by
 * PAGES sections with the pages that cannot be rebuilt from files: touched
 * anonymous pages that are not all zero, and the copied-on-write pages of
 * private file mappings (DESIGN §3). Shared memory objects come first, as
 * SHM sections (dump_shm.c). */
#include "dump.h"
#include "../common/elf_buildid.h"
#include "../common/maps_parse.h"
#include "../common/smaps_flags.h"
#include "../common/rawsys.h"
#include "dump_shm_names.h"
#include "image_mapping.h"
#include "incremental.h"
#include "compress.h"
#include "writer_progress.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

/* dump_region.store for memory mapped from a tcp image (tcp-restore
 * --lazy): any page may hold data, present or not. */
#define STORE_EVERY_PAGE 2

static int refuse_region(struct dump_ctx *d, const struct maps_entry *e, const char *why)
{
	fb_puts(&d->err, "cannot checkpoint the mapping ");
	fb_putu(&d->err, e->start, 16, 0);
	fb_putc(&d->err, '-');
	fb_putu(&d->err, e->end, 16, 0);
	if (e->path[0]) {
		fb_puts(&d->err, " (");
		fb_puts(&d->err, e->path);
		fb_putc(&d->err, ')');
	}
	fb_puts(&d->err, ": ");
	fb_puts(&d->err, why);
	return -1;
}

/* Sets kind/flags from the maps entry; returns 0 to record it, 1 to leave it
 * out, -1 to refuse the checkpoint. */
static int classify(struct dump_ctx *d, const struct maps_entry *e, struct dump_region *r)
{
	const char *p = e->path;
	r->store = 0;
	if (f_streq(p, "[vsyscall]"))
		return 1; /* fixed by the kernel in every process */
	if (f_streq(p, "[vdso]")) {
		r->rec.kind = TCP_REG_VDSO;
		return 0;
	}
	if (f_streq(p, "[vvar]") || f_streq(p, "[vvar_vclock]")) {
		r->rec.kind = TCP_REG_VVAR;
		return 0;
	}
	if (f_streq(p, "[heap]")) {
		r->rec.kind = TCP_REG_HEAP;
		r->store = 1;
		return 0;
	}
	if (f_streq(p, "[stack]")) {
		r->rec.kind = TCP_REG_STACK;
		r->rec.flags |= TCP_REGF_GROWSDOWN;
		r->store = 1;
		return 0;
	}
	if (!p[0] || f_startswith(p, "[anon:")) {
		if (e->shared)
			return refuse_region(d, e, "shared anonymous memory is not supported yet");
		r->rec.kind = TCP_REG_ANON;
		r->store = 1;
		return 0;
	}
	if (p[0] != '/')
		return refuse_region(d, e, "special kernel mappings of this kind are not supported");
	if (is_image_mapping(e)) {
		/* Anonymous memory to the program, mapped from the image it was
		 * restored from; stored as such, since that image may be gone by
		 * the time this one is restored (image_mapping.h). */
		r->rec.kind = TCP_REG_ANON;
		r->rec.offset = r->rec.dev_major = r->rec.dev_minor = 0;
		r->rec.inode = 0;
		r->path = "";
		r->rec.path_len = 0;
		r->store = STORE_EVERY_PAGE;
		return 0;
	}
	int shm = shm_type_of(p, e->shared);
	if (shm) {
		/* The object's content is its SHM section (dump_shm.c); a private
		 * mapping of it also stores the pages it wrote. */
		long index = dump_shm_index(d, shm, e->dev_major, e->dev_minor, e->inode);
		if (index < 0)
			return refuse_region(d, e, "this shared memory appeared during the checkpoint");
		r->rec.kind = TCP_REG_SHM;
		r->rec.shm_index = (uint32_t)index;
		if (!e->shared) {
			r->rec.flags |= TCP_REGF_PRIVATE;
			r->store = 1;
		}
		return 0;
	}
	if (f_endswith(p, " (deleted)"))
		return refuse_region(d, e, "it maps a file that was deleted (memfd, shared memory or a removed "
					  "file); not supported yet");
	struct stat st;
	long rc = r_fstatat(R_AT_FDCWD, p, &st, 0);
	if (rc < 0)
		return refuse_region(d, e, "the mapped file cannot be found on disk by its path");
	if ((uint64_t)st.st_ino != e->inode)
		return refuse_region(d, e, "the file at this path was replaced since it was mapped (an upgrade?); "
					  "restart the program to checkpoint it");
	r->rec.file_size = (uint64_t)st.st_size;
	r->rec.mtime_sec = st.st_mtim.tv_sec;
	r->rec.mtime_nsec = st.st_mtim.tv_nsec;
	if (e->shared) {
		r->rec.kind = TCP_REG_FILE_SHARED;
	} else {
		r->rec.kind = TCP_REG_FILE;
		r->store = 1;
	}
	return 0;
}

static int add_region(struct dump_ctx *d, const struct maps_entry *e, const char *path, uint64_t start,
		      uint64_t end, uint32_t vmflags, uint64_t cap)
{
	if (d->nregions == cap) {
		fb_puts(&d->err, "too many memory mappings");
		return -1;
	}
	struct dump_region *r = &d->regions[d->nregions];
	f_memset(r, 0, sizeof(*r));
	r->rec.start = start;
	r->rec.end = end;
	r->rec.offset = e->offset + (start - e->start);
	r->rec.prot = (uint32_t)e->prot;
	r->rec.flags = vmflags;
	r->rec.dev_major = e->dev_major;
	r->rec.dev_minor = e->dev_minor;
	r->rec.inode = e->inode;
	r->path = path;
	r->rec.path_len = (uint32_t)f_strlen(path);
	int c = classify(d, e, r);
	if (c < 0)
		return -1;
	if (c > 0)
		return 0;
	if (r->rec.kind == TCP_REG_FILE && e->offset == 0 && (e->prot & 1))
		r->rec.build_id_len = elf_build_id((const void *)start, end - start, r->rec.build_id,
						   sizeof(r->rec.build_id));
	d->nregions++;
	return 0;
}

/* In the pause, before any fork: smaps rather than maps for the VmFlags,
 * and read while the app is stopped, since a forked writer has no
 * MADV_DONTFORK mappings and sees MADV_WIPEONFORK ones empty (fork_flags.c
 * lifts those flags around the fork; the image records them). */
int dump_read_maps(struct dump_ctx *d)
{
	long n = -27;
	/* About 1.2 KiB per mapping; a second read walks the page tables again.
	 * Past 128 MiB (the kernel's default vm.max_map_count of 65530 mappings
	 * stays under it), maps without the flags: then the image is written
	 * without a fork (checkpoint.c), where they do not matter, and the
	 * restored mappings lack their madvise state. */
	const char *path = "/proc/self/smaps";
	for (uint64_t cap = 4 << 20; n == -27; cap = cap < (64u << 20) ? cap * 4 : cap * 2) {
		if (cap > (128u << 20) && !d->no_vmflags) {
			d->no_vmflags = 1;
			path = "/proc/self/maps";
			cap = 4 << 20;
		} else if (cap > (128u << 20)) {
			break;
		}
		uint64_t mark = d->used;
		d->maps = arena_alloc(d, cap);
		if (!d->maps)
			break;
		n = read_whole(path, d->maps, cap);
		if (n == -27)
			d->used = mark;
	}
	if (n < 0) {
		fb_puts(&d->err, "cannot read ");
		fb_puts(&d->err, path);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, tcp_strerror(n));
		return -1;
	}
	d->maps_len = (uint64_t)n;
	return 0;
}

/* For the writer's progress: the bytes of the regions made from one
 * mapping (from `first` on) that write_pages will look at, about: its
 * anonymous and swapped pages (the kernel's figures, from smaps). */
static void expect_bytes(struct dump_ctx *d, uint64_t first, uint64_t anon_kb)
{
	for (uint64_t i = first; i < d->nregions; i++) {
		const struct dump_region *r = &d->regions[i];
		uint64_t size = r->rec.end - r->rec.start;
		if (r->store == STORE_EVERY_PAGE)
			d->expect_bytes += size;
		else if (r->store)
			d->expect_bytes += anon_kb * 1024 < size ? anon_kb * 1024 : size;
	}
}

int dump_scan_memory(struct dump_ctx *d)
{
	if (d->regions_scanned)
		return d->regions_scanned < 0 ? -1 : 0; /* in the pause already (dump_shm_snapshot); d->err */
	d->regions_scanned = -1;
	uint64_t mappings = 0;
	for (uint64_t i = 0; i < d->maps_len; i++)
		if ((i == 0 || d->maps[i - 1] == '\n') && !smaps_is_field(d->maps + i, d->maps_len - i))
			mappings++;
	uint64_t cap = mappings + 2; /* the arena may split one mapping in two */
	d->regions = arena_alloc(d, cap * sizeof(*d->regions));
	struct maps_entry *e = arena_alloc(d, sizeof(*e));
	if (!d->regions || !e) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	uint64_t a0 = (uint64_t)d->arena, a1 = a0 + d->arena_len;
	size_t pos = 0;
	const char *line;
	uint32_t vmflags;
	uint64_t anon_kb;
	long len;
	while ((len = smaps_next_anon(d->maps, d->maps_len, &pos, &line, &vmflags, &anon_kb)) >= 0) {
		if (maps_parse_line(line, (size_t)len, e)) {
			fb_puts(&d->err, "cannot parse a line of /proc/self/smaps");
			return -1;
		}
		/* Point into the maps text, NUL-terminated in place (over the
		 * header's '\n': smaps_next has read past it already). */
		char *path = (char *)line + len - f_strlen(e->path);
		path[f_strlen(e->path)] = 0;
		uint64_t first = d->nregions;
		/* Leave out the scratch arena, even if the kernel merged it with a
		 * neighbouring mapping of the app. */
		if (e->end <= a0 || e->start >= a1) {
			if (add_region(d, e, path, e->start, e->end, vmflags, cap))
				return -1;
		} else {
			if (e->start < a0 && add_region(d, e, path, e->start, a0, vmflags, cap))
				return -1;
			if (e->end > a1 && add_region(d, e, path, a1, e->end, vmflags, cap))
				return -1;
		}
		expect_bytes(d, first, anon_kb);
	}
	d->regions_scanned = 1;
	return 0;
}

/* 64 bytes at a time, out at the first non-zero line: a page with data
 * costs one cache line, a zero page the whole read. */
static int page_is_zero(const uint64_t *p)
{
	for (int i = 0; i < (int)(TCP_PAGE_SIZE / 8); i += 8)
		if (p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] | p[i + 7])
			return 0;
	return 1;
}

struct run_acc {
	struct dump_ctx *d;
	struct img_writer *w;
	uint64_t index;
	uint64_t n;
	char *bounce;
};

static void flush_runs(struct run_acc *a)
{
	if (a->n && tcp_cfg.compress)
		compress_pages(a->w, a->index, a->d->runs, a->n);
	else if (a->n)
		iw_pages(a->w, a->index, a->d->runs, a->n, a->bounce, BOUNCE_LEN);
	a->n = 0;
}

static void add_page(struct run_acc *a, uint64_t addr)
{
	struct tcp_run *last = a->n ? &a->d->runs[a->n - 1] : 0;
	if (last && last->addr + last->npages * TCP_PAGE_SIZE == addr) {
		last->npages++;
		return;
	}
	if (a->n == RUNS_PER_SECTION)
		flush_runs(a);
	a->d->runs[a->n].addr = addr;
	a->d->runs[a->n].npages = 1;
	a->n++;
}

/* The content of the pages write_pages looks at (zero or not, their hash),
 * for a forked writer: copied by the kernel from /proc/self/mem into
 * d->window, a run of needed pages at a time, rather than touched through
 * the writer's fresh page tables (see put_mem in image/writer.c). */
struct window {
	struct dump_ctx *d;
	int every, file_backed;	/* the region's kind: which pages are looked at */
	uint64_t start, end;	/* the addresses d->window holds */
};

/* 1 if write_pages looks at the content of a page with pagemap entry pm:
 * the pages it may store (a kernel copy of any other would map it). */
static int looked_at(const struct window *win, uint64_t pm)
{
	if (win->every)
		return 1;
	if (win->file_backed)
		return ((pm & PM_PRESENT) && !(pm & PM_FILE)) || (pm & PM_SWAPPED);
	return (pm & PM_PRESENT) || (pm & PM_SWAPPED);
}

/* Where the page at addr (pagemap entry pm[0], then those of the `left`
 * pages after it) can be read: in the window, which is filled with it and
 * the looked-at pages right after it when it does not hold it; else at
 * addr itself. */
static const uint64_t *page_content(struct window *win, uint64_t addr, const uint64_t *pm, uint64_t left)
{
	if (win->d->mem_fd < 0)
		return (const uint64_t *)addr;
	if (addr < win->start || addr >= win->end) {
		uint64_t n = 1;
		while (n <= left && n < WINDOW_LEN / TCP_PAGE_SIZE && looked_at(win, pm[n]))
			n++;
		long got = r_pread(win->d->mem_fd, win->d->window, n * TCP_PAGE_SIZE, (long)addr);
		win->start = addr;
		win->end = addr + (got > 0 ? (uint64_t)got / TCP_PAGE_SIZE * TCP_PAGE_SIZE : 0);
		if (addr >= win->end)
			return (const uint64_t *)addr; /* not copied: read in place */
	}
	return (const uint64_t *)(win->d->window + (addr - win->start));
}

static void write_pages(struct dump_ctx *d, struct img_writer *w, uint64_t index, int pagemap_fd)
{
	struct dump_region *r = &d->regions[index];
	int file_backed = r->rec.kind == TCP_REG_FILE || r->rec.kind == TCP_REG_SHM;
	int unreadable = !(r->rec.prot & PROT_READ);
	struct run_acc a = { d, w, index, 0, 0 };
	struct window win = { d, r->store == STORE_EVERY_PAGE, file_backed, 0, 0 };
	if (r->rec.start < d->stack_hi && r->rec.end > d->stack_lo)
		a.bounce = d->bounce;
	/* PROT_NONE memory can hold data (guard pages set by the app after
	 * writing); make it readable for the dump only. */
	if (unreadable && r_mprotect((void *)r->rec.start, r->rec.end - r->rec.start, PROT_READ) < 0) {
		if (!w->err)
			w->err = -13;
		return;
	}
	for (uint64_t addr = r->rec.start; addr < r->rec.end && !w->err;) {
		uint64_t npages = (r->rec.end - addr) / TCP_PAGE_SIZE;
		if (npages > PAGEMAP_BATCH)
			npages = PAGEMAP_BATCH;
		long got = r_pread(pagemap_fd, d->pagemap, npages * 8, (long)(addr / TCP_PAGE_SIZE * 8));
		if (got != (long)(npages * 8)) {
			w->err = got < 0 ? (int)got : -5;
			break;
		}
		for (uint64_t i = 0; i < npages; i++, addr += TCP_PAGE_SIZE) {
			if (!looked_at(&win, d->pagemap[i]))
				continue;
			/* Untouched pages of STORE_EVERY_PAGE regions come from the
			 * image file; those of file mappings from their file. */
			const uint64_t *content = page_content(&win, addr, &d->pagemap[i], npages - 1 - i);
			/* A page stored is counted for the progress as it is
			 * written (w->on_pages), one left out (zero, or in an
			 * older image) here. */
			if (((file_backed && !win.every) || !page_is_zero(content)) &&
			    !incr_take(w, index, addr, content, a.bounce != 0))
				add_page(&a, addr);
			else
				tcp_progress_add(TCP_PAGE_SIZE);
		}
	}
	flush_runs(&a);
	incr_region_done(w, index);
	if (unreadable)
		r_mprotect((void *)r->rec.start, r->rec.end - r->rec.start, (int)r->rec.prot);
}

void dump_write_memory(struct dump_ctx *d, struct img_writer *w)
{
	long pm = r_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
	if (pm < 0) {
		w->err = (int)pm;
		return;
	}
	w->mem_fd = d->mem_fd;
	dump_write_shm(d, w); /* the objects first: regions name them */
	for (uint64_t i = 0; i < d->nregions && !w->err; i++) {
		struct dump_region *r = &d->regions[i];
		iw_section(w, TCP_SEC_REGION, &r->rec, sizeof(r->rec), r->path, r->rec.path_len);
		if (r->store)
			write_pages(d, w, i, (int)pm);
	}
	incr_write_hashes(w);
	compress_pages_finish();
	r_close((int)pm);
}
