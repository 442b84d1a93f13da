/* File descriptors (DESIGN §5): one FD record per fd. This file reads what
 * every fd has in common (its /proc/self/fd link, fstat, fdinfo), finds fds
 * that share one open file description (DUP records), and hands each fd to
 * the function of its kind: regular files and directories (by path, with
 * flags, offset and size), character devices (by path), deleted-but-open
 * files (content stored) here; pipes, anonymous-inode fds, sockets, memfd and
 * /dev/shm files in dump_fd_*.c; the locks of any of them in dump_fd_locks.c.
 * fds 0-2 on terminals, and on pipes and sockets to other processes, are
 * taken from the restorer. Anything else refuses the checkpoint, naming the
 * fd and what it is. */
#define _GNU_SOURCE
#include "dump.h"
#include "tree/area.h"
#include "../common/fdinfo_parse.h"
#include "../common/rawsys.h"
#include "../common/session_path.h"
#include "dir_lock.h"

#include <fcntl.h>
#include <sys/stat.h>

int dump_fd_refuse(struct dump_ctx *d, long fd, const char *what, const char *why)
{
	fb_puts(&d->err, "cannot checkpoint fd ");
	fb_puti(&d->err, fd);
	fb_puts(&d->err, " (");
	fb_puts(&d->err, what);
	fb_puts(&d->err, "): ");
	fb_puts(&d->err, why);
	int carrier = dump_sock_flight_carrier(d, fd);
	if (carrier >= 0) {
		fb_puts(&d->err, ". It is not an fd of the program but one in flight: sent with SCM_RIGHTS and waiting, "
				 "unread, in the receive queue of socket fd ");
		fb_puti(&d->err, carrier);
		fb_puts(&d->err, "; checkpoint when the program has read it");
	}
	return -1;
}
#define refuse_fd dump_fd_refuse

/* An earlier fd on the same open file description (dup, dup2, 2>&1), found
 * with kcmp(KCMP_FILE) among the fds on the same inode: its number, -1 if
 * none, -2 (message in d->err) if the kernel cannot tell. fds 0-2 that are
 * taken from the restorer stay its own, not copies of each other. */
static int shared_description(struct dump_ctx *d, long fd, const struct stat *st, const char *path)
{
	for (uint64_t i = 0; i < d->nfds; i++) {
		const struct tcp_fd *o = &d->fds[i].rec;
		if (o->kind == TCP_FD_DUP || o->dev != st->st_dev || o->inode != st->st_ino ||
		    (o->kind == TCP_FD_INHERIT && fd <= 2))
			continue;
		long pid = r_getpid();
		long rc = r_kcmp((int)pid, (int)pid, 0 /* KCMP_FILE */, fd, o->fd);
		if (rc == 0)
			return o->fd;
		if (rc < 0) {
			/* Restored apart, two fds that shared one offset would
			 * overwrite each other's data. */
			refuse_fd(d, fd, path, "cannot tell whether it shares its open file with fd ");
			fb_puti(&d->err, o->fd);
			fb_puts(&d->err, " (kcmp: ");
			fb_puts(&d->err, tcp_strerror(rc));
			fb_puts(&d->err, "; the kernel needs CONFIG_KCMP)");
			return -2;
		}
	}
	return -1;
}

