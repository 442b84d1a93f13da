/* One checkpoint, from the trigger handler: check, scan, write NAME.tmp,
 * fsync, rename, fsync the directory, point `latest` at it, drop old
 * generations. A failure at any step removes the temporary file, leaves the
 * previous images untouched and says why on stderr; the app goes on. */
#include "dump.h"
#include "../common/rawsys.h"
#include "incremental.h"
#include "dir_lock.h"
#include "image_dir.h"
#include "image_names.h"
#include "dir_each.h"
#include "compress.h"
#include "writer_progress.h"
#include "written_files.h"
#include "tree/area.h"
#include "tree/lead.h"
#include "tree/member.h"
#include "tree/member_stop.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#define ARENA_LEN (256ull << 20) /* reserved, not committed: only touched pages cost */
/* Shared memory copied in the pause so that a forked writer can write it. */
#define SHM_SNAPSHOT_MAX (256ull << 20)

static uint64_t tcp_ctx[8];
/* What the resumed handler needs, kept in libtcp's own memory (which is in
 * the image) rather than on the dump's stack frames. */
static struct tcp_resume_info resume_info;

/* Calls fn for every name in the directory that is an image name of this
 * program (whoever owns the file: the callbacks look). */
struct each_image {
	void (*fn)(int dirfd, const char *name, long gen, void *arg);
	void *arg;
};

static void each_image(int dirfd, const char *name, void *arg)
{
	const struct each_image *x = arg;
	long g = image_name_generation(name, tcp_prog);
	if (g >= 0)
		x->fn(dirfd, name, g, x->arg);
}

static void for_each_image(int dirfd, char *buf, void (*fn)(int dirfd, const char *name, long gen, void *arg),
			   void *arg)
{
	struct each_image x = { fn, arg };
	dir_each(dirfd, buf, each_image, &x);
}

/* The next generation is one past the newest image of ours, whichever run
 * wrote it; files of other users do not count (a planted prog.999999.tcp
 * must not steer the numbering). */
static void max_gen(int dirfd, const char *name, long gen, void *arg)
{
	if (gen > *(long *)arg && image_is_ours(dirfd, name))
		*(long *)arg = gen;
}

/* TCP_KEEP: the `keep` newest images of this run stay, and so does every
 * older image a kept incremental one takes pages from (its PARENT section
 * lists the whole chain). Images of other runs (another job using the same
 * directory, an earlier run) and files that are not ours are never
 * deleted. */
#define KEEP_IMAGES_MAX 4096
#define KEEP_NEEDED_MAX 1024
struct own_image {
	long gen;
	char name[TCP_PARENT_NAME_MAX];
};
struct keep_plan {
	struct own_image *own;		/* this run's images, newest first once sorted */
	int nown;
	int overflow;			/* too many to track: delete nothing */
	struct tcp_process *proc;	/* scratch for image_run_of */
	char (*needed)[TCP_PARENT_NAME_MAX];
	int nneeded;
	struct tcp_parent *tmp;		/* TCP_INCREMENTAL_MAX */
};

static void collect_own(int dirfd, const char *name, long gen, void *arg)
{
	struct keep_plan *k = arg;
	uint64_t run;
	size_t len = f_strlen(name);
	if (len >= TCP_PARENT_NAME_MAX || image_run_of(dirfd, name, k->proc, &run) || run != tcp_run_id)
		return;
	if (k->nown == KEEP_IMAGES_MAX) {
		k->overflow = 1;
		return;
	}
	k->own[k->nown].gen = gen;
	f_memcpy(k->own[k->nown].name, name, len + 1);
	k->nown++;
}

static int is_needed(const struct keep_plan *k, const char *name)
{
	for (int i = 0; i < k->nneeded; i++)
		if (f_streq(k->needed[i], name))
			return 1;
	return 0;
}

static void note_needed(struct keep_plan *k, int dirfd, const char *name)
{
	int n = incr_image_parents(dirfd, name, k->tmp, TCP_INCREMENTAL_MAX);
	k->overflow |= n < 0;
	for (int i = 0; i < n; i++) {
		if (is_needed(k, k->tmp[i].name))
			continue;
		if (k->nneeded == KEEP_NEEDED_MAX) {
			k->overflow = 1;
			return;
		}
		f_memcpy(k->needed[k->nneeded++], k->tmp[i].name, TCP_PARENT_NAME_MAX);
	}
}

/* A tree's kept generation: the chains of its other processes' images
 * (NAME.GEN.pPID.tcp, each continuing the same pid's image) need older
 * images too. */
struct member_gen {
	struct keep_plan *k;
	long gen;
};

static void note_if_member(int dirfd, const char *name, void *arg)
{
	struct member_gen *m = arg;
	if (member_image_of(name, tcp_prog, m->gen))
		note_needed(m->k, dirfd, name);
}

