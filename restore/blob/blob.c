/* The restore blob (DESIGN §4, stage 2): freestanding, position independent,
 * raw system calls only. It runs from its own mapping, on its own stack,
 * after the hosted stage has validated everything. From here on there is no
 * way back: any failure prints a message naming the step and exits. */
#include "../blob_args.h"
#include "commit.h"
#include "tree_sync.h"
#include "../../common/rawsys.h"
#include "../../common/errno_text.h"
#include "../../common/fstr.h"
#include "../../common/progress_text.h"
#include "../../image/format.h"
#include "../../image/page_hash.h"

#include <fcntl.h>
#include <sys/mman.h>

#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif
#define PR_SET_MM 35
#define PR_SET_MM_MAP 14
#define ARCH_SET_FS 0x1002

/* gcc may emit calls to these for struct copies even when freestanding. */
void *memcpy(void *d, const void *s, unsigned long n)
{
	f_memcpy(d, s, n);
	return d;
}
void *memset(void *d, int c, unsigned long n)
{
	f_memset(d, c, n);
	return d;
}

static __attribute__((noreturn)) void die(const struct blob_args *a, const char *what, uint64_t addr, long err)
{
	char mem[768];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puts(&b, "tcp-restore: fatal: ");
	fb_puts(&b, what);
	fb_puts(&b, " at 0x");
	fb_putu(&b, addr, 16, 0);
	fb_puts(&b, " failed (");
	fb_put_errno(&b, err);
	fb_puts(&b, ") while restoring ");
	fb_puts(&b, a->image_path);
	fb_puts(&b, "; the process cannot continue (nothing was changed on disk)\n");
	blob_undo(a);
	r_write(a->report_fd, b.p, b.len);
	r_exit_group(1);
}

static int is_err(long r) { return r < 0 && r > -4096; }

static void move_vdso(const struct blob_args *a)
{
	/* If the target block overlaps where the block is now, park it at a
	 * free place first: mremap cannot move onto an overlapping range. */
	for (int pass = a->moves_via_temp ? 0 : 1; pass < 2; pass++) {
		for (uint32_t i = 0; i < a->nmoves; i++) {
			const struct blob_move *m = &a->moves[i];
			uint64_t from = pass == 1 && a->moves_via_temp ? a->temp_base + (m->from - a->moves[0].from) : m->from;
			uint64_t to = pass == 0 ? a->temp_base + (m->from - a->moves[0].from) : m->to;
			if (from == to)
				continue;
			long r = (long)r_mremap((void *)from, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
			if (is_err(r))
				die(a, "moving the vdso", to, r);
		}
	}
}

#define SHM_REMAP_ 040000
#define IPC_RMID_ 0

/* System V segments first (see sysv_attachments in launch.c): shmat maps
 * the whole segment, so the parts the program had not mapped are removed
 * before the other regions are mapped over them. */
static void attach_sysv(const struct blob_args *a)
{
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		if (r->shmid < 0 || !r->shm_len)
			continue;
		uint64_t base = r->start - r->offset;
		long p = rsys3(__NR_shmat, r->shmid, (long)base, (long)(r->shm_flags | SHM_REMAP_));
		if (is_err(p) || (uint64_t)p != base)
			die(a, "attaching a System V shared memory segment", base, is_err(p) ? p : -17);
		uint64_t cursor = base;
		for (uint32_t j = i; j < a->nregions; j++) {
			const struct blob_region *q = &regs[j];
			if (q->shmid != r->shmid || q->start - q->offset != base)
				continue;
			if (q->start > cursor)
				r_munmap((void *)cursor, q->start - cursor);
			cursor = q->end;
		}
		if (cursor < base + r->shm_len)
			r_munmap((void *)cursor, base + r->shm_len - cursor);
		if (r->shm_rmid)
			r_shmctl(r->shmid, IPC_RMID_, 0);
	}
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		if (r->shmid >= 0) {
			long rc = r_mprotect((void *)r->start, r->end - r->start, (int)r->prot);
			if (rc < 0)
				die(a, "setting the protection of a System V mapping", r->start, rc);
		}
	}
}

