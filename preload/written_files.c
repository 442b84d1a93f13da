/* Files the program and its process tree wrote and closed before a
 * checkpoint (issue 20 item 3): a restore must roll them back too, or a
 * log that `system("cmd >> log")` appends to every few steps gets the lines
 * between the checkpoint and the kill twice. An open fd is in the image;
 * a file written and closed again is not, so every process of the tree
 * notes each regular file it opens for writing (open, openat, creat,
 * fopen, freopen: the program's calls through libc; written_wrap.c). The
 * root keeps the list in its own memory (in its image, so that it survives
 * a restore); the other processes append to a journal in the status
 * directory (/tmp/tcp-UID/written.ROOT-START, named after the root's mark),
 * which the root takes into its list at each checkpoint. No fd of libtcp's
 * stays open in any program. At a checkpoint the root records each listed
 * file that no process of the tree has open now, with its size and
 * identity, as a WRITTEN section of its image: tcp-restore cuts it back
 * like an output fd's file. */
#define _GNU_SOURCE
#include "dump.h"
#include "written_files.h"
#include "env_read.h"
#include "tree/area.h"
#include "tree/role.h"
#include "../common/rawsys.h"
#include "../common/session_path.h"
#include "tree/query.h"

#include <fcntl.h>
#include <sys/stat.h>

#define KEPT_MAX 4096

struct journal_rec {
	uint64_t dev, ino;
	char path[496];		/* NUL-terminated; a longer path is not noted */
};

/* The root's list of every file noted so far (its own memory: in the
 * image). Appended to by any thread of the root; read while they are
 * stopped. */
static struct journal_rec *kept;
static volatile int nkept;

