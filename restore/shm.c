/* Shared memory objects at restore (issue 7): each SHM section of the image
 * becomes one object again, created once, before the fds and the mappings
 * that use it: a memfd with its name, size, content and seals; the file
 * under /dev/shm (a new one, filled under a hidden name and put in place by
 * the blob's last step, over the one there if it is the user's, as an output
 * file is rolled back: plan_files.c refused another user's); a memfd for
 * shared anonymous memory; a
 * System V segment. The objects stay open at fds >= `floor`, which the
 * blob closes before the program resumes (the program's own fds of them
 * are reopened by fd_memfd.c).
 *
 * In a tree (restore/tree/), an object several processes share (the same
 * identity in several images) is made once, from the image that stores it,
 * by the root's restorer before the others exist (shm_make_shared); each
 * process's SHM section of it then takes that object. */
#define _GNU_SOURCE
#include "restore.h"
#include "../common/session_path.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

static int *object_fd;		/* per SHM section; -1 for SysV */
static uint32_t *object_late_seals; /* added by the blob once it has mapped the object */
static int *object_shmid;	/* SysV: the new segment's id */
static size_t nobjects;

/* Objects made for the whole tree. */
static struct shared_object {
	struct tcp_shm id;	/* type, device, inode */
	int fd, shmid;
} *shared;
static size_t nshared;

static const struct shared_object *shared_of(const struct tcp_shm *s)
{
	for (size_t i = 0; i < nshared; i++)
		if (shared[i].id.type == s->type && shared[i].id.dev_major == s->dev_major &&
		    shared[i].id.dev_minor == s->dev_minor && shared[i].id.inode == s->inode)
			return &shared[i];
	return NULL;
}

int shm_shared_fd(const struct tcp_shm *s)
{
	const struct shared_object *o = shared_of(s);
	return o ? o->fd : -1;
}

int shm_shared_shmid(const struct tcp_shm *s)
{
	const struct shared_object *o = shared_of(s);
	return o ? o->shmid : -1;
}

int shm_object_fd(uint32_t index)
{
	return index < nobjects ? object_fd[index] : -1;
}

uint32_t shm_object_late_seals(uint32_t index)
{
	uint32_t s = index < nobjects ? object_late_seals[index] : 0;
	if (index < nobjects)
		object_late_seals[index] = 0; /* for one region only */
	return s;
}

int shm_object_shmid(uint32_t index)
{
	return index < nobjects ? object_shmid[index] : -1;
}

static const char *describe(const struct img_shm *o, char *buf, size_t cap)
{
	switch (o->s.type) {
	case TCP_SHM_MEMFD: snprintf(buf, cap, "memfd \"%s\"", o->name); break;
	case TCP_SHM_POSIX: snprintf(buf, cap, "%s", o->name); break;
	case TCP_SHM_ANON: snprintf(buf, cap, "shared anonymous memory of %llu bytes", (unsigned long long)o->s.size); break;
	default: snprintf(buf, cap, "System V segment %d (key %#x)", o->s.sysv_id, (unsigned)o->s.sysv_key);
	}
	return buf;
}

/* Copies the stored extents from the image into the object: through `fd`,
 * or into memory at `mem` (SysV). */
static int fill(const struct img_shm *o, int image_fd, int fd, char *mem, const char *what)
{
	enum { CHUNK = 1 << 20 };
	char *buf = mem ? NULL : malloc(CHUNK);
	if (!mem && !buf)
		return -1;
	uint64_t src = o->data_off;
	for (uint32_t i = 0; i < o->s.nextents; i++) {
		for (uint64_t done = 0; done < o->ext[i].len;) {
			uint64_t left = o->ext[i].len - done;
			size_t want = left > CHUNK ? CHUNK : (size_t)left;
			char *dst = mem ? mem + o->ext[i].offset + done : buf;
			ssize_t n = pread(image_fd, dst, want, (off_t)src);
			ssize_t w = n > 0 && !mem ? pwrite(fd, buf, (size_t)n, (off_t)(o->ext[i].offset + done)) : n;
			if (w != n) {
				if (w >= 0)
					errno = ENOSPC; /* a short write: the filesystem is full */
				n = -1;
			}
			if (n <= 0 && !mem && (errno == ENOSPC || errno == ENOMEM)) {
				say("no space left for the %llu bytes of %s (%s): free some, then restore again",
				    (unsigned long long)o->s.size, what,
				    o->s.type == TCP_SHM_POSIX ? "/dev/shm is full" : "out of memory for shared memory");
				free(buf);
				return -1;
			}
			if (n <= 0) {
				say("cannot copy the content of %s from the image: %s", what,
				    n < 0 ? strerror(errno) : "the image is shorter than it says");
				free(buf);
				return -1;
			}
			done += (uint64_t)n;
			src += (uint64_t)n;
		}
	}
	free(buf);
	return 0;
}