static void map_regions(const struct blob_args *a)
{
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		if (r->shmid >= 0)
			continue; /* attach_sysv */
		int prot = (int)r->prot;
		if (r->needs_write)
			prot |= PROT_READ | PROT_WRITE;
		int flags = MAP_FIXED;
		if (r->kind == TCP_REG_FILE_SHARED || (r->kind == TCP_REG_SHM && !(r->flags & TCP_REGF_PRIVATE)))
			flags |= MAP_SHARED;
		else
			flags |= MAP_PRIVATE;
		if (r->fd < 0)
			flags |= MAP_ANONYMOUS;
		if (r->flags & TCP_REGF_GROWSDOWN)
			flags |= MAP_GROWSDOWN;
		if (r->flags & TCP_REGF_NORESERVE)
			flags |= MAP_NORESERVE;
		void *p = r_mmap((void *)r->start, r->end - r->start, prot, flags, r->fd,
				 r->fd < 0 ? 0 : (long)r->offset);
		if (is_err((long)p) || (uint64_t)p != r->start)
			die(a, "mapping a region", r->start, is_err((long)p) ? (long)p : -17);
	}
}

/* The madvise state the mappings had (TCP_REGF_*, from smaps VmFlags). Run
 * before the pages are read, so that MADV_HUGEPAGE memory is faulted in as
 * huge pages, and again after, since an extent mapped from the image
 * (--lazy) replaced part of a mapping. THP and KSM are hints the kernel may
 * lack (EINVAL): a failure there changes no result. The fork flags do. */
static void advise_regions(const struct blob_args *a)
{
	static const struct {
		uint32_t flag;
		int advice, required;
	} advices[] = {
		{ TCP_REGF_HUGEPAGE, 14 /* MADV_HUGEPAGE */, 0 },   { TCP_REGF_NOHUGEPAGE, 15 /* MADV_NOHUGEPAGE */, 0 },
		{ TCP_REGF_MERGEABLE, 12 /* MADV_MERGEABLE */, 0 }, { TCP_REGF_DONTDUMP, 16 /* MADV_DONTDUMP */, 0 },
		{ TCP_REGF_DONTFORK, 10 /* MADV_DONTFORK */, 1 },   { TCP_REGF_WIPEONFORK, 18 /* MADV_WIPEONFORK */, 1 },
	};
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		for (unsigned k = 0; k < sizeof(advices) / sizeof(advices[0]); k++) {
			if (!(r->flags & advices[k].flag))
				continue;
			long rc = r_madvise((void *)r->start, r->end - r->start, advices[k].advice);
			if (rc < 0 && advices[k].required)
				die(a, advices[k].advice == 10 ? "setting MADV_DONTFORK on a region"
							      : "setting MADV_WIPEONFORK on a region",
				    r->start, rc);
		}
	}
}

/* A warning line on tcp-restore's stderr: begin, add to b, end. */
static void warn_begin(struct fbuf *b, char *mem, size_t cap)
{
	fb_init(b, mem, cap);
	fb_puts(b, "tcp-restore: warning: ");
}

static void warn_end(const struct blob_args *a, struct fbuf *b)
{
	fb_putc(b, '\n');
	r_write(a->report_fd, b->p, b->len);
}

/* The program's resource limits as they were. A limit above tcp-restore's
 * own hard limit cannot be set by an unprivileged process: the program then
 * runs with the lower one, which is said (a lower RLIMIT_NOFILE or
 * RLIMIT_STACK may change what it can do). */
