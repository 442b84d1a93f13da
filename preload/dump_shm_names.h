/* Names of shared memory objects as /proc/self/maps and /proc/self/fd show
 * them. Freestanding: used by the dump and by the unit tests. */
#ifndef TCP_DUMP_SHM_NAMES_H
#define TCP_DUMP_SHM_NAMES_H

#include <stddef.h>

/* The TCP_SHM_* type of the object a mapping (shared: 's' in maps) or an fd
 * link names, or 0 if it is not a shared memory object:
 *   "/memfd:NAME (deleted)"  memfd (shared or private mapping, or an fd)
 *   "/dev/shm/NAME"          POSIX shared memory, " (deleted)" if unlinked
 *   a file of an MPI session directory (common/session_path.h): the same
 *   "/dev/zero (deleted)"    MAP_SHARED|MAP_ANONYMOUS (shared mappings only)
 *   "/SYSVkkkkkkkk (deleted)" System V segment of key k (mappings only) */
int shm_type_of(const char *path, int shared);

/* The object's name for the image: the memfd's own name (without "/memfd:"
 * and " (deleted)"), the /dev/shm path without " (deleted)", else "".
 * Writes at most cap-1 bytes and a NUL into out; returns the length, or -1
 * if it does not fit. Sets *deleted when the path ended in " (deleted)". */
long shm_object_name(const char *path, int type, char *out, size_t cap, int *deleted);

#endif
