/* The outcome of each checkpoint, for tcp-ckpt: /tmp/tcp-UID/PID.status
 * holds "SEQ ok IMAGE", "SEQ failed REASON", or "0 disabled REASON" when
 * libtcp turned itself off at start-up (tcp-ckpt then refuses instead of
 * sending a signal that would kill the program). Replaced atomically after
 * every attempt. PID.progress, next to it, tells how far the image writer
 * is (tcp_status_progress). PID is the app's, or after a restore the pid of the
 * tcp-restore that runs it (the pid its user knows and signals). It lives
 * under /tmp rather than TCP_DIR so that tcp-ckpt finds it from the pid
 * alone.
 *
 * Both files go when the program ends by returning from main or exit()
 * (status_remove, once a forked writer that could still write them has
 * ended). They stay when it exits 85 after the stop signal (tcp-ckpt
 * --stop reads the outcome after that exit, then removes them) or is
 * killed; the next program started under the same pid removes what an
 * earlier one left (tcp_status_forget).
 *
 * /tmp is shared: another user may have made /tmp/tcp-UID first (on this
 * node, or on the node a program is restored on), or planted symlinks in a
 * directory we do not own. So the directory is checked every time it is
 * used (ours, a real directory, mode 0700 or stricter), every file in it is
 * opened relative to that checked directory with O_NOFOLLOW, the temporary
 * file with O_EXCL. When the directory cannot be used, libtcp says so once
 * (again after a restore) and checkpoints go on without a status. Written
 * from the dump path: raw syscalls. */
#include "dump.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/stat.h>

static char status_dir[64];
static uint64_t status_seq;
/* The app's pid, or after a restore tcp-restore's; also in a forked
 * writer (which reports for it). */
static long status_pid;
/* Said once that the directory cannot be used (until it can again). */
static int status_warned;

static void status_warn(const char *what, long err, const struct stat *st)
{
	if (status_warned)
		return;
	status_warned = 1;
	TCP_MSG(m);
	fb_puts(&m, "cannot report checkpoint outcomes in ");
	fb_puts(&m, status_dir);
	fb_puts(&m, ": ");
	fb_puts(&m, what);
	if (err) {
		fb_puts(&m, " (");
		fb_puts(&m, err == -40 ? "a symbolic link" : tcp_strerror(err));
		fb_putc(&m, ')');
	}
	if (st) {
		fb_puts(&m, " (owner uid ");
		fb_putu(&m, st->st_uid, 10, 0);
		fb_puts(&m, ", mode ");
		fb_putu(&m, st->st_mode & 07777, 8, 4);
		fb_putc(&m, ')');
	}
	fb_puts(&m, "; checkpoints still work, but tcp-ckpt cannot follow them. Remove it (its owner or root can) "
		    "and libtcp makes it again, private");
	tcp_emit(&m);
}

/* The status directory, made if missing, opened and checked: ours, a real
 * directory, nobody else may enter it. Returns its fd, or -1 (said once). */
static long status_dir_open(void)
{
	if (!status_dir[0])
		return -1;
	long fd = r_open(status_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd == -2) { /* first use, or restored on a node where it does not exist yet */
		rsys3(__NR_mkdir, (long)status_dir, 0700, 0);
		fd = r_open(status_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
	}
	if (fd < 0) {
		status_warn(fd == -40 || fd == -20 ? "it is not a directory" : "cannot open it", fd, 0);
		return -1;
	}
	struct stat st;
	if (r_fstat((int)fd, &st) < 0 || st.st_uid != (uid_t)r_getuid() || (st.st_mode & 077)) {
		status_warn("it is not a private directory of yours", 0, &st);
		r_close((int)fd);
		return -1;
	}
	status_warned = 0;
	return fd;
}

void tcp_status_forget(void);

long tcp_status_dir_fd(void)
{
	if (!status_dir[0]) /* a member of a tree: the same directory as its root's */
		path_append_num(status_dir, sizeof(status_dir), "/tmp/tcp-", r_getuid(), "");
	return status_dir_open();
}

void tcp_status_init(void)
{
	path_append_num(status_dir, sizeof(status_dir), "/tmp/tcp-", r_getuid(), "");
	tcp_status_forget();
}

static void status_name(char *buf, size_t cap, const char *suffix)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	fb_puti(&b, status_pid);
	fb_puts(&b, suffix);
}

/* Numbers the next attempt; called by the app itself, before any forked
 * writer, so that every attempt gets a new number. It also checks the
 * directory here, in the app, so that a forked writer does not say again
 * what the app said already. */