/* A /dev/shm path the image may name: no way out of /dev/shm; or a file
 * of an MPI session directory (common/session_path.h: no "." or ".."). */
static int safe_shm_path(const char *p)
{
	return (!strncmp(p, "/dev/shm/", 9) && p[9] && !strstr(p, "/../") && strcmp(p + strlen(p) - 3, "/..")) ||
	       session_path(p);
}

/* The directory of a session directory's object, opened: a real directory
 * of the restoring user; -1 with errno ENOENT if it is gone (then made
 * again: session_dirs.c), -1 after a message otherwise. */
static int open_session_dir(const char *dir, const char *name)
{
	int d = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (d < 0 && errno == ENOENT)
		return -1;
	if (d < 0 || fstat(d, &st) || st.st_uid != geteuid()) {
		say("cannot make %s again: its directory %s %s; tcp-restore makes nothing in another user's place",
		    name, dir, d < 0 ? "cannot be opened as a directory (a symbolic link?)" : "is not yours");
		if (d >= 0)
			close(d);
		errno = EPERM;
		return -1;
	}
	return d;
}

/* Does the program map object `index` shared and writable? */
static int mapped_writable(const struct tcp_image *img, size_t index)
{
	for (size_t i = 0; i < img->nregions; i++) {
		const struct tcp_region *r = &img->regions[i].r;
		if (r->kind == TCP_REG_SHM && r->shm_index == index && !(r->flags & TCP_REGF_PRIVATE) &&
		    (r->prot & PROT_WRITE))
			return 1;
	}
	return 0;
}

/* A named /dev/shm object: a new file under a hidden name next to it
 * (O_EXCL: never one someone else made), put in place at the end; the
 * object there now, the user's (plan_files.c), is replaced then. */