static void set_rlimits(const struct blob_args *a)
{
	static const char names[16][11] = { "CPU",	"FSIZE", "DATA", "STACK",     "CORE",	  "RSS",
					    "NPROC",	"NOFILE", "MEMLOCK", "AS",	      "LOCKS",	  "SIGPENDING",
					    "MSGQUEUE", "NICE",	 "RTPRIO", "RTTIME" };
	for (int i = 0; i < 16; i++) {
		long rc = r_prlimit(0, i, &a->rlimits[i], 0);
		if (rc < 0) {
			char mem[512];
			struct fbuf b;
			warn_begin(&b, mem, sizeof(mem));
			fb_puts(&b, "cannot set RLIMIT_");
			fb_puts(&b, names[i]);
			fb_puts(&b, " back to its value at the checkpoint (");
			fb_put_errno(&b, rc);
			fb_puts(&b, "; tcp-restore's own hard limit is lower: raise it, e.g. with ulimit -H, to restore "
				    "it); the program runs with tcp-restore's limit");
			warn_end(a, &b);
		}
	}
}

/* mlock'd memory locked again, once its pages are in and the program's
 * RLIMIT_MEMLOCK is back, so that the limit it was locked under applies.
 * Locking changes no result, only paging: failures (a lower limit here) are
 * reported, in one line, and the program runs on with those regions
 * unlocked. */
static void lock_regions(const struct blob_args *a)
{
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	uint32_t locked = 0, failed = 0;
	uint64_t first = 0;
	long first_err = 0;
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		if (!(r->flags & TCP_REGF_LOCKED))
			continue;
		locked++;
		long rc = rsys3(__NR_mlock2, (long)r->start, (long)(r->end - r->start),
				r->flags & TCP_REGF_LOCKONFAULT ? 1 /* MLOCK_ONFAULT */ : 0);
		if (rc < 0 && !failed++) {
			first = r->start;
			first_err = rc;
		}
	}
	if (failed) {
		char mem[512];
		struct fbuf b;
		warn_begin(&b, mem, sizeof(mem));
		fb_puts(&b, "cannot lock ");
		fb_putu(&b, failed, 10, 0);
		fb_puts(&b, " of the ");
		fb_putu(&b, locked, 10, 0);
		fb_puts(&b, " locked regions in memory again (the first at 0x");
		fb_putu(&b, first, 16, 0);
		fb_puts(&b, ": mlock, ");
		fb_put_errno(&b, first_err);
		fb_puts(&b, "; raise `ulimit -l` to keep them locked); the program runs on with them unlocked");
		warn_end(a, &b);
	}
}

/* Seals that would have refused the mappings just made (restore/shm.c). */
static void seal_late(const struct blob_args *a)
{
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	for (uint32_t i = 0; i < a->nregions; i++) {
		if (!regs[i].late_seals)
			continue;
		long rc = r_fcntl(regs[i].fd, 1033 /* F_ADD_SEALS */, regs[i].late_seals);
		if (rc < 0)
			die(a, "sealing a memfd mapped", regs[i].start, rc);
	}
}

/* One extent mapped from its image file (tcp-restore --lazy): the kernel
 * loads each page on first touch; a write copies it (MAP_PRIVATE). */
static void map_extent(const struct blob_args *a, const struct blob_extent *e)
{
	void *p = r_mmap((void *)e->addr, e->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | (int)e->map_flags,
			 e->fd, (long)e->file_off);
	if (is_err((long)p) || (uint64_t)p != e->addr)
		die(a, "mapping pages from the image (--lazy)", e->addr, is_err((long)p) ? (long)p : -17);
}

/* Clears O_DIRECT on fd; returns 1 if it was set (so a retry may work). */
static int drop_o_direct(int fd)
{
	long fl = r_fcntl(fd, 3 /* F_GETFL */, 0);
	if (fl < 0 || !(fl & 040000 /* O_DIRECT */))
		return 0;
	return r_fcntl(fd, 4 /* F_SETFL */, fl & ~040000L) == 0;
}

