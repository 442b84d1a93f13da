/* ZPAGES sections (TCP_COMPRESS=zstd): an image written with the writer's
 * ZPAGES entry points loads (fully and deferred), its pages read back
 * through img_zpages_read; malformed heads, run tables and block tables are
 * refused with a message; a damaged frame or table fails the checksums. */
#include <criterion/criterion.h>
#include "tmp_file.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "image/format.h"
#include "image/reader.h"
#include "image/writer.h"

#define PG TCP_PAGE_SIZE
#define BLOCK (8 * PG)		/* small blocks: several per section */
#define NPAGES 20		/* region of 20 pages */

struct zsample {
	uint8_t *mem;			/* the region, NPAGES pages */
	struct tcp_region reg;
	struct tcp_run runs[3];
	uint64_t nruns;
	uint64_t frames_at;		/* file offset of the first stored block */
	uint64_t table_at;		/* file offset of the block table */
	struct tcp_zblock table[8];
	uint64_t nblocks;
};

/* Runs: pages 0-2, 4-14 (11 pages), 17-19: 17 pages = 3 blocks (8, 8, 1).
 * Pages 0-7 of the data are compressible text, the rest random (raw). */
static void make(struct zsample *z)
{
	memset(z, 0, sizeof(*z));
	z->mem = aligned_alloc(PG, NPAGES * PG);
	cr_assert_not_null(z->mem);
	uint64_t s = 12345;
	for (size_t i = 0; i < NPAGES * PG; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		z->mem[i] = i < 8 * PG ? (uint8_t)("abcabcabd"[i % 9]) : (uint8_t)(s >> 33);
	}
	z->reg = (struct tcp_region){ .start = (uint64_t)z->mem, .end = (uint64_t)z->mem + NPAGES * PG, .prot = 3,
				      .kind = TCP_REG_ANON };
	z->runs[0] = (struct tcp_run){ (uint64_t)z->mem, 3 };
	z->runs[1] = (struct tcp_run){ (uint64_t)z->mem + 4 * PG, 11 };
	z->runs[2] = (struct tcp_run){ (uint64_t)z->mem + 17 * PG, 3 };
	z->nruns = 3;
}

/* The runs' bytes, concatenated. */
static uint8_t *concat(const struct zsample *z, uint64_t *len)
{
	uint8_t *all = malloc(NPAGES * PG);
	uint64_t n = 0;
	for (uint64_t i = 0; i < z->nruns; i++) {
		memcpy(all + n, (const void *)z->runs[i].addr, z->runs[i].npages * PG);
		n += z->runs[i].npages * PG;
	}
	*len = n;
	return all;
}

static void write_image(int fd, struct zsample *z)
{
	struct tcp_process proc;
	memset(&proc, 0, sizeof(proc));
	proc.nregions = 1;
	proc.nthreads = 1;
	struct tcp_thread thr;
	memset(&thr, 0, sizeof(thr));
	thr.tid = 1;
	uint64_t raw;
	uint8_t *all = concat(z, &raw);
	struct tcp_zpages_head h = { .region_index = 0, .nruns = z->nruns, .raw_bytes = raw, .block_size = BLOCK };
	h.nblocks = (raw + BLOCK - 1) / BLOCK;
	z->nblocks = h.nblocks;

	struct img_writer w;
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &proc, sizeof(proc), NULL, 0);
	iw_section(&w, TCP_SEC_REGION, &z->reg, sizeof(z->reg), NULL, 0);
	iw_zpages_begin(&w, &h, z->runs);
	z->frames_at = w.off;
	size_t cap = ZSTD_compressBound(BLOCK);
	char *out = malloc(cap);
	for (uint64_t b = 0; b < h.nblocks; b++) {
		uint64_t len = raw - b * BLOCK < BLOCK ? raw - b * BLOCK : BLOCK;
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		size_t n = ZSTD_compress2(c, out, cap, all + b * BLOCK, len);
		ZSTD_freeCCtx(c);
		cr_assert(!ZSTD_isError(n));
		if (n < len) {
			z->table[b] = (struct tcp_zblock){ (uint32_t)n, (uint32_t)len, 0, 0 };
			iw_zpages_block(&w, out, (uint32_t)n, (uint32_t)len);
		} else {
			z->table[b] = (struct tcp_zblock){ (uint32_t)len, (uint32_t)len, TCP_ZBLOCK_RAW, 0 };
			iw_zpages_block(&w, all + b * BLOCK, (uint32_t)len, (uint32_t)len);
		}
	}
	z->table_at = w.off;
	iw_zpages_end(&w, z->table, h.nblocks);
	iw_section(&w, TCP_SEC_THREAD, &thr, sizeof(thr), NULL, 0);
	iw_end(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.bytes_data, raw);
	free(out);
	free(all);
}

