/* The coordination area of a process-tree checkpoint (area.h). */
#include "area.h"
#include "../dump.h"
#include "../../common/rawsys.h"

#include <fcntl.h>
#include <sys/mman.h>

#define FUTEX_WAIT 0	/* shared: the area is mapped by several processes */
#define FUTEX_WAKE 1
#define AREA_FD_FLOOR 900	/* above the program's usual fds, below the dir lock's 1000 */

struct tree_area *tcp_tree;

/* The area is mapped over pages of the checkpoint's scratch arena, which
 * no image holds (dump_memory.c leaves the arena out), and goes with it. */
static void *map_in_arena(struct dump_ctx *d, int fd)
{
	char *at = arena_alloc(d, TREE_AREA_LEN + 4096);
	if (!at)
		return (void *)-12L;
	at = (char *)(((uint64_t)at + 4095) & ~4095ull);
	return r_mmap(at, TREE_AREA_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
}

struct tree_area *tree_area_create(struct dump_ctx *d, int *fd)
{
	struct fbuf *err = &d->err;
	long mfd = rsys2(__NR_memfd_create, (long)"tcp-tree", 1 /* MFD_CLOEXEC */);
	if (mfd < 0) {
		fb_puts(err, "cannot create the area the processes of the tree meet in (memfd_create: ");
		fb_puts(err, tcp_strerror(mfd));
		fb_putc(err, ')');
		return 0;
	}
	long high = r_fcntl((int)mfd, 1030 /* F_DUPFD_CLOEXEC */, AREA_FD_FLOOR);
	r_close((int)mfd);
	long rc = high < 0 ? high : r_ftruncate((int)high, (long)TREE_AREA_LEN);
	void *p = rc < 0 ? (void *)rc : map_in_arena(d, (int)high);
	if ((long)p < 0 && (long)p > -4096) {
		fb_puts(err, "cannot map the area the processes of the tree meet in (");
		fb_puts(err, tcp_strerror((long)p));
		fb_putc(err, ')');
		if (high >= 0)
			r_close((int)high);
		return 0;
	}
	*fd = (int)high;
	struct stat st;
	if (r_fstat((int)high, &st) == 0)
		((struct tree_area *)p)->self_ino = st.st_ino;
	return p;
}

struct tree_area *tree_area_attach(struct dump_ctx *d, int root_pid, int fd)
{
	char path[64];
	struct fbuf b;
	fb_init(&b, path, sizeof(path));
	fb_puts(&b, "/proc/");
	fb_puti(&b, root_pid);
	fb_puts(&b, "/fd/");
	fb_puti(&b, fd);
	long mfd = r_open(path, O_RDWR | O_CLOEXEC, 0);
	if (mfd < 0)
		return 0;
	struct stat st;
	void *p = (void *)-1;
	/* The root's memfd, of the size it made: not some other file the
	 * sender's fd table holds at that number. */
	if (r_fstat((int)mfd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == TREE_AREA_LEN &&
	    st.st_uid == (uid_t)r_getuid())
		p = map_in_arena(d, (int)mfd);
	r_close((int)mfd);
	if ((long)p < 0 && (long)p > -4096)
		return 0;
	struct tree_area *a = p;
	return a->root_pid == root_pid ? a : 0;
}

struct tree_slot *tree_slot_of(struct tree_area *a, int pid)
{
	for (int i = 0; i < a->nslots && i < TREE_MAX_PROCS; i++)
		if (a->slots[i].pid == pid)
			return &a->slots[i];
	return 0;
}

void tree_wait(volatile int32_t *w, int32_t seen, long ms)
{
	struct { long sec, nsec; } ts = { ms / 1000, (ms % 1000) * 1000000 };
	r_futex((volatile int *)w, FUTEX_WAIT, seen, &ts);
}

void tree_wake(volatile int32_t *w)
{
	r_futex((volatile int *)w, FUTEX_WAKE, 0x7fffffff, 0);
}

void tree_set_phase(struct tree_area *a, int phase)
{
	__atomic_store_n(&a->phase, phase, __ATOMIC_SEQ_CST);
	tree_wake(&a->phase);
}

int tree_wait_phase(struct tree_area *a, int phase)
{
	for (;;) {
		int p = __atomic_load_n(&a->phase, __ATOMIC_SEQ_CST);
		if (p != phase)
			return p;
		/* No timeout: the root decides; if it dies the area goes with
		 * its last mapping, but we hold one: wake up now and then to
		 * look whether it still exists. */
		tree_wait(&a->phase, p, 1000);
		if (r_kill(a->root_pid, 0) == -3 /* ESRCH */) {
			/* Gone, but maybe after it moved us on: the stop
			 * signal's root sets TREE_EXIT and exits, and a
			 * process that wakes late (a loaded machine) must
			 * still exit, not resume a program whose image is
			 * complete and resumed elsewhere. */
			p = __atomic_load_n(&a->phase, __ATOMIC_SEQ_CST);
			return p != phase ? p : TREE_ABORT;
		}
	}
}
