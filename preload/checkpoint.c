/* One checkpoint, from the trigger handler: check, scan, write NAME.tmp,
 * fsync, rename, fsync the directory, point `latest` at it, drop old
 * generations. A failure at any step removes the temporary file, leaves the
 * previous images untouched and says why on stderr; the app goes on. */
#include "dump.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/mman.h>

#define ARENA_LEN (256ull << 20) /* reserved, not committed: only touched pages cost */

static uint64_t tcp_ctx[8];
/* What the resumed handler needs, kept in libtcp's own memory (which is in
 * the image) rather than on the dump's stack frames. */
static struct tcp_resume_info resume_info;

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* If `name` is "<prog>.NNNNNN.tcp", returns NNNNNN, else -1. */
static long image_generation(const char *name)
{
	size_t pl = f_strlen(tcp_prog);
	if (!f_memeq(name, tcp_prog, pl) || name[pl] != '.')
		return -1;
	const char *p = name + pl + 1;
	long g = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		g = g * 10 + (*p - '0');
	return (digits == 6 && f_streq(p, ".tcp")) ? g : -1;
}

/* Calls fn for every image of this program in the directory. */
static void for_each_image(int dirfd, char *buf, void (*fn)(int dirfd, const char *name, long gen, void *arg),
			   void *arg)
{
	r_lseek(dirfd, 0, 0);
	for (;;) {
		long n = r_getdents64(dirfd, buf, 65536);
		if (n <= 0)
			break;
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + pos);
			pos += e->d_reclen;
			long g = image_generation(e->d_name);
			if (g >= 0)
				fn(dirfd, e->d_name, g, arg);
		}
	}
}

static void max_gen(int dirfd, const char *name, long gen, void *arg)
{
	(void)dirfd, (void)name;
	if (gen > *(long *)arg)
		*(long *)arg = gen;
}

static void drop_old(int dirfd, const char *name, long gen, void *arg)
{
	if (gen <= *(long *)arg)
		r_unlinkat(dirfd, name, 0);
}

static void image_name(char *buf, size_t cap, const char *prefix, long gen, const char *suffix)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	fb_puts(&b, prefix);
	fb_puts(&b, tcp_prog);
	fb_putc(&b, '.');
	fb_putu(&b, (uint64_t)gen, 10, 6);
	fb_puts(&b, suffix);
}

static uint64_t now_ms(void)
{
	struct { long sec, nsec; } ts;
	r_clock_gettime(1 /* CLOCK_MONOTONIC */, &ts);
	return (uint64_t)ts.sec * 1000 + (uint64_t)ts.nsec / 1000000;
}

static int write_image(struct dump_ctx *d, int dirfd, long gen, char *final, size_t final_cap)
{
	char tmp[512];
	struct tcp_process *proc = arena_alloc(d, sizeof(*proc));
	if (!proc) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	if (dump_fill_process(d, proc, (uint32_t)gen))
		return -1;
	dump_fill_thread(d, &d->thread);
	resume_info.thread = d->thread;
	f_memcpy(resume_info.itimers, proc->itimers, sizeof(proc->itimers));
	resume_info.pending = proc->pending;
	image_name(tmp, sizeof(tmp), ".", gen, ".tcp.tmp");
	image_name(final, final_cap, "", gen, ".tcp");
	r_unlinkat(dirfd, tmp, 0); /* a leftover of a crashed checkpoint */
	long fd = r_openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fb_puts(&d->err, "cannot create ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_putc(&d->err, '/');
		fb_puts(&d->err, tmp);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, tcp_strerror(fd));
		return -1;
	}
	struct img_writer w;
	iw_begin(&w, (int)fd);
	iw_section(&w, TCP_SEC_PROCESS, proc, sizeof(*proc), 0, 0);
	dump_write_memory(d, &w);
	iw_section(&w, TCP_SEC_THREAD, &d->thread, sizeof(d->thread), 0, 0);
	dump_write_fds(d, &w);
	iw_end(&w);
	if (!w.err) {
		long rc = r_fsync((int)fd);
		if (rc < 0)
			w.err = (int)rc;
	}
	long rc = r_close((int)fd);
	if (!w.err && rc < 0)
		w.err = (int)rc;
	if (!w.err) {
		rc = r_renameat(dirfd, tmp, dirfd, final);
		if (rc < 0)
			w.err = (int)rc;
	}
	if (w.err) {
		r_unlinkat(dirfd, tmp, 0);
		fb_puts(&d->err, "writing the image in ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_puts(&d->err, " failed: ");
		fb_puts(&d->err, tcp_strerror(w.err));
		if (w.err == -28 || w.err == -122)
			fb_puts(&d->err, " (free some space or point TCP_DIR elsewhere)");
		return -1;
	}
	r_fsync(dirfd);
	/* `latest` is replaced atomically: a symlink made aside, renamed over. */
	r_unlinkat(dirfd, ".latest.tmp", 0);
	if (r_symlinkat(final, dirfd, ".latest.tmp") == 0)
		r_renameat(dirfd, ".latest.tmp", dirfd, "latest");
	r_fsync(dirfd);
	return 0;
}

