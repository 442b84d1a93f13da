/* Start-up of libtcp.so: read the configuration, learn what the restore
 * needs from glibc, install the trigger handlers. Runs as an ordinary
 * constructor, before main(), so libc is fine here. */
#define _GNU_SOURCE
#include "internal.h"
#include "tree/role.h"

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

static const char *env(const char *name) { return getenv(name); }

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

__attribute__((constructor)) static void tcp_init(void)
{
	char cwd[4096], err[512];

	/* Never act inside setuid/setgid programs: an image of one would hand
	 * its privileged memory to the user. */
	if (getauxval(AT_SECURE))
		return;
	/* A process that a descendant of the checkpoint root started (the
	 * environment passes LD_PRELOAD on): libtcp stays out of its way. */
	if (!tcp_role_init())
		return;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = 0;
	if (tcp_config_parse(&tcp_cfg, env, cwd, err, sizeof(err))) {
		fprintf(stderr, "tcp: %s; checkpointing is disabled for this run\n", err);
		return;
	}
	find_prog_name();
	tcp_sched_note_start();
	tcp_status_init();
	tcp_backtrace_init();
	tcp_tid_offset = tcp_find_tid_offset();
	tcp_active = 1;
	tcp_finish_track();
	if (tcp_install_handlers()) {
		tcp_active = 0;
		fprintf(stderr, "tcp: cannot install the signal handlers; checkpointing is disabled for this run\n");
		return;
	}
	if (tcp_periodic_start())
		fprintf(stderr, "tcp: cannot create the timer for TCP_INTERVAL=%d; no periodic checkpoints\n",
			tcp_cfg.interval);
	if (tcp_cfg.log >= 2)
		fprintf(stderr, "tcp: ready: images in %s, checkpoint on signal %d, stop on signal %d\n", tcp_cfg.dir,
			tcp_cfg.signal, tcp_cfg.stop_signal);
}
