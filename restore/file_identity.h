/* The rule by which a restore accepts the file it finds at an fd's path as
 * the one the program had (docs/user-guide.md, "Files at restore"; DESIGN §4): the very
 * same file (device and inode), or, where the file was legitimately
 * replaced (a copy on another node, a restore from backup), one of the same
 * type and owner, checked by kind. Never another user's file in its place. */
#ifndef TCP_FILE_IDENTITY_H
#define TCP_FILE_IDENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "../image/format.h"

/* What is at the path now (fstat of what was opened, without following a
 * symlink at the last component), and for a regular file its fingerprint
 * taken as the image's was (same offsets and lengths); fp_valid 0 if it
 * could not be read. */
struct file_now {
	struct stat st;
	int fp_valid;
	uint64_t fp_head, fp_tail;
	int btime_valid;		/* statx gave a birth time */
	int64_t btime_sec;
	uint32_t btime_nsec;
};

/* How messages name the record: "fd 3", or for a file the program wrote
 * and closed before the checkpoint (a WRITTEN record, fd -1) "the file
 * it wrote and closed". A static buffer (messages one at a time). */
const char *fd_label(const struct tcp_fd *f);

struct identity_policy {
	uint32_t user;			/* who may own a replacement that is written to */
	int allow_changed_inputs;
};

enum identity_verdict {
	IDENTITY_SAME = 0,		/* the very file the program had */
	IDENTITY_REPLACED = 1,		/* another file that passes the rule */
	IDENTITY_REFUSED = -1,		/* `msg` says why and what to do */
};

/* Output files: opened for writing (not O_PATH), rolled back to their size
 * at checkpoint time. */
int fd_is_output(const struct tcp_fd *f);

/* The verdict for record `f` (kind REGULAR, DEVICE or a FIFO) at `path`,
 * with a message (starting with "fd N: PATH") in msg when refused. */
enum identity_verdict file_identity(const struct tcp_fd *f, const char *path, const struct file_now *now,
				    const struct identity_policy *p, char *msg, size_t cap);

/* The name of a file type (st_mode & S_IFMT) for messages. */
const char *file_type_name(uint32_t mode);

#endif
