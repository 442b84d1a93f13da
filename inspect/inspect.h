/* tcp-inspect: shared declarations of its pieces.
 *   main.c        command line, loading, choice of output
 *   list.c        --list DIR: the images in a directory and their state
 *   text.c        the human-readable report
 *   json.c        the same as one JSON document (json_writer.c escapes)
 *   facts.c       values derived from the image that both outputs print
 *   tree.c        the process tree a root image names (text and JSON)
 *   names.c       names of kinds, flags, signals, limits, XSAVE features
 *   symbolize.c   address -> region, file offset, symbol (cached per file)
 *   elf_symbols.c the ELF reading behind it, for files of any content */
#ifndef TCP_INSPECT_H
#define TCP_INSPECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../image/reader.h"

/* ---- names.c ---- */

/* Called once per name of a decoded flag set, in a fixed order. Bits without
 * a name are reported as one "0x..." item so nothing is silently dropped. */
typedef void (*name_cb)(void *ctx, const char *name);

const char *region_kind_name(uint32_t kind);	/* anon, file, file-shared, heap, ... */
/* "[anon]", "[heap]", "[stack]", "[vdso]", "[vvar]": how a non-file region is shown */
const char *region_label(uint32_t kind);
int region_is_file(uint32_t kind);
void region_perms(const struct tcp_region *r, char out[5]);	/* "r-xp" */
/* The madvise flags kept (TCP_REGF_*) as smaps spells them: "hg dc", or "". */
void region_vmflags(const struct tcp_region *r, char *out, size_t cap);
/* memfd, posix (/dev/shm), anon (MAP_SHARED|MAP_ANONYMOUS), sysv */
const char *shm_type_name(uint32_t type);
/* deleted (POSIX, unlinked), sealable (memfd), removed (System V, IPC_RMID) */
void shm_flag_names(uint32_t flags, name_cb cb, void *ctx);
/* A socket's address as text in buf (common/sockaddr_text.c); NULL for an
 * unnamed one, or a length beyond the image's limit. */
const char *sock_addr_text(const uint8_t *addr, uint32_t len, char *buf, size_t cap);
const char *fd_kind_name(uint32_t kind);	/* regular, inherited, device, deleted */
const char *file_type_name(uint32_t st_mode);	/* regular file, pipe, socket, ... */
/* SIGUSR1, SIGRTMIN+2, SIG32...; buf receives names that are built */
const char *signal_name(int sig, char *buf, size_t len);
const char *rlimit_name(int resource);	/* RLIMIT_CPU ...; NULL if unknown */
const char *itimer_name(int which);	/* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
const char *sched_policy_name(uint32_t policy);	/* SCHED_OTHER, SCHED_FIFO, ... */
/* A thread's CPU affinity as a list, "0-3,8"; "none" if empty. */
void cpu_list(const uint64_t *mask, char *buf, size_t cap);
void open_flag_names(uint32_t flags, uint32_t cloexec, name_cb cb, void *ctx);
void sa_flag_names(uint64_t flags, name_cb cb, void *ctx);
void sigset_names(uint64_t set, name_cb cb, void *ctx);	/* bit n = signal n+1 */
void xfeature_names(uint64_t xfeatures, name_cb cb, void *ctx);

/* ---- facts.c ---- */

/* Bytes of page data the image holds for each region (sum of its extents);
 * malloc'd array of img->nregions entries, NULL if out of memory. */
uint64_t *stored_bytes_per_region(const struct tcp_image *img);
uint64_t mapped_bytes(const struct tcp_image *img);
/* Index of the region containing addr, or -1. */
long find_region(const struct tcp_image *img, uint64_t addr);
/* The checkpoint time as ISO 8601 local time with nanoseconds and UTC offset. */
void format_time(int64_t sec, int64_t nsec, char *buf, size_t len);
/* argv from the NUL-separated cmdline: calls cb for each argument (pointer
 * and length, not NUL-terminated for a truncated last one). Returns 1 if
 * the command line was truncated at checkpoint time. */
int cmdline_args(const struct tcp_process *p, void (*cb)(void *ctx, const char *arg, size_t len), void *ctx);
int sig_disposition_default(const struct tcp_ksigaction *sa);
/* Reads `len` bytes of the checkpointed memory at `addr` from the stored
 * pages of the image (not the mapped files). Returns 0, or -1 if they are
 * not all in the image. */
int read_image_memory(const struct tcp_image *img, uint64_t addr, void *buf, size_t len);
/* Where the thread was interrupted, from the signal frame's ucontext kept
 * in the image; 0 on success. Works for images without a backtrace too. */
