/* Incremental checkpoints: see incremental.h and image/format.h. The
 * previous image (DIR/latest) is read without its page data: a page it
 * stores has its hash in its HASHES and its place in its PAGES run tables;
 * a page it inherits has its place in its REFS and its hash in the HASHES
 * of the older image that holds it. */
#include "incremental.h"
#include "../common/rawsys.h"
#include "../image/page_hash.h"
#include "image_names.h"
#include "tree/area.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define REFS_PER_SECTION 8192
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif

struct parent_run {
	uint64_t addr, npages, file_off;
};

struct incr {
	int full;			/* every page stored (no usable previous image) */
	struct tcp_parent parents[TCP_INCREMENTAL_MAX];
	uint32_t nparents;		/* this image's sources beyond itself */
	/* The previous image: the hashes of the pages it stores, their runs,
	 * its REFS runs, and the hashes of the older images those name (index
	 * = its source number). All in address order, each walked with a
	 * cursor as the dump goes up in address. */
	struct tcp_page_hash *ph;
	uint64_t nph, iph, ph_map;
	struct parent_run *pr;
	uint64_t npr, ipr, pr_map;
	struct tcp_ref *rr;
	uint64_t nrr, irr, rr_map;
	struct older_hashes {
		struct tcp_page_hash *h;
		uint64_t n, i, map;
	} older[TCP_INCREMENTAL_MAX];
	/* This image: a hash for every stored or inherited page. */
	struct tcp_page_hash *h;
	uint64_t nh, cap, h_map;
	struct tcp_ref *refs;		/* REFS runs not written yet (one region) */
	uint64_t nrefs;
	uint64_t stored, inherited;
	struct tcp_process *pproc;	/* scratch for the previous PROCESS */
	char why[256];
};

/* Set between incr_begin and incr_end; points into the arena. */
static struct incr *st;

static void *scratch_map(uint64_t len)
{
	if (!len)
		len = TCP_PAGE_SIZE;
	void *p = tcp_scratch_map(len);
	return ((long)p < 0 && (long)p > -4096) ? 0 : p;
}

static int read_at(int fd, void *buf, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		long n = r_pread(fd, (char *)buf + done, len - done, (long)(off + done));
		if (n == -4)
			continue;
		if (n <= 0)
			return -1;
		done += (uint64_t)n;
	}
	return 0;
}

static int why(struct incr *s, const char *a, const char *b, const char *c)
{
	struct fbuf f;
	fb_init(&f, s->why, sizeof(s->why));
	fb_puts(&f, a);
	if (b)
		fb_puts(&f, b);
	if (c)
		fb_puts(&f, c);
	return -1;
}

/* Whose chain this image continues. A single process and a tree's root:
 * the image `latest` names, and images named like it. Another process of a
 * tree (a member): its own image of that generation, NAME.GEN.pPID.tcp with
 * its pid, if it was in the tree then (image_names.h), and only images of
 * its pid in its chain. Pages are taken only where the hash of the very
 * address matches, so a process that got the pid of an earlier one with the
 * same program stays correct (it only shares less). */
static const char *chain_prog;
static long chain_pid;		/* 0: the root's or a single process's chain */

static int our_image_name(const char *n)
{
	if (chain_pid)
		return member_image_pid(n, chain_prog) == chain_pid;
	return image_name_generation(n, chain_prog) >= 0;
}

/* Checksums are keyed with the identifier of the image they are in. */
static int sum_ok(const uint64_t key[2], const void *p, uint64_t len, uint64_t expect)
{
	return csum_buf_keyed(key, p, len) == expect;
}

static int header_ok(const uint64_t key[2], const struct tcp_section_header *sh)
{
	return sh->magic == TCP_SECTION_MAGIC &&
	       sh->header_sum == csum_buf_keyed(key, sh, offsetof(struct tcp_section_header, header_sum));
}

/* Opens image `name` of the directory: our own regular file only (a FIFO
 * planted under the name must not block the checkpoint, nor a symlink lead
 * elsewhere, nor another user's file be taken for ours), with a valid file
 * header of this format, whose identifier goes to key. The fd, or -1. */
