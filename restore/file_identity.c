/* The rule of file_identity.h. A pure function of the record and of what
 * is at the path now, so that it can be tested on its own. */
#define _GNU_SOURCE
#include "file_identity.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/sysmacros.h>

int fd_is_output(const struct tcp_fd *f)
{
	uint32_t acc = f->flags & O_ACCMODE;
	return S_ISREG(f->mode) && !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

const char *file_type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symbolic link";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "FIFO";
	case S_IFSOCK: return "socket";
	}
	return "file of unknown type";
}

/* A replacement that is written to (an output file, a FIFO) must belong to
 * the restoring user too. */
const char *fd_label(const struct tcp_fd *f)
{
	static char buf[64];
	if (f->fd < 0)
		return "a file the program wrote and closed before the checkpoint";
	snprintf(buf, sizeof(buf), "fd %d", f->fd);
	return buf;
}

static int not_users(const struct tcp_fd *f, const char *path, const struct stat *st, uint32_t user, char *msg,
		     size_t cap)
{
	if (st->st_uid == user)
		return 0;
	const char *what = file_type_name(f->mode);
	snprintf(msg, cap,
		 "%s: %s is not the %s the program had (another device or inode) and belongs to uid %u, not to "
		 "you (uid %u); tcp-restore writes only into a copy of the program's file that you own. Restore as "
		 "its owner",
		 fd_label(f), path, what, (unsigned)st->st_uid, (unsigned)user);
	return 1;
}

static enum identity_verdict output_file(const struct tcp_fd *f, const char *path, const struct file_now *n,
					 const struct identity_policy *p, int same, char *msg, size_t cap)
{
	const struct stat *st = &n->st;
	if ((uint64_t)st->st_size < f->size) {
		snprintf(msg, cap,
			 "%s: output file %s is now %lld bytes, shorter than the %llu bytes it had at checkpoint "
			 "time (truncated or replaced?); restoring would leave a hole in it. Restore from a copy of "
			 "the file or rerun the program",
			 fd_label(f), path, (long long)st->st_size, (unsigned long long)f->size);
		return IDENTITY_REFUSED;
	}
	if (same)
		return IDENTITY_SAME;
	if (not_users(f, path, st, p->user, msg, cap))
		return IDENTITY_REFUSED;
	const char *why = NULL;
	if (!(f->owner.flags & TCP_FDO_FP))
		why = "the image holds no fingerprint of the program's file (it could not be read at checkpoint "
		      "time), so a copy cannot be told from another file";
	else if (!n->fp_valid)
		why = "it cannot be read to compare its content with the program's file";
	else if (n->fp_head != f->owner.fp_head || n->fp_tail != f->owner.fp_tail)
		why = "its content differs from the program's file at checkpoint time (in its first or last 4 KiB "
		      "before that size)";
	else if (!f->size && st->st_size && st->st_ino != f->inode)
		why = "the program's file was empty at checkpoint time, so nothing shows this one is a copy of it "
		      "(if it is, empty it: : > FILE)";
	if (why) {
		snprintf(msg, cap,
			 "%s: %s is not the file the program had (another device or inode), and restoring would cut "
			 "it back to %llu bytes: %s. Put the program's file back at that path, then restore again",
			 fd_label(f), path, (unsigned long long)f->size, why);
		return IDENTITY_REFUSED;
	}
	return IDENTITY_REPLACED;
}

static enum identity_verdict input_file(const struct tcp_fd *f, const char *path, const struct file_now *n,
					const struct identity_policy *p, int same, char *msg, size_t cap)
{
	const struct stat *st = &n->st;
	int changed = (uint64_t)st->st_size != f->size || st->st_mtim.tv_sec != f->mtime_sec ||
		      st->st_mtim.tv_nsec != f->mtime_nsec;
	/* A copy with the same size and time must have the same content too
	 * (where the image has a fingerprint). */
	if (!changed && !same && (f->owner.flags & TCP_FDO_FP))
		changed = !n->fp_valid || n->fp_head != f->owner.fp_head || n->fp_tail != f->owner.fp_tail;
	if (changed && !p->allow_changed_inputs) {
		snprintf(msg, cap,
			 "%s: input file %s changed since the checkpoint (size, modification time%s); the program "
			 "would go on with different data. Restore it, or pass --allow-changed-inputs",
			 fd_label(f), path, same ? "" : " or content: it is another file");
		return IDENTITY_REFUSED;
	}
	return same ? IDENTITY_SAME : IDENTITY_REPLACED;
}

enum identity_verdict file_identity(const struct tcp_fd *f, const char *path, const struct file_now *n,
				    const struct identity_policy *p, char *msg, size_t cap)
{
	const struct stat *st = &n->st;
	if ((st->st_mode & S_IFMT) != (f->mode & S_IFMT)) {
		snprintf(msg, cap,
			 "%s: %s is now a %s, but the program had a %s there; tcp-restore does not follow symbolic "
			 "links nor open anything else in its place. Put the program's %s back at that path, then "
			 "restore again",
			 fd_label(f), path, file_type_name(st->st_mode), file_type_name(f->mode), file_type_name(f->mode));
		return IDENTITY_REFUSED;
	}
	/* The same inode number may be given to a file made later at the same
	 * path: the birth time tells, where both sides have one. */
	int same = (uint64_t)st->st_dev == f->dev && (uint64_t)st->st_ino == f->inode &&
		   (!(f->owner.flags & TCP_FDO_BTIME) || !n->btime_valid ||
		    (n->btime_sec == f->owner.btime_sec && n->btime_nsec == f->owner.btime_nsec));
	/* The owner, the very file included: a file of another user is never
	 * opened in the place of the program's. (Unless it was not known: the
	 * program ran in a user namespace where it was not mapped; a copy it
	 * writes to must still be the restoring user's.) */
	if (st->st_uid != f->owner.uid && !(f->owner.flags & TCP_FDO_UID_UNKNOWN)) {
		snprintf(msg, cap,
			 "%s: %s belongs to uid %u, but the program's %s belonged to uid %u; tcp-restore never "
			 "opens another user's file in its place. Put the program's %s back at that path, then "
			 "restore again",
			 fd_label(f), path, (unsigned)st->st_uid, file_type_name(f->mode), (unsigned)f->owner.uid,
			 file_type_name(f->mode));
		return IDENTITY_REFUSED;
	}
	if (S_ISCHR(f->mode) && !(f->flags & O_PATH)) {
		/* Devices are the same device where their number is (another
		 * node's /dev/null is another inode). */
		if (same || (uint64_t)st->st_rdev == f->owner.rdev)
			return same ? IDENTITY_SAME : IDENTITY_REPLACED;
		snprintf(msg, cap,
			 "%s: %s is another device than the program had (device number %u:%u, it was %u:%u); "
			 "restore where that device exists",
			 fd_label(f), path, major(st->st_rdev), minor(st->st_rdev), major(f->owner.rdev), minor(f->owner.rdev));
		return IDENTITY_REFUSED;
	}
	if (fd_is_output(f))
		return output_file(f, path, n, p, same, msg, cap);
	if (S_ISREG(f->mode) && !(f->flags & O_PATH))
		return input_file(f, path, n, p, same, msg, cap);
	if (same)
		return IDENTITY_SAME;
	/* A directory or an O_PATH fd: of the same owner (above). A FIFO (its
	 * meeting point: the program holds both ends): the restoring user's
	 * too, since others could talk to the program through it. */
	if (S_ISFIFO(f->mode) && not_users(f, path, st, p->user, msg, cap))
		return IDENTITY_REFUSED;
	return IDENTITY_REPLACED;
}
