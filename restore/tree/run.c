/* The restore of a process tree, from its root image (tree.h). Issue 19's
 * rule holds for the whole tree: every image is opened and checked in
 * tcp-restore's own process, with the real user ids, before the namespaces
 * (all but the page data, which each blob checks where it lands), and
 * nothing visible changes before every process's pages are checked. */
#define _GNU_SOURCE
#include "tree.h"
#include "../decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Every hosted check of every process, before anything changes. */
static int check_tree(struct tree *t, struct restore_opts *o)
{
	const struct tcp_image *root = t->m[0].img;
	if (o->no_namespace) {
		say("%s holds a process tree of %zu processes, whose pids come back only in a new PID namespace; "
		    "restore it without --no-namespace",
		    o->image, t->n);
		return -1;
	}
	if (tree_plan_relations(t) || tree_plan_shared(t))
		return -1;
	t->floor = 64;
	for (size_t i = 0; i < t->n; i++) {
		struct tree_member *m = &t->m[i];
		if (!m->img)
			continue;
		char who[512];
		say_prefix = tree_who(t, (long)i, who, sizeof(who));
		int rc = check_image(m->img, i ? m->path : o->image, &m->v, o);
		say_prefix = NULL;
		if (rc)
			return -1;
		int floor = lowest_free_fd_above_targets(m->img);
		if (floor > t->floor)
			t->floor = floor;
		for (size_t k = 0; k < m->img->nshms; k++)
			o->tree_sysv |= m->img->shms[k].s.type == TCP_SHM_SYSV;
	}
	if (dir_lock_take(root, o->image, t->floor, o) == -1)
		return -1;
	for (size_t i = 0; o->check_only && i < t->n; i++) {
		struct tree_member *m = &t->m[i];
		if (m->img && check_image_data(m->img, m->fd, i ? m->path : o->image, o))
			return -1;
	}
	return 0;
}

/* The area the processes wait for each other on (area.h). */
static int make_area(struct tree *t)
{
	uint64_t len = tree_area_size((uint32_t)t->n);
	int fd = memfd_create("tcp-restore-tree", MFD_CLOEXEC);
	int high = fd >= 0 && ftruncate(fd, (off_t)len) == 0 ? fcntl(fd, F_DUPFD_CLOEXEC, t->floor) : -1;
	if (fd >= 0)
		close(fd);
	void *p = high >= 0 ? mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, high, 0) : MAP_FAILED;
	if (p == MAP_FAILED) {
		say("cannot make the memory the tree's processes share while they are restored: %s", strerror(errno));
		return -1;
	}
	t->area_fd = high;
	t->area = p;
	t->area->nprocs = (uint32_t)t->n;
	for (size_t i = 0; i < t->n; i++) {
		t->area->procs[i].pid = t->m[i].p->pid;
		t->area->nlive += !(t->m[i].p->flags & TCP_TREEP_ZOMBIE);
	}
	t->area->procs[0].state = TREE_ST_ALIVE;
	return 0;
}

void tree_abort(void)
{
	struct tree_area *a = tree_now ? tree_now->area : NULL;
	if (!a)
		return;
	if (!a->abort) { /* this process failed, and said why */
		tree_area_claim(a);
		tree_area_abort(a);
	} else if (tree_area_claim(a)) { /* nobody said why: a process just ended */
		say_prefix = NULL;
		if (a->dead_pid)
			say("process %d of the tree ended while the tree was being restored; no process was resumed and "
			    "nothing was changed",
			    a->dead_pid);
		else
			say("a process of the tree stopped while the tree was being restored; nothing was changed");
	}
}

/* From the root's restorer (pid of the root, in the new namespaces): the
 * shared objects, the processes; then, in each, its own restore. */
static int run(struct tree *t, struct restore_opts *o)
{
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL); /* the signals of zombies' exits wait to be taken away */
	if (make_area(t) || tree_make_shared(t, o))
		return -1;
	long me = tree_spawn(t);
	if (me < 0)
		return -1;
	struct tree_member *m = &t->m[me];
	char who[512];
	say_prefix = me ? tree_who(t, me, who, sizeof(who)) : NULL;
	if (t->area->abort)
		return -1;
	if (chdir(m->img->proc.cwd)) {
		say("the program's working directory %s is not available here: %s", m->img->proc.cwd, strerror(errno));
		return -1;
	}
	commit_select((int)me);
	o->tree_area_fd = t->area_fd;
	o->tree_area_len = tree_area_size((uint32_t)t->n);
	o->image = me ? m->path : o->image;
	return become_program(m->img, m->fd, &m->v, t->floor, o);
}

int tree_restore(struct tcp_image *root, int root_fd, struct restore_opts *o)
{
	struct tree *t = tree_load(root, root_fd, o->image, o);
	if (!t)
		return 1;
	tree_now = t;
	int rc = check_tree(t, o);
	if (!rc && o->check_only) {
		size_t zombies = 0;
		for (size_t i = 0; i < t->n; i++)
			zombies += !t->m[i].img;
		char zs[64] = "";
		if (zombies)
			snprintf(zs, sizeof(zs), " (%zu of them %s)", zombies, zombies == 1 ? "a zombie" : "zombies");
		say("%s can be restored here, with the %zu other process%s of its tree%s%s (open files are checked at "
		    "restore time)",
		    o->image, t->n - 1, t->n - 1 == 1 ? "" : "es", zs, o->lazy ? ", also with --lazy" : "");
	}
	for (size_t i = 0; !rc && !o->check_only && i < t->n; i++)
		if (t->m[i].img && decompress_start(t->m[i].img, t->m[i].fd, i ? t->m[i].path : o->image))
			rc = -1;
	/* Every process's files, opened and checked with the real user ids,
	 * nothing changed; the changes each will make are its own. */
	for (size_t i = 0; !rc && !o->check_only && i < t->n; i++) {
		char who[512];
		say_prefix = tree_who(t, (long)i, who, sizeof(who));
		commit_owner((int)i);
		if (t->m[i].img && plan_files(t->m[i].img, t->floor, o))
			rc = -1;
		say_prefix = NULL;
	}
	commit_owner(0);
	if (!rc && !o->check_only) {
		o->tree = 1;
		/* From here on, this is the root's process (its own pid, in a
		 * new PID namespace). */
		if (enter_pid_namespace(root, o) || run(t, o)) {
			tree_abort();
			rc = -1;
		}
	}
	say_prefix = NULL;
	tree_now = NULL;
	tree_free(t);
	return rc ? 1 : 0;
}
