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
	{ "URG", SIGURG }, { "ABRT", SIGABRT }, { "PIPE", SIGPIPE }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "IO", SIGIO }, { "SYS", SIGSYS },
	/* Named only to say why they are refused (tcp_signal_unusable). */
	{ "KILL", SIGKILL }, { "STOP", SIGSTOP }, { "SEGV", SIGSEGV }, { "BUS", SIGBUS }, { "ILL", SIGILL },
	{ "FPE", SIGFPE }, { "TRAP", SIGTRAP }, { "CHLD", SIGCHLD },
};

/* Why a signal cannot be a trigger, or NULL if it can be one. */
const char *tcp_signal_unusable(int sig)
{
	switch (sig) {
	case SIGKILL:
	case SIGSTOP:
		return "cannot be caught";
	case SIGSEGV:
	case SIGBUS:
	case SIGILL:
	case SIGFPE:
	case SIGTRAP:
		return "is what the kernel sends for a fault";
	case SIGXFSZ:
		return "is what the kernel sends when a write exceeds the file size limit, as a checkpoint's own "
		       "write may";
	case SIGCHLD:
		return "comes whenever a child process ends";
	case 32:
	case 33:
		return "is reserved by glibc (thread cancellation and set*id calls)";
	case TCP_RESERVED_SIGNAL:
		return "is reserved by libtcp: it stops the threads at a checkpoint";
	}
	return sig > 0 && sig <= 64 ? 0 : "is not a signal number (1 to 64)";
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

/* The number a signal name stands for, usable or not; -1 if it names none. */
static int signal_number(const char *s)
{
	long v;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!parse_uint(s, 64, &v))
		return v > 0 ? (int)v : -1;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (!strcasecmp(s, signal_names[i].name))
			return signal_names[i].num;
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

int tcp_parse_signal(const char *s, int allow_none)
{
	if (allow_none && (!strcmp(s, "0") || !strcasecmp(s, "none")))
		return 0;
	int sig = signal_number(s);
	return sig > 0 && !tcp_signal_unusable(sig) ? sig : -1;
}

/* TCP_SIGNAL / TCP_STOP_SIGNAL: the number, or -1 with the reason in err. */
static int parse_trigger(const char *var, const char *v, int allow_none, const char *examples, char *err,
			 size_t errlen)
{
	int sig = tcp_parse_signal(v, allow_none);
	if (sig >= 0)
		return sig;
	int num = signal_number(v);
	if (num > 0)
		snprintf(err, errlen, "%s='%s' is signal %d, which %s; choose another (e.g. %s)", var, v, num,
			 tcp_signal_unusable(num), examples);
	else
		snprintf(err, errlen, "%s='%s' is not a signal tcp can use (e.g. %s)", var, v, examples);
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
		if (parse_uint(v, TCP_KEEP_MAX, &n) || n < 1) {
			snprintf(err, errlen, "TCP_KEEP='%s' must be a whole number from 1 to %d (image generations kept)",
				 v, TCP_KEEP_MAX);
			return -1;
		}
		c->keep = (int)n;
	}
	if ((v = get("TCP_SIGNAL")) && *v) {
		c->signal = parse_trigger("TCP_SIGNAL", v, 0, "USR1, USR2, 12, RTMIN+2", err, errlen);
		if (c->signal < 0)
			return -1;
	}
	if ((v = get("TCP_STOP_SIGNAL")) && *v) {
		c->stop_signal = parse_trigger("TCP_STOP_SIGNAL", v, 1, "TERM, USR2, none", err, errlen);
		if (c->stop_signal < 0)
			return -1;
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
		if (parse_uint(v, TCP_SECONDS_MAX, &n)) {
			snprintf(err, errlen, "TCP_INTERVAL='%s' must be a whole number of seconds from 0 (no periodic "
				 "checkpoints) to %ld (10 years)", v, TCP_SECONDS_MAX);
			return -1;
		}
		c->interval = (int)n;
	}
	if ((v = get("TCP_RETRY")) && *v) {
		if (parse_uint(v, TCP_SECONDS_MAX, &n)) {
			snprintf(err, errlen, "TCP_RETRY='%s' must be a whole number of seconds from 0 (never) to %ld "
				 "(how long a checkpoint refused because of a live child process is asked for again)", v,
				 TCP_SECONDS_MAX);
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
