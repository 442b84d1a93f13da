/* smaps_next() and smaps_vmflags() on /proc/PID/smaps text: which madvise
 * flags are kept, and the mapping boundaries found among field lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/smaps_flags.h"
#include "image/format.h"

static uint32_t flags_of(const char *line)
{
	uint32_t f = 0xdeadbeef;
	cr_assert_eq(smaps_vmflags(line, strlen(line), &f), 1, "not taken as VmFlags: %s", line);
	return f;
}

Test(smaps, vmflags_kept)
{
	cr_assert_eq(flags_of("VmFlags: rd wr mr mw me ac sd"), 0);
	cr_assert_eq(flags_of("VmFlags: rd wr mr mw me ac sd hg"), TCP_REGF_HUGEPAGE);
	cr_assert_eq(flags_of("VmFlags: rd wr mr mw me nr nh dd"),
		     TCP_REGF_NORESERVE | TCP_REGF_NOHUGEPAGE | TCP_REGF_DONTDUMP);
	cr_assert_eq(flags_of("VmFlags: wf dc mg "), TCP_REGF_WIPEONFORK | TCP_REGF_DONTFORK | TCP_REGF_MERGEABLE);
	cr_assert_eq(flags_of("VmFlags: rd wr lo"), TCP_REGF_LOCKED);
	cr_assert_eq(flags_of("VmFlags: rd wr lo lf"), TCP_REGF_LOCKED | TCP_REGF_LOCKONFAULT);
	cr_assert_eq(flags_of("VmFlags:"), 0);
}

Test(smaps, vmflags_only_whole_tokens)
{
	/* "hgx" or a glued "dchg" is no flag; an unknown mnemonic is ignored. */
	cr_assert_eq(flags_of("VmFlags: hgx dchg zz h"), 0);
	cr_assert_eq(flags_of("VmFlags:  hg  "), TCP_REGF_HUGEPAGE);
}

Test(smaps, other_lines_are_not_vmflags)
{
	uint32_t f = 7;
	cr_assert_eq(smaps_vmflags("Rss:                 4 kB", 25, &f), 0);
	cr_assert_eq(smaps_vmflags("VmFlag", 6, &f), 0);
	cr_assert_eq(f, 7);
	cr_assert(smaps_is_field("THPeligible:    0", 17));
	cr_assert(!smaps_is_field("7f0000000000-7f0000001000 rw-p 00000000 00:00 0", 48));
	cr_assert(!smaps_is_field("", 0));
}

Test(smaps, walks_mappings)
{
	static const char text[] =
		"55f82ed2d000-55f82ed32000 r-xp 00002000 fe:00 247134     /usr/bin/cat\n"
		"Size:                 20 kB\n"
		"VmFlags: rd ex mr mw me sd \n"
		"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
		"Size:               4096 kB\n"
		"AnonHugePages:      2048 kB\n"
		"VmFlags: rd wr mr mw me ac sd hg wf\n"
		"7f0000400000-7f0000401000 rw-p 00000000 00:00 0\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]\n"
		"VmFlags: rd wr mr mw me gd ac dd";
	size_t pos = 0;
	const char *h;
	uint32_t f;
	long n = smaps_next(text, sizeof(text) - 1, &pos, &h, &f);
	cr_assert(n > 0 && !strncmp(h, "55f82ed2d000-", 13));
	cr_assert_eq(f, 0);
	n = smaps_next(text, sizeof(text) - 1, &pos, &h, &f);
	cr_assert(n > 0 && !strncmp(h, "7f0000000000-", 13));
	cr_assert_eq(f, TCP_REGF_HUGEPAGE | TCP_REGF_WIPEONFORK);
	n = smaps_next(text, sizeof(text) - 1, &pos, &h, &f);
	cr_assert(n > 0 && !strncmp(h, "7f0000400000-", 13), "a header without fields (maps text) is a mapping too");
	cr_assert_eq(f, 0);
	n = smaps_next(text, sizeof(text) - 1, &pos, &h, &f);
	cr_assert(n > 0 && !strncmp(h, "7ffd00000000-", 13));
	cr_assert_eq(h[n - 1], ']');
	cr_assert_eq(f, TCP_REGF_DONTDUMP);
	cr_assert_eq(smaps_next(text, sizeof(text) - 1, &pos, &h, &f), -1);
}

/* tcp-inspect prints the names back: each named bit parses to itself, and
 * together the names cover every VmFlags bit of TCP_REGF_KNOWN. */
Test(smaps, flag_names_round_trip)
{
	uint32_t named = 0;
	cr_assert_str_eq(smaps_flag_name(TCP_REGF_HUGEPAGE), "hg");
	cr_assert_null(smaps_flag_name(TCP_REGF_HUGEPAGE | TCP_REGF_DONTDUMP), "one bit at a time");
	for (int k = 0; k < 32; k++) {
		const char *name = smaps_flag_name((uint32_t)1 << k);
		if (!name)
			continue;
		char line[32];
		uint32_t f = 0;
		snprintf(line, sizeof(line), "VmFlags: rd %s wr", name);
		cr_assert(smaps_vmflags(line, strlen(line), &f));
		cr_assert_eq(f, (uint32_t)1 << k, "%s", name);
		named |= f;
	}
	cr_assert_eq(named, TCP_REGF_KNOWN & ~(uint32_t)(TCP_REGF_HUGEPAGE - 1), "bits below hg are not VmFlags");
}

/* The writer's expected total (its progress): Anonymous plus Swap of each
 * mapping, not AnonHugePages (part of Anonymous) nor SwapPss. */
Test(smaps, anonymous_and_swap)
{
	static const char text[] =
		"7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
		"Size:               4096 kB\n"
		"Anonymous:          3072 kB\n"
		"AnonHugePages:      2048 kB\n"
		"Swap:                512 kB\n"
		"SwapPss:             512 kB\n"
		"VmFlags: rd wr mr mw me ac sd hg\n"
		"7f0000400000-7f0000401000 rw-p 00000000 00:00 0\n"
		"55f82ed2d000-55f82ed32000 r-xp 00002000 fe:00 247134     /usr/bin/cat\n"
		"Anonymous:             0 kB\n";
	size_t pos = 0;
	const char *h;
	uint32_t f;
	uint64_t kb = 99;
	cr_assert(smaps_next_anon(text, sizeof(text) - 1, &pos, &h, &f, &kb) > 0);
	cr_assert_eq(kb, 3584);
	cr_assert_eq(f, TCP_REGF_HUGEPAGE);
	cr_assert(smaps_next_anon(text, sizeof(text) - 1, &pos, &h, &f, &kb) > 0);
	cr_assert_eq(kb, 0, "maps text: nothing known");
	cr_assert(smaps_next_anon(text, sizeof(text) - 1, &pos, &h, &f, &kb) > 0);
	cr_assert_eq(kb, 0);
	cr_assert_eq(smaps_next_anon(text, sizeof(text) - 1, &pos, &h, &f, &kb), -1);
}