static void note_needed_members(struct keep_plan *k, int dirfd, long gen, char *dents)
{
	struct member_gen m = { k, gen };
	dir_each(dirfd, dents, note_if_member, &m);
}

/* A generation stays whole while any image of it is needed: its root's
 * image or a member's that a kept chain takes pages from. */
static int generation_needed(const struct keep_plan *k, long gen)
{
	for (int i = 0; i < k->nneeded; i++)
		if (image_name_generation(k->needed[i], tcp_prog) == gen || member_image_of(k->needed[i], tcp_prog, gen))
			return 1;
	return 0;
}

static void keep_message(const char *why)
{
	TCP_MSG(m);
	fb_puts(&m, "TCP_KEEP: ");
	fb_puts(&m, why);
	fb_puts(&m, "; none deleted");
	tcp_emit(&m);
}

static void drop_old_images(struct dump_ctx *d, int dirfd)
{
	struct keep_plan k = { 0 };
	k.own = arena_alloc(d, KEEP_IMAGES_MAX * sizeof(*k.own));
	k.proc = arena_alloc(d, sizeof(*k.proc));
	k.needed = arena_alloc(d, KEEP_NEEDED_MAX * TCP_PARENT_NAME_MAX);
	k.tmp = arena_alloc(d, TCP_INCREMENTAL_MAX * sizeof(struct tcp_parent));
	if (!k.own || !k.proc || !k.needed || !k.tmp) {
		keep_message("out of scratch memory");
		return;
	}
	for_each_image(dirfd, d->dents, collect_own, &k);
	if (k.overflow) {
		keep_message("more than 4096 images of this run in the directory");
		return;
	}
	if (k.nown <= tcp_cfg.keep)
		return;
	for (int i = 1; i < k.nown; i++) /* newest first; a handful of images */
		for (int j = i; j > 0 && k.own[j].gen > k.own[j - 1].gen; j--) {
			struct own_image t = k.own[j];
			k.own[j] = k.own[j - 1];
			k.own[j - 1] = t;
		}
	for (int i = 0; i < tcp_cfg.keep && !k.overflow; i++) {
		note_needed(&k, dirfd, k.own[i].name);
		if (tcp_cfg.incremental)
			note_needed_members(&k, dirfd, k.own[i].gen, d->dents);
	}
	if (k.overflow) {
		keep_message("too many incremental images depend on older ones to track");
		return;
	}
	for (int i = tcp_cfg.keep; i < k.nown; i++)
		if (!generation_needed(&k, k.own[i].gen)) {
			r_unlinkat(dirfd, k.own[i].name, 0);
			/* A tree's generation: its members' images go with it. */
			tree_drop_member_images(dirfd, tcp_prog, k.own[i].gen, d->dents);
		}
}

/* Temporary files of this run that a crash left behind (a kill -9 in the
 * middle of a write), and a tree's member images of a generation that was
 * never completed. Only while we hold the directory's lock: then no other
 * process of this run is writing them. */
static void drop_if_tmp(int dirfd, const char *name, void *image_what)
{
	if (tmp_name_is(name, image_what, tcp_run_id) || tmp_name_is(name, "latest", tcp_run_id) ||
	    tmp_name_is(name, "finished", tcp_run_id))
		r_unlinkat(dirfd, name, 0);
}

static void drop_leftovers(struct dump_ctx *d, int dirfd, const char *image_what)
{
	if (!tcp_dir_lock_held())
		return;
	dir_each(dirfd, d->dents, drop_if_tmp, (void *)image_what);
	/* A tree's: its members' (their names differ from the root's). */
	tree_drop_leftovers(dirfd, tcp_prog, tcp_run_id, d->dents);
}

/* "<prog>.tcp", the <what> of an image's temporary name. */
static void image_tmp_what(char *buf, size_t cap)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	fb_puts(&b, tcp_prog);
	fb_puts(&b, ".tcp");
}

/* Says why `latest` cannot point at the new image `final` (d->err). */
static int latest_refused(struct dump_ctx *d, const char *final)
{
	fb_puts(&d->err, "the image ");
	fb_puts(&d->err, final);
	fb_puts(&d->err, " was written, but ");
	fb_puts(&d->err, tcp_cfg.dir);
	fb_puts(&d->err, "/latest cannot point at it: ");
	return -1;
}

/* `latest` is replaced atomically: a symlink made aside, renamed over. Only
 * a `latest` of ours is replaced: a symlink we made, naming an image of
 * this run, or any of ours while we hold the directory's lock (then no
 * other run is running). A `latest` that cannot be moved fails the
 * checkpoint: tcp-run and tcp-restore DIR would resume an older image, or
 * another job's. */
