/* Incremental images: the PARENT, REFS and HASHES sections (image/reader.c),
 * the chain checks (image/chain.c) and the page hash (image/page_hash.c).
 * Hand-built images where every checksum is right and one fact is wrong. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/chain.h"
#include "image/checksum.h"
#include "image/format.h"
#include "image/page_hash.h"
#include "image/reader.h"
#include "image_builder.h"

#define PG 4096u

static uint8_t page_a[PG], page_b[PG];

/* What to build: a valid incremental image (one older image, one region
 * 0x10000-0x18000, page 0x11000 stored, pages 0x12000-0x13fff inherited)
 * by default; each test breaks one thing. */
struct spec {
	struct tcp_parent parent;
	int nparents;			/* PARENT entries (0: no PARENT section) */
	int parent_after_region;
	struct tcp_ref ref;
	int nrefs_extra;		/* a second REFS run equal to `ref2` */
	struct tcp_ref ref2;
	int older;			/* build the older image instead: no PARENT, no REFS,
					 * the hashes of pages 0x12000 and 0x13000 */
	int drop_hash;			/* older: leave out the hash of page 0x13000 */
	int swap_hashes;		/* two hashes out of order */
	int misalign_hash;		/* the one hash not page-aligned */
	int hashes_twice;
};

static struct spec default_spec(void)
{
	struct spec s;
	memset(&s, 0, sizeof(s));
	snprintf(s.parent.name, sizeof(s.parent.name), "app.000001.tcp");
	s.parent.generation = 1;
	s.parent.size = 64 * PG;
	s.nparents = 1;
	s.ref = (struct tcp_ref){ .addr = 0x12000, .npages = 2, .source = 1, .file_off = 8 * PG };
	return s;
}

static void build(const struct spec *s, struct buf *b, struct tcp_process *proc_out)
{
	memset(b, 0, sizeof(*b));
	put_header(b, TCP_FORMAT_VERSION);

	static struct tcp_process proc;
	memset(&proc, 0, sizeof(proc));
	proc.pid = 7;
	proc.generation = 2;
	proc.nregions = 1;
	proc.nthreads = 1;
	if (proc_out)
		*proc_out = proc;
	put_section(b, TCP_SEC_PROCESS, &proc, sizeof(proc), NULL, 0);

	struct tcp_parent parents[2] = { s->parent, s->parent };
	if (s->nparents && !s->parent_after_region)
		put_section(b, TCP_SEC_PARENT, parents, s->nparents * sizeof(parents[0]), NULL, 0);

	struct tcp_region reg = { .start = 0x10000, .end = 0x18000, .prot = 3, .kind = TCP_REG_ANON };
	put_section(b, TCP_SEC_REGION, &reg, sizeof(reg), NULL, 0);
	if (s->nparents && s->parent_after_region)
		put_section(b, TCP_SEC_PARENT, parents, s->nparents * sizeof(parents[0]), NULL, 0);

	/* PAGES: head, one run, zeros to a page-aligned file offset, one page. */
	uint64_t payload_off = b->len + sizeof(struct tcp_section_header);
	struct tcp_pages_head ph = { .region_index = 0, .nruns = 1 };
	struct tcp_run run = { 0x11000, 1 };
	uint64_t table = sizeof(ph) + sizeof(run);
	uint64_t data = (payload_off + table + PG - 1) / PG * PG - payload_off;
	ph.data_offset = data;
	uint8_t *pl = calloc(1, data + PG);
	memcpy(pl, &ph, sizeof(ph));
	memcpy(pl + sizeof(ph), &run, sizeof(run));
	memcpy(pl + data, page_a, PG);
	put_section(b, TCP_SEC_PAGES, pl, data + PG, NULL, 0);
	free(pl);

	struct tcp_refs_head rh = { .region_index = 0, .nruns = 1 + (uint64_t)s->nrefs_extra };
	struct tcp_ref refs[2] = { s->ref, s->ref2 };
	if (!s->older)
		put_section(b, TCP_SEC_REFS, &rh, sizeof(rh), refs, rh.nruns * sizeof(refs[0]));

	/* HASHES: of the stored page; the older image's: of those it lends. */
	struct tcp_page_hash hs[2];
	struct page_hash x;
	size_t nh = 1;
	page_hash(page_a, &x);
	hs[0] = (struct tcp_page_hash){ .addr = 0x11000, .hash = { x.h[0], x.h[1] } };
	if (s->older) {
		page_hash(page_b, &x);
		hs[0] = (struct tcp_page_hash){ .addr = 0x12000, .hash = { x.h[0], x.h[1] } };
		hs[1] = (struct tcp_page_hash){ .addr = 0x13000, .hash = { x.h[0], x.h[1] } };
		nh = s->drop_hash ? 1 : 2;
	}
	if (s->swap_hashes) {
		hs[1] = hs[0];
		hs[0].addr += PG;
		nh = 2;
	}
	if (s->misalign_hash)
		hs[0].addr += 8;
	for (int i = 0; i <= s->hashes_twice; i++)
		put_section(b, TCP_SEC_HASHES, hs, nh * sizeof(hs[0]), NULL, 0);

	struct tcp_thread t = { .tid = 7, .is_leader = 1 };
	put_section(b, TCP_SEC_THREAD, &t, sizeof(t), NULL, 0);
	struct tcp_end e = { .section_count = b->nsec, .end_offset = b->len };
	put_section(b, TCP_SEC_END, &e, sizeof(e), NULL, 0);
}

