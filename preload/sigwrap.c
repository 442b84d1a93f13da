/* Keeps the checkpoint signals ours while the app believes it owns them:
 * sigaction()/signal() on a trigger signal record the app's wish (it is
 * chained after the checkpoint), and sigprocmask()/pthread_sigmask() never
 * block a trigger signal, so an app that blocks everything can still be
 * checkpointed.
 *
 * The triggers only in the checkpoint root (tree/role.c). A process it
 * forks gets them back as the program set them (tcp_hand_back_signals, at
 * fork and from the trigger handler if it runs there): its handler with its
 * flags and mask, or the default action, or SIG_IGN, and the mask each
 * thread asked for (recorded per thread while the triggers were ours).
 * Every process of the tree (the root, and the processes it forks or its
 * descendants start with libtcp) keeps two signals: TCP_THREAD_SIGNAL,
 * which stops its threads, and TCP_TREE_SIGNAL, by which the root stops the
 * process for a checkpoint of the whole tree (tree/member.c).
 * A member also keeps the kernel action of the tree's stop signal, unless
 * the program ignores it (tree/member_stop.c): sigaction() records and
 * reports the program's action as for the root's triggers, but the mask is
 * the program's own (not filtered: a member has no trigger to keep). */
#define _GNU_SOURCE
#include "internal.h"
#include "handler.h"
#include "tree/area.h"
#include "tree/member.h"
#include "tree/member_stop.h"
#include "tree/role.h"
#include "../common/rawsys.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

/* libtcp is built with hidden visibility; these must be seen by the app. */
#define INTERPOSE __attribute__((visibility("default")))

static struct sigaction app_action[65]; /* what the app asked for, per trigger signal */
/* The root's actions for the triggers are in this process's kernel table:
 * in the root, and in a child it forked until the child hands them back
 * (a child of a member inherits the member's, which are right). */
static int triggers_held;
/* The reserved signals this thread asked to block (bit sig-1), which the
 * kernel mask lacks while they are ours: a fork child gets them blocked. */
static __thread uint64_t app_blocked __attribute__((tls_model("initial-exec"))); /* no allocation in a handler */

static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*real_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*real_pthread_sigmask)(int, const sigset_t *, sigset_t *);

static void resolve(void)
{
	if (!real_sigaction)
		real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	if (!real_sigprocmask)
		real_sigprocmask = dlsym(RTLD_NEXT, "sigprocmask");
	if (!real_pthread_sigmask)
		real_pthread_sigmask = dlsym(RTLD_NEXT, "pthread_sigmask");
}

/* Whether the signals are ours in this process: libtcp is on and this is
 * the checkpoint root. */
static int ours(void)
{
	return tcp_active && tcp_role_is_root();
}

int tcp_is_trigger(int sig)
{
	return ours() && sig > 0 && (sig == tcp_cfg.signal || sig == tcp_cfg.stop_signal);
}

/* The signals that stop a process of the tree and its threads: ours in
 * every process where libtcp is on. */
static int is_tree_signal(int sig)
{
	return tcp_active && (sig == TCP_THREAD_SIGNAL || sig == TCP_TREE_SIGNAL);
}

/* The stop signal in a member of a tree: its kernel action is ours while
 * the program's is not SIG_IGN (tree/member_stop.c). */
static int is_member_stop(int sig)
{
	return tcp_active && sig > 0 && sig == tcp_member_stop_signal() && !is_tree_signal(sig) &&
	       !tcp_role_is_root();
}

/* Signals whose kernel action stays ours. */
static int is_reserved(int sig)
{
	return tcp_is_trigger(sig) || is_tree_signal(sig);
}

/* The kernel action for a member's stop signal, given the program's: its
 * SIG_IGN, else our handler, restarting the calls it interrupts as the
 * program's action would (SA_RESTART: the default action, which never
 * returns, restarts them when a stop checkpoint consumed the signal). */
static int set_member_stop_action(int sig, const struct sigaction *app)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	if (app->sa_handler == SIG_IGN) {
		sa.sa_handler = SIG_IGN;
	} else {
		sa.sa_sigaction = tcp_member_stop_handler;
		sa.sa_flags = SA_SIGINFO | (app->sa_handler == SIG_DFL ? SA_RESTART : app->sa_flags & SA_RESTART);
		sigfillset(&sa.sa_mask);
	}
	return real_sigaction(sig, &sa, NULL);
}

static uint64_t trigger_bits(void)
{
	if (!tcp_cfg.signal)
		return 0; /* a member started by exec: no triggers of its own */
	uint64_t bits = 1ull << (tcp_cfg.signal - 1);
	if (tcp_cfg.stop_signal)
		bits |= 1ull << (tcp_cfg.stop_signal - 1);
	return bits;
}

