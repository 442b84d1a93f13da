/* Validation before the point of no return: the CPU can hold the saved
 * register state, the address space fits, the vdso has the same shape, and
 * every mapped file (libraries, the executable) is the one that was mapped
 * at checkpoint time. */
#include "restore.h"
#include "../common/elf_buildid.h"
#include "../common/xcr0.h"
#include "../common/maps_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TASK_SIZE_47 0x7ffffffff000ull

int check_process(const struct tcp_image *img)
{
	if (img->nthreads > 1 && !main_thread_of(img)) {
		say("image %s holds %zu threads but none is the main thread (tid %d); the image is inconsistent",
		    img->path, img->nthreads, img->proc.pid);
		return -1;
	}
	if (chdir(img->proc.cwd)) {
		say("the program's working directory %s is not available here: %s", img->proc.cwd, strerror(errno));
		return -1;
	}
	return 0;
}

/* The thread whose tid is the pid (the one the restored process starts
 * as); for a single-threaded image, its only thread. */
const struct tcp_thread *main_thread_of(const struct tcp_image *img)
{
	if (img->nthreads == 1)
		return &img->threads[0];
	for (size_t i = 0; i < img->nthreads; i++)
		if (img->threads[i].tid == img->proc.pid)
			return &img->threads[i];
	return NULL;
}

int check_cpu(const struct tcp_image *img)
{
	return check_cpu_features(img, read_xcr0());
}

int check_cpu_features(const struct tcp_image *img, uint64_t have)
{
	static const char *names[] = { "x87", "SSE", "AVX", "MPX bounds", "MPX csr", "AVX-512 opmask",
				       "AVX-512 upper zmm0-15", "AVX-512 zmm16-31", "PT", "PKRU" };
	uint64_t need = img->proc.xfeatures;
	uint64_t missing = need & ~have;
	if (!missing)
		return 0;
	char list[256] = "";
	for (int i = 0; i < 64; i++) {
		if (!(missing & (1ull << i)))
			continue;
		char one[48];
		snprintf(one, sizeof(one), "%s%s", list[0] ? ", " : "", i < 10 ? names[i] : "xfeature");
		strncat(list, one, sizeof(list) - strlen(list) - 1);
	}
	say("this CPU lacks register state the image holds (%s; image XSAVE features %#llx, this CPU %#llx): "
	    "restore on a node of the same CPU type",
	    list, (unsigned long long)need, (unsigned long long)have);
	return -1;
}

static int read_own_vdso(struct vdso_layout *v)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4352];
	struct maps_entry *e = malloc(sizeof(*e));
	int n = 0;
	if (!f || !e) {
		say("cannot read /proc/self/maps");
		free(e);
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\n");
		if (maps_parse_line(line, len, e))
			continue;
		if (strcmp(e->path, "[vdso]") && strcmp(e->path, "[vvar]") && strcmp(e->path, "[vvar_vclock]"))
			continue;
		if (n < 4) {
			snprintf(v->cur[n].name, sizeof(v->cur[n].name), "%.15s", e->path);
			v->cur[n].start = e->start;
			v->cur[n].end = e->end;
		}
		n++;
	}
	fclose(f);
	free(e);
	return n;
}

int check_address_space(const struct tcp_image *img, struct vdso_layout *v)
{
	memset(v, 0, sizeof(*v));
	int ni = 0;
	for (size_t i = 0; i < img->nregions; i++) {
		const struct tcp_region *r = &img->regions[i].r;
		if (r->end > TASK_SIZE_47 || r->start < 4096) {
			say("region %#llx-%#llx lies outside the address space this kernel gives a process",
			    (unsigned long long)r->start, (unsigned long long)r->end);
			return -1;
		}
		if (r->kind != TCP_REG_VDSO && r->kind != TCP_REG_VVAR)
			continue;
		if (ni == 4) {
			say("image %s: more than four vdso/vvar mappings", img->path);
			return -1;
		}
		snprintf(v->img[ni].name, sizeof(v->img[ni].name), "%.15s", img->regions[i].path);
		v->img[ni].start = r->start;
		v->img[ni].end = r->end;
		ni++;
	}
	int nc = read_own_vdso(v);
	if (nc < 0)
		return -1;
	int same = nc == ni && ni > 0;
	for (int i = 0; same && i < ni; i++)
		same = !strcmp(v->cur[i].name, v->img[i].name) &&
		       v->cur[i].end - v->cur[i].start == v->img[i].end - v->img[i].start &&
		       v->cur[i].start - v->cur[0].start == v->img[i].start - v->img[0].start;
	if (!same) {
		say("the kernel's vdso here (%d pieces) is laid out differently from the one in the image (%d "
		    "pieces): the image was written under another kernel; restore on a node running the same "
		    "kernel",
		    nc, ni);
		return -1;
	}
	v->n = ni;
	return 0;
}

