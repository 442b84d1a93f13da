/* Prepares the blob's mapping: a hole that neither this process nor the
 * image uses, holding the blob code, its arguments (regions, page extents,
 * the vdso moves, PR_SET_MM_MAP values, registers) and its stack. */
#define _GNU_SOURCE
#include "restore.h"
#include "blob_args.h"
#include "../image/page_hash.h"
#include "decompress.h"
#include "merge_reads.h"
#include "../common/maps_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const unsigned char tcp_blob[];
extern const unsigned long tcp_blob_size;

#define TASK_SIZE_47 0x7ffffffff000ull
#define BLOB_STACK (256u << 10)
#define PAGE 4096ull

struct launch {
	struct blob_args *args;
	void *entry;
	void *stack_top;
};

struct span {
	uint64_t start, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Lowest gap of `len` bytes at or above 4 GiB that overlaps no span. */
static uint64_t find_hole(struct span *s, size_t n, uint64_t len)
{
	qsort(s, n, sizeof(*s), cmp_span);
	uint64_t cand = 1ull << 32;
	for (size_t i = 0; i < n; i++) {
		if (s[i].end <= cand)
			continue;
		if (s[i].start >= cand + len)
			break;
		cand = (s[i].end + PAGE - 1) & ~(PAGE - 1);
	}
	return cand + len <= TASK_SIZE_47 ? cand : 0;
}

/* Spans of the image's regions and of this process's current mappings. */
static struct span *busy_spans(const struct tcp_image *img, size_t *n, size_t extra)
{
	size_t cap = 2 * img->nregions + 256 + extra, k = 0;
	struct span *s = malloc(cap * sizeof(*s));
	struct maps_entry *e = malloc(sizeof(*e));
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4352];
	if (!s || !e || !f) {
		free(s);
		free(e);
		if (f)
			fclose(f);
		return NULL;
	}
	for (size_t i = 0; i < img->nregions; i++)
		s[k++] = (struct span){ img->regions[i].r.start, img->regions[i].r.end };
	/* shmat maps a System V segment whole before the parts the program
	 * had not mapped are removed: the blob must not be there either. */
	for (size_t i = 0; i < img->nregions; i++) {
		const struct tcp_region *r = &img->regions[i].r;
		if (r->kind != TCP_REG_SHM || img->shms[r->shm_index].s.type != TCP_SHM_SYSV)
			continue;
		uint64_t base = r->start - r->offset;
		s[k++] = (struct span){ base, base + ((img->shms[r->shm_index].s.size + PAGE - 1) & ~(PAGE - 1)) };
	}
	while (fgets(line, sizeof(line), f)) {
		if (k + extra >= cap) {
			cap *= 2;
			struct span *ns = realloc(s, cap * sizeof(*s));
			if (!ns)
				break;
			s = ns;
		}
		if (!maps_parse_line(line, strcspn(line, "\n"), e))
			s[k++] = (struct span){ e->start, e->end };
	}
	fclose(f);
	free(e);
	*n = k;
	return s;
}

