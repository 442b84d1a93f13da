/* TCP_COMPRESS=zstd: the pages of a region become a ZPAGES section
 * (image/format.h) instead of PAGES. Runs where PAGES would be written: in
 * the forked writer or in the paused app, so raw syscalls only, and libzstd
 * allocates through r_mmap (compress_zstd.c). */
#ifndef TCP_COMPRESS_H
#define TCP_COMPRESS_H

#include <stdint.h>
#include "../image/writer.h"

/* One ZPAGES section for region `index`. Errors stick in w->err. */
void compress_pages(struct img_writer *w, uint64_t index, const struct tcp_run *runs, uint64_t nruns);
/* Ends the workers and frees the buffers of this checkpoint's compression. */
void compress_pages_finish(void);
/* Why compression failed in this checkpoint when a worker died ("the
 * compression worker (pid N) died of SIGSEGV"), or "". */
const char *compress_failure(void);

/* ---- shared by compress_pages.c, compress_zstd.c, compress_workers.c ---- */

#define ZBLOCK_SIZE (1u << 20)		/* raw bytes per block (one zstd frame) */
#define ZSEGS_MAX (ZBLOCK_SIZE / TCP_PAGE_SIZE)
#define ZWORKERS_MAX 8

/* A piece of a block: memory of the app (or of the writer's copy of it). */
struct zseg {
	uint64_t addr, len;
};

/* A compressor: a zstd context and its buffers, all from r_mmap. */
struct zcomp;
struct zcomp *zcomp_new(int level);
void zcomp_free(struct zcomp *z);
/* Gathers the segments and compresses them. Sets *out to the bytes to store
 * (the frame, or the raw bytes when they do not compress), *raw_len and
 * *flags (TCP_ZBLOCK_RAW). Returns the stored length. */
uint32_t zcomp_block(struct zcomp *z, const struct zseg *segs, uint32_t nseg, const void **out, uint32_t *raw_len,
		     uint32_t *flags);
/* Where zcomp_block reads the app's memory: -1, at the segments' addresses;
 * else a /proc/self/mem fd of the forked writer (see put_mem in
 * image/writer.c). Set before the workers start: they inherit it. */
void zcomp_source(int mem_fd);
/* In a worker: the same through its own /proc/self/mem. The writer's
 * memory has moved on since the worker was cloned (its compression state
 * is in libtcp's own data, which is dumped too); the worker's has not. */
void zcomp_source_own(void);
/* The largest stored length of a block (zstd's bound for ZBLOCK_SIZE). */
uint64_t zcomp_bound(void);

/* Worker processes (compress_workers.c): raw clones (no shared memory)
 * made after the data is final, each compressing the blocks named on its
 * request pipe and sending the results back on its own result pipe, so
 * results come back in the order they were asked for. */
int zworkers_start(int level);	/* how many run; 0: compress inline */
int zworkers_submit(int k, const struct zseg *segs, uint32_t nseg);	/* 0 or -errno */
/* Reads worker k's next result into buf (cap bytes). Returns the stored
 * length, or -errno. */
long zworkers_collect(int k, void *buf, uint64_t cap, uint32_t *raw_len, uint32_t *flags);
void zworkers_stop(void);
const char *zworkers_failure(void);	/* see compress_failure */

#endif
