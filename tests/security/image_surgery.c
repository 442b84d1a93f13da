/* image_surgery: makes the damaged or forged images that the security tests
 * expect tcp-restore and tcp-inspect to refuse (issue 19).
 *
 *   image_surgery splice IMG DONOR TYPE OUT
 *       OUT is IMG with its first section of TYPE (a number, image/format.h)
 *       replaced by DONOR's first section of that type, byte for byte (both
 *       of the same length): a section of another checkpoint, whose own
 *       checksums are right.
 *   image_surgery sparse OUT BYTES
 *       a header, a HASHES section declaring BYTES bytes that are a hole of
 *       a sparse file, checksums right, then END: a reader that trusts the
 *       declared length allocates BYTES.
 *   image_surgery find IMG TYPE
 *       prints the file offset of IMG's first section of TYPE.
 *   image_surgery fixsums FILE
 *       rewrites in place every checksum (keyed with the file's image
 *       identifier) and END's count and offset, after a test changed bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/checksum.h"
#include "image/format.h"

static void die(const char *what)
{
	fprintf(stderr, "image_surgery: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(2);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		die(path);
	unsigned char *p = malloc((size_t)st.st_size + 1);
	if (!p || read(fd, p, (size_t)st.st_size) != st.st_size)
		die(path);
	close(fd);
	*len = (size_t)st.st_size;
	return p;
}

static void spill(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, p, len) != (ssize_t)len || close(fd))
		die(path);
}

/* The offset of the first section of `type`, walking the headers. */
static size_t find_section(const unsigned char *p, size_t len, uint32_t type, const char *name)
{
	size_t off = sizeof(struct tcp_file_header);
	while (off + sizeof(struct tcp_section_header) <= len) {
		struct tcp_section_header sh;
		memcpy(&sh, p + off, sizeof(sh));
		if (sh.type == type)
			return off;
		if (sh.type == TCP_SEC_END || sh.length > len - off - sizeof(sh))
			break;
		off += sizeof(sh) + sh.length;
	}
	errno = 0;
	fprintf(stderr, "image_surgery: %s has no section of type %u\n", name, type);
	exit(2);
}

static int splice_section(const char *img, const char *donor, uint32_t type, const char *out)
{
	size_t alen, blen;
	unsigned char *a = slurp(img, &alen), *b = slurp(donor, &blen);
	size_t ao = find_section(a, alen, type, img), bo = find_section(b, blen, type, donor);
	struct tcp_section_header ah, bh;
	memcpy(&ah, a + ao, sizeof(ah));
	memcpy(&bh, b + bo, sizeof(bh));
	if (ah.length != bh.length) {
		fprintf(stderr, "image_surgery: the sections differ in length (%llu, %llu)\n",
			(unsigned long long)ah.length, (unsigned long long)bh.length);
		return 2;
	}
	memcpy(a + ao, b + bo, sizeof(bh) + bh.length);
	spill(out, a, alen);
	printf("%zu\n", ao);
	return 0;
}

static void put_section(int fd, const uint64_t id[2], uint32_t type, uint64_t length, uint64_t sum, off_t at)
{
	struct tcp_section_header sh = { .magic = TCP_SECTION_MAGIC, .type = type, .length = length, .payload_sum = sum };
	sh.header_sum = csum_buf_keyed(id, &sh, offsetof(struct tcp_section_header, header_sum));
	if (pwrite(fd, &sh, sizeof(sh), at) != (ssize_t)sizeof(sh))
		die("pwrite");
}

static int sparse(const char *out, uint64_t bytes)
{
	int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(out);
	struct tcp_file_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TCP_IMAGE_MAGIC, 8);
	h.version = TCP_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.arch = TCP_ARCH_X86_64;
	h.page_size = TCP_PAGE_SIZE;
	h.image_id[0] = 0x5350415253450001ull;
	h.image_id[1] = 0x5350415253450002ull;
	h.checksum = csum_buf(&h, offsetof(struct tcp_file_header, checksum));
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		die("pwrite");
	/* The payload's checksum: that of `bytes` zeros. */
	static unsigned char zeros[1 << 20];
	struct csum c;
	csum_init_keyed(&c, h.image_id);
	for (uint64_t done = 0; done < bytes;) {
		size_t n = bytes - done < sizeof(zeros) ? (size_t)(bytes - done) : sizeof(zeros);
		csum_update(&c, zeros, n);
		done += n;
	}
	off_t off = sizeof(h);
	put_section(fd, h.image_id, TCP_SEC_HASHES, bytes, csum_final(&c), off);
	off += (off_t)(sizeof(struct tcp_section_header) + bytes); /* a hole */
	struct tcp_end e = { .section_count = 1, .end_offset = (uint64_t)off };
	put_section(fd, h.image_id, TCP_SEC_END, sizeof(e), csum_buf_keyed(h.image_id, &e, sizeof(e)), off);
	if (pwrite(fd, &e, sizeof(e), off + (off_t)sizeof(struct tcp_section_header)) != (ssize_t)sizeof(e) || close(fd))
		die(out);
	return 0;
}

static int fixsums(const char *path)
{
	size_t len;
	unsigned char *p = slurp(path, &len);
	struct tcp_file_header fh;
	if (len < sizeof(fh))
		die("too short");
	memcpy(&fh, p, sizeof(fh));
	fh.checksum = csum_buf(&fh, offsetof(struct tcp_file_header, checksum));
	memcpy(p, &fh, sizeof(fh));
	uint64_t off = sizeof(fh), count = 0;
	while (len - off >= sizeof(struct tcp_section_header)) {
		struct tcp_section_header sh;
		memcpy(&sh, p + off, sizeof(sh));
		uint64_t poff = off + sizeof(sh);
		if (sh.length > len - poff)
			break;
		if (sh.type == TCP_SEC_END && sh.length == sizeof(struct tcp_end)) {
			struct tcp_end e = { .section_count = count, .end_offset = off };
			memcpy(p + poff, &e, sizeof(e));
		}
		sh.payload_sum = csum_buf_keyed(fh.image_id, p + poff, (size_t)sh.length);
		sh.header_sum = csum_buf_keyed(fh.image_id, &sh, offsetof(struct tcp_section_header, header_sum));
		memcpy(p + off, &sh, sizeof(sh));
		if (sh.type == TCP_SEC_END)
			break;
		off = poff + sh.length;
		count++;
	}
	spill(path, p, len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "splice"))
		return splice_section(argv[2], argv[3], (uint32_t)strtoul(argv[4], NULL, 0), argv[5]);
	if (argc == 4 && !strcmp(argv[1], "sparse"))
		return sparse(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "fixsums"))
		return fixsums(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "find")) {
		size_t len;
		unsigned char *p = slurp(argv[2], &len);
		printf("%zu\n", find_section(p, len, (uint32_t)strtoul(argv[3], NULL, 0), argv[2]));
		return 0;
	}
	fprintf(stderr, "usage: image_surgery splice IMG DONOR TYPE OUT | sparse OUT BYTES | find IMG TYPE | fixsums FILE\n");
	return 2;
}