static uint64_t reserved_bits(void)
{
	uint64_t bits = 1ull << (TCP_THREAD_SIGNAL - 1) | 1ull << (TCP_TREE_SIGNAL - 1);
	return ours() ? bits | trigger_bits() : bits;
}

/* The program's own actions for the triggers, into the kernel (through
 * glibc's sigaction, which adds the restorer the kernel needs and is
 * async-signal-safe: also called from a handler). */
static void give_back_actions(void)
{
	int sigs[2] = { tcp_cfg.signal, tcp_cfg.stop_signal };
	for (int i = 0; i < 2; i++) {
		if (!sigs[i] || is_tree_signal(sigs[i]))
			continue;
		if (is_member_stop(sigs[i]))
			set_member_stop_action(sigs[i], &app_action[sigs[i]]);
		else
			real_sigaction(sigs[i], &app_action[sigs[i]], NULL);
	}
}

/* In a process forked from the root, at fork (pthread_atfork): the
 * program's actions and this thread's mask for the reserved signals (the
 * stop signal's action stays ours, tree/member_stop.c). Only once: a
 * member's own children inherit its actions, which are the program's. */
void tcp_hand_back_signals(void)
{
	if (!tcp_active || tcp_role_is_root() || !triggers_held)
		return;
	triggers_held = 0;
	give_back_actions();
	uint64_t block = app_blocked & trigger_bits();
	if (block)
		r_rt_sigprocmask(0 /* SIG_BLOCK */, &block, 0);
	app_blocked &= ~trigger_bits(); /* the kernel's mask holds them now */
}

/* One of our handlers ran in a process that is not the root (forked
 * without pthread_atfork handlers: vfork, clone, _Fork): hand the signals
 * back, then let the kernel deliver this one again as the program set it
 * up (queued again with its siginfo; pending if this thread asked to block
 * it, since the mask the handler returns to gets the bits it asked for). */
void tcp_hand_back_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
	give_back_actions();
	uint64_t block = app_blocked & trigger_bits(), *mask = (uint64_t *)&uc->uc_sigmask;
	*mask |= block;
	r_rt_tgsigqueueinfo((int)r_getpid(), (int)r_gettid(), sig, si);
}

/* The root: the triggers and the tree's two signals; a member of a tree
 * (member = 1): the tree's two signals only. */
int tcp_install_handlers(int member)
{
	struct sigaction sa;
	resolve();
	pthread_atfork(0, 0, tcp_hand_back_signals);
	memset(&sa, 0, sizeof(sa));
	/* SA_RESTART: a read() interrupted by the checkpoint is restarted;
	 * every signal blocked while we dump; no SA_ONSTACK, the thread's own
	 * stack is larger than any alternate stack. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	int sigs[4] = { TCP_THREAD_SIGNAL, TCP_TREE_SIGNAL, member ? 0 : tcp_cfg.signal, member ? 0 : tcp_cfg.stop_signal };
	if (!member) {
		tcp_member_stop_set(tcp_cfg.stop_signal); /* for the processes it forks */
		triggers_held = 1;
	}
	sigset_t unblock;
	sigemptyset(&unblock);
	for (int i = 0; i < 4; i++) {
		if (!sigs[i])
			continue;
		sa.sa_sigaction = i == 0 ? tcp_thread_signal_handler : i == 1 ? tcp_tree_signal_handler : tcp_trigger_handler;
		/* If the app was started with a trigger ignored (nohup), it
		 * still checkpoints; the app sees SIG_IGN when it asks. */
		if (real_sigaction(sigs[i], &sa, &app_action[sigs[i]]))
			return -1;
		sigaddset(&unblock, sigs[i]);
	}
	/* A member started by exec: the stop signal as the program found it
	 * (the default action or SIG_IGN), its mask untouched. */
	int stop = tcp_member_stop_signal();
	if (member && is_member_stop(stop) &&
	    (real_sigaction(stop, NULL, &app_action[stop]) || set_member_stop_action(stop, &app_action[stop])))
		return -1;
	return real_sigprocmask(SIG_UNBLOCK, &unblock, NULL);
}

