/* Keeps the checkpoint signals ours while the app believes it owns them:
 * sigaction()/signal() on a trigger signal record the app's wish (it is
 * chained after the checkpoint), and sigprocmask()/pthread_sigmask() never
 * block a trigger signal, so an app that blocks everything can still be
 * checkpointed. */
#define _GNU_SOURCE
#include "internal.h"
#include "handler.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

/* libtcp is built with hidden visibility; these must be seen by the app. */
#define INTERPOSE __attribute__((visibility("default")))

static struct sigaction app_action[65]; /* what the app asked for, per trigger signal */

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

int tcp_is_trigger(int sig)
{
	return tcp_active && sig > 0 && (sig == tcp_cfg.signal || sig == tcp_cfg.stop_signal);
}

/* Signals whose kernel action stays ours: the triggers and the signal that
 * stops threads for a checkpoint. */
static int is_reserved(int sig)
{
	return tcp_is_trigger(sig) || (tcp_active && sig == TCP_THREAD_SIGNAL);
}

int tcp_install_handlers(void)
{
	struct sigaction sa;
	resolve();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = tcp_trigger_handler;
	/* SA_RESTART: a read() interrupted by the checkpoint is restarted;
	 * every signal blocked while we dump; no SA_ONSTACK, the thread's own
	 * stack is larger than any alternate stack. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	int sigs[3] = { tcp_cfg.signal, tcp_cfg.stop_signal, TCP_THREAD_SIGNAL };
	for (int i = 0; i < 3; i++) {
		if (!sigs[i])
			continue;
		if (sigs[i] == TCP_THREAD_SIGNAL)
			sa.sa_sigaction = tcp_thread_signal_handler;
		if (real_sigaction(sigs[i], &sa, &app_action[sigs[i]]))
			return -1;
		/* If the app was started with a trigger ignored (nohup), it still
		 * checkpoints; the app sees SIG_IGN when it asks. */
	}
	sigset_t unblock;
	sigemptyset(&unblock);
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			sigaddset(&unblock, sigs[i]);
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

INTERPOSE int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	resolve();
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

static const sigset_t *without_triggers(int how, const sigset_t *set, sigset_t *copy)
{
	if (!set || how == SIG_UNBLOCK || !tcp_active)
		return set;
	*copy = *set;
	sigdelset(copy, tcp_cfg.signal);
	sigdelset(copy, TCP_THREAD_SIGNAL);
	if (tcp_cfg.stop_signal)
		sigdelset(copy, tcp_cfg.stop_signal);
	return copy;
}

INTERPOSE int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;
	resolve();
	return real_sigprocmask(how, without_triggers(how, set, &copy), old);
}

INTERPOSE int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	sigset_t copy;
	resolve();
	return real_pthread_sigmask(how, without_triggers(how, set, &copy), old);
}
