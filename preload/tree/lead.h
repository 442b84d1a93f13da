/* The root's side of a process-tree checkpoint (lead.c) and the member's
 * (member.c), as checkpoint.c drives them. */
#ifndef TCP_TREE_LEAD_H
#define TCP_TREE_LEAD_H

#include <stdint.h>
#include "area.h"
#include "../../image/writer.h"

struct dump_ctx;
struct fbuf;

/* ---- the root ---- */
/* With child processes: stops the whole tree for generation `gen` and
 * moves it to TREE_DUMP (tcp_tree set). Without: nothing (tcp_tree 0).
 * 0, or -1 with d->err (every process of the tree goes on). */
int tree_lead_stop(struct dump_ctx *d, long gen);
/* Waits until every member has taken its state: 0, or -1 with d->err. */
int tree_lead_captured(struct dump_ctx *d);
/* Moves the tree to `phase` (TREE_RESUME, TREE_ABORT, TREE_EXIT) and
 * leaves it; after TREE_EXIT, once every other process has ended (at most
 * TREE_STOP_TIMEOUT_MS). */
void tree_lead_end(int phase);
/* Processes in the checkpoint being taken (1 without a tree). */
int tree_processes(void);
/* In the root's writer, before END: waits for every member's image, then
 * the TREE section (built in buf, cap bytes). 0, or -1 with err. */
int tree_write_section(const struct tree_area *a, struct img_writer *w, char *buf, uint64_t cap, struct fbuf *err);
/* Removes the member images of generation `gen` (a failed one). */
void tree_drop_member_images(int dirfd, const char *prog, long gen, char *dents);
/* What checkpoints killed in the middle left (the root, after a complete
 * generation, holding the directory's lock): member images of a generation
 * whose root image was never written, and this run's temporary files of
 * member images. */
void tree_drop_leftovers(int dirfd, const char *prog, uint64_t run, char *dents);

/* ---- a member ---- */
/* Whether the root has given the checkpoint up (TREE_ABORT). */
int tree_member_aborted(void);
/* Maps the area named by the signal's value and records this process in
 * its slot: 0, or -1 if it cannot take part (the root then times out). */
int tree_member_join(struct dump_ctx *d, int value, int root_pid);
/* Its threads are stopped (ok) or could not be (d->err): reports, then
 * waits for the root. Returns the next phase (TREE_DUMP or TREE_ABORT). */
int tree_member_parked(struct dump_ctx *d, int ok);
/* Its state is taken and its writer started (writer_pid, 0 when it wrote
 * the image itself), or it failed (d->err): reports, then waits for the
 * root. Returns TREE_RESUME, TREE_ABORT or TREE_EXIT. */
int tree_member_captured(struct dump_ctx *d, int ok, long writer_pid);
/* In the member's writer (or the member itself): its image is written,
 * or not (why), and how to check it is the one. */
void tree_member_written(const char *why, const char *name, uint64_t size, const uint64_t id[2], uint64_t process_sum);

#endif
