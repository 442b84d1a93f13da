/* What the hosted stage of tcp-restore hands to the freestanding blob. It
 * lives inside the blob's own mapping, with every pointer-like field an
 * absolute address or an offset from the start of this struct. */
#ifndef TCP_BLOB_ARGS_H
#define TCP_BLOB_ARGS_H

#include <stdint.h>
#include "../image/checksum.h"

struct blob_region {
	uint64_t start, end, offset;
	uint32_t prot, kind, flags;
	int32_t fd;		/* backing file, opened by the hosted stage; -1 if anonymous */
	uint32_t needs_write;	/* pages will be read in: map writable, then mprotect */
	int32_t shmid;		/* TCP_REG_SHM of a System V segment: attach this one, else -1 */
	uint64_t shm_len;	/* first region of a SysV attachment: the bytes shmat maps at
				 * start - offset (the parts no region covers are unmapped) */
	uint32_t shm_flags;	/* shmat flags (SHM_RDONLY, SHM_EXEC) */
	uint32_t shm_rmid;	/* mark the segment IPC_RMID once attached */
	uint32_t late_seals;	/* F_ADD_SEALS on fd once every region is mapped */
	uint32_t reserved0;
};

/* Where one run of pages comes from. */
enum blob_extent_mode {
	BLOB_EXT_PREAD = 0,	/* pread(fd, file_off): read straight into place */
	BLOB_EXT_STREAM = 1,	/* read(fd) sequentially: the next len bytes of a stream
				 * (a decompressor's pipe); extents come in stream order */
	BLOB_EXT_MAP = 2,	/* mmap(fd, file_off) MAP_PRIVATE|MAP_FIXED: loaded on first
				 * touch (tcp-restore --lazy); no checksum in the blob */
	BLOB_EXT_PREREAD = 3,	/* read already by one of the pre-reads (merge_reads.h) */
};

struct blob_extent {
	uint64_t addr, len, file_off;
	int32_t fd;		/* the image file (or a parent image, or a pipe) */
	uint32_t mode;		/* enum blob_extent_mode */
	uint32_t map_flags;	/* BLOB_EXT_MAP: more mmap flags (the region's MAP_NORESERVE) */
	uint32_t reserved0;
};

/* The checksum of one PAGES section, started by the hosted stage over what
 * it read (head and run table) and finished by the blob over the pages once
 * they are in place: the image is read once. */
struct blob_pages_sum {
	struct csum state;
	uint64_t expect;
	uint64_t sec_off;	/* for the message */
	uint32_t first_extent, nextents;
};

struct blob_move {		/* a piece of the vdso block: [vvar], [vvar_vclock], [vdso] */
	uint64_t from, len, to;
};

struct blob_prctl_mm_map {	/* the kernel's struct prctl_mm_map */
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv;
	uint32_t auxv_size;
	uint32_t exe_fd;
};

/* A thread other than the one the blob runs on: created with its own tid,
 * thread pointer and resume context. */
struct blob_thread {
	int32_t tid;
	uint32_t reserved0;
	uint64_t fs_base;
	uint64_t ctx[8];	/* rbx rbp r12 r13 r14 r15 rsp rip */
};

struct blob_unmap {
	uint64_t start, end;
};

#define BLOB_MAX_MOVES 4
#define BLOB_MAX_UNMAPS 8

