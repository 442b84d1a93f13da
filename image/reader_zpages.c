/* ZPAGES sections (format.h): validated without decompressing (the
 * restore's decompressor and tcp-inspect decompress later), so that a
 * damaged table is refused before anything is changed. */
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static int bad(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

int img_zpages_head(const void *meta, uint64_t avail, uint64_t len, struct tcp_zpages_head *h, char *msg,
		    size_t msglen)
{
	if (len < sizeof(*h) || avail < sizeof(*h))
		return bad(msg, msglen, "payload too short");
	memcpy(h, meta, sizeof(*h));
	uint64_t room = len - sizeof(*h);
	if (h->nruns == 0 || h->nruns > room / sizeof(struct tcp_run))
		return bad(msg, msglen, "bad run count %llu", (unsigned long long)h->nruns);
	room -= h->nruns * sizeof(struct tcp_run);
	if (h->block_size == 0 || h->block_size % TCP_PAGE_SIZE || h->block_size > TCP_ZBLOCK_MAX)
		return bad(msg, msglen, "bad block size %u", h->block_size);
	if (h->raw_bytes == 0 || h->raw_bytes % TCP_PAGE_SIZE ||
	    h->nblocks != (h->raw_bytes + h->block_size - 1) / h->block_size ||
	    h->nblocks > room / sizeof(struct tcp_zblock))
		return bad(msg, msglen, "%llu blocks for %llu bytes of pages do not fit the payload of %llu bytes",
			   (unsigned long long)h->nblocks, (unsigned long long)h->raw_bytes, (unsigned long long)len);
	return 0;
}

static int add_extent(struct tcp_image *img, struct img_extent x)
{
	size_t n = img->nextents;
	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		void *p = realloc(img->extents, sizeof(*img->extents) * (n < 4 ? 4 : n * 2));
		if (!p)
			return -1;
		img->extents = p;
	}
	img->extents[img->nextents++] = x;
	return 0;
}