static int open_backing(const struct img_region *ir, int floor)
{
	/* A file the program writes through its mapping: not through a
	 * symbolic link put in its place (maps names the file itself). */
	int writes = ir->r.kind == TCP_REG_FILE_SHARED && (ir->r.prot & PROT_WRITE);
	int fd = open(ir->path, (writes ? O_RDWR | O_NOFOLLOW : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		say("cannot open %s, mapped by the program: %s%s", ir->path, strerror(errno),
		    writes && errno == ELOOP ? " (it is now a symbolic link; put the program's file back)" : "");
		return -1;
	}
	int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	close(fd);
	if (high < 0)
		say("cannot keep %s open: %s (raise the open-files limit, ulimit -n)", ir->path, strerror(errno));
	return high;
}

/* A mapping of a shared memory object: from the object's fd (shm.c), or a
 * System V segment attached with shmat by the blob. */
static int shm_region(const struct img_region *ir, struct blob_region *b)
{
	b->fd = shm_object_fd(ir->r.shm_index);
	b->shmid = shm_object_shmid(ir->r.shm_index);
	b->late_seals = shm_object_late_seals(ir->r.shm_index);
	if (b->fd < 0 && b->shmid < 0) {
		say("the mapping %#llx-%#llx (%s) names shared memory object %u, which was not recreated; the image "
		    "is inconsistent",
		    (unsigned long long)ir->r.start, (unsigned long long)ir->r.end, ir->path, ir->r.shm_index);
		return -1;
	}
	return 0;
}

/* System V mappings: the blob attaches each segment once (shmat maps all
 * of it) at the address of offset 0 and removes the parts the program had
 * not mapped; each region then gets its own protection. */
static void sysv_attachments(const struct tcp_image *img, struct blob_region *br, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (br[i].shmid < 0)
			continue;
		uint64_t base = br[i].start - br[i].offset;
		int first = 1;
		for (uint32_t j = 0; j < i && first; j++)
			first = !(br[j].shmid == br[i].shmid && br[j].start - br[j].offset == base);
		if (!first)
			continue;
		const struct tcp_shm *s = NULL;
		for (size_t k = 0; k < img->nregions; k++)
			if (img->regions[k].r.start == br[i].start)
				s = &img->shms[img->regions[k].r.shm_index].s;
		int writable = 0, exec = 0;
		for (uint32_t j = i; j < n; j++) {
			if (br[j].shmid != br[i].shmid || br[j].start - br[j].offset != base)
				continue;
			writable |= (br[j].prot & PROT_WRITE) != 0;
			exec |= (br[j].prot & PROT_EXEC) != 0;
		}
		br[i].shm_len = s ? (s->size + PAGE - 1) & ~(PAGE - 1) : 0;
		br[i].shm_flags = (writable ? 0 : SHM_RDONLY) | (exec ? SHM_EXEC : 0);
		br[i].shm_rmid = s && (s->flags & TCP_SHMF_RMID);
	}
}

static void vdso_moves(struct blob_args *a, const struct vdso_layout *v, uint64_t temp)
{
	a->nmoves = (uint32_t)v->n;
	for (int i = 0; i < v->n; i++)
		a->moves[i] = (struct blob_move){ v->cur[i].start, v->cur[i].end - v->cur[i].start, v->img[i].start };
	uint64_t clo = v->cur[0].start, chi = v->cur[v->n - 1].end;
	uint64_t tlo = v->img[0].start, thi = v->img[v->n - 1].end;
	a->moves_via_temp = clo < thi && tlo < chi && clo != tlo;
	a->temp_base = temp;
}

/* Everything but the blob and the current vdso block goes. */
static void unmap_plan(struct blob_args *a, const struct vdso_layout *v, uint64_t mmap_min)
{
	struct span keep[2] = { { a->self_start, a->self_start + a->self_len },
				{ v->cur[0].start, v->cur[v->n - 1].end } };
	qsort(keep, 2, sizeof(keep[0]), cmp_span);
	uint64_t from = mmap_min;
	a->nunmaps = 0;
	for (int i = 0; i < 2; i++) {
		if (keep[i].start > from)
			a->unmaps[a->nunmaps++] = (struct blob_unmap){ from, keep[i].start };
		if (keep[i].end > from)
			from = keep[i].end;
	}
	if (from < TASK_SIZE_47)
		a->unmaps[a->nunmaps++] = (struct blob_unmap){ from, TASK_SIZE_47 };
}

/* Extent i comes from an older image: the blob checks its pages against
 * that image's hashes of them (img_chain_open made sure there is one each),
 * copied to *hashes_off (from the start of the args), which moves on. */
static void add_page_check(struct blob_args *a, const struct tcp_image *img, size_t i, uint64_t *hashes_off)
{
	const struct img_extent *x = &img->extents[i];
	struct blob_page_check *c = (struct blob_page_check *)((char *)a + a->checks_off) + a->nchecks++;
	c->extent = (uint32_t)i;
	c->hashes_off = *hashes_off;
	struct page_hash *h = (struct page_hash *)((char *)a + *hashes_off);
	const struct img_parent *ip = &img->parents[x->source - 1];
	const struct tcp_page_hash *e = img_hash_find(ip->hashes, ip->nhashes, x->addr);
	for (uint64_t k = 0; k < x->npages; k++) {
		h[k].h[0] = e[k].hash[0];
		h[k].h[1] = e[k].hash[1];
	}
	*hashes_off += x->npages * sizeof(*h);
}

