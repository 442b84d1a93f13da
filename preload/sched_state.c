/* Each thread's CPU affinity and scheduling (policy, real-time priority,
 * nice value: all per thread in Linux), recorded at a checkpoint and set
 * again in the restored thread (issue 19, item 17: GROMACS, and OpenMP with
 * OMP_PROC_BIND, pin their threads to CPUs).
 *
 * What comes back is what the program changed: a thread whose mask or
 * scheduling differs from what the process started with (libtcp's
 * start-up; after a restore, what tcp-restore gave it) gets its own again.
 * The others keep those of the restoring tcp-restore, so that `taskset`,
 * `nice` or a batch system's CPU binding on the restore apply to them. A
 * pinned thread gets the CPUs of its mask that the restored process may use
 * here; if there are none, it stays where tcp-restore put it. Either way
 * the leader names those threads in one warning once every thread is back,
 * and the program goes on. Raw syscalls: runs in the handlers. */
#include "dump.h"
#include "../common/rawsys.h"

#define MASK_BYTES (TCP_SCHED_CPU_WORDS * 8)

/* The kernel's struct sched_attr, first version (48 bytes). */
struct sched_attr_v0 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

static uint64_t start_cpus[TCP_SCHED_CPU_WORDS];
static struct sched_attr_v0 start_attr;
static int start_known; /* bit 0: start_cpus, bit 1: start_attr */

/* How each restored thread (by slot, 0 the leader's) fared: written by
 * that thread, read by the leader once all are back. */
enum { CPUS_OK, CPUS_SOME_MISSING, CPUS_NONE_HERE };
static struct sched_note {
	int32_t tid;
	uint8_t cpus;		/* CPUS_* */
	uint8_t attr_failed;
	int16_t attr_err;	/* -errno of sched_setattr */
	uint64_t got[TCP_SCHED_CPU_WORDS]; /* the mask it has now */
} notes[TCP_MAX_THREADS];

static int get_cpus(uint64_t *mask)
{
	f_memset(mask, 0, MASK_BYTES);
	/* EINVAL: the kernel's masks are longer (more than 1024 CPUs possible). */
	return rsys3(__NR_sched_getaffinity, 0, MASK_BYTES, (long)mask) > 0 ? 0 : -1;
}

static int get_attr(struct sched_attr_v0 *a)
{
	f_memset(a, 0, sizeof(*a));
	return rsys4(315 /* sched_getattr */, 0, (long)a, sizeof(*a), 0) == 0 ? 0 : -1;
}

static int same_attr(const struct sched_attr_v0 *a, const struct sched_attr_v0 *b)
{
	return a->policy == b->policy && a->flags == b->flags && a->nice == b->nice && a->priority == b->priority &&
	       a->runtime == b->runtime && a->deadline == b->deadline && a->period == b->period;
}

void tcp_sched_note_start(void)
{
	start_known = (get_cpus(start_cpus) == 0) | (get_attr(&start_attr) == 0) << 1;
}

void tcp_sched_record(struct tcp_thread *t)
{
	struct sched_attr_v0 a;
	t->sched_state = 0;
	if (get_cpus(t->cpus) == 0) {
		t->sched_state |= TCP_SCHED_CPUS_KNOWN;
		if ((start_known & 1) && !f_memeq(t->cpus, start_cpus, MASK_BYTES))
			t->sched_state |= TCP_SCHED_CPUS_PINNED;
	}
	if (get_attr(&a) == 0) {
		t->sched_state |= TCP_SCHED_ATTR_KNOWN;
		t->sched_policy = a.policy;
		t->sched_flags = a.flags;
		t->sched_nice = a.nice;
		t->sched_priority = a.priority;
		t->sched_runtime = a.runtime;
		t->sched_deadline = a.deadline;
		t->sched_period = a.period;
		if ((start_known & 2) && !same_attr(&a, &start_attr))
			t->sched_state |= TCP_SCHED_ATTR_SET;
	}
}

static int empty(const uint64_t *m)
{
	for (int i = 0; i < TCP_SCHED_CPU_WORDS; i++)
		if (m[i])
			return 0;
	return 1;
}

