/* Shared memory objects (issue 7): memfds, files under /dev/shm, shared
 * anonymous memory and System V segments, mapped and/or held as fds. Each
 * object is stored once, as an SHM section holding its content; its
 * mappings become TCP_REG_SHM regions and its fds TCP_FD_MEMFD records that
 * name it. A fork does not copy shared memory on write: what is stored
 * must be the content at the checkpoint moment, so it is either copied in
 * the pause for a forked writer (dump_shm_snapshot: objects read through
 * an fd or a path), or the paused process writes its image itself
 * (checkpoint.c). */
#include "dump.h"
#include "dump_shm_names.h"
#include "tree/query.h"
#include "../common/maps_parse.h"
#include "../common/smaps_flags.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define MAX_SHMS 256
#define F_GET_SEALS_ 1034
#define SEEK_DATA_ 3
#define SEEK_HOLE_ 4

static uint32_t major_of(uint64_t dev) { return (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull)); }
static uint32_t minor_of(uint64_t dev) { return (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull)); }

static int refuse_shm(struct dump_ctx *d, const char *what, const char *why)
{
	fb_puts(&d->err, "cannot checkpoint the shared memory ");
	fb_puts(&d->err, what);
	fb_puts(&d->err, ": ");
	fb_puts(&d->err, why);
	return -1;
}

long dump_shm_index(struct dump_ctx *d, int type, uint32_t major, uint32_t minor, uint64_t inode)
{
	for (uint64_t i = 0; i < d->nshms; i++) {
		const struct tcp_shm *s = &d->shms[i].rec;
		if (s->type == (uint32_t)type && s->dev_major == major && s->dev_minor == minor && s->inode == inode)
			return (long)i;
	}
	return -1;
}

static struct dump_shm *add_object(struct dump_ctx *d, int type, uint32_t major, uint32_t minor, uint64_t inode,
				   const char *path)
{
	long i = dump_shm_index(d, type, major, minor, inode);
	if (i >= 0)
		return &d->shms[i];
	if (d->nshms == MAX_SHMS) {
		refuse_shm(d, path, "more than 256 shared memory objects");
		return 0;
	}
	struct dump_shm *s = &d->shms[d->nshms];
	f_memset(s, 0, sizeof(*s));
	int deleted;
	long n = shm_object_name(path, type, s->name, sizeof(s->name), &deleted);
	if (n < 0) {
		refuse_shm(d, path, "its name is too long");
		return 0;
	}
	s->rec.type = (uint32_t)type;
	s->rec.dev_major = major;
	s->rec.dev_minor = minor;
	s->rec.inode = inode;
	s->rec.name_len = (uint32_t)n;
	if (type == TCP_SHM_POSIX && deleted)
		s->rec.flags |= TCP_SHMF_DELETED;
	s->fd = -1;
	d->nshms++;
	return s;
}

/* An fd to read the object through, or -errno: the app's own fd reopened
 * read-only, or the /dev/shm file by its path. */
