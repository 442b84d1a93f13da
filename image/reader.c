#define _GNU_SOURCE /* SEEK_HOLE */
#include "reader.h"
#include "checksum.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *img_section_name(uint32_t type)
{
	switch (type) {
	case TCP_SEC_PROCESS: return "PROCESS";
	case TCP_SEC_REGION: return "REGION";
	case TCP_SEC_PAGES: return "PAGES";
	case TCP_SEC_THREAD: return "THREAD";
	case TCP_SEC_FD: return "FD";
	case TCP_SEC_WRITTEN: return "WRITTEN";
	case TCP_SEC_SHM: return "SHM";
	case TCP_SEC_PARENT: return "PARENT";
	case TCP_SEC_HASHES: return "HASHES";
	case TCP_SEC_REFS: return "REFS";
	case TCP_SEC_ZPAGES: return "ZPAGES";
	case TCP_SEC_TREE: return "TREE";
	case TCP_SEC_END: return "END";
	default: return "unknown";
	}
}

#define SCRATCH (256u << 10)
/* The largest part of a section that is read into memory (run and block
 * tables, REFS, shared memory extent tables), but for HASHES (bounded by
 * the pages stored before it). */
#define META_MAX (64u << 20)
/* In-memory parts larger than this must be stored in the file, not a hole
 * of a sparse file: only what the file really holds is ever allocated. */
#define HOLE_CHECK_MIN (1u << 20)

struct ctx {
	char *scratch;		/* SCRATCH bytes */
	int fd;
	const char *name;
	const uint64_t *key;	/* the image's identifier: keys every section checksum */
	char *err;
	size_t errlen;
	uint64_t sec_no, sec_off;
	uint32_t sec_type;
	int defer_pages;	/* leave PAGES data unread and unchecked (img->deferred) */
	uint64_t pages_region, pages_end; /* the last PAGES run (REFS runs come between) */
	int have_parent;
	int have_process;
};

static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(c->err, c->errlen, "image %s: ", c->name);
	if (c->sec_off && n >= 0 && (size_t)n < c->errlen)
		n += snprintf(c->err + n, c->errlen - (size_t)n, "section #%llu (%s) at offset %llu: ",
			      (unsigned long long)c->sec_no, img_section_name(c->sec_type),
			      (unsigned long long)c->sec_off);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int read_at(struct ctx *c, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(c->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(c, "read error at offset %llu: %s", (unsigned long long)(off + done), strerror(errno));
		if (n == 0)
			return fail(c, "unexpected end of file at offset %llu", (unsigned long long)(off + done));
		done += (size_t)n;
	}
	return 0;
}

/* Checksums `len` bytes of the file at `off` without keeping them, through
 * the load's one scratch buffer (not one allocation per section: large
 * allocations are slow, under sanitizers above all). */
static int sum_range(struct ctx *c, uint64_t off, uint64_t len, uint64_t *out)
{
	struct csum s;
	csum_init_keyed(&s, c->key);
	while (len) {
		size_t n = len > SCRATCH ? SCRATCH : (size_t)len;
		if (read_at(c, c->scratch, n, off))
			return -1;
		csum_update(&s, c->scratch, n);
		off += n;
		len -= n;
	}
	*out = csum_final(&s);
	return 0;
}

/* Makes room for element n of an array that grows in powers of two
 * (capacity 4, 8, 16, ...): reallocates only when n reaches the capacity. */
static void *grow(void *arr, size_t n, size_t elem)
{
	if ((n > 0 && n < 4) || (n >= 4 && (n & (n - 1))))
		return arr;
	return realloc(arr, elem * (n < 4 ? 4 : n * 2));
}

static int check_path(struct ctx *c, const char *p, uint32_t len)
{
	if (len == 0 || len >= TCP_PATH_MAX)
		return fail(c, "bad path length %u", len);
	if (memchr(p, 0, len))
		return fail(c, "path contains a NUL byte");
	return 0;
}

static int add_region(struct ctx *c, struct tcp_image *img, const char *payload, uint64_t len)
{
	struct tcp_region r;
	if (len < sizeof(r))
		return fail(c, "payload of %llu bytes is too short", (unsigned long long)len);
	memcpy(&r, payload, sizeof(r));
	if (len != sizeof(r) + r.path_len)
		return fail(c, "length %llu does not match path length %u", (unsigned long long)len, r.path_len);
	if (r.path_len && check_path(c, payload + sizeof(r), r.path_len))
		return -1;
	if (r.start >= r.end || r.start % TCP_PAGE_SIZE || r.end % TCP_PAGE_SIZE)
		return fail(c, "bad address range %llx-%llx", (unsigned long long)r.start, (unsigned long long)r.end);
	if (r.kind < TCP_REG_ANON || r.kind > TCP_REG_SHM)
		return fail(c, "unknown region kind %u", r.kind);
	if (r.kind == TCP_REG_SHM && r.shm_index >= img->nshms)
		return fail(c, "region %llx-%llx maps shared memory object %u, but only %zu precede it",
			    (unsigned long long)r.start, (unsigned long long)r.end, r.shm_index, img->nshms);
	if (r.kind == TCP_REG_SHM && img->shms[r.shm_index].s.type == TCP_SHM_SYSV &&
	    ((r.flags & TCP_REGF_PRIVATE) || r.offset > r.start || r.end - r.start > img->shms[r.shm_index].s.size + 4095 ||
	     r.offset > img->shms[r.shm_index].s.size))
		return fail(c, "region %llx-%llx: not a possible mapping of System V segment %d", (unsigned long long)r.start,
			    (unsigned long long)r.end, img->shms[r.shm_index].s.sysv_id);
	if (r.flags & ~TCP_REGF_KNOWN)
		return fail(c, "region %llx-%llx: unknown flags %#x", (unsigned long long)r.start,
			    (unsigned long long)r.end, r.flags & ~TCP_REGF_KNOWN);
	if ((r.flags & TCP_REGF_WIPEONFORK) && r.kind != TCP_REG_ANON && r.kind != TCP_REG_HEAP && r.kind != TCP_REG_STACK)
		return fail(c, "region %llx-%llx: MADV_WIPEONFORK on a region of kind %u (private anonymous memory only)",
			    (unsigned long long)r.start, (unsigned long long)r.end, r.kind);
	if (r.kind != TCP_REG_SHM && (r.flags & TCP_REGF_PRIVATE))
		return fail(c, "region %llx-%llx: the private-object flag on a region of kind %u",
			    (unsigned long long)r.start, (unsigned long long)r.end, r.kind);
	if (r.prot & ~7u)
		return fail(c, "bad protection bits %x", r.prot);
	if (r.build_id_len > sizeof(r.build_id))
		return fail(c, "bad build-id length %u", r.build_id_len);
	if ((r.kind == TCP_REG_FILE || r.kind == TCP_REG_FILE_SHARED) && !r.path_len)
		return fail(c, "file region without a path");
	if (img->nregions && r.start < img->regions[img->nregions - 1].r.end)
		return fail(c, "region %llx-%llx overlaps or is out of order", (unsigned long long)r.start,
			    (unsigned long long)r.end);
	void *n = grow(img->regions, img->nregions, sizeof(*img->regions));
	if (!n)
		return fail(c, "out of memory");
	img->regions = n;
	struct img_region *ir = &img->regions[img->nregions];
	ir->r = r;
	ir->path = strndup(payload + sizeof(r), r.path_len);
	if (!ir->path)
		return fail(c, "out of memory");
	img->nregions++;
	return 0;
}