static int point_latest(struct dump_ctx *d, int dirfd, const char *final)
{
	struct stat st;
	long rc = r_fstatat(dirfd, "latest", &st, 0x100 /* AT_SYMLINK_NOFOLLOW */);
	if (rc < 0 && rc != -2) {
		latest_refused(d, final);
		fb_puts(&d->err, tcp_strerror(rc));
		return -1;
	}
	if (rc == 0 && !S_ISLNK(st.st_mode)) {
		latest_refused(d, final);
		fb_puts(&d->err, S_ISDIR(st.st_mode) ? "a directory" : "a file that is not a symbolic link");
		fb_puts(&d->err, " is in the way; remove it");
		return -1;
	}
	if (rc == 0 && st.st_uid != (uid_t)r_getuid()) {
		latest_refused(d, final);
		fb_puts(&d->err, "it was made by uid ");
		fb_putu(&d->err, st.st_uid, 10, 0);
		fb_puts(&d->err, ", not by you; remove it, and keep others from writing that directory");
		return -1;
	}
	/* Without the lock (a filesystem without locks), another run's
	 * `latest` may belong to a run that still runs. */
	if (rc == 0 && !tcp_dir_lock_held()) {
		char cur[TCP_PARENT_NAME_MAX];
		uint64_t run;
		struct tcp_process *proc = arena_alloc(d, sizeof(*proc));
		long n = r_readlinkat(dirfd, "latest", cur, sizeof(cur) - 1);
		if (n > 0)
			cur[n] = 0;
		if (n > 0 && proc && image_run_of(dirfd, cur, proc, &run) == 0 && run != tcp_run_id) {
			latest_refused(d, final);
			fb_puts(&d->err, "it names ");
			fb_puts(&d->err, cur);
			fb_puts(&d->err, ", an image of another run (");
			fb_putu(&d->err, run, 16, 16);
			fb_puts(&d->err, "), and this filesystem has no file locks to tell whether that run still runs. "
					 "Give each run its own TCP_DIR, or remove the old 'latest' if that run is over");
			return -1;
		}
	}
	const char *link_tmp = tcp_latest_tmp();
	rc = r_symlinkat(final, dirfd, link_tmp);
	if (rc == 0) {
		rc = r_renameat(dirfd, link_tmp, dirfd, "latest");
		if (rc < 0)
			r_unlinkat(dirfd, link_tmp, 0);
	}
	if (rc < 0) {
		latest_refused(d, final);
		fb_puts(&d->err, tcp_strerror(rc));
		if (rc == -21 || rc == -20 || rc == -39 /* a directory named latest */)
			fb_puts(&d->err, " (a directory named 'latest' is in the way: remove it)");
		return -1;
	}
	return 0;
}

/* A full filesystem (or quota): how much of the image was written when it
 * was, and how much room there is once the partial image is gone, so that
 * the user knows what to free. */
