/* The environment a program of the tree execs with (preload/tree/env_carry.c):
 * libtcp and the TCP_* variables kept, whatever environment the program
 * passes. */
#include <criterion/criterion.h>
#include <string.h>

#include "preload/tree/env_carry.h"

static struct env_carry carry(void)
{
	struct env_carry c = { .lib = "/opt/tcp/lib/libtcp.so", .nvars = 2 };
	c.vars[0] = "TCP_DIR=/scratch/ckpt";
	c.vars[1] = "TCP_KEEP=3";
	return c;
}

static long run(char *const envp[], char **out, size_t cap)
{
	static char buf[512];
	struct env_carry c = carry();
	return tcp_env_carry(envp, &c, out, cap, buf, sizeof(buf));
}

Test(env_carry, empty_environment_gets_everything)
{
	char *empty[] = { NULL }, *out[8];
	cr_assert_eq(run(empty, out, 8), 3);
	cr_assert_str_eq(out[0], "LD_PRELOAD=/opt/tcp/lib/libtcp.so");
	cr_assert_str_eq(out[1], "TCP_DIR=/scratch/ckpt");
	cr_assert_str_eq(out[2], "TCP_KEEP=3");
	cr_assert_null(out[3]);
}

Test(env_carry, null_envp_is_an_empty_one)
{
	char *out[8];
	cr_assert_eq(run(NULL, out, 8), 3);
}

Test(env_carry, own_values_and_order_kept)
{
	char *envp[] = { "PATH=/bin", "TCP_KEEP=5", "HOME=/h", NULL }, *out[8];
	cr_assert_eq(run(envp, out, 8), 5);
	cr_assert_str_eq(out[0], "PATH=/bin");
	cr_assert_str_eq(out[1], "TCP_KEEP=5"); /* the program's own value wins */
	cr_assert_str_eq(out[2], "HOME=/h");
	cr_assert_str_eq(out[3], "LD_PRELOAD=/opt/tcp/lib/libtcp.so");
	cr_assert_str_eq(out[4], "TCP_DIR=/scratch/ckpt");
}

Test(env_carry, other_preloads_kept_behind_ours)
{
	char *envp[] = { "LD_PRELOAD=/usr/lib/libfoo.so:libbar.so", NULL }, *out[8];
	cr_assert_eq(run(envp, out, 8), 3);
	cr_assert_str_eq(out[0], "LD_PRELOAD=/opt/tcp/lib/libtcp.so /usr/lib/libfoo.so:libbar.so");
}

Test(env_carry, preload_naming_us_left_alone)
{
	char *by_path[] = { "LD_PRELOAD=libx.so /opt/tcp/lib/libtcp.so", NULL };
	char *by_name[] = { "LD_PRELOAD=libtcp.so", NULL }, *out[8];
	cr_assert_eq(run(by_path, out, 8), 3);
	cr_assert_eq(out[0], by_path[0]);
	cr_assert_eq(run(by_name, out, 8), 3);
	cr_assert_eq(out[0], by_name[0]);
}

Test(env_carry, empty_preload_value)
{
	char *envp[] = { "LD_PRELOAD=", NULL }, *out[8];
	cr_assert_eq(run(envp, out, 8), 3);
	cr_assert_str_eq(out[0], "LD_PRELOAD=/opt/tcp/lib/libtcp.so");
}

Test(env_carry, too_small_is_refused)
{
	char *envp[] = { "A=1", "B=2", NULL }, *out[4];
	cr_assert_eq(run(envp, out, 4), -1);
	char buf[8], *out2[8];
	struct env_carry c = carry();
	cr_assert_eq(tcp_env_carry(envp, &c, out2, 8, buf, sizeof(buf)), -1);
}

Test(env_carry, preload_has)
{
	cr_assert(tcp_preload_has("/a/libtcp.so", "/opt/tcp/lib/libtcp.so"));
	cr_assert(tcp_preload_has(" x.so::libtcp.so ", "/opt/tcp/lib/libtcp.so"));
	cr_assert_not(tcp_preload_has("libtcp.so.1 libtcpx.so", "/opt/tcp/lib/libtcp.so"));
	cr_assert_not(tcp_preload_has("", "/opt/tcp/lib/libtcp.so"));
}

Test(env_carry, vars_taken_from_an_environment)
{
	char *envp[] = { "PATH=/bin", "TCP_DIR=/d", "TCPX=1", "TCP_ROOT_PROCESS=12:34", "TCP_NOEQ", NULL };
	char mem[64];
	struct env_carry c = { 0 };
	tcp_env_carry_vars(&c, envp, mem, sizeof(mem));
	cr_assert_eq(c.nvars, 2);
	cr_assert_str_eq(c.vars[0], "TCP_DIR=/d");
	cr_assert_str_eq(c.vars[1], "TCP_ROOT_PROCESS=12:34");
	char small[12];
	tcp_env_carry_vars(&c, envp, small, sizeof(small));
	cr_assert_eq(c.nvars, 1); /* the second does not fit */
}
