/* MPI session directories (issue 21 item 3). Open MPI keeps its runtime's
 * shared memory (PMIx's data store, hwloc's topology) and the mpirun FIFO
 * in files under TMPDIR/ompi.NODE.UID/ (PRRTE: prte.NODE.UID/). They are
 * state of the job like /dev/shm objects: stored in the image, and made
 * again at restore, directories included, when a requeued job lands on a
 * node that never had them. Freestanding: used while the app is stopped. */
#ifndef TCP_SESSION_PATH_H
#define TCP_SESSION_PATH_H

#include <stddef.h>

/* Whether `path` (absolute, as /proc shows it) lies in a session directory:
 * a component "ompi.*" or "prte.*" with at least one component after it,
 * and no "." or ".." component anywhere. */
static inline int session_path(const char *path)
{
	if (!path || path[0] != '/')
		return 0;
	int in_session = 0, after = 0;
	for (const char *c = path; *c;) {
		while (*c == '/')
			c++;
		const char *start = c;
		while (*c && *c != '/')
			c++;
		size_t n = (size_t)(c - start);
		if (!n)
			break;
		if ((n == 1 && start[0] == '.') || (n == 2 && start[0] == '.' && start[1] == '.'))
			return 0;
		if (in_session)
			after = 1;
		else if (n > 5 && (start[0] == 'o' || start[0] == 'p') &&
			 ((start[0] == 'o' && start[1] == 'm' && start[2] == 'p' && start[3] == 'i' && start[4] == '.') ||
			  (start[0] == 'p' && start[1] == 'r' && start[2] == 't' && start[3] == 'e' && start[4] == '.')))
			in_session = 1;
	}
	return in_session && after;
}

#endif
