/* A tree whose processes are in several network namespaces: refused.
 *
 * `ip netns exec`, `unshare -n`, a container runtime or an MPI launcher
 * whose remote-shell agent enters another namespace (two "hosts" on one
 * machine: docs/multi-node.md) make a process of the tree see other
 * interfaces, addresses and loopback than the root. The restore makes
 * every process of a tree in one network namespace, the restorer's: the
 * listeners and connections of the others would be made on addresses they
 * did not have, two loopbacks would become one, and a connection between
 * two namespaces (the launcher and its remote daemon) cannot be made
 * again at all (dump_fd_tcp_pair.c finds its other end only in its own
 * namespace, and would call it a connection to a process outside the
 * tree). So the checkpoint says what it is, before any fd is read.
 *
 * Each process records its own namespace when it joins the checkpoint
 * (its slot's net_ns): reading another process's /proc/PID/ns/net could
 * be denied. Raw syscalls only. */
#include "netns.h"
#include "discover.h"
#include "../dump.h"
#include "../../common/rawsys.h"

#include <fcntl.h>
#include <sys/stat.h>

uint64_t tree_net_ns(void)
{
	struct stat st;
	return r_fstatat(-100 /* AT_FDCWD */, "/proc/self/ns/net", &st, 0) == 0 ? (uint64_t)st.st_ino : 0;
}

static void put_ns(struct fbuf *b, uint64_t ino)
{
	fb_puts(b, "net:[");
	fb_putu(b, ino, 10, 0);
	fb_putc(b, ']');
}

int tree_check_net_ns(struct dump_ctx *d, const struct tree_area *a)
{
	uint64_t root = a->slots[0].net_ns;
	if (!root)
		return 0;
	for (int i = 1; i < a->nslots; i++) {
		const struct tree_slot *s = &a->slots[i];
		if (s->state != TS_PARKED || !s->net_ns || s->net_ns == root)
			continue;
		tree_name_process(&d->err, s->pid);
		fb_puts(&d->err, " of the tree is in another network namespace (");
		put_ns(&d->err, s->net_ns);
		fb_puts(&d->err, ") than the tree's root (");
		put_ns(&d->err, root);
		fb_puts(&d->err, "), as `ip netns exec`, `unshare -n` or a container make it: tcp restores a tree in one "
				 "network namespace, where its addresses and connections would not be the same, and a "
				 "connection between two namespaces (two hosts) cannot be made again. A tree across "
				 "network namespaces is not supported (docs/multi-node.md); run the processes of each "
				 "namespace under a tcp-run of their own if they do not talk to each other");
		return -1;
	}
	return 0;
}
