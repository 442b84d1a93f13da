/* Hosted image reader: loads and validates a whole image (every checksum,
 * every length and offset) before anything trusts it. Used by tcp-restore
 * and tcp-inspect. */
#ifndef TCP_IMAGE_READER_H
#define TCP_IMAGE_READER_H

#include <stddef.h>
#include <stdint.h>
#include "checksum.h"
#include "format.h"

struct img_region {
	struct tcp_region r;
	char *path;		/* NUL-terminated copy */
};

/* One run of stored pages, located in the image file. */
struct img_extent {
	uint32_t region;
	uint32_t source;	/* 0: this image; i > 0: an older image of an incremental chain */
	uint32_t flags;		/* IMG_EXT_*  */
	uint64_t addr, npages;
	uint64_t file_off;	/* in the file of `source`; for IMG_EXT_ZSTD, the offset of its
				 * first page in the section's concatenated page data */
	uint32_t zsec;		/* IMG_EXT_ZSTD: its section, an index in tcp_image.zpages */
};
#define IMG_EXT_ZSTD 1u		/* the pages come out of a compressed ZPAGES section */

struct img_fd {
	struct tcp_fd f;
	char *path;
	uint64_t content_off;	/* DELETED: where the content starts in the file */
};

/* A shared memory object (SHM section): its content is read from the image
 * at restore (extent i at data_off + the lengths of extents before it). */
struct img_shm {
	struct tcp_shm s;
	char *name;			/* NUL-terminated copy */
	struct tcp_shm_extent *ext;	/* s.nextents, checked: inside the object, in order */
	uint64_t data_off;		/* file offset of the first extent's bytes */
};

/* A PAGES section whose page data was not read (img_load_fd_deferred): its
 * checksum over the head and run table so far, to be continued over the
 * extents [first_extent, first_extent + nextents) once they are in memory. */
struct img_pages_sum {
	struct csum state;
	uint64_t expect;	/* the section's payload checksum */
	uint64_t sec_off;	/* for messages */
	size_t first_extent, nextents;
};

/* An older image this one takes pages from (PARENT entry i = source i + 1):
 * fd is -1 until img_chain_open (image/chain.h) opens and checks it. */
struct img_parent {
	struct tcp_parent p;
	int fd;
	struct tcp_page_hash *hashes;	/* its HASHES (img_chain_open), address order */
	size_t nhashes;
};

/* A ZPAGES section, validated but not decompressed (reader_zpages.c). */
struct img_zpages {
	uint64_t sec_off;	/* file offset of the section header, for messages */
	uint64_t payload_off, length, payload_sum;
	struct tcp_zpages_head head;
	uint64_t frames_off;	/* file offset of the first block's stored bytes */
	uint64_t table_off;	/* file offset of the block table */
	uint64_t stored_bytes;	/* the blocks' stored bytes */
};

/* An open file description several processes of a tree hold (TREE). */
struct img_tree_ofd {
	uint32_t nholders;
	const struct tcp_tree_holder *holders;	/* into tcp_image.tree_holders */
};

struct tcp_image {
	char *path;
	uint64_t size;
	struct tcp_file_header hdr;
	struct tcp_process proc;
	struct img_region *regions;
	size_t nregions;
	struct img_extent *extents;
	size_t nextents;
	struct tcp_thread *threads;
	size_t nthreads;
	struct img_fd *fds;
	size_t nfds;
	/* WRITTEN: files the program (or its tree) wrote and closed before the
	 * checkpoint, rolled back like an output fd's file (f.fd is -1). */
	struct img_fd *written;
	size_t nwritten;
	struct img_shm *shms;
	size_t nshms;
	uint64_t page_bytes;
	struct img_pages_sum *deferred;	/* only after img_load_fd_deferred */
	size_t ndeferred;
	/* Incremental images (image/format.h): PARENT, HASHES; extents with
	 * source > 0 come from REFS. */
	struct img_parent *parents;
	size_t nparents;
	struct tcp_page_hash *hashes;	/* of the pages it stores, address order */
	size_t nhashes;
	uint64_t ref_pages;		/* pages taken from older images */
	int has_hashes;
	struct img_zpages *zpages;	/* compressed page sections, in file order */
	size_t nzpages;
	/* A process tree's root image (TREE section, format.h): every process,
	 * the root first, parents before their children (checked: unique pids,
	 * known parents, plain file names); the open file descriptions they
	 * share. tree is NULL for a single process. */
	struct tcp_tree_proc *tree;
	size_t ntree;
	struct img_tree_ofd *tree_ofds;
	size_t ntree_ofds;
	struct tcp_tree_holder *tree_holders;
	size_t ntree_holders;
};

/* The index of pid among img->tree, or -1. */
long img_tree_find(const struct tcp_image *img, int32_t pid);

/* The entry for addr among n hashes in address order, or NULL. */
const struct tcp_page_hash *img_hash_find(const struct tcp_page_hash *h, size_t n, uint64_t addr);

const char *img_section_name(uint32_t type);

/* Opens an image (or an older image of its chain) for reading: only a
 * regular file, checked before and after open() (which never blocks: a
 * FIFO planted as the image or as DIR/latest is refused at once, not
 * waited on); with nofollow, not through a symlink. Returns the fd
 * (blocking, close-on-exec), or -1 with a message in err. */
int img_open(const char *path, int nofollow, char *err, size_t errlen);
/* 1 unless the file has a hole in [off, off + len) (a sparse file). */
int img_range_stored(int fd, uint64_t off, uint64_t len);

/* Loads `path`. On failure returns -1 with a message in err (naming the file,
 * the damaged section and its offset), and *img holds nothing to free. */
int img_load(const char *path, struct tcp_image *img, char *err, size_t errlen);
/* Same, from an open fd of the given size (used by tests and the fuzzer). */
int img_load_fd(int fd, const char *name, struct tcp_image *img, char *err, size_t errlen);
/* The same, but without reading page data: everything else is read and
 * checked, and img->deferred says how to check the pages where they land
 * (tcp-restore reads the image once, straight into place). */
int img_load_fd_deferred(int fd, const char *name, struct tcp_image *img, char *err, size_t errlen);
void img_free(struct tcp_image *img);

/* ZPAGES (reader_zpages.c). Checks a section's head against its payload
 * length; then, with the run table (in `meta`, after the head) and the
 * block table, everything else: runs inside the region and in order,
 * blocks that add up to the runs' bytes and to the payload. Adds the
 * extents (IMG_EXT_ZSTD) and the section to img. Return 0, or -1 with a
 * message in msg. */
int img_zpages_head(const void *meta, uint64_t avail, uint64_t len, struct tcp_zpages_head *h, char *msg,
		    size_t msglen);
int img_zpages_add(struct tcp_image *img, const void *meta, const struct tcp_zblock *table, uint64_t len,
		   uint64_t sec_off, uint64_t payload_off, uint64_t payload_sum, char *msg, size_t msglen);
/* Reads n raw bytes at offset `at` of the page data of ZPAGES section z
 * (decompressing the blocks involved, checking their frames). 0 or -1. */
int img_zpages_read(int fd, const struct img_zpages *z, uint64_t at, void *buf, size_t n);

/* An image file, or a directory meaning DIR/latest: returns a malloc'd path
 * to load, or NULL with a message in err. */
char *img_resolve(const char *arg, char *err, size_t errlen);

#endif
