/* A process of a tree that its root checkpoints (member.c). */
#ifndef TCP_TREE_MEMBER_H
#define TCP_TREE_MEMBER_H

#include <signal.h>

/* The handler of TCP_TREE_SIGNAL, in every process of a tree. */
void tcp_tree_signal_handler(int sig, siginfo_t *si, void *uc);
/* checkpoint.c: this process's part of its root's checkpoint (`value`
 * from the signal). */
void tcp_checkpoint_member(int value, int root_pid, void *uc);
/* The name of this process's image in the checkpoint being taken. */
const char *tree_member_image(void);

#endif
