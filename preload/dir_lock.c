/* The image directory's lock (issue 19, item 6). The program that writes
 * images into TCP_DIR holds flock(LOCK_EX) on DIR/.tcp-lock for as long as
 * it runs, so that a second program in that directory (another job of a
 * job array whose script uses one directory) or a second restore of the
 * same image is told apart and refused, instead of mixing generations,
 * flipping `latest` between two runs and deleting the other's images.
 * The file says who holds it ("pid P on HOST, run R"), for the messages
 * of the others; it is never removed (a lock file that comes and goes is a
 * race).
 *
 * Taken at start-up, again at a checkpoint when not held (TCP_DIR made
 * later, a program that closed every fd), and after a restore (tcp-restore
 * holds it until the program runs again: restore/dir_lock.c). Its fd sits
 * high (fd 1000 or the next free one), stays out of the image (dump_fds.c)
 * and out of forked children (init.c closes it there). Raw syscalls: also
 * used from the dump path. */
#include "dir_lock.h"
#include "../common/rawsys.h"

#include <fcntl.h>
#include <sys/stat.h>

static long lock_fd = -1;
static uint64_t lock_dev, lock_ino;

int tcp_dir_lock_owns(long fd)
{
	struct stat st;
	if (fd < 0 || fd != lock_fd)
		return 0;
	if (r_fstat((int)fd, &st) < 0 || st.st_dev != lock_dev || st.st_ino != lock_ino) {
		lock_fd = -1; /* the program closed it (and maybe reused the number): not ours any more */
		return 0;
	}
	return 1;
}

int tcp_dir_lock_held(void)
{
	return tcp_dir_lock_owns(lock_fd);
}

void tcp_dir_lock_forget(void)
{
	lock_fd = -1;
}

void tcp_dir_lock_drop(void)
{
	if (lock_fd >= 0)
		r_close((int)lock_fd);
	lock_fd = -1;
}

static long last_holder;

long tcp_dir_lock_last_holder(void)
{
	return last_holder;
}

/* What another holder wrote into the file, one line of printable text;
 * its pid ("pid P ...") into last_holder. */
static void put_holder(long fd, struct fbuf *why)
{
	char text[200];
	long n = r_pread((int)fd, text, sizeof(text) - 1, 0);
	int any = 0;
	last_holder = 0;
	for (long i = 4; n > 4 && f_memeq(text, "pid ", 4) && i < n && text[i] >= '0' && text[i] <= '9'; i++)
		last_holder = last_holder * 10 + (text[i] - '0');
	for (long i = 0; i < n && text[i] != '\n'; i++, any = 1)
		fb_putc(why, text[i] >= ' ' && text[i] < 127 ? text[i] : '?');
	if (!any)
		fb_puts(why, "a program that has not said who it is yet");
}

static void write_holder(long fd, long pid)
{
	char text[200];
	char u[6 * 65];
	struct fbuf b;
	fb_init(&b, text, sizeof(text));
	fb_puts(&b, "pid ");
	fb_puti(&b, pid);
	if (r_uname(u) == 0) {
		fb_puts(&b, " on ");
		u[2 * 65 - 1] = 0;
		fb_puts(&b, u + 65); /* nodename */
	}
	fb_puts(&b, ", run ");
	fb_putu(&b, tcp_run_id, 16, 16);
	fb_putc(&b, '\n');
	r_ftruncate((int)fd, 0);
	r_pwrite((int)fd, text, b.len, 0);
}

int tcp_dir_lock(int dirfd, long pid, struct fbuf *why)
{
	if (tcp_dir_lock_held())
		return TCP_LOCK_HELD;
	/* O_NONBLOCK: a FIFO planted there must not hang the program. */
	long fd = r_openat(dirfd, TCP_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd == -40 /* ELOOP */) {
		fb_puts(why, TCP_LOCK_NAME " in it is a symbolic link, which libtcp does not follow; remove it");
		return TCP_LOCK_FOREIGN;
	}
	if (fd < 0)
		return TCP_LOCK_NONE; /* a missing or read-only directory: the image cannot be written either */
	struct stat st;
	int rc = TCP_LOCK_FOREIGN;
	if (r_fstat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fb_puts(why, TCP_LOCK_NAME " in it is not a regular file; remove it");
	} else if (st.st_uid != (uid_t)r_getuid()) {
		fb_puts(why, TCP_LOCK_NAME " in it belongs to uid ");
		fb_putu(why, st.st_uid, 10, 0);
		fb_puts(why, ", not to you; someone else can write that directory: use one of your own");
	} else if (st.st_nlink != 1) {
		fb_puts(why, TCP_LOCK_NAME " in it has other names (hard links); remove it");
	} else {
		long r = rsys2(73 /* flock */, fd, 2 /* LOCK_EX */ | 4 /* LOCK_NB */);
		if (r == -11 /* EWOULDBLOCK */) {
			fb_puts(why, "it is in use by another running program (");
			put_holder(fd, why);
			fb_puts(why, ", holding " TCP_LOCK_NAME ")");
			rc = TCP_LOCK_BUSY;
		} else if (r < 0) {
			rc = TCP_LOCK_UNSUPPORTED; /* no locks on this filesystem */
		} else {
			/* Out of the way of the program's own fd numbers. */
			long high = r_fcntl((int)fd, 1030 /* F_DUPFD_CLOEXEC */, 1000);
			if (high >= 0) {
				r_close((int)fd);
				fd = high;
			}
			write_holder(fd, pid);
			lock_fd = fd;
			lock_dev = st.st_dev;
			lock_ino = st.st_ino;
			return TCP_LOCK_HELD;
		}
	}
	r_close((int)fd);
	return rc;
}
