/* What the processes of a stopped tree share, found by the root before any
 * process reads its own state (DESIGN §8, "Identity of shared objects"):
 *   - every fd of every process (its inode, type and open flags), and which
 *     of them are one open file description (kcmp KCMP_FILE, asked only
 *     among fds on the same inode): a file inherited by the processes of a
 *     shell pipeline has one offset, and comes back with one;
 *   - every shared memory object mapped or held by a process of the tree,
 *     with the one process that stores its content (the first in the
 *     tree's order that has it), and for a System V segment the kernel's
 *     count of its attachments at that moment.
 * The processes then find their pipes' other ends, their sockets' peers and
 * their objects' owners in these tables (tree_query.c). Raw syscalls only. */
#include "area.h"
#include "discover.h"
#include "../dump.h"
#include "../dump_shm_names.h"
#include "../../common/maps_parse.h"
#include "../../common/proc_fields.h"
#include "../../common/rawsys.h"

#include <fcntl.h>
#include <sys/shm.h>

static uint64_t dev_key(uint32_t major, uint32_t minor)
{
	return (uint64_t)major << 32 | minor;
}

static uint64_t dev_key_of(uint64_t st_dev)
{
	uint32_t major = (uint32_t)(((st_dev >> 8) & 0xfff) | ((st_dev >> 32) & ~0xfffull));
	uint32_t minor = (uint32_t)((st_dev & 0xff) | ((st_dev >> 12) & ~0xffull));
	return dev_key(major, minor);
}

/* st_rdev of /dev/ptmx (5, 2) as stat encodes it. */
static uint64_t dev_ptmx(void)
{
	return 5u << 8 | 2u;
}

static void note_shm(struct tree_area *a, int type, uint64_t dev, uint64_t ino, int pid)
{
	for (int i = 0; i < a->nshms; i++)
		if (a->shms[i].dev == dev && a->shms[i].ino == ino) {
			a->shms[i].nattach++;
			return;
		}
	if (a->nshms == TREE_MAX_SHMS)
		return; /* counted by nobody: each process stores it then */
	a->shms[a->nshms] = (struct tree_shm){ dev, ino, pid, 1, type, -1 };
	a->nshms++;
}

/* The kernel's count of each System V segment's attachments, now that
 * every process of the tree is stopped and none has forked a writer for
 * this checkpoint yet. Each process compares it with the tree's count
 * (dump_shm.c) later, while the others read their state and fork their
 * writers (and a writer its compression workers): each of those copies of
 * a process of the tree holds its attachments too, and counts in the
 * kernel's number until it exits. */
static void count_sysv_attachments(struct tree_area *a)
{
	for (int i = 0; i < a->nshms; i++) {
		struct tree_shm *s = &a->shms[i];
		struct shmid_ds ds;
		if (s->type == TCP_SHM_SYSV && r_shmctl((int)s->ino, IPC_STAT, &ds) == 0)
			s->sysv_nattch = ds.shm_nattch > 0x7fffffff ? 0x7fffffff : (int32_t)ds.shm_nattch;
	}
}

/* A number in the fdinfo of fd `fd` of pid: the line starting with `key`,
 * in `base` (flags: octal); -1 if there is none. */
static long fd_info(int pid, int fd, char *buf, const char *key, int base)
{
	char path[96];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_puts(&b, "/fdinfo/");
	fb_puti(&b, fd);
	long pfd = r_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (pfd < 0)
		return -1;
	const char *const keys[] = { key };
	uint64_t value = 0;
	int found = proc_fields_read((int)pfd, buf, 256, keys, 1, base, &value);
	r_close((int)pfd);
	return found > 0 && (found & 1) ? (long)value : -1;
}

/* The open file description fd `i` shares with an earlier fd of the tree
 * (its index), or i itself; -1 (d->err) if the kernel cannot tell. */