int img_zpages_add(struct tcp_image *img, const void *meta, const struct tcp_zblock *table, uint64_t len,
		   uint64_t sec_off, uint64_t payload_off, uint64_t payload_sum, char *msg, size_t msglen)
{
	struct tcp_zpages_head h;
	if (img_zpages_head(meta, len, len, &h, msg, msglen))
		return -1;
	if (h.region_index >= img->nregions)
		return bad(msg, msglen, "refers to region %llu, but only %zu regions precede it",
			   (unsigned long long)h.region_index, img->nregions);
	if (img->nextents && h.region_index < img->extents[img->nextents - 1].region)
		return bad(msg, msglen, "pages for region %llu come after pages of region %u",
			   (unsigned long long)h.region_index, img->extents[img->nextents - 1].region);
	const struct img_region *reg = &img->regions[h.region_index];
	if (reg->r.kind == TCP_REG_VDSO || reg->r.kind == TCP_REG_VVAR || reg->r.kind == TCP_REG_FILE_SHARED ||
	    (reg->r.kind == TCP_REG_SHM && !(reg->r.flags & TCP_REGF_PRIVATE)))
		return bad(msg, msglen, "pages stored for a region that cannot hold them (%s)", reg->path);

	/* Blocks: raw lengths cut the runs' bytes in block_size pieces; the
	 * stored lengths fill the payload between the run table and the block
	 * table exactly. */
	uint64_t meta_len = sizeof(h) + h.nruns * sizeof(struct tcp_run);
	uint64_t table_len = h.nblocks * sizeof(struct tcp_zblock);
	uint64_t stored = 0;
	for (uint64_t b = 0; b < h.nblocks; b++) {
		const struct tcp_zblock *z = &table[b];
		uint64_t want = b + 1 < h.nblocks ? h.block_size : h.raw_bytes - b * h.block_size;
		if (z->raw_len != want || (z->flags & ~TCP_ZBLOCK_RAW) || z->stored_len == 0 ||
		    ((z->flags & TCP_ZBLOCK_RAW) && z->stored_len != z->raw_len))
			return bad(msg, msglen, "block %llu: bad entry (stored %u, raw %u, flags %u; expected raw %llu)",
				   (unsigned long long)b, z->stored_len, z->raw_len, z->flags, (unsigned long long)want);
		stored += z->stored_len;
	}
	if (stored != len - meta_len - table_len)
		return bad(msg, msglen, "the blocks hold %llu bytes, the section %llu", (unsigned long long)stored,
			   (unsigned long long)(len - meta_len - table_len));

	size_t first = img->nextents;
	uint64_t raw = 0, prev_end = reg->r.start;
	for (uint64_t i = 0; i < h.nruns; i++) {
		struct tcp_run run;
		memcpy(&run, (const char *)meta + sizeof(h) + i * sizeof(run), sizeof(run));
		uint64_t bytes = run.npages * TCP_PAGE_SIZE;
		if (run.npages == 0 || run.npages > (reg->r.end - reg->r.start) / TCP_PAGE_SIZE ||
		    run.addr % TCP_PAGE_SIZE || run.addr < prev_end || run.addr > reg->r.end - bytes)
			goto run_bad;
		if (first && img->extents[first - 1].region == h.region_index &&
		    run.addr < img->extents[first - 1].addr + img->extents[first - 1].npages * TCP_PAGE_SIZE)
			goto run_bad;
		if (add_extent(img, (struct img_extent){ .region = (uint32_t)h.region_index, .flags = IMG_EXT_ZSTD,
							 .addr = run.addr, .npages = run.npages, .file_off = raw,
							 .zsec = (uint32_t)img->nzpages }))
			return bad(msg, msglen, "out of memory");
		raw += bytes;
		prev_end = run.addr + bytes;
		continue;
	run_bad:
		img->nextents = first;
		return bad(msg, msglen, "run %llu (%llx, %llu pages) is outside region %llx-%llx, out of order or "
			   "overlaps an earlier one", (unsigned long long)i, (unsigned long long)run.addr,
			   (unsigned long long)run.npages, (unsigned long long)reg->r.start,
			   (unsigned long long)reg->r.end);
	}
	if (raw != h.raw_bytes) {
		img->nextents = first;
		return bad(msg, msglen, "the runs hold %llu bytes, the head says %llu", (unsigned long long)raw,
			   (unsigned long long)h.raw_bytes);
	}
	size_t n = img->nzpages;
	if (n == 0 || (n >= 4 && !(n & (n - 1)))) {
		void *p = realloc(img->zpages, sizeof(*img->zpages) * (n < 4 ? 4 : n * 2));
		if (!p) {
			img->nextents = first;
			return bad(msg, msglen, "out of memory");
		}
		img->zpages = p;
	}
	img->zpages[img->nzpages++] = (struct img_zpages){
		.sec_off = sec_off, .payload_off = payload_off, .length = len, .payload_sum = payload_sum, .head = h,
		.frames_off = payload_off + meta_len, .table_off = payload_off + len - table_len,
		.stored_bytes = stored };
	img->page_bytes += raw;
	return 0;
}

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (got <= 0)
			return -1;
		done += (size_t)got;
	}
	return 0;
}

int img_zpages_read(int fd, const struct img_zpages *z, uint64_t at, void *buf, size_t n)
{
	const struct tcp_zpages_head *h = &z->head;
	if (at > h->raw_bytes || n > h->raw_bytes - at)
		return -1;
	size_t tlen = h->nblocks * sizeof(struct tcp_zblock);
	struct tcp_zblock *table = malloc(tlen);
	char *stored = malloc(ZSTD_compressBound(h->block_size)), *raw = malloc(h->block_size);
	int rc = -1;
	if (!table || !stored || !raw || pread_full(fd, table, tlen, z->table_off))
		goto out;
	uint64_t off = z->frames_off;
	size_t done = 0;
	for (uint64_t b = 0; b < h->nblocks && done < n; b++) {
		const struct tcp_zblock *e = &table[b];
		uint64_t r0 = b * h->block_size;
		if (at + done < r0 + e->raw_len) {
			if (e->stored_len > ZSTD_compressBound(h->block_size) || e->raw_len > h->block_size ||
			    pread_full(fd, stored, e->stored_len, off))
				goto out;
			if (e->flags & TCP_ZBLOCK_RAW)
				memcpy(raw, stored, e->raw_len);
			else if (ZSTD_decompress(raw, h->block_size, stored, e->stored_len) != e->raw_len)
				goto out;
			uint64_t from = at + done - r0, take = e->raw_len - from;
			if (take > n - done)
				take = n - done;
			memcpy((char *)buf + done, raw + from, take);
			done += take;
		}
		off += e->stored_len;
	}
	rc = done == n ? 0 : -1;
out:
	free(table);
	free(stored);
	free(raw);
	return rc;
}
