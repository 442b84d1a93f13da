/* Names for the numbers an image holds. Values are spelled out here rather
 * than taken from libc headers where those depend on feature macros or
 * describe glibc's view instead of the kernel's (sigaction flags, O_*). */
#include "inspect.h"
#include "../common/sockaddr_text.h"
#include "../common/smaps_flags.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *region_kind_name(uint32_t kind)
{
	switch (kind) {
	case TCP_REG_ANON: return "anon";
	case TCP_REG_FILE: return "file";
	case TCP_REG_FILE_SHARED: return "file-shared";
	case TCP_REG_HEAP: return "heap";
	case TCP_REG_STACK: return "stack";
	case TCP_REG_VDSO: return "vdso";
	case TCP_REG_VVAR: return "vvar";
	case TCP_REG_SHM: return "shm";
	default: return "unknown";
	}
}

const char *region_label(uint32_t kind)
{
	switch (kind) {
	case TCP_REG_ANON: return "[anon]";
	case TCP_REG_HEAP: return "[heap]";
	case TCP_REG_STACK: return "[stack]";
	case TCP_REG_VDSO: return "[vdso]";
	case TCP_REG_VVAR: return "[vvar]";
	default: return "[file]";
	}
}

int region_is_file(uint32_t kind)
{
	return kind == TCP_REG_FILE || kind == TCP_REG_FILE_SHARED;
}

void region_perms(const struct tcp_region *r, char out[5])
{
	out[0] = (r->prot & 1) ? 'r' : '-';	/* PROT_READ */
	out[1] = (r->prot & 2) ? 'w' : '-';	/* PROT_WRITE */
	out[2] = (r->prot & 4) ? 'x' : '-';	/* PROT_EXEC */
	out[3] = r->kind == TCP_REG_FILE_SHARED || (r->kind == TCP_REG_SHM && !(r->flags & TCP_REGF_PRIVATE)) ? 's' : 'p';
	out[4] = 0;
}

void region_vmflags(const struct tcp_region *r, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = 0;
	for (int k = 0; k < 32; k++) {
		const char *name = smaps_flag_name((uint32_t)1 << k);
		if (name && (r->flags & ((uint32_t)1 << k)) && len + 4 <= cap)
			len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? " " : "", name);
	}
}

const char *shm_type_name(uint32_t type)
{
	switch (type) {
	case TCP_SHM_MEMFD: return "memfd";
	case TCP_SHM_POSIX: return "posix";
	case TCP_SHM_ANON: return "anon";
	case TCP_SHM_SYSV: return "sysv";
	default: return "?";
	}
}

void shm_flag_names(uint32_t flags, name_cb cb, void *ctx)
{
	if (flags & TCP_SHMF_DELETED)
		cb(ctx, "deleted");
	if (flags & TCP_SHMF_SEALABLE)
		cb(ctx, "sealable");
	if (flags & TCP_SHMF_RMID)
		cb(ctx, "removed");
}

const char *sock_addr_text(const uint8_t *addr, uint32_t len, char *buf, size_t cap)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	return len <= TCP_SOCK_ADDR_MAX && fb_put_sockaddr(&b, addr, len) ? buf : NULL;
}

const char *fd_kind_name(uint32_t kind)
{
	switch (kind) {
	case TCP_FD_REGULAR: return "regular";
	case TCP_FD_INHERIT: return "inherited";
	case TCP_FD_DEVICE: return "device";
	case TCP_FD_DELETED: return "deleted";
	case TCP_FD_DUP: return "dup";
	case TCP_FD_PIPE: return "pipe";
	case TCP_FD_EVENTFD: return "eventfd";
	case TCP_FD_TIMERFD: return "timerfd";
	case TCP_FD_SIGNALFD: return "signalfd";
	case TCP_FD_EPOLL: return "epoll";
	case TCP_FD_INOTIFY: return "inotify";
	case TCP_FD_SOCKET: return "socket";
	case TCP_FD_MEMFD: return "memfd";
	case TCP_FD_PTY: return "pty";
	default: return "unknown";
	}
}

const char *file_type_name(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "pipe";
	case S_IFSOCK: return "socket";
	case S_IFLNK: return "symlink";
	default: return "unknown type";
	}
}

static const char *const sig_names[32] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
	"SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
	"SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

/* Real-time signals as glibc numbers them (SIGRTMIN = 34; 32 and 33 are
 * glibc's own), the same convention TCP_SIGNAL uses, and as `kill -l`
 * splits them between RTMIN+n and RTMAX-n. */
const char *signal_name(int sig, char *buf, size_t len)
{
	if (sig >= 1 && sig < 32)
		return sig_names[sig];
	if (sig == 34)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > 34 && sig <= 49)
		snprintf(buf, len, "SIGRTMIN+%d", sig - 34);
	else if (sig >= 50 && sig < 64)
		snprintf(buf, len, "SIGRTMAX-%d", 64 - sig);
	else if (sig == 64)
		snprintf(buf, len, "SIGRTMAX");
	else
		snprintf(buf, len, "SIG%d", sig);
	return buf;
}

