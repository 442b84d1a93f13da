/* Parallel compression: one worker process per core (sched_getaffinity),
 * each a raw clone of the writer without CLONE_VM. A worker made after the
 * data is final sees a stable copy of it, even of the dumping thread's own
 * stack. Worker k has its own request and result pipes: the writer hands
 * out blocks round-robin and reads them back in the same order, at most
 * ZINFLIGHT per worker, so a request never waits for pipe room while the
 * worker waits to send a result (no deadlock). A worker exits on EOF of its
 * request pipe, on EPIPE, or with the writer (PR_SET_PDEATHSIG). */
#include "compress.h"
#include "internal.h"
#include "../common/rawsys.h"

struct zreq {
	uint32_t nseg;
	uint32_t reserved0;
};

struct zres {
	uint32_t stored_len, raw_len, flags, reserved0;
};

struct zworker {
	long pid;
	int req;	/* write end */
	int res;	/* read end */
};

static struct zworker workers[ZWORKERS_MAX];
static int nworkers;
static char failure[160];	/* why a worker failed, "" if none did */
static int failure_epoch;	/* in the checkpoint (tcp_threads.epoch) that set it */

static int read_full(int fd, void *buf, uint64_t len)
{
	char *p = buf;
	while (len) {
		long n = r_read(fd, p, len);
		if (n == -4)
			continue;
		if (n <= 0)
			return n < 0 ? (int)n : -5 /* EIO: the other side is gone */;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, uint64_t len)
{
	const char *p = buf;
	while (len) {
		long n = r_write(fd, p, len);
		if (n == -4)
			continue;
		if (n <= 0)
			return n < 0 ? (int)n : -5;
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int cores(void)
{
	uint64_t mask[16];
	long n = rsys3(__NR_sched_getaffinity, 0, sizeof(mask), (long)mask);
	int c = 0;
	for (long i = 0; i < n / 8; i++)
		c += __builtin_popcountll(mask[i]);
	return c < 1 ? 1 : c;
}

static __attribute__((noreturn)) void worker_main(int req, int res, int level)
{
	static struct zseg segs[ZSEGS_MAX]; /* a private copy after the clone */
	uint64_t all = ~0ull;
	/* The app's handlers must not run here; SIGPIPE becomes EPIPE. */
	r_rt_sigprocmask(2 /* SIG_SETMASK */, &all, 0);
	r_prctl(1 /* PR_SET_PDEATHSIG */, 9 /* SIGKILL */, 0, 0, 0);
	zcomp_source_own();
	struct zcomp *z = zcomp_new(level);
	if (!z)
		r_exit_group(1);
	for (;;) {
		struct zreq q;
		if (read_full(req, &q, sizeof(q)))
			r_exit_group(0); /* EOF: no more blocks */
		uint64_t len = 0;
		if (q.nseg > ZSEGS_MAX || read_full(req, segs, q.nseg * sizeof(segs[0])))
			r_exit_group(1);
		for (uint32_t i = 0; i < q.nseg; i++)
			len += segs[i].len;
		if (len > ZBLOCK_SIZE)
			r_exit_group(1);
		const void *out;
		struct zres r = { 0, 0, 0, 0 };
		r.stored_len = zcomp_block(z, segs, q.nseg, &out, &r.raw_len, &r.flags);
		if (write_full(res, &r, sizeof(r)) || write_full(res, out, r.stored_len))
			r_exit_group(1);
	}
}

int zworkers_start(int level)
{
	failure[0] = 0;
	int want = cores();
	if (want > ZWORKERS_MAX)
		want = ZWORKERS_MAX;
	if (want < 2)
		return 0;
	for (nworkers = 0; nworkers < want; nworkers++) {
		int req[2], res[2];
		if (r_pipe2(req, 02000000 /* O_CLOEXEC */) < 0)
			break;
		if (r_pipe2(res, 02000000) < 0) {
			r_close(req[0]);
			r_close(req[1]);
			break;
		}
		long pid = rsys5(__NR_clone, 0 /* no exit signal: the app's wait() never sees it */, 0, 0, 0, 0);
		if (pid == 0) {
			/* Only our own ends: the writer's ends of earlier workers
			 * would keep their pipes from reaching EOF. */
			for (int k = 0; k < nworkers; k++) {
				r_close(workers[k].req);
				r_close(workers[k].res);
			}
			r_close(req[1]);
			r_close(res[0]);
			worker_main(req[0], res[1], level);
		}
		r_close(req[0]);
		r_close(res[1]);
		if (pid < 0) {
			r_close(req[1]);
			r_close(res[0]);
			break;
		}
		/* A whole result in the pipe: fewer switches between worker and writer. */
		r_fcntl(res[0], 1031 /* F_SETPIPE_SZ */, 2 << 20);
		workers[nworkers] = (struct zworker){ pid, req[1], res[0] };
	}
	if (nworkers < 2) { /* not worth it: compress inline */
		zworkers_stop();
		return 0;
	}
	return nworkers;
}

/* After a pipe to worker k failed: a worker ends only when told to, so
 * one that has ended crashed or was killed; say which and how. Its end of
 * the pipe closed (EOF, EPIPE) means it is exiting: wait for it (it closes
 * its files before it becomes a zombie). */
static int explain(int k, int rc)
{
	int status = 0;
	long pid = workers[k].pid;
	int gone = rc == -5 /* EOF */ || rc == -32 /* EPIPE */;
	if (rsys4(__NR_wait4, pid, (long)&status, (gone ? 0 : 1 /* WNOHANG */) | 0x80000000 /* __WCLONE */, 0) != pid)
		return rc;
	workers[k].pid = 0; /* reaped */
	failure_epoch = tcp_threads.epoch;
	struct fbuf b;
	fb_init(&b, failure, sizeof(failure));
	fb_puts(&b, "the compression worker (pid ");
	fb_puti(&b, pid);
	if (status & 0x7f) {
		fb_puts(&b, ") died of ");
		fb_puts(&b, tcp_signal_name(status & 0x7f));
		if ((status & 0x7f) == 9)
			fb_puts(&b, " (out of memory, or a CPU time limit, ulimit -t)");
	} else {
		fb_puts(&b, ") ended early with status ");
		fb_puti(&b, (status >> 8) & 0xff);
		fb_puts(&b, " (out of memory?)");
	}
	return rc;
}

const char *zworkers_failure(void)
{
	return failure_epoch == tcp_threads.epoch ? failure : "";
}

int zworkers_submit(int k, const struct zseg *segs, uint32_t nseg)
{
	struct zreq q = { nseg, 0 };
	int rc = write_full(workers[k].req, &q, sizeof(q));
	if (!rc)
		rc = write_full(workers[k].req, segs, nseg * sizeof(segs[0]));
	return rc ? explain(k, rc) : 0;
}

long zworkers_collect(int k, void *buf, uint64_t cap, uint32_t *raw_len, uint32_t *flags)
{
	struct zres r;
	int rc = read_full(workers[k].res, &r, sizeof(r));
	if (rc)
		return explain(k, rc);
	if (r.stored_len > cap || r.raw_len > ZBLOCK_SIZE)
		return -5;
	rc = read_full(workers[k].res, buf, r.stored_len);
	if (rc)
		return explain(k, rc);
	*raw_len = r.raw_len;
	*flags = r.flags;
	return r.stored_len;
}

void zworkers_stop(void)
{
	/* Closing both ends stops every worker: EOF on its requests, or
	 * EPIPE on a result nobody reads any more. */
	for (int k = 0; k < nworkers; k++) {
		r_close(workers[k].req);
		r_close(workers[k].res);
	}
	for (int k = 0; k < nworkers; k++)
		if (workers[k].pid > 0)
			rsys4(__NR_wait4, workers[k].pid, 0, 0x80000000 /* __WCLONE */, 0);
	nworkers = 0;
}
