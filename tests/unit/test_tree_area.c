/* The area the processes of a tree wait for each other on while they are
 * restored (restore/tree/area.h): a barrier across processes (shared
 * futex), an abort that every waiter sees, and a process that dies without
 * a word noticed by the waiters. */
#include <criterion/criterion.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "restore/tree/area.h"

static struct tree_area *new_area(uint32_t n)
{
	struct tree_area *a = mmap(NULL, tree_area_size(n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(a, MAP_FAILED);
	a->nprocs = a->nlive = n;
	for (uint32_t i = 0; i < n; i++) {
		a->procs[i].pid = getpid();
		a->procs[i].state = TREE_ST_ALIVE;
	}
	return a;
}

static int all_arrived(const struct tree_area *a, long k)
{
	return a->arrived[k] >= (int)a->nlive;
}

static void arrive(struct tree_area *a, int k)
{
	__atomic_add_fetch(&a->arrived[k], 1, __ATOMIC_SEQ_CST);
	tree_area_bump(a);
}

Test(tree_area, barrier_across_processes)
{
	struct tree_area *a = new_area(4);
	pid_t kids[3];
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		cr_assert_geq(kids[i], 0);
		if (kids[i] == 0) {
			arrive(a, TREE_SYNC_READY);
			_exit(tree_area_wait(a, all_arrived, TREE_SYNC_READY) == 0 ? 0 : 1);
		}
		a->procs[i + 1].pid = kids[i];
	}
	arrive(a, TREE_SYNC_READY);
	cr_assert_eq(tree_area_wait(a, all_arrived, TREE_SYNC_READY), 0);
	for (int i = 0; i < 3; i++) {
		int st;
		cr_assert_eq(waitpid(kids[i], &st, 0), kids[i]);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	cr_assert_eq(a->abort, 0);
}

Test(tree_area, abort_reaches_every_waiter)
{
	struct tree_area *a = new_area(3);
	pid_t kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0)
		_exit(tree_area_wait(a, all_arrived, TREE_SYNC_PLACED) == -1 ? 0 : 1);
	a->procs[1].pid = kid;
	/* A process fails: it claims the report, then aborts. */
	cr_assert_eq(tree_area_claim(a), 1);
	tree_area_abort(a);
	int st;
	cr_assert_eq(waitpid(kid, &st, 0), kid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the waiter did not see the abort");
	cr_assert_eq(tree_area_wait(a, all_arrived, TREE_SYNC_PLACED), -1);
	cr_assert_eq(tree_area_claim(a), 0, "the report was claimed twice");
	cr_assert_eq(a->dead_pid, 0);
}

Test(tree_area, a_process_that_dies_is_noticed)
{
	struct tree_area *a = new_area(2);
	pid_t kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0) {
		pause();
		_exit(0);
	}
	a->procs[1].pid = kid;
	kill(kid, SIGKILL); /* never arrives: a zombie now, not reaped */
	arrive(a, TREE_SYNC_READY);
	cr_assert_eq(tree_area_wait(a, all_arrived, TREE_SYNC_READY), -1);
	cr_assert_eq(a->dead_pid, kid);
	cr_assert_eq(a->abort, 1);
	cr_assert_eq(tree_area_claim(a), 1, "nobody said why: the finder must");
	waitpid(kid, NULL, 0);
}

Test(tree_area, a_zombie_of_the_tree_is_not_dead)
{
	struct tree_area *a = new_area(3);
	a->nlive = 2; /* the zombie runs no blob */
	pid_t zombie = fork();
	cr_assert_geq(zombie, 0);
	if (zombie == 0)
		_exit(7);
	a->procs[1].pid = zombie;
	a->procs[1].state = TREE_ST_EXITED; /* exited as it should */
	cr_assert_eq(waitid(P_PID, (id_t)zombie, &(siginfo_t){ 0 }, WEXITED | WNOWAIT), 0);
	/* A slow process: the waiter looks at every process meanwhile. */
	pid_t slow = fork();
	cr_assert_geq(slow, 0);
	if (slow == 0) {
		usleep(1500000);
		arrive(a, TREE_SYNC_READY);
		_exit(0);
	}
	a->procs[2].pid = slow;
	arrive(a, TREE_SYNC_READY);
	cr_assert_eq(tree_area_wait(a, all_arrived, TREE_SYNC_READY), 0);
	cr_assert_eq(a->abort, 0);
	waitpid(zombie, NULL, 0);
	waitpid(slow, NULL, 0);
}
