/* Inputs the fuzzer once crashed the reader with (tests/fuzz/regressions):
 * each must now be refused cleanly, with a message. Most useful in the
 * sanitizer build, which would catch the old out-of-bounds reads. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "image/reader.h"

Test(regressions, every_saved_input_is_refused_cleanly)
{
	DIR *d = opendir(REGRESSIONS_DIR);
	cr_assert_not_null(d, "cannot open %s", REGRESSIONS_DIR);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096], err[1024] = "";
		snprintf(path, sizeof(path), "%s/%s", REGRESSIONS_DIR, e->d_name);
		struct tcp_image img;
		cr_expect_eq(img_load(path, &img, err, sizeof(err)), -1, "%s was accepted", e->d_name);
		cr_expect(strlen(err) > 0, "%s: no message", e->d_name);
		img_free(&img);
		n++;
	}
	closedir(d);
	cr_assert_gt(n, 0, "no regression inputs found");
}