static long open_source(const struct dump_shm *s)
{
	if (s->fd >= 0) {
		char proc[64];
		path_append_num(proc, sizeof(proc), "/proc/self/fd/", s->fd, "");
		return r_open(proc, O_RDONLY | O_CLOEXEC, 0);
	}
	if (s->rec.type == TCP_SHM_POSIX && !(s->rec.flags & TCP_SHMF_DELETED))
		return r_open(s->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	return -2;
}

static int finish_sysv(struct dump_ctx *d, struct dump_shm *s, const char *what)
{
	struct shmid_ds ds;
	if (r_shmctl((int)s->rec.inode, IPC_STAT, &ds) < 0)
		return refuse_shm(d, what, "IPC_STAT on the segment failed (is it readable by this user?)");
	/* Attached by this process alone, or (a tree) by processes of the tree
	 * only. In a tree, counted when the root found the tree's attachments,
	 * all processes stopped: by now another process of the tree may have
	 * forked its writer, a copy that has the segment attached too until
	 * it ends (tree/objects.c). */
	int tree_attach = 0;
	tree_shm_owner(s->rec.dev_major, s->rec.dev_minor, s->rec.inode, &tree_attach);
	unsigned long ours = tree_attach > s->nmaps ? (unsigned long)tree_attach : (unsigned long)s->nmaps;
	long stopped = tree_sysv_nattch(s->rec.dev_major, s->rec.dev_minor, s->rec.inode);
	unsigned long nattch = stopped >= 0 ? (unsigned long)stopped : ds.shm_nattch;
	if (nattch > ours) {
		refuse_shm(d, what, tree_active() ? "a process outside the tree has this System V segment attached too; "
						    "only segments the tree's processes alone attach can be checkpointed"
						  : "another process has this System V segment attached too; only segments "
						    "attached by this process alone can be checkpointed");
		fb_puts(&d->err, " (");
		fb_putu(&d->err, nattch, 10, 0);
		fb_puts(&d->err, " attachments, ");
		fb_putu(&d->err, ours, 10, 0);
		fb_puts(&d->err, tree_active() ? " by the tree" : " by this process");
		fb_puts(&d->err, "; ipcs -m -p names the process that attached it last)");
		return -1;
	}
	s->rec.sysv_key = ds.shm_perm.__key;
	s->rec.sysv_id = (int32_t)s->rec.inode;
	s->rec.mode = ds.shm_perm.mode & 0777;
	s->rec.size = ds.shm_segsz;
	if (ds.shm_perm.mode & SHM_DEST)
		s->rec.flags |= TCP_SHMF_RMID;
	return 0;
}

static int finish_object(struct dump_ctx *d, struct dump_shm *s)
{
	const char *what = s->name[0] ? s->name : s->rec.type == TCP_SHM_ANON ? "(MAP_SHARED|MAP_ANONYMOUS)" : "segment";
	if (s->rec.type == TCP_SHM_SYSV) {
		char id[48];
		struct fbuf b;
		fb_init(&b, id, sizeof(id));
		fb_puts(&b, "System V segment ");
		fb_putu(&b, s->rec.inode, 10, 0);
		return finish_sysv(d, s, id);
	}
	long fd = open_source(s);
	if (fd < 0) {
		return 0; /* read through its mappings; size from them; mode unknown */
	}
	struct stat st;
	long rc = r_fstat((int)fd, &st);
	long seals = s->rec.type == TCP_SHM_MEMFD ? r_fcntl((int)fd, F_GET_SEALS_, 0) : 0;
	r_close((int)fd);
	if (rc < 0)
		return refuse_shm(d, what, "fstat failed");
	if (major_of(st.st_dev) != s->rec.dev_major || minor_of(st.st_dev) != s->rec.dev_minor ||
	    (uint64_t)st.st_ino != s->rec.inode)
		return refuse_shm(d, what, "the file at this path is not the one the program maps (replaced?)");
	if (st.st_blksize > (long)TCP_PAGE_SIZE)
		return refuse_shm(d, what, "huge-page shared memory (MFD_HUGETLB, hugetlbfs) is not supported");
	s->rec.size = (uint64_t)st.st_size;
	s->rec.mode = st.st_mode & 07777;
	if (seals > 0)
		s->rec.seals = (uint32_t)seals;
	if (s->rec.type == TCP_SHM_MEMFD && seals >= 0 && seals != 1 /* F_SEAL_SEAL alone: not sealable */)
		s->rec.flags |= TCP_SHMF_SEALABLE;
	s->fd = s->fd >= 0 ? s->fd : -2; /* -2: readable by its path */
	return 0;
}

int dump_scan_shm(struct dump_ctx *d)
{
	d->shms = arena_alloc(d, MAX_SHMS * sizeof(*d->shms));
	struct maps_entry *e = arena_alloc(d, sizeof(*e));
	if (!d->shms || !e) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	/* The mappings as dump_read_maps read them, in the same pause. */
	size_t pos = 0;
	const char *line;
	uint32_t vmflags;
	long len;
	while ((len = smaps_next(d->maps, d->maps_len, &pos, &line, &vmflags)) >= 0) {
		if (maps_parse_line(line, (size_t)len, e))
			continue; /* dump_scan_memory reports it */
		/* libtcp's own (a process tree's area lies in the arena). */
		if (e->start >= (uint64_t)d->arena && e->end <= (uint64_t)d->arena + d->arena_len)
			continue;
		int type = shm_type_of(e->path, e->shared);
		if (!type)
			continue;
		struct dump_shm *s = add_object(d, type, e->dev_major, e->dev_minor, e->inode, e->path);
		if (!s)
			return -1;
		s->nmaps++;
		if (e->offset + (e->end - e->start) > s->rec.size)
			s->rec.size = e->offset + (e->end - e->start);
	}
	for (uint64_t i = 0; i < d->nfds; i++) {
		struct dump_fd *f = &d->fds[i];
		if (f->rec.kind != TCP_FD_MEMFD)
			continue;
		struct dump_shm *s = add_object(d, shm_type_of(f->path, 0), major_of(f->rec.dev), minor_of(f->rec.dev),
						f->rec.inode, f->path);
		if (!s)
			return -1;
		if (s->fd < 0)
			s->fd = f->rec.fd;
		f->rec.u.memfd.shm_index = (uint32_t)(s - d->shms);
	}
	for (uint64_t i = 0; i < d->nshms; i++)
		if (finish_object(d, &d->shms[i]))
			return -1;
	/* In a tree, an object shared by several processes is stored by one
	 * of them (tree/objects.c); the others name it. */
	long me = r_getpid();
	for (uint64_t i = 0; i < d->nshms; i++) {
		struct dump_shm *s = &d->shms[i];
		int nattach;
		int owner = tree_shm_owner(s->rec.dev_major, s->rec.dev_minor, s->rec.inode, &nattach);
		if (owner && owner != me)
			s->rec.flags |= TCP_SHMF_ELSEWHERE;
		else
			d->nshms_stored++;
	}
	return 0;
}

/* ---- writing: one SHM section per object ---- */

/* Counted first (ext NULL: an upper bound), then filled, merging neighbours. */
struct extents {
	struct tcp_shm_extent *ext;	/* NULL: count only */
	uint64_t *addr;			/* where to read each one (no source fd) */
	uint64_t n, bytes;
};

static void add_extent(struct extents *x, uint64_t off, uint64_t len, uint64_t addr)
{
	if (x->n && x->ext && x->ext[x->n - 1].offset + x->ext[x->n - 1].len == off &&
	    x->addr[x->n - 1] + x->ext[x->n - 1].len == addr) {
		x->ext[x->n - 1].len += len;
	} else {
		if (x->ext) {
			x->ext[x->n].offset = off;
			x->ext[x->n].len = len;
			x->addr[x->n] = addr;
		}
		x->n++;
	}
	x->bytes += len;
}

/* The data parts of the file (SEEK_DATA/SEEK_HOLE), in pieces of at most
 * 1 GiB. */
static void file_extents(int fd, uint64_t size, struct extents *x)
{
	uint64_t off = 0;
	while (off < size) {
		long a = r_lseek(fd, (long)off, SEEK_DATA_);
		if (a < 0 || (uint64_t)a >= size)
			break;
		long b = r_lseek(fd, a, SEEK_HOLE_);
		if (b < 0 || (uint64_t)b > size)
			b = (long)size;
		for (uint64_t p = (uint64_t)a; p < (uint64_t)b;) {
			uint64_t len = (uint64_t)b - p > (1u << 30) ? (1u << 30) : (uint64_t)b - p;
			add_extent(x, p, len, 0);
			p += len;
		}
		off = (uint64_t)b;
	}
}

/* Is swap in use? mincore does not see a shared memory page that was
 * swapped out: then every page is read (holes read as zero pages). */
static int swap_in_use(void)
{
	char buf[512];
	long n = read_whole("/proc/swaps", buf, sizeof(buf));
	if (n < 0)
		return n == -27;
	int lines = 0;
	for (long i = 0; i < n; i++)
		lines += buf[i] == '\n';
	return lines > 1; /* a header line, then one per swap area */
}

static int page_all_zero(const uint64_t *p)
{
	uint64_t acc = 0;
	for (uint64_t i = 0; i < TCP_PAGE_SIZE / 8; i++)
		acc |= p[i];
	return acc == 0;
}

#define PM_PRESENT (1ull << 63)
#define PM_FILE (1ull << 61)

/* Without an fd: the pages of the object resident in memory (mincore
 * reports the object's pages, also those this process never touched), read
 * through its mappings; where[page] = an address of it, 0 if none. Shared
 * mappings first; a private one shows the object where it has not copied
 * the page (pagemap: not present, or present as the file's page). Pages
 * swapped out are not seen. */
static void mapped_pages(struct dump_ctx *d, uint64_t index, uint64_t *where, uint64_t npages_obj, int pagemap_fd)
{
	const uint64_t batch = PAGEMAP_BATCH / 2;
	uint64_t *pm = d->pagemap;
	unsigned char *vec = (unsigned char *)(d->pagemap + batch);
	f_memset(where, 0, npages_obj * sizeof(*where));
	int swap = swap_in_use();
	for (int private = 0; private < 2; private++) {
		for (uint64_t i = 0; i < d->nregions; i++) {
			const struct tcp_region *r = &d->regions[i].rec;
			if (r->kind != TCP_REG_SHM || r->shm_index != index || !(r->flags & TCP_REGF_PRIVATE) != !private)
				continue;
			for (uint64_t addr = r->start; addr < r->end;) {
				uint64_t npages = (r->end - addr) / TCP_PAGE_SIZE;
				if (npages > batch)
					npages = batch;
				if (swap || r_mincore((void *)addr, npages * TCP_PAGE_SIZE, vec) < 0)
					f_memset(vec, 1, npages); /* read it all rather than lose it */
				if (private && (pagemap_fd < 0 || r_pread(pagemap_fd, pm, npages * 8,
									  (long)(addr / TCP_PAGE_SIZE * 8)) != (long)(npages * 8)))
					f_memset(pm, 0xff, npages * 8); /* unknown: skip */
				for (uint64_t k = 0; k < npages; k++, addr += TCP_PAGE_SIZE) {
					uint64_t page = (r->offset + (addr - r->start)) / TCP_PAGE_SIZE;
					if (!(vec[k] & 1) || page >= npages_obj || where[page])
						continue;
					if (private && (pm[k] & PM_PRESENT) && !(pm[k] & PM_FILE))
						continue; /* the mapping's own copy */
					if (private && pm[k] == ~0ull)
						continue;
					if (swap && page_all_zero((const uint64_t *)addr))
						continue;
					where[page] = addr;
				}
			}
		}
	}
}

static void mapped_extents(const uint64_t *where, uint64_t npages_obj, uint64_t size, struct extents *x)
{
	for (uint64_t page = 0; page < npages_obj; page++) {
		uint64_t off = page * TCP_PAGE_SIZE;
		if (where[page])
			add_extent(x, off, size - off < TCP_PAGE_SIZE ? size - off : TCP_PAGE_SIZE, where[page]);
	}
}

/* Makes the object's mappings readable for the dump (restore: prot 0). */
static void make_readable(struct dump_ctx *d, uint64_t index, int restore)
{
	for (uint64_t i = 0; i < d->nregions; i++) {
		const struct tcp_region *r = &d->regions[i].rec;
		if (r->kind == TCP_REG_SHM && r->shm_index == index && !(r->prot & PROT_READ))
			r_mprotect((void *)r->start, r->end - r->start, restore ? (int)r->prot : PROT_READ);
	}
}

/* The object's data extents, where to read each (x->addr: an address, or
 * 0 for *fd), in arena memory from `*mark` on: 0, or -errno. Its mappings
 * are made readable meanwhile (end_extents undoes it, frees the arena). */
static int object_extents(struct dump_ctx *d, uint64_t index, struct extents *x, long *fd, uint64_t *mark)
{
	struct dump_shm *s = &d->shms[index];
	*mark = d->used;
	*fd = s->fd != -1 ? open_source(s) : -1;
	if (s->fd != -1 && *fd < 0)
		return (int)*fd;
	*x = (struct extents){ 0, 0, 0, 0 };
	uint64_t npages_obj = (s->rec.size + TCP_PAGE_SIZE - 1) / TCP_PAGE_SIZE;
	uint64_t *where = *fd < 0 ? arena_alloc(d, npages_obj * sizeof(*where) + 8) : 0;
	if (*fd < 0)
		make_readable(d, index, 0);
	if (*fd < 0 && where) {
		long pagemap = r_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC, 0);
		mapped_pages(d, index, where, npages_obj, (int)pagemap);
		if (pagemap >= 0)
			r_close((int)pagemap);
		mapped_extents(where, npages_obj, s->rec.size, x);
	} else if (*fd >= 0) {
		file_extents((int)*fd, s->rec.size, x);
	}
	x->ext = arena_alloc(d, (x->n + 1) * sizeof(*x->ext));
	x->addr = arena_alloc(d, (x->n + 1) * sizeof(*x->addr));
	if (!x->ext || !x->addr || (*fd < 0 && !where))
		return -12;
	x->n = x->bytes = 0;
	if (*fd >= 0)
		file_extents((int)*fd, s->rec.size, x);
	else
		mapped_extents(where, npages_obj, s->rec.size, x);
	return 0;
}

