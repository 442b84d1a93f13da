/* What one process of a stopped tree asks the root's tables (objects.c)
 * while it reads its own state: where the other ends of its pipes are,
 * whether its socket's peer is in the tree, who stores a shared memory
 * object. All answer "not in a tree" (0) outside a tree checkpoint. */
#ifndef TCP_TREE_QUERY_H
#define TCP_TREE_QUERY_H

#include <stdint.h>

/* Whether this process takes part in a tree checkpoint now. */
int tree_active(void);

/* Pipe (or FIFO) with inode `ino` on device `st_dev`: whether some other
 * process of the tree holds a read end (*readers) or a write end
 * (*writers); whether fd `fd` of this process is the one end that stores
 * the bytes in the pipe (the first readable end of the tree). */
void tree_pipe_ends(uint64_t st_dev, uint64_t ino, int fd, int *readers, int *writers, int *stores);

/* Whether another process of the tree holds the socket with inode `ino`. */
int tree_holds_socket(uint64_t ino);
/* Whether a process of the tree, this one included, holds it. */
int tree_has_socket(uint64_t ino);

/* Shared memory object (major, minor, inode): the pid that stores its
 * content (0: not known to the tree), and how often the tree maps or holds
 * it (*nattach). */
int tree_shm_owner(uint32_t major, uint32_t minor, uint64_t ino, int *nattach);
/* System V segment (major, minor, id): the kernel's count of its
 * attachments while the whole tree was stopped, before any process of it
 * forked a writer for this checkpoint; -1 if not known (not in a tree, or
 * the root could not ask). */
long tree_sysv_nattch(uint32_t major, uint32_t minor, uint64_t id);

/* Whether a process of the tree holds the master of pseudo-terminal pair
 * `index` (/dev/pts/index). */
int tree_pty_master_held(uint32_t index);

#endif
