/* The outcome of each checkpoint, for tcp-ckpt: /tmp/tcp-UID/PID.status
 * holds "SEQ ok IMAGE" or "SEQ failed REASON", replaced atomically after
 * every attempt. PID is the app's, or after a restore the pid of the
 * tcp-restore that runs it (the pid its user knows and signals). It lives
 * under /tmp rather than TCP_DIR so that tcp-ckpt finds it from the pid
 * alone. Written from the dump path: raw syscalls. */
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

void tcp_status_forget(void);

void tcp_status_init(void)
{
	struct stat st;
	char dir[64];
	path_append_num(dir, sizeof(dir), "/tmp/tcp-", r_getuid(), "");
	rsys3(__NR_mkdir, (long)dir, 0700, 0);
	/* Only a private directory of ours: another user could otherwise
	 * plant or read the files. */
	if (r_fstatat(R_AT_FDCWD, dir, &st, 0x100 /* AT_SYMLINK_NOFOLLOW */) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != (uid_t)r_getuid() || (st.st_mode & 077))
		return;
	f_memcpy(status_dir, dir, sizeof(dir));
	tcp_status_forget();
}

static void status_path(char *buf, size_t cap, const char *suffix)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	fb_puts(&b, status_dir);
	fb_putc(&b, '/');
	fb_puti(&b, status_pid);
	fb_puts(&b, suffix);
}

/* Numbers the next attempt; called by the app itself, before any forked
 * writer, so that every attempt gets a new number. */
void tcp_status_begin(void)
{
	status_seq++;
}

/* A file left by an earlier process with the same id would confuse
 * tcp-ckpt; called at start-up and after a restore. After a restore the
 * file is named after the tcp-restore process that users signal (the blob
 * wrote its pid into tcp_slot.status_id), not after our own pid, which is
 * the pid inside tcp-restore's PID namespace. */
void tcp_status_forget(void)
{
	char final[128];
	status_pid = tcp_slot.status_id ? (long)tcp_slot.status_id : r_getpid();
	if (!status_dir[0])
		return;
	status_path(final, sizeof(final), ".status");
	r_unlinkat(R_AT_FDCWD, final, 0);
}

void tcp_status_write(int ok, const char *text)
{
	char tmp[128], final[128], line[1200];
	struct fbuf b;
	if (!status_dir[0])
		return;
	fb_init(&b, line, sizeof(line));
	fb_putu(&b, status_seq, 10, 0);
	fb_puts(&b, ok ? " ok " : " failed ");
	fb_puts(&b, text);
	fb_putc(&b, '\n');
	status_path(tmp, sizeof(tmp), ".status.tmp");
	status_path(final, sizeof(final), ".status");
	long fd = r_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -2) { /* restored on a node where the directory does not exist yet */
		status_dir[0] = 0;
		tcp_status_init();
		if (!status_dir[0])
			return;
		fd = r_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		return;
	long n = r_write((int)fd, line, b.len);
	r_close((int)fd);
	if (n == (long)b.len)
		r_renameat(R_AT_FDCWD, tmp, R_AT_FDCWD, final);
	else
		r_unlinkat(R_AT_FDCWD, tmp, 0);
}

__attribute__((destructor)) static void status_remove(void)
{
	if (!tcp_role_is_root())
		return; /* a child's exit: the root's file (after a restore, named after tcp-restore) stays */
	tcp_status_forget();
}
