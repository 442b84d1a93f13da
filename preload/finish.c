/* The end of a run. When the program ends through exit() (it finished; it
 * was not killed), libtcp writes DIR/finished, so that tcp-run starts the
 * next run afresh instead of resuming an image of a run that is over (and
 * rolling its output files back). Only the process that is checkpointed
 * does it (not a child the program forked), and only while it holds the
 * directory's lock: a second program that shares the directory must not
 * mark the first one's run as over. Written aside with O_EXCL and renamed
 * into place, so that a symlink planted as `finished` is replaced, never
 * followed. */
#define _GNU_SOURCE
#include "internal.h"
#include "written_files.h"
#include "dir_lock.h"
#include "image_names.h"
#include "../common/rawsys.h"

#include <fcntl.h>

static long checkpointed_pid;

void tcp_finish_track(void)
{
	checkpointed_pid = r_getpid();
}

static void finish_failed(const char *what, long err)
{
	TCP_MSG(m);
	fb_puts(&m, "cannot write ");
	fb_puts(&m, tcp_cfg.dir);
	fb_puts(&m, "/finished (");
	fb_puts(&m, what);
	fb_puts(&m, tcp_strerror(err));
	fb_puts(&m, "): this run has ended, but tcp-run would resume its last image; start the next run with "
		    "tcp-run --fresh");
	tcp_emit(&m);
}

__attribute__((destructor)) static void tcp_finish(void)
{
	if (!tcp_active || r_getpid() != checkpointed_pid)
		return;
	tcp_written_end();
	/* A checkpoint still being written would end up newer than `finished`
	 * and be resumed: let it finish first. */
	tcp_writer_busy(1);
	long dirfd = r_open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dirfd < 0)
		return; /* no directory, no image to resume */
	char whymem[256];
	struct fbuf why;
	fb_init(&why, whymem, sizeof(whymem));
	int lock = tcp_dir_lock((int)dirfd, tcp_status_pid(), &why);
	if (lock != TCP_LOCK_HELD && lock != TCP_LOCK_UNSUPPORTED) {
		r_close((int)dirfd);
		return; /* the directory is another program's (said at its checkpoints) */
	}
	char tmp[128], line[256];
	struct fbuf t, l;
	fb_init(&t, tmp, sizeof(tmp));
	fb_init(&l, line, sizeof(line));
	tmp_name_put(&t, "finished", tcp_run_id);
	fb_puts(&l, tcp_prog);
	fb_puts(&l, " (pid ");
	fb_puti(&l, checkpointed_pid);
	fb_puts(&l, ", run ");
	fb_putu(&l, tcp_run_id, 16, 16);
	fb_puts(&l, ") ran to its end\n");
	long fd = r_openat((int)dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		finish_failed("", fd);
	} else {
		long n = r_write((int)fd, line, l.len);
		r_close((int)fd);
		long rc = n == (long)l.len ? r_renameat((int)dirfd, tmp, (int)dirfd, "finished") : (n < 0 ? n : -28);
		if (rc < 0) {
			r_unlinkat((int)dirfd, tmp, 0);
			finish_failed(rc == -21 || rc == -39 ? "a directory is in the way: " : "", rc);
		}
	}
	r_close((int)dirfd);
}
