/* libFuzzer target for the image reader (image/reader.c): the fuzz input is
 * the image file. It goes into a memfd (one, reused across runs) and through
 * img_load_fd + img_free. The sanitizers catch memory errors and UB; on top of
 * that, an image the reader accepts is checked against what the format
 * promises (extents page aligned and inside the file, deleted-file content
 * inside the file, regions in order, ...), and a violation aborts.
 *
 * Built twice by scripts/fuzz:
 *   fuzz_image_reader        the raw bytes, as they are
 *   fuzz_image_reader_fixed  -DFUZZ_FIX_CHECKSUMS: the target first rewrites
 *     the file header checksum, every section's header and payload checksums
 *     (keyed with the header's image identifier, as the writer does)
 *     and END's section count and offset, walking the sections the way
 *     format.h lays them out, so that random mutations get past the checksums
 *     and the structural validation (lengths, offsets, counts, run tables,
 *     paths) is what gets fuzzed. Inputs (corpus, crash artifacts) of this
 *     binary are stored unfixed: reproduce them with the same binary, or set
 *     FUZZ_WRITE_FIXED=path to also get the image as the reader saw it
 *     (checksums fixed), e.g. for tcp-inspect or a unit test. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/checksum.h"
#include "image/format.h"

#include "image/reader.h"

static int memfd = -1;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_image_reader: %s: %s\n", what, strerror(errno));
	abort();
}

/* The format's promise was broken by an image the reader accepted. */
#define CHECK(cond)                                                                                        \
	do {                                                                                               \
		if (!(cond)) {                                                                             \
			fprintf(stderr, "fuzz_image_reader: accepted image violates: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                                       \
			abort();                                                                           \
		}                                                                                          \
	} while (0)

#ifdef FUZZ_FIX_CHECKSUMS
/* Rewrites every checksum of buf in place (and END's fields), following the
 * sections from the file header until one does not fit in the buffer. */
static void fix_checksums(uint8_t *buf, size_t size)
{
	struct tcp_file_header fh;
	if (size < sizeof(fh))
		return;
	memcpy(&fh, buf, sizeof(fh));
	fh.checksum = csum_buf(&fh, offsetof(struct tcp_file_header, checksum));
	memcpy(buf, &fh, sizeof(fh));

	uint64_t off = sizeof(fh), count = 0;
	while (size - off >= sizeof(struct tcp_section_header)) {
		struct tcp_section_header sh;
		memcpy(&sh, buf + off, sizeof(sh));
		uint64_t poff = off + sizeof(sh);
		int fits = sh.length <= size - poff;
		if (fits && sh.type == TCP_SEC_END && sh.length == sizeof(struct tcp_end)) {
			struct tcp_end e = { .section_count = count, .end_offset = off };
			memcpy(buf + poff, &e, sizeof(e));
		}
		if (fits)
			sh.payload_sum = csum_buf_keyed(fh.image_id, buf + poff, (size_t)sh.length);
		sh.header_sum = csum_buf_keyed(fh.image_id, &sh, offsetof(struct tcp_section_header, header_sum));
		memcpy(buf + off, &sh, sizeof(sh));
		if (!fits || sh.type == TCP_SEC_END)
			return;
		off = poff + sh.length;
		count++;
	}
}
#endif

/* What an accepted image guarantees to tcp-restore and tcp-inspect. */
static void check_accepted(const struct tcp_image *img, size_t size)
{
	CHECK(img->size == size);
	CHECK(img->nthreads >= 1 && img->threads);
	CHECK(img->proc.nregions == img->nregions && img->proc.nthreads == img->nthreads &&
	      img->proc.nfds == img->nfds);
	CHECK(img->proc.cmdline_len <= sizeof(img->proc.cmdline));
	CHECK(img->proc.auxv_bytes <= sizeof(img->proc.auxv));
	CHECK(memchr(img->proc.exe, 0, sizeof(img->proc.exe)) && memchr(img->proc.cwd, 0, sizeof(img->proc.cwd)));
	for (size_t i = 0; i < img->nthreads; i++)
		CHECK(img->threads[i].nframes <= TCP_MAX_FRAMES);

	for (size_t i = 0; i < img->nregions; i++) {
		const struct img_region *r = &img->regions[i];
		CHECK(r->path && strlen(r->path) == r->r.path_len);
		CHECK(r->r.path_len < TCP_PATH_MAX);
		CHECK(r->r.start < r->r.end && r->r.start % TCP_PAGE_SIZE == 0 && r->r.end % TCP_PAGE_SIZE == 0);
		CHECK(r->r.kind >= TCP_REG_ANON && r->r.kind <= TCP_REG_VVAR);
		CHECK(r->r.build_id_len <= sizeof(r->r.build_id));
		CHECK(i == 0 || img->regions[i - 1].r.end <= r->r.start);
	}

	uint64_t page_bytes = 0;
	for (size_t i = 0; i < img->nextents; i++) {
		const struct img_extent *e = &img->extents[i];
		CHECK(e->region < img->nregions);
		const struct tcp_region *r = &img->regions[e->region].r;
		CHECK(r->kind != TCP_REG_VDSO && r->kind != TCP_REG_VVAR && r->kind != TCP_REG_FILE_SHARED);
		CHECK(e->npages >= 1 && e->npages <= (r->end - r->start) / TCP_PAGE_SIZE);
		uint64_t bytes = e->npages * TCP_PAGE_SIZE;
		CHECK(e->addr % TCP_PAGE_SIZE == 0 && e->addr >= r->start && e->addr <= r->end - bytes);
		CHECK(e->file_off % TCP_PAGE_SIZE == 0);
		CHECK(e->file_off <= size && bytes <= size - e->file_off);
		page_bytes += bytes;
	}
	CHECK(page_bytes == img->page_bytes);

	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		CHECK(d->path);
		CHECK(d->f.fd >= 0 && d->f.kind >= TCP_FD_REGULAR && d->f.kind <= TCP_FD_DELETED);
		if (d->f.kind != TCP_FD_INHERIT)
			CHECK(d->f.path_len > 0 && strlen(d->path) == d->f.path_len && d->f.path_len < TCP_PATH_MAX);
		CHECK(d->f.kind != TCP_FD_REGULAR || TCP_FD_DATA_LEN(&d->f) == 0);
		CHECK(d->content_off <= size && d->f.content_len <= size - d->content_off);
		for (size_t j = 0; j < i; j++)
			CHECK(img->fds[j].f.fd != d->f.fd);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz-image", MFD_CLOEXEC);
		if (memfd < 0)
			die("memfd_create");
	}
	const uint8_t *in = data;
#ifdef FUZZ_FIX_CHECKSUMS
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		die("malloc");
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	in = copy;
	const char *dump = getenv("FUZZ_WRITE_FIXED");
	if (dump && *dump) {
		FILE *f = fopen(dump, "wb");
		if (!f || fwrite(copy, 1, size, f) != size || fclose(f))
			die(dump);
	}
#endif
	if (ftruncate(memfd, 0))
		die("ftruncate");
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(memfd, in + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("pwrite");
		done += (size_t)n;
	}

	struct tcp_image img;
	char err[512];
	memset(err, 'X', sizeof(err));
	int rc = img_load_fd(memfd, "fuzz.img", &img, err, sizeof(err));
	if (rc == 0)
		check_accepted(&img, size);
	else {
		CHECK(rc == -1);
		CHECK(memchr(err, 0, sizeof(err)) && err[0] != 0);
	}
	img_free(&img);
#ifdef FUZZ_FIX_CHECKSUMS
	free(copy);
#endif
	return 0;
}
