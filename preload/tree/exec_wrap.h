/* The exec wrappers (exec_wrap.c) keep libtcp in every program the tree
 * execs. */
#ifndef TCP_TREE_EXEC_WRAP_H
#define TCP_TREE_EXEC_WRAP_H

/* Takes note of libtcp's path and of the TCP_* variables to carry: at
 * start-up, once the root has marked its environment (role.c). */
void tcp_carry_capture(void);
/* After a restore: the variables again (the mark names the restored root).
 * No libc: runs in the checkpoint handler. */
void tcp_carry_after_restore(void);

#endif
