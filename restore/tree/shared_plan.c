/* What the processes of a tree share, as their images say it, checked to
 * fit together before anything changes, and planned: which record each
 * shared object is made from (shared.c makes it once, in the root's
 * restorer), and which records take it instead of opening their own.
 *   - ofd groups (TREE): one open file description held by fds of several
 *     processes; opened from its first holder's record, DUPs of a held
 *     record held with it;
 *   - pipes and FIFOs with records in several images (same pipe_id): one
 *     pipe, its bytes from the one record that has them;
 *   - UNIX socket pairs across processes (TCP_SOCK_TREE_PAIR): each end's
 *     peer is a record of another process; TCP connections between
 *     processes of the tree likewise, with each end's address the other's
 *     peer;
 *   - shared memory with one identity in several images: one object,
 *     stored by exactly one of them (the others: TCP_SHMF_ELSEWHERE). */
#include "tree.h"
#include "../../common/sockaddr_same.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static long record_of(const struct tcp_image *img, int fd)
{
	for (size_t i = 0; i < img->nfds; i++)
		if (img->fds[i].f.fd == fd)
			return (long)i;
	return -1;
}

/* The record whose open file description record r shares (a DUP's). */
static long class_of(const struct tcp_image *img, long r)
{
	if (img->fds[r].f.kind != TCP_FD_DUP)
		return r;
	long j = record_of(img, img->fds[r].f.same_as);
	return j >= 0 && img->fds[j].f.kind != TCP_FD_DUP ? j : -1;
}

/* fd -1: about no fd (a shared memory object: `why` names it). */
static int inconsistent(const struct tree *t, long k, int fd, const char *why)
{
	char who[512], at[32] = "";
	if (fd >= 0)
		snprintf(at, sizeof(at), "fd %d: ", fd);
	say("%s%s%s; the images of the tree do not fit together (written by another version of libtcp?). "
	    "Restore an older generation",
	    tree_who(t, k, who, sizeof(who)), at, why);
	return -1;
}

/* Do records a and b name the same object? */
static int same_object(const struct tcp_fd *a, const struct tcp_fd *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case TCP_FD_REGULAR:
	case TCP_FD_DEVICE:
	case TCP_FD_DELETED:
		return a->dev == b->dev && a->inode == b->inode;
	case TCP_FD_PIPE:
		return a->dev == b->dev && a->u.pipe.pipe_id == b->u.pipe.pipe_id;
	case TCP_FD_SOCKET:
		return a->u.sock.ino == b->u.sock.ino;
	case TCP_FD_PTY:
		return a->u.pty.index == b->u.pty.index && a->u.pty.master == b->u.pty.master;
	}
	return 1;
}

static int plan_groups(struct tree *t, const struct tcp_image *root)
{
	t->groups = calloc(root->ntree_ofds + 1, sizeof(*t->groups));
	if (!t->groups)
		return -1;
	t->ngroups = root->ntree_ofds;
	for (size_t g = 0; g < root->ntree_ofds; g++) {
		const struct img_tree_ofd *o = &root->tree_ofds[g];
		t->groups[g].fd = -1;
		for (uint32_t h = 0; h < o->nholders; h++) {
			long k = img_tree_find(root, o->holders[h].pid);
			const struct tcp_image *img = t->m[k].img;
			long r = record_of(img, o->holders[h].fd);
			long c = r >= 0 ? class_of(img, r) : -1;
			if (c < 0)
				return inconsistent(t, k, o->holders[h].fd,
						    "the tree says it shares an open file with other processes, but its image "
						    "has no such fd");
			const struct tcp_fd *f = &img->fds[c].f;
			if (f->kind == TCP_FD_EPOLL || f->kind == TCP_FD_INOTIFY) {
				char who[512];
				say("%sfd %d: an %s instance shared with other processes of the tree cannot be restored "
				    "yet",
				    tree_who(t, k, who, sizeof(who)), f->fd, f->kind == TCP_FD_EPOLL ? "epoll" : "inotify");
				return -1;
			}
			if (t->m[k].rec_group[c] >= 0 && t->m[k].rec_group[c] != (long)g)
				return inconsistent(t, k, f->fd, "it is in two open files shared between processes");
			t->m[k].rec_group[c] = (long)g;
			if (h == 0) {
				t->groups[g].member = k;
				t->groups[g].rec = c;
			} else {
				const struct tree_group *s = &t->groups[g];
				if (!same_object(&t->m[s->member].img->fds[s->rec].f, f))
					return inconsistent(t, k, f->fd,
							    "the open file it shares with other processes is another object "
							    "in their images");
			}
		}
	}
	/* A DUP of a held record is held with it. */
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++) {
			long c = class_of(img, (long)r);
			if (c >= 0 && c != (long)r && t->m[k].rec_group[c] >= 0)
				t->m[k].rec_group[r] = t->m[k].rec_group[c];
		}
	}
	return 0;
}