static void space_hint(struct fbuf *e, int dirfd, uint64_t written)
{
	struct statfs sf;
	fb_puts(e, " after ");
	fb_putu(e, (written + (1u << 20) - 1) >> 20, 10, 0);
	fb_puts(e, " MiB of the image were written");
	if (rsys2(__NR_fstatfs, dirfd, (long)&sf) == 0) {
		fb_puts(e, "; it needs more than that, and ");
		fb_putu(e, ((uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize) >> 20, 10, 0);
		fb_puts(e, " MiB are free there");
	}
	fb_puts(e, " (free some space or point TCP_DIR elsewhere)");
}

static int write_image(struct dump_ctx *d, int dirfd, long *gen, char *final, size_t final_cap)
{
	char tmp[512], what[160];
	struct tcp_process *proc = d->proc;
	/* A random temporary name (chosen before the writer was forked, so
	 * that the program can remove it if the writer dies: writer_child.c),
	 * created here (O_EXCL): no other writer shares it, not even a second
	 * restored copy of this program with the same pid; leftovers of a
	 * crash are removed later (drop_leftovers). */
	struct fbuf b;
	image_tmp_what(what, sizeof(what));
	fb_init(&b, tmp, sizeof(tmp));
	fb_puts(&b, tcp_image_tmp());
	/* Read-write: a section header already written is patched in place.
	 * O_DIRECT: no page cache to fill (which costs the app memory and, in a
	 * VM, as much as the write itself); refused by some filesystems. */
	const int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	long fd = r_openat(dirfd, tmp, flags | (tcp_cfg.direct ? 040000 /* O_DIRECT */ : 0), 0600);
	int direct = tcp_cfg.direct && fd >= 0;
	if (fd == -22 /* EINVAL: O_DIRECT refused at open */ && tcp_cfg.direct)
		fd = r_openat(dirfd, tmp, flags, 0600);
	if (fd < 0) {
		fb_puts(&d->err, "cannot create ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_putc(&d->err, '/');
		fb_puts(&d->err, tmp);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, tcp_strerror(fd));
		return -1;
	}
	proc->generation = (uint32_t)*gen;
	proc->nregions = (uint32_t)d->nregions;
	struct img_writer w;
	iw_begin_staged(&w, (int)fd, d->stage, STAGE_LEN, direct);
	w.on_pages = tcp_progress_add;
	iw_section(&w, TCP_SEC_PROCESS, proc, sizeof(*proc), 0, 0);
	incr_write_parent(&w);
	dump_write_memory(d, &w);
	for (int i = 0; i < d->nslots; i++)
		if (tcp_thread_valid(&d->threads[i]))
			iw_section(&w, TCP_SEC_THREAD, &d->threads[i], sizeof(d->threads[i]), 0, 0);
	dump_write_fds(d, &w);
	dump_write_written(d, &w);
	/* The root of a tree: every member's image is complete before its
	 * own, which names them (tree/lead.c). */
	int tree_failed = 0;
	if (d->tree == DUMP_TREE_ROOT && !w.err) {
		uint64_t mark = d->used, cap = 4u << 20;
		char *buf = arena_alloc(d, cap);
		fb_init(&d->err, d->err_mem, sizeof(d->err_mem));
		tree_failed = !buf || tree_write_section(tcp_tree, &w, buf, cap, &d->err);
		if (!buf)
			fb_puts(&d->err, "out of scratch memory for the description of the process tree");
		d->used = mark;
	}
	iw_end(&w);
	if (!w.err) {
		long rc = r_fsync((int)fd);
		if (rc < 0)
			w.err = (int)rc;
	}
	long rc = r_close((int)fd);
	if (!w.err && rc < 0)
		w.err = (int)rc;
	if (tree_failed) {
		r_unlinkat(dirfd, tmp, 0);
		return -1; /* d->err says why */
	}
	if (!w.err)
		d->process_sum = csum_buf_keyed(w.image_id, proc, sizeof(*proc));
	/* A member's image: the name the root gave it (a leftover of a failed
	 * checkpoint of the same generation is replaced). */
	if (d->tree == DUMP_TREE_MEMBER && !w.err) {
		fb_init(&b, final, final_cap);
		fb_puts(&b, tree_member_image());
		d->image_size = w.off;
		f_memcpy(d->image_id, w.image_id, sizeof(d->image_id));
		rc = r_renameat(dirfd, tmp, dirfd, final);
		if (rc < 0)
			w.err = (int)rc;
	}
	/* Never replace an image: if another writer took this generation,
	 * take the next one (the generation in the image is informational);
	 * a tree's generation is fixed, its members' images are named after it. */
	for (int tries = 0; !w.err && d->tree != DUMP_TREE_MEMBER; tries++) {
		fb_init(&b, final, final_cap);
		image_name_put(&b, tcp_prog, *gen);
		rc = rsys5(316 /* renameat2 */, dirfd, (long)tmp, dirfd, (long)final, 1 /* RENAME_NOREPLACE */);
		if (rc == 0)
			break;
		if (rc != -17 /* EEXIST */ || tries == 100 || d->tree)
			w.err = (int)rc;
		(*gen)++;
	}
	if (w.err) {
		r_unlinkat(dirfd, tmp, 0);
		fb_puts(&d->err, "writing the image in ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_puts(&d->err, " failed: ");
		const char *helper = compress_failure(); /* a compression worker that died says more */
		fb_puts(&d->err, helper[0] ? helper : tcp_strerror(w.err));
		if (w.err == -28 || w.err == -122)
			space_hint(&d->err, dirfd, w.file_end);
		if (w.err == -27 /* EFBIG */)
			tcp_fsize_hint(&d->err);
		return -1;
	}
	r_fsync(dirfd);
	if (d->tree == DUMP_TREE_MEMBER)
		return 0;
	if (point_latest(d, dirfd, final)) {
		fb_puts(&d->err, "; the new image is removed");
		r_unlinkat(dirfd, final, 0);
		r_fsync(dirfd);
		return -1;
	}
	r_fsync(dirfd);
	drop_leftovers(d, dirfd, what);
	return 0;
}

static void report(struct dump_ctx *d, int rc, long gen, const char *final, uint64_t t0)
{
	/* A member's outcome is the root's to tell (tree/lead.c). */
	if (d->tree == DUMP_TREE_MEMBER)
		return;
	if (tcp_cfg.log >= 1 || rc) {
		TCP_MSG(m);
		if (rc == 0) {
			fb_puts(&m, "checkpoint ");
			fb_puti(&m, gen);
			fb_puts(&m, " written to ");
			fb_puts(&m, tcp_cfg.dir);
			fb_putc(&m, '/');
			fb_puts(&m, final);
			fb_puts(&m, " (");
			if (d->tree) {
				fb_puts(&m, "a tree of ");
				fb_puti(&m, d->tree_procs);
				fb_puts(&m, " processes, ");
			}
			fb_putu(&m, d->nregions, 10, 0);
			fb_puts(&m, " regions, in ");
			fb_putu(&m, now_ms() - t0, 10, 0);
			fb_puts(&m, " ms)");
		} else {
			fb_puts(&m, "checkpoint failed: ");
			fb_puts(&m, d->err_mem);
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
		tcp_status_write(0, d->err_mem);
	}
}

/* TCP_DIR must be a directory others cannot tamper with (image_dir.c). */
static int image_dir_refused(struct dump_ctx *d, int dirfd)
{
	char mem[512];
	struct fbuf why;
	fb_init(&why, mem, sizeof(mem));
	if (!image_dir_trusted(dirfd, &why))
		return 0;
	fb_puts(&d->err, "TCP_DIR ");
	fb_puts(&d->err, tcp_cfg.dir);
	fb_puts(&d->err, ": ");
	fb_puts(&d->err, mem);
	return -1;
}

/* In the program itself (a forked writer's lock would go with it): TCP_DIR
 * is safe, and no other running program writes images into it: we hold its
 * lock (dir_lock.c), from the first checkpoint on if not from the start. A
 * directory that does not exist is reported by write_all. */
static int claim_image_dir(struct dump_ctx *d)
{
	static int said_no_locks;
	char mem[512];
	struct fbuf why;
	long dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0)
		return 0;
	if (image_dir_refused(d, (int)dirfd)) {
		r_close((int)dirfd);
		return -1;
	}
	fb_init(&why, mem, sizeof(mem));
	int lock = tcp_dir_lock((int)dirfd, tcp_status_pid(), &why);
	r_close((int)dirfd);
	if (lock == TCP_LOCK_BUSY || lock == TCP_LOCK_FOREIGN) {
		fb_puts(&d->err, "TCP_DIR ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, mem);
		if (lock == TCP_LOCK_BUSY)
			fb_puts(&d->err, ". Two programs writing images into one directory take each other's generations, "
					 "'latest' and TCP_KEEP deletions: give each its own TCP_DIR (for a SLURM job array, e.g. "
					 "tcp-run --dir ckpt-$SLURM_ARRAY_TASK_ID), or stop the other one");
		return -1;
	}
	if (lock == TCP_LOCK_UNSUPPORTED && !said_no_locks) {
		said_no_locks = 1;
		TCP_MSG(m);
		fb_puts(&m, "warning: TCP_DIR ");
		fb_puts(&m, tcp_cfg.dir);
		fb_puts(&m, " does not support file locks (flock): a second program or a second restore of this "
			    "image writing into it cannot be detected; give each run its own directory");
		tcp_emit(&m);
	}
	return 0;
}

/* Before the image is written, in the process itself: everything that a
 * forked writer would see differently (pending signals, timers, robust
 * list, fd offsets, the parent's pid). */
static int prepare(struct dump_ctx *d)
{
	d->pagemap = arena_alloc(d, PAGEMAP_BATCH * 8);
	d->runs = arena_alloc(d, RUNS_PER_SECTION * sizeof(struct tcp_run));
	d->bounce = arena_alloc(d, BOUNCE_LEN);
	char *stage = arena_alloc(d, STAGE_LEN + 3 * TCP_PAGE_SIZE);
	d->stage = stage ? (char *)(((uint64_t)stage + TCP_PAGE_SIZE - 1) & ~(uint64_t)(TCP_PAGE_SIZE - 1)) : 0;
	d->proc = arena_alloc(d, sizeof(*d->proc));
	if (!d->pagemap || !d->runs || !d->bounce || !d->stage || !d->proc) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	if (tcp_tid_offset < 0) {
		fb_puts(&d->err, "glibc's thread descriptor layout was not recognised at start-up");
		return -1;
	}
	if (dump_check_process(d) || dump_scan_fds(d) || dump_read_maps(d) || dump_scan_shm(d) ||
	    dump_fill_process(d, d->proc, 0) || (d->tree != DUMP_TREE_MEMBER && (claim_image_dir(d) || dump_written(d))))
		return -1;
	/* A stop signal from outside the tree pending in a member at the
	 * tree's stop checkpoint: the stop it asked for is this checkpoint. */
	if (d->tree == DUMP_TREE_MEMBER)
		tree_member_stop_drop_pending(d);
	resume_info.root = d->tree != DUMP_TREE_MEMBER;
	resume_info.thread = d->threads[0];
	resume_info.nthreads = d->nthreads;
	f_memcpy(resume_info.itimers, d->proc->itimers, sizeof(d->proc->itimers));
	resume_info.pending = d->proc->pending;
	return 0;
}

/* Memory, the image file, the older generations, the report. Runs in the
 * process itself or in the forked writer. Returns 0 or -1. */
static int write_all(struct dump_ctx *d, uint64_t t0, int in_writer)
{
	char final[512] = "";
	long gen = 0;
	int rc = -1;
	long dirfd = -1;
	/* Only a forked writer unwinds: libunwind keeps a pipe open once it
	 * has run, which must not appear among the app's own fds. */
	if (in_writer)
		tcp_backtraces(d->threads, d->nslots);
	/* A forked writer reads the pages through the kernel (dump_memory.c
	 * page_content); without /proc, through their addresses. */
	d->mem_fd = -1;
	d->window = in_writer ? arena_alloc(d, WINDOW_LEN) : 0;
	if (d->window)
		d->mem_fd = (int)r_open("/proc/self/mem", O_RDONLY | O_CLOEXEC, 0);
	if (d->mem_fd < 0)
		d->mem_fd = -1;
	if (!dump_scan_memory(d)) {
		dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (dirfd < 0) {
			fb_puts(&d->err, "cannot open the image directory ");
			fb_puts(&d->err, tcp_cfg.dir);
			fb_puts(&d->err, ": ");
			fb_puts(&d->err, tcp_strerror(dirfd));
			if (dirfd == -2)
				fb_puts(&d->err, " (create it, or set TCP_DIR)");
		} else if (!image_dir_refused(d, (int)dirfd)) {
			if (d->tree) {
				gen = d->gen; /* the whole tree's, chosen by the root */
			} else {
				for_each_image((int)dirfd, d->dents, max_gen, &gen);
				gen++;
			}
			incr_begin(d, (int)dirfd);
			tcp_progress_begin(d->expect_bytes);
			rc = write_image(d, (int)dirfd, &gen, final, sizeof(final));
			tcp_progress_end();
			incr_end(rc == 0);
		}
	}
	if (rc == 0 && d->tree != DUMP_TREE_MEMBER)
		drop_old_images(d, (int)dirfd);
	if (rc && d->tree == DUMP_TREE_ROOT && dirfd >= 0)
		tree_drop_member_images((int)dirfd, tcp_prog, gen, d->dents);
	if (d->tree == DUMP_TREE_MEMBER)
		tree_member_written(rc ? d->err_mem : 0, final, d->image_size, d->image_id, d->process_sum);
	/* The root gave up meanwhile (after it removed what it found). */
	if (rc == 0 && d->tree == DUMP_TREE_MEMBER && dirfd >= 0 && tree_member_aborted())
		r_unlinkat((int)dirfd, final, 0);
	if (dirfd >= 0)
		r_close((int)dirfd);
	if (d->mem_fd >= 0)
		r_close(d->mem_fd);
	report(d, rc, gen, final, t0);
	return rc;
}

/* The image written by the program itself (not by a forked writer): a
 * write past ulimit -f must not kill it (fsize_limit.c). */
static int write_in_program(struct dump_ctx *d, uint64_t t0)
{
	int xfsz = tcp_xfsz_pending();
	int rc = write_all(d, t0, 0);
	tcp_xfsz_take_ours(xfsz);
	return rc;
}

/* The generation the next image takes: one past the newest of ours in the
 * directory (a tree's root chooses it for the whole tree before anyone
 * writes). -1 with d->err if the directory cannot be read. */
static long next_generation(struct dump_ctx *d)
{
	long dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0) {
		fb_puts(&d->err, "cannot open the image directory ");
		fb_puts(&d->err, tcp_cfg.dir);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, tcp_strerror(dirfd));
		if (dirfd == -2)
			fb_puts(&d->err, " (create it, or set TCP_DIR)");
		return -1;
	}
	long gen = 0;
	for_each_image((int)dirfd, d->dents, max_gen, &gen);
	r_close((int)dirfd);
	return gen + 1;
}

/* How the checkpoint ends for the tree, once the root knows (nothing
 * without a tree). */
static void end_tree(struct dump_ctx *d, int rc)
{
	if (d->tree != DUMP_TREE_ROOT)
		return;
	tree_lead_end(rc ? TREE_ABORT : d->sig == tcp_cfg.stop_signal ? TREE_EXIT : TREE_RESUME);
	if (rc == 0)
		return;
	/* The members' images of the failed generation, those written by now;
	 * a writer that ends later sees TREE_ABORT and removes its own. */
	long dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd >= 0) {
		tree_drop_member_images((int)dirfd, tcp_prog, d->gen, d->dents);
		r_close((int)dirfd);
	}
}