static int take_kept_memory(void)
{
	if (kept)
		return 0;
	void *p = tcp_scratch_map(KEPT_MAX * sizeof(*kept));
	if ((long)p < 0 && (long)p > -4096)
		return -1;
	struct journal_rec *none = 0;
	if (!__atomic_compare_exchange_n(&kept, &none, (struct journal_rec *)p, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		r_munmap(p, KEPT_MAX * sizeof(*kept));
	return 0;
}

static void keep_in(struct journal_rec *list, volatile int *count, const struct journal_rec *r)
{
	int n = *count;
	for (int i = 0; i < n && i < KEPT_MAX; i++)
		if (list[i].dev == r->dev && list[i].ino == r->ino) {
			f_memcpy(list[i].path, r->path, sizeof(r->path)); /* its latest name */
			return;
		}
	int at = __atomic_fetch_add(count, 1, __ATOMIC_SEQ_CST);
	if (at < KEPT_MAX)
		f_memcpy(&list[at], r, sizeof(*r));
	else
		__atomic_fetch_sub(count, 1, __ATOMIC_SEQ_CST);
}

static void keep(const struct journal_rec *r)
{
	keep_in(kept, &nkept, r);
}

/* The journal of the root's tree, opened in the checked status directory. */
static long journal_open(int flags)
{
	const char *mark = tcp_getenv("TCP_ROOT_PROCESS");
	if (!mark || !*mark)
		return -1;
	char name[64];
	struct fbuf b;
	fb_init(&b, name, sizeof(name));
	fb_puts(&b, "written.");
	for (const char *c = mark; *c && !b.full; c++)
		fb_putc(&b, *c >= '0' && *c <= '9' ? *c : '-');
	long dirfd = tcp_status_dir_fd();
	if (dirfd < 0)
		return -1;
	long fd = r_openat((int)dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	r_close((int)dirfd);
	struct stat st;
	if (fd >= 0 && (r_fstat((int)fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != (uid_t)r_getuid())) {
		r_close((int)fd);
		fd = -1;
	}
	return fd;
}

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
	/* An MPI runtime's session file (contact.txt): its state, not output;
	 * those it keeps open or mapped come back with their content. */
	r.path[n] = 0;
	if (session_path(r.path))
		return;
	if (tcp_role_is_root()) {
		if (take_kept_memory())
			return;
		keep(&r);
	} else {
		long j = journal_open(O_WRONLY | O_APPEND | O_CREAT);
		long w = j >= 0 ? r_write((int)j, &r, sizeof(r)) : -1;
		if (j >= 0)
			r_close((int)j);
		if (w != (long)sizeof(r))
			return;
	}
	last_dev = st.st_dev;
	last_ino = st.st_ino;
}

/* ---- at a checkpoint, in the root (raw syscalls: everything is stopped) ---- */

/* Whether the file is open in this process or, in a tree, in any of its
 * processes: then its fd record covers it; or stored as a shared memory
 * object (a /dev/shm file a rank made, wrote and mapped): its content is. */
static int open_now(struct dump_ctx *d, uint64_t dev, uint64_t ino)
{
	for (uint64_t i = 0; i < d->nfds; i++)
		if (d->fds[i].rec.dev == dev && d->fds[i].rec.inode == ino)
			return 1;
	const struct tree_area *a = tcp_tree;
	uint32_t major = (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
	uint32_t minor = (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
	uint64_t key = (uint64_t)major << 32 | minor;
	for (int i = 0; a && i < a->nfds; i++)
		if (a->fds[i].dev == key && a->fds[i].ino == ino)
			return 1;
	for (uint64_t i = 0; i < d->nshms; i++)
		if (d->shms[i].rec.type == TCP_SHM_POSIX && d->shms[i].rec.dev_major == major &&
		    d->shms[i].rec.dev_minor == minor && d->shms[i].rec.inode == ino)
			return 1;
	int nattach = 0;
	return tree_shm_owner(major, minor, ino, &nattach) != 0;
}

/* The members' journal into a list, then emptied if `empty`. */
static void take_journal(struct journal_rec *list, volatile int *count, int empty)
{
	long j = journal_open(O_RDWR);
	if (j < 0)
		return;
	struct journal_rec r;
	for (long off = 0; r_pread((int)j, &r, sizeof(r), off) == (long)sizeof(r); off += sizeof(r))
		if (r.path[sizeof(r.path) - 1] == 0 && r.path[0] == '/')
			keep_in(list, count, &r);
	if (empty)
		r_ftruncate((int)j, 0);
	r_close((int)j);
}

int dump_written(struct dump_ctx *d)
{
	d->written = 0;
	d->nwritten = 0;
	struct journal_rec *list = kept;
	volatile int *count = &nkept;
	int for_now = 0;
	if (!list) {
		/* The root has noted no file of its own yet, so its list is not
		 * mapped; mapped now, after its maps were read, it would be
		 * missing from the image (and the restored root would fault on
		 * it). This checkpoint lists into scratch memory, and the
		 * journal is kept for the next one. */
		list = arena_alloc(d, KEPT_MAX * sizeof(*list));
		if (!list) {
			fb_puts(&d->err, "out of scratch memory");
			return -1;
		}
		count = &for_now;
	}
	take_journal(list, count, list == kept);
	int n = *count < KEPT_MAX ? *count : KEPT_MAX;
	d->written = arena_alloc(d, (uint64_t)(n + 1) * sizeof(*d->written));
	if (!d->written) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	int still = 0;
	for (int i = 0; i < n; i++) {
		struct journal_rec *k = &list[i];
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
		if (&list[still] != k)
			f_memcpy(&list[still], k, sizeof(*k));
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
	*count = still;
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

void tcp_written_end(void)
{
	/* The root at its end: its tree's journal goes with it. */
	if (!tcp_role_is_root())
		return;
	long j = journal_open(O_RDONLY);
	if (j < 0)
		return;
	r_close((int)j);
	const char *mark = tcp_getenv("TCP_ROOT_PROCESS");
	char name[64];
	struct fbuf b;
	fb_init(&b, name, sizeof(name));
	fb_puts(&b, "written.");
	for (const char *c = mark; c && *c && !b.full; c++)
		fb_putc(&b, *c >= '0' && *c <= '9' ? *c : '-');
	long dirfd = tcp_status_dir_fd();
	if (dirfd >= 0) {
		r_unlinkat((int)dirfd, name, 0);
		r_close((int)dirfd);
	}
}
