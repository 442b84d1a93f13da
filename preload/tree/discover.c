/* The root stops its whole tree (DESIGN §8): every descendant, found in
 * the children lists of every thread of every process found so far, is
 * asked with TCP_TREE_SIGNAL to stop its threads and report in the area;
 * the lists are read again until a pass finds nobody new, so that
 * processes created or exiting meanwhile are neither lost nor waited for
 * forever. A process is only signalled once it is known to take the
 * signal: libtcp's handler for it is installed (SigCgt in its status),
 * since the default action of that signal would kill it. Zombies are
 * recorded with their exit status and never signalled. Raw syscalls only:
 * every thread of the root is stopped. */
#include "area.h"
#include "discover.h"
#include "../dump.h"
#include "../../common/proc_fields.h"
#include "../../common/proc_stat.h"
#include "../../common/rawsys.h"

#include <fcntl.h>

static long read_proc(int pid, const char *what, char *buf, uint64_t cap)
{
	char path[96];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_putc(&b, '/');
	fb_puts(&b, what);
	return read_whole(path, buf, cap);
}

/* "pid 123 (python3 -c ...)" into err: the process a message is about. */
void tree_name_process(struct fbuf *err, int pid)
{
	char cmd[200];
	long n = read_proc(pid, "cmdline", cmd, sizeof(cmd) - 1);
	if (n == -27) /* longer (an MPI daemon's): its start fills cmd */
		n = (long)sizeof(cmd) - 1;
	fb_puts(err, "process ");
	fb_puti(err, pid);
	if (n <= 0)
		return;
	for (long i = 0; i < n; i++)
		if (cmd[i] == 0 || cmd[i] == '\n')
			cmd[i] = ' ';
	while (n > 0 && cmd[n - 1] == ' ')
		n--;
	cmd[n] = 0;
	fb_puts(err, " (");
	fb_puts(err, cmd);
	if (n == (long)sizeof(cmd) - 1)
		fb_puts(err, "...");
	fb_putc(err, ')');
}

static int read_stat(int pid, struct proc_stat *st)
{
	char buf[1024];
	long n = read_proc(pid, "stat", buf, sizeof(buf));
	return n > 0 && proc_stat_parse(buf, (size_t)n, st) == 0 ? 0 : -1;
}

enum tree_signal_state { TS_NO_HANDLER, TS_STARTING, TS_HANDLER };

/* Whether pid has a handler for TCP_TREE_SIGNAL (libtcp's: it cannot be
 * another, libtcp keeps the signal), or is starting up: libtcp's exec
 * wrappers block the signal across an exec, so a program exec'd a moment
 * ago that has not reached libtcp's constructor yet (the dynamic loader at
 * work) shows it blocked without a handler. */
static enum tree_signal_state tree_signal_state(int pid)
{
	char path[64], buf[256];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_puts(&b, "/status");
	long fd = r_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return TS_NO_HANDLER;
	static const char *const keys[] = { "SigBlk:", "SigCgt:" };
	uint64_t v[2] = { 0, 0 };
	int found = proc_fields_read((int)fd, buf, sizeof(buf), keys, 2, 16, v);
	r_close((int)fd);
	uint64_t bit = 1ull << (TCP_TREE_SIGNAL - 1);
	if (found < 0 || !(found & 2))
		return TS_NO_HANDLER;
	if (v[1] & bit)
		return TS_HANDLER;
	return (found & 1) && (v[0] & bit) ? TS_STARTING : TS_NO_HANDLER;
}