static long open_image(int dirfd, const char *name, struct stat *sb, uint64_t key[2])
{
	long fd = r_openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct tcp_file_header hdr;
	long fl = r_fcntl((int)fd, F_GETFL, 0);
	if (r_fstat((int)fd, sb) || !S_ISREG(sb->st_mode) || sb->st_uid != (uid_t)r_getuid() || fl < 0 || r_fcntl((int)fd, F_SETFL, fl & ~O_NONBLOCK) ||
	    read_at((int)fd, &hdr, sizeof(hdr), 0) || !f_memeq(hdr.magic, TCP_IMAGE_MAGIC, 8) ||
	    hdr.version != TCP_FORMAT_VERSION || hdr.checksum != csum_buf(&hdr, offsetof(struct tcp_file_header, checksum))) {
		r_close((int)fd);
		return -1;
	}
	key[0] = hdr.image_id[0];
	key[1] = hdr.image_id[1];
	return fd;
}

/* 1 unless [off, off + len) of fd has a hole: a sparse file declaring a
 * large section gets no memory for it. */
static int stored(int fd, uint64_t off, uint64_t len)
{
	long pos = r_lseek(fd, 0, SEEK_CUR);
	long hole = r_lseek(fd, (long)off, SEEK_HOLE);
	if (pos >= 0)
		r_lseek(fd, pos, SEEK_SET);
	return hole < 0 || (uint64_t)hole >= off + len;
}

/* The PAGES run table at payload `poff` (`len` bytes): its runs, with the
 * file offset of each run's data, appended to s->pr. */
static int read_page_runs(struct incr *s, int fd, uint64_t poff, uint64_t len, uint64_t file_size)
{
	struct tcp_pages_head h;
	if (len < sizeof(h) || read_at(fd, &h, sizeof(h), poff))
		return -1;
	if (h.nruns == 0 || h.nruns > (len - sizeof(h)) / sizeof(struct tcp_run) || h.nruns > s->pr_map - s->npr ||
	    h.data_offset > len)
		return -1;
	uint64_t table = h.nruns * sizeof(struct tcp_run);
	/* Read the table at the end of the free slots, then expand in place
	 * from the front (slot i never overtakes run i). */
	char *dst = (char *)(s->pr + s->npr + h.nruns) - table;
	if (read_at(fd, dst, table, poff + sizeof(h)))
		return -1;
	const struct tcp_run *runs = (const struct tcp_run *)dst;
	uint64_t data = poff + h.data_offset;
	for (uint64_t i = 0; i < h.nruns; i++) {
		struct tcp_run r = runs[i];
		uint64_t prev_end = s->npr ? s->pr[s->npr - 1].addr + s->pr[s->npr - 1].npages * TCP_PAGE_SIZE : 0;
		if (r.npages == 0 || r.addr < prev_end || r.npages > file_size / TCP_PAGE_SIZE ||
		    data + r.npages * TCP_PAGE_SIZE > poff + len)
			return -1;
		s->pr[s->npr++] = (struct parent_run){ r.addr, r.npages, data };
		data += r.npages * TCP_PAGE_SIZE;
	}
	return 0;
}

/* The REFS runs at payload `poff` (`len` bytes), appended to s->rr. */
static int read_ref_runs(struct incr *s, int fd, uint64_t poff, uint64_t len, uint32_t nsources)
{
	struct tcp_refs_head h;
	if (len < sizeof(h) || read_at(fd, &h, sizeof(h), poff) || h.nruns == 0 ||
	    len != sizeof(h) + h.nruns * sizeof(struct tcp_ref) || h.nruns > s->rr_map - s->nrr)
		return -1;
	struct tcp_ref *r = s->rr + s->nrr;
	if (read_at(fd, r, h.nruns * sizeof(*r), poff + sizeof(h)))
		return -1;
	for (uint64_t i = 0; i < h.nruns; i++) {
		uint64_t prev_end = s->nrr ? s->rr[s->nrr - 1].addr + s->rr[s->nrr - 1].npages * TCP_PAGE_SIZE : 0;
		if (r[i].npages == 0 || r[i].addr < prev_end || r[i].source == 0 || r[i].source > nsources ||
		    r[i].file_off % TCP_PAGE_SIZE)
			return -1;
		s->nrr++;
	}
	return 0;
}