/* A member's part after its state is taken (ok) or not: reports, waits for
 * the root's verdict; the stop signal's ends it here. */
static void member_done(struct dump_ctx *d, int ok, long writer_pid)
{
	int phase = tree_member_captured(d, ok, writer_pid);
	if (phase == TREE_EXIT) {
		if (writer_pid > 0)
			tcp_writer_wait(writer_pid);
		r_exit_group(TCP_EXIT_CHECKPOINTED);
	}
}

/* Not inlined: its frames sit below tcp_ctx_save's and may be overwritten
 * freely; the resumed path returns through tcp_checkpoint only. A member of
 * a process tree comes here with the value of its root's signal
 * (member_value >= 0); the root, and a process alone, with -1. */
static __attribute__((noinline)) enum tcp_ck_result dump(int sig, ucontext_t *uc, int member_value, int root_pid)
{
	struct dump_ctx d;
	uint64_t t0 = now_ms();
	int member = member_value >= 0;

	if (member) {
		tcp_writer_busy(1); /* the writer of the tree's last checkpoint: done */
	} else {
		/* A writer of an earlier checkpoint that has ended is judged
		 * first, under its own attempt's number. */
		int busy = tcp_writer_busy(0);
		tcp_status_begin();
		/* One checkpoint at a time: the stop signal waits for a forked
		 * writer to finish; other checkpoints are skipped while one is
		 * written. */
		if (busy && tcp_writer_busy(sig == tcp_cfg.stop_signal)) {
			TCP_MSG(m);
			fb_puts(&m, "checkpoint skipped: the previous one is still being written");
			tcp_emit(&m);
			tcp_status_write(0, "skipped: the previous checkpoint is still being written");
			tcp_quiesce_release();
			return TCP_CK_FAILED;
		}
	}
	f_memset(&d, 0, sizeof(d));
	fb_init(&d.err, d.err_mem, sizeof(d.err_mem));
	d.sig = sig;
	d.uc = uc;

	d.arena = tcp_scratch_map(ARENA_LEN);
	if ((long)d.arena < 0 && (long)d.arena > -4096) {
		TCP_MSG(m);
		fb_puts(&m, "checkpoint failed: cannot reserve ");
		fb_puti(&m, (long)(ARENA_LEN >> 20));
		fb_puts(&m, " MiB of address space for scratch memory (");
		fb_puts(&m, tcp_strerror((long)d.arena));
		fb_puts(&m, "; is the address space limited, ulimit -v?); the program continues");
		tcp_emit(&m);
		tcp_quiesce_release();
		return TCP_CK_FAILED;
	}
	d.arena_len = ARENA_LEN;
	d.dents = arena_alloc(&d, 65536);
	/* Every other thread stops at a signal frame and records itself. */
	tcp_pending_reset();
	int rc = d.dents ? tcp_quiesce_others(&d) : -1;
	if (!d.dents)
		fb_puts(&d.err, "out of scratch memory");
	d.threads = tcp_threads.slots;
	d.nslots = tcp_threads.nslots;
	struct tcp_thread *me = &d.threads[0];
	f_memset(me, 0, sizeof(*me));
	tcp_fill_thread(me, uc);
	me->is_leader = 1;
	f_memcpy(me->ctx, tcp_ctx, sizeof(tcp_ctx));
	for (int i = 0; i < d.nslots; i++)
		d.nthreads += tcp_thread_valid(&d.threads[i]);
	/* Keep the kernel from writing into our memory while it is written. */
	int rseq_paused = tcp_rseq_unregister(me);
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	d.stack_lo = sp - (1 << 20);
	d.stack_hi = sp + (1 << 20);

	if (member) {
		/* Our root stops its whole tree: tell it we are stopped, then
		 * follow it (tree/member.c). */
		if (tree_member_join(&d, member_value, root_pid)) {
			rc = -1;
			goto out;
		}
		d.tree = DUMP_TREE_MEMBER;
		d.gen = tcp_tree->generation;
		/* Before any state is read: the image knows it was a stop. */
		tcp_member_stop_note(tcp_tree->stop);
		tcp_image_tmp_choose_named(tree_member_image(), tcp_tree->run_id);
		if (tree_member_parked(&d, rc == 0) != TREE_DUMP)
			rc = -1;
		if (rc) {
			tcp_tree = 0;
			goto out;
		}
	} else {
		tcp_image_tmp_choose();
		/* With child processes, the whole tree (tree/lead.c). */
		long gen = rc == 0 ? next_generation(&d) : -1;
		if (rc == 0)
			rc = gen < 0 ? -1 : tree_lead_stop(&d, gen);
		if (rc == 0 && tcp_tree) {
			d.tree = DUMP_TREE_ROOT;
			d.gen = gen;
			d.tree_procs = tree_processes();
		}
		tcp_ck_processes = d.tree_procs > 1 ? d.tree_procs : 1;
	}

	/* Alone, or the tree's root that took them with its tree. */
	if (rc == 0 && !member)
		rc = dump_sock_flight_take(&d);
	if (rc == 0)
		rc = prepare(&d);
	if (rc == 0 && d.no_vmflags) {
		TCP_MSG(m);
		fb_puts(&m, "warning: /proc/self/smaps is over 128 MiB (too many mappings): the mappings' madvise "
			    "flags are not recorded, and the image is written by the paused program itself");
		tcp_emit(&m);
	}
	/* The members read their state meanwhile: every process's is taken
	 * before any goes on. */
	if (rc == 0 && d.tree == DUMP_TREE_ROOT)
		rc = tree_lead_captured(&d);
	if (rc) {
		report(&d, rc, 0, "", t0);
		if (member)
			member_done(&d, 0, 0);
	}
	/* Shared memory that this image stores is not copied on write: it is
	 * copied now, while everything is stopped (up to SHM_SNAPSHOT_MAX; an
	 * MPI job's transports), or the paused program writes its image; without
	 * the VmFlags, DONTFORK and WIPEONFORK memory cannot be told
	 * (dump_memory.c). */
	else if (tcp_cfg.fork && !d.no_vmflags && (!d.nshms_stored || dump_shm_snapshot(&d, SHM_SNAPSHOT_MAX) == 0)) {
		/* A copy-on-write child writes the image while the app runs on;
		 * for the stop signal the app waits for it, then exits. */
		long pid = -1;
		if (dump_fork_flags(&d, 0) == 0)
			pid = tcp_writer_clone();
		if (pid == 0)
			r_exit_group(write_all(&d, t0, 1) ? 1 : 0);
		if (dump_fork_flags(&d, 1)) {
			/* Unlikely (the opposite call on the same range just
			 * worked), but the app's mappings now lack a flag: say so. */
			TCP_MSG(m);
			fb_puts(&m, "warning: ");
			fb_puts(&m, d.err_mem);
			tcp_emit(&m);
		}
		fb_init(&d.err, d.err_mem, sizeof(d.err_mem));
		if (pid < 0)
			rc = write_in_program(&d, t0); /* cannot fork: write it ourselves */
		dump_shm_snapshot_drop(&d); /* the writer has its own copy */
		if (member) {
			if (pid > 0)
				tcp_writer_pid = pid;
			member_done(&d, rc == 0, pid > 0 ? pid : 0);
		} else if (pid > 0 && sig == tcp_cfg.stop_signal) {
			rc = tcp_writer_wait(pid);
		} else if (pid > 0) {
			tcp_writer_pid = pid;
		}
	} else {
		rc = write_in_program(&d, t0);
		if (member)
			member_done(&d, rc == 0, 0);
	}
	end_tree(&d, rc);
out:
	tcp_tree = 0;
	dump_sock_flight_close(&d);
	r_munmap(d.arena, d.arena_len);
	if (rseq_paused)
		tcp_rseq_register(me);
	/* After a checkpoint-and-stop the process exits with its threads still
	 * stopped: whatever they would do now, the restored run does. */
	if (!(rc == 0 && sig == tcp_cfg.stop_signal && !member))
		tcp_quiesce_release();
	if (tcp_cfg.log >= 2 && !member) {
		TCP_MSG(m);
		fb_puts(&m, "the program was paused for ");
		fb_putu(&m, now_ms() - t0, 10, 0);
		fb_puts(&m, tcp_writer_pid ? " ms (the image is written by pid " : " ms");
		if (tcp_writer_pid) {
			fb_puti(&m, tcp_writer_pid);
			fb_putc(&m, ')');
		}
		tcp_emit(&m);
	}
	return rc == 0 ? TCP_CK_WRITTEN : d.child_only ? TCP_CK_RETRY : TCP_CK_FAILED;
}

int tcp_ck_processes = 1;

enum tcp_ck_result tcp_checkpoint(int sig, ucontext_t *uc)
{
	/* One leader at a time; a thread whose trigger comes meanwhile stops
	 * for that checkpoint, then takes its own. */
	tcp_quiesce_lead_or_wait();
	tcp_slot.restored = 0;
	if (tcp_ctx_save(tcp_ctx)) {
		/* We come back here in the restored process. */
		tcp_after_restore(&resume_info);
		return TCP_CK_RESTORED;
	}
	return dump(sig, uc, -1, 0);
}

void tcp_checkpoint_member(int value, int root_pid, void *ucv)
{
	tcp_quiesce_lead_or_wait();
	tcp_slot.restored = 0;
	if (tcp_ctx_save(tcp_ctx)) {
		/* First, before the other threads run on: one of them may be
		 * waiting with the stop signal (tree/member_stop.c). */
		tcp_member_stop_restored();
		tcp_after_restore(&resume_info);
		return;
	}
	dump(0, ucv, value, root_pid);
}
