/* Parser for the "lock:" lines of /proc/PID/fdinfo/N (the locks held
 * through that open file description). Freestanding. */
#ifndef TCP_FDINFO_LOCKS_H
#define TCP_FDINFO_LOCKS_H

#include <stddef.h>
#include <stdint.h>

struct fdinfo_lock {
	uint32_t type;		/* TCP_LOCK_FLOCK, TCP_LOCK_POSIX, TCP_LOCK_OFD */
	uint32_t write;		/* WRITE (exclusive) rather than READ */
	int64_t pid;		/* holder (-1 for OFD locks) */
	uint64_t start, end;	/* end UINT64_MAX: "EOF" */
};

/* Fills up to `max` locks held (lines of waiters, "->", are skipped) and
 * returns how many there are, or -1 on a line it cannot read, or -2 when
 * the description holds something that is not a plain lock (a lease, a
 * mandatory lock). */
int fdinfo_locks(const char *buf, size_t len, struct fdinfo_lock *out, int max);

#endif