/* A HASHES payload read into a scratch mapping, checksum and order checked. */
static int read_hashes(int fd, const uint64_t key[2], uint64_t poff, const struct tcp_section_header *sh,
		       struct older_hashes *o)
{
	if (sh->length % sizeof(struct tcp_page_hash) || !stored(fd, poff, sh->length))
		return -1;
	o->n = sh->length / sizeof(struct tcp_page_hash);
	o->map = sh->length;
	o->h = scratch_map(sh->length);
	if (!o->h || read_at(fd, o->h, sh->length, poff) || !sum_ok(key, o->h, sh->length, sh->payload_sum))
		return -1;
	for (uint64_t i = 1; i < o->n; i++)
		if (o->h[i].addr <= o->h[i - 1].addr)
			return -1;
	return 0;
}

/* Older image `p` of the previous image's chain: checked to be that file
 * (size, PROCESS checksum), its HASHES read. */
static int read_older(int dirfd, const struct tcp_parent *p, struct older_hashes *o)
{
	struct stat sb;
	uint64_t key[2];
	long fd = open_image(dirfd, p->name, &sb, key);
	if (fd < 0)
		return -1;
	struct tcp_section_header sh;
	int rc = -1;
	uint64_t off = sizeof(struct tcp_file_header), size;
	if ((uint64_t)sb.st_size != p->size)
		goto out;
	size = (uint64_t)sb.st_size;
	for (int first = 1;; first = 0) {
		if (off + sizeof(sh) > size || read_at((int)fd, &sh, sizeof(sh), off) || !header_ok(key, &sh) ||
		    sh.length > size - off - sizeof(sh) || sh.type == TCP_SEC_END)
			goto out;
		if (first && (sh.type != TCP_SEC_PROCESS || sh.payload_sum != p->process_sum))
			goto out;
		if (sh.type == TCP_SEC_HASHES) {
			rc = read_hashes((int)fd, key, off + sizeof(sh), &sh, o);
			break;
		}
		off += sizeof(sh) + sh.length;
	}
out:
	r_close((int)fd);
	return rc;
}

