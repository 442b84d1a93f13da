/* See tree_sync.h. */
#include "tree_sync.h"
#include "../tree/area.h"
#include "../../common/fstr.h"

static struct tree_area *area_of(const struct blob_args *a)
{
	return (struct tree_area *)a->tree_area;
}

static int all_arrived(const struct tree_area *t, long k)
{
	return t->arrived[k] >= (int)t->nlive;
}

int tree_sync(const struct blob_args *a, int k)
{
	struct tree_area *t = area_of(a);
	if (!t)
		return 0;
	__atomic_add_fetch(&t->arrived[k], 1, __ATOMIC_SEQ_CST);
	tree_area_bump(t);
	return tree_area_wait(t, all_arrived, k);
}

void tree_sync_fail(const struct blob_args *a)
{
	struct tree_area *t = area_of(a);
	if (t) {
		tree_area_claim(t);
		tree_area_abort(t);
	}
}

int tree_sync_aborted(const struct blob_args *a)
{
	return area_of(a) && area_of(a)->abort;
}

void tree_sync_quit(const struct blob_args *a)
{
	struct tree_area *t = area_of(a);
	if (t && tree_area_claim(t)) {
		char mem[512];
		struct fbuf b;
		fb_init(&b, mem, sizeof(mem));
		fb_puts(&b, "tcp-restore: fatal: ");
		if (t->dead_pid) {
			fb_puts(&b, "process ");
			fb_puti(&b, t->dead_pid);
			fb_puts(&b, " of the tree ended");
		} else {
			fb_puts(&b, "a process of the tree stopped");
		}
		fb_puts(&b, " while the tree was being restored; no process was resumed and nothing was changed\n");
		r_write(a->report_fd, b.p, b.len);
	}
	r_exit_group(1);
}

void tree_sync_done(const struct blob_args *a)
{
	if (a->tree_area)
		r_munmap((void *)a->tree_area, a->tree_area_len);
}
