/* The paths of inotify watches. The kernel keeps only the inode of a watch
 * (fdinfo shows wd, inode and device), so inotify_wrap.c notes the path of
 * every successful inotify_add_watch() here, and the dump finds a watch's
 * path again by its wd and inode. Append-only and lock-free: threads may
 * add watches concurrently, and the dump reads the log while they are
 * stopped anywhere, maybe halfway through an append (that record is not
 * marked ready yet and is skipped). Raw syscalls only. */
#include "internal.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <sys/mman.h>
#include <sys/stat.h>

#define LOG_BYTES (8u << 20) /* reserved, touched as used */

struct note {
	volatile uint32_t ready;
	int32_t wd;
	uint32_t len;	/* path bytes, NUL included */
	uint32_t size;	/* of the whole record, 8-aligned */
	char path[];
};

static char *volatile notes;
static uint64_t used; /* bytes handed out, updated atomically */

static char *log_area(void)
{
	char *a = notes;
	if (a)
		return a;
	long m = (long)tcp_scratch_map(LOG_BYTES);
	if (m < 0 && m > -4096)
		return 0;
	char *expected = 0;
	if (!__atomic_compare_exchange_n(&notes, &expected, (char *)m, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		r_munmap((void *)m, LOG_BYTES); /* another thread was first */
		return expected;
	}
	return (char *)m;
}

void tcp_inotify_note(int wd, const char *path)
{
	char *a = log_area();
	uint32_t len = (uint32_t)f_strlen(path) + 1;
	if (!a || len > TCP_PATH_MAX)
		return; /* the dump will say that this watch's path is unknown */
	uint32_t size = (uint32_t)((sizeof(struct note) + len + 7) & ~7ul);
	uint64_t at = __atomic_fetch_add(&used, size, __ATOMIC_ACQ_REL);
	if (at + size > LOG_BYTES)
		return;
	struct note *n = (struct note *)(a + at);
	n->wd = wd;
	n->len = len;
	n->size = size;
	f_memcpy(n->path, path, len);
	__atomic_store_n(&n->ready, 1, __ATOMIC_RELEASE);
}

const char *tcp_inotify_path(int wd, uint64_t ino, uint64_t dev)
{
	char *a = notes;
	uint64_t end = __atomic_load_n(&used, __ATOMIC_ACQUIRE);
	const char *found = 0;
	if (!a)
		return 0;
	if (end > LOG_BYTES)
		end = LOG_BYTES;
	/* The newest record whose path still names the watched inode. */
	for (uint64_t at = 0; at + sizeof(struct note) <= end;) {
		struct note *n = (struct note *)(a + at);
		if (!n->size)
			break; /* reserved but not written yet */
		if (n->ready && n->wd == wd) {
			struct stat st;
			if (r_fstatat(R_AT_FDCWD, n->path, &st, 0) == 0 && (uint64_t)st.st_ino == ino &&
			    (uint64_t)st.st_dev == dev)
				found = n->path;
		}
		at += n->size;
	}
	return found;
}
