/* The restore's visible changes (restore/commit.c plans them), made once
 * everything that can fail has succeeded: every page is in place and
 * checked, every thread exists (waiting in libtcp until this thread comes).
 * In an order that lets each step that can fail be undone: the directories
 * of UNIX sockets made again, names put in place (link, exchange), UNIX
 * sockets bound, sockets connected, output files cut back; only then are
 * the temporary names dropped. Raw syscalls
 * only. In a process tree, every process's blob takes each of these steps
 * only once every process finished the one before (tree_sync.h): no
 * change before every page of the tree is checked, binds before connects,
 * and a failure anywhere is taken back everywhere. */
#include "commit.h"
#include "tree_sync.h"
#include "../tree/area.h"
#include "../../common/rawsys.h"
#include "../../common/errno_text.h"
#include "../../common/fstr.h"

#include <sys/stat.h>

#define RENAME_EXCHANGE_ 2
#define AT_SYMLINK_NOFOLLOW_ 0x100
#define AT_REMOVEDIR_ 0x200
#define IPC_RMID_ 0

static const struct blob_act *acts_of(const struct blob_args *a)
{
	return (const struct blob_act *)((const char *)a + a->acts_off);
}

/* The UNIX socket path of a BIND act, NUL-terminated in buf. */
static const char *sock_path(const struct blob_act *x, char *buf, size_t cap)
{
	size_t n = x->addr_len > 2 ? x->addr_len - 2 : 0;
	if (n >= cap)
		n = cap - 1;
	f_memcpy(buf, x->addr + 2, n);
	buf[n] = 0;
	return buf;
}

static void undo_acts(const struct blob_args *a)
{
	const struct blob_act *x = acts_of(a);
	for (uint32_t i = 0; i < a->nacts; i++) {
		if (x[i].type == BLOB_ACT_LINK || x[i].type == BLOB_ACT_EXCHANGE)
			r_unlinkat(x[i].dirfd, x[i].tmp, 0);
		else if (x[i].type == BLOB_ACT_RMID)
			r_shmctl(x[i].fd, IPC_RMID_, 0);
	}
}

void blob_undo(const struct blob_args *a)
{
	tree_sync_fail(a);
	undo_acts(a);
}

void blob_abandon(const struct blob_args *a)
{
	undo_acts(a);
	tree_sync_quit(a);
}

/* Takes back act x, which was done. */
static void take_back(const struct blob_act *x)
{
	char path[128];
	switch (x->type) {
	case BLOB_ACT_MKDIR:
		r_unlinkat(R_AT_FDCWD, x->name, AT_REMOVEDIR_);
		break;
	case BLOB_ACT_LINK:
		r_unlinkat(x->dirfd, x->name, 0);
		break;
	case BLOB_ACT_MOVE:
		r_unlinkat(x->dirfd, x->name, 0);
		break;
	case BLOB_ACT_EXCHANGE:
		rsys5(__NR_renameat2, x->dirfd, (long)x->tmp, x->dirfd, (long)x->name, RENAME_EXCHANGE_);
		break;
	case BLOB_ACT_BIND:
		r_unlinkat(R_AT_FDCWD, sock_path(x, path, sizeof(path)), 0);
		break;
	}
}

