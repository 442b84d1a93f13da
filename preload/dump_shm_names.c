/* Telling shared memory objects apart by the names the kernel gives them. */
#include "dump_shm_names.h"
#include "../common/fstr.h"
#include "../common/session_path.h"
#include "../image/format.h"

#define DELETED " (deleted)"

int shm_type_of(const char *path, int shared)
{
	if (f_startswith(path, "/memfd:"))
		return TCP_SHM_MEMFD;
	if (f_startswith(path, "/dev/shm/") && path[9])
		return TCP_SHM_POSIX;
	/* A file of an MPI session directory: a named object like those of
	 * /dev/shm, mapped or held as an fd (common/session_path.h). */
	if (session_path(path))
		return TCP_SHM_POSIX;
	if (shared && f_streq(path, "/dev/zero" DELETED))
		return TCP_SHM_ANON;
	if (shared && f_startswith(path, "/SYSV") && f_endswith(path, DELETED))
		return TCP_SHM_SYSV;
	return 0;
}

long shm_object_name(const char *path, int type, char *out, size_t cap, int *deleted)
{
	size_t len = f_strlen(path), skip = 0;
	*deleted = f_endswith(path, DELETED);
	if (*deleted)
		len -= sizeof(DELETED) - 1;
	if (type == TCP_SHM_MEMFD)
		skip = sizeof("/memfd:") - 1;
	else if (type != TCP_SHM_POSIX)
		len = skip = 0;
	if (len < skip || len - skip >= cap)
		return -1;
	f_memcpy(out, path + skip, len - skip);
	out[len - skip] = 0;
	return (long)(len - skip);
}
