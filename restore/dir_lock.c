/* The image directory's lock (preload/dir_lock.c): a program running under
 * libtcp holds flock() on DIR/.tcp-lock. Restoring an image while its
 * directory's lock is held would run a second program on that directory:
 * the same run twice (one image restored twice at once: both copies write
 * the same output files and images) or a run beside another one that uses
 * the directory. Refused here, before anything changes. Otherwise the lock
 * is held from here on, by the process that becomes the program, at an fd
 * above every fd of the program, until the blob closes tcp-restore's own
 * fds; the restored libtcp then takes it again. */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define LOCK_NAME ".tcp-lock"

/* The holder's line, printable. */
static void read_holder(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);
	size_t i = 0;
	for (; n > 0 && i < (size_t)n && buf[i] != '\n'; i++)
		if (buf[i] < ' ' || buf[i] >= 127)
			buf[i] = '?';
	buf[i] = 0;
	if (!i)
		snprintf(buf, cap, "a program that has not said who it is yet");
}

/* The holder named in the file ("pid P on HOST, ...") is a process of this
 * node that is gone: its lock goes as soon as the last of its processes
 * has exited (a program killed a moment ago, its forked writer finishing
 * an image). */
static int holder_gone(const char *holder)
{
	int pid;
	char host[256];
	struct utsname u;
	if (sscanf(holder, "pid %d on %255[^,],", &pid, host) != 2 || pid <= 0 || uname(&u) || strcmp(host, u.nodename))
		return 0;
	return kill(pid, 0) < 0 && errno == ESRCH;
}

/* flock, waiting up to 30 s while the holder is a process that is gone
 * (its lock is about to go). Returns 0, or -1 with errno. */
static int lock_or_wait(int fd, char *holder, size_t cap)
{
	for (int tries = 0;; tries++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		read_holder(fd, holder, cap);
		if (tries == 600 || !holder_gone(holder)) {
			errno = EWOULDBLOCK;
			return -1;
		}
		usleep(50000);
	}
}

int dir_lock_take(const struct tcp_image *img, const char *image, int floor, const struct restore_opts *o)
{
	char dir[4096];
	const char *slash = strrchr(image, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - image ? slash - image : 1), image);
	/* O_PATH: a directory we may enter but not list (mode 0711) is
	 * checked too. */
	int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -2; /* nobody writes images there then either */
	/* The rule libtcp applies to TCP_DIR (preload/image_dir.c), checked
	 * here with the real owners: the restored program may see them only
	 * through a user namespace, where root and others look alike. */
	struct stat ds;
	if (fstat(dfd, &ds) == 0 && ds.st_uid != getuid() && ds.st_uid != 0 && !(getuid() == 0 && o->allow_other_owner)) {
		say("refusing to restore %s: its directory %s belongs to uid %u, who could have replaced 'latest' or the "
		    "images, and could remove what the program writes there; copy the images into a directory of your own",
		    image, dir, (unsigned)ds.st_uid);
		close(dfd);
		return -1;
	}
	if (fstat(dfd, &ds) == 0 && (ds.st_mode & (S_IWGRP | S_IWOTH)) && !(ds.st_mode & S_ISVTX)) {
		say("refusing to restore %s: other users may write its directory %s (mode %04o) and it is not sticky, so "
		    "they could have replaced 'latest' or the images; chmod go-w %s (or chmod +t %s, if it must be shared)",
		    image, dir, (unsigned)(ds.st_mode & 07777), dir, dir);
		close(dfd);
		return -1;
	}
	int fd = openat(dfd, LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EACCES || errno == EROFS)) /* a directory we may not write: look only */
		fd = openat(dfd, LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int err = errno;
	close(dfd);
	if (fd < 0 && err == ELOOP) {
		say("refusing to restore %s: %s/" LOCK_NAME " is a symbolic link (libtcp never makes one; someone else "
		    "can write %s?). Remove it", image, dir, dir);
		return -1;
	}
	if (fd < 0)
		return -2; /* no lock file and none can be made: no program writes images there */
	struct stat st;
	int owner_ok = fstat(fd, &st) == 0 && (st.st_uid == getuid() || (getuid() == 0 && o->allow_other_owner));
	if (!owner_ok || !S_ISREG(st.st_mode)) {
		say("refusing to restore %s: %s/" LOCK_NAME " is not a regular file of yours (uid %u); someone else can "
		    "write %s. Remove it, and keep the images in a directory only you can write",
		    image, dir, (unsigned)st.st_uid, dir);
		close(fd);
		return -1;
	}
	char holder[256], run[40];
	if (lock_or_wait(fd, holder, sizeof(holder))) {
		if (errno != EWOULDBLOCK) {
			if (o->verbose)
				say("%s does not support file locks (%s): a second restore of this image cannot be detected",
				    dir, strerror(errno));
			close(fd);
			return -2;
		}
		snprintf(run, sizeof(run), "run %016llx", (unsigned long long)img->proc.run_id);
		if (o->check_only) {
			/* Checking an image of a job that runs on is fine. */
			say("note: %s is in use by a running program (%s): a restore from it would be refused while "
			    "that one runs", dir, holder);
			close(fd);
			return -2;
		}
		if (strstr(holder, run))
			say("refusing to restore %s: its run is running already (%s, holding %s/" LOCK_NAME "); a second copy "
			    "would write the same output files and images. Stop that one first (tcp-ckpt --stop PID "
			    "checkpoints it), or wait for it to end; nothing was changed",
			    image, holder, dir);
		else
			say("refusing to restore %s: %s is in use by another running program (%s, holding %s/" LOCK_NAME
			    "); two runs in one image directory take each other's images. Give each run its own directory "
			    "(for a SLURM job array, e.g. tcp-run --dir ckpt-$SLURM_ARRAY_TASK_ID), or wait for that one "
			    "to end; nothing was changed",
			    image, dir, holder, dir);
		close(fd);
		return -1;
	}
	struct utsname u;
	char line[512];
	int n = snprintf(line, sizeof(line), "pid %d on %s, run %016llx (tcp-restore of %s)\n", (int)getpid(),
			 uname(&u) == 0 ? u.nodename : "?", (unsigned long long)img->proc.run_id, image);
	if (n > 0 && ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, 0) < 0) {
		/* a read-only lock file still locks */
	}
	/* Above the program's fds: restore_fds leaves it alone, the blob closes it. */
	int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	close(fd);
	if (high < 0) {
		say("cannot move the lock of %s above fd %d: %s (raise the open-files limit, ulimit -n)", dir, floor,
		    strerror(errno));
		return -1;
	}
	return high;
}