static int read_previous(struct dump_ctx *d, struct incr *s, int dirfd, uint32_t *parent_gen)
{
	char name[TCP_PARENT_NAME_MAX];
	long n = r_readlinkat(dirfd, "latest", name, sizeof(name) - 1);
	if (n <= 0)
		return why(s, "no earlier image in the directory", 0, 0);
	name[n] = 0;
	long latest_gen = image_name_generation(name, chain_prog);
	if (latest_gen < 0)
		return why(s, "'latest' names ", name, ", not an image of this program");
	if (chain_pid) {
		struct fbuf b;
		fb_init(&b, name, sizeof(name));
		member_image_name_put(&b, chain_prog, latest_gen, chain_pid);
		if (b.full)
			return why(s, "the name of this process's previous image is too long", 0, 0);
		name[b.len] = 0;
		n = (long)b.len;
		struct stat ex;
		if (r_fstatat(dirfd, name, &ex, 0x100 /* AT_SYMLINK_NOFOLLOW */))
			return why(s, "this process has no image in the previous generation (", name, ")");
	}
	struct stat sb;
	uint64_t key[2];
	long fd = open_image(dirfd, name, &sb, key);
	if (fd < 0)
		return why(s, "the previous image ", name,
			   " cannot be opened, is not a regular file of yours, or is of another format version");
	int rc = -1, have_process = 0, have_hashes = 0, have_end = 0;
	uint32_t prev_nparents = 0;
	uint64_t size = 0, process_sum = 0;
	size = (uint64_t)sb.st_size;
	s->pr_map = size / TCP_PAGE_SIZE + 1;
	s->pr = scratch_map(s->pr_map * sizeof(*s->pr));
	s->rr_map = size / sizeof(struct tcp_ref) + 1; /* reserved, touched as used */
	s->rr = scratch_map(s->rr_map * sizeof(*s->rr));
	if (!s->pr || !s->rr) {
		why(s, "no scratch memory to read the previous image", 0, 0);
		goto out;
	}
	for (uint64_t off = sizeof(struct tcp_file_header); !have_end;) {
		struct tcp_section_header sh;
		if (off + sizeof(sh) > size || read_at((int)fd, &sh, sizeof(sh), off) || !header_ok(key, &sh) ||
		    sh.length > size - off - sizeof(sh)) {
			why(s, "the previous image ", name, " is damaged or incomplete");
			goto out;
		}
		uint64_t poff = off + sizeof(sh);
		switch (sh.type) {
		case TCP_SEC_PROCESS:
			if (sh.length != sizeof(*s->pproc) || read_at((int)fd, s->pproc, sizeof(*s->pproc), poff) ||
			    !sum_ok(key, s->pproc, sizeof(*s->pproc), sh.payload_sum)) {
				why(s, "the previous image ", name, " has a damaged PROCESS section");
				goto out;
			}
			s->pproc->exe[sizeof(s->pproc->exe) - 1] = 0;
			if (!f_streq(s->pproc->exe, d->proc->exe)) {
				why(s, "the previous image ", name, " is of another program");
				goto out;
			}
			/* Pages only from this run's images: another run's TCP_KEEP
			 * (or its user) may delete them. */
			if (s->pproc->run_id != tcp_run_id) {
				why(s, "the previous image ", name, " was written by another run");
				goto out;
			}
			*parent_gen = s->pproc->generation;
			process_sum = sh.payload_sum;
			have_process = 1;
			break;
		case TCP_SEC_PARENT:
			if (sh.length % sizeof(struct tcp_parent) ||
			    sh.length / sizeof(struct tcp_parent) >= TCP_INCREMENTAL_MAX ||
			    read_at((int)fd, &s->parents[1], sh.length, poff) ||
			    !sum_ok(key, &s->parents[1], sh.length, sh.payload_sum)) {
				why(s, "the previous image ", name, " has a damaged PARENT section");
				goto out;
			}
			prev_nparents = (uint32_t)(sh.length / sizeof(struct tcp_parent));
			break;
		case TCP_SEC_HASHES: {
			struct older_hashes own = { 0 };
			int bad = read_hashes((int)fd, key, poff, &sh, &own);
			s->ph = own.h;
			s->nph = own.n;
			s->ph_map = own.map;
			if (bad) {
				why(s, "cannot read the HASHES of the previous image ", name, 0);
				goto out;
			}
			have_hashes = 1;
			break;
		}
		case TCP_SEC_REFS:
			if (read_ref_runs(s, (int)fd, poff, sh.length, prev_nparents)) {
				why(s, "the previous image ", name, " has a damaged REFS section");
				goto out;
			}
			break;
		case TCP_SEC_PAGES:
			if (read_page_runs(s, (int)fd, poff, sh.length, size)) {
				why(s, "the previous image ", name, " has a damaged PAGES run table");
				goto out;
			}
			break;
		case TCP_SEC_END:
			have_end = 1;
			break;
		default:
			break;
		}
		off = poff + sh.length;
	}
	if (!have_process || !have_hashes) {
		why(s, "the previous image ", name, have_process ? " has no page hashes (written without TCP_INCREMENTAL)"
								 : " has no PROCESS section");
		goto out;
	}
	if (prev_nparents + 1 > (uint32_t)tcp_cfg.incremental - 1) {
		why(s, "the chain of incremental images reached its bound (TCP_INCREMENTAL)", 0, 0);
		goto out;
	}
	/* The older images it takes pages from: still there, the same files,
	 * and their hashes of the pages it inherits. */
	for (uint32_t i = 1; i <= prev_nparents; i++) {
		s->parents[i].name[TCP_PARENT_NAME_MAX - 1] = 0;
		if (!our_image_name(s->parents[i].name) || read_older(dirfd, &s->parents[i], &s->older[i])) {
			why(s, "an older image the previous one needs is missing, replaced or damaged: ",
			    s->parents[i].name, 0);
			goto out;
		}
	}
	f_memset(&s->parents[0], 0, sizeof(s->parents[0]));
	f_memcpy(s->parents[0].name, name, (size_t)n + 1);
	s->parents[0].generation = *parent_gen;
	s->parents[0].size = size;
	s->parents[0].process_sum = process_sum;
	s->nparents = prev_nparents + 1;
	rc = 0;
out:
	r_close((int)fd);
	return rc;
}

