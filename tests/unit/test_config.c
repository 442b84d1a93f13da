/* tcp_parse_signal() and tcp_config_parse() with a table as the environment. */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "preload/config.h"

/* The fake environment: NULL-terminated name/value pairs. */
static const char **env;

static const char *get(const char *name)
{
	for (const char **p = env; p && p[0]; p += 2)
		if (!strcmp(p[0], name))
			return p[1];
	return NULL;
}

static struct tcp_config cfg;
static char err[512];

static int parse_env(const char **vars)
{
	env = vars;
	memset(err, 0, sizeof(err));
	memset(&cfg, 0xa5, sizeof(cfg));
	return tcp_config_parse(&cfg, get, "/home/u/work", err, sizeof(err));
}

/* Parses a single variable set to `value`. */
static int parse1(const char *name, const char *value)
{
	const char *vars[] = { name, value, NULL };
	return parse_env(vars);
}

/* Expects failure with a message naming the variable. */
static void expect_error(const char *name, const char *value)
{
	cr_expect_eq(parse1(name, value), -1, "%s=%s accepted", name, value);
	cr_expect(strstr(err, name) != NULL, "%s=%s: message \"%s\" does not name the variable", name, value, err);
}

Test(config, defaults)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_assert_str_eq(cfg.dir, "/home/u/work");
	cr_assert_eq(cfg.keep, 2);
	cr_assert_eq(cfg.signal, SIGUSR1);
	cr_assert_eq(cfg.stop_signal, SIGTERM);
	cr_assert_eq(cfg.log, 1);
}

Test(config, empty_values_mean_default)
{
	const char *vars[] = { "TCP_DIR", "", "TCP_KEEP", "", "TCP_SIGNAL", "", "TCP_STOP_SIGNAL", "", "TCP_LOG", "",
			       NULL };
	cr_assert_eq(parse_env(vars), 0, "%s", err);
	cr_assert_str_eq(cfg.dir, "/home/u/work");
	cr_assert_eq(cfg.keep, 2);
	cr_assert_eq(cfg.signal, SIGUSR1);
	cr_assert_eq(cfg.stop_signal, SIGTERM);
	cr_assert_eq(cfg.log, 1);
}

Test(config, all_valid)
{
	const char *vars[] = { "TCP_DIR", "/var/ckpt", "TCP_KEEP", "5", "TCP_SIGNAL", "USR2", "TCP_STOP_SIGNAL",
			       "SIGHUP", "TCP_LOG", "2", NULL };
	cr_assert_eq(parse_env(vars), 0, "%s", err);
	cr_assert_str_eq(cfg.dir, "/var/ckpt");
	cr_assert_eq(cfg.keep, 5);
	cr_assert_eq(cfg.signal, SIGUSR2);
	cr_assert_eq(cfg.stop_signal, SIGHUP);
	cr_assert_eq(cfg.log, 2);
}

Test(config, dir)
{
	cr_assert_eq(parse1("TCP_DIR", "ckpt/a"), 0);
	cr_assert_str_eq(cfg.dir, "/home/u/work/ckpt/a");
	cr_assert_eq(parse1("TCP_DIR", "/data/ckpt///"), 0);
	cr_assert_str_eq(cfg.dir, "/data/ckpt");
	cr_assert_eq(parse1("TCP_DIR", "rel/"), 0);
	cr_assert_str_eq(cfg.dir, "/home/u/work/rel");
	/* The root directory keeps its only slash. */
	cr_assert_eq(parse1("TCP_DIR", "///"), 0);
	cr_assert_str_eq(cfg.dir, "/");
}

Test(config, dir_too_long)
{
	static char longdir[5000];
	longdir[0] = '/';
	memset(longdir + 1, 'd', sizeof(longdir) - 2);
	expect_error("TCP_DIR", longdir);
}

Test(config, dir_without_cwd)
{
	env = NULL;
	cr_assert_eq(tcp_config_parse(&cfg, get, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "TCP_DIR"), "%s", err);
	const char *vars[] = { "TCP_DIR", "/abs", NULL };
	env = vars;
	cr_assert_eq(tcp_config_parse(&cfg, get, NULL, err, sizeof(err)), 0);
	cr_assert_str_eq(cfg.dir, "/abs");
}

