/* Incremental checkpoints (TCP_INCREMENTAL): the dump compares every page it
 * would store with the previous image's hash of the page at that address and
 * writes a REFS run instead of the page when they match (image/format.h).
 * Raw syscalls and scratch mappings only: runs in the paused app or in the
 * forked writer. Between incr_begin and incr_end, the state lives in the
 * dump arena (never in libtcp's data, which is itself being dumped). */
#ifndef TCP_INCREMENTAL_H
#define TCP_INCREMENTAL_H

#include <stdint.h>
#include "dump.h"

/* After dump_scan_memory: decides full or incremental (reading DIR/latest's
 * PROCESS, PARENT, HASHES, PAGES run tables and REFS, and the HASHES of the
 * older images it names; no page data) and sets up the hash table of this
 * image. Without TCP_INCREMENTAL it does nothing.
 * Never fails the checkpoint: anything wrong with the previous image means
 * a full image, said in the log. */
void incr_begin(struct dump_ctx *d, int dirfd);
/* PARENT, right after PROCESS (nothing for a full image). */
void incr_write_parent(struct img_writer *w);
/* For a page write_pages keeps: returns 1 if it is the same as in an older
 * image (then it is a REFS run, not stored), else records its hash for
 * this image's HASHES; `content` is where its bytes can be read. `unstable`:
 * the page may change while it is written (the dumping thread's stack): no
 * hash, always stored. */
int incr_take(struct img_writer *w, uint64_t region_index, uint64_t addr, const void *content, int unstable);
/* After a region's pages: its pending REFS runs. */
void incr_region_done(struct img_writer *w, uint64_t region_index);
/* HASHES, after the last region. */
void incr_write_hashes(struct img_writer *w);
/* Logs what was stored and inherited, frees the scratch mappings. */
void incr_end(int ok);

/* TCP_KEEP: the file names of the images that `name` (in dirfd) takes pages
 * from, into out[max]; returns how many, 0 for a full image or an image that
 * cannot be read, or -1 if it has more than max. */
int incr_image_parents(int dirfd, const char *name, struct tcp_parent *out, int max);

#endif
