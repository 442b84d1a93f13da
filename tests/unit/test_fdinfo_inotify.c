/* The "inotify wd:" lines of an inotify fd's fdinfo (common/fdinfo_inotify.c). */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "common/fdinfo_inotify.h"

static const char two[] =
	"pos:\t0\nflags:\t02004000\nmnt_id:\t17\nino:\t26\n"
	"inotify wd:2 ino:2dd sdev:fe00000 mask:84000002 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 "
	"f_handle:dd02000000000000\n"
	"inotify wd:1 ino:3c51a sdev:10300005 mask:300 ignored_mask:0 fhandle-bytes:8 fhandle-type:1 "
	"f_handle:1ac5030000000000\n";

Test(fdinfo_inotify, every_watch)
{
	size_t pos = 0;
	struct fdinfo_watch w;
	cr_assert_eq(fdinfo_inotify_next(two, strlen(two), &pos, &w), 1);
	cr_assert_eq(w.wd, 2);
	cr_assert_eq(w.ino, 0x2dd);
	cr_assert_eq(w.mask, 0x84000002u);
	cr_assert_eq(w.dev, makedev(254, 0));
	cr_assert_eq(fdinfo_inotify_next(two, strlen(two), &pos, &w), 1);
	cr_assert_eq(w.wd, 1);
	cr_assert_eq(w.ino, 0x3c51a);
	cr_assert_eq(w.dev, makedev(0x103, 5), "major above 255 and a minor: %llx", (unsigned long long)w.dev);
	cr_assert_eq(fdinfo_inotify_next(two, strlen(two), &pos, &w), 0);
}

Test(fdinfo_inotify, no_watches)
{
	const char *t = "pos:\t0\nflags:\t02004000\n";
	size_t pos = 0;
	struct fdinfo_watch w;
	cr_assert_eq(fdinfo_inotify_next(t, strlen(t), &pos, &w), 0);
}

Test(fdinfo_inotify, malformed)
{
	const char *bad[] = {
		"inotify ino:2dd sdev:0 mask:2\n",		/* no wd */
		"inotify wd:0 ino:2dd sdev:0 mask:2\n",		/* wd 0 */
		"inotify wd:1 ino:2dd sdev:0\n",		/* no mask */
		"inotify wd:1 ino:xyz sdev:0 mask:2\n",
		"inotify wd:1 ino:2dd sdev:0 mask:100000000\n", /* mask beyond 32 bits */
		"inotify wd:80000000 ino:1 sdev:0 mask:2\n",
		"inotify wd: ino:1 sdev:0 mask:2\n",
		"inotify wd:1 ino:11112222333344445 sdev:0 mask:2\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t pos = 0;
		struct fdinfo_watch w;
		cr_assert_eq(fdinfo_inotify_next(bad[i], strlen(bad[i]), &pos, &w), -1, "accepted: %s", bad[i]);
	}
}