/* tcp-restore -v: the bytes read of those to read. On a terminal a line
 * rewritten in place (\r), at most every 0.2 s: reads are cut to
 * PROGRESS_CHUNK, and the clock is looked at once per MiB read; else
 * nothing until the summary. */
#define PROGRESS_CHUNK (16u << 20)
#define PROGRESS_EVERY_MS 200

struct progress {
	uint32_t mode;		/* enum blob_progress */
	uint64_t done, total;
	uint64_t checked;	/* done when the clock was last looked at */
	uint64_t t0_ms, shown_ms;
};

static uint64_t mono_ms(void)
{
	long ts[2] = { 0, 0 };
	r_clock_gettime(1 /* CLOCK_MONOTONIC */, ts);
	return (uint64_t)ts[0] * 1000 + (uint64_t)ts[1] / 1000000;
}

static void progress_show(const struct blob_args *a, struct progress *p, int last)
{
	char mem[256];
	struct fbuf b;
	uint64_t now = mono_ms();
	fb_init(&b, mem, sizeof(mem));
	if (p->mode == BLOB_PROGRESS_LIVE)
		fb_puts(&b, "\r\033[K"); /* over the line shown before */
	fb_puts(&b, "tcp-restore: ");
	if (last) {
		fb_puts(&b, "read ");
		progress_summary(&b, p->done, " of page data", now - p->t0_ms);
		fb_putc(&b, '\n');
	} else {
		fb_puts(&b, "reading pages: ");
		progress_text(&b, p->done, p->total, now - p->t0_ms);
	}
	r_write(a->report_fd, b.p, b.len);
	p->shown_ms = now;
}

static void progress_add(const struct blob_args *a, struct progress *p, uint64_t n)
{
	p->done += n;
	if (p->mode != BLOB_PROGRESS_LIVE || p->done - p->checked < (1u << 20))
		return;
	p->checked = p->done;
	if (mono_ms() - p->shown_ms >= PROGRESS_EVERY_MS)
		progress_show(a, p, 0);
}

static void read_extent(const struct blob_args *a, const struct blob_extent *e, struct progress *p)
{
	uint64_t done = 0;
	/* Fault the extent's memory in with one call: a read into fresh
	 * memory that takes one page fault per page is several times
	 * slower (4.0 s instead of 0.7 s for 1 GiB on the test VM).
	 * Kernels before 5.14 say EINVAL, and the read faults instead. */
	r_madvise((void *)e->addr, e->len, 23 /* MADV_POPULATE_WRITE */);
	while (done < e->len) {
		uint64_t want = e->len - done;
		uint64_t most = p->mode == BLOB_PROGRESS_LIVE ? PROGRESS_CHUNK : 1u << 30;
		if (want > most)
			want = most;
		long n = e->mode == BLOB_EXT_STREAM
				 ? r_read(e->fd, (char *)e->addr + done, want)
				 : r_pread(e->fd, (char *)e->addr + done, want, (long)(e->file_off + done));
		if (n == -4)
			continue;
		if (n == -22 && e->mode == BLOB_EXT_PREAD && drop_o_direct(e->fd))
			continue; /* O_DIRECT refused here: read through the page cache */
		if (n <= 0)
			die(a, e->mode == BLOB_EXT_STREAM ? "reading pages from the decompressor"
							  : "reading pages from the image",
			    e->addr + done, n < 0 ? n : -5);
		done += (uint64_t)n;
		progress_add(a, p, (uint64_t)n);
	}
}