/* `payload` holds the first `avail` bytes of the `len`-byte payload (the head
 * and the run table when data_offset is valid). */
static int add_pages(struct ctx *c, struct tcp_image *img, const char *payload, uint64_t avail, uint64_t len,
		     uint64_t payload_off)
{
	struct tcp_pages_head h;
	if (len < sizeof(h) || avail < sizeof(h))
		return fail(c, "payload too short");
	memcpy(&h, payload, sizeof(h));
	if (h.region_index >= img->nregions)
		return fail(c, "refers to region %llu, but only %zu regions precede it",
			    (unsigned long long)h.region_index, img->nregions);
	if (h.nruns == 0 || h.nruns > (len - sizeof(h)) / sizeof(struct tcp_run))
		return fail(c, "bad run count %llu", (unsigned long long)h.nruns);
	/* The writer emits pages region by region, in address order; anything
	 * else could make two extents cover the same pages. */
	if (img->nextents && h.region_index < img->extents[img->nextents - 1].region)
		return fail(c, "pages for region %llu come after pages of region %u",
			    (unsigned long long)h.region_index, img->extents[img->nextents - 1].region);
	uint64_t table_end = sizeof(h) + h.nruns * sizeof(struct tcp_run);
	if (h.data_offset < table_end || h.data_offset > len || table_end > avail ||
	    (payload_off + h.data_offset) % TCP_PAGE_SIZE)
		return fail(c, "bad data offset %llu", (unsigned long long)h.data_offset);
	const struct img_region *reg = &img->regions[h.region_index];
	if (reg->r.kind == TCP_REG_VDSO || reg->r.kind == TCP_REG_VVAR || reg->r.kind == TCP_REG_FILE_SHARED ||
	    (reg->r.kind == TCP_REG_SHM && !(reg->r.flags & TCP_REGF_PRIVATE)))
		return fail(c, "pages stored for a region that cannot hold them (%s)", reg->path);
	uint64_t data = h.data_offset, prev_end = reg->r.start;
	for (uint64_t i = 0; i < h.nruns; i++) {
		struct tcp_run run;
		memcpy(&run, payload + sizeof(h) + i * sizeof(run), sizeof(run));
		uint64_t bytes = run.npages * TCP_PAGE_SIZE;
		if (run.npages == 0 || run.npages > (reg->r.end - reg->r.start) / TCP_PAGE_SIZE ||
		    run.addr % TCP_PAGE_SIZE || run.addr < prev_end || run.addr > reg->r.end - bytes)
			return fail(c, "run %llu (%llx, %llu pages) is outside region %llx-%llx or out of order",
				    (unsigned long long)i, (unsigned long long)run.addr, (unsigned long long)run.npages,
				    (unsigned long long)reg->r.start, (unsigned long long)reg->r.end);
		if (bytes > len - data)
			return fail(c, "run %llu extends past the section", (unsigned long long)i);
		if (c->pages_end && c->pages_region == h.region_index && run.addr < c->pages_end)
			return fail(c, "run %llu overlaps an earlier one", (unsigned long long)i);
		void *n = grow(img->extents, img->nextents, sizeof(*img->extents));
		if (!n)
			return fail(c, "out of memory");
		img->extents = n;
		img->extents[img->nextents++] = (struct img_extent){
			.region = (uint32_t)h.region_index, .addr = run.addr, .npages = run.npages,
			.file_off = payload_off + data };
		data += bytes;
		prev_end = run.addr + bytes;
		c->pages_region = h.region_index;
		c->pages_end = prev_end;
		img->page_bytes += bytes;
	}
	if (data != len)
		return fail(c, "%llu bytes of data after the last run", (unsigned long long)(len - data));
	return 0;
}

/* ZPAGES: head and run table in `p`; the block table read from the end of
 * the payload; the checks are in reader_zpages.c. */
static int add_zpages(struct ctx *c, struct tcp_image *img, const char *p, uint64_t avail, uint64_t len,
		      uint64_t payload_off, uint64_t payload_sum)
{
	struct tcp_zpages_head h;
	char msg[512];
	if (img_zpages_head(p, avail, len, &h, msg, sizeof(msg)))
		return fail(c, "%s", msg);
	if (avail < sizeof(h) + h.nruns * sizeof(struct tcp_run))
		return fail(c, "run table incomplete");
	if (h.nblocks > (64u << 20) / sizeof(struct tcp_zblock))
		return fail(c, "%llu blocks is implausibly many", (unsigned long long)h.nblocks);
	size_t tlen = h.nblocks * sizeof(struct tcp_zblock);
	if (tlen > HOLE_CHECK_MIN && !img_range_stored(c->fd, payload_off + len - tlen, tlen))
		return fail(c, "its block table is not stored in the file (a hole of a sparse file)");
	struct tcp_zblock *table = malloc(tlen ? tlen : 1);
	if (!table)
		return fail(c, "out of memory");
	int rc = read_at(c, table, tlen, payload_off + len - tlen);
	if (!rc && img_zpages_add(img, p, table, len, c->sec_off, payload_off, payload_sum, msg, sizeof(msg)))
		rc = fail(c, "%s", msg);
	free(table);
	return rc;
}

static int add_thread(struct ctx *c, struct tcp_image *img, const char *payload, uint64_t len)
{
	if (len != sizeof(struct tcp_thread))
		return fail(c, "payload of %llu bytes, expected %zu", (unsigned long long)len, sizeof(struct tcp_thread));
	void *n = grow(img->threads, img->nthreads, sizeof(*img->threads));
	if (!n)
		return fail(c, "out of memory");
	img->threads = n;
	memcpy(&img->threads[img->nthreads], payload, sizeof(struct tcp_thread));
	if (img->threads[img->nthreads].nframes > TCP_MAX_FRAMES)
		return fail(c, "bad frame count");
	img->nthreads++;
	return 0;
}

