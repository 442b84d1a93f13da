/* The blob's part of restore/commit.c: the restore's visible changes at its
 * very end, and their undoing when it fails before. */
#ifndef TCP_BLOB_COMMIT_H
#define TCP_BLOB_COMMIT_H

#include "../blob_args.h"

/* Makes every planned change; on a failure, undoes what it did, reports and
 * exits 1 (the program was not resumed). */
void blob_commit(const struct blob_args *a);
/* A failed restore: removes the temporary objects and System V segments it
 * made (nothing else was changed yet); in a tree, every other process stops
 * too (the caller says why). */
void blob_undo(const struct blob_args *a);

/* Another process of the tree stopped it: the same undoing, then exit 1
 * (saying why only if nobody did). */
__attribute__((noreturn)) void blob_abandon(const struct blob_args *a);

#endif
