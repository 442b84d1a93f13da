/* An image is a process's whole memory, code pointers included: restoring a
 * forged one runs arbitrary code. So tcp-restore only restores images that
 * the user running it owns and that nobody else can write, never runs with
 * setuid/setgid privileges or capabilities it did not get from root, and
 * root restores another user's image only when told to explicitly. */
#include "restore.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* File capabilities (setcap on tcp-restore, as CRIU suggests for itself)
 * or ambient ones would be handed to whatever program an image holds (with
 * --no-namespace, it keeps them): a user could run any code with them. Root
 * itself has them anyway. */
int check_no_capabilities(void)
{
	if (getuid() == 0)
		return 0;
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	int have = 0;
	if (syscall(SYS_capget, &h, d) == 0)
		for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
			have |= d[i].permitted || d[i].effective;
	if (have || getauxval(AT_SECURE)) {
		char self[4096] = "tcp-restore";
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n > 0)
			self[n] = 0;
		say("refusing to run with privileges a plain user does not have (%s): the restored program would get "
		    "them, and an image can hold any code. tcp-restore needs none: remove its file capabilities "
		    "(setcap -r %s), or run it without ambient capabilities",
		    have ? "capabilities in its permitted or effective set" : "a secure-execution exec, AT_SECURE",
		    self);
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
