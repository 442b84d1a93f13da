/* The network namespaces of a tree's processes (netns.c). */
#ifndef TCP_TREE_NETNS_H
#define TCP_TREE_NETNS_H

#include <stdint.h>
#include "area.h"

struct dump_ctx;

/* This process's network namespace (the inode of /proc/self/ns/net), or 0
 * when it cannot be told. */
uint64_t tree_net_ns(void);
/* 0 when every stopped process of the tree is in the root's network
 * namespace (or it cannot be told); -1 with d->err naming the first that
 * is not. */
int tree_check_net_ns(struct dump_ctx *d, const struct tree_area *a);

#endif
