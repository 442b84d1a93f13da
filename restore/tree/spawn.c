/* The processes of a tree, created from the root's restorer parent first:
 * each by its real parent's restorer, with clone3(set_tid = its pid, the
 * exit signal it had), so that after the restore wait(), waitpid(), SIGCHLD,
 * getppid() and the parent-death signal hold as they did. A process makes
 * its session (setsid) in the order relations.c planned: the children that
 * stay in its parent's session first, then setsid(), then the others. Once
 * a process has created its children, its group comes back: it makes the
 * group it leads, or joins its group once that exists (CRIU's restorer
 * does it this way too: groups late, sessions at creation).
 *
 * A zombie is a process created with its pid that exits at once with the
 * status its parent will reap (killed by its signal, without a core file,
 * when that is how it ended), after its session and group are made. Its
 * parent's restorer makes sure it has exited and takes away the signal its
 * exit sent (it reached the program at checkpoint time already, or is in
 * the image's pending signals), but never reaps it: the program does. */
#define _GNU_SOURCE
#include "tree.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed(const struct tree *t, long i, const char *what)
{
	char who[512];
	say("%scannot %s: %s", tree_who(t, i, who, sizeof(who)), what, strerror(errno));
	return -1;
}

/* 0 in the new process, its pid in this one, -1 after a message. */
static long create(const struct tree *t, long i)
{
	const struct tcp_tree_proc *p = t->m[i].p;
	pid_t want = p->pid;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = (uint64_t)p->exit_signal;
	ca.set_tid = (uint64_t)(uintptr_t)&want;
	ca.set_tid_size = 1;
	/* A raw clone3, like the namespace's init does for the root: glibc's
	 * thread descriptor keeps the parent's tid, which the restorer never
	 * uses. */
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0) {
		char who[512];
		say("%scannot be created with its pid: %s%s", tree_who(t, i, who, sizeof(who)), strerror(errno),
		    errno == EEXIST ? " (that pid is taken in the new PID namespace)" : "");
		return -1;
	}
	if (pid > 0) {
		t->area->procs[i].state = TREE_ST_ALIVE;
		tree_area_bump(t->area);
	}
	return pid;
}

/* Creates the children of process `me`, and its session between them.
 * Returns, in a new child, its index; in `me`, -1 when all exist, -2 after
 * a message. */
static long create_children(struct tree *t, long me)
{
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && t->m[me].new_session && setsid() < 0)
			return failed(t, me, "make its own session (setsid)") - 1;
		for (size_t c = (size_t)me + 1; c < t->n; c++) {
			if (t->m[c].parent != me || t->m[c].before_parent_setsid != (pass == 0))
				continue;
			long pid = create(t, (long)c);
			if (pid == 0)
				return (long)c;
			if (pid < 0)
				return -2;
		}
	}
	return -1;
}

/* In a new process: what it has from its parent's side. */
static int start(struct tree *t, long me)
{
	const struct tcp_tree_proc *p = t->m[me].p;
	tree_self = me;
	if (prctl(PR_SET_PDEATHSIG, p->pdeath_signal))
		return failed(t, me, "set its parent-death signal");
	if (getppid() != t->m[t->m[me].parent].p->pid) {
		errno = ESRCH;
		return failed(t, me, "start: its parent is gone");
	}
	return 0;
}

static int group_ready(const struct tree_area *a, long i)
{
	return a->procs[i].group_ready;
}

/* Its process group, once its children exist. */
static int set_group(struct tree *t, long me)
{
	const struct tree_member *m = &t->m[me];
	if (m->lead_group && setpgid(0, 0))
		return failed(t, me, "make its process group (setpgid)");
	if (me > 0 && m->p->pgid == m->p->pid) {
		t->area->procs[me].group_ready = 1;
		tree_area_bump(t->area);
	}
	if (m->join_group < 0)
		return 0;
	if (tree_area_wait(t->area, group_ready, m->join_group))
		return -1;
	if (setpgid(0, t->m[m->join_group].p->pid))
		return failed(t, me, "join its process group (setpgid)");
	return 0;
}

static __attribute__((noreturn)) void exit_as_zombie(struct tree *t, long me)
{
	int status = t->m[me].p->exit_status;
	t->area->procs[me].state = TREE_ST_EXITED;
	tree_area_bump(t->area);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		/* A core file would be a change the restore makes. */
		prctl(PR_SET_DUMPABLE, 0);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		kill(getpid(), sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
	}
	_exit(WEXITSTATUS(status));
}

/* The zombies among the children of `me` have exited; the signals their
 * exits sent are taken away (not reaped). */
static int settle_zombies(struct tree *t, long me)
{
	for (size_t c = (size_t)me + 1; c < t->n; c++) {
		const struct tcp_tree_proc *p = t->m[c].p;
		if (t->m[c].parent != me || !(p->flags & TCP_TREEP_ZOMBIE))
			continue;
		siginfo_t si;
		while (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | __WALL) < 0)
			if (errno != EINTR)
				return failed(t, (long)c, "be seen exited");
		if (p->exit_signal) {
			sigset_t one;
			sigemptyset(&one);
			sigaddset(&one, p->exit_signal);
			struct timespec now = { 0, 0 };
			sigtimedwait(&one, NULL, &now);
		}
	}
	return 0;
}

long tree_spawn(struct tree *t)
{
	long me = 0;
	tree_self = 0;
	for (;;) {
		long c = create_children(t, me);
		if (c == -2)
			return -1;
		if (c < 0)
			break;
		me = c;
		if (start(t, me))
			return -1;
	}
	if (set_group(t, me))
		return -1;
	if (t->m[me].p->flags & TCP_TREEP_ZOMBIE)
		exit_as_zombie(t, me);
	if (settle_zombies(t, me))
		return -1;
	return me;
}
