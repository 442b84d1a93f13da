/* The stop signal in a member of a process tree (member_stop.c). */
#ifndef TCP_TREE_MEMBER_STOP_H
#define TCP_TREE_MEMBER_STOP_H

#include <signal.h>

/* How long a member holds a stop signal from outside the tree, waiting for
 * its root's stop checkpoint to take it (milliseconds; see member_stop.c). */
#define MEMBER_STOP_GRACE_MS 2000

/* The tree's stop signal (tcp_cfg.stop_signal of the root, TCP_STOP_SIGNAL
 * in a program a member execs), set in the root at start-up and in a
 * member started by exec; a forked process inherits it. 0: none. */
void tcp_member_stop_set(int sig);
int tcp_member_stop_signal(void);

/* Its handler in a member (installed by sigwrap.c whenever the program's
 * own action is not SIG_IGN). */
void tcp_member_stop_handler(int sig, siginfo_t *si, void *uc);

/* checkpoint.c, in a member: whether the checkpoint that is taking this
 * process is the stop signal's (before its state is read, so that its
 * image holds it); and, in the restored process, at its first
 * instruction, that it was. */
void tcp_member_stop_note(int stop);
void tcp_member_stop_restored(void);

/* checkpoint.c, in a member stopped by a stop checkpoint, after its
 * pending signals are recorded: the stop signals that came from outside
 * the tree leave them (the restored process must not get them again). */
struct dump_ctx;
void tree_member_stop_drop_pending(struct dump_ctx *d);

/* sigwrap.c: the stop signal delivered as the program set it up (its
 * handler, run as the kernel would, or its default action), now. */
void tcp_member_stop_deliver(int sig, siginfo_t *si, ucontext_t *uc);

#endif