static int create_named(const struct img_shm *o, const struct img_shm *plan_key, int floor,
			const struct restore_opts *opts, mode_t mode)
{
	if (!safe_shm_path(o->name)) {
		say("the image names shared memory %s, which is not a file under /dev/shm nor of an MPI session "
		    "directory; the image is damaged",
		    o->name);
		return -1;
	}
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", o->name);
	*strrchr(dir, '/') = 0;
	int session = session_path(o->name), moved = 0;
	const char *rel = NULL;
	int d = session ? open_session_dir(dir, o->name) : open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int dirfd = d >= 0 ? fcntl(d, F_DUPFD_CLOEXEC, floor) : -1;
	if (d >= 0)
		close(d);
	if (d < 0 && session && errno == ENOENT) {
		/* A session directory that is gone: made again at the end. */
		dirfd = plan_missing_dirs(o->name, floor, &rel);
		moved = 1;
	}
	if (dirfd < 0)
		return -1;
	char tmp[64];
	int fd = -1;
	for (int tries = 0; tries < 100 && fd < 0; tries++) {
		commit_temp_name(tmp, sizeof(tmp));
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	uint64_t dev = 0, ino = 0;
	int present = plan_shm_name(plan_key, &dev, &ino);
	if (fd < 0 || (moved ? commit_move(dirfd, tmp, rel)
			     : commit_place(dirfd, tmp, strrchr(o->name, '/') + 1, present, dev, ino))) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (present && opts->verbose)
		say("%s exists: it is replaced by the object as it was at checkpoint time", o->name);
	if (moved && opts->verbose)
		say("%s: its directory is gone; made again with it, as it was at checkpoint time", o->name);
	return fd;
}

static int create_file_object(const struct img_shm *o, const struct img_shm *plan_key, int image_fd, int floor,
			      const struct restore_opts *opts, const char *what, uint32_t *late)
{
	int fd;
	mode_t mode = (mode_t)(o->s.mode & 0777);
	if (o->s.type == TCP_SHM_POSIX && !(o->s.flags & TCP_SHMF_DELETED)) {
		fd = create_named(o, plan_key, floor, opts, mode);
	} else if (o->s.type == TCP_SHM_POSIX) {
		fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, mode ? mode : 0600);
	} else {
		int sealable = o->s.type == TCP_SHM_MEMFD && (o->s.flags & TCP_SHMF_SEALABLE);
		const char *name = o->s.type == TCP_SHM_MEMFD ? o->name : "tcp-shared-anonymous";
		if (strlen(name) > 249) {
			say("%s: the name is too long for memfd_create; the image is damaged", what);
			return -1;
		}
		fd = memfd_create(name, MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));
		if (fd >= 0 && o->s.type == TCP_SHM_MEMFD && mode && fchmod(fd, mode)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 || ftruncate(fd, (off_t)o->s.size)) {
		say("cannot create %s again (%s); %s", what, strerror(errno),
		    errno == ENOSPC || errno == ENOMEM ? "free some memory in /dev/shm (or raise its size)"
						       : "check the permissions of its directory");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fill(o, image_fd, fd, NULL, what)) {
		close(fd);
		return -1;
	}
	/* Seals last: F_SEAL_WRITE forbids the writes above. */
	uint32_t seals = o->s.seals & ~(uint32_t)F_SEAL_SEAL;
	if (o->s.flags & TCP_SHMF_SEALABLE)
		seals = o->s.seals;
	/* A writable shared mapping made before F_SEAL_FUTURE_WRITE stays
	 * writable; a new one would be refused: the blob seals after mapping. */
	*late = seals & F_SEAL_FUTURE_WRITE ? seals & (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) : 0;
	seals &= ~*late;
	if (seals && fcntl(fd, F_ADD_SEALS, (int)seals)) {
		say("cannot seal %s again with seals %#x: %s", what, seals, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int set_shm_next_id(int id)
{
	int fd = open("/proc/sys/kernel/shm_next_id", O_WRONLY | O_CLOEXEC);
	char text[16];
	int len = snprintf(text, sizeof(text), "%d", id);
	int ok = fd >= 0 && write(fd, text, (size_t)len) == len;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The segment gets its old id back where this IPC namespace lets us choose
 * (pidns.c makes a new one for images with System V segments), so that the
 * program's shmctl(id, ...) still reaches it; else a new id. */
static int shmget_as(const struct img_shm *o, int flags)
{
	int chosen = set_shm_next_id(o->s.sysv_id);
	int id = shmget(o->s.sysv_key, (size_t)o->s.size, flags);
	if (chosen)
		set_shm_next_id(-1);
	if (id < 0 && chosen && errno != EEXIST)
		id = shmget(o->s.sysv_key, (size_t)o->s.size, flags);
	return id;
}

static int create_sysv(const struct img_shm *o, int image_fd, const struct restore_opts *opts, const char *what)
{
	(void)opts;
	key_t key = o->s.sysv_key;
	int id = shmget_as(o, IPC_CREAT | IPC_EXCL | (int)(o->s.mode & 0777));
	if (id >= 0 && id != o->s.sysv_id) /* no IPC namespace of our own: said always */
		say("warning: %s comes back as segment %d: the program's calls with its old id will fail", what, id);
	if (id < 0 && errno == EEXIST && key != IPC_PRIVATE) {
		say("cannot create %s again: a segment of key %#x exists here already (the killed program's, or "
		    "another's); remove it (ipcrm -M %#x) if it is a leftover, then restore again",
		    what, (unsigned)key, (unsigned)key);
		return -1;
	}
	if (id < 0) {
		say("cannot create %s again: %s (see kernel.shmmax, shmall, shmmni)", what, strerror(errno));
		return -1;
	}
	char *mem = shmat(id, NULL, 0);
	if (mem == (void *)-1) {
		say("cannot attach the new copy of %s: %s", what, strerror(errno));
		shmctl(id, IPC_RMID, NULL);
		return -1;
	}
	int rc = fill(o, image_fd, -1, mem, what);
	shmdt(mem);
	if (rc) {
		shmctl(id, IPC_RMID, NULL);
		return -1;
	}
	return id;
}

/* A restore that fails before the blob runs (the process exits) leaves no
 * System V segment behind; a resumed program owns them (the blob never
 * returns to exit()), and a blob that fails removes them (commit_rmid). */
static void remove_segments(void)
{
	for (size_t i = 0; i < nobjects; i++)
		if (object_shmid[i] >= 0)
			shmctl(object_shmid[i], IPC_RMID, NULL);
}

/* Object s of img, its fd (*fd) or System V id (*shmid), above floor;
 * -1 after a message. late: seals the blob adds after mapping it (for an
 * object of several processes, `shared`: whether any maps it writable is
 * not known here; those seals are not added). plan_key: the SHM record
 * plan_files.c checked the name of (s itself but for a tree's object). */
static int create_one(const struct tcp_image *img, const struct img_shm *s, const struct img_shm *plan_key,
		      int image_fd, int floor, const struct restore_opts *o, int shared, int *fd_out, int *shmid_out,
		      uint32_t *late_out)
{
	char what[4200];
	describe(s, what, sizeof(what));
	*fd_out = *shmid_out = -1;
	*late_out = 0;
	if (s->s.flags & TCP_SHMF_ELSEWHERE) {
		say("%s: its content is in the image of another process of a process tree; restore the tree's root "
		    "image",
		    what);
		return -1;
	}
	if (s->s.type == TCP_SHM_SYSV) {
		static int registered;
		if (!registered++)
			atexit(remove_segments);
		*shmid_out = create_sysv(s, image_fd, o, what);
		return *shmid_out < 0 || commit_rmid(*shmid_out) ? -1 : 0; /* removed if the blob fails */
	}
	uint32_t late = 0;
	int fd = create_file_object(s, plan_key, image_fd, floor, o, what, &late);
	if (late && (shared || mapped_writable(img, (size_t)(s - img->shms))))
		*late_out = late;
	else if (late && fd >= 0 && fcntl(fd, F_ADD_SEALS, (int)late)) {
		say("cannot seal %s again with seals %#x: %s", what, late, strerror(errno));
		close(fd);
		return -1;
	}
	if (fd < 0)
		return -1;
	*fd_out = fcntl(fd, F_DUPFD_CLOEXEC, floor);
	close(fd);
	if (*fd_out < 0) {
		say("cannot keep %s open: %s (raise the open-files limit, ulimit -n)", what, strerror(errno));
		return -1;
	}
	if (o->verbose)
		say("recreated %s (%llu bytes, %llu stored)", what, (unsigned long long)s->s.size,
		    (unsigned long long)s->s.data_len);
	return 0;
}

int shm_make_shared(const struct tcp_image *img, uint32_t index, int image_fd, const struct img_shm *named, int floor,
		    const struct restore_opts *o)
{
	struct shared_object *n = realloc(shared, (nshared + 1) * sizeof(*n));
	if (!n)
		return -1;
	shared = n;
	struct shared_object *x = &shared[nshared];
	uint32_t late;
	x->id = img->shms[index].s;
	/* The content from the image that stores it; its name from the process
	 * that maps it by a name that is linked (glibc's sem_open: its creator
	 * maps the temporary name it unlinked, the others the final one). */
	struct img_shm merged = img->shms[index];
	const struct img_shm *key = &img->shms[index];
	if (named && named != key) {
		merged.name = named->name;
		merged.s.flags &= ~TCP_SHMF_DELETED;
		merged.s.mode = named->s.mode;
		if (named->s.size > merged.s.size)
			merged.s.size = named->s.size;
		key = named;
	}
	if (create_one(img, &merged, key, image_fd, floor, o, 1, &x->fd, &x->shmid, &late))
		return -1;
	if (late && o->verbose)
		say("note: shared memory %s of several processes comes back without its seals %#x against new "
		    "writable mappings",
		    merged.name, late);
	nshared++;
	return 0;
}

int shm_create_objects(const struct tcp_image *img, int image_fd, int floor, const struct restore_opts *o)
{
	object_fd = malloc((img->nshms + 1) * sizeof(int));
	object_shmid = malloc((img->nshms + 1) * sizeof(int));
	object_late_seals = calloc(img->nshms + 1, sizeof(uint32_t));
	if (!object_fd || !object_shmid || !object_late_seals)
		return -1;
	for (size_t i = 0; i < img->nshms; i++) {
		nobjects = i + 1;
		const struct shared_object *x = shared_of(&img->shms[i].s);
		if (x) { /* the tree's, made once */
			object_fd[i] = x->fd;
			object_shmid[i] = x->shmid;
			continue;
		}
		if (create_one(img, &img->shms[i], &img->shms[i], image_fd, floor, o, 0, &object_fd[i], &object_shmid[i],
			       &object_late_seals[i]))
			return -1;
	}
	return 0;
}