static char dir[] = "/tmp/tcp-test-incr.XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	for (unsigned i = 0; i < PG; i++) {
		page_a[i] = (uint8_t)(i * 7 + 1);
		page_b[i] = (uint8_t)(i * 13 + 5);
	}
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static int load_spec(const struct spec *s, struct tcp_image *img, char *err, size_t errlen)
{
	struct buf b;
	build(s, &b, NULL);
	write_file("app.000002.tcp", b.p, b.len);
	free(b.p);
	char path[256];
	snprintf(path, sizeof(path), "%s/app.000002.tcp", dir);
	return img_load(path, img, err, errlen);
}

static void expect_fail(struct spec s, const char *want)
{
	struct tcp_image img;
	char err[1024];
	cr_expect_eq(load_spec(&s, &img, err, sizeof(err)), -1, "loaded, expected \"%s\"", want);
	cr_expect(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
}

TestSuite(incremental, .init = setup, .fini = teardown);

Test(incremental, baseline_is_valid)
{
	struct spec s = default_spec();
	struct tcp_image img;
	char err[1024];
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.nparents, 1);
	cr_assert_str_eq(img.parents[0].p.name, "app.000001.tcp");
	cr_assert_eq(img.parents[0].fd, -1);
	cr_assert_eq(img.nextents, 2);
	cr_assert_eq(img.extents[1].source, 1);
	cr_assert_eq(img.extents[1].file_off, 8 * PG);
	cr_assert_eq(img.ref_pages, 2);
	cr_assert_eq(img.nhashes, 1);
	cr_assert_not_null(img_hash_find(img.hashes, img.nhashes, 0x11000));
	cr_assert_null(img_hash_find(img.hashes, img.nhashes, 0x12000));
	img_free(&img);
}

Test(incremental, ref_source_unknown)
{
	struct spec s = default_spec();
	s.ref.source = 2;
	expect_fail(s, "names older image 2, but PARENT lists 1");
}

Test(incremental, ref_source_zero)
{
	struct spec s = default_spec();
	s.ref.source = 0;
	expect_fail(s, "names older image 0");
}

Test(incremental, ref_without_parent)
{
	struct spec s = default_spec();
	s.nparents = 0;
	expect_fail(s, "PARENT lists 0");
}

Test(incremental, ref_offset_unaligned_or_outside)
{
	struct spec s = default_spec();
	s.ref.file_off = 8 * PG + 12;
	expect_fail(s, "is not inside older image app.000001.tcp");
	s = default_spec();
	s.ref.file_off = 63 * PG; /* 2 pages from here run past the 64-page file */
	expect_fail(s, "is not inside older image");
	s = default_spec();
	s.ref.file_off = 0;
	expect_fail(s, "is not inside older image");
}

Test(incremental, ref_outside_region)
{
	struct spec s = default_spec();
	s.ref.addr = 0x17000;
	expect_fail(s, "is outside region 10000-18000");
}

Test(incremental, ref_overlaps_stored_page)
{
	struct spec s = default_spec();
	s.ref.addr = 0x11000;
	s.ref.npages = 1;
	expect_fail(s, "page 11000 is both stored and taken from an older image");
}

Test(incremental, refs_out_of_order)
{
	struct spec s = default_spec();
	s.nrefs_extra = 1;
	s.ref2 = (struct tcp_ref){ .addr = 0x12000, .npages = 1, .source = 1, .file_off = 4 * PG };
	expect_fail(s, "out of order");
}

Test(incremental, hashes_malformed)
{
	struct spec s = default_spec();
	s.misalign_hash = 1;
	expect_fail(s, "is not page-aligned or out of order");
	/* Two hashes (out of order too) for the one page stored: refused before
	 * they are read, as a sparse file declaring gigabytes of them is. */
	s = default_spec();
	s.swap_hashes = 1;
	expect_fail(s, "2 page hashes, but the image stores only 1 pages before them");
	s = default_spec();
	s.hashes_twice = 1;
	expect_fail(s, "second HASHES section");
}