void incr_begin(struct dump_ctx *d, int dirfd)
{
	st = 0;
	if (!tcp_cfg.incremental)
		return;
	chain_prog = d->tree == DUMP_TREE_MEMBER && tcp_tree ? tcp_tree->prog : tcp_prog;
	chain_pid = d->tree == DUMP_TREE_MEMBER ? d->proc->pid : 0; /* not getpid(): the writer may be a fork */
	struct incr *s = arena_alloc(d, sizeof(*s));
	struct tcp_ref *refs = arena_alloc(d, REFS_PER_SECTION * sizeof(struct tcp_ref));
	struct tcp_process *pproc = arena_alloc(d, sizeof(*pproc));
	uint64_t pages = 0;
	for (uint64_t i = 0; i < d->nregions; i++)
		if (d->regions[i].store)
			pages += (d->regions[i].rec.end - d->regions[i].rec.start) / TCP_PAGE_SIZE;
	void *h = s && refs && pproc ? scratch_map(pages * sizeof(struct tcp_page_hash)) : 0;
	if (!h) {
		TCP_MSG(m);
		fb_puts(&m, "incremental: no scratch memory for page hashes; a full image without them");
		tcp_emit(&m);
		return;
	}
	f_memset(s, 0, sizeof(*s));
	s->refs = refs;
	s->pproc = pproc;
	s->h = h;
	s->cap = pages;
	s->h_map = pages * sizeof(struct tcp_page_hash);
	uint32_t gen = 0;
	if (read_previous(d, s, dirfd, &gen)) {
		s->full = 1;
		s->nparents = 0;
		if (tcp_cfg.log >= 1) {
			TCP_MSG(m);
			fb_puts(&m, "incremental: a full image: ");
			fb_puts(&m, s->why);
			tcp_emit(&m);
		}
	}
	st = s;
}

void incr_write_parent(struct img_writer *w)
{
	if (st && !st->full && st->nparents)
		iw_section(w, TCP_SEC_PARENT, st->parents, st->nparents * sizeof(struct tcp_parent), 0, 0);
}

static void flush_refs(struct incr *s, struct img_writer *w, uint64_t region_index)
{
	if (!s->nrefs)
		return;
	struct tcp_refs_head head = { region_index, s->nrefs };
	iw_section(w, TCP_SEC_REFS, &head, sizeof(head), s->refs, s->nrefs * sizeof(struct tcp_ref));
	s->nrefs = 0;
}

static int same_hash(const struct tcp_page_hash *e, const struct page_hash *h)
{
	return e->hash[0] == h->h[0] && e->hash[1] == h->h[1];
}

/* Where the previous image has the page at addr, as this image's source
 * and file offset; 0 if it has none with this hash. */
static int find_in_previous(struct incr *s, uint64_t addr, const struct page_hash *h, uint32_t *src, uint64_t *off)
{
	while (s->iph < s->nph && s->ph[s->iph].addr < addr)
		s->iph++;
	if (s->iph < s->nph && s->ph[s->iph].addr == addr) {
		/* Stored there: found through its PAGES runs. */
		if (!same_hash(&s->ph[s->iph], h))
			return 0;
		while (s->ipr < s->npr && s->pr[s->ipr].addr + s->pr[s->ipr].npages * TCP_PAGE_SIZE <= addr)
			s->ipr++;
		if (s->ipr == s->npr || s->pr[s->ipr].addr > addr)
			return 0; /* hashed but not stored there: never trust it */
		*src = 1;
		*off = s->pr[s->ipr].file_off + (addr - s->pr[s->ipr].addr);
		return 1;
	}
	/* Inherited there: its REFS say where, the older image's HASHES what. */
	while (s->irr < s->nrr && s->rr[s->irr].addr + s->rr[s->irr].npages * TCP_PAGE_SIZE <= addr)
		s->irr++;
	if (s->irr == s->nrr || s->rr[s->irr].addr > addr)
		return 0;
	const struct tcp_ref *r = &s->rr[s->irr];
	struct older_hashes *o = &s->older[r->source];
	while (o->i < o->n && o->h[o->i].addr < addr)
		o->i++;
	if (o->i == o->n || o->h[o->i].addr != addr || !same_hash(&o->h[o->i], h))
		return 0;
	*src = r->source + 1;
	*off = r->file_off + (addr - r->addr);
	return *src <= s->nparents;
}

