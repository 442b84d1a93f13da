/* Writes a few valid checkpoint images into a directory, as the seed corpus
 * for the image reader fuzzers (scripts/fuzz): make_seeds DIR
 * Each image is written with the real streaming writer (image/writer.c) and
 * checked with the reader before it is kept. The memory the PAGES sections
 * describe is this program's own (page-aligned buffers), as in
 * tests/unit/test_image.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/format.h"
#include "image/reader.h"
#include "image/writer.h"
#include <zstd.h>

#define PG TCP_PAGE_SIZE

static const char *outdir;

static void fatal(const char *fmt, const char *arg)
{
	fprintf(stderr, "make_seeds: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(1);
}

static uint8_t *page_buf(size_t npages, uint8_t seed)
{
	uint8_t *p = aligned_alloc(PG, npages * PG);
	if (!p)
		fatal("%s", "out of memory");
	for (size_t i = 0; i < npages * PG; i++)
		p[i] = (uint8_t)(i * 13 + seed + i / PG);
	return p;
}

static void base_process(struct tcp_process *p, uint32_t nregions, uint32_t nthreads, uint32_t nfds)
{
	memset(p, 0, sizeof(*p));
	p->time_sec = 1700000000;
	p->time_nsec = 987654321;
	p->pid = 4242;
	p->uid = 1000;
	p->gid = 1000;
	p->umask = 022;
	p->generation = 1;
	p->nregions = nregions;
	p->nthreads = nthreads;
	p->nfds = nfds;
	p->auxv_bytes = 48;
	p->auxv[0] = 6; /* AT_PAGESZ */
	p->auxv[1] = 4096;
	p->auxv[2] = 33; /* AT_SYSINFO_EHDR */
	p->auxv[3] = 0x7ffff7fc1000;
	p->xstate_size = 2696;
	p->xcr0 = 0x2e7;
	p->xfeatures = 0x7;
	p->mm = (struct tcp_mm){ .start_code = 0x400000, .end_code = 0x401000, .start_data = 0x402000,
		.end_data = 0x403000, .start_brk = 0x405000, .brk = 0x426000, .start_stack = 0x7ffc00010000,
		.arg_start = 0x7ffc00011000, .arg_end = 0x7ffc00011010, .env_start = 0x7ffc00011010,
		.env_end = 0x7ffc00011100 };
	p->rlimits[3] = (struct tcp_rlimit){ 8 << 20, ~0ull };
	p->sigactions[9].handler = 0x401234;
	p->sigactions[9].flags = 0x04000000;
	p->pending = 1u << 9;
	p->itimers[0].interval_sec = 1;
	p->resume_slot = 0x7f0000001000;
	strcpy(p->comm, "app");
	strcpy(p->hostname, "seed-host");
	strcpy(p->prog, "app");
	strcpy(p->exe, "/usr/bin/app");
	strcpy(p->cwd, "/home/user");
	memcpy(p->cmdline, "app\0--seed", 11);
	p->cmdline_len = 11;
}

static void base_thread(struct tcp_thread *t, int32_t tid, int leader)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->is_leader = (uint32_t)leader;
	for (int i = 0; i < 8; i++)
		t->ctx[i] = 0x1000ull * (uint64_t)(i + 1) + (uint64_t)tid;
	t->fs_base = 0x7f0000002000 + (uint64_t)tid * 0x1000;
	t->sigmask = 0x4000;
	t->altstack = (struct tcp_altstack){ .sp = 0, .flags = 2, .size = 0 };
	t->robust_head = 0x7f0000002a00;
	t->robust_len = 24;
	t->rseq_addr = 0x7f0000002e00;
	t->rseq_len = 32;
	t->rseq_sig = 0x53053053;
	t->tid_addr = 0x7f00000022d0;
	t->nframes = 3;
	t->frames[0] = 0x401100;
	t->frames[1] = 0x401200;
	t->frames[2] = 0x401300;
}

static void region(struct img_writer *w, uint64_t start, uint64_t end, uint32_t prot, uint32_t kind,
		   uint64_t stored, const char *path)
{
	struct tcp_region r = { .start = start, .end = end, .prot = prot, .kind = kind, .stored_pages = stored,
		.path_len = (uint32_t)strlen(path) };
	if (kind == TCP_REG_FILE || kind == TCP_REG_FILE_SHARED) {
		r.offset = 0x1000;
		r.dev_major = 254;
		r.dev_minor = 1;
		r.inode = 1234;
		r.file_size = 0x10000;
		r.mtime_sec = 1690000000;
		r.build_id_len = 20;
		for (int i = 0; i < 20; i++)
			r.build_id[i] = (uint8_t)(0xb0 + i);
	}
	iw_section(w, TCP_SEC_REGION, &r, sizeof(r), path, r.path_len);
}

