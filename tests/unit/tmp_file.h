/* An unlinked temporary file for a unit test (it goes away with its fd). */
#ifndef TCP_TEST_TMP_FILE_H
#define TCP_TEST_TMP_FILE_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <unistd.h>

static inline int tmp_file(void)
{
	char path[] = "/tmp/tcp-unit-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	return fd;
}

#endif