int incr_take(struct img_writer *w, uint64_t region_index, uint64_t addr, const void *content, int unstable)
{
	struct incr *s = st;
	if (!s || unstable || s->nh == s->cap)
		return 0;
	struct page_hash h;
	page_hash(content, &h);
	uint32_t src;
	uint64_t off;
	if (s->full || !find_in_previous(s, addr, &h, &src, &off)) {
		/* Stored here: its hash goes into this image's HASHES. */
		struct tcp_page_hash *e = &s->h[s->nh++];
		e->addr = addr;
		e->hash[0] = h.h[0];
		e->hash[1] = h.h[1];
		s->stored++;
		return 0;
	}
	struct tcp_ref *last = s->nrefs ? &s->refs[s->nrefs - 1] : 0;
	if (last && last->source == src && last->addr + last->npages * TCP_PAGE_SIZE == addr &&
	    last->file_off + last->npages * TCP_PAGE_SIZE == off) {
		last->npages++;
	} else {
		if (s->nrefs == REFS_PER_SECTION)
			flush_refs(s, w, region_index);
		s->refs[s->nrefs++] = (struct tcp_ref){ .addr = addr, .npages = 1, .source = src, .file_off = off };
	}
	s->inherited++;
	return 1;
}

void incr_region_done(struct img_writer *w, uint64_t region_index)
{
	if (st)
		flush_refs(st, w, region_index);
}

void incr_write_hashes(struct img_writer *w)
{
	if (st)
		iw_section(w, TCP_SEC_HASHES, st->h, st->nh * sizeof(struct tcp_page_hash), 0, 0);
}

void incr_end(int ok)
{
	struct incr *s = st;
	st = 0;
	if (!s)
		return;
	if (ok && tcp_cfg.log >= 1 && !s->full) {
		TCP_MSG(m);
		fb_puts(&m, "incremental: ");
		fb_putu(&m, s->stored, 10, 0);
		fb_puts(&m, " pages stored, ");
		fb_putu(&m, s->inherited, 10, 0);
		fb_puts(&m, " taken from ");
		fb_putu(&m, s->nparents, 10, 0);
		fb_puts(&m, s->nparents == 1 ? " older image (" : " older images (");
		fb_puts(&m, s->parents[0].name);
		fb_puts(&m, s->nparents > 1 ? " and its own)" : ")");
		tcp_emit(&m);
	}
	if (s->ph)
		r_munmap(s->ph, s->ph_map ? s->ph_map : TCP_PAGE_SIZE);
	if (s->pr)
		r_munmap(s->pr, s->pr_map * sizeof(*s->pr));
	if (s->rr)
		r_munmap(s->rr, s->rr_map * sizeof(*s->rr));
	for (int i = 0; i < TCP_INCREMENTAL_MAX; i++)
		if (s->older[i].h)
			r_munmap(s->older[i].h, s->older[i].map ? s->older[i].map : TCP_PAGE_SIZE);
	r_munmap(s->h, s->h_map ? s->h_map : TCP_PAGE_SIZE);
}

int incr_image_parents(int dirfd, const char *name, struct tcp_parent *out, int max)
{
	struct stat sb;
	uint64_t key[2];
	long fd = open_image(dirfd, name, &sb, key);
	if (fd < 0)
		return 0;
	int n = 0;
	struct tcp_section_header sh;
	uint64_t off = sizeof(struct tcp_file_header);
	/* PROCESS, then PARENT if the image has one. */
	for (int i = 0; i < 2; i++) {
		if (read_at((int)fd, &sh, sizeof(sh), off) || !header_ok(key, &sh))
			break;
		if (i == 0) {
			off += sizeof(sh) + sh.length;
			continue;
		}
		if (sh.type != TCP_SEC_PARENT || sh.length % sizeof(struct tcp_parent))
			break;
		if (sh.length / sizeof(struct tcp_parent) > (uint64_t)max) {
			n = -1;
			break;
		}
		if (read_at((int)fd, out, sh.length, off + sizeof(sh)) || !sum_ok(key, out, sh.length, sh.payload_sum))
			break;
		n = (int)(sh.length / sizeof(struct tcp_parent));
		for (int k = 0; k < n; k++)
			out[k].name[TCP_PARENT_NAME_MAX - 1] = 0;
	}
	r_close((int)fd);
	return n;
}
