/* The checkpoint root. Until process trees are supported (DESIGN §8),
 * libtcp checkpoints one process: the one the user or tcp-run started
 * under libtcp, and what it becomes through exec (same pid). Its children
 * load libtcp too (LD_PRELOAD is inherited through fork and exec), but
 * there the triggers keep the meaning the program gives them: libtcp hands
 * the signals back (sigwrap.c) and never takes a checkpoint, so that a
 * SIGTERM from a pool, a launcher or `timeout` ends a helper process
 * exactly as it would without libtcp.
 *
 * The root marks the environment with TCP_ROOT_PROCESS=PID:START, its pid
 * and start time (clock ticks since boot, /proc/self/stat), so that a later
 * process reusing the pid is not taken for it. A process that starts under
 * libtcp is the root when the variable is absent or names the process
 * itself (the root after an exec). A fork child shares the root's memory
 * contents, so the root's pid is compared with getpid() each time: nothing
 * is written in a child, which after vfork() shares the very memory. */
#include "role.h"
#include "../env_read.h"
#include "../internal.h"
#include "../../common/rawsys.h"
#include "../../common/proc_stat.h"
#include "../dump.h"

#include <fcntl.h>
#include <stdlib.h>

static long root_pid;		/* 0: this process is not the root */
static long tree_root;		/* the root of the tree this process belongs to (itself for the root) */
extern char **environ;

/* Field 22 of /proc/PID/stat (0: our own): its start time. 0 if unknown. */
static uint64_t start_time_of(long pid)
{
	char buf[1024], path[48];
	if (pid)
		path_append_num(path, sizeof(path), "/proc/", pid, "/stat");
	long fd = r_open(pid ? path : "/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
	long n = fd >= 0 ? r_read((int)fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		r_close((int)fd);
	struct proc_stat st;
	return n > 0 && proc_stat_parse(buf, (size_t)n, &st) == 0 ? st.start_time : 0;
}

static uint64_t start_time(void)
{
	return start_time_of(0);
}

/* "PID:START" with fixed widths, so that a restore can rewrite it in place. */
static void mark_value(char *out, size_t cap, long pid, uint64_t start)
{
	struct fbuf b;
	fb_init(&b, out, cap);
	fb_putu(&b, (uint64_t)pid, 10, 10);
	fb_putc(&b, ':');
	fb_putu(&b, start, 10, 20);
}

int tcp_role_init(void)
{
	char me[40];
	long pid = r_getpid();
	mark_value(me, sizeof(me), pid, start_time());
	const char *mark = tcp_getenv(TCP_ROOT_VAR);
	if (mark && *mark && !f_streq(mark, me)) {
		/* Started by a descendant of the root: a member of its tree. */
		long p = 0;
		for (const char *c = mark; *c >= '0' && *c <= '9'; c++)
			p = p * 10 + (*c - '0');
		tree_root = p;
		return 0;
	}
	root_pid = pid;
	tree_root = pid;
	tcp_setenv(TCP_ROOT_VAR, me);
	return 1;
}

int tcp_role_is_root(void)
{
	return root_pid && r_getpid() == root_pid;
}

long tcp_role_tree_root(void)
{
	return tree_root;
}

void tcp_role_after_restore(int root)
{
	char me[40], *prefix = TCP_ROOT_VAR "=";
	if (root) {
		root_pid = r_getpid();
		tree_root = root_pid;
		mark_value(me, sizeof(me), root_pid, start_time());
	} else {
		/* A member: its copy of the mark names the restored root too
		 * (the journal of written files is named after it). */
		mark_value(me, sizeof(me), tree_root, start_time_of(tree_root));
	}
	/* The old string, rewritten where it is (no allocation in a handler);
	 * left alone if the program changed it. */
	size_t pl = f_strlen(prefix), ml = f_strlen(me);
	for (char **e = environ; e && *e; e++)
		if (f_startswith(*e, prefix) && f_strlen(*e + pl) == ml)
			f_memcpy(*e + pl, me, ml);
}