/* Does the file at `path` still match what was mapped at checkpoint time? */
static int same_file(const struct img_region *ir, char *why, size_t whylen)
{
	const struct tcp_region *r = &ir->r;
	struct stat st;
	if (stat(ir->path, &st)) {
		snprintf(why, whylen, "it is missing (%s)", strerror(errno));
		return 0;
	}
	if ((uint64_t)st.st_size != r->file_size) {
		snprintf(why, whylen, "its size is %lld bytes, it was %llu", (long long)st.st_size,
			 (unsigned long long)r->file_size);
		return 0;
	}
	if (st.st_mtim.tv_sec != r->mtime_sec || st.st_mtim.tv_nsec != r->mtime_nsec) {
		snprintf(why, whylen, "it was modified since the checkpoint (mtime differs)");
		return 0;
	}
	if (r->build_id_len) {
		enum { HEAD = 65536 };
		unsigned char *buf = malloc(HEAD);
		int fd = open(ir->path, O_RDONLY | O_CLOEXEC);
		ssize_t n = (fd >= 0 && buf) ? pread(fd, buf, HEAD, 0) : -1;
		uint8_t id[32];
		uint32_t len = n > 0 ? elf_build_id(buf, (uint64_t)n, id, sizeof(id)) : 0;
		if (fd >= 0)
			close(fd);
		free(buf);
		if (len != r->build_id_len || memcmp(id, r->build_id, len)) {
			snprintf(why, whylen, "its ELF build-id differs from the one mapped at checkpoint time");
			return 0;
		}
	}
	return 1;
}

/* A file the program maps shared and writable that is not code (no ELF
 * build-id): its own data, kept up to date through memory (the JVM's
 * /tmp/hsperfdata_USER/PID, a memory-mapped database), not installed
 * software. */
static int own_data_file(const struct img_region *ir)
{
	return ir->r.kind == TCP_REG_FILE_SHARED && (ir->r.prot & 2 /* PROT_WRITE */) && !ir->r.build_id_len;
}

static void refuse_own_data_file(const struct img_region *ir, const char *why)
{
	int jvm = strstr(ir->path, "/hsperfdata_") != NULL;
	say("%s, the program's own data file (mapped shared and writable: the program writes into it through "
	    "memory), cannot be used: %s. Its content belongs to the program's state at the checkpoint, which the "
	    "image does not hold, so the program cannot resume with this file. %s",
	    ir->path, why,
	    jvm ? "It is the JVM's performance-data file: run java with -XX:-UsePerfData (it then keeps no such "
		  "file) and take a new checkpoint"
		: "A program or runtime that keeps such a file up to date cannot be restored once the file changed: "
		  "turn that file off if it can be (for Java: -XX:-UsePerfData), or keep it unchanged until the "
		  "restore");
}

int check_mapped_files(const struct tcp_image *img)
{
	const char *last = "";
	for (size_t i = 0; i < img->nregions; i++) {
		const struct img_region *ir = &img->regions[i];
		if (ir->r.kind != TCP_REG_FILE && ir->r.kind != TCP_REG_FILE_SHARED)
			continue;
		if (!strcmp(ir->path, last))
			continue; /* one check per file */
		last = ir->path;
		char why[256];
		if (!same_file(ir, why, sizeof(why))) {
			if (own_data_file(ir)) {
				refuse_own_data_file(ir, why);
				return -1;
			}
			say("%s, mapped by the program at checkpoint time, cannot be used: %s. Restoring with another "
			    "version would run the program with code or data it was not running; restore where the "
			    "same files are installed",
			    ir->path, why);
			return -1;
		}
	}
	return 0;
}
