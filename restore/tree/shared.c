/* The objects several processes of a tree share, made once by the root's
 * restorer before any other process exists, so that every process inherits
 * them (all above the tree's floor: the blob of each process closes them
 * once its own fds are in place). Order: shared memory (memfd fds of ofd
 * groups reopen it), pipes with their bytes, socket pairs and TCP
 * connections between processes with both queues, unconnected datagram
 * sockets with the datagrams their senders in the tree left waiting on
 * them (shared_dgram.c), then the open file descriptions of the ofd groups, each opened
 * from its first holder's record by the function of its kind (what a
 * single process would do with that record), then the queues of the UNIX
 * pairs (but those with fds in flight: the receiving process fills them
 * once its fds are in place, from the other end it inherits). What they plan to change at
 * the end (a /dev/shm name put in place, a segment removed on failure) is
 * the root's blob's to do. */
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct img_fd *record(const struct tree *t, long k, long r)
{
	return &t->m[k].img->fds[r];
}

/* Every pseudo-terminal pair whose master a process holds: the slaves of
 * other processes open it (fd_pty.c). */
static int make_ptys(struct tree *t)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++)
			if (img->fds[r].f.kind == TCP_FD_PTY && img->fds[r].f.u.pty.master &&
			    pty_make_shared(&img->fds[r])) {
				char who[512];
				say("%sfd %d: the pseudo-terminal above is shared with other processes of the tree",
				    tree_who(t, (long)k, who, sizeof(who)), img->fds[r].f.fd);
				return -1;
			}
	}
	return 0;
}

static int make_pipes(struct tree *t)
{
	for (size_t i = 0; i < t->npipes; i++) {
		const struct tree_pipe *p = &t->pipes[i];
		const struct img_fd *data = p->data_member >= 0 ? record(t, p->data_member, p->data_rec) : NULL;
		char who[512];
		tree_who(t, p->member, who, sizeof(who));
		if (pipe_make_shared(record(t, p->member, p->rec), data, data ? t->m[p->data_member].fd : -1, t->floor)) {
			say("%sthe pipe above is shared with other processes of the tree", who);
			return -1;
		}
	}
	return 0;
}

/* The record of member k for socket inode ino (a TREE_PAIR end), or NULL. */
static const struct img_fd *socket_end(const struct tree *t, uint64_t ino, long *member)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++)
			if (img->fds[r].f.kind == TCP_FD_SOCKET && img->fds[r].f.u.sock.ino == ino &&
			    img->fds[r].f.u.sock.role == TCP_SOCK_TREE_PAIR) {
				*member = (long)k;
				return &img->fds[r];
			}
	}
	return NULL;
}

static const struct img_fd *peer_in_image(const struct tcp_image *img, const struct tcp_fd *f)
{
	for (size_t r = 0; r < img->nfds; r++)
		if (img->fds[r].f.fd == f->u.sock.peer_fd && img->fds[r].f.kind == TCP_FD_SOCKET)
			return &img->fds[r];
	return NULL;
}

/* The other end of a pair to make (record x of member k), or NULL. */
static const struct img_fd *pair_peer(const struct tree *t, size_t k, size_t r, long *ky)
{
	const struct img_fd *x = &t->m[k].img->fds[r];
	*ky = (long)k;
	if (x->f.kind != TCP_FD_SOCKET)
		return NULL;
	if (x->f.u.sock.role == TCP_SOCK_TREE_PAIR)
		return socket_end(t, x->f.u.sock.peer_ino, ky);
	if (x->f.u.sock.role == TCP_SOCK_PAIR && x->f.u.sock.peer_fd >= 0 && t->m[k].rec_group[r] >= 0)
		return peer_in_image(t->m[k].img, &x->f);
	return NULL;
}

/* Pairs across processes, and pairs of one process whose ends others
 * hold (UNIX pairs without their queues: fill_pairs). */
