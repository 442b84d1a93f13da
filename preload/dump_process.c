/* The PROCESS and THREAD sections: everything besides memory and fds that
 * the restore needs (DESIGN §3). */
#define _GNU_SOURCE
#include "dump.h"
#include "../common/rawsys.h"
#include "../common/xcr0.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/utsname.h>

struct fpx_sw_bytes {	/* the kernel's software-reserved area of the XSAVE frame */
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, padding[7];
};
#define TCP_FP_XSTATE_MAGIC1 0x46505853u

/* The current directory, which the restore goes back to by its path. One
 * longer than TCP_PATH_MAX (getcwd fails) is named by its start: the
 * nearest ancestor whose path the kernel can give, reached through "..". */
int dump_read_cwd(struct dump_ctx *d, char *out, size_t cap)
{
	long n = r_getcwd(out, cap);
	if (n >= 0)
		return 0;
	if (n != -36 /* ENAMETOOLONG */) {
		fb_puts(&d->err, "cannot read the current directory (");
		fb_puts(&d->err, tcp_strerror(n));
		fb_puts(&d->err, n == -2 ? ": it was deleted); cd to a directory that exists" : ")");
		return -1;
	}
	fb_puts(&d->err, "the current directory's path is longer than the ");
	fb_putu(&d->err, TCP_PATH_MAX - 1, 10, 0);
	fb_puts(&d->err, " bytes a restore can go back to: ");
	long dir = r_openat(R_AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	int up = 0;
	for (; dir >= 0 && up < 4096;) {
		long parent = r_openat((int)dir, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		r_close((int)dir);
		dir = parent;
		up++;
		char proc[64];
		path_append_num(proc, sizeof(proc), "/proc/self/fd/", dir, "");
		if (dir >= 0 && (n = r_readlinkat(R_AT_FDCWD, proc, out, cap - 1)) > 0)
			break;
	}
	if (dir >= 0 && n > 0) {
		out[n] = 0;
		fb_puts(&d->err, "it is ");
		fb_puti(&d->err, up);
		fb_puts(&d->err, " directories below ");
		if (n > 300) { /* the start is what tells which it is */
			out[300] = 0;
			fb_puts(&d->err, out);
			fb_puts(&d->err, "...");
		} else {
			fb_puts(&d->err, out);
		}
		fb_puts(&d->err, "; ");
	}
	if (dir >= 0)
		r_close((int)dir);
	out[0] = 0;
	fb_puts(&d->err, "run the program from a directory with a shorter path");
	return -1;
}

/* Parses the numeric fields of /proc/self/stat after "(comm) ". */
static int parse_stat(const char *buf, long len, uint64_t *field, int nfields)
{
	long i = len - 1;
	while (i >= 0 && buf[i] != ')')
		i--;
	if (i < 0)
		return -1;
	i += 2; /* ") " */
	int f = 3; /* field 3 is the state letter */
	while (i < len && f <= nfields) {
		uint64_t v = 0;
		int neg = 0;
		if (buf[i] == '-') {
			neg = 1;
			i++;
		}
		while (i < len && buf[i] >= '0' && buf[i] <= '9')
			v = v * 10 + (uint64_t)(buf[i++] - '0');
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++; /* the state letter */
		field[f] = neg ? (uint64_t)0 - v : v;
		f++;
		i++;
	}
	return f > nfields ? 0 : -1;
}

/* Pending signals: each stopped thread has recorded its own
 * (pending_signals.c); the leader does so now, for itself and the process.
 * The records are in the memory the image holds, so they are made before
 * it is read. */
static int read_pending(struct dump_ctx *d, struct tcp_process *p)
{
	tcp_pending_take(&d->threads[0], &p->pending); /* slot 0 is the leader's */
	for (int i = 0; i < d->nslots; i++) {
		struct tcp_thread *t = &d->threads[i];
		if (tcp_thread_valid(t) && t->pending == TCP_PENDING_UNKNOWN) {
			fb_puts(&d->err, "cannot read the pending signals of thread ");
			fb_puti(&d->err, t->tid);
			fb_puts(&d->err, " from /proc/self/task/");
			fb_puti(&d->err, t->tid);
			fb_puts(&d->err, "/status (is /proc mounted?); they would be lost");
			return -1;
		}
	}
	if (tcp_pending_overflowed()) {
		fb_puts(&d->err, "more signals are queued (sent while blocked) than the ");
		fb_puti(&d->err, TCP_PENDING_RECORDS);
		fb_puts(&d->err, " libtcp can keep; they would be lost: let the program take them first, then "
				 "checkpoint again");
		return -1;
	}
	return 0;
}

int dump_fill_process(struct dump_ctx *d, struct tcp_process *p, uint32_t generation)
{
	char *buf = arena_alloc(d, 8192);
	uint64_t st[64];
	struct { long sec, nsec; } ts;

	if (!buf) {
		fb_puts(&d->err, "out of scratch memory");
		return -1;
	}
	f_memset(p, 0, sizeof(*p));
	r_clock_gettime(0 /* CLOCK_REALTIME */, &ts);
	p->time_sec = ts.sec;
	p->time_nsec = ts.nsec;
	p->pid = (int32_t)r_getpid();
	p->uid = (uint32_t)r_getuid();
	p->gid = (uint32_t)rsys0(__NR_getgid);
	int um = (int)r_umask(022);
	r_umask(um);
	p->umask = (uint32_t)um;
	p->generation = generation;
	p->nthreads = (uint32_t)d->nthreads;
	p->nregions = (uint32_t)d->nregions;
	p->nfds = (uint32_t)d->nfds;

	long n = read_whole("/proc/self/stat", buf, 8191);
	if (n < 0 || parse_stat(buf, n, st, 52)) {
		fb_puts(&d->err, "cannot read /proc/self/stat");
		return -1;
	}
	p->mm.start_code = st[26];
	p->mm.end_code = st[27];
	p->mm.start_stack = st[28];
	p->mm.start_data = st[45];
	p->mm.end_data = st[46];
	p->mm.start_brk = st[47];
	p->mm.arg_start = st[48];
	p->mm.arg_end = st[49];
	p->mm.env_start = st[50];
	p->mm.env_end = st[51];
	p->mm.brk = (uint64_t)r_brk(0);

	n = read_whole("/proc/self/auxv", (char *)p->auxv, sizeof(p->auxv));
	if (n <= 0) {
		fb_puts(&d->err, "cannot read /proc/self/auxv");
		return -1;
	}
	p->auxv_bytes = (uint32_t)n;

	p->xcr0 = read_xcr0();
	const struct fpx_sw_bytes *sw = 0;
	if (d->uc->uc_mcontext.fpregs)
		sw = (const struct fpx_sw_bytes *)((const char *)d->uc->uc_mcontext.fpregs + 464);
	if (sw && sw->magic1 == TCP_FP_XSTATE_MAGIC1) {
		p->xfeatures = sw->xfeatures;
		p->xstate_size = sw->xstate_size;
	}

	for (int i = 0; i < TCP_NRLIMITS; i++)
		r_prlimit(0, i, 0, &p->rlimits[i]);
	for (int s = 1; s <= TCP_NSIG; s++)
		r_rt_sigaction(s, 0, &p->sigactions[s - 1]);
	if (read_pending(d, p) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		struct { long is, iu, vs, vu; } it;
		r_getitimer(i, &it);
		p->itimers[i] = (struct tcp_itimer){ it.is, it.iu, it.vs, it.vu };
	}
	p->resume_slot = (uint64_t)&tcp_slot;
	p->run_id = tcp_run_id;

	struct utsname u;
	if (r_uname(&u) == 0)
		f_memcpy(p->hostname, u.nodename, sizeof(p->hostname) - 1);
	f_memcpy(p->prog, tcp_prog, sizeof(tcp_prog));
	tcp_current_job(p->job, sizeof(p->job));
	n = r_prctl(16 /* PR_GET_NAME */, (long)p->comm, 0, 0, 0);
	n = r_readlinkat(R_AT_FDCWD, "/proc/self/exe", p->exe, sizeof(p->exe) - 1);
	if (n < 0) {
		fb_puts(&d->err, "cannot read /proc/self/exe");
		return -1;
	}
	if (dump_read_cwd(d, p->cwd, sizeof(p->cwd)))
		return -1;
	n = read_whole("/proc/self/cmdline", p->cmdline, sizeof(p->cmdline));
	p->cmdline_len = n > 0 ? (uint32_t)n : 0;
	return 0;
}