static int describe(struct dump_ctx *d, long fd, struct dump_fd *out, char *scratch)
{
	char proc[64];
	struct stat st;
	struct tcp_fd *r = &out->rec;

	f_memset(r, 0, sizeof(*r));
	out->data = 0;
	out->data_len = out->file_len = 0;
	out->locks = 0;
	path_append_num(proc, sizeof(proc), "/proc/self/fd/", fd, "");
	long n = r_readlinkat(R_AT_FDCWD, proc, out->path, sizeof(out->path) - 1);
	if (n == -36 /* ENAMETOOLONG */)
		return refuse_fd(d, fd, "a file whose path is too long",
				 "its path is longer than the 4095 bytes a restore can reopen a file by; open it by a "
				 "shorter path");
	if (n < 0)
		return refuse_fd(d, fd, "?", "cannot read its /proc/self/fd link");
	out->path[n] = 0;
	if (r_fstat((int)fd, &st) < 0)
		return refuse_fd(d, fd, out->path, "fstat failed");
	path_append_num(proc, sizeof(proc), "/proc/self/fdinfo/", fd, "");
	struct fdinfo info;
	long len = read_whole(proc, scratch, 65536);
	if (len < 0 || fdinfo_parse(scratch, (size_t)len, &info))
		return refuse_fd(d, fd, out->path, "cannot parse its /proc/self/fdinfo entry");

	r->fd = (int32_t)fd;
	r->flags = info.flags & ~(uint32_t)O_CLOEXEC;
	r->cloexec = (r_fcntl((int)fd, F_GETFD, 0) & FD_CLOEXEC) ? 1 : 0;
	r->pos = info.pos;
	r->size = (uint64_t)st.st_size;
	r->mode = st.st_mode;
	r->dev = st.st_dev;
	r->inode = st.st_ino;
	r->mtime_sec = st.st_mtim.tv_sec;
	r->mtime_nsec = st.st_mtim.tv_nsec;
	r->path_len = (uint32_t)f_strlen(out->path);
	r->same_as = -1;

	int same = shared_description(d, fd, &st, out->path);
	if (same == -2)
		return -1;
	if (same >= 0) {
		r->kind = TCP_FD_DUP;
		r->same_as = same;
		return 0;
	}
	const struct fd_probe probe = { fd, &st, scratch, len };
	int rc;
	if (info.flags & O_PATH) {
		/* Only a place in the tree (openat, fstat, fchdir): reopened by
		 * path, if it names the same thing (restore/file_identity.c). */
		r->kind = TCP_FD_REGULAR;
		dump_fd_identity(d, &probe, out);
		return 0;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		if (f_startswith(out->path, "/memfd:") || f_startswith(out->path, "/dev/shm/") ||
		    session_path(out->path))
			rc = dump_fd_memfd(d, &probe, out);
		else if (f_startswith(out->path, "anon_inode:"))
			rc = dump_fd_anon(d, &probe, out);
		else if (f_endswith(out->path, " (deleted)")) {
			if (out->path[0] != '/')
				return refuse_fd(d, fd, out->path, "an anonymous file of this kind is not supported");
			r->kind = TCP_FD_DELETED;
			out->file_len = r->size;
			rc = 0;
		} else {
			r->kind = TCP_FD_REGULAR;
			rc = 0;
		}
		break;
	case S_IFDIR:
		r->kind = TCP_FD_REGULAR;
		rc = 0;
		break;
	case S_IFCHR:
		if (dump_fd_pty_kind(&st)) {
			rc = dump_fd_pty(d, &probe, out);
			break;
		}
		if (fd <= 2 && (f_startswith(out->path, "/dev/pts/") || f_startswith(out->path, "/dev/tty") ||
				f_streq(out->path, "/dev/console"))) {
			r->kind = TCP_FD_INHERIT;
			return 0;
		}
		if (!f_startswith(out->path, "/dev/"))
			return refuse_fd(d, fd, out->path, "a character device outside /dev");
		r->kind = TCP_FD_DEVICE;
		rc = 0;
		break;
	case S_IFIFO:
		rc = dump_fd_pipe(d, &probe, out);
		break;
	case S_IFSOCK:
		rc = dump_fd_socket(d, &probe, out);
		break;
	default:
		if (f_startswith(out->path, "anon_inode:")) {
			rc = dump_fd_anon(d, &probe, out);
			break;
		}
		return refuse_fd(d, fd, out->path, "this kind of file descriptor is not supported yet");
	}
	if (!rc)
		rc = dump_fd_locks(d, &probe, out);
	if (!rc)
		dump_fd_identity(d, &probe, out);
	r->content_len = out->data_len + out->file_len + (uint64_t)r->nlocks * sizeof(struct tcp_fd_lock);
	return rc;
}

int dump_scan_fds(struct dump_ctx *d)
{
	char *dents = arena_alloc(d, 65536), *scratch = arena_alloc(d, 65536);
	uint64_t cap = 4096;
	d->fds = arena_alloc(d, cap * sizeof(*d->fds));
	if (!dents || !scratch || !d->fds) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	long dir = r_open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0) {
		fb_puts(&d->err, "cannot list /proc/self/fd");
		return -1;
	}
	int rc = 0;
	for (;;) {
		long n = r_getdents64((int)dir, dents, 65536);
		if (n <= 0)
			break;
		for (long pos = 0; pos < n && !rc;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dents + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			long fd = 0;
			for (const char *c = e->d_name; *c; c++)
				fd = fd * 10 + (*c - '0');
			if (fd == dir || tree_is_own_fd(fd)) /* libtcp's own: not the program's */
				continue;
			if (d->nfds == cap) {
				fb_puts(&d->err, "more than 4096 open file descriptors");
				rc = -1;
				break;
			}
			rc = describe(d, fd, &d->fds[d->nfds], scratch);
			if (!rc)
				d->nfds++;
		}
		if (rc)
			break;
	}
	r_close((int)dir);
	if (!rc)
		rc = dump_fd_pipes_finish(d) || dump_fd_anon_finish(d) || dump_fd_sockets_finish(d) ? -1 : 0;
	if (!rc)
		rc = dump_fd_ptys_finish(d);
	return rc;
}

/* A file's content (DELETED, MEMFD). A write-only fd cannot be read: read the
 * file through its /proc link. */
static void write_file(struct dump_ctx *d, struct img_writer *w, const struct dump_fd *f)
{
	char proc[64];
	path_append_num(proc, sizeof(proc), "/proc/self/fd/", f->rec.fd, "");
	long rfd = r_open(proc, O_RDONLY | O_CLOEXEC, 0);
	if (rfd < 0) {
		w->err = (int)rfd;
		return;
	}
	for (uint64_t off = 0; off < f->file_len && !w->err;) {
		uint64_t want = f->file_len - off;
		if (want > BOUNCE_LEN)
			want = BOUNCE_LEN;
		long n = r_pread((int)rfd, d->bounce, want, (long)off);
		if (n <= 0) {
			w->err = n < 0 ? (int)n : -5;
			break;
		}
		iw_data(w, d->bounce, (size_t)n);
		off += (uint64_t)n;
	}
	r_close((int)rfd);
}

void dump_write_fds(struct dump_ctx *d, struct img_writer *w)
{
	for (uint64_t i = 0; i < d->nfds && !w->err; i++) {
		struct dump_fd *f = &d->fds[i];
		iw_open(w, TCP_SEC_FD);
		iw_data(w, &f->rec, sizeof(f->rec));
		iw_data(w, f->path, f->rec.path_len);
		if (f->data_len)
			iw_data(w, f->data, f->data_len);
		if (f->file_len)
			write_file(d, w, f);
		if (f->rec.nlocks)
			iw_data(w, f->locks, f->rec.nlocks * sizeof(struct tcp_fd_lock));
		iw_close(w);
	}
}