/* Is record r of member k a holder of a group that is opened from another record? */
static int borrowed(const struct tree *t, long k, long r)
{
	long g = t->m[k].rec_group ? t->m[k].rec_group[r] : -1;
	return g >= 0 && !(t->groups[g].member == k && t->groups[g].rec == r);
}

struct pipe_rec {
	uint64_t dev, id;
	long member, rec;
};

static int cmp_pipe_rec(const void *a, const void *b)
{
	const struct pipe_rec *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->member != y->member)
		return x->member < y->member ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

static int plan_pipes(struct tree *t)
{
	size_t n = 0;
	for (size_t k = 0; k < t->n; k++)
		for (size_t r = 0; t->m[k].img && r < t->m[k].img->nfds; r++)
			n += t->m[k].img->fds[r].f.kind == TCP_FD_PIPE;
	struct pipe_rec *v = malloc((n + 1) * sizeof(*v));
	t->pipes = malloc((n + 1) * sizeof(*t->pipes));
	if (!v || !t->pipes) {
		free(v);
		return -1;
	}
	n = 0;
	for (size_t k = 0; k < t->n; k++)
		for (size_t r = 0; t->m[k].img && r < t->m[k].img->nfds; r++) {
			const struct tcp_fd *f = &t->m[k].img->fds[r].f;
			if (f->kind == TCP_FD_PIPE)
				v[n++] = (struct pipe_rec){ f->dev, f->u.pipe.pipe_id, (long)k, (long)r };
		}
	qsort(v, n, sizeof(*v), cmp_pipe_rec);
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i;
		while (j < n && v[j].dev == v[i].dev && v[j].id == v[i].id)
			j++;
		if (v[j - 1].member != v[i].member) { /* in several processes */
			struct tree_pipe *p = &t->pipes[t->npipes++];
			*p = (struct tree_pipe){ v[i].dev, v[i].id, -1, -1, -1, -1 };
			for (size_t x = i; x < j && !rc; x++) {
				const struct tcp_fd *f = &t->m[v[x].member].img->fds[v[x].rec].f;
				if (p->member < 0 && !borrowed(t, v[x].member, v[x].rec)) {
					p->member = v[x].member;
					p->rec = v[x].rec;
				}
				if (!f->u.pipe.has_data)
					continue;
				if (p->data_member >= 0)
					rc = inconsistent(t, v[x].member, f->fd,
							  "the bytes of a pipe between processes are stored twice");
				p->data_member = v[x].member;
				p->data_rec = v[x].rec;
			}
			if (!rc && p->member < 0)
				rc = inconsistent(t, v[i].member, t->m[v[i].member].img->fds[v[i].rec].f.fd,
						  "a pipe between processes that no record opens");
		}
		i = j;
	}
	free(v);
	return rc;
}

/* UNIX pairs: same family; TCP: each end's address is the other's peer. */
static int same_connection(const struct tcp_fd_socket *a, const struct tcp_fd_socket *b)
{
	if (a->family == AF_UNIX || b->family == AF_UNIX)
		return a->family == b->family;
	return sockaddr_tcp_ends(a->addr, a->addr_len, a->peer, a->peer_len, b->addr, b->addr_len, b->peer, b->peer_len);
}

/* Every socket of a pair across processes has its peer in another image
 * (a TCP connection: in this one too). */
static int check_tree_pairs(struct tree *t)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++) {
			const struct tcp_fd *f = &img->fds[r].f;
			if (f->kind != TCP_FD_SOCKET || f->u.sock.role != TCP_SOCK_TREE_PAIR)
				continue;
			int found = 0;
			for (size_t q = 0; q < t->n && !found; q++) {
				const struct tcp_image *o = t->m[q].img;
				for (size_t s = 0; (q != k || f->u.sock.family != AF_UNIX) && o && s < o->nfds && !found; s++) {
					const struct tcp_fd *g = &o->fds[s].f;
					found = g->kind == TCP_FD_SOCKET && g->u.sock.role == TCP_SOCK_TREE_PAIR &&
						g->u.sock.ino == f->u.sock.peer_ino && g->u.sock.peer_ino == f->u.sock.ino &&
						g->u.sock.type == f->u.sock.type && same_connection(&f->u.sock, &g->u.sock);
				}
			}
			if (!found)
				return inconsistent(t, (long)k, f->fd,
						    "its socket is connected to one of another process of the tree that no "
						    "image holds");
		}
	}
	return 0;
}

