/* The member images of a tree (every process but the root and the
 * zombies), opened from the root image's own directory like the older
 * images of an incremental chain (image/chain.c): only a regular file of
 * that name, never through a symbolic link, trusted like the root image
 * (trust.c), and the very file the TREE recorded (size, image id, PROCESS
 * checksum, pid). Then loaded (the page data checked where it lands, or
 * now for --check), with its own incremental chain. */
#define _GNU_SOURCE
#include "tree.h"
#include "../../image/chain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tree *tree_now;
long tree_self = -1;

const char *tree_who(const struct tree *t, long i, char *buf, size_t cap)
{
	const struct tcp_tree_proc *p = t->m[i].p;
	if (i == 0)
		snprintf(buf, cap, "pid %d (%s, the root): ", p->pid, p->comm);
	else if (p->flags & TCP_TREEP_ZOMBIE)
		snprintf(buf, cap, "pid %d (%s, a zombie): ", p->pid, p->comm);
	else
		snprintf(buf, cap, "pid %d (%s, %s): ", p->pid, p->comm, p->image);
	return buf;
}

long tree_member_of(const struct tree *t, const struct tcp_image *img)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->m[i].img == img)
			return (long)i;
	return -1;
}

void tree_free(struct tree *t)
{
	if (!t)
		return;
	for (size_t i = 1; i < t->n; i++) {
		if (t->m[i].img)
			img_free(&t->m[i].own);
		if (t->m[i].fd >= 0)
			close(t->m[i].fd);
		free(t->m[i].path);
	}
	for (size_t i = 0; i < t->n; i++)
		free(t->m[i].rec_group);
	free(t->m);
	free(t->groups);
	free(t->pipes);
	free(t->shms);
	free(t);
}

/* Member i: opened, matched, trusted, loaded. */
static int load_member(struct tree *t, long i, const char *dir, const char *root_path, const struct restore_opts *o)
{
	struct tree_member *m = &t->m[i];
	const struct tcp_tree_proc *p = m->p;
	char err[PATH_MAX + 1024], who[512];
	tree_who(t, i, who, sizeof(who));
	size_t len = strlen(dir) + strlen(p->image) + 2;
	m->path = malloc(len);
	if (!m->path)
		return -1;
	snprintf(m->path, len, "%s/%s", dir, p->image);
	m->fd = img_open(m->path, 1, err, sizeof(err));
	if (m->fd < 0) {
		say("%s is the root image of a process tree; the image of its process %s%s, cannot be opened (%s). "
		    "Every image of the tree must stay in %s next to the root's: put it back, or restore an older "
		    "generation",
		    root_path, who, m->path, err, dir);
		return -1;
	}
	struct tcp_process proc;
	uint64_t key[2];
	const char *why = img_identify(m->fd, p->image_size, p->image_id, p->process_sum, &proc, key);
	if (!why && proc.pid != p->pid)
		why = "it holds another process";
	if (why) {
		say("%s is the root image of a process tree, but the image of its process %s%s, is not the one the "
		    "tree was written with: %s. It was replaced or damaged; restore an older generation",
		    root_path, who, m->path, why);
		return -1;
	}
	if (check_trusted_image(m->fd, m->path, o->allow_other_owner))
		return -1;
	int (*load)(int, const char *, struct tcp_image *, char *, size_t) =
		o->check_only ? img_load_fd : img_load_fd_deferred;
	if (load(m->fd, m->path, &m->own, err, sizeof(err))) {
		say("%s%s", who, err);
		return -1;
	}
	m->img = &m->own;
	if (m->own.tree) {
		say("%simage %s holds a process tree of its own; a tree's images name no others", who, m->path);
		return -1;
	}
	if (img_chain_open(&m->own, m->path, err, sizeof(err)) ||
	    (o->check_only && img_chain_verify(&m->own, err, sizeof(err)))) {
		say("%s%s", who, err);
		return -1;
	}
	for (size_t k = 0; k < m->own.nparents; k++)
		if (check_trusted_image(m->own.parents[k].fd, m->own.parents[k].p.name, o->allow_other_owner))
			return -1;
	return 0;
}

struct tree *tree_load(struct tcp_image *root, int root_fd, const char *img_path, const struct restore_opts *o)
{
	struct tree *t = calloc(1, sizeof(*t));
	if (!t || !(t->m = calloc(root->ntree, sizeof(*t->m)))) {
		free(t);
		say("out of memory");
		return NULL;
	}
	t->n = root->ntree;
	t->area_fd = -1;
	for (size_t i = 0; i < t->n; i++) {
		t->m[i].p = &root->tree[i];
		t->m[i].fd = -1;
		t->m[i].parent = i ? img_tree_find(root, root->tree[i].ppid) : -1;
		t->m[i].join_group = -1;
	}
	t->m[0].img = root;
	t->m[0].fd = root_fd;
	char *real = realpath(img_path, NULL);
	if (!real) {
		say("image %s: cannot resolve its path: %s", img_path, strerror(errno));
		tree_free(t);
		return NULL;
	}
	char *slash = strrchr(real, '/');
	*slash = 0;
	const char *dir = real[0] ? real : "/";
	for (size_t i = 1; i < t->n; i++)
		if (!(t->m[i].p->flags & TCP_TREEP_ZOMBIE) && load_member(t, (long)i, dir, img_path, o)) {
			free(real);
			t->m[0].fd = -1; /* the caller's */
			tree_free(t);
			return NULL;
		}
	free(real);
	return t;
}