static int same_description(struct dump_ctx *d, struct tree_area *a, int i)
{
	const struct tree_fd *f = &a->fds[i];
	for (int j = 0; j < i; j++) {
		const struct tree_fd *o = &a->fds[j];
		if (o->dev != f->dev || o->ino != f->ino || o->ofd != j)
			continue;
		long rc = r_kcmp(f->pid, o->pid, 0 /* KCMP_FILE */, f->fd, o->fd);
		if (rc == 0)
			return j;
		if (rc < 0) {
			fb_puts(&d->err, "cannot tell whether fd ");
			fb_puti(&d->err, f->fd);
			fb_puts(&d->err, " of ");
			tree_name_process(&d->err, f->pid);
			fb_puts(&d->err, " shares its open file with fd ");
			fb_puti(&d->err, o->fd);
			fb_puts(&d->err, " of process ");
			fb_puti(&d->err, o->pid);
			fb_puts(&d->err, " (kcmp: ");
			fb_puts(&d->err, tcp_strerror(rc));
			fb_puts(&d->err, "; a process that made itself undumpable, PR_SET_DUMPABLE 0, cannot be compared)");
			return -1;
		}
	}
	return i;
}

/* The fds of one process into the table; its memfd and /dev/shm fds are
 * shared memory objects too. */
static int scan_fds(struct dump_ctx *d, struct tree_area *a, int pid, char *buf)
{
	char path[96], link[128];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_puts(&b, "/fd");
	long dfd = r_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return 0; /* a zombie has none */
	int rc = 0;
	long n;
	while (!rc && (n = r_getdents64((int)dfd, buf, 65536)) > 0) {
		for (long pos = 0; pos < n && !rc;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int fd = 0;
			for (const char *c = e->d_name; *c; c++)
				fd = fd * 10 + (*c - '0');
			if (pid == a->root_pid && (tree_is_own_fd(fd) || fd == dfd))
				continue;
			struct stat st;
			if (r_fstatat((int)dfd, e->d_name, &st, 0) < 0)
				continue; /* closed meanwhile (by ourselves: the listing's fd) */
			long flags = fd_info(pid, fd, buf + 65536, "flags:", 8);
			/* a pty master: which pair (a slave's process asks) */
			long pty = S_ISCHR(st.st_mode) && st.st_rdev == dev_ptmx() ? fd_info(pid, fd, buf + 65536, "tty-index:", 10)
										     : -1;
			if (a->nfds == TREE_MAX_FDS) {
				fb_puts(&d->err, "the processes of the tree hold more than ");
				fb_puti(&d->err, TREE_MAX_FDS);
				fb_puts(&d->err, " file descriptors together, more than tcp can checkpoint");
				rc = -1;
				break;
			}
			int i = a->nfds++;
			a->fds[i] = (struct tree_fd){ pid, fd, dev_key_of(st.st_dev), st.st_ino, st.st_mode,
						      flags < 0 ? 0 : (uint32_t)flags, i, pty < 0 ? 0 : (int32_t)pty + 1 };
			int same = same_description(d, a, i);
			if (same < 0)
				rc = -1;
			else
				a->fds[i].ofd = same;
			long len = S_ISREG(st.st_mode) ? r_readlinkat((int)dfd, e->d_name, link, sizeof(link) - 1) : -1;
			if (len > 0) {
				link[len] = 0;
				int type = shm_type_of(link, 0);
				if (type)
					note_shm(a, type, a->fds[i].dev, st.st_ino, pid);
			}
		}
	}
	r_close((int)dfd);
	return rc;
}

/* The shared mappings of one process. */
static void scan_maps(struct dump_ctx *d, struct tree_area *a, int pid, char *buf, uint64_t cap)
{
	char path[64];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_puts(&b, "/maps");
	long len = read_whole(path, buf, cap);
	struct maps_entry *e = arena_alloc(d, sizeof(*e));
	if (len <= 0 || !e)
		return;
	size_t pos = 0;
	const char *line;
	long l;
	while ((l = maps_next_line(buf, (size_t)len, &pos, &line)) >= 0)
		if (maps_parse_line(line, (size_t)l, e) == 0 && e->inode != a->self_ino) {
			int type = shm_type_of(e->path, e->shared);
			if (type)
				note_shm(a, type, dev_key(e->dev_major, e->dev_minor), e->inode, pid);
		}
}

int tree_scan_objects(struct dump_ctx *d, struct tree_area *a)
{
	uint64_t cap = 64ull << 20; /* reserved in the arena, touched as used */
	char *buf = arena_alloc(d, cap);
	if (!buf) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	a->nfds = a->nshms = 0;
	for (int i = 0; i < a->nslots; i++) {
		int st = a->slots[i].state;
		if (st == TS_ZOMBIE || st == TS_GONE)
			continue;
		if (scan_fds(d, a, a->slots[i].pid, buf))
			return -1;
		scan_maps(d, a, a->slots[i].pid, buf, cap);
	}
	count_sysv_attachments(a);
	return 0;
}
