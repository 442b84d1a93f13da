#include "writer.h"
#include "../common/rawsys.h"
#include "../common/fstr.h"

/* write() all of p at the current end of the file (unstaged writer). */
static void write_through(struct img_writer *w, const char *c, size_t len)
{
	while (!w->err && len) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : len;
		long n = r_write(w->fd, c, chunk);
		if (n == -4 /* EINTR */)
			continue;
		if (n < 0) {
			w->err = (int)n;
			return;
		}
		if (n == 0) {
			w->err = -28; /* ENOSPC: the kernel wrote nothing */
			return;
		}
		c += n;
		len -= (size_t)n;
		w->file_end += (uint64_t)n;
	}
}

/* pwrite() all of p at off; an O_DIRECT fd that the filesystem refuses
 * (EINVAL: tmpfs, some FUSE) is switched to buffered writes. */
static void pwrite_all(struct img_writer *w, const char *c, size_t len, uint64_t off)
{
	while (!w->err && len) {
		long n = r_pwrite(w->fd, c, len, (long)off);
		if (n == -4)
			continue;
		if (n == -22 /* EINVAL */ && w->direct) {
			w->direct = 0;
			long fl = r_fcntl(w->fd, 3 /* F_GETFL */, 0);
			if (fl < 0 || r_fcntl(w->fd, 4 /* F_SETFL */, fl & ~040000L /* O_DIRECT */) < 0)
				w->err = -22;
			continue;
		}
		if (n < 0) {
			w->err = (int)n;
			return;
		}
		if (n == 0) {
			w->err = -28;
			return;
		}
		c += n;
		len -= (size_t)n;
		off += (uint64_t)n;
		if (off > w->file_end)
			w->file_end = off;
	}
}

/* Takes the completion of the stage in flight, if any; a short write is
 * finished, and a refused O_DIRECT one redone buffered, synchronously. */
static void finish_inflight(struct img_writer *w)
{
	const char *buf;
	size_t len;
	uint64_t off;
	int none;
	long got = iw_aio_wait(&w->aio, &buf, &len, &off, &none);
	if (!none && got > 0 && off + (uint64_t)got > w->file_end)
		w->file_end = off + (uint64_t)got;
	if (none || got == (long)len)
		return;
	if (got > 0 && (size_t)got < len) {
		buf += got;
		len -= (size_t)got;
		off += (uint64_t)got;
	} else if (got != -22 || !w->direct) {
		if (!w->err)
			w->err = got < 0 ? (int)got : -5;
		return;
	}
	pwrite_all(w, buf, len, off); /* on EINVAL: drops O_DIRECT, then writes */
}

/* Buffered writes of a stage: its write-back is started at once, and the
 * stage written two flushes earlier is waited for and dropped from the page
 * cache. The disk is kept busy with a few stages in flight, the page cache
 * holds only those (not the image: memory the program's job may be charged
 * for), and fsync has little left to do. A test program writing 4 GiB
 * here: 1.2-1.45 GiB/s, against 0.7-1.0 with O_DIRECT (with or without
 * AIO) and 0.3 when the page cache fills freely.
 * Errors here are only hints: fsync reports a failed write. */
static void write_behind(struct img_writer *w, uint64_t off, uint64_t len)
{
	rsys4(__NR_sync_file_range, w->fd, (long)off, (long)len, 2 /* SYNC_FILE_RANGE_WRITE */);
	uint64_t old_off = w->behind_off[0], old_len = w->behind_len[0];
	w->behind_off[0] = w->behind_off[1];
	w->behind_len[0] = w->behind_len[1];
	w->behind_off[1] = off;
	w->behind_len[1] = len;
	if (!old_len)
		return;
	rsys4(__NR_sync_file_range, w->fd, (long)old_off, (long)old_len, 1 | 2 | 4 /* WAIT_BEFORE|WRITE|WAIT_AFTER */);
	rsys4(__NR_fadvise64, w->fd, (long)old_off, (long)old_len, 4 /* POSIX_FADV_DONTNEED */);
}

