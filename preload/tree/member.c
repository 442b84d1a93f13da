/* A process of a tree that the root checkpoints (DESIGN §8): its root
 * sends TCP_TREE_SIGNAL with the area's place in the value; the process
 * stops its own threads like any checkpoint, reports in the area, and
 * follows the phases the root sets (checkpoint.c drives the steps, this
 * file does the talking). A signal that does not come from this process's
 * own root (same user, queued by it) goes to the program's handler, if it
 * installed one. Raw syscalls only. */
#include "area.h"
#include "lead.h"
#include "member.h"
#include "netns.h"
#include "role.h"
#include "../dump.h"
#include "../image_names.h"
#include "../../common/rawsys.h"

#include <errno.h>

void tcp_tree_signal_handler(int sig, siginfo_t *si, void *ucv)
{
	int saved_errno = errno;
	long root = tcp_role_tree_root();
	if (si->si_code == SI_QUEUE && root && si->si_pid == root && root != r_getpid() &&
	    si->si_uid == (uid_t)r_getuid())
		tcp_checkpoint_member(si->si_value.sival_int, (int)root, ucv);
	else
		tcp_chain_app_handler(sig, si, ucv);
	errno = saved_errno;
}

static struct tree_slot *me;

int tree_member_join(struct dump_ctx *d, int value, int root_pid)
{
	int fd = (value >> 8) & 0xfff, slot = value & 0xff;
	uint32_t epoch = ((uint32_t)value >> 20) & 0x7ff;
	struct tree_area *a = tree_area_attach(d, root_pid, fd);
	if (!a)
		return -1;
	if ((a->epoch & 0x7ff) != epoch || slot <= 0 || slot >= a->nslots || a->slots[slot].pid != r_getpid() ||
	    a->phase != TREE_STOP)
		return -1; /* a late signal of a checkpoint that is over */
	me = &a->slots[slot];
	tcp_tree = a;
	/* Written with the root's settings, into the root's directory. */
	f_memcpy(&tcp_cfg, &a->cfg, sizeof(tcp_cfg));
	/* Its images belong to the root's run (TCP_INCREMENTAL chains, TCP_KEEP). */
	tcp_run_id = a->run_id;
	r_prctl(2 /* PR_GET_PDEATHSIG */, (long)&me->pdeath_signal, 0, 0, 0);
	me->net_ns = tree_net_ns();
	struct fbuf b;
	fb_init(&b, me->image, sizeof(me->image));
	member_image_name_put(&b, a->prog, a->generation, r_getpid());
	return 0;
}

static void report(volatile int32_t *counter, int state, struct dump_ctx *d)
{
	if (d && d->err.len) {
		size_t n = d->err.len < sizeof(me->msg) - 1 ? d->err.len : sizeof(me->msg) - 1;
		f_memcpy(me->msg, d->err_mem, n);
		me->msg[n] = 0;
	}
	__atomic_store_n(&me->state, state, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST);
	tree_wake(counter);
}

int tree_member_parked(struct dump_ctx *d, int ok)
{
	if (ok)
		dump_tcp_push_all(); /* before anyone reads a receive queue */
	report(&tcp_tree->nparked, ok ? TS_PARKED : TS_FAILED, ok ? 0 : d);
	int phase = tree_wait_phase(tcp_tree, TREE_STOP);
	if (phase != TREE_FLIGHT)
		return phase;
	/* The whole tree is stopped: the fds in flight (sock_flight.c), when
	 * our turn comes. */
	int32_t mine = (int32_t)(me - tcp_tree->slots);
	for (int32_t turn; (turn = __atomic_load_n(&tcp_tree->flight_turn, __ATOMIC_SEQ_CST)) != mine;) {
		if (__atomic_load_n(&tcp_tree->phase, __ATOMIC_SEQ_CST) != TREE_FLIGHT)
			return tcp_tree->phase;
		tree_wait(&tcp_tree->flight_turn, turn, 1000);
		if (r_kill(tcp_tree->root_pid, 0) == -3 /* ESRCH */)
			return TREE_ABORT;
	}
	ok = dump_sock_flight_take(d) == 0;
	report(&tcp_tree->nflight, ok ? TS_PARKED : TS_FAILED, ok ? 0 : d);
	return tree_wait_phase(tcp_tree, TREE_FLIGHT);
}

int tree_member_captured(struct dump_ctx *d, int ok, long writer_pid)
{
	me->writer_pid = (int32_t)writer_pid;
	report(&tcp_tree->ncaptured, ok ? TS_CAPTURED : TS_FAILED, ok ? 0 : d);
	return tree_wait_phase(tcp_tree, TREE_DUMP);
}

void tree_member_written(const char *why, const char *name, uint64_t size, const uint64_t id[2], uint64_t process_sum)
{
	if (why) {
		size_t n = f_strlen(why);
		n = n < sizeof(me->msg) - 1 ? n : sizeof(me->msg) - 1;
		f_memcpy(me->msg, why, n);
		me->msg[n] = 0;
	} else {
		(void)name;
		me->image_size = size;
		me->image_id[0] = id[0];
		me->image_id[1] = id[1];
		me->process_sum = process_sum;
	}
	__atomic_store_n(&me->written, why ? -1 : 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&tcp_tree->nwritten, 1, __ATOMIC_SEQ_CST);
	tree_wake(&tcp_tree->nwritten);
}

int tree_member_aborted(void)
{
	return tcp_tree && __atomic_load_n(&tcp_tree->phase, __ATOMIC_SEQ_CST) == TREE_ABORT;
}

const char *tree_member_image(void)
{
	return me ? me->image : "";
}
