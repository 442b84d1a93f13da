/* Files the program and its process tree wrote and closed before a
 * checkpoint (issue 20 item 3): a restore must roll them back too, or a
 * log that `system("cmd >> log")` appends to every few steps gets the lines
 * between the checkpoint and the kill twice. An open fd is in the image;
 * a file written and closed again is not, so every process of the tree
 * notes each regular file it opens for writing (open, openat, creat,
 * fopen, freopen: the program's calls through libc) in a journal the root
 * holds: a memfd at a high fd, which the others reach as
 * /proc/ROOT/fd/N (TCP_WRITTEN_FD carries N; the wrappers are in
 * written_wrap.c). At a checkpoint the root
 * takes the journal into a list of its own memory (in its image, so that
 * it survives a restore), and records each file that no process of the
 * tree has open now, with its size and identity, as a WRITTEN record of
 * its image: tcp-restore cuts it back like an output fd's file. */
#define _GNU_SOURCE
#include "dump.h"
#include "written_files.h"
#include "env_read.h"
#include "tree/area.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/stat.h>

#define JOURNAL_FD_FLOOR 1001
#define KEPT_MAX 4096

struct journal_rec {
	uint64_t dev, ino;
	char path[496];		/* NUL-terminated; a longer path is not noted */
};

static int journal_fd = -1;	/* this process's fd on the journal */
static long journal_pid;	/* the process journal_fd belongs to (a fork child inherits it) */
static int root_journal_fd = -1;	/* the root: its memfd */

/* The root's list of every file noted so far (libtcp's memory: in the
 * image, kept across restores). */
static struct journal_rec *kept;
static int nkept;