static void read_pages(const struct blob_args *a)
{
	const struct blob_extent *pre = (const void *)((const char *)a + a->prereads_off);
	const struct blob_extent *ext = (const void *)((const char *)a + a->extents_off);
	struct progress p = { a->progress, 0, 0, 0, 0, 0 };
	if (p.mode) {
		for (uint32_t i = 0; i < a->nprereads; i++)
			p.total += pre[i].len;
		for (uint32_t i = 0; i < a->nextents; i++)
			if (ext[i].mode == BLOB_EXT_PREAD || ext[i].mode == BLOB_EXT_STREAM)
				p.total += ext[i].len;
		p.t0_ms = mono_ms();
		if (p.mode == BLOB_PROGRESS_LIVE)
			progress_show(a, &p, 0);
	}
	for (uint32_t i = 0; i < a->nprereads; i++)
		read_extent(a, &pre[i], &p);
	for (uint32_t i = 0; i < a->nextents; i++) {
		if (ext[i].mode == BLOB_EXT_MAP)
			map_extent(a, &ext[i]);
		else if (ext[i].mode != BLOB_EXT_PREREAD)
			read_extent(a, &ext[i], &p);
	}
	if (p.mode)
		progress_show(a, &p, 1);
}

/* The page data of each PAGES section, now in place, against the section's
 * checksum. The address space is gone by now: a corrupted image ends the
 * restore here, before a single instruction of the program runs. */
#define VERIFY_CHUNK (1u << 20)

/* Checksums len bytes at addr. They are copied by the kernel
 * (process_vm_readv) into `buf` first: pages read with O_DIRECT have not yet
 * been touched through their user addresses, and the first such touch of
 * each page is what costs (about 1 s per GiB in a PVM guest); the program
 * pays it later, page by page, only for what it uses. */
static const char *kernel_copy(uint64_t addr, uint64_t n, char *buf)
{
	struct { uint64_t base, len; } local = { (uint64_t)buf, n }, remote = { addr, n };
	if (buf && rsys6(310 /* process_vm_readv */, r_getpid(), (long)&local, 1, (long)&remote, 1, 0) == (long)n)
		return buf;
	return (const char *)addr; /* e.g. seccomp: read in place */
}

static void sum_memory(struct csum *c, uint64_t addr, uint64_t len, char *buf)
{
	while (len) {
		uint64_t n = len > VERIFY_CHUNK ? VERIFY_CHUNK : len;
		csum_update(c, kernel_copy(addr, n, buf), n);
		addr += n;
		len -= n;
	}
}

static void verify_pages(const struct blob_args *a, char *buf)
{
	const struct blob_extent *ext = (const void *)((const char *)a + a->extents_off);
	const struct blob_pages_sum *sums = (const void *)((const char *)a + a->sums_off);
	for (uint32_t i = 0; i < a->nsums; i++) {
		struct csum c = sums[i].state;
		for (uint32_t j = 0; j < sums[i].nextents; j++) {
			const struct blob_extent *e = &ext[sums[i].first_extent + j];
			sum_memory(&c, e->addr, e->len, buf);
		}
		if (csum_final(&c) != sums[i].expect) {
			char mem[768];
			struct fbuf b;
			fb_init(&b, mem, sizeof(mem));
			fb_puts(&b, "tcp-restore: fatal: the page data of ");
			fb_puts(&b, a->image_path);
			fb_puts(&b, " is corrupted (checksum mismatch in the PAGES section at offset ");
			fb_putu(&b, sums[i].sec_off, 10, 0);
			fb_puts(&b, "); the program was not resumed and nothing was changed. Restore from an older "
				    "image\n");
			blob_undo(a);
			r_write(a->report_fd, b.p, b.len);
			r_exit_group(1);
		}
	}
}

/* Pages read from older images of an incremental chain, against this
 * image's hash of each (launch.c add_page_check). */