int tree_has_outsider(void)
{
	int queue[TREE_MAX_PROCS], kids[128], n = 1;
	char buf[1024], dents[1024], task[96];
	queue[0] = (int)r_getpid();
	for (int at = 0; at < n; at++) {
		struct fbuf b;
		fb_init(&b, task, sizeof(task));
		fb_puts(&b, "/proc/");
		fb_puti(&b, queue[at]);
		fb_puts(&b, "/task");
		long dfd = r_open(task, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (dfd < 0)
			continue; /* it exited */
		long got;
		while ((got = r_getdents64((int)dfd, dents, sizeof(dents))) > 0) {
			for (long pos = 0; pos < got;) {
				struct linux_dirent64 *e = (struct linux_dirent64 *)(dents + pos);
				pos += e->d_reclen;
				if (e->d_name[0] < '0' || e->d_name[0] > '9')
					continue;
				fb_init(&b, task, sizeof(task));
				fb_puts(&b, "task/");
				fb_puts(&b, e->d_name);
				fb_puts(&b, "/children");
				long len = read_proc(queue[at], task, buf, sizeof(buf));
				if (len == -27) { /* too many to list here: the checkpoint will see */
					r_close((int)dfd);
					return 0;
				}
				int count = len > 0 ? proc_children_parse(buf, (size_t)len, kids, 128) : 0;
				for (int i = 0; i < count && i < 128; i++) {
					struct proc_stat st;
					if (read_stat(kids[i], &st) || st.state == 'Z' || st.state == 'X')
						continue; /* gone, or a zombie: those are stored */
					if (tree_signal_state(kids[i]) != TS_HANDLER) {
						r_close((int)dfd);
						return 1;
					}
					if (n < TREE_MAX_PROCS)
						queue[n++] = kids[i];
				}
			}
		}
		r_close((int)dfd);
	}
	return 0;
}

/* A process starting up under libtcp gets its handler within milliseconds;
 * one that stays without it this long (a static program exec'd by a
 * process of the tree keeps the signal blocked) is refused. */
#define TREE_START_WAIT_MS 1000

/* Processes found without libtcp after that wait: not waited for again
 * (the checkpoint is retried every second while one lives: TCP_RETRY). */
static struct {
	int pid;
	uint64_t start_time;
} waited_in_vain[8];
static unsigned nvain;

/* Waits while pid is starting up. 1 once it takes the tree signal, 0 if it
 * never will (no libtcp), -1 if it has ended meanwhile (st refreshed). */
static int wait_for_handler(int pid, struct proc_stat *st)
{
	int again = 0;
	for (unsigned i = 0; i < sizeof(waited_in_vain) / sizeof(waited_in_vain[0]); i++)
		again |= waited_in_vain[i].pid == pid && waited_in_vain[i].start_time == st->start_time;
	uint64_t deadline = now_ms() + (again ? 0 : TREE_START_WAIT_MS);
	for (;;) {
		enum tree_signal_state t = tree_signal_state(pid);
		if (t == TS_HANDLER)
			return 1;
		uint64_t start = st->start_time;
		if (read_stat(pid, st) || st->state == 'Z' || st->state == 'X')
			return -1;
		if (t == TS_NO_HANDLER)
			return 0;
		if (now_ms() > deadline) {
			unsigned k = nvain++ % (sizeof(waited_in_vain) / sizeof(waited_in_vain[0]));
			waited_in_vain[k].pid = pid;
			waited_in_vain[k].start_time = start;
			return 0;
		}
		int32_t never = 0;
		tree_wait(&never, 0, 2);
	}
}

static long send_stop(int pid, int value)
{
	siginfo_t si;
	f_memset(&si, 0, sizeof(si));
	si.si_signo = TCP_TREE_SIGNAL;
	si.si_code = SI_QUEUE;
	si.si_pid = (int)r_getpid();
	si.si_uid = (uid_t)r_getuid();
	si.si_value.sival_int = value;
	return r_rt_sigqueueinfo(pid, TCP_TREE_SIGNAL, &si);
}

int tree_process_ended(int pid)
{
	struct proc_stat st;
	return read_stat(pid, &st) || st.state == 'Z' || st.state == 'X';
}

int tree_slot_ended(const struct tree_slot *s)
{
	struct proc_stat st;
	return read_stat(s->pid, &st) || st.state == 'Z' || st.state == 'X' ||
	       (s->start_time && st.start_time != s->start_time);
}

int tree_stop_value(uint32_t epoch, int fd, int slot)
{
	return (int)(((epoch & 0x7ffu) << 20) | ((uint32_t)(fd & 0xfff) << 8) | (uint32_t)(slot & 0xff));
}

/* Adds the child `pid` of `parent` (a new slot), signals it unless it is a
 * zombie. Returns 1 if added, 0 if known or gone, -1 (d->err) to refuse. */
static int add_child(struct dump_ctx *d, struct tree_area *a, int area_fd, int pid)
{
	if (tree_slot_of(a, pid))
		return 0;
	struct proc_stat st;
	if (read_stat(pid, &st))
		return 0; /* gone (reaped) meanwhile */
	int takes = st.state == 'Z' || st.state == 'X' ? 0 : wait_for_handler(pid, &st);
	if (takes < 0 && read_stat(pid, &st))
		return 0; /* ended and reaped meanwhile */
	if (a->nslots == TREE_MAX_PROCS) {
		fb_puts(&d->err, "the process tree has more than ");
		fb_puti(&d->err, TREE_MAX_PROCS);
		fb_puts(&d->err, " processes, more than tcp can checkpoint");
		return -1;
	}
	int idx = a->nslots;
	struct tree_slot *s = &a->slots[idx];
	f_memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->ppid = st.ppid;
	s->pgid = st.pgrp;
	s->sid = st.session;
	s->start_time = st.start_time;
	f_memcpy(s->comm, st.comm, sizeof(s->comm));
	if (st.state == 'Z' || st.state == 'X') {
		if (!st.has_exit_code) {
			fb_puts(&d->err, "the exit status of the zombie ");
			tree_name_process(&d->err, pid);
			fb_puts(&d->err, " cannot be read (this kernel's /proc/PID/stat lacks it)");
			return -1;
		}
		s->exit_status = st.exit_code;
		s->state = TS_ZOMBIE;
		a->nslots++;
		return 1;
	}
	if (!takes) {
		/* The words tcp-ckpt and the tests know a refusal that is
		 * asked again by (retry.c) come first. */
		fb_puts(&d->err, "the process has a live child process without libtcp: ");
		tree_name_process(&d->err, pid);
		fb_puts(&d->err, ", a child of ");
		fb_puti(&d->err, st.ppid);
		fb_puts(&d->err, " (a static or setuid program, or one started with LD_PRELOAD removed); a process tree "
				 "can be checkpointed only when every process of it carries libtcp");
		d->child_only = 1; /* a short-lived child: worth asking again once it is gone */
		return -1;
	}
	s->state = TS_SIGNALLED;
	a->nslots++;
	long rc = send_stop(pid, tree_stop_value(a->epoch, area_fd, idx));
	if (rc == -3 /* ESRCH */) {
		s->state = TS_GONE;
		return 0;
	}
	if (rc < 0) {
		fb_puts(&d->err, "cannot signal ");
		tree_name_process(&d->err, pid);
		fb_puts(&d->err, ": ");
		fb_puts(&d->err, tcp_strerror(rc));
		return -1;
	}
	return 1;
}

/* The children of every thread of `pid`, each added. */
static int add_children_of(struct dump_ctx *d, struct tree_area *a, int area_fd, int pid, char *buf, int *pids)
{
	char path[64];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, pid);
	fb_puts(&b, "/task");
	long dfd = r_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dfd < 0)
		return 0; /* it exited */
	int added = 0;
	char dents[2048];
	long n;
	while ((n = r_getdents64((int)dfd, dents, sizeof(dents))) > 0) {
		for (long pos = 0; pos < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(dents + pos);
			pos += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			char task[96];
			fb_init(&b, task, sizeof(task));
			fb_puts(&b, "task/");
			fb_puts(&b, e->d_name);
			fb_puts(&b, "/children");
			long len = read_proc(pid, task, buf, 65536);
			if (len <= 0)
				continue;
			int count = proc_children_parse(buf, (size_t)len, pids, TREE_MAX_PROCS);
			for (int i = 0; i < count && i < TREE_MAX_PROCS; i++) {
				int r = add_child(d, a, area_fd, pids[i]);
				if (r < 0) {
					r_close((int)dfd);
					return -1;
				}
				added += r;
			}
		}
	}
	r_close((int)dfd);
	return added;
}