static int add_fd(struct ctx *c, struct tcp_image *img, const char *payload, uint64_t avail, uint64_t len,
		  uint64_t payload_off)
{
	struct tcp_fd f;
	if (len < sizeof(f) || avail < sizeof(f))
		return fail(c, "payload too short");
	memcpy(&f, payload, sizeof(f));
	if (f.path_len > len - sizeof(f) || f.path_len > avail - sizeof(f) ||
	    f.content_len != len - sizeof(f) - f.path_len)
		return fail(c, "lengths do not add up (path %u, content %llu, payload %llu)", f.path_len,
			    (unsigned long long)f.content_len, (unsigned long long)len);
	if (f.fd < 0 || f.kind < TCP_FD_REGULAR || f.kind > TCP_FD_KIND_MAX)
		return fail(c, "bad fd %d or kind %u", f.fd, f.kind);
	if (f.kind != TCP_FD_INHERIT && f.kind != TCP_FD_DUP && check_path(c, payload + sizeof(f), f.path_len))
		return -1;
	if (f.nlocks > (1u << 16) || (uint64_t)f.nlocks * sizeof(struct tcp_fd_lock) > f.content_len)
		return fail(c, "fd %d: bad lock count %u", f.fd, f.nlocks);
	uint64_t data = TCP_FD_DATA_LEN(&f);
	if (data && (f.kind == TCP_FD_REGULAR || f.kind == TCP_FD_INHERIT || f.kind == TCP_FD_DEVICE ||
		     f.kind == TCP_FD_DUP))
		return fail(c, "content stored for fd %d, whose kind has none", f.fd);
	if (f.kind == TCP_FD_DELETED && data != f.size)
		return fail(c, "fd %d: %llu bytes stored for a deleted file of %llu bytes", f.fd,
			    (unsigned long long)data, (unsigned long long)f.size);
	if (f.kind == TCP_FD_MEMFD && (data || f.u.memfd.shm_index >= img->nshms))
		return fail(c, "fd %d: names shared memory object %u of %zu (or holds content)", f.fd,
			    f.u.memfd.shm_index, img->nshms);
	if (f.kind == TCP_FD_DUP && (f.same_as < 0 || f.same_as == f.fd))
		return fail(c, "fd %d: bad shared-file reference %d", f.fd, f.same_as);
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd == f.fd)
			return fail(c, "fd %d appears twice", f.fd);
	void *n = grow(img->fds, img->nfds, sizeof(*img->fds));
	if (!n)
		return fail(c, "out of memory");
	img->fds = n;
	struct img_fd *d = &img->fds[img->nfds];
	d->f = f;
	d->path = strndup(payload + sizeof(f), f.path_len);
	d->content_off = payload_off + sizeof(f) + f.path_len;
	if (!d->path)
		return fail(c, "out of memory");
	img->nfds++;
	return 0;
}

/* WRITTEN: a regular file written and closed before the checkpoint: a
 * tcp_fd record (fd -1, REGULAR, write-only, no content) and its path. */
static int add_written(struct ctx *c, struct tcp_image *img, const char *payload, uint64_t len)
{
	struct tcp_fd f;
	if (len < sizeof(f))
		return fail(c, "payload too short");
	memcpy(&f, payload, sizeof(f));
	if (f.path_len != len - sizeof(f) || f.content_len || f.nlocks)
		return fail(c, "lengths do not add up (path %u, payload %llu)", f.path_len, (unsigned long long)len);
	if (f.fd != -1 || f.kind != TCP_FD_REGULAR || (f.flags & O_ACCMODE) != O_WRONLY || (f.mode & S_IFMT) != S_IFREG)
		return fail(c, "not a record of a regular file written and closed");
	if (check_path(c, payload + sizeof(f), f.path_len))
		return -1;
	if (f.path_len == 0 || payload[sizeof(f)] != '/')
		return fail(c, "the path of a written file is not absolute");
	void *n = grow(img->written, img->nwritten, sizeof(*img->written));
	if (!n)
		return fail(c, "out of memory");
	img->written = n;
	struct img_fd *d = &img->written[img->nwritten];
	d->f = f;
	d->path = strndup(payload + sizeof(f), f.path_len);
	d->content_off = 0;
	if (!d->path)
		return fail(c, "out of memory");
	img->nwritten++;
	return 0;
}

/* SHM: head, name, extent table (in memory), then the data (left in the
 * file, already checksummed with the section). */
static int add_shm(struct ctx *c, struct tcp_image *img, const char *p, uint64_t avail, uint64_t len,
		   uint64_t payload_off)
{
	struct tcp_shm s;
	if (len < sizeof(s) || avail < sizeof(s))
		return fail(c, "payload too short");
	memcpy(&s, p, sizeof(s));
	if (s.type < TCP_SHM_MEMFD || s.type > TCP_SHM_TYPE_MAX)
		return fail(c, "unknown shared memory type %u", s.type);
	uint64_t table = (uint64_t)s.nextents * sizeof(struct tcp_shm_extent);
	uint64_t meta = sizeof(s) + (uint64_t)s.name_len + table;
	if (s.name_len >= TCP_PATH_MAX || meta > avail || meta > len || s.data_len != len - meta)
		return fail(c, "lengths do not add up (name %u, %u extents, data %llu, payload %llu)", s.name_len,
			    s.nextents, (unsigned long long)s.data_len, (unsigned long long)len);
	if (memchr(p + sizeof(s), 0, s.name_len))
		return fail(c, "shared memory name contains a NUL byte");
	if ((s.type == TCP_SHM_MEMFD || s.type == TCP_SHM_POSIX) && !s.name_len)
		return fail(c, "shared memory object of type %u without a name", s.type);
	if (s.size > (1ull << 46))
		return fail(c, "shared memory object of %llu bytes", (unsigned long long)s.size);
	if ((s.flags & TCP_SHMF_ELSEWHERE) && (s.nextents || s.data_len))
		return fail(c, "shared memory object stored by another process of the tree, yet with content here");
	struct tcp_shm_extent *ext = malloc(table ? table : 1);
	if (!ext)
		return fail(c, "out of memory");
	memcpy(ext, p + sizeof(s) + s.name_len, table);
	uint64_t sum = 0, end = 0;
	for (uint32_t i = 0; i < s.nextents; i++) {
		if (ext[i].len == 0 || ext[i].offset < end || ext[i].len > s.size || ext[i].offset > s.size - ext[i].len) {
			struct tcp_shm_extent bad = ext[i];
			free(ext);
			return fail(c, "extent %u (%llu+%llu) is empty, out of order or outside the object of %llu bytes",
				    i, (unsigned long long)bad.offset, (unsigned long long)bad.len,
				    (unsigned long long)s.size);
		}
		end = ext[i].offset + ext[i].len;
		sum += ext[i].len;
	}
	if (sum != s.data_len) {
		free(ext);
		return fail(c, "extents hold %llu bytes, the section %llu", (unsigned long long)sum,
			    (unsigned long long)s.data_len);
	}
	void *n = grow(img->shms, img->nshms, sizeof(*img->shms));
	if (!n) {
		free(ext);
		return fail(c, "out of memory");
	}
	img->shms = n;
	struct img_shm *d = &img->shms[img->nshms];
	d->s = s;
	d->ext = ext;
	d->data_off = payload_off + meta;
	d->name = strndup(p + sizeof(s), s.name_len);
	if (!d->name) {
		free(ext);
		return fail(c, "out of memory");
	}
	img->nshms++;
	return 0;
}

