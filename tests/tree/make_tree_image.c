/* Builds a process tree's images by hand from images of independent
 * processes (ordinary checkpoints), for the restore tests of suite 'tree'
 * before the checkpoint side writes them: the root's image gets a TREE
 * section naming the others, and the records of what the tests make them
 * share are rewritten as a tree's images would hold them.
 *
 * usage: make_tree_image OUTDIR ROOT.tcp SPEC...
 *   member:NAME=IMAGE,parent=PID[,session][,sid=SID][,group=PGID][,pdeath=SIG][,exitsig=SIG]
 *        IMAGE becomes OUTDIR/NAME, a child of PID (its own pid: its image's)
 *   zombie:PID,parent=PID,status=WAITSTATUS[,group=PGID][,session][,sid=SID]
 *   group:PID/FD,PID/FD...     one open file description held by those fds
 *   pipe:PID/FD=PID/FD         the second's pipe (all its records) is the first's;
 *                              its bytes are dropped (the first's image has them)
 *   pair:PID/FD=PID/FD         two sockets become a pair across the processes
 *   shm:PID/INDEX=PID/INDEX    the second's SHM section INDEX is the first's object,
 *                              stored by the first only
 *   corrupt:PID                one byte of that process's page data flipped
 *   rootsession, rootgroup     the root led its session / group
 * The root image is written as OUTDIR/root.tcp. Every section checksum is
 * made again (with each image's own identifier). */
