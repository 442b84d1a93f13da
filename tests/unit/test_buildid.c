/* elf_build_id() on this test binary and on hand-made ELF images. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/elf_buildid.h"

static uint8_t *exe;
static size_t exe_len;

static void load_exe(void)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	exe_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	exe = malloc(exe_len);
	cr_assert_eq(fread(exe, 1, exe_len, f), exe_len);
	fclose(f);
}

/* Independent reference: finds the .note.gnu.build-id section through the
 * section headers (elf_build_id walks program headers instead). Returns the
 * descriptor's length and its offset in the file through *desc_off. */
static uint32_t build_id_from_sections(uint64_t *desc_off)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)exe;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(exe + eh->e_shoff);
	const char *names = (const char *)exe + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_NOTE || strcmp(names + sh[i].sh_name, ".note.gnu.build-id"))
			continue;
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(exe + sh[i].sh_offset);
		cr_assert_eq(nh->n_type, NT_GNU_BUILD_ID);
		*desc_off = sh[i].sh_offset + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
		return nh->n_descsz;
	}
	return 0;
}

Test(buildid, this_binary)
{
	load_exe();
	uint64_t off;
	uint32_t ref = build_id_from_sections(&off);
	cr_assert_eq(ref, 20, "test binary has no 20-byte build-id (linked without --build-id?)");

	uint8_t id[64];
	memset(id, 0, sizeof(id));
	uint64_t len = exe_len < 65536 ? exe_len : 65536;
	cr_assert_eq(elf_build_id(exe, len, id, sizeof(id)), 20);
	cr_assert_arr_eq(id, exe + off, 20);
	static const uint8_t zero[20];
	cr_assert_arr_neq(id, zero, 20);
	/* Nothing is written past the id. */
	for (size_t i = 20; i < sizeof(id); i++)
		cr_assert_eq(id[i], 0);

	/* A buffer too small for the id gives 0, an exact one works. */
	cr_assert_eq(elf_build_id(exe, len, id, 19), 0);
	cr_assert_eq(elf_build_id(exe, len, id, 20), 20);
	free(exe);
}

Test(buildid, truncated_prefixes)
{
	/* Each prefix either yields the full, correct id or 0; never a partial
	 * one, and never an id whose bytes lie outside the prefix. */
	load_exe();
	uint64_t off;
	cr_assert_eq(build_id_from_sections(&off), 20);
	uint64_t max = exe_len < 65536 ? exe_len : 65536;
	uint8_t id[32];
	int found = 0;
	for (uint64_t len = 0; len <= max; len++) {
		uint32_t n = elf_build_id(exe, len, id, sizeof(id));
		if (len < off + 20)
			cr_assert_eq(n, 0, "prefix of %llu bytes", (unsigned long long)len);
		else if (n) {
			cr_assert_eq(n, 20);
			cr_assert_arr_eq(id, exe + off, 20);
			found = 1;
		}
	}
	cr_assert(found);
	free(exe);
}

/* A minimal ELF: header, one PT_NOTE program header, then `notes`. */
static size_t make_elf(uint8_t *buf, const void *notes, size_t notes_len)
{
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 1;
	Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = sizeof(eh) + sizeof(ph), .p_filesz = notes_len, .p_align = 4 };
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + sizeof(eh) + sizeof(ph), notes, notes_len);
	return sizeof(eh) + sizeof(ph) + notes_len;
}

/* Appends one note; returns the new length. */
static size_t add_note(uint8_t *p, size_t len, uint32_t type, const char *name, const void *desc, uint32_t dlen)
{
	Elf64_Nhdr nh = { .n_namesz = (uint32_t)strlen(name) + 1, .n_descsz = dlen, .n_type = type };
	memcpy(p + len, &nh, sizeof(nh));
	len += sizeof(nh);
	memset(p + len, 0, (nh.n_namesz + 3) & ~3u);
	memcpy(p + len, name, nh.n_namesz);
	len += (nh.n_namesz + 3) & ~3u;
	memset(p + len, 0, (dlen + 3) & ~3u);
	memcpy(p + len, desc, dlen);
	return len + ((dlen + 3) & ~3u);
}

static const uint8_t want[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

Test(buildid, synthetic_skips_other_notes)
{
	uint8_t notes[256], elf[512], id[32];
	size_t n = 0;
	n = add_note(notes, n, 1 /* NT_GNU_ABI_TAG */, "GNU", "\0\0\0\0\3\0\0\0\2\0\0\0\0\0\0\0", 16);
	n = add_note(notes, n, NT_GNU_BUILD_ID, "Go", "xxxx", 4);	/* right type, wrong owner */
	n = add_note(notes, n, NT_GNU_BUILD_ID, "GNU", want, sizeof(want));
	size_t len = make_elf(elf, notes, n);
	cr_assert_eq(elf_build_id(elf, len, id, sizeof(id)), sizeof(want));
	cr_assert_arr_eq(id, want, sizeof(want));
	/* One byte short of the segment: not found. */
	cr_assert_eq(elf_build_id(elf, len - 1, id, sizeof(id)), 0);
}

Test(buildid, synthetic_malformed)
{
	uint8_t notes[64], elf[256], id[32];
	size_t n = add_note(notes, 0, NT_GNU_BUILD_ID, "GNU", want, sizeof(want));
	size_t len = make_elf(elf, notes, n);
	cr_assert_eq(elf_build_id(elf, len, id, sizeof(id)), sizeof(want)); /* the base case works */

	uint8_t bad[256];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)bad;
	Elf64_Phdr *ph = (Elf64_Phdr *)(bad + sizeof(*eh));
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(bad + sizeof(*eh) + sizeof(*ph));

#define EXPECT_NONE(mutation)                                                               \
	do {                                                                                \
		memcpy(bad, elf, len);                                                      \
		mutation;                                                                   \
		cr_expect_eq(elf_build_id(bad, len, id, sizeof(id)), 0, "%s", #mutation); \
	} while (0)

	EXPECT_NONE(bad[0] = 0);			/* bad magic */
	EXPECT_NONE(eh->e_ident[EI_CLASS] = ELFCLASS32);
	EXPECT_NONE(eh->e_phentsize = 32);
	EXPECT_NONE(eh->e_phoff = 1u << 30);
	EXPECT_NONE(eh->e_phoff = UINT64_MAX);
	EXPECT_NONE(eh->e_phnum = 60);			/* headers past the buffer */
	EXPECT_NONE(ph->p_type = PT_LOAD);
	EXPECT_NONE(ph->p_offset = UINT64_MAX);
	EXPECT_NONE(ph->p_filesz = UINT64_MAX);
	EXPECT_NONE(ph->p_filesz = len);		/* segment past the buffer */
	EXPECT_NONE(nh->n_descsz = 0xfffffff0u);	/* note past the segment */
	EXPECT_NONE(nh->n_namesz = 0xfffffffdu);
	EXPECT_NONE(nh->n_type = 4);
	EXPECT_NONE(memcpy(nh + 1, "GNX", 4));
#undef EXPECT_NONE

	/* Garbage and tiny inputs. */
	uint8_t junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	cr_assert_eq(elf_build_id(junk, sizeof(junk), id, sizeof(id)), 0);
	cr_assert_eq(elf_build_id(elf, 0, id, sizeof(id)), 0);
	cr_assert_eq(elf_build_id(elf, sizeof(Elf64_Ehdr) - 1, id, sizeof(id)), 0);
	/* Header alone: the program headers are missing. */
	cr_assert_eq(elf_build_id(elf, sizeof(Elf64_Ehdr), id, sizeof(id)), 0);
}
