/* The blob's side of a process tree's restore (restore/tree/area.h): no
 * process makes a visible change before every process of the tree has
 * checked all its pages, and the changes of the whole tree are made in
 * steps that every process finishes before the next: names and bindings,
 * connections, output files cut back. A failure anywhere stops every
 * process, each taking back what it did. Nothing of this for a single
 * process (blob_args.tree_area 0). */
#ifndef TCP_BLOB_TREE_SYNC_H
#define TCP_BLOB_TREE_SYNC_H

#include "../blob_args.h"

/* Arrives at barrier k (TREE_SYNC_*) and waits for every process; 0, or -1
 * if the tree was aborted meanwhile. */
int tree_sync(const struct blob_args *a, int k);
/* This process failed (it says why itself): the others stop. */
void tree_sync_fail(const struct blob_args *a);
/* 1 if another process stopped the tree already. */
int tree_sync_aborted(const struct blob_args *a);
/* The tree was stopped by another process: says so if nobody did (a
 * process ended without a word), and exits 1. Undo first. */
__attribute__((noreturn)) void tree_sync_quit(const struct blob_args *a);
/* Unmaps the shared area before the program runs. */
void tree_sync_done(const struct blob_args *a);

#endif