uint64_t tcp_written_journal_ino(void)
{
	struct stat st;
	return root_journal_fd >= 0 && r_fstat(root_journal_fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int tcp_written_own_fd(int fd)
{
	return fd >= 0 && (fd == journal_fd || fd == root_journal_fd);
}

static int new_journal(void)
{
	long m = rsys2(__NR_memfd_create, (long)"tcp-written", 1 /* MFD_CLOEXEC */);
	if (m < 0)
		return -1;
	long fd = r_fcntl((int)m, 1030 /* F_DUPFD_CLOEXEC */, JOURNAL_FD_FLOOR);
	r_close((int)m);
	return fd < 0 ? -1 : (int)fd;
}

int tcp_written_open_root(void)
{
	root_journal_fd = new_journal();
	journal_fd = root_journal_fd;
	journal_pid = r_getpid();
	return root_journal_fd;
}

void tcp_written_after_restore(int root)
{
	/* libtcp's fds are not in the image. */
	journal_fd = -1;
	root_journal_fd = -1;
	if (!root)
		return;
	root_journal_fd = new_journal();
	journal_fd = root_journal_fd;
	journal_pid = r_getpid();
	if (root_journal_fd >= 0) {
		/* Rewritten in place: the handler may not allocate. */
		const char *cur = tcp_getenv("TCP_WRITTEN_FD");
		if (cur && f_strlen(cur) == 5) {
			struct fbuf b;
			fb_init(&b, (char *)cur, 6);
			fb_putu(&b, (uint64_t)root_journal_fd, 10, 5);
		}
	}
}

/* This process's fd on the root's journal (-1: none). */
static int journal(void)
{
	long me = r_getpid();
	if (journal_fd >= 0 && journal_pid == me)
		return journal_fd;
	/* A fork child shares the fd it inherited: the same journal. */
	if (journal_fd >= 0 && r_fcntl(journal_fd, 1 /* F_GETFD */, 0) >= 0)
		return journal_fd;
	const char *n = tcp_getenv("TCP_WRITTEN_FD");
	long root = tcp_role_tree_root();
	if (!n || !root)
		return -1;
	char path[64];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, root);
	fb_puts(&b, "/fd/");
	long num = 0;
	for (const char *c = n; *c >= '0' && *c <= '9'; c++)
		num = num * 10 + (*c - '0');
	fb_puti(&b, num); /* the variable is zero-padded; /proc's names are not */
	long fd = r_open(path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct stat st;
	/* The root's memfd, not something else at that number. */
	if (r_fstat((int)fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != (uid_t)r_getuid() || st.st_nlink != 0) {
		r_close((int)fd);
		return -1;
	}
	long high = r_fcntl((int)fd, 1030 /* F_DUPFD_CLOEXEC */, JOURNAL_FD_FLOOR);
	r_close((int)fd);
	journal_fd = high < 0 ? -1 : (int)high;
	journal_pid = me;
	return journal_fd;
}

/* Notes fd, just opened for writing, if it is a regular file. */
void tcp_written_note(int fd)
{
	if (!tcp_active || fd < 0)
		return;
	struct stat st;
	if (r_fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	/* The same file again and again (a log reopened every step). */
	static __thread uint64_t last_dev, last_ino;
	if (st.st_dev == last_dev && st.st_ino == last_ino)
		return;
	struct journal_rec r;
	f_memset(&r, 0, sizeof(r));
	r.dev = st.st_dev;
	r.ino = st.st_ino;
	char proc[64];
	path_append_num(proc, sizeof(proc), "/proc/self/fd/", fd, "");
	long n = r_readlinkat(R_AT_FDCWD, proc, r.path, sizeof(r.path) - 1);
	if (n <= 0 || n >= (long)sizeof(r.path) - 1 || r.path[0] != '/')
		return;
	int j = journal();
	if (j >= 0 && r_write(j, &r, sizeof(r)) == (long)sizeof(r)) {
		last_dev = st.st_dev;
		last_ino = st.st_ino;
	}
}

/* ---- at a checkpoint, in the root (raw syscalls: everything is stopped) ---- */

static void keep(const struct journal_rec *r)
{
	for (int i = 0; i < nkept; i++)
		if (kept[i].dev == r->dev && kept[i].ino == r->ino) {
			f_memcpy(kept[i].path, r->path, sizeof(r->path)); /* its latest name */
			return;
		}
	if (nkept < KEPT_MAX)
		f_memcpy(&kept[nkept++], r, sizeof(*r));
}

/* Whether the file is open in this process or, in a tree, in any of its
 * processes: then its fd record covers it. */
static int open_now(struct dump_ctx *d, uint64_t dev, uint64_t ino)
{
	for (uint64_t i = 0; i < d->nfds; i++)
		if (d->fds[i].rec.dev == dev && d->fds[i].rec.inode == ino)
			return 1;
	const struct tree_area *a = tcp_tree;
	uint64_t key = ((((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull)) << 32) |
		       ((dev & 0xff) | ((dev >> 12) & ~0xffull));
	for (int i = 0; a && i < a->nfds; i++)
		if (a->fds[i].dev == key && a->fds[i].ino == ino)
			return 1;
	return 0;
}

int dump_written(struct dump_ctx *d)
{
	d->written = 0;
	d->nwritten = 0;
	if (root_journal_fd < 0)
		return 0;
	if (!kept) {
		void *p = tcp_scratch_map(KEPT_MAX * sizeof(*kept));
		if ((long)p < 0 && (long)p > -4096)
			return 0; /* nothing noted can be kept: outputs closed since are not rolled back */
		kept = p;
	}
	/* The journal into the kept list, then empty again (every writer is
	 * stopped: this is the whole tree's checkpoint, or a lone process). */
	struct journal_rec r;
	for (long off = 0; r_pread(root_journal_fd, &r, sizeof(r), off) == (long)sizeof(r); off += sizeof(r))
		if (r.path[sizeof(r.path) - 1] == 0)
			keep(&r);
	r_ftruncate(root_journal_fd, 0);
	d->written = arena_alloc(d, (uint64_t)(nkept + 1) * sizeof(*d->written));
	if (!d->written) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	int still = 0;
	for (int i = 0; i < nkept; i++) {
		struct journal_rec *k = &kept[i];
		long fd = r_open(k->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
		struct stat st;
		int same = fd >= 0 && r_fstat((int)fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == k->dev &&
			   st.st_ino == k->ino;
		if (!same) {
			/* Gone, or another file by now (renamed away: a rotated
			 * log): nothing to roll back; forgotten. */
			if (fd >= 0)
				r_close((int)fd);
			continue;
		}
		if (&kept[still] != k)
			f_memcpy(&kept[still], k, sizeof(*k));
		still++;
		if (open_now(d, k->dev, k->ino)) {
			r_close((int)fd);
			continue;
		}
		struct dump_fd *out = &d->written[d->nwritten];
		struct tcp_fd *rec = &out->rec;
		f_memset(rec, 0, sizeof(*rec));
		rec->fd = -1;
		rec->kind = TCP_FD_REGULAR;
		rec->flags = O_WRONLY;
		rec->size = (uint64_t)st.st_size;
		rec->pos = (uint64_t)st.st_size;
		rec->mode = st.st_mode;
		rec->dev = st.st_dev;
		rec->inode = st.st_ino;
		rec->mtime_sec = st.st_mtim.tv_sec;
		rec->mtime_nsec = st.st_mtim.tv_nsec;
		rec->same_as = -1;
		f_memcpy(out->path, k->path, sizeof(k->path));
		rec->path_len = (uint32_t)f_strlen(out->path);
		out->data = 0;
		out->data_len = out->file_len = 0;
		out->locks = 0;
		const struct fd_probe probe = { fd, &st, 0, 0 };
		dump_fd_identity(d, &probe, out);
		r_close((int)fd);
		d->nwritten++;
	}
	nkept = still;
	return 0;
}

void dump_write_written(struct dump_ctx *d, struct img_writer *w)
{
	for (uint64_t i = 0; i < d->nwritten && !w->err; i++) {
		struct dump_fd *f = &d->written[i];
		iw_open(w, TCP_SEC_WRITTEN);
		iw_data(w, &f->rec, sizeof(f->rec));
		iw_data(w, f->path, f->rec.path_len);
		iw_close(w);
	}
}
