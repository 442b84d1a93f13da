/* tcp-restore IMAGE|DIR: resume a checkpointed program, as its own pid in a
 * new PID namespace (pidns.c), or in this process (--no-namespace). */
#include "restore.h"
#include "../image/chain.h"
#include "decompress.h"
#include "tree/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: tcp-restore [options] IMAGE|DIR\n"
	"\n"
	"Resumes a program checkpointed by libtcp.so from IMAGE, or from the newest\n"
	"complete image in DIR (DIR/latest). The program continues where it was\n"
	"checkpointed, with its own pid and thread ids, in a new PID namespace (and\n"
	"user namespace when not run as root); this process stays, forwards the\n"
	"signals sent to it to the program (kill -USR1 / -TERM this pid to\n"
	"checkpoint), and exits with the program's status. Where namespaces are not\n"
	"allowed, a single-threaded program is restored in this process instead.\n"
	"\n"
	"options:\n"
	"  --allow-changed-inputs  restore even if a file the program had open for\n"
	"                          reading changed since the checkpoint\n"
	"  --allow-other-owner     as root: restore an image that another user owns\n"
	"                          (it then runs with root's privileges)\n"
	"  --check                 validate the image and everything it needs, then\n"
	"                          exit 0 without restoring (nothing is changed)\n"
	"  --lazy                  resume at once: the program's private memory is\n"
	"                          mapped from IMAGE and each page is read on first\n"
	"                          touch. Its page checksums are not checked (the\n"
	"                          stack's are): run --check first to verify all.\n"
	"                          IMAGE must stay unchanged while the program runs\n"
	"                          (deleting it is fine). Not for programs that rely\n"
	"                          on madvise(MADV_DONTNEED) giving zeros: such pages\n"
	"                          come back with the image's content (refused when\n"
	"                          libjemalloc/libtcmalloc/libmimalloc is loaded; not\n"
	"                          detected: the Go runtime, static allocators).\n"
	"                          mremap growing a mapped block may give SIGBUS.\n"
	"                          Refused for compressed images.\n"
	"  --no-namespace          restore in this very process, with a new pid (only\n"
	"                          for single-threaded programs)\n"
	"  -v, --verbose           say what is being restored\n"
	"  -h, --help              this help\n"
	"  --version               the version and the image format it reads\n"
	"\n"
	"exit status: the program's own (128+N if signal N killed it), or 1 if the\n"
	"image cannot be restored (nothing has run then), 2 for a usage error.\n";

int say_fd = 2;
const char *say_prefix;

void say(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	dprintf(say_fd, "tcp-restore: %s%s\n", say_prefix ? say_prefix : "", msg);
}

static int prepare_and_jump(struct tcp_image *img, int image_fd, struct restore_opts *o)
{
	const char *path = o->image;
	struct vdso_layout v;
	if (check_image(img, path, &v, o))
		return 1;
	if (dir_lock_take(img, path, lowest_free_fd_above_targets(img), o) == -1)
		return 1;
	if (o->check_only) {
		if (check_image_data(img, image_fd, path, o))
			return 1;
		say("%s can be restored here%s (open files are checked at restore time)", path,
		    o->lazy ? ", also with --lazy" : "");
		return 0;
	}
	/* Compressed pages come through a pipe from a helper process, started
	 * outside the program's PID namespace. */
	if (decompress_start(img, image_fd, path))
		return 1;
	/* The program's files, opened and checked with the real user ids,
	 * nothing changed (the program's process inherits the fds). */
	int floor = lowest_free_fd_above_targets(img);
	if (plan_files(img, floor, o))
		return 1;
	/* From here on, this is the program's process (its own pid back, in
	 * a new PID namespace) or, with --no-namespace, this very process. */
	if (enter_pid_namespace(img, o))
		return 1;
	return become_program(img, image_fd, &v, floor, o) ? 1 : 0;
}

/* Validates everything, then becomes the program; returns only on failure. */
static int restore(struct restore_opts *o)
{
	const char *path = o->image;
	/* One fd for the checks and the restore: what was checked is what is
	 * restored. */
	struct tcp_image img;
	char err[1024];
	int image_fd = img_open(path, 0, err, sizeof(err)); /* a regular file, or refused at once */
	if (image_fd < 0) {
		say("%s", err);
		return 1;
	}
	if (check_trusted_image(image_fd, path, o->allow_other_owner)) {
		close(image_fd);
		return 1;
	}
	/* A restore reads the page data once, straight into place, and checks
	 * it there; --check reads and checks everything now. */
	int (*load)(int, const char *, struct tcp_image *, char *, size_t) =
		o->check_only ? img_load_fd : img_load_fd_deferred;
	if (load(image_fd, path, &img, err, sizeof(err))) {
		say("%s", err);
		close(image_fd);
		return 1;
	}
	/* An incremental image: its older images, checked to be the files it
	 * was written against (their pages are checked by hash as they land). */
	if (img_chain_open(&img, path, err, sizeof(err)) || (o->check_only && img_chain_verify(&img, err, sizeof(err)))) {
		say("%s", err);
		img_free(&img);
		close(image_fd);
		return 1;
	}
	for (size_t i = 0; i < img.nparents; i++)
		if (check_trusted_image(img.parents[i].fd, img.parents[i].p.name, o->allow_other_owner)) {
			img_free(&img);
			close(image_fd);
			return 1;
		}
	/* A process tree's root image: the whole tree (restore/tree/). */
	int rc = img.tree ? tree_restore(&img, image_fd, o) : prepare_and_jump(&img, image_fd, o);
	img_free(&img);
	close(image_fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct restore_opts o = { 0 };
	const char *arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("tcp-restore 0.1 (image format %d)\n", TCP_FORMAT_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			o.verbose = 1;
		} else if (!strcmp(argv[i], "--allow-changed-inputs")) {
			o.allow_changed_inputs = 1;
		} else if (!strcmp(argv[i], "--allow-other-owner")) {
			o.allow_other_owner = 1;
		} else if (!strcmp(argv[i], "--check")) {
			o.check_only = 1;
		} else if (!strcmp(argv[i], "--lazy")) {
			o.lazy = 1;
		} else if (!strcmp(argv[i], "--no-namespace")) {
			o.no_namespace = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "tcp-restore: unknown option %s\n%s", argv[i], usage);
			return 2;
		} else if (arg) {
			fprintf(stderr, "tcp-restore: one image at a time\n%s", usage);
			return 2;
		} else {
			arg = argv[i];
		}
	}
	if (!arg) {
		fputs(usage, stderr);
		return 2;
	}
	if (check_not_setuid() || check_no_capabilities())
		return 1;
	char err[1024];
	char *path = img_resolve(arg, err, sizeof(err));
	if (!path) {
		say("%s: nothing to restore", err);
		return 1;
	}
	o.image = path;
	int rc = restore(&o);
	free(path);
	return rc;
}
