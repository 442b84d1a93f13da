#include "writer.h"
#include "../common/rawsys.h"
#include "../common/fstr.h"

static void put(struct img_writer *w, const void *p, size_t len)
{
	const char *c = p;
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
		w->off += (uint64_t)n;
	}
}

void iw_begin(struct img_writer *w, int fd)
{
	struct tcp_file_header h;
	f_memset(w, 0, sizeof(*w));
	w->fd = fd;
	f_memset(&h, 0, sizeof(h));
	f_memcpy(h.magic, TCP_IMAGE_MAGIC, 8);
	h.version = TCP_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.arch = TCP_ARCH_X86_64;
	h.page_size = TCP_PAGE_SIZE;
	h.checksum = csum_buf(&h, offsetof(struct tcp_file_header, checksum));
	put(w, &h, sizeof(h));
}

void iw_open(struct img_writer *w, uint32_t type)
{
	struct tcp_section_header h;
	if (w->err)
		return;
	w->sec_start = w->off;
	w->sec_type = type;
	w->sec_open = 1;
	csum_init(&w->sum);
	f_memset(&h, 0, sizeof(h)); /* placeholder, rewritten by iw_close */
	put(w, &h, sizeof(h));
}

void iw_data(struct img_writer *w, const void *p, size_t len)
{
	/* Checksum and write in 1 MiB steps so the data is still in cache. */
	const char *c = p;
	while (!w->err && len) {
		size_t n = len > (1u << 20) ? (1u << 20) : len;
		csum_update(&w->sum, c, n);
		put(w, c, n);
		c += n;
		len -= n;
	}
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
	h.header_sum = csum_buf(&h, offsetof(struct tcp_section_header, header_sum));
	long n = r_pwrite(w->fd, &h, sizeof(h), (long)w->sec_start);
	if (n != (long)sizeof(h)) {
		w->err = n < 0 ? (int)n : -5 /* EIO */;
		return;
	}
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
	for (uint64_t i = 0; i < nruns && !w->err; i++) {
		size_t len = runs[i].npages * TCP_PAGE_SIZE;
		const char *src = (const char *)runs[i].addr;
		w->bytes_data += len;
		if (!bounce) {
			iw_data(w, src, len);
			continue;
		}
		/* Memory that changes while we write (our own stack): checksum
		 * and write one stable copy. */
		for (size_t done = 0; done < len;) {
			size_t n = len - done > bounce_len ? bounce_len : len - done;
			f_memcpy(bounce, src + done, n);
			iw_data(w, bounce, n);
			done += n;
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
}
