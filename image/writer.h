/* Streaming image writer. Freestanding (raw syscalls only): it runs inside
 * the checkpoint signal handler while the app is stopped. The first error
 * sticks in `err` (a -errno) and makes every later call a no-op, so callers
 * check once at the end. */
#ifndef TCP_IMAGE_WRITER_H
#define TCP_IMAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "checksum.h"
#include "format.h"
#include "writer_aio.h"

struct img_writer {
	int fd;
	int err;		/* first error, -errno; 0 if none */
	uint64_t image_id[2];	/* random, in the file header; keys every section checksum */
	uint64_t off;		/* current file offset */
	uint64_t file_end;	/* bytes the kernel took: the file's size so far (for messages) */
	uint64_t nsections;
	uint64_t sec_start;	/* offset of the open section's header */
	uint32_t sec_type;
	int sec_open;
	struct csum sum;
	uint64_t bytes_data;	/* page bytes written, for the log */
	/* NULL, or told of page data as it is written (bytes of memory, before
	 * compression), every MiB at most: the writer's progress. */
	void (*on_pages)(uint64_t bytes);
	/* Staging (iw_stage): output collects in a page-aligned buffer that is
	 * written in whole pages, so the file can be opened O_DIRECT. */
	char *stage;		/* NULL: every put is a write() */
	size_t stage_cap;	/* a multiple of TCP_PAGE_SIZE */
	size_t stage_len;	/* bytes staged, not yet written */
	uint64_t stage_off;	/* file offset of stage[0], page aligned */
	char *scratch;		/* two pages, for patching a written header */
	int direct;		/* fd is O_DIRECT (dropped if the filesystem refuses) */
	/* O_DIRECT with AIO: the buffer is two stages of stage_cap bytes; the
	 * one not filling may be in flight (writer_aio.h). */
	struct iw_aio aio;
	char *halves[2];
	int half;
	/* Buffered (not O_DIRECT): the last two stages written, whose
	 * write-back was started; each is waited for and dropped from the page
	 * cache two flushes later (writer.c write_behind). */
	uint64_t behind_off[2], behind_len[2];
	/* -1, or an fd of /proc/self/mem that iw_pages reads the pages through
	 * (a kernel copy into the stage) rather than through their addresses. */
	int mem_fd;
};

void iw_begin(struct img_writer *w, int fd);
/* Like iw_begin, staging the output in buf (page aligned, cap + 2 pages
 * long, cap a multiple of TCP_PAGE_SIZE; else it is not staged). With
 * direct, fd was opened O_DIRECT: the page cache is bypassed (a forked
 * writer neither fills it nor pays for it), and where the kernel has AIO
 * each half of buf is written while the other fills; a filesystem that
 * refuses O_DIRECT writes gets buffered ones. iw_end writes what is staged
 * and trims the file to its length: a staged image is complete only after
 * iw_end, which must be called whatever happened (it ends the AIO). */
void iw_begin_staged(struct img_writer *w, int fd, char *buf, size_t cap, int direct);
void iw_open(struct img_writer *w, uint32_t type);
void iw_data(struct img_writer *w, const void *p, size_t len);
void iw_pad_to_page(struct img_writer *w);
void iw_close(struct img_writer *w);
/* One whole small section: payload = a followed by b (b may be NULL). */
void iw_section(struct img_writer *w, uint32_t type, const void *a, size_t alen, const void *b, size_t blen);
/* A PAGES section for region `index`: the pages of `runs` read from memory,
 * through mem_fd if set, else copied through `bounce` first when it is not
 * NULL. */
void iw_pages(struct img_writer *w, uint64_t index, const struct tcp_run *runs, uint64_t nruns, char *bounce,
	      size_t bounce_len);
/* The END section; then, when staging, the last staged bytes. */
/* A ZPAGES section (writer_zpages.c), written in three steps: the head and
 * run table; each block's stored bytes (a zstd frame or the raw bytes), in
 * order; the block table. raw_len is what the block holds uncompressed. */
void iw_zpages_begin(struct img_writer *w, const struct tcp_zpages_head *h, const struct tcp_run *runs);
void iw_zpages_block(struct img_writer *w, const void *stored, uint32_t stored_len, uint32_t raw_len);
void iw_zpages_end(struct img_writer *w, const struct tcp_zblock *table, uint64_t nblocks);
void iw_end(struct img_writer *w);
/* Counts n bytes of page data as written (bytes_data, on_pages). */
void iw_pages_written(struct img_writer *w, uint64_t n);

#endif
