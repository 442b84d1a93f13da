/* Function symbols and the load map of an ELF file, read with pread.
 *
 * The file may hold anything (it is whatever is at the path today), so no
 * value read from it is used before being checked: every table must lie
 * inside the file, every count is bounded, every index is range-checked,
 * and the string table copy ends with a NUL so no name can run off it. */
#include "inspect.h"

#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Large but finite: a hostile header must not make us allocate gigabytes. */
#define MAX_SECTIONS (1u << 20)
#define MAX_TABLE_BYTES (1ull << 30)

struct src {
	int fd;
	uint64_t size;
	char *why;
	size_t whylen;
};

static int bad(struct src *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, s->whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Is [off, off+len) inside the file? Written so nothing can overflow. */
static int inside(const struct src *s, uint64_t off, uint64_t len)
{
	return off <= s->size && len <= s->size - off;
}

static int read_exact(struct src *s, void *buf, uint64_t len, uint64_t off)
{
	if (!inside(s, off, len))
		return bad(s, "not a valid ELF file (a table lies outside the file)");
	uint64_t done = 0;
	while (done < len) {
		ssize_t n = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bad(s, "read error: %s", strerror(errno));
		if (n == 0)
			return bad(s, "the file shrank while being read");
		done += (uint64_t)n;
	}
	return 0;
}

/* malloc'd copy of [off, off+len), with `extra` zero bytes after it. */
static void *read_copy(struct src *s, uint64_t off, uint64_t len, size_t extra)
{
	if (!inside(s, off, len) || len > MAX_TABLE_BYTES) {
		bad(s, "not a valid ELF file (a table lies outside the file)");
		return NULL;
	}
	char *p = malloc((size_t)len + extra + 1);
	if (!p) {
		bad(s, "out of memory");
		return NULL;
	}
	if (read_exact(s, p, len, off)) {
		free(p);
		return NULL;
	}
	memset(p + len, 0, extra + 1);
	return p;
}

static int read_loads(struct src *s, const Elf64_Ehdr *eh, uint64_t phnum, struct elf_syms *e)
{
	if (phnum == 0)
		return 0;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return bad(s, "not a valid ELF file (program header size %u)", eh->e_phentsize);
	Elf64_Phdr *ph = read_copy(s, eh->e_phoff, phnum * sizeof(Elf64_Phdr), 0);
	if (!ph)
		return -1;
	e->loads = calloc(phnum, sizeof(*e->loads));
	if (!e->loads) {
		free(ph);
		return bad(s, "out of memory");
	}
	for (uint64_t i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_filesz)
			e->loads[e->nloads++] = (struct elf_load){ ph[i].p_offset, ph[i].p_filesz, ph[i].p_vaddr };
	free(ph);
	return 0;
}

/* Lower rank = the name shown when several symbols share an address
 * (nanosleep, __nanosleep, __libc_nanosleep): fewer leading underscores
 * first, then global before weak before local. */
static unsigned rank_of(const char *name, unsigned bind)
{
	unsigned u = 0;
	while (name[u] == '_' && u < 7)
		u++;
	unsigned b = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	return u * 4 + b;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Loads the function symbols of symbol table section `idx`; returns how many
 * it found (0 is not an error: the caller falls back to .dynsym). */
static long read_symtab(struct src *s, const Elf64_Shdr *sh, uint64_t shnum, uint64_t idx, struct elf_syms *e)
{
	const Elf64_Shdr *t = &sh[idx];
	if (t->sh_entsize && t->sh_entsize != sizeof(Elf64_Sym))
		return bad(s, "not a valid ELF file (symbol entry size %llu)", (unsigned long long)t->sh_entsize);
	if (t->sh_link >= shnum || sh[t->sh_link].sh_type != SHT_STRTAB)
		return bad(s, "not a valid ELF file (symbol table without a string table)");
	const Elf64_Shdr *st = &sh[t->sh_link];
	uint64_t count = t->sh_size / sizeof(Elf64_Sym);
	Elf64_Sym *syms = read_copy(s, t->sh_offset, count * sizeof(Elf64_Sym), 0);
	if (!syms)
		return -1;
	/* The extra NUL terminates a last name that the file left open. */
	char *str = read_copy(s, st->sh_offset, st->sh_size, 1);
	if (!str) {
		free(syms);
		return -1;
	}
	struct elf_sym *out = malloc((count ? count : 1) * sizeof(*out));
	if (!out) {
		free(syms);
		free(str);
		return bad(s, "out of memory");
	}
	size_t n = 0;
	for (uint64_t i = 0; i < count; i++) {
		const Elf64_Sym *y = &syms[i];
		/* Undefined symbols (imports) have no address in this file. */
		if (ELF64_ST_TYPE(y->st_info) != STT_FUNC || y->st_shndx == SHN_UNDEF || y->st_value == 0 ||
		    y->st_name == 0 || y->st_name >= st->sh_size)
			continue;
		const char *name = str + y->st_name;
		out[n++] = (struct elf_sym){ y->st_value, y->st_size, name, rank_of(name, ELF64_ST_BIND(y->st_info)) };
	}
	free(syms);
	if (n == 0) {
		free(out);
		free(str);
		return 0;
	}
	qsort(out, n, sizeof(*out), cmp_sym);
	e->syms = out;
	e->nsyms = n;
	e->strtab = str;
	e->table = t->sh_type == SHT_SYMTAB ? ".symtab" : ".dynsym";
	return (long)n;
}

/* The first table of this type that has function symbols: their count,
 * 0 if none has, -1 if a damaged one stopped the search. */
static long find_table(struct src *s, const Elf64_Shdr *sh, uint64_t shnum, uint32_t type, struct elf_syms *e)
{
	for (uint64_t i = 0; i < shnum; i++) {
		if (sh[i].sh_type != type)
			continue;
		long n = read_symtab(s, sh, shnum, i, e);
		if (n)
			return n;
	}
	return 0;
}

static int load(struct src *s, struct elf_syms *e)
{
	struct stat st;
	if (fstat(s->fd, &st))
		return bad(s, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return bad(s, "not a regular file");
	s->size = (uint64_t)st.st_size;

	Elf64_Ehdr eh;
	if (s->size < sizeof(eh) || read_exact(s, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG))
		return bad(s, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(s, "not a 64-bit little-endian ELF file");

	/* Section 0 holds the real counts when they do not fit the header
	 * (PN_XNUM program headers, 0 sections with a nonzero offset). */
	Elf64_Shdr sh0;
	int have_sh0 = eh.e_shoff && eh.e_shentsize == sizeof(Elf64_Shdr) &&
		       inside(s, eh.e_shoff, sizeof(sh0)) && !read_exact(s, &sh0, sizeof(sh0), eh.e_shoff);
	uint64_t phnum = eh.e_phnum, shnum = eh.e_shnum;
	if (phnum == PN_XNUM)
		phnum = have_sh0 ? sh0.sh_info : 0;
	if (shnum == 0 && have_sh0)
		shnum = sh0.sh_size;
	if (read_loads(s, &eh, phnum, e))
		return -1;
	if (!e->nloads)
		return bad(s, "no loadable segments");

	if (!eh.e_shoff || shnum == 0)
		return bad(s, "no section headers (no symbols)");
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || shnum > MAX_SECTIONS)
		return bad(s, "not a valid ELF file (section headers)");
	Elf64_Shdr *sh = read_copy(s, eh.e_shoff, shnum * sizeof(Elf64_Shdr), 0);
	if (!sh)
		return -1;
	/* .symtab has every function (static ones too); stripped files only
	 * keep .dynsym, the exported ones. */
	long found = find_table(s, sh, shnum, SHT_SYMTAB, e);
	if (found <= 0)
		found = find_table(s, sh, shnum, SHT_DYNSYM, e);
	free(sh);
	if (found < 0)
		return -1;
	if (found == 0)
		return bad(s, "no function symbols (stripped)");
	return 0;
}

int elf_syms_load(int fd, struct elf_syms *out, char *why, size_t whylen)
{
	struct src s = { .fd = fd, .why = why, .whylen = whylen };
	memset(out, 0, sizeof(*out));
	if (load(&s, out)) {
		elf_syms_free(out);
		return -1;
	}
	return 0;
}

int elf_off_to_vaddr(const struct elf_syms *e, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < e->nloads; i++) {
		const struct elf_load *l = &e->loads[i];
		if (off >= l->off && off - l->off < l->filesz) {
			*vaddr = l->vaddr + (off - l->off);
			return 0;
		}
	}
	return -1;
}

/* How many address groups below the nearest one are searched for a sized
 * symbol that still contains the address (nested or overlapping symbols);
 * bounded so a lookup in a gap stays cheap. */
#define LOOKBACK 16

const struct elf_sym *elf_sym_lookup(const struct elf_syms *e, uint64_t vaddr)
{
	/* i = number of symbols with value <= vaddr */
	size_t lo = 0, hi = e->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->syms[mid].value <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t i = lo;
	for (int group = 0; i > 0 && group < LOOKBACK; group++) {
		uint64_t v = e->syms[i - 1].value;
		size_t g = i - 1;	/* first symbol of this address group */
		while (g > 0 && e->syms[g - 1].value == v)
			g--;
		const struct elf_sym *unsized = NULL;
		for (size_t k = g; k < i; k++) {	/* in rank order */
			const struct elf_sym *y = &e->syms[k];
			if (y->size && vaddr - y->value < y->size)
				return y;
			if (!y->size && !unsized)
				unsized = y;
		}
		/* A size-0 symbol covers up to the next symbol, so it only
		 * counts when it is the nearest one below. */
		if (group == 0 && unsized)
			return unsized;
		i = g;
	}
	return NULL;
}

void elf_syms_free(struct elf_syms *e)
{
	free(e->loads);
	free(e->syms);
	free(e->strtab);
	memset(e, 0, sizeof(*e));
}
