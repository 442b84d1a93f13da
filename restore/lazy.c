/* tcp-restore --lazy: which page extents the blob maps from the image file
 * (MAP_PRIVATE, each page read on first touch) instead of reading them in.
 *
 * Only memory that behaves the same once file-backed is mapped: private
 * anonymous regions and [heap] (brk grows and shrinks around file-backed
 * pieces like around anonymous ones). Left to be read: the main stack (a
 * file-backed piece at its bottom would stop it from growing down), private
 * file mappings (madvise(MADV_DONTNEED) there must bring back the mapped
 * file's content, not the image's), private mappings of shared memory, and
 * executable regions (an image on a noexec filesystem cannot be mapped
 * PROT_EXEC). */
#include "restore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define PAGE 4096ull

static int mappable_region(const struct tcp_region *r)
{
	if (r->kind != TCP_REG_ANON && r->kind != TCP_REG_HEAP)
		return 0;
	/* MADV_WIPEONFORK takes private anonymous memory only: read it in. */
	return !(r->flags & (TCP_REGF_GROWSDOWN | TCP_REGF_WIPEONFORK)) && !(r->prot & PROT_EXEC);
}

static long max_map_count(void)
{
	long v = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

/* Allocators that take a page given back with madvise(MADV_DONTNEED) to
 * read as zeros again; mapped from the image, it would read as it was at
 * checkpoint time. Those linked statically cannot be seen here (docs/user-guide.md, "Lazy restore"). */
static const char *zero_trusting_allocator(const struct tcp_image *img)
{
	static const char *const libs[] = { "libjemalloc.so", "libtcmalloc", "libmimalloc" };
	for (size_t i = 0; i < img->nregions; i++) {
		const char *slash = strrchr(img->regions[i].path, '/');
		const char *base = slash ? slash + 1 : img->regions[i].path;
		for (size_t k = 0; k < sizeof(libs) / sizeof(libs[0]); k++)
			if (!strncmp(base, libs[k], strlen(libs[k])))
				return img->regions[i].path;
	}
	return NULL;
}

/* The blob maps after the point of no return: a filesystem that cannot
 * mmap the image (some FUSE or network ones) must be found out now. */
static int can_map(int fd, const char *path, uint64_t off)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (off_t)off);
	if (p == MAP_FAILED) {
		say("cannot map %s (--lazy): %s; restore it without --lazy, or from a copy on a local filesystem",
		    path, strerror(errno));
		return -1;
	}
	munmap(p, PAGE);
	return 0;
}

int lazy_plan(const struct tcp_image *img, const char *path, int fd, unsigned char *map, int verbose)
{
	for (size_t i = 0; i < img->nextents; i++) {
		if (img->extents[i].flags & IMG_EXT_ZSTD) {
			say("%s holds compressed pages (TCP_COMPRESS=zstd), which cannot be mapped: restore it without "
			    "--lazy",
			    path);
			return -1;
		}
	}
	const char *lib = zero_trusting_allocator(img);
	if (lib) {
		say("%s: the program uses %s, whose allocator expects pages given back with madvise(MADV_DONTNEED) to "
		    "read as zeros; with --lazy they would come back with their content from the image. Restore "
		    "without --lazy",
		    path, lib);
		return -1;
	}
	/* Each mapped extent splits its region: up to two more mappings. Keep
	 * them within half of what vm.max_map_count leaves to the program, by
	 * reading the smallest extents when there are too many. */
	long room = (max_map_count() - (long)img->nregions) / 4;
	uint64_t min_pages = 1;
	for (;;) {
		long n = 0;
		for (size_t i = 0; i < img->nextents; i++)
			n += img->extents[i].npages >= min_pages && mappable_region(&img->regions[img->extents[i].region].r);
		if (n <= room || min_pages > (1ull << 40))
			break;
		min_pages *= 2;
	}
	uint64_t mapped = 0, read = 0;
	size_t nmapped = 0;
	for (size_t i = 0; i < img->nextents; i++) {
		const struct img_extent *x = &img->extents[i];
		map[i] = x->npages >= min_pages && mappable_region(&img->regions[x->region].r);
		if (map[i]) {
			mapped += x->npages * PAGE;
			nmapped++;
		} else {
			read += x->npages * PAGE;
		}
	}
	for (size_t i = 0; i < img->nextents; i++) {
		if (map[i] && img->extents[i].source == 0) {
			if (can_map(fd, path, img->extents[i].file_off))
				return -1;
			break;
		}
	}
	if (verbose)
		say("--lazy: %zu of %zu page extents (%.1f MiB) mapped from the image, loaded on first touch; %.1f MiB "
		    "read now (the stack, file and executable mappings%s)",
		    nmapped, img->nextents, mapped / 1048576.0, read / 1048576.0,
		    min_pages > 1 ? ", extents too small to map" : "");
	return 0;
}
