#include "chain.h"
#include "page_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

const char *img_identify(int fd, uint64_t size, const uint64_t id[2], uint64_t process_sum, struct tcp_process *proc,
			 uint64_t key[2])
{
	struct stat st;
	struct tcp_file_header hdr;
	struct tcp_section_header sh;
	if (fstat(fd, &st) || (uint64_t)st.st_size != size)
		return "its size differs from the one recorded";
	if (read_full(fd, &hdr, sizeof(hdr), 0) || memcmp(hdr.magic, TCP_IMAGE_MAGIC, 8) ||
	    hdr.checksum != csum_buf(&hdr, offsetof(struct tcp_file_header, checksum)))
		return "it is not a tcp image, or its header is damaged";
	if (id && (hdr.image_id[0] != id[0] || hdr.image_id[1] != id[1]))
		return "it is another checkpoint (its image id differs from the one recorded)";
	key[0] = hdr.image_id[0];
	key[1] = hdr.image_id[1];
	if (read_full(fd, &sh, sizeof(sh), sizeof(hdr)) || sh.magic != TCP_SECTION_MAGIC ||
	    sh.header_sum != csum_buf_keyed(key, &sh, offsetof(struct tcp_section_header, header_sum)) ||
	    sh.type != TCP_SEC_PROCESS || sh.length != sizeof(*proc))
		return "its first section is not a valid PROCESS section";
	if (sh.payload_sum != process_sum)
		return "it is another checkpoint (its PROCESS section differs from the one recorded)";
	if (read_full(fd, proc, sizeof(*proc), sizeof(hdr) + sizeof(sh)) ||
	    csum_buf_keyed(key, proc, sizeof(*proc)) != process_sum)
		return "its PROCESS section is damaged";
	return NULL;
}

/* Is fd the image `p` names: same size, and its PROCESS section (time,
 * pid, generation, ...) has the recorded checksum (keyed with that image's
 * own identifier, which *key receives)? */
static const char *same_image(int fd, const struct tcp_parent *p, uint64_t key[2])
{
	static struct tcp_process proc;
	const char *why = img_identify(fd, p->size, NULL, p->process_sum, &proc, key);
	if (!why && proc.generation != p->generation)
		return "its PROCESS section is damaged";
	return why;
}

/* The older image's HASHES: where it stores a page, what the page held. */
static const char *load_hashes(int fd, struct img_parent *ip, const uint64_t key[2])
{
	struct tcp_section_header sh;
	uint64_t off = sizeof(struct tcp_file_header);
	for (;;) {
		if (off + sizeof(sh) > ip->p.size || read_full(fd, &sh, sizeof(sh), off) || sh.magic != TCP_SECTION_MAGIC ||
		    sh.header_sum != csum_buf_keyed(key, &sh, offsetof(struct tcp_section_header, header_sum)) ||
		    sh.length > ip->p.size - off - sizeof(sh))
			return "its sections are damaged";
		if (sh.type == TCP_SEC_END)
			return "it has no HASHES section";
		if (sh.type == TCP_SEC_HASHES)
			break;
		off += sizeof(sh) + sh.length;
	}
	if (sh.length % sizeof(struct tcp_page_hash))
		return "its HASHES section is damaged";
	/* Only what the file really stores is allocated (not a sparse file's
	 * declared gigabytes). */
	if (!img_range_stored(fd, off + sizeof(sh), sh.length))
		return "its HASHES section is not stored in the file (a sparse file)";
	ip->nhashes = sh.length / sizeof(struct tcp_page_hash);
	ip->hashes = malloc(sh.length ? sh.length : 1);
	if (!ip->hashes)
		return "out of memory for its HASHES";
	if (read_full(fd, ip->hashes, sh.length, off + sizeof(sh)) ||
	    csum_buf_keyed(key, ip->hashes, sh.length) != sh.payload_sum)
		return "its HASHES section is damaged";
	for (size_t i = 1; i < ip->nhashes; i++)
		if (ip->hashes[i].addr <= ip->hashes[i - 1].addr)
			return "its HASHES section is out of order";
	return NULL;
}

