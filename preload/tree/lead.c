/* The root's side of a process-tree checkpoint (DESIGN §8), called from
 * the checkpoint of the root (checkpoint.c) while its own threads are
 * stopped:
 *   tree_lead_stop      the area, every descendant stopped, the tables;
 *   TREE_DUMP           every process reads its own state and starts its
 *                       writer, the root too;
 *   tree_lead_captured  every process's state is taken (or one failed);
 *   tree_lead_end       RESUME, ABORT, or EXIT for the stop signal;
 * and in the root's writer, tree_write_section waits for every member's
 * image and describes the tree in the root's image. Raw syscalls only. */
#include "area.h"
#include "discover.h"
#include "lead.h"
#include "netns.h"
#include "../dump.h"
#include "../dir_lock.h"
#include "../image_names.h"
#include "../dir_each.h"
#include "../../common/rawsys.h"

#include <fcntl.h>

static int area_fd = -1;
static uint32_t epochs;

int tree_is_own_fd(int fd)
{
	return (area_fd >= 0 && fd == area_fd) || tcp_dir_lock_owns(fd);
}

static int live_members(const struct tree_area *a)
{
	int n = 0;
	for (int i = 1; i < a->nslots; i++)
		n += a->slots[i].state != TS_ZOMBIE && a->slots[i].state != TS_GONE;
	return n;
}

/* Every process stopped: each takes the fds in flight in its sockets'
 * queues, so that the tables below see them as the fds they now are; one
 * after the other, for processes that hold one socket peek the same queue
 * with the same peek offset. */
static int take_flight(struct dump_ctx *d, struct tree_area *a)
{
	tree_set_phase(a, TREE_FLIGHT);
	int rc = dump_sock_flight_take(d);
	for (int i = 1; i < a->nslots && rc == 0; i++) {
		struct tree_slot *s = &a->slots[i];
		if (s->state != TS_PARKED)
			continue;
		int seen = a->nflight;
		__atomic_store_n(&a->flight_turn, i, __ATOMIC_SEQ_CST);
		tree_wake(&a->flight_turn);
		while (__atomic_load_n(&a->nflight, __ATOMIC_SEQ_CST) == seen) {
			if (r_kill(s->pid, 0) == -3) {
				tree_name_process(&d->err, s->pid);
				fb_puts(&d->err, " of the tree ended during the checkpoint");
				return -1;
			}
			tree_wait(&a->nflight, seen, 100);
		}
		if (s->state == TS_FAILED) {
			tree_name_process(&d->err, s->pid);
			fb_puts(&d->err, " of the tree: ");
			fb_puts(&d->err, s->msg);
			rc = -1;
		}
	}
	return rc;
}

int tree_lead_stop(struct dump_ctx *d, long gen)
{
	if (!tcp_has_child())
		return 0;
	dump_tcp_push_all(); /* our threads are stopped: before anyone reads a receive queue */
	struct tree_area *a = tree_area_create(d, &area_fd);
	if (!a)
		return -1;
	a->root_pid = (int)r_getpid();
	a->epoch = ++epochs;
	a->generation = (uint32_t)gen;
	a->stop = tcp_cfg.stop_signal && d->sig == tcp_cfg.stop_signal;
	a->run_id = tcp_run_id;
	f_memcpy(&a->cfg, &tcp_cfg, sizeof(a->cfg));
	f_memcpy(a->prog, tcp_prog, sizeof(a->prog));
	a->phase = TREE_STOP;
	struct tree_slot *root = &a->slots[0];
	root->pid = a->root_pid;
	root->ppid = (int)rsys0(__NR_getppid);
	root->pgid = (int)rsys1(__NR_getpgid, 0);
	root->sid = (int)rsys1(__NR_getsid, 0);
	r_prctl(2 /* PR_GET_PDEATHSIG */, (long)&root->pdeath_signal, 0, 0, 0);
	r_prctl(16 /* PR_GET_NAME */, (long)root->comm, 0, 0, 0);
	root->net_ns = tree_net_ns();
	root->state = TS_PARKED;
	a->nslots = 1;
	tcp_tree = a;
	int rc = tree_stop_all(d, a, area_fd);
	/* Before any process reads a queue or an fd: that would only find
	 * the other namespace's ends missing. */
	if (rc == 0)
		rc = tree_check_net_ns(d, a);
	if (rc == 0)
		rc = take_flight(d, a);
	if (rc == 0) {
		tree_mark_leaders(a);
		rc = tree_scan_objects(d, a);
	}
	/* Every member has mapped the area (or never will): our fd goes. */
	r_close(area_fd);
	area_fd = -1;
	if (rc) {
		tree_set_phase(a, TREE_ABORT);
		tcp_tree = 0;
		return -1;
	}
	if (live_members(a) == 0 && a->nslots == 1) {
		tcp_tree = 0; /* the child ended meanwhile: an ordinary checkpoint */
		return 0;
	}
	tree_set_phase(a, TREE_DUMP);
	return 0;
}

