/* Files the program and its process tree wrote and closed before a
 * checkpoint, rolled back at restore like the files of open fds
 * (written_files.c, written_wrap.c). */
#ifndef TCP_WRITTEN_FILES_H
#define TCP_WRITTEN_FILES_H

struct dump_ctx;
struct img_writer;

/* The root, at start-up: its journal, named in TCP_WRITTEN_FD for the
 * processes of its tree (libc: start-up only). */
void tcp_written_init_root(void);
int tcp_written_open_root(void);
/* After a restore: libtcp's fds are gone; the root makes a new journal. */
void tcp_written_after_restore(int root);
/* Notes fd (just opened for writing) in the root's journal. */
void tcp_written_note(int fd);
/* The root's journal's inode (0: none): the processes of the tree hold it
 * too, and it is not theirs. */
#include <stdint.h>
uint64_t tcp_written_journal_ino(void);
/* An fd of the journal's (not the program's). */
int tcp_written_own_fd(int fd);
/* The root at a checkpoint: the files written and closed that are still
 * there and that no process of the tree has open (d->written), then
 * their WRITTEN records. 0, or -1 with d->err. */
int dump_written(struct dump_ctx *d);
void dump_write_written(struct dump_ctx *d, struct img_writer *w);

#endif
