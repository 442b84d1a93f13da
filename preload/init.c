/* Start-up of libtcp.so: read the configuration, learn what the restore
 * needs from glibc, install the trigger handlers. Runs as an ordinary
 * constructor, before main(), so libc is fine here. */
#define _GNU_SOURCE
#include "internal.h"
#include "dir_lock.h"
#include "image_dir.h"
#include "image_names.h"
#include "env_read.h"
#include "written_files.h"
#include "tree/exec_wrap.h"
#include "tree/member_stop.h"
#include "tree/role.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

struct tcp_config tcp_cfg;
struct tcp_resume_slot tcp_slot;
int tcp_active;
long tcp_tid_offset = -1;
char tcp_prog[128];
uint64_t tcp_run_id;

static const char *env(const char *name) { return tcp_getenv(name); }

/* The image name comes from argv[0]'s last component: "python3", "lmp". */
static void find_prog_name(void)
{
	char buf[4096];
	FILE *f = fopen("/proc/self/cmdline", "re");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	const char *base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	size_t j = 0;
	for (; *base && j < sizeof(tcp_prog) - 1; base++) {
		char c = *base;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			 c == '_' || c == '+' || (c == '.' && j > 0);
		tcp_prog[j++] = ok ? c : '_';
	}
	if (!j)
		strcpy(tcp_prog, "app");
}

/* Off for this run: said on stderr, and in the status file, so that
 * tcp-ckpt refuses instead of sending a signal nobody catches now. */
static void disable(const char *why)
{
	fprintf(stderr, "tcp: %s; checkpointing is disabled for this run\n", why);
	tcp_status_disabled(why);
}

/* TCP_DIR, if it exists already: others must not be able to tamper with
 * it (image_dir.c), and another running program may be using it (its
 * lock, dir_lock.c: taken now if free; a busy one fails the checkpoints,
 * which say why). A directory made later is checked at each checkpoint. */
static int check_image_dir(char *err, size_t errlen)
{
	char mem[512];
	struct fbuf why;
	int fd = open(tcp_cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	fb_init(&why, mem, sizeof(mem));
	if (image_dir_trusted(fd, &why)) {
		snprintf(err, errlen, "TCP_DIR %.480s: %s", tcp_cfg.dir, mem);
		close(fd);
		return -1;
	}
	fb_init(&why, mem, sizeof(mem));
	int lock = tcp_dir_lock(fd, getpid(), &why);
	if ((lock == TCP_LOCK_BUSY || lock == TCP_LOCK_FOREIGN) && tcp_cfg.log >= 2)
		fprintf(stderr, "tcp: TCP_DIR %s: %s; checkpoints of this program fail while it is\n", tcp_cfg.dir, mem);
	close(fd);
	return 0;
}

/* A process that a descendant of the checkpoint root started (the
 * environment passes LD_PRELOAD on): a member of the root's process tree.
 * The triggers keep the meaning the program gives them (only the root takes
 * checkpoints); libtcp only keeps the two signals by which the root stops
 * it and its threads for a checkpoint of the whole tree, with the root's
 * settings (tree/member.c), and holds a stop signal from outside the tree
 * until the root's stop checkpoint takes it (tree/member_stop.c). */
static void join_tree(void)
{
	/* The root's stop signal: TCP_STOP_SIGNAL, carried through exec (an
	 * unusable value, which disabled the root, leaves it alone). */
	const char *stop = env("TCP_STOP_SIGNAL");
	int sig = stop && *stop ? tcp_parse_signal(stop, 1) : SIGTERM;
	tcp_member_stop_set(sig > 0 ? sig : 0);
	find_prog_name();
	tcp_backtrace_init();
	tcp_tid_offset = tcp_find_tid_offset();
	tcp_active = 1;
	if (tcp_install_handlers(1)) {
		tcp_active = 0;
		fprintf(stderr, "tcp: cannot install the signal handlers in process %d; its process tree cannot be "
				"checkpointed\n", (int)getpid());
	}
}

__attribute__((constructor)) static void tcp_init(void)
{
	char cwd[4096], err[1024];

	/* Never act inside setuid/setgid programs: an image of one would hand
	 * its privileged memory to the user. */
	if (getauxval(AT_SECURE))
		return;
	int root = tcp_role_init();
	tcp_carry_capture(); /* after the root marked its environment: the mark is carried too */
	if (!root) {
		join_tree();
		return;
	}
	tcp_status_init();
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	if (tcp_config_parse(&tcp_cfg, env, cwd, err, sizeof(err))) {
		disable(err);
		return;
	}
	find_prog_name();
	while (!tcp_run_id)
		tcp_run_id = tcp_random64();
	if (check_image_dir(err, sizeof(err))) {
		disable(err);
		return;
	}
	/* Only the program holds the directory's lock, not a child it forks. */
	pthread_atfork(NULL, NULL, tcp_dir_lock_drop);
	tcp_sched_note_start();
	tcp_backtrace_init();
	tcp_tid_offset = tcp_find_tid_offset();
	tcp_active = 1;
	tcp_finish_track();
	if (tcp_install_handlers(0)) {
		tcp_active = 0;
		tcp_dir_lock_drop();
		disable("cannot install the signal handlers");
		return;
	}
	if (tcp_periodic_start())
		fprintf(stderr, "tcp: cannot create the timer for TCP_INTERVAL=%d; no periodic checkpoints\n",
			tcp_cfg.interval);
	if (tcp_cfg.log >= 2)
		fprintf(stderr, "tcp: ready: images in %s, checkpoint on signal %d, stop on signal %d\n", tcp_cfg.dir,
			tcp_cfg.signal, tcp_cfg.stop_signal);
}