/* Writes the staged bytes. Whole pages only, except at the end (`last`):
 * there the last page is padded with zeros and the file trimmed back. With
 * AIO the stage is submitted and the other half becomes the stage, once the
 * write of that one is complete. */
static void flush_stage(struct img_writer *w, int last)
{
	size_t len = w->stage_len;
	if (last) {
		size_t padded = (len + TCP_PAGE_SIZE - 1) / TCP_PAGE_SIZE * TCP_PAGE_SIZE;
		f_memset(w->stage + len, 0, padded - len);
		len = padded;
	}
	finish_inflight(w);
	if (!last && w->aio.ctx && w->direct && !w->err &&
	    iw_aio_submit(&w->aio, w->fd, w->stage, len, w->stage_off) == 0) {
		w->half ^= 1;
		w->stage = w->halves[w->half];
	} else {
		pwrite_all(w, w->stage, len, w->stage_off);
		if (!w->direct && !last && !w->err)
			write_behind(w, w->stage_off, len);
	}
	if (last && !w->err) {
		long rc = r_ftruncate(w->fd, (long)w->off);
		if (rc < 0)
			w->err = (int)rc;
	}
	w->stage_off += len;
	w->stage_len = 0;
}

/* Appends len bytes; with `sum`, checksums them too: over the staged copy,
 * in steps small enough that it is still in the L1 cache, so the source is
 * read once (a separate checksum pass over a page run costs as much as the
 * copy). */
static void put(struct img_writer *w, const void *p, size_t len, struct csum *sum)
{
	const char *c = p;
	if (w->err)
		return;
	while (!w->stage && !w->err && len) {
		size_t n = len > (1u << 20) ? (1u << 20) : len; /* still in cache for the write */
		if (sum)
			csum_update(sum, c, n);
		write_through(w, c, n);
		if (!w->err)
			w->off += n;
		c += n;
		len -= n;
	}
	while (!w->err && len) {
		size_t n = w->stage_cap - w->stage_len;
		if (n > len)
			n = len;
		if (sum && n > 16384)
			n = 16384;
		f_memcpy(w->stage + w->stage_len, c, n);
		if (sum)
			csum_update(sum, w->stage + w->stage_len, n);
		w->stage_len += n;
		w->off += n;
		c += n;
		len -= n;
		if (w->stage_len == w->stage_cap)
			flush_stage(w, 0);
	}
}

/* Like put(), for len bytes of memory at addr, which the kernel copies
 * from w->mem_fd straight into the stage: a forked writer's first touch of
 * each 4 KiB page through its own page tables costs about 1.3 s per GiB in
 * a PVM guest, this copy about 0.15 s. What the kernel does not copy (an
 * error, a short read) is read through its address. */
static void put_mem(struct img_writer *w, uint64_t addr, size_t len)
{
	while (!w->err && len) {
		if (!w->stage) {
			put(w, (const void *)addr, len, &w->sum);
			return;
		}
		size_t n = w->stage_cap - w->stage_len;
		if (n > len)
			n = len;
		if (n > (256u << 10)) /* still in the L2 cache for the checksum */
			n = 256u << 10;
		char *at = w->stage + w->stage_len;
		long got = r_pread(w->mem_fd, at, n, (long)addr);
		if (got != (long)n) {
			got = got < 0 ? 0 : got;
			f_memcpy(at + got, (const char *)addr + got, n - (size_t)got);
		}
		csum_update(&w->sum, at, n);
		w->stage_len += n;
		w->off += n;
		addr += n;
		len -= n;
		if (w->stage_len == w->stage_cap)
			flush_stage(w, 0);
	}
}

/* Rewrites len bytes at file offset off, which were put earlier: in the
 * stage if they are still there, else in the file (through two aligned
 * pages read back and written again when the fd is O_DIRECT). */
