/* Shared memory names as maps and /proc/self/fd show them. */
#include <criterion/criterion.h>
#include <string.h>

#include "image/format.h"
#include "preload/dump_shm_names.h"

Test(shm_names, types)
{
	cr_assert_eq(shm_type_of("/memfd:pool (deleted)", 1), TCP_SHM_MEMFD);
	cr_assert_eq(shm_type_of("/memfd:pool (deleted)", 0), TCP_SHM_MEMFD);
	cr_assert_eq(shm_type_of("/memfd: (deleted)", 0), TCP_SHM_MEMFD);
	cr_assert_eq(shm_type_of("/dev/shm/x", 1), TCP_SHM_POSIX);
	cr_assert_eq(shm_type_of("/dev/shm/x (deleted)", 0), TCP_SHM_POSIX);
	cr_assert_eq(shm_type_of("/dev/zero (deleted)", 1), TCP_SHM_ANON);
	cr_assert_eq(shm_type_of("/SYSV0000abcd (deleted)", 1), TCP_SHM_SYSV);
	/* not shared memory objects */
	cr_assert_eq(shm_type_of("/dev/shm/", 1), 0);
	cr_assert_eq(shm_type_of("/dev/zero (deleted)", 0), 0);
	cr_assert_eq(shm_type_of("/dev/zero", 1), 0);
	cr_assert_eq(shm_type_of("/SYSV0000abcd (deleted)", 0), 0);
	cr_assert_eq(shm_type_of("/SYSV0000abcd", 1), 0);
	cr_assert_eq(shm_type_of("/tmp/data (deleted)", 1), 0);
	cr_assert_eq(shm_type_of("", 1), 0);
	cr_assert_eq(shm_type_of("[anon:x]", 1), 0);
}

Test(shm_names, names)
{
	char out[64];
	int deleted = -1;
	cr_assert_eq(shm_object_name("/memfd:pool (deleted)", TCP_SHM_MEMFD, out, sizeof(out), &deleted), 4);
	cr_assert_str_eq(out, "pool");
	cr_assert_eq(deleted, 1);
	/* a name with spaces and its own "(deleted)" loses only the kernel's */
	cr_assert_eq(shm_object_name("/memfd:a b (deleted) (deleted)", TCP_SHM_MEMFD, out, sizeof(out), &deleted), 13);
	cr_assert_str_eq(out, "a b (deleted)");
	cr_assert_eq(shm_object_name("/dev/shm/seg", TCP_SHM_POSIX, out, sizeof(out), &deleted), 12);
	cr_assert_str_eq(out, "/dev/shm/seg");
	cr_assert_eq(deleted, 0);
	cr_assert_eq(shm_object_name("/dev/shm/seg (deleted)", TCP_SHM_POSIX, out, sizeof(out), &deleted), 12);
	cr_assert_eq(deleted, 1);
	cr_assert_eq(shm_object_name("/dev/zero (deleted)", TCP_SHM_ANON, out, sizeof(out), &deleted), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(shm_object_name("/SYSV00000001 (deleted)", TCP_SHM_SYSV, out, sizeof(out), &deleted), 0);
	/* too long for the buffer */
	cr_assert_eq(shm_object_name("/memfd:0123456789 (deleted)", TCP_SHM_MEMFD, out, 10, &deleted), -1);
	cr_assert_eq(shm_object_name("/memfd:012345678 (deleted)", TCP_SHM_MEMFD, out, 10, &deleted), 9);
	/* a path shorter than its prefix */
	cr_assert_eq(shm_object_name("/memfd:", TCP_SHM_MEMFD, out, sizeof(out), &deleted), 0);
}
