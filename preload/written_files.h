/* Files the program and its process tree wrote and closed before a
 * checkpoint, rolled back at restore like the files of open fds
 * (written_files.c, written_wrap.c). */
#ifndef TCP_WRITTEN_FILES_H
#define TCP_WRITTEN_FILES_H

struct dump_ctx;
struct img_writer;

/* Notes fd (just opened for writing by the program). */
void tcp_written_note(int fd);
/* The root at a checkpoint: the files written and closed that are still
 * there and that no process of the tree has open (d->written), then
 * their WRITTEN records. 0, or -1 with d->err. */
int dump_written(struct dump_ctx *d);
void dump_write_written(struct dump_ctx *d, struct img_writer *w);
/* The root at its end: removes its tree's journal. */
void tcp_written_end(void);

#endif