static uint64_t read_mmap_min(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");
	unsigned long long v = 65536;
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 65536;
		fclose(f);
	}
	v = (v + PAGE - 1) & ~(PAGE - 1);
	return v ? v : PAGE;
}

#define DIRECT_MIN (1u << 20) /* runs read with O_DIRECT: at least 1 MiB */

/* The image opened again with O_DIRECT, above `floor`, for the blob's reads
 * straight into place: no page cache is filled, and the pages are written
 * without touching their user addresses (in a VM, that first touch costs as
 * much as the read). `fd` itself where O_DIRECT is refused (tmpfs). */
static int direct_fd(int fd, int floor)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int d = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (d < 0)
		return fd;
	int high = fcntl(d, F_DUPFD_CLOEXEC, floor);
	close(d);
	return high >= 0 ? high : fd;
}

/* An incremental image's inherited extents, read by fewer, larger reads
 * (merge_reads.h). Without memory for the plan, every extent is read alone. */
static void merge_inherited(struct blob_args *a, const struct tcp_image *img, const unsigned char *lazy,
			    const int *parent_fd, int verbose)
{
	struct merged_read *mr = malloc(img->nextents * sizeof(*mr) + 1);
	uint32_t *into = malloc(img->nextents * sizeof(*into) + 1);
	long n = mr && into ? plan_merged_reads(img->extents, img->nextents, lazy, mr, into) : -1;
	struct blob_extent *pre = (struct blob_extent *)((char *)a + a->prereads_off);
	struct blob_extent *be = (struct blob_extent *)((char *)a + a->extents_off);
	for (long k = 0; k < n; k++) {
		uint32_t s = mr[k].source - 1;
		int fd = mr[k].len >= DIRECT_MIN ? parent_fd[s] : img->parents[s].fd;
		pre[k] = (struct blob_extent){ mr[k].addr, mr[k].len, mr[k].file_off, fd, BLOB_EXT_PREAD, 0, 0 };
	}
	size_t merged = 0;
	for (size_t i = 0; n > 0 && i < img->nextents; i++)
		if (into[i]) {
			be[i].mode = BLOB_EXT_PREREAD;
			merged++;
		}
	a->nprereads = n > 0 ? (uint32_t)n : 0;
	if (verbose && n > 0)
		say("%zu runs of pages from older images are read as %ld larger reads", merged, n);
	free(mr);
	free(into);
}