#define _GNU_SOURCE
#include "image/checksum.h"
#include "image/format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX 32

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("make_tree_image: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

struct image {
	char *in, *out_name;
	uint8_t *data;		/* the input file */
	size_t len;
	struct tcp_file_header hdr;
	struct tcp_process proc;
	uint8_t *out;		/* the rewritten file */
	size_t out_len, out_cap;
	uint64_t process_sum;
	int corrupt;
};

static struct image imgs[MAX];	/* [0]: the root */
static int nimgs;
static struct tcp_tree_proc procs[MAX];
static int nprocs;
static struct tcp_tree_holder holders[MAX][MAX];
static uint32_t nholders[MAX];
static int ngroups;

/* Record edits, applied as the image is rewritten. */
enum edit_kind { E_PIPE, E_PAIR, E_SHM };
static struct edit {
	int kind;
	int pid, fd;		/* the record (or SHM index) edited */
	uint64_t a, b;		/* E_PIPE: dev, pipe id; E_PAIR: peer ino */
	struct tcp_shm shm;	/* E_SHM: the identity */
	uint64_t key;		/* E_PIPE: the pipe id the record had */
} edits[MAX];
static int nedits;

static void load(struct image *im, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", path, strerror(errno));
	im->len = (size_t)st.st_size;
	im->data = malloc(im->len);
	if (!im->data || read(fd, im->data, im->len) != (ssize_t)im->len)
		die("%s: cannot read", path);
	close(fd);
	memcpy(&im->hdr, im->data, sizeof(im->hdr));
	const struct tcp_section_header *sh = (const void *)(im->data + sizeof(im->hdr));
	if (memcmp(im->hdr.magic, TCP_IMAGE_MAGIC, 8) || sh->type != TCP_SEC_PROCESS)
		die("%s: not an image", path);
	memcpy(&im->proc, im->data + sizeof(im->hdr) + sizeof(*sh), sizeof(im->proc));
	im->in = strdup(path);
}

static struct image *by_pid(int pid)
{
	for (int i = 0; i < nimgs; i++)
		if (imgs[i].proc.pid == pid)
			return &imgs[i];
	die("no image of pid %d", pid);
}

static void put(struct image *im, const void *p, size_t n)
{
	if (im->out_len + n > im->out_cap) {
		im->out_cap = (im->out_len + n) * 2 + 4096;
		im->out = realloc(im->out, im->out_cap);
	}
	memcpy(im->out + im->out_len, p, n);
	im->out_len += n;
}

static uint64_t nsec;

static void section(struct image *im, uint32_t type, const void *p, size_t n)
{
	struct tcp_section_header h = { .magic = TCP_SECTION_MAGIC, .type = type, .length = n,
					.payload_sum = csum_buf_keyed(im->hdr.image_id, p, n) };
	h.header_sum = csum_buf_keyed(im->hdr.image_id, &h, offsetof(struct tcp_section_header, header_sum));
	if (type == TCP_SEC_PROCESS)
		im->process_sum = h.payload_sum;
	put(im, &h, sizeof(h));
	put(im, p, n);
	nsec++;
}

/* PAGES: the head's data offset made again for where the section lands. */
static void pages(struct image *im, const uint8_t *p, size_t n)
{
	struct tcp_pages_head h;
	memcpy(&h, p, sizeof(h));
	size_t table = sizeof(h) + h.nruns * sizeof(struct tcp_run);
	size_t data = n - h.data_offset;
	uint64_t payload_off = im->out_len + sizeof(struct tcp_section_header);
	uint64_t off = (payload_off + table + TCP_PAGE_SIZE - 1) / TCP_PAGE_SIZE * TCP_PAGE_SIZE - payload_off;
	uint8_t *np = calloc(1, off + data);
	memcpy(np, p, table);
	memcpy(np + off, p + h.data_offset, data);
	((struct tcp_pages_head *)np)->data_offset = off;
	section(im, TCP_SEC_PAGES, np, off + data);
	if (im->corrupt == 1 && data) { /* after the checksum: the page data no longer matches it */
		im->out[im->out_len - data] ^= 0x40;
		im->corrupt = 2;
	}
	free(np);
}

static void fd_record(struct image *im, const uint8_t *p, size_t n)
{
	struct tcp_fd f;
	memcpy(&f, p, sizeof(f));
	size_t keep = n;
	for (int e = 0; e < nedits; e++) {
		struct edit *x = &edits[e];
		if (x->pid != im->proc.pid)
			continue;
		if (x->kind == E_PIPE && f.kind == TCP_FD_PIPE && f.u.pipe.pipe_id == x->key) {
			f.dev = x->a;
			f.u.pipe.pipe_id = x->b;
			if (f.u.pipe.has_data) {
				f.u.pipe.has_data = 0;
				f.u.pipe.npackets = 0;
				keep = sizeof(f) + f.path_len + f.nlocks * sizeof(struct tcp_fd_lock);
				f.content_len = f.nlocks * sizeof(struct tcp_fd_lock);
			}
		}
		if (x->kind == E_PAIR && f.fd == x->fd && f.kind == TCP_FD_SOCKET) {
			f.u.sock.role = TCP_SOCK_TREE_PAIR;
			f.u.sock.peer_ino = x->a;
			f.u.sock.peer_fd = -1;
		}
	}
	uint8_t *np = malloc(keep + 1);
	memcpy(np, &f, sizeof(f));
	memcpy(np + sizeof(f), p + sizeof(f), f.path_len);
	/* the locks stay at the end of the content */
	memcpy(np + sizeof(f) + f.path_len, p + n - (keep - sizeof(f) - f.path_len), keep - sizeof(f) - f.path_len);
	section(im, TCP_SEC_FD, np, keep);
	free(np);
}

static int shm_index;

static void shm(struct image *im, const uint8_t *p, size_t n)
{
	struct tcp_shm s;
	memcpy(&s, p, sizeof(s));
	int index = shm_index++;
	for (int e = 0; e < nedits; e++) {
		const struct edit *x = &edits[e];
		if (x->kind != E_SHM || x->pid != im->proc.pid || x->fd != index)
			continue;
		s.dev_major = x->shm.dev_major;
		s.dev_minor = x->shm.dev_minor;
		s.inode = x->shm.inode;
		s.flags |= TCP_SHMF_ELSEWHERE;
		s.nextents = 0;
		s.data_len = 0;
		uint8_t *np = malloc(sizeof(s) + s.name_len + 1);
		memcpy(np, &s, sizeof(s));
		memcpy(np + sizeof(s), p + sizeof(s), s.name_len);
		section(im, TCP_SEC_SHM, np, sizeof(s) + s.name_len);
		free(np);
		return;
	}
	section(im, TCP_SEC_SHM, p, n);
}

static void tree_section(struct image *im)
{
	struct tcp_tree_head h = { .nprocs = (uint32_t)nprocs, .nofds = (uint32_t)ngroups };
	size_t cap = sizeof(h) + sizeof(procs) + sizeof(holders) + sizeof(nholders) * 2;
	uint8_t *p = malloc(cap), *q = p;
	memcpy(q, &h, sizeof(h));
	q += sizeof(h);
	memcpy(q, procs, nprocs * sizeof(procs[0]));
	q += nprocs * sizeof(procs[0]);
	for (int g = 0; g < ngroups; g++) {
		struct tcp_tree_ofd o = { .nholders = nholders[g] };
		memcpy(q, &o, sizeof(o));
		q += sizeof(o);
		memcpy(q, holders[g], nholders[g] * sizeof(holders[g][0]));
		q += nholders[g] * sizeof(holders[g][0]);
	}
	section(im, TCP_SEC_TREE, p, (size_t)(q - p));
	free(p);
}

static void rewrite(struct image *im, int with_tree)
{
	im->out_len = 0;
	nsec = 0;
	shm_index = 0;
	put(im, &im->hdr, sizeof(im->hdr));
	size_t off = sizeof(im->hdr);
	while (off < im->len) {
		struct tcp_section_header sh;
		memcpy(&sh, im->data + off, sizeof(sh));
		const uint8_t *p = im->data + off + sizeof(sh);
		off += sizeof(sh) + sh.length;
		switch (sh.type) {
		case TCP_SEC_PAGES: pages(im, p, sh.length); break;
		case TCP_SEC_FD: fd_record(im, p, sh.length); break;
		case TCP_SEC_SHM: shm(im, p, sh.length); break;
		case TCP_SEC_END: {
			if (with_tree)
				tree_section(im);
			struct tcp_end e = { .section_count = nsec, .end_offset = im->out_len };
			section(im, TCP_SEC_END, &e, sizeof(e));
			return;
		}
		case TCP_SEC_ZPAGES:
		case TCP_SEC_REFS:
			die("%s: compressed or incremental images are not supported here", im->in);
		default: section(im, sh.type, p, sh.length);
		}
	}
	die("%s: no END", im->in);
}

static void write_out(const struct image *im, const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, im->out_name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, im->out, im->out_len) != (ssize_t)im->out_len || close(fd))
		die("%s: %s", path, strerror(errno));
}