/* What failed, for the message. */
static void describe(struct fbuf *b, const struct blob_act *x)
{
	char path[128];
	switch (x->type) {
	case BLOB_ACT_MKDIR:
		fb_puts(b, "cannot make the directory ");
		fb_puts(b, x->name);
		fb_puts(b, " again (something was put at that name meanwhile?)");
		break;
	case BLOB_ACT_LINK:
	case BLOB_ACT_EXCHANGE:
	case BLOB_ACT_MOVE:
		fb_puts(b, "cannot put ");
		fb_puts(b, x->name);
		fb_puts(b, x->type != BLOB_ACT_EXCHANGE ? " in place (something was put at that name meanwhile?)"
							 : " in place (it was replaced meanwhile?)");
		break;
	case BLOB_ACT_BIND:
		fb_puts(b, "cannot bind the program's UNIX socket to ");
		fb_puts(b, sock_path(x, path, sizeof(path)));
		fb_puts(b, " again");
		break;
	case BLOB_ACT_CONNECT:
		fb_puts(b, "cannot connect the program's socket to ");
		fb_puts(b, sock_path(x, path, sizeof(path)));
		fb_puts(b, " again");
		break;
	default:
		fb_puts(b, "cannot cut the output file of fd ");
		fb_puti(b, x->fd);
		fb_puts(b, " back to ");
		fb_putu(b, x->size, 10, 0);
		fb_puts(b, " bytes");
	}
}

/* Act `failed` failed with `err`: take back those before it, undo, say so,
 * exit. */
static __attribute__((noreturn)) void fail(const struct blob_args *a, uint32_t failed, long err)
{
	const struct blob_act *x = acts_of(a);
	int truncated = 0;
	for (uint32_t i = failed; i-- > 0;) {
		take_back(&x[i]);
		truncated |= x[i].type == BLOB_ACT_TRUNCATE;
	}
	/* Other processes of a tree cut theirs back in the same step. */
	truncated |= a->tree_area && x[failed].type == BLOB_ACT_TRUNCATE;
	blob_undo(a);
	char mem[1024];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_puts(&b, "tcp-restore: fatal: ");
	describe(&b, &x[failed]);
	fb_puts(&b, " (");
	fb_put_errno(&b, err);
	fb_puts(&b, ") at the end of restoring ");
	fb_puts(&b, a->image_path);
	fb_puts(&b, truncated ? "; the program was not resumed, but output files were cut back to their size at "
				"checkpoint time already\n"
			      : "; the program was not resumed and nothing was changed\n");
	r_write(a->report_fd, b.p, b.len);
	r_exit_group(1);
}

/* A socket's directory, gone since the checkpoint: mkdir never follows a
 * symbolic link and fails if anything is at the name; the new directory,
 * opened without following one, gets the mode (without the umask) and the
 * group it had. */
static long make_dir(const struct blob_act *x)
{
	long rc = rsys3(__NR_mkdirat, R_AT_FDCWD, (long)x->name, 0700);
	if (rc < 0)
		return rc;
	long fd = r_open(x->name, 00200000 /* O_DIRECTORY */ | 0400000 /* O_NOFOLLOW */ | 02000000 /* O_CLOEXEC */, 0);
	struct stat st;
	rc = fd < 0 ? fd : r_fstat((int)fd, &st);
	if (rc == 0 && (!S_ISDIR(st.st_mode) || st.st_uid != (uid_t)r_getuid()))
		rc = -116; /* ESTALE: not the directory just made */
	if (rc == 0 && st.st_gid != x->gid)
		rc = rsys3(__NR_fchown, fd, -1, x->gid);
	if (rc == 0)
		rc = rsys2(__NR_fchmod, fd, x->mode & 07777);
	if (fd >= 0)
		r_close((int)fd);
	if (rc < 0)
		r_unlinkat(R_AT_FDCWD, x->name, AT_REMOVEDIR_);
	return rc;
}

