/* One process's image, checked and then become (shared by the restore of a
 * single process, main.c, and by every process of a tree, tree/run.c). */
#include "restore.h"
#include "decompress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int check_image(struct tcp_image *img, const char *path, struct vdso_layout *v, const struct restore_opts *o)
{
	if (o->verbose)
		say("image %s: %s (pid %d on %s), %zu regions, %.1f MiB of pages (and %.1f MiB from %zu older images), "
		    "%zu fds", path, img->proc.prog, img->proc.pid, img->proc.hostname, img->nregions,
		    img->page_bytes / 1048576.0, img->ref_pages * 4096.0 / 1048576.0, img->nparents, img->nfds);
	if (check_process(img) || check_cpu(img) || check_address_space(img, v) || check_mapped_files(img))
		return -1;
	return 0;
}

int check_image_data(struct tcp_image *img, int image_fd, const char *path, const struct restore_opts *o)
{
	if (o->lazy) {
		unsigned char *map = calloc(img->nextents + 1, 1);
		int bad = !map || lazy_plan(img, path, image_fd, map, o->verbose);
		free(map);
		if (bad)
			return -1;
	}
	return decompress_check(img, image_fd, path);
}

int become_program(struct tcp_image *img, int image_fd, const struct vdso_layout *v, int floor,
		   const struct restore_opts *o)
{
	if (decompress_move_above(floor))
		return -1;
	int moved = fcntl(image_fd, F_DUPFD_CLOEXEC, floor);
	if (moved < 0) {
		say("cannot move the image fd above %d: %s (raise the open-files limit, ulimit -n)", floor,
		    strerror(errno));
		return -1;
	}
	/* The older images of an incremental chain too: the blob reads from
	 * them and closes every fd from the floor up. */
	for (size_t i = 0; i < img->nparents; i++) {
		int high = fcntl(img->parents[i].fd, F_DUPFD_CLOEXEC, floor);
		if (high < 0) {
			say("cannot move the fd of %s above %d: %s (raise the open-files limit, ulimit -n)",
			    img->parents[i].p.name, floor, strerror(errno));
			return -1;
		}
		close(img->parents[i].fd);
		img->parents[i].fd = high;
	}
	/* Everything that can fail comes before the first change to this
	 * process that cannot be undone by exiting. */
	struct launch *l = prepare_launch(img, v, moved, floor, o);
	if (!l)
		return -1;
	if (restore_fds(img, moved, floor, o) || prepare_signals(img) || drop_own_rseq()) {
		free(l);
		return -1;
	}
	umask((mode_t)img->proc.umask);
	prctl(PR_SET_NAME, img->proc.comm); /* ps and top show the program, not tcp-restore */
	jump_to_blob(l);
}
