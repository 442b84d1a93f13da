/* tcp-inspect --list DIR: the generations in an image directory, one line
 * each: when it was written, its size, the program (pid, host) and batch job
 * it belongs to, whether it is complete, and which one `latest` names.
 * Each image's metadata is read and checked (every section but the page
 * data, as tcp-restore does before it reads the pages in place), and the
 * older images an incremental one takes pages from must be there: quick even
 * for images of many GB. `tcp-restore --check IMAGE` reads one whole.
 * A process tree's generation is one line: its root's image, with the size
 * of every process's image (NAME.GEN.pPID.tcp, listed in the root's TREE
 * section) added; it is complete only if each of those is there with the
 * size the root recorded. A member image no root image claims is shown on
 * its own line as incomplete.
 * Nothing in DIR is trusted: no symlink is followed but `latest`, which is
 * only read; names and strings from images are printed escaped. */
#define _GNU_SOURCE /* memrchr */
#include "inspect.h"
#include "../image/chain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct entry {
	char *name;
	int tmp;		/* ".<prog>.<pid>.tcp.tmp": being written, or left by an interrupted checkpoint */
	int loaded;		/* its metadata was read: time, pid, host, job and generation are its own */
	int complete, latest;
	uint64_t size;
	int64_t time_sec;	/* the checkpoint's time; the file's mtime when the image cannot be read */
	uint32_t generation;
	int32_t pid;
	char prog[256], host[72], job[64];
	char state[1536];
	char **needs;		/* the older images an incremental one takes pages from */
	size_t nneeds;
	/* A tree's root image: its other processes' images and their sizes
	 * (zombies have none); a member image claimed by a root is not a line
	 * of its own. */
	char **members;
	uint64_t *member_sizes;
	size_t nmembers, nprocs;
	int claimed;
};

struct listing {
	struct entry *e;
	size_t n, cap;
	char latest[256];	/* what `latest` names, "" if there is none */
	char finished[256];	/* the first line of DIR/finished, "" if none */
	int finished_newer;	/* DIR/finished is newer than `latest`: tcp-run starts anew */
};

static int is_image_name(const char *n)
{
	size_t len = strlen(n);
	if (n[0] == '.')
		return len > 9 && !strcmp(n + len - 8, ".tcp.tmp");
	return len > 4 && !strcmp(n + len - 4, ".tcp");
}

/* The program's name from a file name: "<prog>.NNNNNN.tcp" or ".<prog>.<pid>.tcp.tmp". */
static void prog_from_name(const char *name, int tmp, char *out, size_t cap)
{
	const char *s = tmp ? name + 1 : name;
	size_t len = strlen(s) - (tmp ? 8 : 4);
	const char *dot = memrchr(s, '.', len);
	len = dot ? (size_t)(dot - s) : len;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, s, len);
	out[len] = 0;
}

