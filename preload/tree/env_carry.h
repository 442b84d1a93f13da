/* What every program a process tree execs must keep in its environment so
 * that libtcp is loaded there too (issue 20, DESIGN §8): LD_PRELOAD naming
 * libtcp, and the TCP_* variables the tree was started with. Programs pass
 * environments of their own (execve with a clean envp, Python's
 * subprocess(env=...), posix_spawn); the exec wrappers (exec_wrap.c) hand
 * the kernel that environment plus what is missing of ours. */
#ifndef TCP_TREE_ENV_CARRY_H
#define TCP_TREE_ENV_CARRY_H

#include <stddef.h>

#define TCP_CARRY_MAX_VARS 32

struct env_carry {
	const char *lib;	/* libtcp's path as the loader got it (from LD_PRELOAD) */
	size_t nvars;
	const char *vars[TCP_CARRY_MAX_VARS]; /* "TCP_X=value" entries to keep */
};

/* Writes into out[0..cap) the environment to pass instead of envp (NULL
 * terminated): envp's entries in order, LD_PRELOAD with c->lib added in
 * front if it lacks it, then every variable of c->vars that envp does not
 * set. A new LD_PRELOAD value is built in buf. Returns the number of
 * entries (without the NULL), or -1 if out or buf is too small (the caller
 * then passes envp unchanged). No allocation: exec may be called in a
 * vfork child. */
long tcp_env_carry(char *const envp[], const struct env_carry *c, char **out, size_t cap, char *buf,
		   size_t bufcap);

/* c->vars: the TCP_* entries of envp ("TCP_X=value"), copied into mem
 * (cap bytes); those that do not fit are left out. */
void tcp_env_carry_vars(struct env_carry *c, char *const envp[], char *mem, size_t cap);

/* Whether an LD_PRELOAD value (entries separated by spaces or colons)
 * names lib, by its path or by its file name. */
int tcp_preload_has(const char *value, const char *lib);

#endif