/* Signalled processes that have not reported yet (one of them in
 * *example); those that died meanwhile become zombies or go. */
static int count_waiting(struct tree_area *a, int *example)
{
	int waiting = 0;
	for (int i = 1; i < a->nslots; i++) {
		struct tree_slot *s = &a->slots[i];
		if (s->state != TS_SIGNALLED)
			continue;
		struct proc_stat st;
		if (read_stat(s->pid, &st) || st.start_time != s->start_time) {
			s->state = TS_GONE;
			continue;
		}
		if (st.state == 'Z' || st.state == 'X') {
			s->exit_status = st.exit_code;
			s->state = TS_ZOMBIE;
			continue;
		}
		waiting++;
		*example = s->pid;
	}
	return waiting;
}

int tree_stop_all(struct dump_ctx *d, struct tree_area *a, int area_fd)
{
	char *buf = arena_alloc(d, 65536);
	int *pids = arena_alloc(d, TREE_MAX_PROCS * sizeof(int));
	if (!buf || !pids) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	uint64_t deadline = now_ms() + TREE_STOP_TIMEOUT_MS;
	for (;;) {
		int added = 0;
		/* Every process found so far, the root first; a stopped one
		 * creates none, so a pass that adds nobody ends it. */
		for (int i = 0; i < a->nslots; i++) {
			if (a->slots[i].state == TS_ZOMBIE || a->slots[i].state == TS_GONE)
				continue;
			int r = add_children_of(d, a, area_fd, a->slots[i].pid, buf, pids);
			if (r < 0)
				return -1;
			added += r;
		}
		int example = 0;
		while (count_waiting(a, &example) > 0) {
			if (now_ms() > deadline) {
				tree_name_process(&d->err, example);
				fb_puts(&d->err, " of the tree did not stop within 10 s; it may be stopped (SIGSTOP), "
						 "traced, or in an uninterruptible wait");
				return -1;
			}
			int seen = a->nparked;
			tree_wait(&a->nparked, seen, 5);
		}
		for (int i = 1; i < a->nslots; i++)
			if (a->slots[i].state == TS_FAILED) {
				tree_name_process(&d->err, a->slots[i].pid);
				fb_puts(&d->err, " of the tree cannot be checkpointed: ");
				fb_puts(&d->err, a->slots[i].msg);
				return -1;
			}
		if (!added)
			return 0;
	}
}

/* Sessions and process groups: led by a process of the tree, or not. */
void tree_mark_leaders(struct tree_area *a)
{
	for (int i = 0; i < a->nslots; i++) {
		struct tree_slot *s = &a->slots[i];
		if (s->state == TS_GONE)
			continue;
		int group_inside = 0, session_inside = 0;
		for (int j = 0; j < a->nslots; j++) {
			if (a->slots[j].state == TS_GONE)
				continue;
			group_inside |= a->slots[j].pid == s->pgid;
			session_inside |= a->slots[j].pid == s->sid;
		}
		s->flags |= (s->pid == s->sid ? TCP_TREEP_SESSION_LEADER : 0) |
			    (s->pid == s->pgid ? TCP_TREEP_GROUP_LEADER : 0) |
			    (group_inside ? 0 : TCP_TREEP_OUTSIDE_GROUP) | (session_inside ? 0 : TCP_TREEP_OUTSIDE_SESSION) |
			    (i == 0 ? TCP_TREEP_ROOT : 0) | (s->state == TS_ZOMBIE ? TCP_TREEP_ZOMBIE : 0);
	}
}
