/* The image directory's lock: see dir_lock.c. */
#ifndef TCP_DIR_LOCK_H
#define TCP_DIR_LOCK_H

#include "internal.h"

#define TCP_LOCK_NAME ".tcp-lock"

enum tcp_lock_result {
	TCP_LOCK_HELD,		/* we hold it */
	TCP_LOCK_BUSY,		/* another running program holds it (why says who) */
	TCP_LOCK_FOREIGN,	/* the lock file is not a plain file of ours (why says what) */
	TCP_LOCK_UNSUPPORTED,	/* the filesystem has no locks: two runs cannot be told apart */
	TCP_LOCK_NONE,		/* no lock file could be made (no directory, read-only) */
};

/* Takes the lock on the directory `dirfd` unless held already; `pid` is
 * the pid to name in it (the one users signal). */
int tcp_dir_lock(int dirfd, long pid, struct fbuf *why);
int tcp_dir_lock_held(void);
/* After TCP_LOCK_BUSY: the pid the holder named (0 if none). */
long tcp_dir_lock_last_holder(void);
/* Whether fd is the lock's (left out of the image). */
int tcp_dir_lock_owns(long fd);
/* After a restore: the fd did not come along. */
void tcp_dir_lock_forget(void);
/* In a forked child: only the program holds it. */
void tcp_dir_lock_drop(void);

#endif
