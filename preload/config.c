#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int num;
} signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CONT", SIGCONT }, { "TSTP", SIGTSTP }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "PWR", SIGPWR },
	{ "URG", SIGURG },
};

/* Signals that cannot be caught or that the kernel raises for faults. */
static int usable(int sig)
{
	return sig > 0 && sig <= 64 && sig != SIGKILL && sig != SIGSTOP && sig != SIGSEGV && sig != SIGBUS &&
	       sig != SIGILL && sig != SIGFPE && sig != SIGTRAP && sig != SIGCHLD && sig != 32 && sig != 33;
}

static int parse_uint(const char *s, long max, long *out)
{
	char *end;
	if (*s < '0' || *s > '9') /* strtol would skip spaces and signs */
		return -1;
	long v = strtol(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

int tcp_parse_signal(const char *s, int allow_none)
{
	long v;
	if (allow_none && (!strcmp(s, "0") || !strcasecmp(s, "none")))
		return 0;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!parse_uint(s, 64, &v))
		return usable((int)v) ? (int)v : -1;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (!strcasecmp(s, signal_names[i].name))
			return usable(signal_names[i].num) ? signal_names[i].num : -1;
	if (!strncasecmp(s, "RTMIN+", 6) && !parse_uint(s + 6, 30, &v))
		return 34 + (int)v;
	if (!strcasecmp(s, "RTMIN"))
		return 34;
	if (!strncasecmp(s, "RTMAX-", 6) && !parse_uint(s + 6, 30, &v))
		return 64 - (int)v;
	if (!strcasecmp(s, "RTMAX"))
		return 64;
	return -1;
}

int tcp_config_parse(struct tcp_config *c, const char *(*get)(const char *), const char *cwd, char *err,
		     size_t errlen)
{
	const char *v;
	long n;

	memset(c, 0, sizeof(*c));
	c->keep = 2;
	c->signal = SIGUSR1;
	c->stop_signal = SIGTERM;
	c->log = 1;
	c->fork = 1;
	c->direct = 0; /* the page-cache writer with write-behind: as fast or faster here, and any filesystem takes it */
	c->retry = TCP_RETRY_DEFAULT;

	v = get("TCP_DIR");
	if (!v || !*v)
		v = cwd;
	if (!v || !*v) {
		snprintf(err, errlen, "TCP_DIR is not set and the current directory is unknown");
		return -1;
	}
	if (v[0] != '/' && (!cwd || !*cwd)) {
		snprintf(err, errlen, "TCP_DIR='%s' is relative and the current directory is unknown", v);
		return -1;
	}
	int len;
	if (v[0] == '/')
		len = snprintf(c->dir, sizeof(c->dir), "%s", v);
	else
		len = snprintf(c->dir, sizeof(c->dir), "%s/%s", cwd ? cwd : "", v);
	if (len < 0 || (size_t)len >= sizeof(c->dir) - 64) {
		snprintf(err, errlen, "TCP_DIR is too long");
		return -1;
	}
	while (len > 1 && c->dir[len - 1] == '/')
		c->dir[--len] = 0;

	if ((v = get("TCP_KEEP")) && *v) {
		if (parse_uint(v, 1000000, &n) || n < 1) {
			snprintf(err, errlen, "TCP_KEEP='%s' must be a whole number >= 1", v);
			return -1;
		}
		c->keep = (int)n;
	}
	if ((v = get("TCP_SIGNAL")) && *v) {
		c->signal = tcp_parse_signal(v, 0);
		if (c->signal < 0) {
			snprintf(err, errlen, "TCP_SIGNAL='%s' is not a signal tcp can use (e.g. USR1, USR2, 12)", v);
			return -1;
		}
	}
	if ((v = get("TCP_STOP_SIGNAL")) && *v) {
		c->stop_signal = tcp_parse_signal(v, 1);
		if (c->stop_signal < 0) {
			snprintf(err, errlen, "TCP_STOP_SIGNAL='%s' is not a signal tcp can use (e.g. TERM, USR2, none)", v);
			return -1;
		}
	}
	if (c->signal == c->stop_signal) {
		snprintf(err, errlen, "TCP_SIGNAL and TCP_STOP_SIGNAL are both signal %d; they must differ", c->signal);
		return -1;
	}
	if ((v = get("TCP_FORK")) && *v) {
		if (parse_uint(v, 1, &n)) {
			snprintf(err, errlen, "TCP_FORK='%s' must be 1 (write from a forked copy) or 0", v);
			return -1;
		}
		c->fork = (int)n;
	}
	if ((v = get("TCP_DIRECT")) && *v) {
		if (parse_uint(v, 1, &n)) {
			snprintf(err, errlen, "TCP_DIRECT='%s' must be 1 (write images past the page cache) or 0", v);
			return -1;
		}
		c->direct = (int)n;
	}
	if ((v = get("TCP_INTERVAL")) && *v) {
		if (parse_uint(v, 10 * 365 * 86400L, &n)) {
			snprintf(err, errlen, "TCP_INTERVAL='%s' must be a whole number of seconds (0 = no periodic checkpoints)", v);
			return -1;
		}
		c->interval = (int)n;
	}
	if ((v = get("TCP_RETRY")) && *v) {
		if (parse_uint(v, 10 * 365 * 86400L, &n)) {
			snprintf(err, errlen, "TCP_RETRY='%s' must be a whole number of seconds (how long a checkpoint "
				 "refused because of a live child process is asked for again; 0 = never)", v);
			return -1;
		}
		c->retry = (int)n;
	}
	if ((v = get("TCP_SOCKETS")) && *v) {
		if (!strcasecmp(v, "refuse"))
			c->sockets = TCP_SOCKETS_REFUSE;
		else if (!strcasecmp(v, "close"))
			c->sockets = TCP_SOCKETS_CLOSE;
		else {
			snprintf(err, errlen,
				 "TCP_SOCKETS='%s' must be 'refuse' (a connection to the outside fails the checkpoint) "
				 "or 'close' (it comes back as a connection whose peer is gone)", v);
			return -1;
		}
	}
	if ((v = get("TCP_INCREMENTAL")) && *v) {
		/* 1 = on with the default bound; N >= 2 = a full image every N. */
		if (parse_uint(v, TCP_INCREMENTAL_MAX, &n)) {
			snprintf(err, errlen,
				 "TCP_INCREMENTAL='%s' must be 0 (off), 1 (on: a full image every %d checkpoints) "
				 "or N from 2 to %d (a full image every N checkpoints)", v, TCP_INCREMENTAL_DEFAULT,
				 TCP_INCREMENTAL_MAX);
			return -1;
		}
		c->incremental = n == 1 ? TCP_INCREMENTAL_DEFAULT : (int)n;
	}
	c->compress_level = TCP_ZSTD_DEFAULT_LEVEL;
	if ((v = get("TCP_COMPRESS")) && *v && strcasecmp(v, "none")) {
		if (!strcasecmp(v, "zstd"))
			c->compress = TCP_COMPRESS_ZSTD;
		else if (!strncasecmp(v, "zstd:", 5) && !parse_uint(v + 5, 19, &n) && n >= 1) {
			c->compress = TCP_COMPRESS_ZSTD;
			c->compress_level = (int)n;
		} else {
			snprintf(err, errlen,
				 "TCP_COMPRESS='%s' must be 'none' (default), 'zstd' or 'zstd:N' with a level N from 1 "
				 "(fastest) to 19", v);
			return -1;
		}
	}
	if ((v = get("TCP_LOG")) && *v) {
		if (parse_uint(v, 2, &n)) {
			snprintf(err, errlen, "TCP_LOG='%s' must be 0, 1 or 2", v);
			return -1;
		}
		c->log = (int)n;
	}
	return 0;
}
