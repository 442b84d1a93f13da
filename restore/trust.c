/* An image is a process's whole memory, code pointers included: restoring a
 * forged one runs arbitrary code. So tcp-restore only restores images that
 * the user running it owns and that nobody else can write, never runs with
 * setuid/setgid privileges, and root restores another user's image only
 * when told to explicitly. */
#include "restore.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int check_not_setuid(void)
{
	if (getuid() != geteuid() || getgid() != getegid()) {
		say("refusing to run with setuid/setgid privileges: tcp-restore must be installed as an ordinary "
		    "program (chmod u-s,g-s)");
		return -1;
	}
	return 0;
}

int check_trusted_image(int fd, const char *path, int allow_other_owner)
{
	struct stat st;
	if (fstat(fd, &st)) {
		say("cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		say("%s is not a regular file", path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		say("refusing %s: it is writable by other users (mode %03o), so it may have been altered; an image "
		    "holds code that restoring runs. If you trust it: chmod go-w %s",
		    path, (unsigned)(st.st_mode & 0777), path);
		return -1;
	}
	if (st.st_uid != getuid()) {
		if (getuid() == 0 && allow_other_owner)
			return 0;
		if (getuid() == 0)
			say("refusing %s: it belongs to uid %u, not to root; restoring it as root would run that "
			    "user's program with root's privileges. Restore it as that user, or pass "
			    "--allow-other-owner if that is really intended",
			    path, (unsigned)st.st_uid);
		else
			say("refusing %s: it belongs to uid %u, not to you (uid %u); an image holds code that "
			    "restoring runs. Copy it only if you trust its owner",
			    path, (unsigned)st.st_uid, (unsigned)getuid());
		return -1;
	}
	return 0;
}