static void verify_inherited(const struct blob_args *a, char *buf)
{
	const struct blob_extent *ext = (const void *)((const char *)a + a->extents_off);
	const struct blob_page_check *c = (const void *)((const char *)a + a->checks_off);
	for (uint32_t i = 0; i < a->nchecks; i++) {
		const struct blob_extent *e = &ext[c[i].extent];
		const struct page_hash *want = (const void *)((const char *)a + c[i].hashes_off);
		const char *data = 0;
		for (uint64_t k = 0; k < e->len / TCP_PAGE_SIZE; k++) {
			uint64_t at = k * TCP_PAGE_SIZE % VERIFY_CHUNK;
			if (!at) {
				uint64_t left = e->len - k * TCP_PAGE_SIZE;
				data = kernel_copy(e->addr + k * TCP_PAGE_SIZE, left > VERIFY_CHUNK ? VERIFY_CHUNK : left, buf);
			}
			struct page_hash h;
			page_hash(data + at, &h);
			if (page_hash_eq(&h, &want[k]))
				continue;
			char mem[768];
			struct fbuf b;
			fb_init(&b, mem, sizeof(mem));
			fb_puts(&b, "tcp-restore: fatal: the page at 0x");
			fb_putu(&b, e->addr + k * TCP_PAGE_SIZE, 16, 0);
			fb_puts(&b, ", taken from an older image of the chain of ");
			fb_puts(&b, a->image_path);
			fb_puts(&b, " (offset ");
			fb_putu(&b, e->file_off + k * TCP_PAGE_SIZE, 10, 0);
			fb_puts(&b, "), does not match its hash: that image is damaged; the program was not resumed "
				    "and nothing was changed. Restore from an older full image\n");
			blob_undo(a);
			r_write(a->report_fd, b.p, b.len);
			r_exit_group(1);
		}
	}
}

static void protect_regions(const struct blob_args *a)
{
	const struct blob_region *regs = (const void *)((const char *)a + a->regions_off);
	for (uint32_t i = 0; i < a->nregions; i++) {
		const struct blob_region *r = &regs[i];
		if (!r->needs_write || (r->prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE))
			continue;
		long rc = r_mprotect((void *)r->start, r->end - r->start, (int)r->prot);
		if (rc < 0)
			die(a, "setting the protection of a region", r->start, rc);
	}
}

static void set_mm(struct blob_args *a)
{
	a->mm.auxv = (uint64_t)a->auxv;
	a->mm.exe_fd = a->exe_fd;
	long rc = r_prctl(PR_SET_MM, PR_SET_MM_MAP, (long)&a->mm, sizeof(a->mm), 0);
	if (rc < 0 && a->mm.exe_fd != (uint32_t)-1) {
		/* Setting /proc/PID/exe needs CAP_CHECKPOINT_RESTORE; the rest
		 * does not. Go on without it. */
		a->mm.exe_fd = (uint32_t)-1;
		rc = r_prctl(PR_SET_MM, PR_SET_MM_MAP, (long)&a->mm, sizeof(a->mm), 0);
	}
	if (rc < 0)
		die(a, "PR_SET_MM_MAP (brk, stack, arguments, auxv)", a->mm.start_brk, rc);
}

/* The kernel's struct clone_args (clone3). */
struct clone_args_k {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
		cgroup;
};

#define CLONE_THREAD_FLAGS                                                                                      \
	(0x100 /* VM */ | 0x200 /* FS */ | 0x400 /* FILES */ | 0x800 /* SIGHAND */ | 0x10000 /* THREAD */ |  \
	 0x40000 /* SYSVSEM */ | 0x80000 /* SETTLS */)

/* One more thread of the app, with its own tid and thread pointer. The new
 * thread starts on this thread's stack pointer but touches no stack: it
 * loads its resume context and jumps into libtcp (signals are blocked). */