/* PARENT: the older images this one takes pages from (before any REFS). */
static int add_parent(struct ctx *c, struct tcp_image *img, const char *p, uint64_t len)
{
	if (c->have_parent || img->nregions)
		return fail(c, "a PARENT section after the memory sections, or twice");
	c->have_parent = 1;
	if (len == 0 || len % sizeof(struct tcp_parent) || len / sizeof(struct tcp_parent) > 255)
		return fail(c, "payload of %llu bytes is not a list of older images", (unsigned long long)len);
	size_t n = len / sizeof(struct tcp_parent);
	img->parents = calloc(n, sizeof(*img->parents));
	if (!img->parents)
		return fail(c, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct img_parent *ip = &img->parents[i];
		memcpy(&ip->p, p + i * sizeof(struct tcp_parent), sizeof(struct tcp_parent));
		ip->fd = -1;
		img->nparents = i + 1;
		const char *nm = ip->p.name;
		size_t nl = strnlen(nm, TCP_PARENT_NAME_MAX);
		if (nl == 0 || nl == TCP_PARENT_NAME_MAX || memchr(nm, '/', nl) || !strcmp(nm, ".") || !strcmp(nm, ".."))
			return fail(c, "older image %zu has no valid file name", i + 1);
		if (ip->p.size < sizeof(struct tcp_file_header))
			return fail(c, "older image %s: implausible size %llu", nm, (unsigned long long)ip->p.size);
	}
	return 0;
}

#define TREEP_KNOWN (TCP_TREEP_ROOT | TCP_TREEP_ZOMBIE | TCP_TREEP_SESSION_LEADER | TCP_TREEP_GROUP_LEADER | \
		     TCP_TREEP_OUTSIDE_GROUP | TCP_TREEP_OUTSIDE_SESSION)

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct tcp_tree_holder *x = a, *y = b;
	return x->pid != y->pid ? (x->pid < y->pid ? -1 : 1) : x->fd < y->fd ? -1 : x->fd > y->fd;
}

long img_tree_find(const struct tcp_image *img, int32_t pid)
{
	for (size_t i = 0; i < img->ntree; i++)
		if (img->tree[i].pid == pid)
			return (long)i;
	return -1;
}

/* A member image's name: a plain file name of the root image's directory. */
static int plain_name(const char *nm)
{
	size_t nl = strnlen(nm, TCP_PARENT_NAME_MAX);
	return nl && nl < TCP_PARENT_NAME_MAX && !memchr(nm, '/', nl) && strcmp(nm, ".") && strcmp(nm, "..");
}

/* One process of the TREE, against those before it (parents come first). */
static int check_tree_proc(struct ctx *c, const struct tcp_image *img, size_t i, const int32_t *sorted)
{
	struct tcp_tree_proc *p = &img->tree[i];
	p->comm[sizeof(p->comm) - 1] = 0;
	if (p->flags & ~TREEP_KNOWN)
		return fail(c, "process %d: unknown flags %#x", p->pid, p->flags & ~TREEP_KNOWN);
	if (p->exit_signal < 0 || p->exit_signal > TCP_NSIG || p->pdeath_signal < 0 || p->pdeath_signal > TCP_NSIG)
		return fail(c, "process %d: bad exit or parent-death signal (%d, %d)", p->pid, p->exit_signal,
			    p->pdeath_signal);
	/* 0: a group or session not visible where the process ran (a restored
	 * tree's root is in tcp-restore's, outside its PID namespace). */
	if (((p->flags & TCP_TREEP_SESSION_LEADER) && p->sid != p->pid) ||
	    ((p->flags & TCP_TREEP_GROUP_LEADER) && p->pgid != p->pid) || p->pgid < 0 || p->sid < 0)
		return fail(c, "process %d: group %d and session %d do not match its flags %#x", p->pid, p->pgid, p->sid,
			    p->flags);
	if (i == 0) {
		if (!(p->flags & TCP_TREEP_ROOT) || p->pid != img->proc.pid || p->ppid != 0 || p->image[0] ||
		    (p->flags & TCP_TREEP_ZOMBIE))
			return fail(c, "its first process is not this image's own (pid %d, the root)", img->proc.pid);
		return 0;
	}
	if ((p->flags & TCP_TREEP_ROOT) || p->pid <= 1)
		return fail(c, "process %zu: pid %d, or a second root", i, p->pid);
	int32_t *dup = bsearch(&p->pid, sorted, img->ntree, sizeof(int32_t), cmp_i32);
	if (dup && ((dup > sorted && dup[-1] == p->pid) || (dup + 1 < sorted + img->ntree && dup[1] == p->pid)))
		return fail(c, "pid %d appears twice", p->pid);
	long parent = -1;
	for (size_t j = 0; j < i && parent < 0; j++)
		if (img->tree[j].pid == p->ppid)
			parent = (long)j;
	if (parent < 0)
		return fail(c, "process %d: its parent %d does not come before it", p->pid, p->ppid);
	if (img->tree[parent].flags & TCP_TREEP_ZOMBIE)
		return fail(c, "process %d: its parent %d is a zombie", p->pid, p->ppid);
	if (p->flags & TCP_TREEP_ZOMBIE) {
		if (p->image[0])
			return fail(c, "zombie %d names an image", p->pid);
		return 0;
	}
	if (!plain_name(p->image))
		return fail(c, "process %d has no valid image name (a plain file name)", p->pid);
	if (p->image_size < sizeof(struct tcp_file_header))
		return fail(c, "process %d: implausible image size %llu", p->pid, (unsigned long long)p->image_size);
	for (size_t j = 1; j < i; j++)
		if (!strcmp(img->tree[j].image, p->image))
			return fail(c, "processes %d and %d name the same image %s", img->tree[j].pid, p->pid, p->image);
	return 0;
}