Test(zpages, round_trip)
{
	struct zsample z;
	make(&z);
	int fd = tmp_file();
	write_image(fd, &z);
	cr_assert_eq(z.nblocks, 3);
	cr_expect_eq(z.table[0].flags, 0, "the text block compresses");
	cr_expect_eq(z.table[1].flags, TCP_ZBLOCK_RAW, "the random block is stored raw");

	for (int deferred = 0; deferred < 2; deferred++) {
		struct tcp_image img;
		char err[512] = "";
		int rc = deferred ? img_load_fd_deferred(fd, "z.img", &img, err, sizeof(err))
				  : img_load_fd(fd, "z.img", &img, err, sizeof(err));
		cr_assert_eq(rc, 0, "%s", err);
		cr_assert_eq(img.nzpages, 1);
		cr_assert_eq(img.ndeferred, 0);
		cr_assert_eq(img.nextents, 3);
		cr_assert_eq(img.page_bytes, 17 * PG);
		cr_assert_eq(img.zpages[0].frames_off, z.frames_at);
		cr_assert_eq(img.zpages[0].table_off, z.table_at);
		cr_assert_eq(img.zpages[0].stored_bytes,
			     z.table[0].stored_len + z.table[1].stored_len + z.table[2].stored_len);
		uint64_t at = 0;
		for (int i = 0; i < 3; i++) {
			const struct img_extent *e = &img.extents[i];
			cr_assert_eq(e->flags, IMG_EXT_ZSTD);
			cr_assert_eq(e->addr, z.runs[i].addr);
			cr_assert_eq(e->npages, z.runs[i].npages);
			cr_assert_eq(e->file_off, at);
			cr_assert_eq(e->zsec, 0);
			at += e->npages * PG;
		}
		/* Every run's pages, and a piece across a block boundary. */
		uint8_t *buf = malloc(NPAGES * PG);
		for (int i = 0; i < 3; i++) {
			const struct img_extent *e = &img.extents[i];
			cr_assert_eq(img_zpages_read(fd, &img.zpages[0], e->file_off, buf, e->npages * PG), 0);
			cr_assert(!memcmp(buf, (const void *)e->addr, e->npages * PG), "extent %d differs", i);
		}
		cr_assert_eq(img_zpages_read(fd, &img.zpages[0], 8 * PG - 100, buf, 200), 0);
		cr_assert(!memcmp(buf, z.mem + 9 * PG - 100, 200)); /* data page 8 is memory page 9 */
		cr_assert_neq(img_zpages_read(fd, &img.zpages[0], 17 * PG - 10, buf, 20), 0, "read past the end");
		free(buf);
		img_free(&img);
	}
	close(fd);
}

/* A byte of the compressed frame: the full load sees the section checksum
 * fail; the deferred load (tcp-restore) leaves that to the decompressor,
 * and decompressing finds the frame broken. */
Test(zpages, damaged_frame)
{
	struct zsample z;
	make(&z);
	int fd = tmp_file();
	write_image(fd, &z);
	uint8_t c;
	uint64_t at = z.frames_at + z.table[0].stored_len / 2;
	cr_assert_eq(pread(fd, &c, 1, (off_t)at), 1);
	c ^= 0x40;
	cr_assert_eq(pwrite(fd, &c, 1, (off_t)at), 1);
	struct tcp_image img;
	char err[512] = "";
	cr_assert_eq(img_load_fd(fd, "z.img", &img, err, sizeof(err)), -1);
	cr_expect(strstr(err, "ZPAGES") && strstr(err, "checksum mismatch"), "%s", err);
	cr_assert_eq(img_load_fd_deferred(fd, "z.img", &img, err, sizeof(err)), 0, "%s", err);
	uint8_t *buf = malloc(8 * PG);
	cr_expect_neq(img_zpages_read(fd, &img.zpages[0], 0, buf, 8 * PG), 0, "a damaged frame decompressed");
	free(buf);
	img_free(&img);
	close(fd);
}

/* ---- malformed sections, straight into the checks ---- */

struct zcase {
	uint8_t meta[sizeof(struct tcp_zpages_head) + 3 * sizeof(struct tcp_run)];
	struct tcp_zblock table[3];
	uint64_t len;
};

/* A valid section for runs 0-2 of make() with blocks of 8 pages: 17 pages
 * in 3 blocks stored as 1000, 8 pages raw, 500 bytes. */
static void valid(struct zcase *c, const struct zsample *z)
{
	struct tcp_zpages_head h = { 0, 3, 3, 17 * PG, BLOCK, 0 };
	memcpy(c->meta, &h, sizeof(h));
	memcpy(c->meta + sizeof(h), z->runs, sizeof(z->runs));
	c->table[0] = (struct tcp_zblock){ 1000, BLOCK, 0, 0 };
	c->table[1] = (struct tcp_zblock){ BLOCK, BLOCK, TCP_ZBLOCK_RAW, 0 };
	c->table[2] = (struct tcp_zblock){ 500, PG, 0, 0 };
	c->len = sizeof(c->meta) + 1000 + BLOCK + 500 + sizeof(c->table);
}

