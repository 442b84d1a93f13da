/* tcp-restore --lazy: which page extents are mapped from the image, and
 * which images are refused (restore/lazy.c). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "restore/restore.h"

static char said[2048];

void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
}

/* Any regular file can be mapped (no page is touched). */
static int image_fd(void)
{
	FILE *f = tmpfile();
	cr_assert_not_null(f);
	return fileno(f);
}

#define NREG 7
static struct img_region regs[NREG];
static char empty[] = "", libc[] = "/usr/lib/x86_64-linux-gnu/libc.so.6";

/* One region of each kind, one extent of `npages` in each. */
static struct tcp_image image(struct img_extent *ext, uint64_t npages)
{
	static const struct {
		uint32_t kind, prot, flags;
	} k[NREG] = {
		{ TCP_REG_ANON, PROT_READ | PROT_WRITE, 0 },	/* 0: mapped */
		{ TCP_REG_HEAP, PROT_READ | PROT_WRITE, 0 },	/* 1: mapped */
		{ TCP_REG_STACK, PROT_READ | PROT_WRITE, TCP_REGF_GROWSDOWN },
		{ TCP_REG_FILE, PROT_READ | PROT_WRITE, 0 },
		{ TCP_REG_ANON, PROT_READ | PROT_EXEC, 0 },	/* JIT code */
		{ TCP_REG_SHM, PROT_READ | PROT_WRITE, TCP_REGF_PRIVATE },
		{ TCP_REG_ANON, PROT_NONE, 0 },		/* 6: mapped (guarded data) */
	};
	struct tcp_image img;
	memset(&img, 0, sizeof(img));
	for (int i = 0; i < NREG; i++) {
		memset(&regs[i], 0, sizeof(regs[i]));
		regs[i].r.start = 0x10000000ull * (i + 1);
		regs[i].r.end = regs[i].r.start + (npages << 12);
		regs[i].r.kind = k[i].kind;
		regs[i].r.prot = k[i].prot;
		regs[i].r.flags = k[i].flags;
		regs[i].path = k[i].kind == TCP_REG_FILE ? libc : empty;
		ext[i] = (struct img_extent){ .region = (uint32_t)i, .addr = regs[i].r.start, .npages = npages,
					      .file_off = 4096ull * (uint64_t)i };
	}
	img.regions = regs;
	img.nregions = NREG;
	img.extents = ext;
	img.nextents = NREG;
	return img;
}

Test(lazy_plan, kinds)
{
	struct img_extent ext[NREG];
	struct tcp_image img = image(ext, 4);
	unsigned char map[NREG];
	cr_assert_eq(lazy_plan(&img, "x.tcp", image_fd(), map, 0), 0);
	const unsigned char want[NREG] = { 1, 1, 0, 0, 0, 0, 1 };
	for (int i = 0; i < NREG; i++)
		cr_assert_eq(map[i], want[i], "region %d (kind %u): map %d", i, regs[i].r.kind, map[i]);
}

Test(lazy_plan, compressed_refused)
{
	struct img_extent ext[NREG];
	struct tcp_image img = image(ext, 4);
	unsigned char map[NREG];
	ext[3].flags = IMG_EXT_ZSTD;
	said[0] = 0;
	cr_assert_eq(lazy_plan(&img, "x.tcp", image_fd(), map, 0), -1);
	cr_assert(strstr(said, "x.tcp") && strstr(said, "compressed") && strstr(said, "without --lazy"), "%s", said);
}

Test(lazy_plan, zero_trusting_allocator_refused)
{
	struct img_extent ext[NREG];
	struct tcp_image img = image(ext, 4);
	unsigned char map[NREG];
	static char je[] = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
	regs[3].path = je;
	said[0] = 0;
	cr_assert_eq(lazy_plan(&img, "x.tcp", image_fd(), map, 0), -1);
	cr_assert(strstr(said, "libjemalloc.so.2") && strstr(said, "MADV_DONTNEED"), "%s", said);
}

/* Too many extents for vm.max_map_count: the small ones are read. */
Test(lazy_plan, map_count_budget)
{
	enum { N = 200000 };
	static struct img_extent ext[N];
	static unsigned char map[N];
	struct img_extent e7[NREG];
	struct tcp_image img = image(e7, 1 << 20);
	for (size_t i = 0; i < N; i++)
		ext[i] = (struct img_extent){ .region = 0, .addr = regs[0].r.start + 8192 * i,
					      .npages = i % 100 == 0 ? 64 : 1, .file_off = 4096 * i };
	img.extents = ext;
	img.nextents = N;
	long max = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		cr_assert_eq(fscanf(f, "%ld", &max), 1);
		fclose(f);
	}
	if ((max - NREG) / 4 >= N)
		cr_skip_test("vm.max_map_count %ld leaves room for every extent", max);
	cr_assert_eq(lazy_plan(&img, "x.tcp", image_fd(), map, 0), 0);
	size_t n = 0;
	for (size_t i = 0; i < N; i++) {
		n += map[i];
		cr_assert_eq(map[i], ext[i].npages == 64, "extent %zu of %llu pages", i,
			     (unsigned long long)ext[i].npages);
	}
	cr_assert_eq(n, N / 100);
}

/* The blob maps after the point of no return: a file that cannot be mapped
 * is refused before. */
Test(lazy_plan, unmappable_refused)
{
	struct img_extent ext[NREG];
	struct tcp_image img = image(ext, 4);
	unsigned char map[NREG];
	int p[2];
	cr_assert_eq(pipe(p), 0);
	said[0] = 0;
	cr_assert_eq(lazy_plan(&img, "x.tcp", p[0], map, 0), -1);
	cr_assert(strstr(said, "cannot map x.tcp") && strstr(said, "without --lazy"), "%s", said);
}