void tcp_chain_app_handler(int sig, siginfo_t *si, ucontext_t *uc)
{
	struct sigaction *a = &app_action[sig];
	if (a->sa_handler == SIG_IGN || a->sa_handler == SIG_DFL)
		return;
	/* Run it as the kernel would have: the interrupted mask plus the app's
	 * sa_mask plus the signal itself (unless SA_NODEFER). */
	sigset_t mask = uc->uc_sigmask, old;
	for (int s = 1; s < 65; s++)
		if (sigismember(&a->sa_mask, s) == 1)
			sigaddset(&mask, s);
	if (!(a->sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	real_sigprocmask(SIG_SETMASK, &mask, &old);
	struct sigaction copy = *a;
	if (a->sa_flags & SA_RESETHAND) {
		memset(a, 0, sizeof(*a));
		a->sa_handler = SIG_DFL;
	}
	if (copy.sa_flags & SA_SIGINFO)
		copy.sa_sigaction(sig, si, uc);
	else
		copy.sa_handler(sig);
	real_sigprocmask(SIG_SETMASK, &old, NULL);
}

/* The stop signal in a member delivered as the program set it up: its
 * handler, its default action, nothing for SIG_IGN. */
void tcp_member_stop_deliver(int sig, siginfo_t *si, ucontext_t *uc)
{
	const struct sigaction *a = &app_action[sig];
	if (a->sa_handler == SIG_IGN)
		return;
	if (a->sa_handler != SIG_DFL) {
		tcp_chain_app_handler(sig, si, uc);
		return;
	}
	switch (sig) {
	case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
		return; /* ignored by default */
	case SIGTSTP: case SIGTTIN: case SIGTTOU:
		/* Stops the process (the parent sees SIGSTOP); our action
		 * stays for the next one. */
		r_kill((int)r_getpid(), SIGSTOP);
		return;
	}
	/* Ends the process: the signal again, with the default action and
	 * its siginfo, taken when this handler returns (blocked until then). */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	real_sigaction(sig, &dfl, NULL);
	sigdelset(&uc->uc_sigmask, sig);
	r_rt_tgsigqueueinfo((int)r_getpid(), (int)r_gettid(), sig, si);
}

/* sigaction() on a member's stop signal: the program's action is recorded
 * and reported, the kernel's follows it (ours, or SIG_IGN). */
static int member_stop_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction before = app_action[sig];
	if (act) {
		app_action[sig] = *act; /* first: a signal that comes meanwhile finds it */
		if (set_member_stop_action(sig, act)) {
			app_action[sig] = before;
			return -1;
		}
	}
	if (old)
		*old = before;
	return 0;
}

INTERPOSE int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	resolve();
	if (is_member_stop(sig))
		return member_stop_sigaction(sig, act, old);
	if (!is_reserved(sig)) {
		/* A thread inside the app's handler must still stop for a
		 * checkpoint. */
		struct sigaction copy;
		if (act && tcp_active && sigismember(&act->sa_mask, TCP_THREAD_SIGNAL) == 1) {
			copy = *act;
			sigdelset(&copy.sa_mask, TCP_THREAD_SIGNAL);
			act = &copy;
		}
		return real_sigaction(sig, act, old);
	}
	if (old)
		*old = app_action[sig];
	if (act)
		app_action[sig] = *act;
	return 0;
}

/* glibc's signal() calls its internal sigaction directly, so it needs its
 * own wrapper. BSD semantics, as glibc's: SA_RESTART, no reset. */
INTERPOSE sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	if (sig < 1 || sig > 64) {
		errno = EINVAL;
		return SIG_ERR;
	}
	if (sigaction(sig, &sa, &old))
		return SIG_ERR;
	return old.sa_handler;
}

/* The mask to give the kernel: the app's without the reserved signals,
 * whose blocking this thread asked for is noted in app_blocked. */
static const sigset_t *without_triggers(int how, const sigset_t *set, sigset_t *copy)
{
	if (!set || !tcp_active)
		return set;
	uint64_t bits = reserved_bits(), want;
	f_memcpy(&want, set, sizeof(want));
	if (how == SIG_BLOCK)
		app_blocked |= want & bits;
	else if (how == SIG_UNBLOCK)
		app_blocked &= ~want;
	else if (how == SIG_SETMASK)
		app_blocked = want & bits;
	if (how == SIG_UNBLOCK)
		return set;
	*copy = *set;
	for (int s = 1; s <= 64; s++)
		if (bits & (1ull << (s - 1)))
			sigdelset(copy, s);
	return copy;
}

/* After the call: the old mask as the app set it (with the reserved
 * signals it asked to block); on failure nothing changed. */
static int with_app_blocked(int rc, uint64_t before, sigset_t *old)
{
	if (rc) {
		app_blocked = before;
		return rc;
	}
	if (old && tcp_active)
		for (int s = 1; s <= 64; s++)
			if (before & (1ull << (s - 1)))
				sigaddset(old, s);
	return rc;
}

INTERPOSE int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;
	uint64_t before = app_blocked;
	resolve();
	int rc = real_sigprocmask(how, without_triggers(how, set, &copy), old);
	return with_app_blocked(rc, before, old);
}

INTERPOSE int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;
	uint64_t before = app_blocked;
	resolve();
	int rc = real_pthread_sigmask(how, without_triggers(how, set, &copy), old);
	return with_app_blocked(rc, before, old);
}
