/* The writer side of TCP_COMPRESS=zstd (preload/compress_*.c): sections
 * written by compress_pages, with worker processes and inline on one core,
 * load with the reader and give back exactly the pages, across runs that
 * straddle blocks and blocks that are stored raw. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include "tmp_file.h"
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/reader.h"
#include "image/writer.h"
#include "preload/compress.h"
#include "preload/internal.h"

struct tcp_config tcp_cfg;	/* what compress_pages reads: the level */
struct tcp_thread_table tcp_threads;	/* and the checkpoint's number (epoch) */

#define PG TCP_PAGE_SIZE
#define NPAGES 1200		/* 4.7 MiB: 5 blocks of 1 MiB */

/* Random pages, text pages and zero pages, in runs of 1 to 300 pages with
 * holes; two sections (the second region's runs after the first's). */
static void round_trip(void)
{
	uint8_t *mem = aligned_alloc(PG, NPAGES * PG);
	cr_assert_not_null(mem);
	uint64_t s = 99;
	for (size_t p = 0; p < NPAGES; p++)
		for (size_t i = 0; i < PG; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			mem[p * PG + i] = p % 3 == 0 ? (uint8_t)(s >> 40) : p % 3 == 1 ? (uint8_t)"tcp zstd "[i % 9] : 0;
		}
	struct tcp_region reg[2] = {
		{ .start = (uint64_t)mem, .end = (uint64_t)mem + 600 * PG, .prot = 3, .kind = TCP_REG_ANON },
		{ .start = (uint64_t)mem + 600 * PG, .end = (uint64_t)mem + NPAGES * PG, .prot = 3, .kind = TCP_REG_ANON },
	};
	struct tcp_run runs[2][4] = {
		{ { (uint64_t)mem, 1 }, { (uint64_t)mem + 2 * PG, 300 }, { (uint64_t)mem + 310 * PG, 289 } },
		{ { (uint64_t)mem + 600 * PG, 256 }, { (uint64_t)mem + 900 * PG, 7 }, { (uint64_t)mem + 910 * PG, 290 } },
	};
	uint64_t nruns[2] = { 3, 3 };

	struct tcp_process proc;
	memset(&proc, 0, sizeof(proc));
	proc.nregions = 2;
	proc.nthreads = 1;
	struct tcp_thread thr;
	memset(&thr, 0, sizeof(thr));
	int fd = tmp_file();
	struct img_writer w;
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &proc, sizeof(proc), NULL, 0);
	for (int r = 0; r < 2; r++) {
		iw_section(&w, TCP_SEC_REGION, &reg[r], sizeof(reg[r]), NULL, 0);
		compress_pages(&w, (uint64_t)r, runs[r], nruns[r]);
	}
	compress_pages_finish();
	iw_section(&w, TCP_SEC_THREAD, &thr, sizeof(thr), NULL, 0);
	iw_end(&w);
	cr_assert_eq(w.err, 0, "writer error %d", w.err);

	struct tcp_image img;
	char err[512] = "";
	cr_assert_eq(img_load_fd(fd, "c.img", &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.nzpages, 2);
	cr_assert_eq(img.nextents, 6);
	int raw_blocks = 0, zstd_blocks = 0;
	uint8_t *buf = malloc(300 * PG);
	for (size_t i = 0; i < img.nextents; i++) {
		const struct img_extent *e = &img.extents[i];
		cr_assert_eq(e->addr, runs[i / 3][i % 3].addr);
		cr_assert_eq(img_zpages_read(fd, &img.zpages[e->zsec], e->file_off, buf, e->npages * PG), 0);
		cr_assert(!memcmp(buf, (const void *)e->addr, e->npages * PG), "extent %zu differs", i);
	}
	for (size_t z = 0; z < img.nzpages; z++) {
		struct tcp_zblock t[8];
		cr_assert_leq(img.zpages[z].head.nblocks, 8);
		cr_assert_eq(pread(fd, t, img.zpages[z].head.nblocks * sizeof(t[0]), (off_t)img.zpages[z].table_off),
			     (ssize_t)(img.zpages[z].head.nblocks * sizeof(t[0])));
		for (uint64_t b = 0; b < img.zpages[z].head.nblocks; b++)
			(t[b].flags & TCP_ZBLOCK_RAW) ? raw_blocks++ : zstd_blocks++;
	}
	cr_expect_gt(zstd_blocks, 0);
	cr_expect_lt(img.zpages[0].stored_bytes, img.zpages[0].head.raw_bytes / 2, "a third random, a third text, a third zero");
	free(buf);
	img_free(&img);
	close(fd);
	free(mem);
}

Test(compress_pages, workers)
{
	cpu_set_t set;
	cr_assert_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	if (CPU_COUNT(&set) < 2)
		cr_skip_test("one core: no workers");
	tcp_cfg.compress = TCP_COMPRESS_ZSTD;
	tcp_cfg.compress_level = 1;
	round_trip();
}

Test(compress_pages, inline_on_one_core)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	cr_assert_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	tcp_cfg.compress = TCP_COMPRESS_ZSTD;
	tcp_cfg.compress_level = 3;
	round_trip();
}