struct blob_args {
	uint64_t self_start, self_len;	/* the blob mapping: left alone, freed by libtcp */
	int32_t image_fd;
	int32_t close_from;		/* close every fd >= this one before jumping */
	int32_t report_fd;		/* tcp-restore's own stderr, for fatal errors (>= close_from) */
	int32_t reserved2;
	uint32_t nregions, nextents, nmoves, nunmaps;
	uint32_t nthreads, reserved0;		/* threads to create besides this one */
	uint64_t regions_off, extents_off;	/* from the start of this struct */
	uint64_t threads_off;
	uint32_t nsums, reserved1;
	uint64_t sums_off;
	uint64_t env_off, env_len;		/* new job's variables, "NAME=value\0..." */
	struct blob_unmap unmaps[BLOB_MAX_UNMAPS];
	struct blob_move moves[BLOB_MAX_MOVES];
	uint64_t temp_base;		/* where the vdso block waits if its target overlaps it */
	uint32_t moves_via_temp;
	uint32_t exe_fd;
	struct blob_prctl_mm_map mm;
	uint64_t auxv[128];
	struct { uint64_t cur, max; } rlimits[16];
	uint64_t fs_base;
	uint64_t ctx[8];		/* rbx rbp r12 r13 r14 r15 rsp rip */
	uint64_t resume_slot;		/* struct tcp_resume_slot in the app */
	int64_t status_id;		/* for tcp_resume_slot.status_id */
	char image_path[512];		/* for messages */
	/* Pages read from older images of an incremental chain: checked
	 * against those images' hashes once in place (their sections' checksums
	 * cover whole sections, which are only partly read). */
	uint32_t nchecks, reserved3;
	uint64_t checks_off;		/* nchecks blob_page_check */
	/* Reads done before the extents' (BLOB_EXT_PREAD, each covering
	 * several BLOB_EXT_PREREAD extents and the pages between them, which
	 * the extents read after it then overwrite: restore/merge_reads.h). */
	uint32_t nprereads, reserved4;
	uint64_t prereads_off;		/* nprereads blob_extent */
	/* The restore's visible changes, made at the very end (restore/commit.c,
	 * blob/commit.c), or undone if the restore fails before. */
	uint32_t nacts, reserved5;
	uint64_t acts_off;		/* nacts blob_act */
	/* tcp-restore -v: how the page reads are shown on report_fd (blob.c
	 * read_pages). */
	uint32_t progress;		/* enum blob_progress */
	uint32_t reserved6;
	/* A process of a tree (restore/tree/): the area all its processes share
	 * (restore/tree/area.h), mapped inside this mapping and unmapped before
	 * the program runs; 0 for a single process. */
	uint64_t tree_area, tree_area_len;
};

enum blob_progress {
	BLOB_PROGRESS_NONE = 0,
	BLOB_PROGRESS_SUMMARY = 1,	/* one line once the pages are in */
	BLOB_PROGRESS_LIVE = 2,		/* report_fd is a terminal: a line updated in place, then the summary */
};

enum blob_act_type {
	BLOB_ACT_MKDIR = 1,	/* make the directory `name` (a path; refused if anything is there) with
				 * `mode` and group `gid`: a UNIX socket's, gone since the checkpoint */
	BLOB_ACT_LINK = 2,	/* link `tmp` as `name` in dirfd (refused if name exists), then drop tmp */
	BLOB_ACT_EXCHANGE = 3,	/* swap `tmp` and `name` in dirfd; what was at name must be (dev, ino),
				 * and is dropped */
	BLOB_ACT_MOVE = 4,	/* rename `tmp` of dirfd to the path `name` from dirfd (refused if
				 * anything is there): a session directory's object, its
				 * directories made first */
	BLOB_ACT_BIND = 5,	/* bind fd to the UNIX path in addr, then listen(backlog) if listen; a
				 * stale socket file (dev, ino) at that path (ino != 0) is removed first */
	BLOB_ACT_CONNECT = 6,	/* connect fd to addr (after every bind) */
	BLOB_ACT_TRUNCATE = 7,	/* ftruncate(fd, size): an output file rolled back */
	BLOB_ACT_RMID = 8,	/* only if the restore fails: remove System V segment `fd` (a shmid) */
	BLOB_ACT_DRAIN = 9,	/* last, if anything was changed: read the events queued on inotify fd
				 * `fd` (it was empty at the checkpoint: they are the restore's own) */
};

struct blob_act {
	uint32_t type;		/* enum blob_act_type */
	int32_t fd;
	int32_t dirfd;
	uint32_t listen, backlog;
	uint32_t addr_len;
	uint32_t mode, gid;	/* MKDIR */
	uint64_t size;
	uint64_t dev, ino;
	char tmp[64];		/* LINK, EXCHANGE, MOVE: the hidden temporary name */
	union {
		char name[256];	/* LINK, EXCHANGE: the final name (one component, NUL-terminated);
				 * MKDIR: the directory's path; MOVE: the object's path from dirfd */
		uint8_t addr[128];	/* BIND, CONNECT: the socket address */
	};
};

struct blob_page_check {
	uint32_t extent;		/* index of the extent it checks */
	uint32_t reserved0;
	uint64_t hashes_off;		/* from the start of blob_args: npages struct page_hash */
};

#endif
