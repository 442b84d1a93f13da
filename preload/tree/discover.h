/* The root's side of stopping a process tree (discover.c). */
#ifndef TCP_TREE_DISCOVER_H
#define TCP_TREE_DISCOVER_H

#include <stdint.h>
#include "area.h"

struct dump_ctx;
struct fbuf;

/* Finds, signals and waits for every descendant (slot 0, the root, is
 * filled by the caller). 0 once every process of the tree is stopped or a
 * zombie; -1 with d->err (d->child_only if a process without libtcp was
 * found: one that may be gone soon). */
int tree_stop_all(struct dump_ctx *d, struct tree_area *a, int area_fd);
/* The value TCP_TREE_SIGNAL carries: the checkpoint's epoch, the area's
 * fd in the root and the process's slot. */
int tree_stop_value(uint32_t epoch, int fd, int slot);
/* TCP_TREEP_* flags of every slot. */
void tree_mark_leaders(struct tree_area *a);
/* Whether pid has ended (gone, or a zombie). */
int tree_process_ended(int pid);
/* Whether the process of slot s has ended (gone, a zombie, or its pid
 * taken by another process). */
int tree_slot_ended(const struct tree_slot *s);
/* For TCP_RETRY (retry.c): 1 while a live descendant runs without libtcp's
 * handler (a static program, or one still starting up), so that a
 * checkpoint would be refused again; 0 when every one would take part (or
 * there are none). Quiet and cheap: /proc only, nothing stopped. */
int tree_has_outsider(void);
/* "process PID (its command line)". */
void tree_name_process(struct fbuf *err, int pid);

#endif