static void fd_section(struct img_writer *w, int32_t fd, uint32_t kind, uint32_t flags, const char *path,
		       const void *content, uint64_t content_len)
{
	struct tcp_fd f = { .fd = fd, .kind = kind, .flags = flags, .cloexec = fd > 2, .pos = content_len / 2,
		.size = content_len, .mode = kind == TCP_FD_DEVICE ? 020666 : 0100644,
		.path_len = (uint32_t)strlen(path), .dev = 0xfe01, .inode = 4321 + (uint64_t)fd,
		.mtime_sec = 1690000001, .mtime_nsec = 7, .content_len = content_len };
	iw_open(w, TCP_SEC_FD);
	iw_data(w, &f, sizeof(f));
	iw_data(w, path, f.path_len);
	if (content_len)
		iw_data(w, content, content_len);
	iw_close(w);
}

/* Opens DIR/name for writing; finish() checks the writer and the reader. */
static int create(const char *name, char *path, size_t pathlen)
{
	snprintf(path, pathlen, "%s/%s", outdir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal("cannot create %s", path);
	return fd;
}

static void finish(int fd, struct img_writer *w, const char *path)
{
	char err[512];
	struct tcp_image img;
	if (w->err)
		fatal("writer failed on %s", path);
	int rc = img_load_fd(fd, path, &img, err, sizeof(err));
	img_free(&img);
	if (rc)
		fatal("the reader rejects the seed: %s", err);
	close(fd);
	printf("%s\n", path);
}

/* Seed 1: everything, like a real single-threaded checkpoint. */
static void seed_full(void)
{
	char path[4096];
	int fd = create("seed-full.img", path, sizeof(path));
	/* One buffer so that the heap comes before the stack, as regions must be in order. */
	uint8_t *mem = page_buf(6, 1), *heap = mem, *stack = mem + 4 * PG;
	uint64_t top = (uint64_t)stack + 2 * PG;
	struct tcp_process p;
	struct tcp_thread t;
	struct img_writer w;
	static const char content[] = "content of a deleted file\nsecond line\n";

	base_process(&p, 5, 1, 5);
	base_thread(&t, 4242, 1);
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &p, sizeof(p), NULL, 0);
	region(&w, 0x400000, 0x402000, 5, TCP_REG_FILE, 0, "/usr/bin/app");
	region(&w, (uint64_t)heap, (uint64_t)heap + 4 * PG, 3, TCP_REG_HEAP, 3, "[heap]");
	region(&w, (uint64_t)stack, (uint64_t)stack + 2 * PG, 3, TCP_REG_STACK, 2, "[stack]");
	region(&w, top + 16 * PG, top + 20 * PG, 1, TCP_REG_VVAR, 0, "[vvar]");
	region(&w, top + 20 * PG, top + 22 * PG, 5, TCP_REG_VDSO, 0, "[vdso]");
	/* Heap: two runs with a hole (page 0, pages 2-3). */
	struct tcp_run hr[2] = { { (uint64_t)heap, 1 }, { (uint64_t)heap + 2 * PG, 2 } };
	iw_pages(&w, 1, hr, 2, NULL, 0);
	struct tcp_run sr[1] = { { (uint64_t)stack, 2 } };
	char bounce[1000];
	iw_pages(&w, 2, sr, 1, bounce, sizeof(bounce));
	iw_section(&w, TCP_SEC_THREAD, &t, sizeof(t), NULL, 0);
	fd_section(&w, 0, TCP_FD_INHERIT, O_RDONLY, "", NULL, 0);
	fd_section(&w, 1, TCP_FD_DEVICE, O_WRONLY, "/dev/null", NULL, 0);
	fd_section(&w, 2, TCP_FD_INHERIT, O_WRONLY, "pipe:[1234]", NULL, 0);
	fd_section(&w, 3, TCP_FD_REGULAR, O_RDWR | O_APPEND, "/tmp/data file.txt", NULL, 0);
	fd_section(&w, 4, TCP_FD_DELETED, O_RDWR, "/tmp/scratch (deleted)", content, sizeof(content) - 1);
	iw_end(&w);
	finish(fd, &w, path);
	free(mem);
}

/* Seed 2: the smallest valid image (one anonymous region, no pages, no fds). */
static void seed_minimal(void)
{
	char path[4096];
	int fd = create("seed-minimal.img", path, sizeof(path));
	struct tcp_process p;
	struct tcp_thread t;
	struct img_writer w;

	base_process(&p, 1, 1, 0);
	base_thread(&t, 4242, 1);
	t.nframes = 0;
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &p, sizeof(p), NULL, 0);
	region(&w, 0x10000, 0x11000, 3, TCP_REG_ANON, 0, "");
	iw_section(&w, TCP_SEC_THREAD, &t, sizeof(t), NULL, 0);
	iw_end(&w);
	finish(fd, &w, path);
}

