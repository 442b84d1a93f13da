/* The decompressor (see decompress.h). A grandchild of tcp-restore, made
 * with a double fork before the PID namespace: it holds no pid or tid the
 * restored threads need, no wait() of the program can see it, and nothing
 * has to reap it. It ends when it has written every page, or when the last
 * read end of its pipe is closed (the restore failed: EPIPE), or at the
 * first fault it finds in the image: a section checksum or a zstd frame
 * (with its content checksum) that does not match. It then says what is
 * wrong and exits; the blob, missing pages, dies on the short read before
 * the program runs. The last block of each section is held back until the
 * section's checksum matched, so a damaged section never reaches the blob
 * whole. */
#define _GNU_SOURCE
#include "decompress.h"
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

/* One helper per image with compressed pages (a process tree has several). */
#define MAX_HELPERS 4096
static struct helper {
	const struct tcp_image *img;
	int read_end;
} helpers[MAX_HELPERS];
static size_t nhelpers;

int decompress_fd(const struct tcp_image *img)
{
	for (size_t i = 0; i < nhelpers; i++)
		if (helpers[i].img == img)
			return helpers[i].read_end;
	return -1;
}

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	for (size_t done = 0; done < n;) {
		ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		done += (size_t)got;
	}
	return 0;
}

static void write_or_exit(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(1); /* EPIPE: the restore stopped, and said why */
		done += (size_t)w;
	}
}

/* What is wrong, where: said by tcp-restore --check, or by the helper. */
static int corrupted(const char *path, const struct img_zpages *z, const char *what, uint64_t block)
{
	say("image %s: ZPAGES section at offset %llu: %s (block %llu): the image is corrupted; the program was not "
	    "resumed. Restore from an older image",
	    path, (unsigned long long)z->sec_off, what, (unsigned long long)block);
	return -1;
}

/* Decompresses every ZPAGES section in order, checking each frame and each
 * section checksum, and writes the pages to `out` (-1: nowhere, --check).
 * 0, or -1 after a message. */
static int stream(const struct tcp_image *img, int fd, int out, const char *path)
{
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	size_t cap = ZSTD_compressBound(TCP_ZBLOCK_MAX);
	char *stored = malloc(cap), *raw = malloc(TCP_ZBLOCK_MAX), *meta = NULL;
	int rc = 0;
	if (!dctx || !stored || !raw)
		rc = corrupted(path, &img->zpages[0], "out of memory for decompression", 0);
	for (size_t s = 0; s < img->nzpages && !rc; s++) {
		const struct img_zpages *z = &img->zpages[s];
		const struct tcp_zpages_head *h = &z->head;
		size_t meta_len = (size_t)(z->frames_off - z->payload_off);
		size_t table_len = (size_t)(h->nblocks * sizeof(struct tcp_zblock));
		free(meta);
		meta = malloc(meta_len + table_len);
		if (!meta || pread_full(fd, meta, meta_len, z->payload_off) ||
		    pread_full(fd, meta + meta_len, table_len, z->table_off)) {
			rc = corrupted(path, z, "cannot read the section", 0);
			break;
		}
		const struct tcp_zblock *table = (const void *)(meta + meta_len);
		struct csum sum;
		csum_init_keyed(&sum, img->hdr.image_id); /* as the reader: keyed with this image's id */
		csum_update(&sum, meta, meta_len);
		uint64_t off = z->frames_off;
		size_t pending = 0;
		for (uint64_t b = 0; b < h->nblocks && !rc; b++) {
			const struct tcp_zblock *e = &table[b];
			/* The table was checked at load; it was read again here. */
			if (e->stored_len > cap || e->raw_len > h->block_size || e->raw_len > TCP_ZBLOCK_MAX) {
				rc = corrupted(path, z, "the block table changed since it was checked", b);
				break;
			}
			if (pread_full(fd, stored, e->stored_len, off)) {
				rc = corrupted(path, z, "cannot read a block", b);
				break;
			}
			csum_update(&sum, stored, e->stored_len);
			off += e->stored_len;
			if (pending && out >= 0)
				write_or_exit(out, raw, pending);
			if (e->flags & TCP_ZBLOCK_RAW) {
				memcpy(raw, stored, e->raw_len);
			} else {
				size_t n = ZSTD_decompressDCtx(dctx, raw, e->raw_len, stored, e->stored_len);
				if (ZSTD_isError(n))
					rc = corrupted(path, z, ZSTD_getErrorName(n), b);
				else if (n != e->raw_len)
					rc = corrupted(path, z, "a block decompresses to the wrong length", b);
			}
			pending = e->raw_len;
		}
		if (rc)
			break;
		csum_update(&sum, table, table_len);
		if (csum_final(&sum) != z->payload_sum)
			rc = corrupted(path, z, "checksum mismatch", h->nblocks - 1);
		else if (out >= 0)
			write_or_exit(out, raw, pending);
	}
	free(meta);
	free(stored);
	free(raw);
	ZSTD_freeDCtx(dctx);
	return rc;
}

int decompress_check(const struct tcp_image *img, int image_fd, const char *path)
{
	return img->nzpages ? stream(img, image_fd, -1, path) : 0;
}

/* Keeps only stdio 2 (for messages), the image and the pipe's write end. */
static void close_others(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2 && null != lo && null != hi)
			close(null);
	}
	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0u, 0);
}

int decompress_start(const struct tcp_image *img, int image_fd, const char *path)
{
	if (!img->nzpages)
		return 0;
	if (nhelpers == MAX_HELPERS) {
		say("more than %d images with compressed pages at once", MAX_HELPERS);
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC)) {
		say("cannot make a pipe for the decompressor: %s", strerror(errno));
		return -1;
	}
	/* Fewer, larger reads for the blob (the default is 64 KiB). */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	pid_t mid = fork();
	if (mid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_IGN);
		pid_t d = fork();
		if (d != 0)
			_exit(d < 0); /* the decompressor is an orphan from the start */
		close(p[0]);
		close_others(image_fd, p[1]);
		_exit(stream(img, image_fd, p[1], path) ? 1 : 0);
	}
	close(p[1]);
	int status;
	while (mid > 0 && waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (mid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		say("cannot start the decompressor for the compressed pages of %s: %s", path,
		    mid < 0 ? strerror(errno) : "fork failed");
		close(p[0]);
		return -1;
	}
	helpers[nhelpers++] = (struct helper){ img, p[0] };
	return 0;
}

int decompress_move_above(int floor)
{
	for (size_t i = 0; i < nhelpers; i++) {
		if (helpers[i].read_end >= floor)
			continue;
		int moved = fcntl(helpers[i].read_end, F_DUPFD_CLOEXEC, floor);
		if (moved < 0) {
			say("cannot move the decompressor's pipe above fd %d: %s (raise the open-files limit, ulimit -n)",
			    floor, strerror(errno));
			return -1;
		}
		close(helpers[i].read_end);
		helpers[i].read_end = moved;
	}
	return 0;
}