/* Fills e from the image open on fd (DIR/name). */
static void examine(struct entry *e, int fd, const char *dir, const char *name)
{
	char path[8192], err[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (e->tmp) {
		snprintf(e->state, sizeof(e->state),
			 "incomplete: being written, or left by an interrupted checkpoint (never restored; "
			 "delete it once no checkpoint runs)");
		return;
	}
	struct tcp_image img;
	if (img_load_fd_deferred(fd, path, &img, err, sizeof(err))) {
		snprintf(e->state, sizeof(e->state), "damaged or incomplete: %s", err);
		return;
	}
	e->loaded = 1;
	e->time_sec = img.proc.time_sec;
	e->generation = img.proc.generation;
	e->pid = img.proc.pid;
	snprintf(e->prog, sizeof(e->prog), "%s", img.proc.prog);
	snprintf(e->host, sizeof(e->host), "%s", img.proc.hostname);
	snprintf(e->job, sizeof(e->job), "%s", img.proc.job);
	if (img.nparents) {
		e->needs = calloc(img.nparents, sizeof(*e->needs));
		for (size_t i = 0; e->needs && i < img.nparents; i++)
			if ((e->needs[i] = strndup(img.parents[i].p.name, sizeof(img.parents[i].p.name))))
				e->nneeds++;
	}
	if (img.tree) {
		e->nprocs = img.ntree;
		e->members = calloc(img.ntree, sizeof(*e->members));
		e->member_sizes = calloc(img.ntree, sizeof(*e->member_sizes));
		for (size_t i = 0; e->members && e->member_sizes && i < img.ntree; i++)
			if (img.tree[i].image[0] &&
			    (e->members[e->nmembers] = strndup(img.tree[i].image, sizeof(img.tree[i].image))))
				e->member_sizes[e->nmembers++] = img.tree[i].image_size;
	}
	if (img_chain_open(&img, path, err, sizeof(err))) {
		snprintf(e->state, sizeof(e->state), "incomplete: %s", err);
	} else {
		e->complete = 1;
		snprintf(e->state, sizeof(e->state), "complete");
	}
	img_free(&img);
}

static int add_entry(struct listing *l, int dirfd, const char *dir, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct entry *e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			return -1;
		l->e = e;
		l->cap = cap;
	}
	struct entry *e = &l->e[l->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = strdup(name)))
		return -1;
	l->n++;
	e->tmp = name[0] == '.';
	prog_from_name(name, e->tmp, e->prog, sizeof(e->prog));
	/* O_NOFOLLOW: a symlink planted under an image's name is not followed;
	 * O_NONBLOCK: nor does a FIFO block the listing. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		snprintf(e->state, sizeof(e->state), "cannot open: %s", strerror(errno));
		return 0;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(e->state, sizeof(e->state), "not a regular file: no image");
		close(fd);
		return 0;
	}
	e->size = (uint64_t)st.st_size;
	e->time_sec = st.st_mtim.tv_sec;
	examine(e, fd, dir, name);
	close(fd);
	return 0;
}

/* Images first, by name (program, then generation: the numbers are
 * zero-padded); temporary files after them. */
static int by_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->tmp != y->tmp)
		return x->tmp - y->tmp;
	return strcmp(x->name, y->name);
}

static void read_markers(struct listing *l, int dirfd)
{
	ssize_t n = readlinkat(dirfd, "latest", l->latest, sizeof(l->latest) - 1);
	l->latest[n > 0 ? n : 0] = 0;
	int fd = openat(dirfd, "finished", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st, lst;
	if (fd < 0)
		return;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		n = read(fd, l->finished, sizeof(l->finished) - 1);
		l->finished[n > 0 ? n : 0] = 0;
		l->finished[strcspn(l->finished, "\n")] = 0;
		if (!l->finished[0])
			snprintf(l->finished, sizeof(l->finished), "(empty)");
		/* tcp-run's rule: `finished` newer than the image `latest` names */
		l->finished_newer = !l->latest[0] ||
				    (!fstatat(dirfd, "latest", &lst, 0) &&
				     (st.st_mtim.tv_sec > lst.st_mtim.tv_sec ||
				      (st.st_mtim.tv_sec == lst.st_mtim.tv_sec && st.st_mtim.tv_nsec > lst.st_mtim.tv_nsec)));
	}
	close(fd);
}

static void when(int64_t sec, char *buf, size_t cap)
{
	time_t t = (time_t)sec;
	struct tm tm;
	if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "@%" PRId64, sec);
}

/* Each tree root takes in its members' images: their sizes count in its
 * line, and a missing or different one makes the generation incomplete. */
static void claim_members(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct entry *r = &l->e[i];
		for (size_t k = 0; k < r->nmembers; k++) {
			struct entry *m = NULL;
			for (size_t j = 0; j < l->n && !m; j++)
				if (j != i && !strcmp(l->e[j].name, r->members[k]))
					m = &l->e[j];
			if (m && m->complete && m->size == r->member_sizes[k]) {
				m->claimed = 1;
				r->size += m->size;
				continue;
			}
			if (m)
				m->claimed = 1;
			if (r->complete) {
				r->complete = 0;
				snprintf(r->state, sizeof(r->state), "incomplete: the image of one of its processes, %s, is %s",
					 r->members[k], !m ? "missing" : !m->complete ? "incomplete or damaged" :
					 "not the one this generation was written with");
			}
		}
		if (r->complete && r->nprocs)
			snprintf(r->state, sizeof(r->state), "complete, a tree of %zu processes", r->nprocs);
	}
	for (size_t j = 0; j < l->n; j++) {
		struct entry *m = &l->e[j];
		const char *p = strrchr(m->name, '.');
		if (m->claimed || m->tmp || !p || p - m->name < 3)
			continue;
		const char *q = p - 1;
		while (q > m->name && *q >= '0' && *q <= '9')
			q--;
		if (q < p - 1 && q[0] == 'p' && q > m->name && q[-1] == '.' && m->loaded) {
			m->complete = 0;
			snprintf(m->state, sizeof(m->state),
				 "incomplete: one process's image of a process tree whose root image is missing or "
				 "does not name it (never restored alone)");
		}
	}
}