/* TREE: the processes, then the open file descriptions they share. */
static int add_tree(struct ctx *c, struct tcp_image *img, const char *p, uint64_t len)
{
	struct tcp_tree_head h;
	if (img->tree || !c->have_process)
		return fail(c, "a second TREE section, or one before PROCESS");
	if (len < sizeof(h))
		return fail(c, "payload too short");
	memcpy(&h, p, sizeof(h));
	if (h.nprocs < 1 || h.nprocs > TCP_TREE_MAX_PROCS || h.nofds > TCP_TREE_MAX_HOLDERS / 2)
		return fail(c, "%u processes and %u shared files: out of bounds (at most %u processes)", h.nprocs, h.nofds,
			    TCP_TREE_MAX_PROCS);
	uint64_t at = sizeof(h) + (uint64_t)h.nprocs * sizeof(struct tcp_tree_proc);
	if (at > len)
		return fail(c, "payload of %llu bytes is too short for %u processes", (unsigned long long)len, h.nprocs);
	img->tree = malloc(h.nprocs * sizeof(*img->tree));
	int32_t *sorted = malloc(h.nprocs * sizeof(int32_t));
	img->tree_ofds = calloc(h.nofds + 1, sizeof(*img->tree_ofds));
	img->tree_holders = malloc(len - at + 1); /* at most that many holders */
	if (!img->tree || !sorted || !img->tree_ofds || !img->tree_holders) {
		free(sorted);
		return fail(c, "out of memory");
	}
	img->ntree = h.nprocs;
	memcpy(img->tree, p + sizeof(h), h.nprocs * sizeof(*img->tree));
	for (size_t i = 0; i < img->ntree; i++)
		sorted[i] = img->tree[i].pid;
	qsort(sorted, img->ntree, sizeof(int32_t), cmp_i32);
	int rc = 0;
	for (size_t i = 0; i < img->ntree && !rc; i++)
		rc = check_tree_proc(c, img, i, sorted);
	size_t nh = 0;
	for (uint32_t g = 0; g < h.nofds && !rc; g++) {
		struct tcp_tree_ofd o;
		if (len - at < sizeof(o)) {
			rc = fail(c, "shared file %u runs past the section", g);
			break;
		}
		memcpy(&o, p + at, sizeof(o));
		at += sizeof(o);
		if (o.nholders < 2 || o.nholders > TCP_TREE_MAX_HOLDERS - nh ||
		    (uint64_t)o.nholders * sizeof(struct tcp_tree_holder) > len - at) {
			rc = fail(c, "shared file %u: %u holders (at least 2, all in the section)", g, o.nholders);
			break;
		}
		img->tree_ofds[g] = (struct img_tree_ofd){ o.nholders, img->tree_holders + nh };
		memcpy(img->tree_holders + nh, p + at, o.nholders * sizeof(struct tcp_tree_holder));
		at += o.nholders * sizeof(struct tcp_tree_holder);
		for (uint32_t k = 0; k < o.nholders && !rc; k++) {
			const struct tcp_tree_holder *x = &img->tree_holders[nh + k];
			long who = img_tree_find(img, x->pid);
			if (x->fd < 0 || who < 0 || (img->tree[who].flags & TCP_TREEP_ZOMBIE))
				rc = fail(c, "shared file %u: holder fd %d of pid %d is not an fd of a live process of the tree",
					  g, x->fd, x->pid);
		}
		nh += o.nholders;
		img->ntree_ofds = g + 1;
	}
	img->ntree_holders = nh;
	free(sorted);
	if (!rc && at != len)
		rc = fail(c, "%llu bytes after the last shared file", (unsigned long long)(len - at));
	if (!rc) { /* one fd is in one open file description */
		struct tcp_tree_holder *v = malloc(nh * sizeof(*v) + 1);
		if (!v)
			return fail(c, "out of memory");
		memcpy(v, img->tree_holders, nh * sizeof(*v));
		qsort(v, nh, sizeof(*v), cmp_holder);
		for (size_t k = 1; k < nh && !rc; k++)
			if (!cmp_holder(&v[k - 1], &v[k]))
				rc = fail(c, "fd %d of pid %d is listed twice among the shared files", v[k].fd, v[k].pid);
		free(v);
	}
	return rc;
}

/* REFS: runs of pages that stay in an older image, as extents of that source. */
static int add_refs(struct ctx *c, struct tcp_image *img, const char *p, uint64_t len)
{
	struct tcp_refs_head h;
	if (len < sizeof(h))
		return fail(c, "payload too short");
	memcpy(&h, p, sizeof(h));
	if (h.region_index >= img->nregions)
		return fail(c, "refers to region %llu, but only %zu regions precede it",
			    (unsigned long long)h.region_index, img->nregions);
	if (h.nruns == 0 || h.nruns != (len - sizeof(h)) / sizeof(struct tcp_ref) ||
	    len != sizeof(h) + h.nruns * sizeof(struct tcp_ref))
		return fail(c, "bad run count %llu for %llu bytes", (unsigned long long)h.nruns, (unsigned long long)len);
	if (img->nextents && h.region_index < img->extents[img->nextents - 1].region)
		return fail(c, "pages for region %llu come after pages of region %u", (unsigned long long)h.region_index,
			    img->extents[img->nextents - 1].region);
	const struct img_region *reg = &img->regions[h.region_index];
	if (reg->r.kind == TCP_REG_VDSO || reg->r.kind == TCP_REG_VVAR || reg->r.kind == TCP_REG_FILE_SHARED ||
	    (reg->r.kind == TCP_REG_SHM && !(reg->r.flags & TCP_REGF_PRIVATE)))
		return fail(c, "pages referred to for a region that cannot hold them (%s)", reg->path);
	uint64_t prev_end = reg->r.start;
	for (uint64_t i = 0; i < h.nruns; i++) {
		struct tcp_ref r;
		memcpy(&r, p + sizeof(h) + i * sizeof(r), sizeof(r));
		if (r.npages == 0 || r.npages > (reg->r.end - reg->r.start) / TCP_PAGE_SIZE || r.addr % TCP_PAGE_SIZE ||
		    r.addr < prev_end || r.addr > reg->r.end - r.npages * TCP_PAGE_SIZE)
			return fail(c, "run %llu (%llx, %llu pages) is outside region %llx-%llx or out of order",
				    (unsigned long long)i, (unsigned long long)r.addr, (unsigned long long)r.npages,
				    (unsigned long long)reg->r.start, (unsigned long long)reg->r.end);
		if (r.source == 0 || r.source > img->nparents)
			return fail(c, "run %llu names older image %u, but PARENT lists %zu", (unsigned long long)i,
				    r.source, img->nparents);
		if (r.file_off % TCP_PAGE_SIZE || r.file_off < TCP_PAGE_SIZE ||
		    r.file_off > img->parents[r.source - 1].p.size ||
		    r.npages * TCP_PAGE_SIZE > img->parents[r.source - 1].p.size - r.file_off)
			return fail(c, "run %llu: offset %llu (%llu pages) is not inside older image %s",
				    (unsigned long long)i, (unsigned long long)r.file_off, (unsigned long long)r.npages,
				    img->parents[r.source - 1].p.name);
		void *n = grow(img->extents, img->nextents, sizeof(*img->extents));
		if (!n)
			return fail(c, "out of memory");
		img->extents = n;
		img->extents[img->nextents++] = (struct img_extent){ .region = (uint32_t)h.region_index, .source = r.source,
								     .addr = r.addr, .npages = r.npages,
								     .file_off = r.file_off };
		img->ref_pages += r.npages;
		prev_end = r.addr + r.npages * TCP_PAGE_SIZE;
	}
	return 0;
}