static void patch(struct img_writer *w, uint64_t off, const void *p, size_t len)
{
	const char *c = p;
	if (!w->stage) {
		pwrite_all(w, c, len, off);
		return;
	}
	if (off < w->stage_off)
		finish_inflight(w); /* it may hold these bytes */
	while (len && off < w->stage_off) { /* the part already written */
		size_t n = w->stage_off - off < len ? (size_t)(w->stage_off - off) : len;
		if (!w->direct) {
			pwrite_all(w, c, n, off);
		} else {
			uint64_t page = off / TCP_PAGE_SIZE * TCP_PAGE_SIZE;
			size_t span = (off + n - page + TCP_PAGE_SIZE - 1) / TCP_PAGE_SIZE * TCP_PAGE_SIZE;
			if (span > 2 * TCP_PAGE_SIZE)
				span = 2 * TCP_PAGE_SIZE, n = page + span - off;
			long got = r_pread(w->fd, w->scratch, span, (long)page);
			if (got != (long)span) {
				if (!w->err)
					w->err = got < 0 ? (int)got : -5;
				return;
			}
			f_memcpy(w->scratch + (off - page), c, n);
			pwrite_all(w, w->scratch, span, page);
		}
		off += n;
		c += n;
		len -= n;
	}
	if (len)
		f_memcpy(w->stage + (off - w->stage_off), c, len);
}

/* A new random identifier for the image (format.h): from getrandom, or,
 * where it has no entropy yet, from the clocks, the pid and an address. It
 * needs to differ between images, not to be secret. */
static void new_image_id(struct img_writer *w)
{
	if (rsys3(__NR_getrandom, (long)w->image_id, sizeof(w->image_id), 1 /* GRND_NONBLOCK */) ==
	    (long)sizeof(w->image_id))
		return;
	struct {
		long ts[2], mono[2];
		uint64_t tsc, pid, addr;
	} seed;
	uint32_t lo, hi;
	f_memset(&seed, 0, sizeof(seed));
	r_clock_gettime(0 /* CLOCK_REALTIME */, seed.ts);
	r_clock_gettime(1 /* CLOCK_MONOTONIC */, seed.mono);
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	seed.tsc = (uint64_t)hi << 32 | lo;
	seed.pid = (uint64_t)r_getpid();
	seed.addr = (uint64_t)w;
	w->image_id[0] = csum_buf(&seed, sizeof(seed));
	seed.tsc = ~seed.tsc;
	w->image_id[1] = csum_buf(&seed, sizeof(seed));
}

static void begin(struct img_writer *w, int fd, char *stage, size_t cap, int direct)
{
	struct tcp_file_header h;
	f_memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->mem_fd = -1;
	if (stage && cap >= TCP_PAGE_SIZE && !(cap % TCP_PAGE_SIZE) && !((uint64_t)stage % TCP_PAGE_SIZE)) {
		w->stage = stage;
		w->stage_cap = cap;
		w->scratch = stage + cap;
		w->direct = direct;
		if (direct && cap >= 2 * TCP_PAGE_SIZE)
			iw_aio_init(&w->aio);
		if (w->aio.ctx) {
			w->stage_cap = cap / 2 / TCP_PAGE_SIZE * TCP_PAGE_SIZE;
			w->halves[0] = stage;
			w->halves[1] = stage + w->stage_cap;
		}
	}
	f_memset(&h, 0, sizeof(h));
	f_memcpy(h.magic, TCP_IMAGE_MAGIC, 8);
	h.version = TCP_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.arch = TCP_ARCH_X86_64;
	h.page_size = TCP_PAGE_SIZE;
	new_image_id(w);
	h.image_id[0] = w->image_id[0];
	h.image_id[1] = w->image_id[1];
	h.checksum = csum_buf(&h, offsetof(struct tcp_file_header, checksum));
	put(w, &h, sizeof(h), 0);
}

void iw_begin(struct img_writer *w, int fd)
{
	begin(w, fd, 0, 0, 0);
}

void iw_begin_staged(struct img_writer *w, int fd, char *buf, size_t cap, int direct)
{
	begin(w, fd, buf, cap, direct);
}