/* Every inherited page has its hash in the older image that holds it. */
static int check_ref_hashes(struct tcp_image *img, const char *img_path, char *err, size_t errlen)
{
	for (size_t i = 0; i < img->nextents; i++) {
		const struct img_extent *x = &img->extents[i];
		if (!x->source)
			continue;
		const struct img_parent *ip = &img->parents[x->source - 1];
		const struct tcp_page_hash *h = img_hash_find(ip->hashes, ip->nhashes, x->addr);
		for (uint64_t k = 0; k < x->npages; k++)
			if (!h || h + k >= ip->hashes + ip->nhashes || h[k].addr != x->addr + k * TCP_PAGE_SIZE) {
				snprintf(err, errlen,
					 "image %s takes the page at %llx from the older image %s, which has no hash of it: "
					 "the chain is inconsistent; restore an older full image",
					 img_path, (unsigned long long)(x->addr + k * TCP_PAGE_SIZE), ip->p.name);
				return -1;
			}
	}
	return 0;
}

int img_chain_open(struct tcp_image *img, const char *img_path, char *err, size_t errlen)
{
	if (!img->nparents)
		return 0;
	char *real = realpath(img_path, NULL);
	if (!real) {
		snprintf(err, errlen, "image %s: cannot resolve its path: %s", img_path, strerror(errno));
		return -1;
	}
	char *slash = strrchr(real, '/');
	*slash = 0;
	const char *dir = real[0] ? real : "/";
	int rc = 0;
	for (size_t i = 0; i < img->nparents && !rc; i++) {
		struct img_parent *ip = &img->parents[i];
		char path[PATH_MAX + TCP_PARENT_NAME_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, ip->p.name);
		char why_open[PATH_MAX + 512];
		/* A regular file of this directory, never a FIFO or symlink
		 * planted under its name. */
		ip->fd = img_open(path, 1, why_open, sizeof(why_open));
		if (ip->fd < 0) {
			snprintf(err, errlen,
				 "image %s is incremental: it takes pages from the older image %s (generation %u), which "
				 "cannot be opened (%s). Every image of its chain must stay in %s: put it back, or restore "
				 "an older image that does not need it (tcp-inspect shows each image's chain)",
				 img_path, path, ip->p.generation, why_open, dir);
			rc = -1;
			break;
		}
		uint64_t key[2];
		const char *why = same_image(ip->fd, &ip->p, key);
		if (!why)
			why = load_hashes(ip->fd, ip, key);
		if (why) {
			snprintf(err, errlen,
				 "image %s is incremental: it takes pages from the older image %s (generation %u), but that "
				 "file is not the one it was written against: %s. It was replaced or damaged; restore an "
				 "older image that does not need it",
				 img_path, path, ip->p.generation, why);
			rc = -1;
		}
	}
	free(real);
	return rc ? rc : check_ref_hashes(img, img_path, err, errlen);
}

int img_chain_verify(const struct tcp_image *img, char *err, size_t errlen)
{
	enum { CHUNK = 256 };
	char *buf = malloc(CHUNK * TCP_PAGE_SIZE);
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < img->nextents; i++) {
		const struct img_extent *x = &img->extents[i];
		if (!x->source)
			continue;
		const struct img_parent *ip = &img->parents[x->source - 1];
		const struct tcp_page_hash *h = img_hash_find(ip->hashes, ip->nhashes, x->addr);
		for (uint64_t k = 0; k < x->npages; k += CHUNK) {
			uint64_t n = x->npages - k < CHUNK ? x->npages - k : CHUNK;
			if (read_full(ip->fd, buf, n * TCP_PAGE_SIZE, x->file_off + k * TCP_PAGE_SIZE)) {
				snprintf(err, errlen, "cannot read pages of the older image %s at offset %llu", ip->p.name,
					 (unsigned long long)(x->file_off + k * TCP_PAGE_SIZE));
				free(buf);
				return -1;
			}
			for (uint64_t j = 0; j < n; j++) {
				struct page_hash ph;
				page_hash(buf + j * TCP_PAGE_SIZE, &ph);
				const struct tcp_page_hash *e = &h[k + j];
				if (ph.h[0] != e->hash[0] || ph.h[1] != e->hash[1]) {
					snprintf(err, errlen,
						 "the page at %llx, taken from the older image %s (offset %llu), does not match "
						 "its hash: that image is damaged; restore an older full image",
						 (unsigned long long)e->addr, ip->p.name,
						 (unsigned long long)(x->file_off + (k + j) * TCP_PAGE_SIZE));
					free(buf);
					return -1;
				}
			}
		}
	}
	free(buf);
	return 0;
}
