/* Raw Linux x86-64 system calls for the code that must not touch libc:
 * the dump path that runs while the app is stopped inside a signal handler,
 * and the freestanding restore blob. Errors come back as -errno. */
#ifndef TCP_RAWSYS_H
#define TCP_RAWSYS_H

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>

static inline long rsys0(long n)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys1(long n, long a)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys2(long n, long a, long b)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys5(long n, long a, long b, long c, long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
	return r;
}
static inline long rsys6(long n, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

#define R_AT_FDCWD (-100)

/* A directory entry as getdents64 returns it. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static inline long r_read(int fd, void *buf, size_t n) { return rsys3(__NR_read, fd, (long)buf, (long)n); }
static inline long r_write(int fd, const void *buf, size_t n) { return rsys3(__NR_write, fd, (long)buf, (long)n); }
static inline long r_pread(int fd, void *buf, size_t n, long off) { return rsys4(__NR_pread64, fd, (long)buf, (long)n, off); }
static inline long r_pwrite(int fd, const void *buf, size_t n, long off) { return rsys4(__NR_pwrite64, fd, (long)buf, (long)n, off); }
static inline long r_openat(int dfd, const char *p, int flags, int mode) { return rsys4(__NR_openat, dfd, (long)p, flags, mode); }
static inline long r_open(const char *p, int flags, int mode) { return r_openat(R_AT_FDCWD, p, flags, mode); }
static inline long r_close(int fd) { return rsys1(__NR_close, fd); }
static inline long r_lseek(int fd, long off, int whence) { return rsys3(__NR_lseek, fd, off, whence); }
static inline long r_fsync(int fd) { return rsys1(__NR_fsync, fd); }
static inline long r_ftruncate(int fd, long len) { return rsys2(__NR_ftruncate, fd, len); }
static inline long r_renameat(int ofd, const char *o, int nfd, const char *n) { return rsys4(__NR_renameat, ofd, (long)o, nfd, (long)n); }
static inline long r_unlinkat(int dfd, const char *p, int flags) { return rsys3(__NR_unlinkat, dfd, (long)p, flags); }
static inline long r_symlinkat(const char *t, int dfd, const char *p) { return rsys3(__NR_symlinkat, (long)t, dfd, (long)p); }
static inline long r_readlinkat(int dfd, const char *p, char *buf, size_t n) { return rsys4(__NR_readlinkat, dfd, (long)p, (long)buf, (long)n); }
static inline long r_getdents64(int fd, void *buf, size_t n) { return rsys3(__NR_getdents64, fd, (long)buf, (long)n); }
static inline long r_fstat(int fd, void *st) { return rsys2(__NR_fstat, fd, (long)st); }
static inline long r_fstatat(int dfd, const char *p, void *st, int flags) { return rsys4(__NR_newfstatat, dfd, (long)p, (long)st, flags); }
static inline long r_fcntl(int fd, int cmd, long arg) { return rsys3(__NR_fcntl, fd, cmd, arg); }
static inline long r_dup2(int o, int n) { return rsys2(__NR_dup2, o, n); }
static inline void *r_mmap(void *a, size_t n, int prot, int flags, int fd, long off)
{
	return (void *)rsys6(__NR_mmap, (long)a, (long)n, prot, flags, fd, off);
}
static inline long r_munmap(void *a, size_t n) { return rsys2(__NR_munmap, (long)a, (long)n); }
static inline long r_mprotect(void *a, size_t n, int prot) { return rsys3(__NR_mprotect, (long)a, (long)n, prot); }
static inline void *r_mremap(void *o, size_t on, size_t nn, int flags, void *na)
{
	return (void *)rsys5(__NR_mremap, (long)o, (long)on, (long)nn, flags, (long)na);
}
static inline long r_brk(unsigned long a) { return rsys1(__NR_brk, (long)a); }
static inline long r_prctl(int op, long a, long b, long c, long d) { return rsys5(__NR_prctl, op, a, b, c, d); }
static inline long r_arch_prctl(int code, unsigned long addr) { return rsys2(__NR_arch_prctl, code, (long)addr); }
static inline long r_getpid(void) { return rsys0(__NR_getpid); }
static inline long r_gettid(void) { return rsys0(__NR_gettid); }
static inline long r_tgkill(int tg, int tid, int sig) { return rsys3(__NR_tgkill, tg, tid, sig); }
static inline long r_kill(int pid, int sig) { return rsys2(__NR_kill, pid, sig); }
static inline long r_rt_sigtimedwait(const void *set, void *info, const void *ts) { return rsys4(__NR_rt_sigtimedwait, (long)set, (long)info, (long)ts, 8); }
static inline long r_rt_sigqueueinfo(int pid, int sig, const void *info) { return rsys3(__NR_rt_sigqueueinfo, pid, sig, (long)info); }
static inline long r_rt_tgsigqueueinfo(int tg, int tid, int sig, const void *info) { return rsys4(__NR_rt_tgsigqueueinfo, tg, tid, sig, (long)info); }
static inline long r_rt_sigaction(int sig, const void *act, void *old) { return rsys4(__NR_rt_sigaction, sig, (long)act, (long)old, 8); }
static inline long r_rt_sigprocmask(int how, const void *set, void *old) { return rsys4(__NR_rt_sigprocmask, how, (long)set, (long)old, 8); }
static inline long r_rt_sigpending(void *set) { return rsys2(__NR_rt_sigpending, (long)set, 8); }
static inline long r_sigaltstack(const void *ss, void *old) { return rsys2(__NR_sigaltstack, (long)ss, (long)old); }
static inline long r_getitimer(int which, void *v) { return rsys2(__NR_getitimer, which, (long)v); }
static inline long r_setitimer(int which, const void *v, void *old) { return rsys3(__NR_setitimer, which, (long)v, (long)old); }
static inline long r_prlimit(int pid, int res, const void *nl, void *ol) { return rsys4(__NR_prlimit64, pid, res, (long)nl, (long)ol); }
static inline long r_umask(int m) { return rsys1(__NR_umask, m); }
static inline long r_getcwd(char *buf, size_t n) { return rsys2(__NR_getcwd, (long)buf, (long)n); }
static inline long r_set_tid_address(void *p) { return rsys1(__NR_set_tid_address, (long)p); }
static inline long r_set_robust_list(void *h, size_t len) { return rsys2(__NR_set_robust_list, (long)h, (long)len); }
static inline long r_get_robust_list(int pid, void *h, void *len) { return rsys3(__NR_get_robust_list, pid, (long)h, (long)len); }
static inline long r_rseq(void *r, unsigned len, int flags, unsigned sig) { return rsys4(__NR_rseq, (long)r, len, flags, sig); }
static inline long r_futex(volatile int *w, int op, int val, const void *ts) { return rsys4(__NR_futex, (long)w, op, val, (long)ts); }
static inline long r_clock_gettime(int clk, void *ts) { return rsys2(__NR_clock_gettime, clk, (long)ts); }
static inline long r_uname(void *u) { return rsys1(__NR_uname, (long)u); }
static inline long r_getuid(void) { return rsys0(__NR_getuid); }
static inline long r_madvise(void *a, size_t n, int adv) { return rsys3(__NR_madvise, (long)a, (long)n, adv); }

/* For the fd kinds (pipes, event fds, sockets, shared memory). */
static inline long r_kcmp(int pid1, int pid2, int type, long a, long b) { return rsys5(__NR_kcmp, pid1, pid2, type, a, b); }
static inline long r_ioctl(int fd, unsigned long req, long arg) { return rsys3(__NR_ioctl, fd, (long)req, arg); }
static inline long r_tee(int in, int out, size_t len, unsigned flags) { return rsys4(__NR_tee, in, out, (long)len, flags); }
static inline long r_pipe2(int *fds, int flags) { return rsys2(__NR_pipe2, (long)fds, flags); }
static inline long r_socket(int dom, int type, int proto) { return rsys3(__NR_socket, dom, type, proto); }
static inline long r_sendto(int fd, const void *b, size_t n, int fl, const void *a, int alen) { return rsys6(__NR_sendto, fd, (long)b, (long)n, fl, (long)a, alen); }
static inline long r_recvfrom(int fd, void *b, size_t n, int fl, void *a, void *alen) { return rsys6(__NR_recvfrom, fd, (long)b, (long)n, fl, (long)a, (long)alen); }
static inline long r_recvmsg(int fd, void *msg, int fl) { return rsys3(__NR_recvmsg, fd, (long)msg, fl); }
static inline long r_getsockname(int fd, void *a, void *alen) { return rsys3(__NR_getsockname, fd, (long)a, (long)alen); }
static inline long r_getpeername(int fd, void *a, void *alen) { return rsys3(__NR_getpeername, fd, (long)a, (long)alen); }
static inline long r_getsockopt(int fd, int lvl, int opt, void *v, void *vlen) { return rsys5(__NR_getsockopt, fd, lvl, opt, (long)v, (long)vlen); }
static inline long r_setsockopt(int fd, int lvl, int opt, const void *v, int vlen) { return rsys5(__NR_setsockopt, fd, lvl, opt, (long)v, vlen); }
static inline long r_timerfd_gettime(int fd, void *cur) { return rsys2(__NR_timerfd_gettime, fd, (long)cur); }
static inline long r_mincore(void *a, size_t n, unsigned char *vec) { return rsys3(__NR_mincore, (long)a, (long)n, (long)vec); }
static inline long r_shmctl(int id, int cmd, void *buf) { return rsys3(__NR_shmctl, id, cmd, (long)buf); }
static inline __attribute__((noreturn)) void r_exit_group(int code)
{
	for (;;)
		rsys1(__NR_exit_group, code);
}

#endif
