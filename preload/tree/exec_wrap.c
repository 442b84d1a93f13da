/* Keeps libtcp in every program the tree execs (issue 20 item 2): the exec
 * family and posix_spawn are interposed so that an environment the program
 * passes of its own still names libtcp in LD_PRELOAD and keeps the TCP_*
 * variables the process was started with (env_carry.c). The wrappers use
 * the stack only: exec is called in vfork children (Python's subprocess,
 * posix_spawn) that share the parent's memory. system() and popen() spawn
 * through glibc-internal calls with the process's own environ, which still
 * holds both unless the program removed them itself. */
#define _GNU_SOURCE
#include "env_carry.h"
#include "exec_wrap.h"

#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INTERPOSE __attribute__((visibility("default")))

extern char **environ;

static struct env_carry carry;

static char lib_mem[4096];	/* libtcp's path */
static char vars_mem[8192];	/* copies of the TCP_* entries */

void tcp_carry_capture(void)
{
	if (getauxval(AT_SECURE))
		return;
	Dl_info info;
	carry.lib = 0;
	if (dladdr((void *)tcp_carry_capture, &info) && info.dli_fname && info.dli_fname[0] == '/' &&
	    strlen(info.dli_fname) < sizeof(lib_mem)) {
		strcpy(lib_mem, info.dli_fname);
		carry.lib = lib_mem;
	}
	tcp_env_carry_vars(&carry, environ, vars_mem, sizeof(vars_mem));
}

void tcp_carry_after_restore(void)
{
	if (carry.lib)
		tcp_env_carry_vars(&carry, environ, vars_mem, sizeof(vars_mem));
}

static size_t count(char *const v[])
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

static size_t preload_len(char *const envp[])
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], "LD_PRELOAD=", 11))
			return strlen(envp[i]);
	return 0;
}

/* Declares `name` (the environment to pass) on the caller's stack: envp
 * with what the tree needs added, or envp itself if it cannot be built. */
#define CARRIED_ENV(name, envp)                                                                     \
	size_t name##_cap = count(envp) + TCP_CARRY_MAX_VARS + 2;                                   \
	size_t name##_bufcap = preload_len(envp) + (carry.lib ? strlen(carry.lib) : 0) + 16;        \
	char *name##_out[name##_cap > 65536 ? 1 : name##_cap];                                      \
	char name##_buf[name##_bufcap];                                                             \
	char *const *name = (envp);                                                                 \
	if (name##_cap <= 65536 &&                                                                  \
	    tcp_env_carry((envp), &carry, name##_out, name##_cap, name##_buf, name##_bufcap) >= 0) \
		name = name##_out;

/* The real functions, looked up before main(): dlsym takes the loader's
 * lock, which a vfork child must not touch. */
static struct {
	__typeof__(&execve) execve;
	__typeof__(&execveat) execveat;
	__typeof__(&fexecve) fexecve;
	__typeof__(&execvpe) execvpe;
	__typeof__(&posix_spawn) posix_spawn;
	__typeof__(&posix_spawnp) posix_spawnp;
} real;

__attribute__((constructor)) static void resolve_real(void)
{
	real.execve = dlsym(RTLD_NEXT, "execve");
	real.execveat = dlsym(RTLD_NEXT, "execveat");
	real.fexecve = dlsym(RTLD_NEXT, "fexecve");
	real.execvpe = dlsym(RTLD_NEXT, "execvpe");
	real.posix_spawn = dlsym(RTLD_NEXT, "posix_spawn");
	real.posix_spawnp = dlsym(RTLD_NEXT, "posix_spawnp");
}

#define REAL(fn) (real.fn ? real.fn : (resolve_real(), real.fn))

/* Signals 61 and 62 (TCP_TREE_SIGNAL, TCP_THREAD_SIGNAL) stay blocked
 * across an exec: one that comes while the kernel replaces the program,
 * before the new program's libtcp handles it, would kill it (their default
 * action). The new libtcp takes them once its handlers are in place; a
 * program without libtcp keeps them blocked. The mask comes back if the
 * exec fails. */
#define TREE_SIGNALS ((1ull << (61 - 1)) | (1ull << (62 - 1)))
#define BLOCKED_AROUND(call)                                                         \
	do {                                                                         \
		uint64_t set_ = TREE_SIGNALS, old_;                                  \
		long blocked_ = syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set_, &old_, 8); \
		int rc_ = (call);                                                    \
		int errno_ = errno;                                                  \
		if (blocked_ == 0)                                                   \
			syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old_, 0, 8);       \
		errno = errno_;                                                      \
		return rc_;                                                          \
	} while (0)

INTERPOSE int execve(const char *path, char *const argv[], char *const envp[])
{
	CARRIED_ENV(env, envp);
	BLOCKED_AROUND(REAL(execve)(path, argv, env));
}

INTERPOSE int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	CARRIED_ENV(env, envp);
	BLOCKED_AROUND(REAL(execveat)(dirfd, path, argv, env, flags));
}

INTERPOSE int fexecve(int fd, char *const argv[], char *const envp[])
{
	CARRIED_ENV(env, envp);
	BLOCKED_AROUND(REAL(fexecve)(fd, argv, env));
}

INTERPOSE int execvpe(const char *file, char *const argv[], char *const envp[])
{
	CARRIED_ENV(env, envp);
	BLOCKED_AROUND(REAL(execvpe)(file, argv, env));
}

INTERPOSE int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

INTERPOSE int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* execl, execlp, execle: argv from the arguments (up to the NULL), as
 * glibc builds it; `after` reads what follows the NULL (execle's envp).
 * glibc declares arg non-null. */
#define ARGV_FROM_VA(argv, arg, ap, after)                      \
	size_t argc_ = 0;                                       \
	va_start(ap, arg);                                      \
	for (const char *a_ = arg; a_; a_ = va_arg(ap, char *)) \
		argc_++;                                        \
	va_end(ap);                                             \
	if (argc_ > 1000000) {                                  \
		errno = E2BIG;                                  \
		return -1;                                      \
	}                                                       \
	char *argv[argc_ + 1];                                  \
	va_start(ap, arg);                                      \
	argv[0] = (char *)arg;                                  \
	for (size_t i_ = 1; i_ < argc_; i_++)                   \
		argv[i_] = va_arg(ap, char *);                  \
	argv[argc_] = 0;                                        \
	(void)va_arg(ap, char *); /* the NULL */                \
	after;                                                  \
	va_end(ap);

INTERPOSE int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_VA(argv, arg, ap, (void)0);
	return execve(path, argv, environ);
}

INTERPOSE int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	ARGV_FROM_VA(argv, arg, ap, (void)0);
	return execvpe(file, argv, environ);
}

INTERPOSE int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	char *const *envp;
	ARGV_FROM_VA(argv, arg, ap, envp = va_arg(ap, char *const *));
	return execve(path, argv, envp);
}

INTERPOSE int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	CARRIED_ENV(env, envp);
	return REAL(posix_spawn)(pid, path, fa, attr, argv, env);
}

INTERPOSE int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			   const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	CARRIED_ENV(env, envp);
	return REAL(posix_spawnp)(pid, file, fa, attr, argv, env);
}
