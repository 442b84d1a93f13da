/* Files of an MPI session directory (common/session_path.h) whose
 * directory is gone at restore: a job requeued on a node that never had
 * it, or whose /tmp was cleaned. The object is made under a hidden name in
 * the nearest directory above it that exists, and moved to its path by the
 * blob's last step, after the missing directories are made there (mode
 * 0700, the restoring user's: Open MPI's own), so that nothing shows before
 * the restore is known to succeed. Every directory on the way that exists
 * must be a real directory (no symbolic link) of the restoring user or of
 * root (/tmp): another user's directory at a session path is refused. */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int plan_missing_dirs(const char *path, int floor, const char **rel)
{
	char dir[4096];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) || dir[0] != '/') {
		say("%s: the path is too long, or not absolute; the image is damaged", path);
		return -1;
	}
	*strrchr(dir, '/') = 0;
	/* Up to the nearest existing directory ("/" exists). */
	struct stat st;
	while (lstat(dir, &st)) {
		if (errno != ENOENT) {
			say("cannot look at %s, above %s: %s", dir, path, strerror(errno));
			return -1;
		}
		char *slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = 0;
		else
			*slash = 0;
	}
	uid_t me = geteuid();
	if (!S_ISDIR(st.st_mode) || (st.st_uid != me && st.st_uid != 0)) {
		say("cannot make %s again: %s is %s of uid %u, not a directory of yours; tcp-restore makes nothing in "
		    "another user's place. Have it removed, then restore again",
		    path, dir, S_ISDIR(st.st_mode) ? "a directory" : S_ISLNK(st.st_mode) ? "a symbolic link" : "a file",
		    (unsigned)st.st_uid);
		return -1;
	}
	int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	if (fd < 0 || fstat(fd, &now) || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		say("cannot open %s to make %s again: %s", dir, path, fd < 0 ? strerror(errno) : "it was replaced meanwhile");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* The missing directories, top down. */
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s", path);
	*strrchr(sub, '/') = 0;
	size_t have = strlen(dir) == 1 ? 0 : strlen(dir);
	for (size_t i = have + 1; i <= strlen(sub); i++) {
		if (sub[i] != '/' && sub[i] != 0)
			continue;
		char keep = sub[i];
		sub[i] = 0;
		int rc = commit_mkdir(sub, 0700, (uint32_t)getegid());
		sub[i] = keep;
		if (rc) {
			say("cannot plan to make the directory of %s again (out of memory, or a path over 255 bytes)", path);
			close(fd);
			return -1;
		}
	}
	/* The object's path from there: the blob moves it through this very
	 * directory fd (its mount, not the restore's own mount namespace's
	 * copy: a rename across them fails). */
	*rel = path + have + 1;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	close(fd);
	if (high < 0)
		say("cannot keep the directory above %s open: %s", path, strerror(errno));
	return high;
}
