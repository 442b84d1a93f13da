/* Offline symbolization: an address of the checkpointed process -> the
 * image region holding it -> for a file mapping, the file offset -> the
 * ELF virtual address -> the function symbol around it. The files are
 * read from disk now, so a file that no longer matches the one mapped at
 * checkpoint time is not used (its symbols would name the wrong code). */
#include "inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/elf_buildid.h"

struct file_entry {
	char *path;
	int ok;			/* syms loaded and the file is the one that was mapped */
	char why[160];		/* when not ok */
	struct elf_syms syms;
	struct file_entry *next;
};

struct symbolizer {
	const struct tcp_image *img;
	struct file_entry *files;	/* in the order they were first needed */
	struct file_entry **tail;
};

struct symbolizer *symz_new(const struct tcp_image *img)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	if (s) {
		s->img = img;
		s->tail = &s->files;
	}
	return s;
}

/* The region of this file that carries the build-id recorded at checkpoint
 * time (the writer records it for the mapping at offset 0), or NULL. */
static const struct tcp_region *recorded_id(const struct tcp_image *img, const char *path)
{
	for (size_t i = 0; i < img->nregions; i++)
		if (img->regions[i].r.build_id_len && region_is_file(img->regions[i].r.kind) &&
		    !strcmp(img->regions[i].path, path))
			return &img->regions[i].r;
	return NULL;
}

/* Same policy as tcp-restore for a file with a build-id (it must match),
 * but a matching build-id is enough here: the image may be inspected on
 * another machine where the same library has another mtime. */
static int same_file(const struct tcp_image *img, const struct tcp_region *mapped, int fd, const char *path,
		     char *why, size_t whylen)
{
	struct stat st;
	if (fstat(fd, &st)) {
		snprintf(why, whylen, "cannot stat: %s", strerror(errno));
		return 0;
	}
	const struct tcp_region *id = recorded_id(img, path);
	if (id) {
		/* The note is in the first page of every ELF file we map. */
		enum { HEAD = 65536 };
		unsigned char *buf = malloc(HEAD);
		ssize_t n = buf ? pread(fd, buf, HEAD, 0) : -1;
		uint8_t got[32];
		uint32_t len = n > 0 ? elf_build_id(buf, (uint64_t)n, got, sizeof(got)) : 0;
		free(buf);
		if (len != id->build_id_len || memcmp(got, id->build_id, len)) {
			snprintf(why, whylen, "changed since the checkpoint (ELF build-id differs)");
			return 0;
		}
		return 1;
	}
	if ((uint64_t)st.st_size != mapped->file_size || st.st_mtim.tv_sec != mapped->mtime_sec ||
	    st.st_mtim.tv_nsec != mapped->mtime_nsec) {
		snprintf(why, whylen, "changed since the checkpoint (size or mtime differs)");
		return 0;
	}
	return 1;
}

static struct file_entry *file_for(struct symbolizer *s, const struct img_region *ir)
{
	for (struct file_entry *f = s->files; f; f = f->next)
		if (!strcmp(f->path, ir->path))
			return f;
	struct file_entry *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = strdup(ir->path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	*s->tail = f;
	s->tail = &f->next;
	/* O_NONBLOCK: whatever is at the path now may be a FIFO; opening it
	 * must not hang. elf_syms_load refuses anything but a regular file. */
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(f->why, sizeof(f->why), "cannot open: %s", strerror(errno));
		return f;
	}
	if (same_file(s->img, &ir->r, fd, f->path, f->why, sizeof(f->why)) &&
	    !elf_syms_load(fd, &f->syms, f->why, sizeof(f->why)))
		f->ok = 1;
	close(fd);
	return f;
}

void symz_lookup(struct symbolizer *s, uint64_t addr, int is_return, struct sym_info *out)
{
	const struct tcp_image *img = s->img;
	uint64_t at = is_return && addr ? addr - 1 : addr;
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->region = find_region(img, at);
	if (out->region < 0) {
		out->label = "[unmapped]";
		out->kind = "unmapped";
		return;
	}
	const struct img_region *ir = &img->regions[out->region];
	out->kind = region_kind_name(ir->r.kind);
	if (!region_is_file(ir->r.kind)) {
		out->label = region_label(ir->r.kind);
		return;
	}
	out->file = ir->path;
	const char *slash = strrchr(ir->path, '/');
	out->base = slash ? slash + 1 : ir->path;
	out->file_off = addr - ir->r.start + ir->r.offset;
	struct file_entry *f = file_for(s, ir);
	uint64_t vaddr;
	if (!f || !f->ok || elf_off_to_vaddr(&f->syms, at - ir->r.start + ir->r.offset, &vaddr))
		return;
	const struct elf_sym *y = elf_sym_lookup(&f->syms, vaddr);
	if (!y)
		return;
	out->symbol = y->name;
	out->sym_off = vaddr + (addr - at) - y->value;
}

void symz_problems(struct symbolizer *s, void (*cb)(void *ctx, const char *path, const char *why), void *ctx)
{
	for (struct file_entry *f = s->files; f; f = f->next)
		if (!f->ok)
			cb(ctx, f->path, f->why);
}

void symz_free(struct symbolizer *s)
{
	if (!s)
		return;
	while (s->files) {
		struct file_entry *f = s->files;
		s->files = f->next;
		elf_syms_free(&f->syms);
		free(f->path);
		free(f);
	}
	free(s);
}