static void end_extents(struct dump_ctx *d, uint64_t index, long fd, uint64_t mark)
{
	d->used = mark;
	if (fd >= 0)
		r_close((int)fd);
	else
		make_readable(d, index, 1);
}

/* Copies extent i's bytes to `to`: 0, or -errno. */
static int copy_extent(struct dump_ctx *d, const struct extents *x, uint64_t i, long fd, char *to)
{
	if (x->addr[i]) {
		f_memcpy(to, (const void *)x->addr[i], x->ext[i].len);
		return 0;
	}
	for (uint64_t done = 0; done < x->ext[i].len;) {
		long got = r_pread((int)fd, to + done, x->ext[i].len - done, (long)(x->ext[i].offset + done));
		if (got <= 0)
			return got < 0 ? (int)got : -5;
		done += (uint64_t)got;
	}
	(void)d;
	return 0;
}

int dump_shm_snapshot(struct dump_ctx *d, uint64_t limit)
{
	uint64_t total = 0;
	int by_mapping = 0;
	for (uint64_t i = 0; i < d->nshms; i++) {
		if (d->shms[i].rec.flags & TCP_SHMF_ELSEWHERE)
			continue;
		total += d->shms[i].rec.size;
		by_mapping |= d->shms[i].fd == -1;
	}
	if (total > limit)
		return -1;
	/* An object read through its mappings only (a closed memfd, shared
	 * anonymous memory, System V) is found through the TCP_REG_SHM
	 * regions, which the writer would make: made now instead. */
	if (by_mapping && dump_scan_memory(d))
		return -1;
	for (uint64_t i = 0; i < d->nshms; i++) {
		struct dump_shm *s = &d->shms[i];
		if (s->rec.flags & TCP_SHMF_ELSEWHERE)
			continue;
		struct extents x = { 0, 0, 0, 0 };
		long fd = -1;
		uint64_t mark;
		int rc = object_extents(d, i, &x, &fd, &mark);
		uint64_t len = x.n * (sizeof(*x.ext) + sizeof(*x.addr)) + x.bytes;
		char *snap = rc == 0 ? r_mmap(0, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
				     : (char *)-1;
		if ((long)snap < 0 && (long)snap > -4096)
			snap = (char *)-1;
		if (snap != (char *)-1) {
			struct tcp_shm_extent *ext = (struct tcp_shm_extent *)snap;
			uint64_t *addr = (uint64_t *)(snap + x.n * sizeof(*ext));
			char *data = snap + x.n * (sizeof(*ext) + sizeof(*addr));
			for (uint64_t k = 0; k < x.n && rc == 0; k++) {
				ext[k] = x.ext[k];
				addr[k] = (uint64_t)data;
				rc = copy_extent(d, &x, k, fd, data);
				data += x.ext[k].len;
			}
			s->snap = snap;
			s->snap_len = len;
			s->snap_n = x.n;
			s->snap_bytes = x.bytes;
		}
		end_extents(d, i, fd, mark);
		if (rc || snap == (char *)-1) {
			dump_shm_snapshot_drop(d);
			return -1;
		}
	}
	return 0;
}

void dump_shm_snapshot_drop(struct dump_ctx *d)
{
	for (uint64_t i = 0; i < d->nshms; i++) {
		struct dump_shm *s = &d->shms[i];
		if (s->snap)
			r_munmap(s->snap, s->snap_len ? s->snap_len : 1);
		s->snap = 0;
		s->snap_len = s->snap_n = s->snap_bytes = 0;
	}
}

static void write_object(struct dump_ctx *d, struct img_writer *w, uint64_t index)
{
	struct dump_shm *s = &d->shms[index];
	if (s->rec.flags & TCP_SHMF_ELSEWHERE) {
		/* Another process of the tree stores its content. */
		s->rec.nextents = 0;
		s->rec.data_len = 0;
		iw_open(w, TCP_SEC_SHM);
		iw_data(w, &s->rec, sizeof(s->rec));
		iw_data(w, s->name, s->rec.name_len);
		iw_close(w);
		return;
	}
	struct extents x;
	long fd = -1;
	uint64_t mark = d->used;
	int snap = s->snap != 0;
	if (snap) {
		/* Copied in the pause (dump_shm_snapshot): the forked writer's
		 * own copy, which the running program cannot change. */
		x.ext = (struct tcp_shm_extent *)s->snap;
		x.addr = (uint64_t *)(s->snap + s->snap_n * sizeof(*x.ext));
		x.n = s->snap_n;
		x.bytes = s->snap_bytes;
	} else {
		int rc = object_extents(d, index, &x, &fd, &mark);
		if (rc) {
			if (fd >= 0 || s->fd == -1)
				end_extents(d, index, fd, mark);
			w->err = rc;
			return;
		}
	}
	s->rec.nextents = (uint32_t)x.n;
	s->rec.data_len = x.bytes;
	iw_open(w, TCP_SEC_SHM);
	iw_data(w, &s->rec, sizeof(s->rec));
	iw_data(w, s->name, s->rec.name_len);
	iw_data(w, x.ext, x.n * sizeof(*x.ext));
	for (uint64_t i = 0; i < x.n && !w->err; i++) {
		if (x.addr[i]) {
			iw_data(w, (const void *)x.addr[i], x.ext[i].len);
			continue;
		}
		for (uint64_t done = 0; done < x.ext[i].len && !w->err;) {
			uint64_t want = x.ext[i].len - done > BOUNCE_LEN ? BOUNCE_LEN : x.ext[i].len - done;
			long got = r_pread((int)fd, d->bounce, want, (long)(x.ext[i].offset + done));
			if (got <= 0) {
				w->err = got < 0 ? (int)got : -5;
				break;
			}
			iw_data(w, d->bounce, (size_t)got);
			done += (uint64_t)got;
		}
	}
	iw_close(w);
	if (!snap)
		end_extents(d, index, fd, mark);
}

void dump_write_shm(struct dump_ctx *d, struct img_writer *w)
{
	for (uint64_t i = 0; i < d->nshms && !w->err; i++)
		write_object(d, w, i);
}
