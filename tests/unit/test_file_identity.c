/* The rule by which a restore accepts the file at an fd's path as the one
 * the program had (restore/file_identity.c): the very same file, or a copy
 * that passes the check of its kind; never a symbolic link, another type,
 * another user's file, or a file whose content differs. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "restore/file_identity.h"

static char msg[8192];
static const struct identity_policy user = { .user = 1000 };

/* An output file of 100 bytes, owned by 1000, with a fingerprint. */
static struct tcp_fd output(void)
{
	struct tcp_fd f;
	memset(&f, 0, sizeof(f));
	f.fd = 3;
	f.kind = TCP_FD_REGULAR;
	f.flags = O_WRONLY;
	f.mode = S_IFREG | 0644;
	f.size = 100;
	f.dev = 42;
	f.inode = 7;
	f.mtime_sec = 1000;
	f.owner.uid = 1000;
	f.owner.flags = TCP_FDO_FP;
	f.owner.fp_len = 100;
	f.owner.fp_head = 11;
	f.owner.fp_tail = 22;
	return f;
}

/* The file at the path now: that very file, grown to 150 bytes. */
static struct file_now same_file(void)
{
	struct file_now n;
	memset(&n, 0, sizeof(n));
	n.st.st_mode = S_IFREG | 0644;
	n.st.st_dev = 42;
	n.st.st_ino = 7;
	n.st.st_size = 150;
	n.st.st_uid = 1000;
	n.st.st_mtim.tv_sec = 1000;
	return n;
}

/* A copy of it on another filesystem, with the same first 100 bytes. */
static struct file_now copy(void)
{
	struct file_now n = same_file();
	n.st.st_dev = 43;
	n.st.st_ino = 99;
	n.fp_valid = 1;
	n.fp_head = 11;
	n.fp_tail = 22;
	return n;
}

static int verdict(const struct tcp_fd *f, const struct file_now *n, const struct identity_policy *p)
{
	msg[0] = 0;
	return file_identity(f, "/w/out", n, p, msg, sizeof(msg));
}

Test(file_identity, the_very_file_is_accepted)
{
	struct tcp_fd f = output();
	struct file_now n = same_file();
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
	/* whatever its content now (the program may have rewritten its start) */
	n.fp_valid = 1;
	n.fp_head = 99;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
}

Test(file_identity, the_very_inode_of_another_owner_is_refused)
{
	struct tcp_fd f = output();
	struct file_now n = same_file();
	n.st.st_uid = 2000; /* chowned, or a new file that got the same inode number */
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "fd 3: /w/out belongs to uid 2000, but the program's regular file belonged to uid 1000"),
		  "%s", msg);
}

Test(file_identity, a_reused_inode_number_is_not_the_same_file)
{
	struct tcp_fd f = output();
	f.owner.flags |= TCP_FDO_BTIME;
	f.owner.btime_sec = 500;
	struct file_now n = same_file();
	n.btime_valid = 1;
	n.btime_sec = 600; /* made after the program's file was removed */
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "is not the file the program had"), "%s", msg);
	/* ... unless it is a copy of it */
	n.fp_valid = 1;
	n.fp_head = 11;
	n.fp_tail = 22;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.btime_sec = 500;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
	n.btime_valid = 0; /* not known here: the inode decides */
	n.btime_sec = 600;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
}

Test(file_identity, a_shorter_output_is_refused)
{
	struct tcp_fd f = output();
	struct file_now n = same_file();
	n.st.st_size = 99;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "fd 3: output file /w/out is now 99 bytes, shorter than the 100 bytes"), "%s", msg);
}

Test(file_identity, a_symlink_or_other_type_is_refused)
{
	struct tcp_fd f = output();
	struct file_now n = same_file();
	n.st.st_mode = S_IFLNK | 0777;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "is now a symbolic link, but the program had a regular file there"), "%s", msg);
	n.st.st_mode = S_IFIFO | 0600;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "is now a FIFO"), "%s", msg);
}

Test(file_identity, a_copy_with_the_same_owner_and_content_is_accepted)
{
	struct tcp_fd f = output();
	struct file_now n = copy();
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
}

Test(file_identity, a_replacement_of_another_owner_is_refused)
{
	struct tcp_fd f = output();
	struct file_now n = copy();
	n.st.st_uid = 2000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "belongs to uid 2000, but the program's regular file belonged to uid 1000"), "%s", msg);
	/* the program's owner, but not the restoring user */
	f.owner.uid = 2000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "belongs to uid 2000, not to you (uid 1000)"), "%s", msg);
}

