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

#include <fcntl.h>
#include <stdlib.h>

static long root_pid;		/* 0: this process is not the root */
static long tree_root;		/* the root of the tree this process belongs to (itself for the root) */
extern char **environ;

/* Field 22 of /proc/self/stat (after the command name, which may hold
 * spaces and parentheses: count from the last ')'). 0 if unknown. */
static uint64_t start_time(void)
{
	char buf[1024];
	long fd = r_open("/proc/self/stat", O_RDONLY | O_CLOEXEC, 0);
	long n = fd >= 0 ? r_read((int)fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		r_close((int)fd);
	if (n <= 0)
		return 0;
	long close_paren = -1;
	for (long i = 0; i < n; i++)
		if (buf[i] == ')')
			close_paren = i;
	int field = 2;
	uint64_t v = 0;
	for (long i = close_paren + 1; close_paren >= 0 && i < n; i++) {
		if (buf[i] == ' ') {
			if (field == 22)
				return v;
			field++;
			continue;
		}
		if (field == 22)
			v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	return 0;
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

void tcp_role_after_restore(void)
{
	char me[40], *prefix = TCP_ROOT_VAR "=";
	root_pid = r_getpid();
	tree_root = root_pid;
	mark_value(me, sizeof(me), root_pid, start_time());
	/* The old string, rewritten where it is (no allocation in a handler);
	 * left alone if the program changed it. */
	size_t pl = f_strlen(prefix), ml = f_strlen(me);
	for (char **e = environ; e && *e; e++)
		if (f_startswith(*e, prefix) && f_strlen(*e + pl) == ml)
			f_memcpy(*e + pl, me, ml);
}
