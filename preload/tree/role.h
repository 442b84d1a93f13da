/* Which process libtcp checkpoints: the root (see role.c). */
#ifndef TCP_TREE_ROLE_H
#define TCP_TREE_ROLE_H

/* The environment variable by which the root marks its descendants. */
#define TCP_ROOT_VAR "TCP_ROOT_PROCESS"

/* At start-up (the constructor; libc is fine): decides whether this process
 * is the root, and if so marks the environment. Returns 1 for the root. */
int tcp_role_init(void);
/* Whether the calling process is the root: not a child it forked, not a
 * program a descendant started. Raw syscalls only: any handler may ask. */
int tcp_role_is_root(void);
/* The pid of the root of this process's tree: its own in the root, the
 * root's in a process forked from it or started by a descendant (its
 * mark); 0 outside any tree. Raw: any handler may ask. */
long tcp_role_tree_root(void);
/* In the restored root (its pid and start time may be new): it stays the
 * root, and the mark in its environment names it again; in a restored
 * member (root = 0), the mark names the restored root. */
void tcp_role_after_restore(int root);

#endif
