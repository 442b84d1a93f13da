#include "elf_buildid.h"
#include "fstr.h"
#include <elf.h>

uint32_t elf_build_id(const void *base, uint64_t len, uint8_t *out, uint32_t cap)
{
	const unsigned char *b = base;
	Elf64_Ehdr eh;
	if (len < sizeof(eh))
		return 0;
	f_memcpy(&eh, b, sizeof(eh));
	if (!f_memeq(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		f_memcpy(&ph, b + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		/* Notes are read at their file offset: the first mapping starts at
		 * offset 0, so file offset = offset in this mapping. */
		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		uint64_t pos = ph.p_offset, end = ph.p_offset + ph.p_filesz;
		while (end - pos >= sizeof(Elf64_Nhdr)) {
			Elf64_Nhdr nh;
			f_memcpy(&nh, b + pos, sizeof(nh));
			uint64_t name = (nh.n_namesz + 3ull) & ~3ull, desc = (nh.n_descsz + 3ull) & ~3ull;
			pos += sizeof(nh);
			if (name > end - pos || desc > end - pos - name)
				break;
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && f_memeq(b + pos, "GNU", 4) &&
			    nh.n_descsz <= cap) {
				f_memcpy(out, b + pos + name, nh.n_descsz);
				return nh.n_descsz;
			}
			pos += name + desc;
		}
	}
	return 0;
}