/* Seed 3: threads, several PAGES sections (one region split in two),
 * shared file mapping, a deleted file with empty content and an anonymous
 * region whose path is long. */
static void seed_threads(void)
{
	char path[4096], longpath[300];
	int fd = create("seed-threads.img", path, sizeof(path));
	uint8_t *anon = page_buf(3, 3);
	struct tcp_process p;
	struct tcp_thread t;
	struct img_writer w;

	memset(longpath, 0, sizeof(longpath));
	strcpy(longpath, "/memfd:");
	memset(longpath + 7, 'm', 200);
	strcat(longpath, " (deleted)");

	base_process(&p, 3, 3, 2);
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &p, sizeof(p), NULL, 0);
	region(&w, 0x200000, 0x204000, 3, TCP_REG_FILE_SHARED, 0, "/dev/shm/segment");
	region(&w, (uint64_t)anon, (uint64_t)anon + 3 * PG, 7, TCP_REG_ANON, 3, longpath);
	region(&w, (uint64_t)anon + 64 * PG, (uint64_t)anon + 97 * PG, 3, TCP_REG_STACK, 0, "[stack]");
	struct tcp_run a[1] = { { (uint64_t)anon, 1 } };
	struct tcp_run b[2] = { { (uint64_t)anon + PG, 1 }, { (uint64_t)anon + 2 * PG, 1 } };
	iw_pages(&w, 1, a, 1, NULL, 0);
	iw_pages(&w, 1, b, 2, NULL, 0);
	for (int i = 0; i < 3; i++) {
		base_thread(&t, 4242 + i, i == 0);
		t.nframes = (uint32_t)(i * 16);
		iw_section(&w, TCP_SEC_THREAD, &t, sizeof(t), NULL, 0);
	}
	fd_section(&w, 5, TCP_FD_DELETED, O_RDONLY, "/tmp/empty (deleted)", NULL, 0);
	fd_section(&w, 7, TCP_FD_REGULAR, O_RDONLY, "/etc/hostname", NULL, 0);
	iw_end(&w);
	finish(fd, &w, path);
	free(anon);
}

/* Seed 4: a ZPAGES section (TCP_COMPRESS=zstd): two runs in two blocks,
 * one a zstd frame with its checksum, one stored raw; on a region with
 * madvise flags. */
static void seed_zpages(void)
{
	char path[4096];
	int fd = create("seed-zpages.img", path, sizeof(path));
	uint8_t *anon = page_buf(3, 4);
	memset(anon, 0x11, 2 * PG); /* the first block compresses */
	struct tcp_process p;
	struct tcp_thread t;
	struct img_writer w;

	base_process(&p, 1, 1, 0);
	base_thread(&t, 4242, 1);
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &p, sizeof(p), NULL, 0);
	struct tcp_region r = { .start = (uint64_t)anon, .end = (uint64_t)anon + 4 * PG, .prot = 3,
				.kind = TCP_REG_ANON, .flags = TCP_REGF_HUGEPAGE | TCP_REGF_NORESERVE, .stored_pages = 3 };
	iw_section(&w, TCP_SEC_REGION, &r, sizeof(r), NULL, 0);
	struct tcp_run runs[2] = { { (uint64_t)anon, 2 }, { (uint64_t)anon + 2 * PG, 1 } };
	struct tcp_zpages_head h = { .region_index = 0, .nruns = 2, .nblocks = 2, .raw_bytes = 3 * PG,
				     .block_size = 2 * PG };
	iw_zpages_begin(&w, &h, runs);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	static uint8_t frame[2 * PG + 1024];
	if (!cctx || ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))
		fatal("%s", "zstd context");
	size_t n = ZSTD_compress2(cctx, frame, sizeof(frame), anon, 2 * PG);
	if (ZSTD_isError(n) || n >= 2 * PG)
		fatal("%s", "zstd did not compress the first block");
	ZSTD_freeCCtx(cctx);
	struct tcp_zblock table[2] = { { (uint32_t)n, 2 * PG, 0, 0 }, { PG, PG, TCP_ZBLOCK_RAW, 0 } };
	iw_zpages_block(&w, frame, (uint32_t)n, 2 * PG);
	iw_zpages_block(&w, anon + 2 * PG, PG, PG);
	iw_zpages_end(&w, table, 2);
	iw_section(&w, TCP_SEC_THREAD, &t, sizeof(t), NULL, 0);
	iw_end(&w);
	finish(fd, &w, path);
	free(anon);
}

int main(int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: make_seeds DIR\nwrites a few valid tcp images into DIR (created if missing)\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) && errno != EEXIST)
		fatal("cannot create %s", outdir);
	seed_full();
	seed_minimal();
	seed_threads();
	seed_zpages();
	return 0;
}
