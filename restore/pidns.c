/* The restored program gets back its own pid and thread ids: tcp-restore
 * (Q) clones the init (C) of a new PID namespace (inside a new user
 * namespace when Q is not root: Q writes its uid and gid maps), and C
 * creates the process that becomes the program (A) with clone3(set_tid =
 * the image's pid). Q itself stays in its namespaces, so that whatever
 * fails it can still restore a single-threaded program in place. Q and C
 * stay behind: they forward the signals sent to them to the program, reap,
 * and exit with the program's status.
 *
 *   Q  tcp-restore, the pid the user and the job scripts know
 *   C  pid 1 of the new namespace: reaper, dies with Q (PDEATHSIG), and
 *      takes the whole namespace with it when it dies
 *   A  pid img->proc.pid: continues the hosted restore, then the blob
 *
 * Q and C only ever call _exit: the image is still allocated, and the
 * sanitizer build would report it at exit(). */
#define _GNU_SOURCE
#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

/* What the namespace's init tells tcp-restore about the set-up of the
 * program's process (a pipe: C may fail before the program exists). */
enum ns_step { NS_OK, NS_UNSHARE_MOUNT, NS_MOUNT_SLAVE, NS_MOUNT_PROC, NS_CLONE3, NS_HOSTNAME };
struct ns_report {
	int step, err;
};

static const char *step_name(int step)
{
	switch (step) {
	case NS_UNSHARE_MOUNT:
		return "cannot make a mount namespace for its /proc";
	case NS_MOUNT_SLAVE:
		return "cannot keep the mounts of the new mount namespace from propagating back (MS_SLAVE)";
	case NS_MOUNT_PROC:
		return "cannot mount /proc for the new PID namespace";
	case NS_CLONE3:
		return "cannot create the program's process";
	case NS_HOSTNAME:
		return "cannot give the new UTS namespace the checkpoint's host name";
	}
	return "cannot set up the new PID namespace";
}

/* Every signal but those that cannot be caught and the synchronous ones
 * (a fault of Q or C itself must not wait in a queue). */
static void forwarded_set(sigset_t *s)
{
	static const int sync[] = { SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT };
	sigfillset(s);
	for (size_t i = 0; i < sizeof(sync) / sizeof(sync[0]); i++)
		sigdelset(s, sync[i]);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* A signal sent to Q or C by a process goes on to `to`. Signals the kernel
 * generated (si_code > 0: a terminal's ^C, ^Z, SIGWINCH, SIGHUP go to the
 * whole foreground process group, the program included) already reached the
 * program and must not come twice. SIGCONT always goes on: a second one does
 * nothing. */
static void forward(pid_t to, int sig, const siginfo_t *si)
{
	if (sig != SIGCONT && si->si_code > 0)
		return;
	if (si->si_code == SI_QUEUE) { /* keep sigqueue()'s value */
		siginfo_t copy = *si;
		if (syscall(SYS_rt_sigqueueinfo, to, sig, &copy) == 0)
			return;
	}
	kill(to, sig);
}

static int is_job_stop(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Stops this process as a SIGTSTP would: not if it ignores SIGTSTP, and
 * not in an orphaned process group (the kernel then drops the stop, as it
 * did for the program: nothing would ever continue us). */
static void stop_like_the_program(void)
{
	sigset_t tstp;
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	kill(getpid(), SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL); /* delivered here */
	sigprocmask(SIG_BLOCK, &tstp, NULL);
}

/* Q: forwards signals to C until C is gone, then exits with its status. */
static __attribute__((noreturn)) void outer_loop(pid_t c, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue; /* EINTR: a stop/continue */
		if (sig == SIGCHLD) {
			int status;
			if (waitpid(c, &status, WNOHANG) == c)
				_exit(exit_code(status));
			continue;
		}
		forward(c, sig, &si);
		/* The program stopped (^Z, or a SIGTSTP sent here): stop too, so
		 * that the shell that started tcp-restore sees the job stopped;
		 * its SIGCONT (fg, bg) goes to the whole group. */
		if (is_job_stop(sig))
			stop_like_the_program();
	}
}

/* C, pid 1 of the namespace: forwards signals to A and reaps every child
 * (orphans come to it, e.g. a forked image writer that outlives the
 * program). Exits with A's status once A and every other process of the
 * namespace are gone: when C exits, the kernel kills whatever is left. */
static __attribute__((noreturn)) void init_loop(pid_t a, const sigset_t *set)
{
	int a_status = 0, a_gone = 0;
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			if (!a_gone)
				forward(a, sig, &si);
			continue;
		}
		for (;;) {
			int status;
			pid_t r = waitpid(-1, &status, WNOHANG | __WALL);
			if (r == a) {
				a_status = status;
				a_gone = 1;
			} else if (r < 0 && errno == ECHILD) {
				if (a_gone)
					_exit(exit_code(a_status));
				break;
			} else if (r <= 0) {
				break;
			}
		}
	}
}

