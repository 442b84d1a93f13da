/* What libtcp trusts in TCP_DIR: see image_dir.c. Raw syscalls. */
#ifndef TCP_IMAGE_DIR_H
#define TCP_IMAGE_DIR_H

#include "internal.h"

/* 0 if only the user (and root) can change what the open directory holds;
 * else -1 with the reason and what to do in `why`. */
int image_dir_trusted(int dirfd, struct fbuf *why);
/* The run that wrote image `name` of dirfd, read from its PROCESS section
 * into `scratch`: 0 if it is a regular file of ours (not a symlink) with a
 * valid header and PROCESS section, else -1. */
int image_run_of(int dirfd, const char *name, struct tcp_process *scratch, uint64_t *run);
/* Whether `name` in dirfd is a regular file of ours (not a symlink). */
int image_is_ours(int dirfd, const char *name);

#endif