void iw_open(struct img_writer *w, uint32_t type)
{
	struct tcp_section_header h;
	if (w->err)
		return;
	w->sec_start = w->off;
	w->sec_type = type;
	w->sec_open = 1;
	csum_init_keyed(&w->sum, w->image_id);
	f_memset(&h, 0, sizeof(h)); /* placeholder, rewritten by iw_close */
	put(w, &h, sizeof(h), 0);
}

void iw_data(struct img_writer *w, const void *p, size_t len)
{
	put(w, p, len, &w->sum);
}

void iw_pad_to_page(struct img_writer *w)
{
	static const char zeros[256];
	while (!w->err && (w->off % TCP_PAGE_SIZE)) {
		size_t n = TCP_PAGE_SIZE - (w->off % TCP_PAGE_SIZE);
		iw_data(w, zeros, n > sizeof(zeros) ? sizeof(zeros) : n);
	}
}

void iw_close(struct img_writer *w)
{
	struct tcp_section_header h;
	if (w->err)
		return;
	h.magic = TCP_SECTION_MAGIC;
	h.type = w->sec_type;
	h.length = w->off - w->sec_start - sizeof(h);
	h.payload_sum = csum_final(&w->sum);
	h.header_sum = csum_buf_keyed(w->image_id, &h, offsetof(struct tcp_section_header, header_sum));
	patch(w, w->sec_start, &h, sizeof(h));
	if (w->err)
		return;
	w->sec_open = 0;
	w->nsections++;
}

void iw_section(struct img_writer *w, uint32_t type, const void *a, size_t alen, const void *b, size_t blen)
{
	iw_open(w, type);
	iw_data(w, a, alen);
	if (b && blen)
		iw_data(w, b, blen);
	iw_close(w);
}

void iw_pages_written(struct img_writer *w, uint64_t n)
{
	w->bytes_data += n;
	if (w->on_pages)
		w->on_pages(n);
}

void iw_pages(struct img_writer *w, uint64_t index, const struct tcp_run *runs, uint64_t nruns, char *bounce,
	      size_t bounce_len)
{
	struct tcp_pages_head h;
	f_memset(&h, 0, sizeof(h));
	h.region_index = index;
	h.nruns = nruns;
	iw_open(w, TCP_SEC_PAGES);
	/* The payload starts after the section header; pad so data is page aligned. */
	uint64_t payload = w->off;
	uint64_t table_end = payload + sizeof(h) + nruns * sizeof(struct tcp_run);
	uint64_t data = (table_end + TCP_PAGE_SIZE - 1) / TCP_PAGE_SIZE * TCP_PAGE_SIZE;
	h.data_offset = data - payload;
	iw_data(w, &h, sizeof(h));
	iw_data(w, runs, nruns * sizeof(struct tcp_run));
	iw_pad_to_page(w);
	/* A MiB at a time, so that on_pages hears of them as they go. */
	size_t step = bounce && bounce_len < (1u << 20) ? bounce_len : 1u << 20;
	for (uint64_t i = 0; i < nruns && !w->err; i++) {
		size_t len = runs[i].npages * TCP_PAGE_SIZE;
		const char *src = (const char *)runs[i].addr;
		for (size_t done = 0; done < len && !w->err;) {
			size_t n = len - done > step ? step : len - done;
			if (w->mem_fd >= 0) { /* a stable copy as well */
				put_mem(w, runs[i].addr + done, n);
			} else if (!bounce) {
				iw_data(w, src + done, n);
			} else {
				/* Memory that changes while we write (our own
				 * stack): checksum and write one stable copy. */
				f_memcpy(bounce, src + done, n);
				iw_data(w, bounce, n);
			}
			done += n;
			iw_pages_written(w, n);
		}
	}
	iw_close(w);
}

void iw_end(struct img_writer *w)
{
	struct tcp_end e;
	e.section_count = w->nsections;
	e.end_offset = w->off;
	iw_section(w, TCP_SEC_END, &e, sizeof(e), 0, 0);
	if (w->stage && !w->err)
		flush_stage(w, 1);
	iw_aio_end(&w->aio);
}