/* The record of fd `fd` in image im (raw, in the input), or NULL. */
static const struct tcp_fd *find_fd(const struct image *im, int fd)
{
	size_t off = sizeof(im->hdr);
	while (off < im->len) {
		const struct tcp_section_header *sh = (const void *)(im->data + off);
		if (sh->type == TCP_SEC_FD && ((const struct tcp_fd *)(sh + 1))->fd == fd)
			return (const struct tcp_fd *)(sh + 1);
		off += sizeof(*sh) + sh->length;
	}
	return NULL;
}

static const struct tcp_shm *find_shm(const struct image *im, int index)
{
	size_t off = sizeof(im->hdr);
	int i = 0;
	while (off < im->len) {
		const struct tcp_section_header *sh = (const void *)(im->data + off);
		if (sh->type == TCP_SEC_SHM && i++ == index)
			return (const struct tcp_shm *)(sh + 1);
		off += sizeof(*sh) + sh->length;
	}
	die("no SHM section %d", index);
}

static const char *opt(const char *spec, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = strchr(spec, ','); p; p = strchr(p + 1, ','))
		if (!strncmp(p + 1, key, n) && (p[1 + n] == '=' || p[1 + n] == ',' || !p[1 + n]))
			return p[1 + n] == '=' ? p + 2 + n : "";
	return NULL;
}