static long do_act(const struct blob_act *x)
{
	struct stat st;
	char path[128];
	long rc;
	switch (x->type) {
	case BLOB_ACT_MKDIR:
		return make_dir(x);
	case BLOB_ACT_LINK:
		return rsys5(__NR_linkat, x->dirfd, (long)x->tmp, x->dirfd, (long)x->name, 0);
	case BLOB_ACT_MOVE:
		return rsys5(__NR_renameat2, x->dirfd, (long)x->tmp, x->dirfd, (long)x->name, 1 /* RENAME_NOREPLACE */);
	case BLOB_ACT_EXCHANGE:
		rc = rsys5(__NR_renameat2, x->dirfd, (long)x->tmp, x->dirfd, (long)x->name, RENAME_EXCHANGE_);
		if (rc < 0)
			return rc;
		/* What was there must be what the hosted stage checked. */
		rc = r_fstatat(x->dirfd, x->tmp, &st, AT_SYMLINK_NOFOLLOW_);
		if (rc < 0 || st.st_dev != x->dev || st.st_ino != x->ino) {
			take_back(x);
			return rc < 0 ? rc : -116 /* ESTALE: it was replaced meanwhile */;
		}
		return 0;
	case BLOB_ACT_BIND:
		sock_path(x, path, sizeof(path));
		if (x->ino) { /* the killed run's socket file: removed only if still the one checked */
			rc = r_fstatat(R_AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW_);
			if (rc == 0 && (st.st_dev != x->dev || st.st_ino != x->ino))
				return -116;
			if (rc == 0 && (rc = r_unlinkat(R_AT_FDCWD, path, 0)) < 0)
				return rc;
		}
		rc = rsys3(__NR_bind, x->fd, (long)x->addr, x->addr_len);
		if (rc == 0 && x->listen && (rc = rsys2(__NR_listen, x->fd, x->backlog)) < 0)
			r_unlinkat(R_AT_FDCWD, path, 0);
		return rc;
	case BLOB_ACT_CONNECT:
		return rsys3(__NR_connect, x->fd, (long)x->addr, x->addr_len);
	case BLOB_ACT_TRUNCATE:
		return r_ftruncate(x->fd, (long)x->size);
	}
	return 0;
}

/* The events the changes above queued on an inotify fd of the program
 * (a truncated output file it watches, a FIFO made in a directory it
 * watches): its queue was empty at the checkpoint (libtcp refuses one that
 * is not), so whatever is in it now is the restore's own doing. */
static void drain(int fd)
{
	long fl = r_fcntl(fd, 3 /* F_GETFL */, 0);
	if (fl < 0 || (!(fl & 04000 /* O_NONBLOCK */) && r_fcntl(fd, 4 /* F_SETFL */, fl | 04000) < 0))
		return;
	char buf[4096] __attribute__((aligned(8)));
	while (r_read(fd, buf, sizeof(buf)) > 0)
		;
	r_fcntl(fd, 4 /* F_SETFL */, fl);
}

/* The tree was stopped by another process: the first `done` acts are
 * taken back, then this process goes too. */
static __attribute__((noreturn)) void quit(const struct blob_args *a, uint32_t done)
{
	const struct blob_act *x = acts_of(a);
	for (uint32_t i = done; i-- > 0;)
		take_back(&x[i]);
	blob_abandon(a);
}

void blob_commit(const struct blob_args *a)
{
	const struct blob_act *x = acts_of(a);
	/* The acts come sorted by type (commit_copy): the steps that can be
	 * taken back first, directories before binds, binds before connects,
	 * truncations last. */
	if (tree_sync(a, TREE_SYNC_READY))
		quit(a, 0);
	static const uint32_t step_last[] = { BLOB_ACT_MKDIR, BLOB_ACT_BIND, BLOB_ACT_CONNECT, BLOB_ACT_TRUNCATE };
	uint32_t changed = 0, i = 0;
	for (int step = 0; step < 4; step++) {
		uint32_t last = step_last[step];
		for (; i < a->nacts && x[i].type <= last; i++) {
			long rc = do_act(&x[i]);
			if (rc < 0)
				fail(a, i, rc);
			changed++;
		}
		if (tree_sync(a, TREE_SYNC_DIRS + step))
			quit(a, i);
	}
	for (uint32_t k = 0; k < a->nacts; k++) {
		if (x[k].type == BLOB_ACT_LINK || x[k].type == BLOB_ACT_EXCHANGE)
			r_unlinkat(x[k].dirfd, x[k].tmp, 0);
		else if (x[k].type == BLOB_ACT_DRAIN && (changed || a->tree_area))
			drain(x[k].fd);
	}
}