void tcp_status_begin(void)
{
	status_seq++;
	long dfd = status_dir_open();
	if (dfd >= 0)
		r_close((int)dfd);
}

/* A file left by an earlier process with the same id would confuse
 * tcp-ckpt; called at start-up and after a restore. After a restore the
 * file is named after the tcp-restore process that users signal (the blob
 * wrote its pid into tcp_slot.status_id), not after our own pid, which is
 * the pid inside tcp-restore's PID namespace. Quiet: a program that never
 * checkpoints needs no status. */
void tcp_status_forget(void)
{
	char final[64];
	status_pid = tcp_slot.status_id ? (long)tcp_slot.status_id : r_getpid();
	if (!status_dir[0])
		return;
	int warned = status_warned;
	status_warned = 1;
	long dfd = status_dir_open();
	status_warned = warned;
	if (dfd < 0)
		return;
	status_name(final, sizeof(final), ".status");
	r_unlinkat((int)dfd, final, 0);
	status_name(final, sizeof(final), ".progress");
	r_unlinkat((int)dfd, final, 0);
	r_close((int)dfd);
}

/* After a restore, on this node: check the directory again and say it
 * once more if it cannot be used. */
void tcp_status_after_restore(void)
{
	status_warned = 0;
	tcp_status_forget();
}

/* Replaces DIR/PID<suffix> with `line` atomically: written to a temporary
 * file that we create here and now (never one that was there), renamed over. */
static void status_file_put(const char *suffix, const char *line, size_t len)
{
	char tmp[64], final[64], tmp_suffix[32];
	struct fbuf b;
	/* A member of a tree (status_pid 0: no status of its own) reports
	 * nothing; its root does. */
	if (!status_pid)
		return;
	long dfd = status_dir_open();
	if (dfd < 0)
		return;
	fb_init(&b, tmp_suffix, sizeof(tmp_suffix));
	fb_puts(&b, suffix);
	fb_puts(&b, ".tmp");
	status_name(tmp, sizeof(tmp), tmp_suffix);
	status_name(final, sizeof(final), suffix);
	long fd = -17;
	for (int tries = 0; tries < 2 && fd == -17; tries++) {
		if (tries)
			r_unlinkat((int)dfd, tmp, 0); /* left by a crash of ours (the directory is ours alone) */
		fd = r_openat((int)dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd >= 0) {
		long n = r_write((int)fd, line, len);
		r_close((int)fd);
		if (n != (long)len || r_renameat((int)dfd, tmp, (int)dfd, final) < 0)
			r_unlinkat((int)dfd, tmp, 0);
	}
	r_close((int)dfd);
}

static void status_put(const char *outcome, const char *text)
{
	char line[1200];
	struct fbuf b;
	fb_init(&b, line, sizeof(line));
	fb_putu(&b, status_seq, 10, 0);
	fb_putc(&b, ' ');
	fb_puts(&b, outcome);
	fb_putc(&b, ' ');
	fb_puts(&b, text);
	fb_putc(&b, '\n');
	status_file_put(".status", line, b.len);
}

/* DIR/PID.progress, "SEQ DONE TOTAL MS": the image writer of attempt SEQ
 * has gone through DONE bytes of the program's memory of about TOTAL (0:
 * not known) in MS milliseconds (progress.c). It stays after the attempt
 * (tcp-ckpt reads the last one) until the next, or the program's end. */
void tcp_status_progress(uint64_t done, uint64_t total, uint64_t ms)
{
	char line[96];
	struct fbuf b;
	fb_init(&b, line, sizeof(line));
	fb_putu(&b, status_seq, 10, 0);
	fb_putc(&b, ' ');
	fb_putu(&b, done, 10, 0);
	fb_putc(&b, ' ');
	fb_putu(&b, total, 10, 0);
	fb_putc(&b, ' ');
	fb_putu(&b, ms, 10, 0);
	fb_putc(&b, '\n');
	status_file_put(".progress", line, b.len);
}

long tcp_status_pid(void)
{
	return status_pid;
}

void tcp_status_write(int ok, const char *text)
{
	status_put(ok ? "ok" : "failed", text);
}

/* libtcp is off for this process (an invalid TCP_* value, an unsafe
 * TCP_DIR): tcp-ckpt must not send it a signal it no longer catches. */
void tcp_status_disabled(const char *why)
{
	status_pid = r_getpid();
	status_put("disabled", why);
}

__attribute__((destructor)) static void status_remove(void)
{
	if (!tcp_role_is_root())
		return; /* a child's exit: the root's file (after a restore, named after tcp-restore) stays */
	/* A writer still at work would write them again after us. */
	tcp_writer_busy(1);
	tcp_status_forget();
}