int tree_lead_captured(struct dump_ctx *d)
{
	struct tree_area *a = tcp_tree;
	int want = live_members(a);
	for (;;) {
		int seen = a->ncaptured;
		if (seen >= want)
			break;
		/* A member killed meanwhile never reports: look. */
		for (int i = 1; i < a->nslots; i++) {
			struct tree_slot *s = &a->slots[i];
			if (s->state == TS_PARKED && r_kill(s->pid, 0) == -3) {
				tree_name_process(&d->err, s->pid);
				fb_puts(&d->err, " of the tree ended during the checkpoint");
				return -1;
			}
		}
		tree_wait(&a->ncaptured, seen, 100);
	}
	for (int i = 1; i < a->nslots; i++)
		if (a->slots[i].state == TS_FAILED) {
			tree_name_process(&d->err, a->slots[i].pid);
			fb_puts(&d->err, " of the tree: ");
			fb_puts(&d->err, a->slots[i].msg);
			return -1;
		}
	return 0;
}

/* The stop signal: the root exits only once every other process of the
 * tree has. Whoever waits for the root (tcp-ckpt --stop, a batch script
 * that requeues the job next, tcp-restore's init) takes its end for the
 * tree's: a process still there afterwards could go on writing the
 * program's output after its image, past what the restore keeps. Each
 * exits at once (its image is written); the bound only keeps a process
 * that cannot run (stopped, traced) from holding the root forever. */
static void wait_members_ended(const struct tree_area *a)
{
	uint64_t t0 = now_ms();
	for (;;) {
		int left = 0;
		for (int i = 1; i < a->nslots; i++) {
			const struct tree_slot *s = &a->slots[i];
			left += s->state != TS_ZOMBIE && s->state != TS_GONE && !tree_slot_ended(s);
		}
		if (!left || now_ms() - t0 > TREE_STOP_TIMEOUT_MS)
			return;
		/* A sleep: nobody changes the phase any more. */
		tree_wait(&((struct tree_area *)a)->phase, TREE_EXIT, 5);
	}
}

void tree_lead_end(int phase)
{
	struct tree_area *a = tcp_tree;
	if (a)
		tree_set_phase(a, phase);
	if (a && phase == TREE_EXIT)
		wait_members_ended(a);
	tcp_tree = 0;
}

int tree_processes(void)
{
	return tcp_tree ? tcp_tree->nslots : 1;
}

/* Waits until every member's writer is done: 0 if all wrote their image,
 * else -1 with the reason in err. */
static int wait_written(const struct tree_area *a, struct fbuf *err)
{
	int want = live_members(a);
	for (;;) {
		int seen = a->nwritten;
		if (seen >= want)
			break;
		for (int i = 1; i < a->nslots; i++) {
			const struct tree_slot *s = &a->slots[i];
			/* A writer that died never reports (its process judges
			 * it, but no longer sees the area): look. */
			if (!s->written && s->writer_pid && tree_process_ended(s->writer_pid) && !s->written) {
				fb_puts(err, "the image writer of process ");
				fb_puti(err, s->pid);
				fb_puts(err, " (");
				fb_puts(err, s->comm);
				fb_puts(err, ") died before its image was written");
				return -1;
			}
		}
		tree_wait((volatile int32_t *)&a->nwritten, seen, 100);
	}
	for (int i = 1; i < a->nslots; i++)
		if (a->slots[i].written < 0) {
			fb_puts(err, "the image of process ");
			fb_puti(err, a->slots[i].pid);
			fb_puts(err, " (");
			fb_puts(err, a->slots[i].comm);
			fb_puts(err, ") was not written: ");
			fb_puts(err, a->slots[i].msg);
			return -1;
		}
	return 0;
}

