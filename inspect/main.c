/* tcp-inspect IMAGE|DIR [--json]: what a checkpoint image holds, and where
 * each thread was when it was taken; --list DIR: the images in a directory. Reads the image only; never runs or
 * maps anything from it. */
#include "inspect.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"usage: tcp-inspect [--json] IMAGE|DIR\n"
	"       tcp-inspect --list [--json] DIR\n"
	"\n"
	"Describes a checkpoint image written by libtcp.so (DIR means DIR/latest):\n"
	"the program and when and where it was checkpointed, its memory regions and\n"
	"how much of each the image stores, its file descriptors, signal handlers,\n"
	"limits and CPU state features, and each thread with the backtrace recorded\n"
	"at checkpoint time. Addresses are resolved to functions using the mapped\n"
	"files as they are on this machine now, when they still match the image.\n"
	"\n"
	"With --list: every image in DIR, one line each: when it was written, its\n"
	"size, the program (pid, host) and batch job it belongs to, whether it is\n"
	"complete (an incremental image also needs the older ones it reads), and\n"
	"which one 'latest' names. Only the metadata of each image is checked;\n"
	"tcp-restore --check IMAGE reads one whole.\n"
	"\n"
	"options:\n"
	"  --list      list the images in DIR instead of describing one\n"
	"  --json      print the same as one JSON document\n"
	"  -h, --help  this help\n"
	"  --version   the version and the image format it reads\n"
	"\n"
	"exit status: 0, 1 if the image cannot be read (missing, truncated,\n"
	"corrupted) or, with --list, DIR cannot be read, 2 for a usage error.\n";

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;
	fputs("tcp-inspect: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	int json = 0, list = 0, opts_done = 0;
	const char *arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_done && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			fputs(usage, stdout);
			return 0;
		} else if (!opts_done && !strcmp(a, "--version")) {
			printf("tcp-inspect %s (image format %u)\n", TCP_VERSION, TCP_FORMAT_VERSION);
			return 0;
		} else if (!opts_done && !strcmp(a, "--json")) {
			json = 1;
		} else if (!opts_done && !strcmp(a, "--list")) {
			list = 1;
		} else if (!opts_done && !strcmp(a, "--")) {
			opts_done = 1;
		} else if (!opts_done && a[0] == '-' && a[1]) {
			say("unknown option %s", a);
			fputs(usage, stderr);
			return 2;
		} else if (arg) {
			say(list ? "one directory at a time (got %s and %s)" : "one image at a time (got %s and %s)", arg, a);
			return 2;
		} else {
			arg = a;
		}
	}
	if (!arg) {
		fputs(usage, stderr);
		return 2;
	}
	if (list) {
		int rc = list_dir(stdout, arg, json);
		if (fflush(stdout) || ferror(stdout)) {
			say("cannot write the list: %s", strerror(errno));
			rc = 1;
		}
		return rc;
	}

	char err[1024];
	char *path = img_resolve(arg, err, sizeof(err));
	if (!path) {
		say("%s", err);
		return 1;
	}
	struct tcp_image img;
	if (img_load(path, &img, err, sizeof(err))) {
		say("%s", err);
		free(path);
		return 1;
	}
	free(path);

	uint64_t *stored = stored_bytes_per_region(&img);
	struct report r = { .img = &img, .symz = symz_new(&img), .stored = stored };
	int rc = 1;
	if (!r.symz || !r.stored) {
		say("out of memory");
	} else {
		rc = json ? print_json(stdout, &r) : print_text(stdout, &r);
		/* A full disk or closed pipe must not look like a complete report. */
		if (fflush(stdout) || ferror(stdout)) {
			say("cannot write the report: %s", strerror(errno));
			rc = 1;
		}
	}
	symz_free(r.symz);
	free(stored);
	img_free(&img);
	return rc;
}