void tcp_sched_apply(const struct tcp_thread *t, int slot)
{
	struct sched_note *n = &notes[slot];
	n->tid = (int32_t)r_gettid();
	n->cpus = CPUS_OK;
	n->attr_failed = 0;
	if ((t->sched_state & TCP_SCHED_CPUS_KNOWN) && (t->sched_state & TCP_SCHED_CPUS_PINNED) &&
	    get_cpus(n->got) == 0) {
		/* Only CPUs this process may use here (the kernel would refuse
		 * the others, or a cpuset would narrow them anyway). */
		uint64_t want[TCP_SCHED_CPU_WORDS];
		for (int i = 0; i < TCP_SCHED_CPU_WORDS; i++)
			want[i] = t->cpus[i] & n->got[i];
		if (empty(want))
			n->cpus = CPUS_NONE_HERE;
		else if (rsys3(__NR_sched_setaffinity, 0, MASK_BYTES, (long)want) < 0)
			n->cpus = CPUS_NONE_HERE; /* CPUs offline meanwhile */
		else if (!f_memeq(want, t->cpus, MASK_BYTES))
			n->cpus = CPUS_SOME_MISSING;
		get_cpus(n->got);
	}
	if ((t->sched_state & TCP_SCHED_ATTR_KNOWN) && (t->sched_state & TCP_SCHED_ATTR_SET)) {
		struct sched_attr_v0 a = { sizeof(a), t->sched_policy, t->sched_flags, t->sched_nice, t->sched_priority,
					   t->sched_runtime, t->sched_deadline, t->sched_period };
		long rc = rsys3(314 /* sched_setattr */, 0, (long)&a, 0);
		if (rc < 0) {
			n->attr_failed = 1;
			n->attr_err = (int16_t)rc;
		}
	}
}

/* "0-3,8,10-11" */
static void put_cpus(struct fbuf *b, const uint64_t *m)
{
	int first = 1;
	for (int c = 0; c < TCP_SCHED_CPU_WORDS * 64;) {
		if (!(m[c / 64] >> (c % 64) & 1)) {
			c++;
			continue;
		}
		int end = c;
		while (end + 1 < TCP_SCHED_CPU_WORDS * 64 && (m[(end + 1) / 64] >> ((end + 1) % 64) & 1))
			end++;
		if (!first)
			fb_putc(b, ',');
		first = 0;
		fb_puti(b, c);
		if (end > c) {
			fb_putc(b, '-');
			fb_puti(b, end);
		}
		c = end + 1;
	}
	if (first)
		fb_puts(b, "none");
}

static const char *policy_name(uint32_t p)
{
	switch (p) {
	case 0: return "SCHED_OTHER";
	case 1: return "SCHED_FIFO";
	case 2: return "SCHED_RR";
	case 3: return "SCHED_BATCH";
	case 5: return "SCHED_IDLE";
	case 6: return "SCHED_DEADLINE";
	}
	return "a scheduling policy";
}

void tcp_sched_report(const struct tcp_thread *leader, const struct tcp_thread *slots, int nslots)
{
	TCP_MSG(m);
	fb_puts(&m, "warning: the CPUs some threads were pinned to are not all available here: ");
	int ncpu = 0;
	for (int i = 0; i < nslots; i++) {
		const struct tcp_thread *t = i == 0 ? leader : &slots[i];
		if (i > 0 && !tcp_thread_valid(t))
			continue;
		if (notes[i].cpus == CPUS_OK)
			continue;
		fb_puts(&m, ncpu++ ? "; thread " : "thread ");
		fb_puti(&m, notes[i].tid);
		fb_puts(&m, " (CPUs ");
		put_cpus(&m, t->cpus);
		fb_puts(&m, notes[i].cpus == CPUS_NONE_HERE ? ": none here, it runs on " : ": it runs on ");
		put_cpus(&m, notes[i].got);
		fb_putc(&m, ')');
	}
	if (ncpu) {
		fb_puts(&m, "; the program continues");
		tcp_emit(&m);
	}
	TCP_MSG(s);
	fb_puts(&s, "warning: the scheduling of some threads could not be set back: ");
	int nattr = 0;
	for (int i = 0; i < nslots; i++) {
		const struct tcp_thread *t = i == 0 ? leader : &slots[i];
		if ((i > 0 && !tcp_thread_valid(t)) || !notes[i].attr_failed)
			continue;
		fb_puts(&s, nattr++ ? "; thread " : "thread ");
		fb_puti(&s, notes[i].tid);
		fb_puts(&s, " (");
		fb_puts(&s, policy_name(t->sched_policy));
		if (t->sched_policy == 1 || t->sched_policy == 2) {
			fb_puts(&s, " priority ");
			fb_puti(&s, t->sched_priority);
		} else {
			fb_puts(&s, " nice ");
			fb_puti(&s, t->sched_nice);
		}
		fb_puts(&s, ": ");
		fb_puts(&s, tcp_strerror(notes[i].attr_err));
		fb_putc(&s, ')');
	}
	if (nattr) {
		fb_puts(&s, "; they keep tcp-restore's (a lower nice value or a real-time policy needs the "
			    "privilege, CAP_SYS_NICE, or ulimit -e / -r); the program continues");
		tcp_emit(&s);
	}
}