Test(incremental, parent_malformed)
{
	struct spec s = default_spec();
	s.parent_after_region = 1;
	expect_fail(s, "PARENT section after the memory sections");
	s = default_spec();
	snprintf(s.parent.name, sizeof(s.parent.name), "../etc/app.000001.tcp");
	expect_fail(s, "older image 1 has no valid file name");
	s = default_spec();
	memset(s.parent.name, 'a', sizeof(s.parent.name));
	expect_fail(s, "older image 1 has no valid file name");
	s = default_spec();
	s.parent.name[0] = 0;
	expect_fail(s, "no valid file name");
}

/* The chain: the older image must be there and be the file recorded. */
Test(incremental, chain_open_checks_identity)
{
	struct buf older;
	struct tcp_process proc;
	build(&(struct spec){ .older = 1 }, &older, &proc);
	cr_assert_leq(older.len, 8 * PG);
	static const uint8_t zeros[PG];
	while (older.len < 8 * PG) /* the inherited pages at offset 8 pages */
		put(&older, zeros, older.len + PG <= 8 * PG ? PG : 8 * PG - older.len);
	while (older.len < 64 * PG)
		put(&older, page_b, PG);
	struct spec s = default_spec();
	s.parent.size = older.len;
	s.parent.process_sum = csum_buf_keyed(older.id, &proc, sizeof(proc));
	s.parent.generation = proc.generation;

	struct tcp_image img;
	char err[1024], path[256];
	snprintf(path, sizeof(path), "%s/app.000002.tcp", dir);
	/* Missing. */
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_open(&img, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "app.000001.tcp") && strstr(err, "cannot be opened"), "%s", err);
	img_free(&img);
	/* Present: opened, its inherited pages match their hashes. */
	write_file("app.000001.tcp", older.p, older.len);
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_open(&img, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_verify(&img, err, sizeof(err)), 0, "%s", err);
	img_free(&img);
	/* A damaged inherited page. */
	older.p[8 * PG + 100] ^= 1;
	write_file("app.000001.tcp", older.p, older.len);
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_open(&img, path, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_verify(&img, err, sizeof(err)), -1);
	cr_expect(strstr(err, "page at 12000") && strstr(err, "does not match its hash"), "%s", err);
	img_free(&img);
	/* An older image without the hash of a page it lends. */
	struct buf nohash;
	build(&(struct spec){ .older = 1, .drop_hash = 1 }, &nohash, NULL);
	cr_assert_leq(nohash.len, older.len);
	memcpy(older.p, nohash.p, nohash.len); /* same length up to the pages: same layout */
	s.parent.process_sum = csum_buf_keyed(nohash.id, &proc, sizeof(proc)); /* nohash's header and id now */
	free(nohash.p);
	older.p[8 * PG + 100] ^= 1;
	write_file("app.000001.tcp", older.p, older.len);
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_open(&img, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "takes the page at 13000 from the older image app.000001.tcp, which has no hash"), "%s", err);
	img_free(&img);
	/* Another file under its name (another checkpoint: other PROCESS). */
	s.parent.process_sum ^= 1;
	cr_assert_eq(load_spec(&s, &img, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(img_chain_open(&img, path, err, sizeof(err)), -1);
	cr_expect(strstr(err, "not the one it was written against"), "%s", err);
	img_free(&img);
	free(older.p);
}

Test(page_hash, deterministic_and_every_bit_counts)
{
	static uint8_t p[PG];
	for (unsigned i = 0; i < PG; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	struct page_hash a, b;
	page_hash(p, &a);
	page_hash(p, &b);
	cr_assert(page_hash_eq(&a, &b));
	for (unsigned bit = 0; bit < PG * 8; bit++) {
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		page_hash(p, &b);
		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert(b.h[0] != a.h[0] && b.h[1] != a.h[1], "flipping bit %u leaves a half of the hash unchanged", bit);
	}
	/* Two words swapped, two words changed in the same lane: still seen. */
	uint64_t w[2];
	memcpy(w, p, 8);
	memcpy(w + 1, p + 32, 8);
	memcpy(p, w + 1, 8);
	memcpy(p + 32, w, 8);
	page_hash(p, &b);
	cr_assert(!page_hash_eq(&a, &b));
	static uint8_t z[PG];
	page_hash(z, &b);
	cr_assert(b.h[0] != 0 || b.h[1] != 0);
}
