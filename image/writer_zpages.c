/* The ZPAGES section (format.h): head and runs first, then the stored
 * blocks as they come out of the compressor, the block table last (its
 * lengths are known only then). Freestanding, like writer.c. */
#include "writer.h"

void iw_zpages_begin(struct img_writer *w, const struct tcp_zpages_head *h, const struct tcp_run *runs)
{
	iw_open(w, TCP_SEC_ZPAGES);
	iw_data(w, h, sizeof(*h));
	iw_data(w, runs, h->nruns * sizeof(struct tcp_run));
}

void iw_zpages_block(struct img_writer *w, const void *stored, uint32_t stored_len, uint32_t raw_len)
{
	iw_data(w, stored, stored_len);
	if (!w->err)
		iw_pages_written(w, raw_len);
}

void iw_zpages_end(struct img_writer *w, const struct tcp_zblock *table, uint64_t nblocks)
{
	iw_data(w, table, nblocks * sizeof(*table));
	iw_close(w);
}