const char *rlimit_name(int resource)
{
	static const char *const names[] = {
		"RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE", "RLIMIT_RSS",
		"RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
		"RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
	};
	if (resource < 0 || (size_t)resource >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[resource];
}

const char *sched_policy_name(uint32_t policy)
{
	switch (policy) {
	case 0: return "SCHED_OTHER";
	case 1: return "SCHED_FIFO";
	case 2: return "SCHED_RR";
	case 3: return "SCHED_BATCH";
	case 5: return "SCHED_IDLE";
	case 6: return "SCHED_DEADLINE";
	}
	return "unknown";
}

void cpu_list(const uint64_t *mask, char *buf, size_t cap)
{
	size_t len = 0;
	const int n = TCP_SCHED_CPU_WORDS * 64;
	buf[0] = 0;
	for (int c = 0; c < n && len < cap;) {
		if (!(mask[c / 64] >> (c % 64) & 1)) {
			c++;
			continue;
		}
		int end = c;
		while (end + 1 < n && (mask[(end + 1) / 64] >> ((end + 1) % 64) & 1))
			end++;
		int w = end > c ? snprintf(buf + len, cap - len, "%s%d-%d", len ? "," : "", c, end)
				: snprintf(buf + len, cap - len, "%s%d", len ? "," : "", c);
		len += w > 0 ? (size_t)w : 0;
		c = end + 1;
	}
	if (!buf[0])
		snprintf(buf, cap, "none");
}

const char *itimer_name(int which)
{
	static const char *const names[] = { "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF" };
	return which >= 0 && which < 3 ? names[which] : "ITIMER_?";
}

struct bit_name {
	uint64_t bits;
	const char *name;
};

/* Names each entry whose bits are all set, then the leftover bits in hex. */
static void decode(uint64_t v, const struct bit_name *t, size_t n, name_cb cb, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		if ((v & t[i].bits) == t[i].bits) {
			cb(ctx, t[i].name);
			v &= ~t[i].bits;
		}
	if (v) {
		char buf[24];
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
		cb(ctx, buf);
	}
}

/* x86-64 Linux values (octal, as in the kernel's uapi fcntl.h). */
void open_flag_names(uint32_t flags, uint32_t cloexec, name_cb cb, void *ctx)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE(3)" };
	static const struct bit_name t[] = {
		/* O_SYNC includes the O_DSYNC bit, so it comes first */
		{ 04010000, "O_SYNC" },   { 010000, "O_DSYNC" },     { 02000, "O_APPEND" },
		{ 04000, "O_NONBLOCK" },  { 020000, "O_ASYNC" },     { 040000, "O_DIRECT" },
		{ 0100000, "O_LARGEFILE" }, { 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" },
		{ 01000000, "O_NOATIME" }, { 010000000, "O_PATH" },   { 0100, "O_CREAT" },
		{ 0200, "O_EXCL" },       { 0400, "O_NOCTTY" },      { 01000, "O_TRUNC" },
	};
	/* O_PATH descriptors have no access mode, O_RDONLY would mislead. */
	if (!(flags & 010000000))
		cb(ctx, acc[flags & 3]);
	decode(flags & ~3u, t, sizeof(t) / sizeof(t[0]), cb, ctx);
	if (cloexec)
		cb(ctx, "O_CLOEXEC");
}

void sa_flag_names(uint64_t flags, name_cb cb, void *ctx)
{
	static const struct bit_name t[] = {
		{ 0x4, "SA_SIGINFO" },    { 0x10000000, "SA_RESTART" }, { 0x08000000, "SA_ONSTACK" },
		{ 0x40000000, "SA_NODEFER" }, { 0x80000000, "SA_RESETHAND" }, { 0x1, "SA_NOCLDSTOP" },
		{ 0x2, "SA_NOCLDWAIT" },  { 0x04000000, "SA_RESTORER" }, { 0x400, "SA_EXPOSE_TAGBITS" },
		{ 0x800, "SA_UNSUPPORTED" },
	};
	decode(flags, t, sizeof(t) / sizeof(t[0]), cb, ctx);
}

void sigset_names(uint64_t set, name_cb cb, void *ctx)
{
	char buf[24];
	for (int s = 1; s <= 64; s++)
		if (set & (1ull << (s - 1)))
			cb(ctx, signal_name(s, buf, sizeof(buf)));
}

/* XSAVE state components (Intel SDM vol. 1, ch. 13), bit = component. */
void xfeature_names(uint64_t x, name_cb cb, void *ctx)
{
	static const char *const names[] = {
		"x87", "SSE", "AVX", "MPX-BNDREGS", "MPX-BNDCSR", "AVX-512-opmask", "AVX-512-ZMM_Hi256",
		"AVX-512-Hi16_ZMM", "PT", "PKRU", "PASID", "CET-U", "CET-S", "HDC", "UINTR", "LBR", "HWP",
		"AMX-TILECFG", "AMX-TILEDATA", "APX",
	};
	char buf[16];
	for (unsigned b = 0; b < 64; b++) {
		if (!(x & (1ull << b)))
			continue;
		if (b < sizeof(names) / sizeof(names[0]))
			cb(ctx, names[b]);
		else {
			snprintf(buf, sizeof(buf), "bit%u", b);
			cb(ctx, buf);
		}
	}
}