static int make_pairs(struct tree *t)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++) {
			long ky;
			const struct img_fd *x = &img->fds[r], *y = pair_peer(t, k, r, &ky);
			const struct tcp_fd_socket *s = &x->f.u.sock;
			if (x->f.kind != TCP_FD_SOCKET ||
			    (s->role != TCP_SOCK_TREE_PAIR &&
			     (s->role != TCP_SOCK_PAIR || s->peer_fd < 0 || t->m[k].rec_group[r] < 0)))
				continue;
			int tcp = x->f.u.sock.family != AF_UNIX;
			if (!y || (tcp ? sock_make_tcp_pair(x, t->m[k].fd, y, t->m[ky].fd, t->floor)
				       : sock_make_shared_pair(x, t->m[k].fd, y, t->m[ky].fd, t->floor))) {
				char who[512];
				say("%sfd %d: cannot make the socket pair it shares with other processes of the tree",
				    tree_who(t, (long)k, who, sizeof(who)), x->f.fd);
				return -1;
			}
		}
	}
	return 0;
}

/* The open file description of record r of member k, opened as a single
 * process would open it (a memfd on the tree's shared object); not moved. */
static int open_shared_record(struct tree *t, long k, long r, const struct restore_opts *o)
{
	const struct tree_member *m = &t->m[k];
	const struct img_fd *d = record(t, k, r);
	if (d->f.kind != TCP_FD_MEMFD)
		return open_record(d, m->fd, o);
	int object = d->f.u.memfd.shm_index < m->img->nshms ? shm_shared_fd(&m->img->shms[d->f.u.memfd.shm_index].s)
							     : -1;
	return object >= 0 ? memfd_reopen(d, object) : -1;
}

static int make_groups(struct tree *t, const struct restore_opts *o)
{
	for (size_t g = 0; g < t->ngroups; g++) {
		struct tree_group *grp = &t->groups[g];
		const struct img_fd *d = record(t, grp->member, grp->rec);
		int fd = open_shared_record(t, grp->member, grp->rec, o);
		grp->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, t->floor) : -1;
		if (fd >= 0)
			close(fd);
		if (grp->fd < 0) {
			char who[512];
			say("%sfd %d: cannot open the file it shares with other processes of the tree%s%s",
			    tree_who(t, grp->member, who, sizeof(who)), d->f.fd, fd >= 0 ? ": " : "",
			    fd >= 0 ? strerror(errno) : "");
			return -1;
		}
	}
	return 0;
}

/* The queues of the UNIX pairs made above (those with fds in flight:
 * their process, tree_fills_queue). */
static int fill_pairs(struct tree *t)
{
	for (size_t k = 0; k < t->n; k++) {
		const struct tcp_image *img = t->m[k].img;
		for (size_t r = 0; img && r < img->nfds; r++) {
			long ky;
			const struct img_fd *x = &img->fds[r], *y = pair_peer(t, k, r, &ky);
			/* Each pair once: from the end first in the tree's order. */
			if (!y || x->f.u.sock.family != AF_UNIX || ky < (long)k || (ky == (long)k && y < x))
				continue;
			if (sock_fill_shared_pair(x, t->m[k].fd, y, t->m[ky].fd)) {
				char who[512];
				say("%sfd %d: cannot put back the queues of the socket pair it shares with other processes "
				    "of the tree",
				    tree_who(t, (long)k, who, sizeof(who)), x->f.fd);
				return -1;
			}
		}
	}
	return 0;
}

int tree_make_shared(struct tree *t, const struct restore_opts *o)
{
	commit_owner(0);
	for (size_t i = 0; i < t->nshms; i++) {
		const struct tree_member *m = &t->m[t->shms[i].member];
		if (shm_make_shared(m->img, t->shms[i].index, m->fd, t->shms[i].named, t->floor, o))
			return -1;
	}
	return make_ptys(t) || make_pipes(t) || make_pairs(t) || tree_make_dgrams(t) || make_groups(t, o) || fill_pairs(t) ? -1 : 0;
}

int tree_group_fd(const struct tcp_image *img, const struct img_fd *d)
{
	long k = tree_member_of(tree_now, img);
	if (k < 0 || !tree_now->m[k].rec_group)
		return -1;
	long g = tree_now->m[k].rec_group[d - img->fds];
	return g >= 0 ? tree_now->groups[g].fd : -1;
}

int tree_fills_queue(const struct tcp_image *img, const struct img_fd *d)
{
	const struct tree *t = tree_now;
	long k = t ? tree_member_of(t, img) : -1;
	if (k < 0 || !t->m[k].rec_group)
		return 1;
	long r = d - img->fds, g = t->m[k].rec_group[r];
	return g < 0 || (t->groups[g].member == k && t->groups[g].rec == r);
}