static int same_shm(const struct tcp_shm *a, const struct tcp_shm *b)
{
	return a->type == b->type && a->dev_major == b->dev_major && a->dev_minor == b->dev_minor && a->inode == b->inode;
}

/* Shared memory with one identity in several images: stored by one (its
 * size the largest any process saw: a size taken from a mapping's length
 * and one from the file may differ), named by any record that has a
 * linked name. */
static int plan_shms(struct tree *t)
{
	size_t total = 0;
	for (size_t k = 0; k < t->n; k++)
		total += t->m[k].img ? t->m[k].img->nshms : 0;
	t->shms = calloc(total + 1, sizeof(*t->shms));
	if (!t->shms)
		return -1;
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (uint32_t i = 0; img && i < img->nshms; i++) {
			const struct img_shm *s = &img->shms[i], *named = NULL;
			int in_others = 0, stored_by = (s->s.flags & TCP_SHMF_ELSEWHERE) ? -1 : (int)k;
			for (size_t q = 0; q < t->n; q++) {
				const struct tcp_image *o = t->m[q].img;
				for (uint32_t j = 0; o && j < o->nshms; j++) {
					const struct img_shm *x = &o->shms[j];
					if (!same_shm(&x->s, &s->s) || (q == k && j == i))
						continue;
					in_others |= q != k;
					if (x->s.type == TCP_SHM_POSIX && !(x->s.flags & TCP_SHMF_DELETED) && !named)
						named = x;
					if (x->s.flags & TCP_SHMF_ELSEWHERE)
						continue;
					if (stored_by >= 0 && stored_by != (int)q) {
						char what[300];
						snprintf(what, sizeof(what), "its shared memory %s is stored twice", s->name);
						return inconsistent(t, (long)k, -1, what);
					}
					stored_by = (int)q;
				}
			}
			if (stored_by < 0) {
				char what[300];
				snprintf(what, sizeof(what), "its shared memory %s is stored by no process of the tree",
					 s->name[0] ? s->name : "(anonymous)");
				return inconsistent(t, (long)k, -1, what);
			}
			if (in_others && stored_by == (int)k) { /* listed once: by its storer */
				if (s->s.type == TCP_SHM_POSIX && !(s->s.flags & TCP_SHMF_DELETED))
					named = s;
				t->shms[t->nshms++] = (struct tree_shm){ (long)k, i, named };
			}
		}
	}
	return 0;
}

int tree_plan_shared(struct tree *t)
{
	const struct tcp_image *root = t->m[0].img;
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		if (!img)
			continue;
		t->m[k].rec_group = malloc((img->nfds + 1) * sizeof(long));
		if (!t->m[k].rec_group)
			return -1;
		for (size_t r = 0; r < img->nfds; r++)
			t->m[k].rec_group[r] = -1;
	}
	return plan_groups(t, root) || plan_pipes(t) || check_tree_pairs(t) || plan_shms(t) ? -1 : 0;
}

int tree_plan_skip(const struct tcp_image *img, const struct img_fd *d)
{
	long k = tree_member_of(tree_now, img);
	if (k < 0)
		return 0;
	long r = d - img->fds;
	if (borrowed(tree_now, k, r))
		return 1;
	if (d->f.kind == TCP_FD_PIPE && d->f.u.pipe.is_fifo) {
		const struct tree_pipe *p = tree_pipe_of(d->f.dev, d->f.u.pipe.pipe_id);
		if (p)
			return p->member == k && p->rec == r ? -1 : 1;
	}
	return 0;
}

const struct tree_pipe *tree_pipe_of(uint64_t dev, uint64_t id)
{
	for (size_t i = 0; tree_now && i < tree_now->npipes; i++)
		if (tree_now->pipes[i].dev == dev && tree_now->pipes[i].id == id)
			return &tree_now->pipes[i];
	return NULL;
}