Test(file_identity, a_replacement_with_other_content_is_refused)
{
	struct tcp_fd f = output();
	struct file_now n = copy();
	n.fp_tail = 23;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "cut it back to 100 bytes: its content differs"), "%s", msg);
	n = copy();
	n.fp_valid = 0;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "cannot be read"), "%s", msg);
	n = copy();
	f.owner.flags = 0; /* no fingerprint in the image */
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "holds no fingerprint"), "%s", msg);
}

Test(file_identity, an_empty_output_needs_its_inode_number)
{
	struct tcp_fd f = output();
	f.size = 0;
	f.owner.fp_len = 0;
	f.owner.fp_head = f.owner.fp_tail = 5;
	struct file_now n = copy();
	n.fp_head = n.fp_tail = 5;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "was empty at checkpoint time"), "%s", msg);
	n.st.st_ino = 7; /* the same inode on another mount (NFS from another node) */
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.st.st_ino = 99;
	n.st.st_size = 0; /* nothing to lose */
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
}

Test(file_identity, inputs_unchanged_or_allowed)
{
	struct tcp_fd f = output();
	f.flags = O_RDONLY;
	struct file_now n = same_file();
	n.st.st_size = 100;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
	n.st.st_mtim.tv_sec = 1001;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "fd 3: input file /w/out changed since the checkpoint"), "%s", msg);
	struct identity_policy allow = { .user = 1000, .allow_changed_inputs = 1 };
	cr_assert_eq(verdict(&f, &n, &allow), IDENTITY_SAME);
	/* a copy (cp -p): the same size, time and content */
	n = copy();
	n.st.st_size = 100;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.fp_head = 12;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	/* read-only files of another user (a system file) are fine: the owner
	 * is the one the program's had */
	f.owner.uid = 0;
	n = copy();
	n.st.st_size = 100;
	n.st.st_uid = 0;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.st.st_uid = 1000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
}

Test(file_identity, devices_by_number)
{
	struct tcp_fd f = output();
	f.kind = TCP_FD_DEVICE;
	f.flags = O_RDWR;
	f.mode = S_IFCHR | 0666;
	f.owner.uid = 0;
	f.owner.rdev = makedev(1, 3);
	struct file_now n = copy();
	n.st.st_mode = S_IFCHR | 0666;
	n.st.st_rdev = makedev(1, 3);
	n.st.st_uid = 0;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.st.st_rdev = makedev(1, 5);
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "another device than the program had (device number 1:5, it was 1:3)"), "%s", msg);
}

Test(file_identity, directories_and_fifos_by_owner)
{
	struct tcp_fd f = output();
	f.flags = O_RDONLY | O_DIRECTORY;
	f.mode = S_IFDIR | 0755;
	struct file_now n = copy();
	n.st.st_mode = S_IFDIR | 0755;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
	n.st.st_uid = 2000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	/* a FIFO must be the restoring user's too */
	f.kind = TCP_FD_PIPE;
	f.flags = O_RDWR;
	f.mode = S_IFIFO | 0600;
	f.owner.uid = 2000;
	n.st.st_mode = S_IFIFO | 0600;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "not to you (uid 1000)"), "%s", msg);
}

Test(file_identity, an_owner_unknown_at_checkpoint_is_not_compared)
{
	/* A program restored by an ordinary user runs in a user namespace:
	 * root's /dev/null showed there as the overflow uid. */
	struct tcp_fd f = output();
	f.kind = TCP_FD_DEVICE;
	f.flags = O_RDONLY;
	f.mode = S_IFCHR | 0666;
	f.owner.uid = 65534;
	f.owner.flags |= TCP_FDO_UID_UNKNOWN;
	struct file_now n = same_file();
	n.st.st_mode = S_IFCHR | 0666;
	n.st.st_uid = 0;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_SAME);
	f.owner.flags &= ~TCP_FDO_UID_UNKNOWN;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	/* a copy written to must still be the restoring user's */
	f = output();
	f.owner.uid = 65534;
	f.owner.flags |= TCP_FDO_UID_UNKNOWN;
	n = copy();
	n.st.st_uid = 2000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REFUSED);
	cr_assert(strstr(msg, "not to you (uid 1000)"), "%s", msg);
	n.st.st_uid = 1000;
	cr_assert_eq(verdict(&f, &n, &user), IDENTITY_REPLACED);
}
