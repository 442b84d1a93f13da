#include "smaps_flags.h"
#include "fstr.h"
#include "maps_parse.h"
#include "../image/format.h"

int smaps_is_field(const char *line, size_t len)
{
	return len > 0 && line[0] >= 'A' && line[0] <= 'Z';
}

/* Two-letter mnemonics of fs/proc/task_mmu.c's show_smap_vma_flags. */
static const struct {
	char name[3];
	uint32_t flag;
} kept[] = {
	{ "hg", TCP_REGF_HUGEPAGE },  { "nh", TCP_REGF_NOHUGEPAGE }, { "dd", TCP_REGF_DONTDUMP },
	{ "wf", TCP_REGF_WIPEONFORK }, { "dc", TCP_REGF_DONTFORK },	  { "mg", TCP_REGF_MERGEABLE },
	{ "nr", TCP_REGF_NORESERVE }, { "lo", TCP_REGF_LOCKED },	  { "lf", TCP_REGF_LOCKONFAULT },
};

const char *smaps_flag_name(uint32_t flag)
{
	for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
		if (kept[k].flag == flag)
			return kept[k].name;
	return 0;
}

int smaps_vmflags(const char *line, size_t len, uint32_t *flags)
{
	static const char key[] = "VmFlags:";
	if (len < sizeof(key) - 1 || !f_memeq(line, key, sizeof(key) - 1))
		return 0;
	uint32_t out = 0;
	for (size_t i = sizeof(key) - 1; i < len;) {
		while (i < len && line[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && line[i] != ' ')
			i++;
		if (i - start != 2)
			continue;
		for (size_t k = 0; k < sizeof(kept) / sizeof(kept[0]); k++)
			if (line[start] == kept[k].name[0] && line[start + 1] == kept[k].name[1])
				out |= kept[k].flag;
	}
	*flags = out;
	return 1;
}

/* "KEY:   N kB": adds N to *kb. */
static void add_kb(const char *line, size_t len, const char *key, uint64_t *kb)
{
	size_t k = f_strlen(key);
	if (len < k || !f_memeq(line, key, k))
		return;
	size_t i = k;
	while (i < len && line[i] == ' ')
		i++;
	uint64_t v = 0;
	while (i < len && line[i] >= '0' && line[i] <= '9')
		v = v * 10 + (uint64_t)(line[i++] - '0');
	*kb += v;
}

long smaps_next_anon(const char *buf, size_t len, size_t *pos, const char **header, uint32_t *flags,
		     uint64_t *anon_kb)
{
	long hlen = -1;
	const char *line;
	long n;
	*flags = 0;
	if (anon_kb)
		*anon_kb = 0;
	for (size_t at = *pos; (n = maps_next_line(buf, len, pos, &line)) >= 0; at = *pos) {
		if (!smaps_is_field(line, (size_t)n)) {
			if (hlen >= 0) {
				*pos = at; /* the next mapping's header */
				break;
			}
			*header = line;
			hlen = n;
		} else if (hlen >= 0) {
			smaps_vmflags(line, (size_t)n, flags);
			if (anon_kb) {
				add_kb(line, (size_t)n, "Anonymous:", anon_kb);
				add_kb(line, (size_t)n, "Swap:", anon_kb);
			}
		}
	}
	return hlen;
}

long smaps_next(const char *buf, size_t len, size_t *pos, const char **header, uint32_t *flags)
{
	return smaps_next_anon(buf, len, pos, header, flags, 0);
}