static struct tcp_tree_proc *add_proc(int pid, int ppid, const char *spec, const char *comm)
{
	struct tcp_tree_proc *p = &procs[nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->exit_signal = opt(spec, "exitsig") ? atoi(opt(spec, "exitsig")) : 17;
	p->pdeath_signal = opt(spec, "pdeath") ? atoi(opt(spec, "pdeath")) : 0;
	p->sid = opt(spec, "session") ? pid : opt(spec, "sid") ? atoi(opt(spec, "sid")) : procs[0].sid;
	p->pgid = opt(spec, "group") ? atoi(opt(spec, "group")) : p->sid == pid ? pid : procs[0].pgid;
	if (p->sid == pid)
		p->flags |= TCP_TREEP_SESSION_LEADER;
	if (p->pgid == pid)
		p->flags |= TCP_TREEP_GROUP_LEADER;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	return p;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage: make_tree_image OUTDIR ROOT.tcp SPEC...");
	const char *dir = argv[1];
	load(&imgs[nimgs++], argv[2]);
	imgs[0].out_name = "root.tcp";
	struct tcp_tree_proc *root = &procs[nprocs++];
	root->pid = imgs[0].proc.pid;
	root->flags = TCP_TREEP_ROOT | TCP_TREEP_OUTSIDE_GROUP | TCP_TREEP_OUTSIDE_SESSION;
	root->pgid = root->sid = 1; /* the shell's, outside the tree */
	root->exit_signal = 17;
	snprintf(root->comm, sizeof(root->comm), "%s", imgs[0].proc.comm);
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "rootsession"))
			root->sid = root->pid, root->flags = (root->flags & ~TCP_TREEP_OUTSIDE_SESSION) | TCP_TREEP_SESSION_LEADER;
		else if (!strcmp(a, "rootgroup"))
			root->pgid = root->pid, root->flags = (root->flags & ~TCP_TREEP_OUTSIDE_GROUP) | TCP_TREEP_GROUP_LEADER;
	}
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		if (!strncmp(a, "member:", 7)) {
			char name[256], path[4096];
			if (sscanf(a + 7, "%255[^=]=%4095[^,]", name, path) != 2 || !opt(a, "parent"))
				die("bad %s", a);
			struct image *im = &imgs[nimgs++];
			load(im, path);
			im->out_name = strdup(name);
			struct tcp_tree_proc *p = add_proc(im->proc.pid, atoi(opt(a, "parent")), a, im->proc.comm);
			snprintf(p->image, sizeof(p->image), "%s", name);
		} else if (!strncmp(a, "zombie:", 7)) {
			struct tcp_tree_proc *p = add_proc(atoi(a + 7), atoi(opt(a, "parent")), a, "zombie");
			p->flags |= TCP_TREEP_ZOMBIE;
			p->exit_status = (int)strtol(opt(a, "status"), NULL, 0);
		} else if (!strncmp(a, "group:", 6)) {
			const char *p = a + 6;
			while (*p) {
				int pid, fd, n;
				if (sscanf(p, "%d/%d%n", &pid, &fd, &n) != 2)
					die("bad %s", a);
				holders[ngroups][nholders[ngroups]++] = (struct tcp_tree_holder){ pid, fd };
				p += n + (p[n] == ',');
			}
			ngroups++;
		} else if (!strncmp(a, "corrupt:", 8)) {
			by_pid(atoi(a + 8))->corrupt = 1;
		}
	}
	/* Edits need every image loaded. */
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i];
		int p1, x1, p2, x2;
		if (sscanf(a, "%*[a-z]:%d/%d=%d/%d", &p1, &x1, &p2, &x2) != 4)
			continue;
		struct edit *e = &edits[nedits++];
		e->pid = p2;
		e->fd = x2;
		if (!strncmp(a, "pipe:", 5)) {
			const struct tcp_fd *f1 = find_fd(by_pid(p1), x1), *f2 = find_fd(by_pid(p2), x2);
			if (!f1 || !f2 || f1->kind != TCP_FD_PIPE || f2->kind != TCP_FD_PIPE)
				die("%s: not two pipes", a);
			*e = (struct edit){ E_PIPE, p2, x2, f1->dev, f1->u.pipe.pipe_id, { 0 }, f2->u.pipe.pipe_id };
		} else if (!strncmp(a, "pair:", 5)) {
			const struct tcp_fd *f1 = find_fd(by_pid(p1), x1), *f2 = find_fd(by_pid(p2), x2);
			if (!f1 || !f2 || f1->kind != TCP_FD_SOCKET || f2->kind != TCP_FD_SOCKET)
				die("%s: not two sockets", a);
			*e = (struct edit){ .kind = E_PAIR, .pid = p2, .fd = x2, .a = f1->u.sock.ino };
			edits[nedits++] = (struct edit){ .kind = E_PAIR, .pid = p1, .fd = x1, .a = f2->u.sock.ino };
		} else if (!strncmp(a, "shm:", 4)) {
			*e = (struct edit){ .kind = E_SHM, .pid = p2, .fd = x2, .shm = *find_shm(by_pid(p1), x1) };
		} else {
			die("bad %s", a);
		}
	}
	for (int i = 1; i < nimgs; i++) {
		rewrite(&imgs[i], 0);
		write_out(&imgs[i], dir);
		for (int k = 0; k < nprocs; k++)
			if (procs[k].pid == imgs[i].proc.pid) {
				procs[k].image_size = imgs[i].out_len;
				memcpy(procs[k].image_id, imgs[i].hdr.image_id, sizeof(procs[k].image_id));
				procs[k].process_sum = imgs[i].process_sum;
			}
	}
	rewrite(&imgs[0], 1);
	write_out(&imgs[0], dir);
	return 0;
}
