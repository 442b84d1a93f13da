/* The visible changes of a restore (DESIGN §4: a refused restore changes
 * nothing). The hosted stage only plans them here; the blob makes them at
 * its very end (blob/commit.c), once every page is in place and checked and
 * every thread exists, right before the program goes on: output files cut
 * back to their size at checkpoint time, FIFOs and /dev/shm objects put in
 * place under their names, UNIX sockets bound to their paths (in their
 * directory, made again if it is gone and was the user's). Objects that
 * must exist before the end live under hidden temporary names in the same
 * directory until then; they are removed if the restore fails (at exit in
 * the hosted stage, by the blob after). In a process tree, every change
 * belongs to the process whose blob makes it (commit_owner, before it is
 * planned; commit_select, in that process, picks its own). */
#define _GNU_SOURCE
#include "restore.h"
#include "blob_args.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct blob_act *acts;
static int *owners;			/* per act: the index of its process in a tree (0: the root) */
static size_t nacts, cap;
static int owner_now, selected;

void commit_owner(int process)
{
	owner_now = process;
}

void commit_select(int process)
{
	selected = process;
}

static struct blob_act *add(uint32_t type)
{
	if (nacts == cap) {
		size_t ncap = cap ? 2 * cap : 16;
		struct blob_act *n = realloc(acts, ncap * sizeof(*n));
		if (!n)
			return NULL;
		acts = n;
		int *o = realloc(owners, ncap * sizeof(*o));
		if (!o)
			return NULL;
		owners = o;
		cap = ncap;
	}
	owners[nacts] = owner_now;
	struct blob_act *a = &acts[nacts++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	a->fd = a->dirfd = -1;
	return a;
}

/* A restore that fails in the hosted stage (it returns to exit) leaves no
 * temporary name behind. */
static void remove_temps(void)
{
	for (size_t i = 0; i < nacts; i++)
		if (acts[i].type == BLOB_ACT_LINK || acts[i].type == BLOB_ACT_EXCHANGE || acts[i].type == BLOB_ACT_MOVE)
			unlinkat(acts[i].dirfd, acts[i].tmp, 0);
}

void commit_temp_name(char *tmp, size_t len)
{
	static unsigned counter;
	snprintf(tmp, len, ".tcp-restore.%d.%u", (int)getpid(), counter++);
}

static void remove_temps_at_exit(void)
{
	static int registered;
	if (!registered++)
		atexit(remove_temps);
}

int commit_place(int dirfd, const char *tmp, const char *name, int exchange, uint64_t dev, uint64_t ino)
{
	struct blob_act *a = strlen(name) < sizeof(a->name) && strlen(tmp) < sizeof(a->tmp)
				     ? add(exchange ? BLOB_ACT_EXCHANGE : BLOB_ACT_LINK)
				     : NULL;
	if (!a) {
		unlinkat(dirfd, tmp, 0);
		say("cannot plan to put %s in place (out of memory, or a name of more than 255 bytes)", name);
		return -1;
	}
	remove_temps_at_exit();
	a->dirfd = dirfd;
	snprintf(a->tmp, sizeof(a->tmp), "%s", tmp);
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->dev = dev;
	a->ino = ino;
	return 0;
}

int commit_move(int dirfd, const char *tmp, const char *path)
{
	struct blob_act *a = strlen(path) < sizeof(a->name) && strlen(tmp) < sizeof(a->tmp) ? add(BLOB_ACT_MOVE) : NULL;
	if (!a) {
		unlinkat(dirfd, tmp, 0);
		say("cannot plan to put %s in place (out of memory, or a path of more than 255 bytes)", path);
		return -1;
	}
	remove_temps_at_exit();
	a->dirfd = dirfd;
	snprintf(a->tmp, sizeof(a->tmp), "%s", tmp);
	snprintf(a->name, sizeof(a->name), "%s", path);
	return 0;
}

int commit_truncate(int fd, uint64_t size)
{
	struct blob_act *a = add(BLOB_ACT_TRUNCATE);
	if (!a)
		return -1;
	a->fd = fd;
	a->size = size;
	return 0;
}

int commit_bind(int fd, const void *addr, uint32_t len, int listen, uint32_t backlog, uint64_t stale_dev,
		uint64_t stale_ino)
{
	struct blob_act *a = len <= sizeof(a->addr) ? add(BLOB_ACT_BIND) : NULL;
	if (!a)
		return -1;
	a->fd = fd;
	memcpy(a->addr, addr, len);
	a->addr_len = len;
	a->listen = listen != 0;
	a->backlog = backlog;
	a->dev = stale_dev;
	a->ino = stale_ino;
	return 0;
}

int commit_connect(int fd, const void *addr, uint32_t len)
{
	struct blob_act *a = len <= sizeof(a->addr) ? add(BLOB_ACT_CONNECT) : NULL;
	if (!a)
		return -1;
	a->fd = fd;
	memcpy(a->addr, addr, len);
	a->addr_len = len;
	return 0;
}

int commit_mkdir(const char *dir, uint32_t mode, uint32_t gid)
{
	for (size_t i = 0; i < nacts; i++)
		if (acts[i].type == BLOB_ACT_MKDIR && strcmp(acts[i].name, dir) == 0)
			return 0; /* another socket in it, maybe of another process of the tree */
	struct blob_act *a = strlen(dir) < sizeof(a->name) ? add(BLOB_ACT_MKDIR) : NULL;
	if (!a)
		return -1;
	snprintf(a->name, sizeof(a->name), "%s", dir);
	a->mode = mode;
	a->gid = gid;
	return 0;
}

int commit_drain(int inotify_fd)
{
	struct blob_act *a = add(BLOB_ACT_DRAIN);
	if (!a)
		return -1;
	a->fd = inotify_fd;
	return 0;
}

int commit_rmid(int shmid)
{
	struct blob_act *a = add(BLOB_ACT_RMID);
	if (!a)
		return -1;
	a->fd = shmid;
	return 0;
}

size_t commit_count(void)
{
	size_t n = 0;
	for (size_t i = 0; i < nacts; i++)
		n += owners[i] == selected;
	return n;
}

/* Sorted by type, stably: what can be taken back first (the blob relies on
 * it), truncations last. */
void commit_copy(void *to)
{
	struct blob_act *out = to;
	size_t k = 0;
	for (uint32_t type = BLOB_ACT_MKDIR; type <= BLOB_ACT_DRAIN; type++)
		for (size_t i = 0; i < nacts; i++)
			if (acts[i].type == type && owners[i] == selected)
				out[k++] = acts[i];
}