struct launch *prepare_launch(const struct tcp_image *img, const struct vdso_layout *v, int image_fd, int floor,
			      const struct restore_opts *o)
{
	/* Shared memory objects first: regions and fds use them. */
	if (shm_create_objects(img, image_fd, floor, o))
		return NULL;
	size_t nreg = 0;
	for (size_t i = 0; i < img->nregions; i++)
		nreg += img->regions[i].r.kind != TCP_REG_VDSO && img->regions[i].r.kind != TCP_REG_VVAR;
	uint64_t code = (tcp_blob_size + PAGE - 1) & ~(PAGE - 1);
	enum { ENV_MAX = 64 << 10 };
	uint64_t argsz = sizeof(struct blob_args) + nreg * sizeof(struct blob_region) +
			 img->nextents * sizeof(struct blob_extent) + img->nthreads * sizeof(struct blob_thread) +
			 img->ndeferred * sizeof(struct blob_pages_sum) + ENV_MAX;
	size_t nchecks = 0;
	for (size_t i = 0; i < img->nextents; i++)
		nchecks += img->extents[i].source != 0;
	uint64_t checks_len = nchecks * sizeof(struct blob_page_check) + img->ref_pages * sizeof(struct page_hash);
	argsz += checks_len;
	uint64_t prereads_len = img->nparents ? img->nextents * sizeof(struct blob_extent) : 0;
	argsz += prereads_len;
	/* The visible changes: every one is planned by now (plan_files.c before
	 * the namespaces, shm_create_objects above). */
	uint64_t acts_len = commit_count() * sizeof(struct blob_act);
	argsz += acts_len;
	argsz = (argsz + PAGE - 1) & ~(PAGE - 1);
	/* A process of a tree: the area its processes share, mapped in here. */
	uint64_t area_len = o->tree_area_len;
	uint64_t total = code + argsz + area_len + BLOB_STACK;

	size_t ns;
	struct span *spans = busy_spans(img, &ns, 2);
	if (!spans) {
		say("cannot read this process's memory map");
		return NULL;
	}
	uint64_t at = find_hole(spans, ns, total);
	spans[ns++] = (struct span){ at, at + total };
	spans[ns++] = (struct span){ v->img[0].start, v->img[v->n - 1].end };
	uint64_t temp = find_hole(spans, ns, v->cur[v->n - 1].end - v->cur[0].start);
	free(spans);
	if (!at || !temp) {
		say("no room in the address space for the restorer next to the image's %zu regions", img->nregions);
		return NULL;
	}
	char *base = mmap((void *)at, total, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (base == MAP_FAILED || (uint64_t)base != at) {
		say("cannot map the restorer at %#llx: %s", (unsigned long long)at, strerror(errno));
		return NULL;
	}
	memcpy(base, tcp_blob, tcp_blob_size);
	struct blob_args *a = (struct blob_args *)(base + code);
	if (area_len) {
		void *area = mmap(base + code + argsz, area_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				  o->tree_area_fd, 0);
		if (area != base + code + argsz) {
			say("cannot map the memory the tree's processes share: %s", strerror(errno));
			return NULL;
		}
		a->tree_area = (uint64_t)area;
		a->tree_area_len = area_len;
	}
	a->self_start = at;
	a->self_len = total;
	a->image_fd = image_fd;
	a->close_from = floor;
	/* Fatal errors of the blob go to tcp-restore's stderr, not to the
	 * program's restored fd 2 (which may be a file of the program). */
	a->report_fd = fcntl(2, F_DUPFD_CLOEXEC, floor);
	if (a->report_fd < 0)
		a->report_fd = 2;
	/* -v: the page reads as they go on a terminal, one line in a log. */
	a->progress = !o->verbose ? BLOB_PROGRESS_NONE : isatty(a->report_fd) ? BLOB_PROGRESS_LIVE : BLOB_PROGRESS_SUMMARY;
	a->regions_off = sizeof(*a);
	a->extents_off = sizeof(*a) + nreg * sizeof(struct blob_region);
	a->threads_off = a->extents_off + img->nextents * sizeof(struct blob_extent);
	a->sums_off = a->threads_off + img->nthreads * sizeof(struct blob_thread);
	a->env_off = a->sums_off + img->ndeferred * sizeof(struct blob_pages_sum);
	a->env_len = job_env_block((char *)a + a->env_off, ENV_MAX);
	a->checks_off = a->env_off + ENV_MAX;
	a->prereads_off = a->checks_off + checks_len;
	a->acts_off = a->prereads_off + prereads_len;
	a->nacts = (uint32_t)commit_count();
	commit_copy((char *)a + a->acts_off);
	snprintf(a->image_path, sizeof(a->image_path), "%s", o->image);

	/* Regions (without the vdso block) with their backing files. */
	struct blob_region *br = (struct blob_region *)((char *)a + a->regions_off);
	uint32_t *index_of = calloc(img->nregions + 1, sizeof(uint32_t));
	if (!index_of)
		return NULL;
	int last_fd = -1;
	const char *last_path = NULL;
	for (size_t i = 0; i < img->nregions; i++) {
		const struct img_region *ir = &img->regions[i];
		if (ir->r.kind == TCP_REG_VDSO || ir->r.kind == TCP_REG_VVAR)
			continue;
		struct blob_region *b = &br[a->nregions];
		index_of[i] = a->nregions++;
		*b = (struct blob_region){ .start = ir->r.start, .end = ir->r.end, .offset = ir->r.offset,
					   .prot = ir->r.prot, .kind = ir->r.kind, .flags = ir->r.flags, .fd = -1,
					   .shmid = -1 };
		if (ir->r.kind == TCP_REG_FILE || ir->r.kind == TCP_REG_FILE_SHARED) {
			if (!last_path || strcmp(last_path, ir->path) || ir->r.kind == TCP_REG_FILE_SHARED) {
				last_fd = open_backing(ir, floor);
				last_path = ir->path;
			}
			if (last_fd < 0) {
				free(index_of);
				return NULL;
			}
			b->fd = last_fd;
		}
		if (ir->r.kind == TCP_REG_SHM && shm_region(ir, b)) {
			free(index_of);
			return NULL;
		}
	}
	sysv_attachments(img, br, a->nregions);
	/* --lazy: the extents lazy.c picks are mapped from the image, not read */
	unsigned char *lazy = calloc(img->nextents + 1, 1);
	if (!lazy || (o->lazy && lazy_plan(img, o->image, image_fd, lazy, o->verbose))) {
		free(lazy);
		free(index_of);
		return NULL;
	}
	struct blob_extent *be = (struct blob_extent *)((char *)a + a->extents_off);
	int read_fd = direct_fd(image_fd, floor);
	int *parent_fd = calloc(img->nparents + 1, sizeof(int));
	if (!parent_fd) {
		free(lazy);
		free(index_of);
		return NULL;
	}
	for (size_t i = 0; i < img->nparents; i++)
		parent_fd[i] = direct_fd(img->parents[i].fd, floor);
	uint64_t hashes_off = a->checks_off + nchecks * sizeof(struct blob_page_check);
	for (size_t i = 0; i < img->nextents; i++) {
		const struct img_extent *x = &img->extents[i];
		/* O_DIRECT for large runs only: each direct read waits for the
		 * disk, while small ones gain from the page cache's read-ahead
		 * (an incremental image's runs between rewritten pages). */
		int direct = !lazy[i] && x->npages * PAGE >= DIRECT_MIN;
		int fd = x->source ? (direct ? parent_fd[x->source - 1] : img->parents[x->source - 1].fd)
				   : direct ? read_fd : image_fd;
		be[i] = (struct blob_extent){ x->addr, x->npages * PAGE, x->file_off, fd,
					      lazy[i] ? BLOB_EXT_MAP : BLOB_EXT_PREAD, 0, 0 };
		if (lazy[i] && (img->regions[x->region].r.flags & TCP_REGF_NORESERVE))
			be[i].map_flags = MAP_NORESERVE;
		if (x->flags & IMG_EXT_ZSTD) /* from the decompressor, in extent order */
			be[i] = (struct blob_extent){ x->addr, x->npages * PAGE, 0, decompress_fd(img), BLOB_EXT_STREAM, 0, 0 };
		if (x->source && !lazy[i]) /* a mapped page is not read, so not checked */
			add_page_check(a, img, i, &hashes_off);
		br[index_of[x->region]].needs_write = 1;
	}
	a->nextents = (uint32_t)img->nextents;
	if (img->nparents)
		merge_inherited(a, img, lazy, parent_fd, o->verbose);
	free(index_of);
	free(parent_fd);
	/* A section is checked where its pages land, if none of them is mapped
	 * (checking a mapped one would read it all). */
	struct blob_pages_sum *bs = (struct blob_pages_sum *)((char *)a + a->sums_off);
	a->nsums = 0;
	for (size_t i = 0; i < img->ndeferred; i++) {
		const struct img_pages_sum *d = &img->deferred[i];
		int mapped = 0;
		for (size_t j = d->first_extent; j < d->first_extent + d->nextents; j++)
			mapped |= lazy[j];
		if (!mapped)
			bs[a->nsums++] = (struct blob_pages_sum){ d->state, d->expect, d->sec_off,
								  (uint32_t)d->first_extent, (uint32_t)d->nextents };
	}
	free(lazy);
	if (o->lazy && o->verbose)
		say("--lazy: the page data of %zu of %zu PAGES sections is mapped and not checked (run tcp-restore "
		    "--check %s to verify it all)",
		    img->ndeferred - a->nsums, img->ndeferred, o->image);

	vdso_moves(a, v, temp);
	unmap_plan(a, v, read_mmap_min());

	const struct tcp_mm *mm = &img->proc.mm;
	a->mm = (struct blob_prctl_mm_map){ mm->start_code, mm->end_code, mm->start_data, mm->end_data,
					    mm->start_brk, mm->brk, mm->start_stack, mm->arg_start,
					    mm->arg_end, mm->env_start, mm->env_end, 0, img->proc.auxv_bytes, 0 };
	memcpy(a->auxv, img->proc.auxv, img->proc.auxv_bytes);
	memcpy(a->rlimits, img->proc.rlimits, sizeof(a->rlimits));
	/* /proc/PID/exe names the program again, not tcp-restore: the blob
	 * sets it with PR_SET_MM_MAP, which needs CAP_CHECKPOINT_RESTORE (or
	 * CAP_SYS_ADMIN) in the process's user namespace: root has it, and so
	 * has a plain user's restore in the user namespace tcp-restore makes;
	 * --no-namespace as a plain user has not (the blob goes on without).
	 * The file must be one the program could execute. */
	a->exe_fd = (uint32_t)-1;
	struct stat est;
	int efd = open(img->proc.exe, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int high = efd >= 0 && !fstat(efd, &est) && S_ISREG(est.st_mode) ? fcntl(efd, F_DUPFD_CLOEXEC, floor) : -1;
	if (efd >= 0)
		close(efd);
	if (high >= 0)
		a->exe_fd = (uint32_t)high;
	/* The blob runs as the main thread (its tid is the pid); it creates
	 * the others with their own tids, which are free in the new PID
	 * namespace tcp-restore runs in. */
	const struct tcp_thread *t = main_thread_of(img);
	if (img->nthreads > 1 && getpid() != img->proc.pid) {
		say("image %s holds %zu threads, which must get their thread ids back, but this process is pid %d, "
		    "not %d (restore without --no-namespace)", o->image, img->nthreads, (int)getpid(), img->proc.pid);
		return NULL;
	}
	a->fs_base = t->fs_base;
	memcpy(a->ctx, t->ctx, sizeof(a->ctx));
	struct blob_thread *bt = (struct blob_thread *)((char *)a + a->threads_off);
	for (size_t i = 0; i < img->nthreads; i++) {
		const struct tcp_thread *x = &img->threads[i];
		if (x == t)
			continue;
		bt[a->nthreads] = (struct blob_thread){ .tid = x->tid, .fs_base = x->fs_base };
		memcpy(bt[a->nthreads].ctx, x->ctx, sizeof(x->ctx));
		a->nthreads++;
	}
	a->resume_slot = img->proc.resume_slot;
	a->status_id = o->status_id;

	struct launch *l = malloc(sizeof(*l));
	l->args = a;
	l->entry = base;
	l->stack_top = base + total - 64;
	if (o->verbose)
		say("restorer at %#llx (%llu KiB), %u regions, %u page extents", (unsigned long long)at,
		    (unsigned long long)(total >> 10), a->nregions, a->nextents);
	return l;
}

int prepare_signals(const struct tcp_image *img)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s <= TCP_NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		const struct tcp_ksigaction *k = &img->proc.sigactions[s - 1];
		if (syscall(SYS_rt_sigaction, s, k, NULL, 8)) {
			say("cannot restore the action of signal %d: %s", s, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* glibc registered an rseq area for this thread; the blob unmaps it, and
 * the kernel would then fault writing the cpu number into it. */
int drop_own_rseq(void)
{
	extern const long __rseq_offset __attribute__((weak));
	extern const unsigned int __rseq_size __attribute__((weak));
	if (!&__rseq_size || !__rseq_size)
		return 0;
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	unsigned lens[2] = { 32, __rseq_size };
	for (int i = 0; i < 2; i++)
		if (syscall(SYS_rseq, area, lens[i], 1 /* RSEQ_FLAG_UNREGISTER */, 0x53053053) == 0)
			return 0;
	say("cannot unregister the restorer's rseq area: %s", strerror(errno));
	return -1;
}

void jump_to_blob(struct launch *l)
{
	/* The blob's entry expects the ABI's stack alignment at a call. */
	uint64_t sp = ((uint64_t)l->stack_top & ~15ull) - 8;
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "jmpq *%1\n\t"
			 :
			 : "r"(sp), "r"(l->entry), "D"(l->args)
			 : "memory");
	__builtin_unreachable();
}