/* HASHES: every stored or inherited page's hash, in address order. */
static int add_hashes(struct ctx *c, struct tcp_image *img, const char *p, uint64_t len)
{
	if (img->has_hashes)
		return fail(c, "second HASHES section");
	if (len % sizeof(struct tcp_page_hash))
		return fail(c, "payload of %llu bytes is not a list of page hashes", (unsigned long long)len);
	img->has_hashes = 1;
	img->nhashes = len / sizeof(struct tcp_page_hash);
	img->hashes = malloc(len ? len : 1);
	if (!img->hashes)
		return fail(c, "out of memory");
	memcpy(img->hashes, p, len);
	for (size_t i = 0; i < img->nhashes; i++) {
		const struct tcp_page_hash *e = &img->hashes[i];
		if (e->addr % TCP_PAGE_SIZE || (i && e->addr <= img->hashes[i - 1].addr))
			return fail(c, "entry %zu (page %llx) is not page-aligned or out of order", i,
				    (unsigned long long)e->addr);
	}
	return 0;
}

const struct tcp_page_hash *img_hash_find(const struct tcp_page_hash *h, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && h[lo].addr == addr ? &h[lo] : NULL;
}

static int cmp_extent_addr(const void *a, const void *b)
{
	const struct img_extent *x = *(const struct img_extent *const *)a, *y = *(const struct img_extent *const *)b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* With REFS, the runs of a region come from two kinds of sections: no page
 * may be in two of them. (That every inherited page has a hash in the older
 * image that holds it is checked when the chain is opened: image/chain.c.) */
static int check_chain_extents(struct ctx *c, struct tcp_image *img)
{
	if (!img->nparents)
		return 0;
	const struct img_extent **v = malloc((img->nextents ? img->nextents : 1) * sizeof(*v));
	if (!v)
		return fail(c, "out of memory");
	for (size_t i = 0; i < img->nextents; i++)
		v[i] = &img->extents[i];
	qsort(v, img->nextents, sizeof(*v), cmp_extent_addr);
	for (size_t i = 0; i + 1 < img->nextents; i++)
		if (v[i]->addr + v[i]->npages * TCP_PAGE_SIZE > v[i + 1]->addr) {
			uint64_t a = v[i + 1]->addr;
			free(v);
			return fail(c, "page %llx is both stored and taken from an older image, or taken twice",
				    (unsigned long long)a);
		}
	free(v);
	return 0;
}

/* Sets *small to the size of the part of a payload that is read into memory:
 * everything for most sections, the head and run table for PAGES, the head
 * and path for FD. Never less than the PAGES or FD head when the payload holds
 * one: add_pages and add_fd read it before they validate anything. */
static int small_part(struct ctx *c, uint32_t type, uint64_t len, uint64_t payload_off, uint64_t *small)
{
	*small = len;
	if (type == TCP_SEC_PAGES && len >= sizeof(struct tcp_pages_head)) {
		struct tcp_pages_head h;
		if (read_at(c, &h, sizeof(h), payload_off))
			return -1;
		if (h.data_offset < len)
			*small = h.data_offset < sizeof(h) ? sizeof(h) : h.data_offset;
	} else if (type == TCP_SEC_ZPAGES && len >= sizeof(struct tcp_zpages_head)) {
		struct tcp_zpages_head h;
		if (read_at(c, &h, sizeof(h), payload_off))
			return -1;
		if (h.nruns < len / sizeof(struct tcp_run))
			*small = sizeof(h) + h.nruns * sizeof(struct tcp_run);
	} else if (type == TCP_SEC_FD && len >= sizeof(struct tcp_fd)) {
		struct tcp_fd f;
		if (read_at(c, &f, sizeof(f), payload_off))
			return -1;
		uint64_t want = sizeof(f) + (uint64_t)f.path_len;
		if (want < len)
			*small = want;
	} else if (type == TCP_SEC_SHM && len >= sizeof(struct tcp_shm)) {
		struct tcp_shm h;
		if (read_at(c, &h, sizeof(h), payload_off))
			return -1;
		uint64_t want = sizeof(h) + (uint64_t)h.name_len + (uint64_t)h.nextents * sizeof(struct tcp_shm_extent);
		if (want < len)
			*small = want;
	}
	return 0;
}

int img_range_stored(int fd, uint64_t off, uint64_t len)
{
	off_t pos = lseek(fd, 0, SEEK_CUR); /* kept: whoever reads the fd after us */
	off_t hole = lseek(fd, (off_t)off, SEEK_HOLE);
	if (pos >= 0)
		lseek(fd, pos, SEEK_SET);
	return hole < 0 || (uint64_t)hole >= off + len; /* no SEEK_HOLE: no holes */
}

/* Bounds what a section may make the reader allocate and read, before
 * anything of it is: its in-memory part (`small`) by a maximum per type,
 * HASHES by the pages stored before them, and any large in-memory part by
 * what the file really stores (a sparse file declaring gigabytes of zeros
 * is refused at once, not read and allocated). Unknown types end here too. */
static int check_size(struct ctx *c, const struct tcp_image *img, uint32_t type, uint64_t len, uint64_t small,
		      uint64_t poff)
{
	uint64_t exact = 0, max = META_MAX;
	switch (type) {
	case TCP_SEC_PROCESS: exact = sizeof(struct tcp_process); break;
	case TCP_SEC_THREAD: exact = sizeof(struct tcp_thread); break;
	case TCP_SEC_END: exact = sizeof(struct tcp_end); break;
	case TCP_SEC_REGION: max = sizeof(struct tcp_region) + TCP_PATH_MAX; break;
	case TCP_SEC_FD: max = sizeof(struct tcp_fd) + TCP_PATH_MAX; break;
	case TCP_SEC_WRITTEN: max = sizeof(struct tcp_fd) + TCP_PATH_MAX; break;
	case TCP_SEC_PARENT: max = 255 * sizeof(struct tcp_parent); break;
	case TCP_SEC_TREE:
		max = sizeof(struct tcp_tree_head) + (uint64_t)TCP_TREE_MAX_PROCS * sizeof(struct tcp_tree_proc) +
		      (uint64_t)TCP_TREE_MAX_HOLDERS / 2 * sizeof(struct tcp_tree_ofd) +
		      (uint64_t)TCP_TREE_MAX_HOLDERS * sizeof(struct tcp_tree_holder);
		break;
	case TCP_SEC_HASHES: {
		uint64_t pages = img->page_bytes / TCP_PAGE_SIZE;
		if (len / sizeof(struct tcp_page_hash) > pages)
			return fail(c, "%llu page hashes, but the image stores only %llu pages before them",
				    (unsigned long long)(len / sizeof(struct tcp_page_hash)), (unsigned long long)pages);
		max = len;
		break;
	}
	case TCP_SEC_PAGES:
	case TCP_SEC_ZPAGES:
	case TCP_SEC_SHM:
	case TCP_SEC_REFS: break;
	default: return fail(c, "unknown section type %u", type);
	}
	if (exact && len != exact)
		return fail(c, "payload of %llu bytes, expected %llu", (unsigned long long)len, (unsigned long long)exact);
	if (small > max)
		return fail(c, "section metadata of %llu bytes is implausibly large (at most %llu)", (unsigned long long)small,
			    (unsigned long long)max);
	if (small > HOLE_CHECK_MIN && !img_range_stored(c->fd, poff, small))
		return fail(c, "its %llu bytes are not stored in the file (a hole of a sparse file): not an image "
			       "written by tcp",
			    (unsigned long long)small);
	return 0;
}

/* Deferred PAGES: the checksum of the part that was read (head, run table,
 * padding), to be continued over the pages in memory. */
static int defer_pages(struct ctx *c, struct tcp_image *img, const char *p, uint64_t small, uint64_t payload_sum,
		       size_t first_extent)
{
	void *n = grow(img->deferred, img->ndeferred, sizeof(*img->deferred));
	if (!n)
		return fail(c, "out of memory");
	img->deferred = n;
	struct img_pages_sum *d = &img->deferred[img->ndeferred++];
	csum_init_keyed(&d->state, c->key);
	csum_update(&d->state, p, small);
	d->expect = payload_sum;
	d->sec_off = c->sec_off;
	d->first_extent = first_extent;
	d->nextents = img->nextents - first_extent;
	return 0;
}

static int load(char *scratch, int fd, const char *name, struct tcp_image *img, char *err, size_t errlen,
		int deferred)
{
	struct ctx c = { .scratch = scratch, .fd = fd, .name = name, .err = err, .errlen = errlen,
			 .defer_pages = deferred };
	struct stat st;
	int have_process = 0, have_end = 0;

	memset(img, 0, sizeof(*img));
	img->path = strdup(name);
	if (fstat(fd, &st))
		return fail(&c, "cannot stat: %s", strerror(errno));
	img->size = (uint64_t)st.st_size;
	if (img->size < sizeof(img->hdr))
		return fail(&c, "file of %llu bytes is too short to be an image (truncated?)", (unsigned long long)img->size);
	if (read_at(&c, &img->hdr, sizeof(img->hdr), 0))
		return -1;
	if (memcmp(img->hdr.magic, TCP_IMAGE_MAGIC, 8))
		return fail(&c, "not a tcp image (bad magic)");
	if (img->hdr.checksum != csum_buf(&img->hdr, offsetof(struct tcp_file_header, checksum)))
		return fail(&c, "file header checksum mismatch (corrupted)");
	if (img->hdr.version != TCP_FORMAT_VERSION)
		return fail(&c, "format version %u, this tcp-restore reads version %u", img->hdr.version, TCP_FORMAT_VERSION);
	if (img->hdr.header_size != sizeof(img->hdr) || img->hdr.arch != TCP_ARCH_X86_64 ||
	    img->hdr.page_size != TCP_PAGE_SIZE)
		return fail(&c, "header describes another architecture or page size");
	c.key = img->hdr.image_id;

	uint64_t off = sizeof(img->hdr);
	while (!have_end) {
		struct tcp_section_header sh;
		c.sec_no++;
		c.sec_off = off;
		c.sec_type = 0;
		if (off + sizeof(sh) > img->size)
			return fail(&c, "image ends without its END section: it is incomplete (a checkpoint that "
					"was interrupted, or a truncated copy); use an older image");
		if (read_at(&c, &sh, sizeof(sh), off))
			return -1;
		static const struct tcp_section_header unwritten; /* the writer's placeholder */
		if (!memcmp(&sh, &unwritten, sizeof(sh)))
			return fail(&c, "the image is incomplete: this section was still being written (a checkpoint "
					"that was interrupted, or a copy of an image being written); use an older image");
		c.sec_type = sh.magic == TCP_SECTION_MAGIC ? sh.type : 0; /* for the message */
		if (sh.magic != TCP_SECTION_MAGIC ||
		    sh.header_sum != csum_buf_keyed(c.key, &sh, offsetof(struct tcp_section_header, header_sum)))
			return fail(&c, "section header is corrupted, or comes from another image");
		uint64_t poff = off + sizeof(sh);
		if (sh.length > img->size - poff)
			return fail(&c, "the image is incomplete: the section's %llu bytes run past the end of the file "
					"(%llu bytes; a checkpoint that was interrupted, or a truncated copy); use an older "
					"image",
				    (unsigned long long)sh.length, (unsigned long long)img->size);
		uint64_t small;
		if (small_part(&c, sh.type, sh.length, poff, &small) || check_size(&c, img, sh.type, sh.length, small, poff))
			return -1;
		uint64_t sum = 0;
		/* Deferred: PAGES are checked by the blob where they land,
		 * ZPAGES by tcp-restore's decompressor as it reads them. */
		int deferred_here = c.defer_pages && (sh.type == TCP_SEC_PAGES || sh.type == TCP_SEC_ZPAGES) &&
				    small < sh.length;
		if (!deferred_here && sum_range(&c, poff, sh.length, &sum))
			return -1;
		if (!deferred_here && sum != sh.payload_sum)
			return fail(&c, "checksum mismatch: the section is corrupted, or comes from another image");
		char *p = malloc(small ? small : 1);
		if (!p)
			return fail(&c, "out of memory");
		int rc = read_at(&c, p, small, poff);
		if (!rc) {
			switch (sh.type) {
			case TCP_SEC_PROCESS:
				if (have_process)
					rc = fail(&c, "second PROCESS section");
				else if (sh.length != sizeof(img->proc))
					rc = fail(&c, "payload of %llu bytes, expected %zu", (unsigned long long)sh.length,
						  sizeof(img->proc));
				else {
					memcpy(&img->proc, p, sizeof(img->proc));
					have_process = c.have_process = 1;
				}
				break;
			case TCP_SEC_REGION: rc = add_region(&c, img, p, sh.length); break;
			case TCP_SEC_PAGES: {
				/* add_pages needs the whole table; `small` is data_offset when valid */
				size_t first = img->nextents;
				rc = add_pages(&c, img, p, small, sh.length, poff);
				if (!rc && deferred_here)
					rc = defer_pages(&c, img, p, small, sh.payload_sum, first);
				break;
			}
			case TCP_SEC_ZPAGES: rc = add_zpages(&c, img, p, small, sh.length, poff, sh.payload_sum); break;
			case TCP_SEC_THREAD: rc = add_thread(&c, img, p, sh.length); break;
			case TCP_SEC_FD: rc = add_fd(&c, img, p, small, sh.length, poff); break;
			case TCP_SEC_WRITTEN: rc = add_written(&c, img, p, sh.length); break;
			case TCP_SEC_SHM: rc = add_shm(&c, img, p, small, sh.length, poff); break;
			case TCP_SEC_PARENT: rc = add_parent(&c, img, p, sh.length); break;
			case TCP_SEC_REFS: rc = add_refs(&c, img, p, sh.length); break;
			case TCP_SEC_HASHES: rc = add_hashes(&c, img, p, sh.length); break;
			case TCP_SEC_TREE: rc = add_tree(&c, img, p, sh.length); break;
			case TCP_SEC_END: {
				struct tcp_end e;
				if (sh.length != sizeof(e)) {
					rc = fail(&c, "bad END length");
					break;
				}
				memcpy(&e, p, sizeof(e));
				if (e.section_count != c.sec_no - 1 || e.end_offset != off)
					rc = fail(&c, "END does not match the sections read (%llu sections, expected %llu)",
						  (unsigned long long)(c.sec_no - 1), (unsigned long long)e.section_count);
				else if (poff + sh.length != img->size)
					rc = fail(&c, "%llu bytes of garbage after END",
						  (unsigned long long)(img->size - poff - sh.length));
				have_end = 1;
				break;
			}
			default: rc = fail(&c, "unknown section type %u", sh.type);
			}
		}
		free(p);
		if (rc)
			return -1;
		off = poff + sh.length;
	}
	c.sec_off = 0;
	if (!have_process)
		return fail(&c, "no PROCESS section");
	if (img->proc.nregions != img->nregions || img->proc.nthreads != img->nthreads || img->proc.nfds != img->nfds)
		return fail(&c, "section counts do not match the PROCESS section");
	if (img->nthreads == 0)
		return fail(&c, "no THREAD section");
	if (check_chain_extents(&c, img))
		return -1;
	if (img->proc.cmdline_len > sizeof(img->proc.cmdline) || img->proc.auxv_bytes > sizeof(img->proc.auxv))
		return fail(&c, "PROCESS section has bad lengths");
	/* Strings in the fixed-size PROCESS fields must be terminated. */
	img->proc.comm[sizeof(img->proc.comm) - 1] = 0;
	img->proc.hostname[sizeof(img->proc.hostname) - 1] = 0;
	img->proc.prog[sizeof(img->proc.prog) - 1] = 0;
	img->proc.exe[sizeof(img->proc.exe) - 1] = 0;
	img->proc.cwd[sizeof(img->proc.cwd) - 1] = 0;
	img->proc.job[sizeof(img->proc.job) - 1] = 0;
	return 0;
}

static int load_fd(int fd, const char *name, struct tcp_image *img, char *err, size_t errlen, int deferred)
{
	char *scratch = malloc(SCRATCH);
	if (!scratch) {
		memset(img, 0, sizeof(*img));
		snprintf(err, errlen, "image %s: out of memory", name);
		return -1;
	}
	int rc = load(scratch, fd, name, img, err, errlen, deferred);
	free(scratch);
	if (rc)
		img_free(img); /* a failed load leaves nothing behind */
	return rc;
}

int img_load_fd(int fd, const char *name, struct tcp_image *img, char *err, size_t errlen)
{
	return load_fd(fd, name, img, err, errlen, 0);
}

int img_load_fd_deferred(int fd, const char *name, struct tcp_image *img, char *err, size_t errlen)
{
	return load_fd(fd, name, img, err, errlen, 1);
}

char *img_resolve(const char *arg, char *err, size_t errlen)
{
	struct stat st;
	if (stat(arg, &st)) {
		snprintf(err, errlen, "cannot find %s: %s", arg, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode))
		return strdup(arg);
	size_t n = strlen(arg) + sizeof("/latest");
	char *p = malloc(n);
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(p, n, "%s/latest", arg);
	if (lstat(p, &st)) {
		snprintf(err, errlen, "%s holds no complete image (no 'latest' link)", arg);
		free(p);
		return NULL;
	}
	/* libtcp makes `latest` a link of its owner's to a name in the same
	 * directory: one made by someone else, or pointing elsewhere, was
	 * planted (root restores others' directories: the image's owner is
	 * checked then). */
	char target[4096];
	ssize_t tl = S_ISLNK(st.st_mode) ? readlink(p, target, sizeof(target) - 1) : -1;
	if (tl >= 0)
		target[tl] = 0;
	if (S_ISLNK(st.st_mode) && getuid() != 0 && st.st_uid != getuid()) {
		snprintf(err, errlen, "%s was made by uid %u, not by you (uid %u): libtcp did not make it, someone else "
			 "may have pointed it at another image; remove it, or name the image to restore", p,
			 (unsigned)st.st_uid, (unsigned)getuid());
		free(p);
		return NULL;
	}
	if (tl > 0 && strchr(target, '/')) {
		snprintf(err, errlen, "%s points at %s, outside its directory: libtcp did not make it; remove it, or name "
			 "the image to restore", p, target);
		free(p);
		return NULL;
	}
	return p;
}

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
	       : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link"
						      : "not a regular file";
}

