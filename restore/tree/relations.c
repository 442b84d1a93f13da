/* How the sessions and process groups of a tree come back (checked before
 * anything changes). A process gets its session from its parent when it is
 * created, or makes one of its own with setsid(); so a process that made
 * its own session creates the children that stay in its parent's session
 * first, then calls setsid(), then creates the others (CRIU's restorer
 * does the same). Groups come back once every process exists: a process
 * whose group it leads makes it (setpgid(0, 0)), the others join theirs
 * once it exists (spawn.c), inside one session.
 *
 * The root keeps tcp-restore's session and group, as a single restored
 * process does: it is the job the user's shell started (^C, ^Z and the
 * terminal reach it with tcp-restore). The processes that were in the
 * root's group or session, or in one led by no process of the tree (the
 * shell's), are in tcp-restore's. */
#include "tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which process of the tree leads the session or group `id`: 0 for the
 * root's and for those of no process of the tree (tcp-restore's). */
static long led_by(const struct tree *t, int32_t id)
{
	for (size_t i = 1; i < t->n; i++)
		if (t->m[i].p->pid == id)
			return (long)i;
	return 0;
}

static long sess(const struct tree *t, long i)
{
	return i ? led_by(t, t->m[i].p->sid) : 0;
}

static long grp(const struct tree *t, long i)
{
	return i ? led_by(t, t->m[i].p->pgid) : 0;
}

static int refuse(const struct tree *t, long i, const char *why, long other)
{
	char who[512], by[512] = "tcp-restore's";
	if (other > 0)
		tree_who(t, other, by, sizeof(by));
	size_t n = strlen(by);
	if (n >= 2 && by[n - 2] == ':')
		by[n - 2] = 0;
	say("%s%s (%s); a process tree whose sessions and groups were made that way cannot be restored yet",
	    tree_who(t, i, who, sizeof(who)), why, by);
	return -1;
}

int tree_plan_relations(struct tree *t)
{
	long *need = malloc(t->n * sizeof(long)), *born = malloc(t->n * sizeof(long));
	int rc = need && born ? 0 : -1;
	/* The session each process must be created in (-1: any, it makes its
	 * own and has no child that needs its parent's session). Children come
	 * after their parents: from the end, a session leader's children are
	 * known when it is reached. */
	for (long i = (long)t->n - 1; i > 0 && !rc; i--) {
		if (sess(t, i) != i) {
			need[i] = sess(t, i);
			continue;
		}
		need[i] = -1;
		for (size_t c = (size_t)i + 1; c < t->n && !rc; c++) {
			if (t->m[c].parent != i || need[c] < 0 || need[c] == i)
				continue;
			if (need[i] >= 0 && need[i] != need[c])
				rc = refuse(t, (long)c, "is in a session its parent left for one of its own, and a brother of "
						       "it in another", need[c]);
			need[i] = need[c];
		}
	}
	if (born)
		born[0] = 0;
	for (size_t i = 1; i < t->n && !rc; i++) {
		struct tree_member *m = &t->m[i];
		long p = m->parent, after = p ? sess(t, p) : 0;
		int p_leads = p > 0 && sess(t, p) == p;
		m->new_session = sess(t, (long)i) == (long)i;
		if (need[i] < 0 || need[i] == after) {
			born[i] = after;
		} else if (p_leads && need[i] == born[p]) {
			m->before_parent_setsid = 1;
			born[i] = born[p];
		} else {
			rc = refuse(t, (long)i, "is in a session it cannot get from its parent", need[i]);
		}
	}
	for (size_t i = 1; i < t->n && !rc; i++) {
		struct tree_member *m = &t->m[i];
		long g = grp(t, (long)i);
		if (g == 0 && sess(t, (long)i) != 0)
			rc = refuse(t, (long)i, "is in a process group led by no process of the tree, in a session of the tree",
				    sess(t, (long)i));
		else if (g == (long)i)
			m->lead_group = !m->new_session; /* setsid() made the group already */
		else if (g > 0 && grp(t, g) != g)
			rc = refuse(t, (long)i, "is in the process group of a process that left it", g);
		else if (g > 0 && sess(t, g) != sess(t, (long)i))
			rc = refuse(t, (long)i, "is in a process group of another session", g);
		else if (g > 0)
			m->join_group = g;
	}
	free(need);
	free(born);
	return rc;
}