/* ---- text ---- */

/* One cell: the escaped text, for width computation and printing. */
static size_t esc_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		n += c == '\\' ? 2 : c < 0x20 || c == 0x7f ? 4 : 1;
	}
	return n;
}

static void cell(FILE *out, const char *s, size_t width)
{
	text_esc(out, s, strlen(s));
	for (size_t n = esc_len(s); n < width; n++)
		fputc(' ', out);
}

enum { C_NAME, C_WRITTEN, C_SIZE, C_PROG, C_PID, C_HOST, C_JOB, NCOLS };

static void row_cells(const struct entry *e, char cells[NCOLS][256])
{
	when(e->time_sec, cells[C_WRITTEN], 256);
	snprintf(cells[C_NAME], 256, "%s", e->name);
	text_human(e->size, cells[C_SIZE], 256);
	snprintf(cells[C_PROG], 256, "%s", e->prog[0] ? e->prog : "-");
	if (e->loaded)
		snprintf(cells[C_PID], 256, "%d", e->pid);
	else
		snprintf(cells[C_PID], 256, "-");
	snprintf(cells[C_HOST], 256, "%s", e->host[0] ? e->host : "-");
	snprintf(cells[C_JOB], 256, "%s", e->job[0] ? e->job : "-");
}

static void print_list_text(FILE *out, const char *dir, const struct listing *l)
{
	static const char *const head[NCOLS] = { "IMAGE", "WRITTEN", "SIZE", "PROGRAM", "PID", "HOST", "JOB" };
	size_t width[NCOLS], images = 0;
	char cells[NCOLS][256];
	for (int c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	size_t shown = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->e[i].claimed)
			continue;
		shown++;
		images += l->e[i].complete;
		row_cells(&l->e[i], cells);
		for (int c = 0; c < NCOLS; c++)
			if (esc_len(cells[c]) > width[c])
				width[c] = esc_len(cells[c]);
	}
	text_esc(out, dir, strlen(dir));
	fprintf(out, ": %zu image%s, %zu complete; latest -> ", shown, shown == 1 ? "" : "s", images);
	if (l->latest[0]) {
		text_esc(out, l->latest, strlen(l->latest));
		int found = 0;
		for (size_t i = 0; i < l->n; i++)
			found |= l->e[i].latest;
		if (!found)
			fputs(" (not an image here)", out);
	} else {
		fputs("none (tcp-run starts the program anew)", out);
	}
	fputc('\n', out);
	if (l->finished[0]) {
		fputs("finished: ", out);
		text_esc(out, l->finished, strlen(l->finished));
		fputs(l->finished_newer ? " (after the latest image: tcp-run starts the program anew)\n"
					: " (before the latest image, which tcp-run resumes)\n", out);
	}
	if (!shown)
		return;
	for (int c = 0; c < NCOLS; c++)
		cell(out, head[c], width[c] + 2);
	fputs("STATE\n", out);
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		if (e->claimed)
			continue;
		row_cells(e, cells);
		for (int c = 0; c < NCOLS; c++)
			cell(out, cells[c], width[c] + 2);
		if (e->latest)
			fputs("latest, ", out);
		text_esc(out, e->state, strlen(e->state));
		if (e->complete && e->nneeds) {
			fputs(", incremental: also reads ", out);
			for (size_t k = 0; k < e->nneeds; k++) {
				if (k)
					fputs(" ", out);
				text_esc(out, e->needs[k], strlen(e->needs[k]));
			}
		}
		fputc('\n', out);
	}
}

/* ---- JSON ---- */