/* Not inlined: its frames sit below tcp_ctx_save's and may be overwritten
 * freely; the resumed path returns through tcp_checkpoint only. */
static __attribute__((noinline)) enum tcp_ck_result dump(int sig, ucontext_t *uc)
{
	struct dump_ctx d;
	char final[512];
	uint64_t t0 = now_ms();

	f_memset(&d, 0, sizeof(d));
	fb_init(&d.err, d.err_mem, sizeof(d.err_mem));
	d.sig = sig;
	d.uc = uc;
	f_memcpy(d.thread.ctx, tcp_ctx, sizeof(tcp_ctx));

	d.arena = r_mmap(0, ARENA_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if ((long)d.arena < 0 && (long)d.arena > -4096) {
		TCP_MSG(m);
		fb_puts(&m, "checkpoint failed: cannot map scratch memory; the program continues");
		tcp_emit(&m);
		return TCP_CK_FAILED;
	}
	d.arena_len = ARENA_LEN;
	/* Keep the kernel from writing into our memory while it is written. */
	struct tcp_thread rs = { 0 };
	tcp_rseq_area(&rs.rseq_addr, &rs.rseq_len, &rs.rseq_sig);
	int rseq_paused = tcp_rseq_unregister(&rs);
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	d.stack_lo = sp - (1 << 20);
	d.stack_hi = sp + (1 << 20);

	int rc = -1;
	long dirfd = -1, gen = 0;
	d.pagemap = arena_alloc(&d, PAGEMAP_BATCH * 8);
	d.runs = arena_alloc(&d, RUNS_PER_SECTION * sizeof(struct tcp_run));
	d.bounce = arena_alloc(&d, BOUNCE_LEN);
	char *dents = arena_alloc(&d, 65536);
	if (!d.pagemap || !d.runs || !d.bounce || !dents)
		fb_puts(&d.err, "out of scratch memory");
	else if (tcp_tid_offset < 0)
		fb_puts(&d.err, "glibc's thread descriptor layout was not recognised at start-up");
	else if (!dump_check_process(&d) && !dump_scan_memory(&d) && !dump_scan_fds(&d)) {
		dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (dirfd < 0) {
			fb_puts(&d.err, "cannot open the image directory ");
			fb_puts(&d.err, tcp_cfg.dir);
			fb_puts(&d.err, ": ");
			fb_puts(&d.err, tcp_strerror(dirfd));
			if (dirfd == -2)
				fb_puts(&d.err, " (create it, or set TCP_DIR)");
		} else {
			for_each_image((int)dirfd, dents, max_gen, &gen);
			gen++;
			rc = write_image(&d, (int)dirfd, gen, final, sizeof(final));
		}
	}
	if (rc == 0) {
		long oldest_kept = gen - tcp_cfg.keep;
		for_each_image((int)dirfd, dents, drop_old, &oldest_kept);
	}
	if (dirfd >= 0)
		r_close((int)dirfd);
	if (tcp_cfg.log >= 1 || rc) {
		TCP_MSG(m);
		if (rc == 0) {
			uint64_t ms = now_ms() - t0;
			fb_puts(&m, "checkpoint ");
			fb_puti(&m, gen);
			fb_puts(&m, " written to ");
			fb_puts(&m, tcp_cfg.dir);
			fb_putc(&m, '/');
			fb_puts(&m, final);
			fb_puts(&m, " (");
			fb_putu(&m, d.nregions, 10, 0);
			fb_puts(&m, " regions, in ");
			fb_putu(&m, ms, 10, 0);
			fb_puts(&m, " ms)");
		} else {
			fb_puts(&m, "checkpoint failed: ");
			fb_puts(&m, d.err_mem);
			fb_puts(&m, "; the program continues, earlier images are unchanged");
		}
		tcp_emit(&m);
	}
	if (rc == 0) {
		char path[4700];
		struct fbuf p;
		fb_init(&p, path, sizeof(path));
		fb_puts(&p, tcp_cfg.dir);
		fb_putc(&p, '/');
		fb_puts(&p, final);
		tcp_status_write(1, path);
	} else {
		tcp_status_write(0, d.err_mem);
	}
	r_munmap(d.arena, d.arena_len);
	if (rseq_paused)
		tcp_rseq_register(&rs);
	return rc == 0 ? TCP_CK_WRITTEN : TCP_CK_FAILED;
}

enum tcp_ck_result tcp_checkpoint(int sig, ucontext_t *uc)
{
	tcp_slot.restored = 0;
	if (tcp_ctx_save(tcp_ctx)) {
		/* We come back here in the restored process. */
		tcp_after_restore(&resume_info);
		return TCP_CK_RESTORED;
	}
	return dump(sig, uc);
}