Test(config, keep)
{
	cr_assert_eq(parse1("TCP_KEEP", "1"), 0);
	cr_assert_eq(cfg.keep, 1);
	cr_assert_eq(parse1("TCP_KEEP", "1000"), 0);
	cr_assert_eq(cfg.keep, 1000);
	cr_assert_eq(parse1("TCP_KEEP", "1000000"), 0);
	static const char *bad[] = { "0", "-1", "abc", "1x", " 3", "+3", "1000001", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("TCP_KEEP", bad[i]);
	/* The message states the real bounds. */
	parse1("TCP_KEEP", "1000001");
	cr_expect(strstr(err, "from 1 to 1000000"), "%s", err);
}

Test(config, signal)
{
	struct {
		const char *s;
		int sig;
	} ok[] = {
		{ "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 }, { "usr2", SIGUSR2 }, { "sigusr2", SIGUSR2 },
		{ "12", SIGUSR2 },   { "HUP", SIGHUP },      { "RTMIN", 34 },      { "RTMIN+2", 36 },
		{ "SIGRTMIN+30", 64 }, { "RTMAX", 64 },      { "RTMAX-1", 63 },    { "64", 64 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_eq(tcp_parse_signal(ok[i].s, 0), ok[i].sig, "%s", ok[i].s);
		cr_expect_eq(parse1("TCP_SIGNAL", ok[i].s), 0, "%s: %s", ok[i].s, err);
		cr_expect_eq(cfg.signal, ok[i].sig, "%s", ok[i].s);
	}
	/* Uncatchable, fault, glibc-reserved and out-of-range signals. */
	static const char *bad[] = { "KILL", "SIGKILL", "STOP", "SEGV", "BUS", "ILL", "FPE", "CHLD", "9", "11", "19",
				     "32", "33", "62", "RTMAX-2", "RTMIN+28", "SIGRTMAX-2", "XFSZ", "25", "65", "0",
				     "-1", "none", "RTMIN+31", "RTMAX-31", "RTMIN+", "USR", "USR1x", "SIG", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(tcp_parse_signal(bad[i], 0), -1, "%s", bad[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) - 1; i++) /* "" means the default */
		expect_error("TCP_SIGNAL", bad[i]);
}

/* A signal that names a real but reserved number says why it is refused. */
static void expect_reason(const char *var, const char *value, const char *reason)
{
	cr_expect_eq(parse1(var, value), -1, "%s=%s accepted", var, value);
	cr_expect(strstr(err, var) && strstr(err, reason), "%s=%s: \"%s\" lacks \"%s\"", var, value, err, reason);
}

Test(config, reserved_signal_reasons)
{
	const char *vars[] = { "TCP_SIGNAL", "TCP_STOP_SIGNAL" };
	for (int i = 0; i < 2; i++) {
		expect_reason(vars[i], "62", "reserved by libtcp");
		expect_reason(vars[i], "RTMAX-2", "signal 62");
		expect_reason(vars[i], "SIGRTMIN+28", "reserved by libtcp");
		expect_reason(vars[i], "KILL", "cannot be caught");
		expect_reason(vars[i], "19", "cannot be caught");
		expect_reason(vars[i], "32", "reserved by glibc");
		expect_reason(vars[i], "33", "reserved by glibc");
		expect_reason(vars[i], "SEGV", "fault");
		expect_reason(vars[i], "XFSZ", "file size limit");
	}
	cr_expect_eq(tcp_parse_signal("RTMAX-2", 1), -1);
	cr_expect_eq(tcp_parse_signal("61", 0), 61, "the neighbours of 62 stay usable");
	cr_expect_eq(tcp_parse_signal("RTMAX-1", 0), 63);
}

Test(config, stop_signal)
{
	cr_assert_eq(parse1("TCP_STOP_SIGNAL", "none"), 0);
	cr_assert_eq(cfg.stop_signal, 0);
	cr_assert_eq(parse1("TCP_STOP_SIGNAL", "NONE"), 0);
	cr_assert_eq(cfg.stop_signal, 0);
	cr_assert_eq(parse1("TCP_STOP_SIGNAL", "0"), 0);
	cr_assert_eq(cfg.stop_signal, 0);
	cr_assert_eq(parse1("TCP_STOP_SIGNAL", "INT"), 0);
	cr_assert_eq(cfg.stop_signal, SIGINT);
	cr_assert_eq(tcp_parse_signal("none", 1), 0);
	expect_error("TCP_STOP_SIGNAL", "KILL");
	expect_error("TCP_STOP_SIGNAL", "65");
	expect_error("TCP_STOP_SIGNAL", "nothing");
}

Test(config, same_signal_twice)
{
	const char *vars[] = { "TCP_SIGNAL", "TERM", NULL };
	cr_assert_eq(parse_env(vars), -1);
	cr_assert(strstr(err, "TCP_SIGNAL") && strstr(err, "TCP_STOP_SIGNAL"), "%s", err);
	const char *vars2[] = { "TCP_SIGNAL", "USR2", "TCP_STOP_SIGNAL", "SIGUSR2", NULL };
	cr_assert_eq(parse_env(vars2), -1);
	cr_assert(strstr(err, "TCP_STOP_SIGNAL"), "%s", err);
	/* Moving the stop signal out of the way makes TERM usable. */
	const char *vars3[] = { "TCP_SIGNAL", "TERM", "TCP_STOP_SIGNAL", "none", NULL };
	cr_assert_eq(parse_env(vars3), 0, "%s", err);
	cr_assert_eq(cfg.signal, SIGTERM);
}

Test(config, log)
{
	for (int i = 0; i <= 2; i++) {
		char v[2] = { (char)('0' + i), 0 };
		cr_assert_eq(parse1("TCP_LOG", v), 0);
		cr_assert_eq(cfg.log, i);
	}
	expect_error("TCP_LOG", "3");
	expect_error("TCP_LOG", "-1");
	expect_error("TCP_LOG", "verbose");
	expect_error("TCP_LOG", "1 ");
}

Test(config, interval)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_assert_eq(cfg.interval, 0, "no periodic checkpoints by default");
	cr_assert_eq(parse1("TCP_INTERVAL", "3600"), 0);
	cr_assert_eq(cfg.interval, 3600);
	cr_assert_eq(parse1("TCP_INTERVAL", "0"), 0);
	cr_assert_eq(cfg.interval, 0);
	cr_assert_eq(parse1("TCP_INTERVAL", "315360000"), 0);
	static const char *bad[] = { "-5", "1h", "1.5", " 60", "315360001", "999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("TCP_INTERVAL", bad[i]);
	parse1("TCP_INTERVAL", "315360001");
	cr_expect(strstr(err, "from 0") && strstr(err, "to 315360000"), "%s", err);
}

Test(config, retry)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_assert_eq(cfg.retry, TCP_RETRY_DEFAULT, "refused checkpoints are asked for again by default");
	cr_assert_eq(parse1("TCP_RETRY", "0"), 0);
	cr_assert_eq(cfg.retry, 0);
	cr_assert_eq(parse1("TCP_RETRY", "300"), 0);
	cr_assert_eq(cfg.retry, 300);
	static const char *bad[] = { "-1", "1m", "2.5", " 5", "315360001", "999999999999", "yes" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("TCP_RETRY", bad[i]);
	parse1("TCP_RETRY", "315360001");
	cr_expect(strstr(err, "to 315360000"), "%s", err);
}

Test(config, fork)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_assert_eq(cfg.fork, 1, "forked writing is the default");
	cr_assert_eq(parse1("TCP_FORK", "0"), 0);
	cr_assert_eq(cfg.fork, 0);
	cr_assert_eq(parse1("TCP_FORK", "1"), 0);
	cr_assert_eq(cfg.fork, 1);
	expect_error("TCP_FORK", "2");
	expect_error("TCP_FORK", "yes");
}

Test(config, sockets)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_expect_eq(cfg.sockets, TCP_SOCKETS_REFUSE);
	cr_assert_eq(parse1("TCP_SOCKETS", "close"), 0, "%s", err);
	cr_expect_eq(cfg.sockets, TCP_SOCKETS_CLOSE);
	cr_assert_eq(parse1("TCP_SOCKETS", "CLOSE"), 0, "%s", err);
	cr_expect_eq(cfg.sockets, TCP_SOCKETS_CLOSE);
	cr_assert_eq(parse1("TCP_SOCKETS", "refuse"), 0, "%s", err);
	cr_expect_eq(cfg.sockets, TCP_SOCKETS_REFUSE);
	cr_assert_eq(parse1("TCP_SOCKETS", ""), 0, "%s", err);
	cr_expect_eq(cfg.sockets, TCP_SOCKETS_REFUSE);
	expect_error("TCP_SOCKETS", "drop");
	expect_error("TCP_SOCKETS", "1");
	expect_error("TCP_SOCKETS", "close ");
}

Test(config, direct)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_assert_eq(cfg.direct, 0, "the page-cache writer is the default");
	cr_assert_eq(parse1("TCP_DIRECT", "0"), 0);
	cr_assert_eq(cfg.direct, 0);
	cr_assert_eq(parse1("TCP_DIRECT", "1"), 0);
	cr_assert_eq(cfg.direct, 1);
	expect_error("TCP_DIRECT", "2");
	expect_error("TCP_DIRECT", "on");
}

Test(config, incremental)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_expect_eq(cfg.incremental, 0, "incremental checkpoints are off by default");
	cr_assert_eq(parse1("TCP_INCREMENTAL", "1"), 0, "%s", err);
	cr_expect_eq(cfg.incremental, TCP_INCREMENTAL_DEFAULT, "1 means on, with the default chain bound");
	cr_assert_eq(parse1("TCP_INCREMENTAL", "0"), 0, "%s", err);
	cr_expect_eq(cfg.incremental, 0);
	cr_assert_eq(parse1("TCP_INCREMENTAL", "3"), 0, "%s", err);
	cr_expect_eq(cfg.incremental, 3, "N: a full image every N checkpoints");
	cr_assert_eq(parse1("TCP_INCREMENTAL", "64"), 0, "%s", err);
	cr_expect_eq(cfg.incremental, 64);
	static const char *bad[] = { "65", "-1", "yes", "2 ", "1.5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("TCP_INCREMENTAL", bad[i]);
}

Test(config, compress)
{
	const char *none[] = { NULL };
	cr_assert_eq(parse_env(none), 0);
	cr_expect_eq(cfg.compress, TCP_COMPRESS_NONE);
	cr_assert_eq(parse1("TCP_COMPRESS", ""), 0, "%s", err);
	cr_expect_eq(cfg.compress, TCP_COMPRESS_NONE);
	cr_assert_eq(parse1("TCP_COMPRESS", "none"), 0, "%s", err);
	cr_expect_eq(cfg.compress, TCP_COMPRESS_NONE);
	cr_assert_eq(parse1("TCP_COMPRESS", "zstd"), 0, "%s", err);
	cr_expect_eq(cfg.compress, TCP_COMPRESS_ZSTD);
	cr_expect_eq(cfg.compress_level, TCP_ZSTD_DEFAULT_LEVEL);
	cr_assert_eq(parse1("TCP_COMPRESS", "ZSTD:7"), 0, "%s", err);
	cr_expect_eq(cfg.compress, TCP_COMPRESS_ZSTD);
	cr_expect_eq(cfg.compress_level, 7);
	cr_assert_eq(parse1("TCP_COMPRESS", "zstd:19"), 0, "%s", err);
	cr_expect_eq(cfg.compress_level, 19);
	static const char *bad[] = { "gzip", "zstd:", "zstd:0", "zstd:20", "zstd:-1", "zstd:1x", "zstd ", "1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error("TCP_COMPRESS", bad[i]);
}