static void print_list_json(FILE *out, const char *dir, const struct listing *l)
{
	struct jw w;
	char buf[64];
	jw_init(&w, out);
	jw_begin(&w, '{');
	jw_key(&w, "dir");
	jw_str(&w, dir);
	jw_key(&w, "latest");
	if (l->latest[0])
		jw_str(&w, l->latest);
	else
		jw_null(&w);
	jw_key(&w, "finished");
	if (l->finished[0])
		jw_str(&w, l->finished);
	else
		jw_null(&w);
	jw_key(&w, "finished_after_latest");
	jw_bool(&w, l->finished[0] && l->finished_newer);
	jw_key(&w, "images");
	jw_begin(&w, '[');
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		if (e->claimed)
			continue;
		jw_begin(&w, '{');
		jw_key(&w, "name");
		jw_str(&w, e->name);
		jw_key(&w, "complete");
		jw_bool(&w, e->complete);
		jw_key(&w, "latest");
		jw_bool(&w, e->latest);
		jw_key(&w, "state");
		jw_str(&w, e->state);
		jw_key(&w, "size");
		jw_uint(&w, e->size);
		jw_key(&w, "time");
		when(e->time_sec, buf, sizeof(buf));
		jw_str(&w, buf);
		jw_key(&w, "time_sec");
		jw_int(&w, e->time_sec);
		jw_key(&w, "program");
		jw_str(&w, e->prog);
		jw_key(&w, "pid");
		if (e->loaded)
			jw_int(&w, e->pid);
		else
			jw_null(&w);
		jw_key(&w, "host");
		jw_str(&w, e->host);
		jw_key(&w, "job");
		jw_str(&w, e->job);
		jw_key(&w, "generation");
		if (e->loaded)
			jw_uint(&w, e->generation);
		else
			jw_null(&w);
		jw_key(&w, "needs");
		jw_begin(&w, '[');
		for (size_t k = 0; k < e->nneeds; k++)
			jw_str(&w, e->needs[k]);
		jw_end(&w, ']');
		jw_key(&w, "processes"); /* a tree's: every process, zombies too; 1 otherwise */
		jw_uint(&w, e->nprocs ? e->nprocs : 1);
		jw_key(&w, "process_images"); /* its other processes' images, counted in size */
		jw_begin(&w, '[');
		for (size_t k = 0; k < e->nmembers; k++)
			jw_str(&w, e->members[k]);
		jw_end(&w, ']');
		jw_end(&w, '}');
	}
	jw_end(&w, ']');
	jw_end(&w, '}');
	fputc('\n', out);
}

int list_dir(FILE *out, const char *dir, int json)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "tcp-inspect: cannot open the image directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	int scan = dup(dirfd);
	DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
	if (!d) {
		fprintf(stderr, "tcp-inspect: cannot read the directory %s: %s\n", dir, strerror(errno));
		if (scan >= 0)
			close(scan);
		close(dirfd);
		return 1;
	}
	struct listing l = { 0 };
	int rc = 0;
	struct dirent *de;
	errno = 0;
	while (!rc && (de = readdir(d))) {
		if (is_image_name(de->d_name) && add_entry(&l, dirfd, dir, de->d_name)) {
			fprintf(stderr, "tcp-inspect: out of memory\n");
			rc = 1;
		}
		errno = 0;
	}
	if (!rc && errno) {
		fprintf(stderr, "tcp-inspect: cannot read the directory %s: %s\n", dir, strerror(errno));
		rc = 1;
	}
	closedir(d);
	if (!rc) {
		read_markers(&l, dirfd);
		qsort(l.e, l.n, sizeof(*l.e), by_name);
		for (size_t i = 0; i < l.n; i++)
			l.e[i].latest = l.latest[0] && !strcmp(l.e[i].name, l.latest);
		claim_members(&l);
		if (json)
			print_list_json(out, dir, &l);
		else
			print_list_text(out, dir, &l);
	}
	for (size_t i = 0; i < l.n; i++) {
		for (size_t k = 0; k < l.e[i].nneeds; k++)
			free(l.e[i].needs[k]);
		free(l.e[i].needs);
		for (size_t k = 0; k < l.e[i].nmembers; k++)
			free(l.e[i].members[k]);
		free(l.e[i].members);
		free(l.e[i].member_sizes);
		free(l.e[i].name);
	}
	free(l.e);
	close(dirfd);
	return rc;
}