int img_open(const char *path, int nofollow, char *err, size_t errlen)
{
	struct stat st;
	/* Refused before open() where possible: opening a device can act. */
	if ((nofollow ? lstat(path, &st) : stat(path, &st)) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "image %s is %s, not an image file", path, file_kind(st.st_mode));
		return -1;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		snprintf(err, errlen, "image %s: cannot open: %s", path,
			 nofollow && errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "image %s: cannot stat: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) { /* replaced since the stat above */
		snprintf(err, errlen, "image %s is %s, not an image file", path, file_kind(st.st_mode));
	} else {
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0)
			return fd;
		snprintf(err, errlen, "image %s: fcntl: %s", path, strerror(errno));
	}
	close(fd);
	return -1;
}

int img_load(const char *path, struct tcp_image *img, char *err, size_t errlen)
{
	int fd = img_open(path, 0, err, errlen);
	if (fd < 0) {
		memset(img, 0, sizeof(*img));
		return -1;
	}
	int rc = img_load_fd(fd, path, img, err, errlen);
	close(fd);
	return rc;
}

void img_free(struct tcp_image *img)
{
	for (size_t i = 0; i < img->nregions; i++)
		free(img->regions[i].path);
	for (size_t i = 0; i < img->nfds; i++)
		free(img->fds[i].path);
	for (size_t i = 0; i < img->nwritten; i++)
		free(img->written[i].path);
	free(img->written);
	for (size_t i = 0; i < img->nshms; i++) {
		free(img->shms[i].name);
		free(img->shms[i].ext);
	}
	free(img->shms);
	free(img->regions);
	free(img->extents);
	free(img->threads);
	free(img->fds);
	free(img->deferred);
	for (size_t i = 0; i < img->nparents; i++) {
		if (img->parents[i].fd >= 0)
			close(img->parents[i].fd);
		free(img->parents[i].hashes);
	}
	free(img->parents);
	free(img->hashes);
	free(img->zpages);
	free(img->tree);
	free(img->tree_ofds);
	free(img->tree_holders);
	free(img->path);
	memset(img, 0, sizeof(*img));
}