static __attribute__((noreturn)) void init_fail(int report_fd, int step)
{
	struct ns_report r = { step, errno };
	if (write(report_fd, &r, sizeof(r)) < 0) {
		/* Q is gone */
	}
	_exit(1);
}

/* C: returns only in A (with 0). */
/* The host name at checkpoint time, if it is not this host's: a job
 * requeued on another node gets its own back in a UTS namespace (MPI
 * runtimes put it in session paths and shared memory names). NULL: same. */
static const char *other_hostname(const struct tcp_image *img)
{
	struct utsname u;
	size_t n = strnlen(img->proc.hostname, sizeof(img->proc.hostname));
	if (!n || n >= sizeof(img->proc.hostname) || n >= sizeof(u.nodename) || uname(&u))
		return NULL;
	return strcmp(u.nodename, img->proc.hostname) ? img->proc.hostname : NULL;
}

static void init_main(const struct tcp_image *img, int go_fd, int report_fd, int q_pidfd, const sigset_t *set)
{
	/* Dies with Q; and when the namespace's init dies, the kernel kills
	 * every process in it: `kill -9 Q` leaves nothing behind. Q may have
	 * died before the prctl. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (q_pidfd >= 0) {
		struct pollfd p = { q_pidfd, POLLIN, 0 };
		if (poll(&p, 1, 0) > 0)
			_exit(1);
		close(q_pidfd);
	}
	/* Q writes our uid and gid maps first. */
	char go;
	ssize_t n;
	do
		n = read(go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(1);
	close(go_fd);
	/* Our own /proc, so that the program sees its own pid and the thread
	 * ids it had in /proc/self (libtcp lists /proc/self/task). Slave, not
	 * shared: that mount must not show up outside; but mounts made outside
	 * later (automounted home directories) still show up here. */
	const char *host = other_hostname(img);
	if (host && sethostname(host, strlen(host)))
		init_fail(report_fd, NS_HOSTNAME);
	if (unshare(CLONE_NEWNS))
		init_fail(report_fd, NS_UNSHARE_MOUNT);
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		init_fail(report_fd, NS_MOUNT_SLAVE);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		init_fail(report_fd, NS_MOUNT_PROC);

	pid_t want = img->proc.pid;
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	ca.set_tid = (uint64_t)(uintptr_t)&want;
	ca.set_tid_size = 1;
	long a = syscall(SYS_clone3, &ca, sizeof(ca));
	if (a < 0)
		init_fail(report_fd, NS_CLONE3);
	if (a == 0) {
		close(report_fd);
		return;
	}
	struct ns_report ok = { NS_OK, 0 };
	if (write(report_fd, &ok, sizeof(ok)) < 0) {
		/* Q is gone: PDEATHSIG is on its way. */
	}
	/* Hold nothing of the program's: a reader waiting for the end of its
	 * stdout must not wait for us as well. */
	if (chdir("/")) {
		/* only so as not to keep a directory busy */
	}
	close_range(0, ~0u, 0);
	init_loop((pid_t)a, set);
}

/* Names what went wrong in the namespace's init, with errno. */
static void explain_step(const struct tcp_image *img, const struct ns_report *r, char *buf, size_t cap)
{
	if (r->step == NS_CLONE3 && r->err == EEXIST)
		snprintf(buf, cap, "%s as pid %d: that pid is already taken in the new PID namespace", step_name(r->step),
			 img->proc.pid);
	else if (r->step == NS_CLONE3 && r->err == EINVAL)
		snprintf(buf, cap, "%s as pid %d: %s (is pid %d above /proc/sys/kernel/pid_max here?)",
			 step_name(r->step), img->proc.pid, strerror(r->err), img->proc.pid);
	else if (r->step == NS_CLONE3 && r->err == ENOSYS)
		snprintf(buf, cap, "%s as pid %d: clone3 is not available (a kernel older than 5.5, or a seccomp filter"
			 " refuses it)", step_name(r->step), img->proc.pid);
	else if (r->step == NS_CLONE3)
		snprintf(buf, cap, "%s as pid %d: %s", step_name(r->step), img->proc.pid, strerror(r->err));
	else if (r->step == NS_MOUNT_PROC)
		snprintf(buf, cap, "%s: %s (a container that hides parts of /proc does not allow it)", step_name(r->step),
			 strerror(r->err));
	else
		snprintf(buf, cap, "%s: %s", step_name(r->step), strerror(r->err));
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Not root: C's user namespace maps our own uid and gid to themselves
 * (files keep their owner; the program sees the ids it had). */
static int map_ids(pid_t c, char *why, size_t cap)
{
	char map[64];
	const char *file = "setgroups";
	if (write_file(c, file, "deny") == 0) {
		file = "uid_map";
		snprintf(map, sizeof(map), "%u %u 1", (unsigned)geteuid(), (unsigned)geteuid());
		if (write_file(c, file, map) == 0) {
			file = "gid_map";
			snprintf(map, sizeof(map), "%u %u 1", (unsigned)getegid(), (unsigned)getegid());
			if (write_file(c, file, map) == 0)
				return 0;
		}
	}
	snprintf(why, cap, "cannot write %s of the new user namespace: %s", file, strerror(errno));
	return -1;
}

/* Q could not make the namespace (why: `why`; refused: the kernel refused
 * the namespaces themselves). One thread: restore here, with a new pid, as
 * tcp did before. More: their tids cannot come back; refuse. */
static int fall_back(const struct tcp_image *img, const struct restore_opts *o, const char *why, int refused)
{
	if (o->tree) {
		say("%s: %s. The processes of its tree must get their pids back, which needs a new %s namespace%s", o->image,
		    why, geteuid() ? "user and PID" : "PID",
		    refused ? (geteuid() ? ": enable unprivileged user namespaces or run tcp-restore as root"
					 : ": run tcp-restore where root may make namespaces (CAP_SYS_ADMIN)")
			    : "");
		return -1;
	}
	if (img->nthreads > 1) {
		int userns = geteuid() != 0;
		const char *advice = !refused ? ""
				     : userns ? ": enable unprivileged user namespaces (sysctl"
						" kernel.unprivileged_userns_clone=1 where it exists, and"
						" user.max_user_namespaces > 0) or run tcp-restore as root"
					      : ": run tcp-restore where root may make namespaces (CAP_SYS_ADMIN)";
		say("%s: %s. The program's %zu threads must get their thread ids back, which needs a new %s namespace%s",
		    o->image, why, img->nthreads, userns ? "user and PID" : "PID", advice);
		return -1;
	}
	if (o->verbose)
		say("%s; restoring in this process instead, as pid %d (the program had pid %d)", why, (int)getpid(),
		    img->proc.pid);
	return 0;
}

int enter_pid_namespace(const struct tcp_image *img, struct restore_opts *o)
{
	char why[512];
	o->status_id = getpid();
	if (o->no_namespace) {
		if (img->nthreads > 1) {
			say("%s: --no-namespace cannot restore a program with %zu threads (their thread ids must come back;"
			    " that needs a new PID namespace)", o->image, img->nthreads);
			return -1;
		}
		if (o->verbose)
			say("--no-namespace: restoring in this process, as pid %d (the program had pid %d)", (int)getpid(),
			    img->proc.pid);
		return 0;
	}
	if (img->proc.pid <= 1) {
		say("%s: the program had pid %d, which cannot be given back (pid 1 is the namespace's init); use"
		    " --no-namespace", o->image, img->proc.pid);
		return -1;
	}

	/* C is made with the namespaces, so that this process stays where
	 * it is: whatever fails, it can still restore here. Not root: a user
	 * namespace, in which C may make the PID namespace's processes. */
	int userns = geteuid() != 0;
	sigset_t set, old;
	forwarded_set(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	int go[2], report[2];
	if (pipe2(go, O_CLOEXEC)) {
		snprintf(why, sizeof(why), "cannot make a pipe: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return fall_back(img, o, why, 0);
	}
	if (pipe2(report, O_CLOEXEC)) {
		snprintf(why, sizeof(why), "cannot make a pipe: %s", strerror(errno));
		close(go[0]);
		close(go[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return fall_back(img, o, why, 0);
	}
	int q_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	/* A raw clone, like fork() (glibc's fork takes no namespace flags):
	 * glibc's thread descriptor in C keeps our tid, which C never uses. */
	/* System V segments get their ids back in a new IPC namespace (shm.c). */
	int ipcns = o->tree_sysv;
	for (size_t i = 0; i < img->nshms; i++)
		ipcns |= img->shms[i].s.type == TCP_SHM_SYSV;
	int utsns = other_hostname(img) != NULL;
	long c = syscall(SYS_clone,
			 (long)(CLONE_NEWPID | (userns ? CLONE_NEWUSER : 0) | (ipcns ? CLONE_NEWIPC : 0) |
				(utsns ? CLONE_NEWUTS : 0) | SIGCHLD),
			 0L, 0L, 0L, 0L);
	if (c == 0) {
		close(go[1]);
		close(report[0]);
		init_main(img, go[0], report[1], q_pidfd, &set);
		/* In A: the restore goes on here. */
		if (o->verbose)
			say("restoring as pid %d in a new PID namespace (tcp-restore pid %ld forwards signals)",
			    (int)getpid(), o->status_id);
		if (o->verbose && utsns)
			say("host name %s, as at the checkpoint (a new UTS namespace)", img->proc.hostname);
		return 0;
	}
	int clone_errno = errno;
	if (q_pidfd >= 0)
		close(q_pidfd);
	close(go[0]);
	close(report[1]);
	if (c < 0) {
		close(go[1]);
		close(report[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		snprintf(why, sizeof(why), "cannot make a new %s: %s", userns ? "user and PID namespace" : "PID namespace",
			 strerror(clone_errno));
		const char *hint = clone_errno == ENOSPC ? " (sysctl user.max_user_namespaces or user.max_pid_namespaces"
							   " is 0 here, or their limit is reached)"
				   : clone_errno == EUSERS ? " (too many nested namespaces)"
				   : clone_errno == EPERM && userns ? " (unprivileged user namespaces are disabled here)"
				   : clone_errno == EPERM ? " (not allowed here: a container without CAP_SYS_ADMIN?)"
							  : "";
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s", hint);
		return fall_back(img, o, why, 1);
	}

	/* Give C its ids, let it go on, and hear how it went. */
	struct ns_report r = { NS_OK, 0 };
	ssize_t n = -1;
	int failed = userns && map_ids((pid_t)c, why, sizeof(why));
	if (!failed) {
		char g = 1;
		if (write(go[1], &g, 1) == 1) {
			do
				n = read(report[0], &r, sizeof(r));
			while (n < 0 && errno == EINTR);
		}
		if (n == (ssize_t)sizeof(r) && r.step != NS_OK) {
			failed = 1;
			explain_step(img, &r, why, sizeof(why));
		}
	}
	close(go[1]); /* C, if still waiting for it, exits */
	close(report[0]);
	if (failed) {
		int status;
		while (waitpid((pid_t)c, &status, 0) < 0 && errno == EINTR)
			;
		sigprocmask(SIG_SETMASK, &old, NULL);
		return fall_back(img, o, why, r.step == NS_OK);
	}
	/* NS_OK, or C died before it could say (the loop then reports its
	 * status at once). */
	if (chdir("/")) {
		/* only so as not to keep a directory busy */
	}
	close_range(0, ~0u, 0);
	outer_loop((pid_t)c, &set);
}
