/* Configuration of libtcp.so, read once from TCP_* environment variables at
 * start-up. See docs/user-guide.md, "Environment variables", for the meaning of each. */
#ifndef TCP_CONFIG_H
#define TCP_CONFIG_H

#include <stddef.h>

struct tcp_config {
	char dir[4096];		/* TCP_DIR: absolute image directory */
	int keep;		/* TCP_KEEP: generations kept (>= 1) */
	int signal;		/* TCP_SIGNAL: checkpoint and continue */
	int stop_signal;	/* TCP_STOP_SIGNAL: checkpoint and exit 85 (0 = none) */
	int log;		/* TCP_LOG: 0 quiet, 1 one line per checkpoint, 2 verbose */
	int fork;		/* TCP_FORK: write checkpoints from a copy-on-write child (not for the stop signal) */
	int interval;		/* TCP_INTERVAL: seconds between periodic checkpoints, 0 = none */
	int retry;		/* TCP_RETRY: seconds to keep asking again for a checkpoint refused
				 * because of a live child process, 0 = never */
	int sockets;		/* TCP_SOCKETS: what to do with connections to the outside */
	int direct;		/* TCP_DIRECT: write images with O_DIRECT (default 1) */
	int incremental;	/* TCP_INCREMENTAL: 0 off, else N >= 2: a full image every N checkpoints
				 * (an image takes pages from at most N-1 older ones) */
	int compress;		/* TCP_COMPRESS: TCP_COMPRESS_NONE or _ZSTD */
	int compress_level;	/* zstd level (TCP_COMPRESS=zstd:N) */
};

enum tcp_compress {
	TCP_COMPRESS_NONE = 0,	/* unset, "" or "none" (default: --lazy restores need it) */
	TCP_COMPRESS_ZSTD = 1,	/* "zstd" or "zstd:N", N = 1..19 */
};
#define TCP_ZSTD_DEFAULT_LEVEL 1	/* speed first: a checkpoint must beat SLURM's KillWait */

#define TCP_EXIT_CHECKPOINTED 85
#define TCP_KEEP_MAX 1000000
#define TCP_SECONDS_MAX (10 * 365 * 86400L)	/* TCP_INTERVAL, TCP_RETRY: 10 years */
/* Stops the threads at a checkpoint (SIGRTMAX-2): never a trigger. */
#define TCP_RESERVED_SIGNAL 62
#define TCP_RETRY_DEFAULT 60	/* seconds */
#define TCP_INCREMENTAL_DEFAULT 8	/* TCP_INCREMENTAL=1: a full image every 8 checkpoints */
#define TCP_INCREMENTAL_MAX 64

enum tcp_sockets_policy {
	TCP_SOCKETS_REFUSE = 0,	/* "refuse" (default): such a socket fails the checkpoint */
	TCP_SOCKETS_CLOSE = 1,	/* "close": restored as a socket whose peer is gone */
};

/* Why signal `sig` cannot be TCP_SIGNAL or TCP_STOP_SIGNAL ("cannot be
 * caught", ...), or NULL if it can be. */
const char *tcp_signal_unusable(int sig);

/* Parses a signal name ("USR1", "SIGUSR1", "10", "RTMIN+2"). Returns the
 * number, or -1. "0"/"none" gives 0 where allow_none is set. */
int tcp_parse_signal(const char *s, int allow_none);

/* Fills `c` from the variables returned by `get` (getenv in the library,
 * a table in the tests). `cwd` is the default directory. Returns 0, or -1
 * with a message naming the variable in err. */
int tcp_config_parse(struct tcp_config *c, const char *(*get)(const char *name), const char *cwd, char *err,
		     size_t errlen);

#endif
