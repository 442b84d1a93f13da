/* A region's pages as a ZPAGES section: the runs' pages, concatenated, cut
 * into ZBLOCK_SIZE blocks, each compressed by a worker (or inline on one
 * core) and written in order. The workers and buffers are made at the first
 * section of a checkpoint and kept until compress_pages_finish. */
#include "compress.h"
#include "internal.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <sys/mman.h>

#define ZINFLIGHT 2	/* requests per worker not yet read back (see compress_workers.c) */

/* This checkpoint's state. A forked writer keeps it in its own copy of
 * libtcp's data, and the image it writes may catch it (as may that of a
 * program that writes its image itself): after a restore it describes
 * workers and buffers of a process long gone. So it counts only for the
 * checkpoint (tcp_threads.epoch) that made it. */
static struct {
	int epoch;
	int ready;
	int nworkers;
	struct zcomp *inline_z;	/* without workers */
	char *result;		/* with workers: one block's stored bytes */
	uint64_t result_len;
} st;

/* Walks the runs' pages block by block. */
struct cursor {
	const struct tcp_run *runs;
	uint64_t nruns, i, off;
};

static uint32_t next_block(struct cursor *c, struct zseg *segs)
{
	uint32_t n = 0;
	uint64_t room = ZBLOCK_SIZE;
	while (room && c->i < c->nruns) {
		uint64_t left = c->runs[c->i].npages * TCP_PAGE_SIZE - c->off;
		uint64_t take = left < room ? left : room;
		segs[n++] = (struct zseg){ c->runs[c->i].addr + c->off, take };
		room -= take;
		c->off += take;
		if (c->off == c->runs[c->i].npages * TCP_PAGE_SIZE) {
			c->i++;
			c->off = 0;
		}
	}
	return n;
}

static void *map(uint64_t len)
{
	void *p = tcp_scratch_map(len);
	return ((long)p < 0 && (long)p > -4096) ? 0 : p;
}

/* The state of an earlier checkpoint is not ours to use or free. */
static int current(void)
{
	if (st.ready && st.epoch == tcp_threads.epoch)
		return 1;
	f_memset(&st, 0, sizeof(st));
	return 0;
}

static int setup(void)
{
	if (current())
		return 0;
	st.epoch = tcp_threads.epoch;
	st.nworkers = zworkers_start(tcp_cfg.compress_level);
	if (st.nworkers) {
		st.result_len = (zcomp_bound() + 4095) & ~4095ull;
		st.result = map(st.result_len);
	} else {
		st.inline_z = zcomp_new(tcp_cfg.compress_level);
	}
	st.ready = 1;
	return (st.nworkers && st.result) || st.inline_z ? 0 : -12 /* ENOMEM */;
}

void compress_pages_finish(void)
{
	if (!current())
		return;
	if (st.nworkers)
		zworkers_stop();
	if (st.result)
		r_munmap(st.result, st.result_len);
	zcomp_free(st.inline_z);
	f_memset(&st, 0, sizeof(st));
}

const char *compress_failure(void)
{
	return zworkers_failure();
}

static void inline_blocks(struct img_writer *w, struct cursor *c, struct tcp_zblock *table, uint64_t nblocks)
{
	struct zseg segs[ZSEGS_MAX];
	for (uint64_t b = 0; b < nblocks && !w->err; b++) {
		const void *out;
		uint32_t n = next_block(c, segs), raw, flags;
		uint32_t stored = zcomp_block(st.inline_z, segs, n, &out, &raw, &flags);
		table[b] = (struct tcp_zblock){ stored, raw, flags, 0 };
		iw_zpages_block(w, out, stored, raw);
	}
}

static void parallel_blocks(struct img_writer *w, struct cursor *c, struct tcp_zblock *table, uint64_t nblocks,
			    uint64_t raw_bytes)
{
	struct zseg segs[ZSEGS_MAX];
	uint64_t sent = 0, done = 0, inflight = (uint64_t)st.nworkers * ZINFLIGHT;
	while (done < nblocks && !w->err) {
		while (sent < nblocks && sent - done < inflight) {
			uint32_t n = next_block(c, segs);
			int rc = zworkers_submit((int)(sent % (uint64_t)st.nworkers), segs, n);
			if (rc) {
				w->err = rc;
				return;
			}
			sent++;
		}
		uint32_t raw, flags;
		long stored = zworkers_collect((int)(done % (uint64_t)st.nworkers), st.result, st.result_len, &raw,
					       &flags);
		uint64_t want = raw_bytes - done * ZBLOCK_SIZE;
		if (stored >= 0 && raw != (want < ZBLOCK_SIZE ? want : ZBLOCK_SIZE))
			stored = -5; /* EIO: not the block that was asked for */
		if (stored < 0) {
			w->err = (int)stored;
			return;
		}
		table[done] = (struct tcp_zblock){ (uint32_t)stored, raw, flags, 0 };
		iw_zpages_block(w, st.result, (uint32_t)stored, raw);
		done++;
	}
}

void compress_pages(struct img_writer *w, uint64_t index, const struct tcp_run *runs, uint64_t nruns)
{
	if (w->err)
		return;
	zcomp_source(w->mem_fd);
	int rc = setup();
	if (rc) {
		w->err = rc;
		return;
	}
	struct tcp_zpages_head h = { .region_index = index, .nruns = nruns, .block_size = ZBLOCK_SIZE };
	for (uint64_t i = 0; i < nruns; i++)
		h.raw_bytes += runs[i].npages * TCP_PAGE_SIZE;
	h.nblocks = (h.raw_bytes + ZBLOCK_SIZE - 1) / ZBLOCK_SIZE;
	uint64_t table_len = (h.nblocks * sizeof(struct tcp_zblock) + 4095) & ~4095ull;
	struct tcp_zblock *table = map(table_len);
	if (!table) {
		w->err = -12;
		return;
	}
	struct cursor c = { runs, nruns, 0, 0 };
	iw_zpages_begin(w, &h, runs);
	if (st.nworkers)
		parallel_blocks(w, &c, table, h.nblocks, h.raw_bytes);
	else
		inline_blocks(w, &c, table, h.nblocks);
	iw_zpages_end(w, table, h.nblocks);
	r_munmap(table, table_len);
}