int tree_write_section(const struct tree_area *a, struct img_writer *w, char *buf, uint64_t cap, struct fbuf *err)
{
	if (wait_written(a, err))
		return -1;
	/* The processes, then the open file descriptions held by several
	 * processes (each group: its holders). */
	struct tcp_tree_head *h = (struct tcp_tree_head *)buf;
	uint64_t used = sizeof(*h);
	f_memset(h, 0, sizeof(*h));
	for (int i = 0; i < a->nslots; i++) {
		const struct tree_slot *s = &a->slots[i];
		if (s->state == TS_GONE)
			continue;
		if (used + sizeof(struct tcp_tree_proc) > cap)
			goto full;
		struct tcp_tree_proc *p = (struct tcp_tree_proc *)(buf + used);
		f_memset(p, 0, sizeof(*p));
		p->pid = s->pid;
		p->ppid = i == 0 ? 0 : s->ppid;
		p->pgid = s->pgid;
		p->sid = s->sid;
		p->flags = s->flags;
		p->exit_status = s->exit_status;
		p->exit_signal = 17; /* SIGCHLD: fork, vfork, posix_spawn; clone() with another is not seen */
		p->pdeath_signal = s->pdeath_signal;
		f_memcpy(p->comm, s->comm, sizeof(p->comm));
		if (i > 0 && s->state != TS_ZOMBIE) {
			f_memcpy(p->image, s->image, sizeof(p->image));
			p->image_size = s->image_size;
			p->image_id[0] = s->image_id[0];
			p->image_id[1] = s->image_id[1];
			p->process_sum = s->process_sum;
		}
		used += sizeof(*p);
		h->nprocs++;
	}
	for (int i = 0; i < a->nfds; i++) {
		const struct tree_fd *f = &a->fds[i];
		if (f->ofd != i)
			continue;
		/* Its holders: more than one process? */
		uint32_t n = 0, other = 0;
		for (int j = i; j < a->nfds; j++)
			if (a->fds[j].ofd == i) {
				n++;
				other |= a->fds[j].pid != f->pid;
			}
		if (!other)
			continue;
		if (used + sizeof(struct tcp_tree_ofd) + n * sizeof(struct tcp_tree_holder) > cap)
			goto full;
		struct tcp_tree_ofd *o = (struct tcp_tree_ofd *)(buf + used);
		o->nholders = n;
		o->reserved0 = 0;
		used += sizeof(*o);
		for (int j = i; j < a->nfds; j++)
			if (a->fds[j].ofd == i) {
				struct tcp_tree_holder *hd = (struct tcp_tree_holder *)(buf + used);
				hd->pid = a->fds[j].pid;
				hd->fd = a->fds[j].fd;
				used += sizeof(*hd);
			}
		h->nofds++;
	}
	iw_section(w, TCP_SEC_TREE, buf, used, 0, 0);
	return 0;
full:
	fb_puts(err, "the description of the process tree does not fit in the scratch memory");
	return -1;
}

/* A leftover (tree_drop_leftovers) of ours: a member image without its
 * root image, or a temporary ".MEMBER-IMAGE.RUN.RANDOM.tmp" of this run. */
static int member_leftover(int dirfd, const char *name, const char *prog, uint64_t run)
{
	long gen;
	if (name[0] == '.') {
		/* The member image's name between the dot and the 38 bytes of
		 * ".RUN.RANDOM.tmp". */
		char what[256];
		size_t n = f_strlen(name);
		if (n < 40 || n - 39 >= sizeof(what))
			return 0;
		f_memcpy(what, name + 1, n - 39);
		what[n - 39] = 0;
		return member_image_any(what, prog, &gen) && tmp_name_is(name, what, run);
	}
	if (!member_image_any(name, prog, &gen))
		return 0;
	char root[300];
	struct fbuf b;
	fb_init(&b, root, sizeof(root));
	image_name_put(&b, prog, gen);
	struct stat st;
	return !b.full && r_fstatat(dirfd, root, &st, 0x100 /* AT_SYMLINK_NOFOLLOW */) == -2 /* ENOENT */;
}

/* What the two sweeps below remove: the user's own files (never through a
 * link) named as a leftover of run `run`, or as a member image of `gen`. */
struct member_sweep {
	const char *prog;
	uint64_t run;
	long gen;
	int leftovers;		/* member_leftover, else member_image_of(gen) */
};

static void sweep_one(int dirfd, const char *name, void *arg)
{
	const struct member_sweep *w = arg;
	struct stat st;
	if ((w->leftovers ? member_leftover(dirfd, name, w->prog, w->run) : member_image_of(name, w->prog, w->gen)) &&
	    r_fstatat(dirfd, name, &st, 0x100 /* AT_SYMLINK_NOFOLLOW */) == 0 &&
	    (!w->leftovers || S_ISREG(st.st_mode)) && st.st_uid == (uid_t)r_getuid())
		r_unlinkat(dirfd, name, 0);
}

void tree_drop_leftovers(int dirfd, const char *prog, uint64_t run, char *dents)
{
	struct member_sweep w = { prog, run, 0, 1 };
	dir_each(dirfd, dents, sweep_one, &w);
}

void tree_drop_member_images(int dirfd, const char *prog, long gen, char *dents)
{
	struct member_sweep w = { prog, 0, gen, 0 };
	dir_each(dirfd, dents, sweep_one, &w);
}