int interrupted_ip(const struct tcp_image *img, const struct tcp_thread *t, uint64_t *ip);

/* ---- symbolize.c ---- */

struct sym_info {
	uint64_t addr;
	long region;		/* index in img->regions, -1 if in none */
	const char *file;	/* backing file of a file region, else NULL */
	const char *base;	/* its last path component */
	const char *label;	/* "[anon]", "[heap]", ... for other regions, "[unmapped]" */
	const char *kind;	/* region_kind_name() of the region, or "unmapped" */
	uint64_t file_off;	/* addr's offset in `file` */
	const char *symbol;	/* NULL if none found */
	uint64_t sym_off;	/* addr - start of `symbol` */
};

struct symbolizer;
struct symbolizer *symz_new(const struct tcp_image *img);
/* is_return: addr is a return address (outer frames); it is looked up as
 * addr-1 so a call at the very end of a function is not attributed to the
 * next one, while the offsets printed are still relative to addr. */
void symz_lookup(struct symbolizer *s, uint64_t addr, int is_return, struct sym_info *out);
/* Files whose symbols could not be used, and why (for a note). */
void symz_problems(struct symbolizer *s, void (*cb)(void *ctx, const char *path, const char *why), void *ctx);
void symz_free(struct symbolizer *s);

/* ---- elf_symbols.c ---- */

struct elf_sym {
	uint64_t value, size;
	const char *name;	/* into the string table copy */
	unsigned rank;		/* lower = preferred name among aliases */
};

struct elf_syms {
	struct elf_load { uint64_t off, filesz, vaddr; } *loads;
	size_t nloads;
	struct elf_sym *syms;	/* function symbols, by value then rank */
	size_t nsyms;
	char *strtab;
	const char *table;	/* ".symtab" or ".dynsym" */
};

/* Reads the PT_LOAD map and the function symbols of the ELF file open on fd.
 * Never trusts the file: every offset, size and index is checked against
 * the file size. Returns 0, or -1 with a reason in why. */
int elf_syms_load(int fd, struct elf_syms *out, char *why, size_t whylen);
/* Virtual address (as in the symbol table) of a file offset; 0 if found. */
int elf_off_to_vaddr(const struct elf_syms *e, uint64_t off, uint64_t *vaddr);
const struct elf_sym *elf_sym_lookup(const struct elf_syms *e, uint64_t vaddr);
void elf_syms_free(struct elf_syms *e);

/* ---- text.c, json.c ---- */

struct report {
	const struct tcp_image *img;
	struct symbolizer *symz;
	const uint64_t *stored;	/* stored_bytes_per_region() */
};

int print_text(FILE *out, const struct report *r);
int print_json(FILE *out, const struct report *r);
/* Bytes of the image as printed: control bytes and backslashes escaped
 * (\xNN, \\), so that a crafted name cannot drive the terminal. */
void text_esc(FILE *out, const char *s, size_t n);
/* 0, 8K, 132K, 1.9M, 2.3G */
const char *text_human(uint64_t b, char *buf, size_t len);

/* ---- tree.c: the TREE section, nothing for a single process ---- */

struct jw;
void tree_text(FILE *out, const struct tcp_image *img);
void tree_json(struct jw *w, const struct tcp_image *img);	/* "tree": null without one */

/* ---- list.c: tcp-inspect --list DIR ---- */

/* The generations in an image directory, one line (or JSON object) each.
 * Returns the exit status: 0, or 1 if DIR cannot be read. */
int list_dir(FILE *out, const char *dir, int json);

/* ---- json_writer.c ---- */

/* Minimal streaming writer: keeps track of commas and indentation. */
struct jw {
	FILE *out;
	int depth;
	int first;	/* nothing written yet at this depth */
	int after_key;
};
void jw_init(struct jw *w, FILE *out);
void jw_begin(struct jw *w, char open);	/* '{' or '[' */
void jw_end(struct jw *w, char close);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t len);
void jw_null(struct jw *w);
void jw_bool(struct jw *w, int v);
void jw_uint(struct jw *w, uint64_t v);
void jw_int(struct jw *w, int64_t v);
void jw_hex(struct jw *w, uint64_t v);	/* "0x..." string: 64-bit values do not fit a JSON double */
/* Escapes bytes as JSON requires; invalid UTF-8 bytes become \u00XX. */
void json_escape(FILE *out, const char *s, size_t len);

#endif