static struct tcp_zpages_head *head_of(struct zcase *c)
{
	return (struct tcp_zpages_head *)c->meta;
}

static struct tcp_run *run_of(struct zcase *c, int i)
{
	return (struct tcp_run *)(c->meta + sizeof(struct tcp_zpages_head)) + i;
}

/* Runs the checks on c against an image holding z's region (of `kind`);
 * returns their result, the message in err. */
static int check(struct zcase *c, const struct zsample *z, uint32_t kind, char *err, size_t errlen)
{
	struct tcp_image img;
	memset(&img, 0, sizeof(img));
	struct img_region r = { z->reg, (char *)"" };
	r.r.kind = kind;
	img.regions = &r;
	img.nregions = 1;
	err[0] = 0;
	struct tcp_zpages_head h;
	int rc = img_zpages_head(c->meta, sizeof(c->meta), c->len, &h, err, errlen);
	if (!rc)
		rc = img_zpages_add(&img, c->meta, c->table, c->len, 100, 132, 0, err, errlen);
	if (!rc) {
		cr_assert_eq(img.nextents, 3);
		cr_assert_eq(img.nzpages, 1);
	} else {
		cr_assert_eq(img.nextents, 0, "a refused section left extents behind");
		cr_assert_eq(img.nzpages, 0);
	}
	free(img.extents);
	free(img.zpages);
	return rc;
}

#define EXPECT_REFUSED(change, words)                                                                          \
	do {                                                                                                   \
		struct zcase c;                                                                                \
		valid(&c, &z);                                                                                 \
		change;                                                                                        \
		cr_expect_eq(check(&c, &z, TCP_REG_ANON, err, sizeof(err)), -1, "accepted: %s", #change);     \
		cr_expect(strstr(err, words) != NULL, "%s: message \"%s\" lacks \"%s\"", #change, err, words); \
	} while (0)

Test(zpages, malformed)
{
	struct zsample z;
	make(&z);
	char err[512];
	struct zcase ok;
	valid(&ok, &z);
	cr_assert_eq(check(&ok, &z, TCP_REG_ANON, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(check(&ok, &z, TCP_REG_VDSO, err, sizeof(err)), -1, "pages for the vdso accepted");

	EXPECT_REFUSED(c.len = 20, "too short");
	EXPECT_REFUSED(head_of(&c)->nruns = 0, "run count");
	EXPECT_REFUSED(head_of(&c)->nruns = 1ull << 60, "run count");
	EXPECT_REFUSED(head_of(&c)->block_size = 0, "block size");
	EXPECT_REFUSED(head_of(&c)->block_size = PG + 1, "block size");
	EXPECT_REFUSED(head_of(&c)->block_size = 2 * TCP_ZBLOCK_MAX, "block size");
	EXPECT_REFUSED(head_of(&c)->nblocks = 2, "blocks");
	EXPECT_REFUSED(head_of(&c)->nblocks = 1ull << 40, "blocks");
	EXPECT_REFUSED(head_of(&c)->raw_bytes = 18 * PG, "block 2");
	EXPECT_REFUSED(head_of(&c)->raw_bytes = 17 * PG + 1, "blocks");
	EXPECT_REFUSED(head_of(&c)->region_index = 1, "region 1");
	EXPECT_REFUSED(c.table[0].raw_len = BLOCK - PG, "block 0");
	EXPECT_REFUSED(c.table[2].raw_len = 2 * PG, "block 2");
	EXPECT_REFUSED(c.table[1].stored_len = 100, "block 1");	/* raw, but not stored whole */
	EXPECT_REFUSED(c.table[2].flags = 4, "block 2");
	EXPECT_REFUSED(c.table[0].stored_len = 0, "block 0");
	EXPECT_REFUSED(c.table[0].stored_len = 999, "the blocks hold");
	EXPECT_REFUSED(c.len += 1, "the blocks hold");
	EXPECT_REFUSED(run_of(&c, 1)->addr = run_of(&c, 0)->addr, "run 1");	/* overlaps run 0 */
	EXPECT_REFUSED((run_of(&c, 0)->addr = run_of(&c, 2)->addr, run_of(&c, 2)->addr = z.reg.start), "run");
	EXPECT_REFUSED(run_of(&c, 2)->addr = z.reg.end - PG, "run 2");	/* past the region */
	EXPECT_REFUSED(run_of(&c, 1)->addr += 1, "run 1");
	EXPECT_REFUSED(run_of(&c, 1)->npages = 0, "run 1");
	EXPECT_REFUSED((run_of(&c, 1)->npages = 10, run_of(&c, 2)->npages = 4), "run 2"); /* same bytes, past the end */
	EXPECT_REFUSED(run_of(&c, 1)->npages = 12, "bytes");	/* runs and head disagree */
}