static void create_thread(const struct blob_args *a, const struct blob_thread *t)
{
	int64_t tid = t->tid;
	struct clone_args_k ca = { .flags = CLONE_THREAD_FLAGS, .tls = t->fs_base, .set_tid = (uint64_t)&tid,
				   .set_tid_size = 1 };
	long ret;
	__asm__ volatile("syscall\n\t"
			 "testq %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "movq 0(%%rdx), %%rbx\n\t"
			 "movq 8(%%rdx), %%rbp\n\t"
			 "movq 16(%%rdx), %%r12\n\t"
			 "movq 24(%%rdx), %%r13\n\t"
			 "movq 32(%%rdx), %%r14\n\t"
			 "movq 40(%%rdx), %%r15\n\t"
			 "movq 48(%%rdx), %%rsp\n\t"
			 "movl $1, %%eax\n\t"
			 "jmpq *56(%%rdx)\n\t"
			 "1:\n\t"
			 : "=a"(ret)
			 : "0"(435L /* clone3 */), "D"(&ca), "S"(sizeof(ca)), "d"(t->ctx)
			 : "rcx", "r11", "memory");
	if (ret < 0)
		die(a, "creating a thread with its tid (clone3) for the resume context", t->ctx[7], ret);
}

__attribute__((section(".text.entry"), noreturn, used)) void blob_entry(struct blob_args *a)
{
	/* Another process of the tree failed already: nothing to read. */
	if (tree_sync_aborted(a))
		blob_abandon(a);
	for (uint32_t i = 0; i < a->nunmaps; i++)
		r_munmap((void *)a->unmaps[i].start, a->unmaps[i].end - a->unmaps[i].start);
	move_vdso(a);
	attach_sysv(a);
	map_regions(a);
	seal_late(a);
	advise_regions(a);
	read_pages(a);
	advise_regions(a);
	/* A buffer for the kernel's copies of the pages to check (kernel_copy). */
	char *buf = r_mmap(0, VERIFY_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (is_err((long)buf))
		buf = 0;
	verify_pages(a, buf);
	verify_inherited(a, buf);
	if (buf)
		r_munmap(buf, VERIFY_CHUNK);
	protect_regions(a);
	set_mm(a);
	set_rlimits(a);
	lock_regions(a);
	long rc = r_arch_prctl(ARCH_SET_FS, a->fs_base);
	if (rc < 0)
		die(a, "setting the thread pointer", a->fs_base, rc);

	struct tcp_resume_slot *slot = (struct tcp_resume_slot *)a->resume_slot;
	slot->blob_addr = a->self_start;
	slot->blob_len = a->self_len;
	slot->env_addr = a->env_len ? (uint64_t)a + a->env_off : 0;
	slot->env_len = a->env_len;
	slot->status_id = a->status_id;
	slot->restored = 1;

	/* The slot is written before any thread runs: whichever thread took
	 * the checkpoint reads it. */
	const struct blob_thread *threads = (const void *)((const char *)a + a->threads_off);
	for (uint32_t i = 0; i < a->nthreads; i++)
		create_thread(a, &threads[i]);
	/* Everything that can fail is done; the other threads wait in libtcp
	 * for this one. Only now does the restore change what others see:
	 * output files cut back, names put in place (commit.c); in a tree,
	 * once every process got here. */
	blob_commit(a);
	tree_sync_done(a);
	/* The restorer's own fds go, its stderr last. */
	if (a->report_fd < a->close_from) {
		rsys3(436 /* close_range */, a->close_from, ~0u, 0);
	} else {
		if (a->report_fd > a->close_from)
			rsys3(436 /* close_range */, a->close_from, a->report_fd - 1, 0);
		rsys3(436 /* close_range */, a->report_fd + 1, ~0u, 0);
		r_close(a->report_fd);
	}

	/* Into the app: callee-saved registers and stack as tcp_ctx_save() left
	 * them, returning 1. */
	__asm__ volatile("movq 0(%0), %%rbx\n\t"
			 "movq 8(%0), %%rbp\n\t"
			 "movq 16(%0), %%r12\n\t"
			 "movq 24(%0), %%r13\n\t"
			 "movq 32(%0), %%r14\n\t"
			 "movq 40(%0), %%r15\n\t"
			 "movq 48(%0), %%rsp\n\t"
			 "movl $1, %%eax\n\t"
			 "jmpq *56(%0)\n\t"
			 :
			 : "S"(a->ctx)
			 : "memory");
	__builtin_unreachable();
}
