/* maps_parse_line() and maps_next_line() on /proc/PID/maps text. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/maps_parse.h"

static struct maps_entry e;

/* Parses a NUL-terminated line; fills `e` with a canary first so that a
 * parser that forgets a field is caught. */
static int parse(const char *line)
{
	memset(&e, 0xa5, sizeof(e));
	return maps_parse_line(line, strlen(line), &e);
}

Test(maps, file_mapping)
{
	cr_assert_eq(parse("55f82ed2d000-55f82ed32000 r-xp 00002000 fe:00 247134                     /usr/bin/cat"), 0);
	cr_assert_eq(e.start, 0x55f82ed2d000ull);
	cr_assert_eq(e.end, 0x55f82ed32000ull);
	cr_assert_eq(e.prot, 1 | 4);
	cr_assert_eq(e.shared, 0);
	cr_assert_eq(e.offset, 0x2000ull);
	cr_assert_eq(e.dev_major, 0xfe);
	cr_assert_eq(e.dev_minor, 0);
	cr_assert_eq(e.inode, 247134ull);
	cr_assert_str_eq(e.path, "/usr/bin/cat");
}

Test(maps, hex_device_and_offset)
{
	/* Device numbers are hex (08:1a), the inode decimal, the offset hex. */
	cr_assert_eq(parse("7f0000000000-7f0000001000 rw-p 001d3000 08:1a 9876543210 /lib/x.so"), 0);
	cr_assert_eq(e.prot, 1 | 2);
	cr_assert_eq(e.offset, 0x1d3000ull);
	cr_assert_eq(e.dev_major, 8);
	cr_assert_eq(e.dev_minor, 0x1a);
	cr_assert_eq(e.inode, 9876543210ull);
}

Test(maps, anonymous)
{
	/* The kernel ends anonymous lines right after the inode, sometimes with a space. */
	cr_assert_eq(parse("7f453cc5d000-7f453cc7f000 rw-p 00000000 00:00 0"), 0);
	cr_assert_str_eq(e.path, "");
	cr_assert_eq(e.inode, 0);
	cr_assert_eq(e.prot, 3);
	cr_assert_eq(parse("7f453cc5d000-7f453cc7f000 ---p 00000000 00:00 0 "), 0);
	cr_assert_str_eq(e.path, "");
	cr_assert_eq(e.prot, 0);
}

Test(maps, special_names)
{
	static const char *names[] = { "[heap]", "[stack]", "[vdso]", "[vvar]", "[vvar_vclock]" };
	char line[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "7ffd1000-7ffd3000 r-xp 00000000 00:00 0                          %s",
			 names[i]);
		cr_assert_eq(parse(line), 0, "%s", line);
		cr_assert_str_eq(e.path, names[i]);
		cr_assert_eq(e.start, 0x7ffd1000ull);
		cr_assert_eq(e.end, 0x7ffd3000ull);
	}
}

Test(maps, vsyscall_large_addresses)
{
	cr_assert_eq(parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]"), 0);
	cr_assert_eq(e.start, 0xffffffffff600000ull);
	cr_assert_eq(e.end, 0xffffffffff601000ull);
	cr_assert_eq(e.prot, 4);
	cr_assert_str_eq(e.path, "[vsyscall]");
	/* The largest value that fits in 64 bits is still accepted. */
	cr_assert_eq(parse("fffffffffffff000-ffffffffffffffff r--p 0 0:0 0"), 0);
	cr_assert_eq(e.end, UINT64_MAX);
}

Test(maps, path_with_spaces_and_deleted)
{
	cr_assert_eq(parse("1000-2000 rw-s 00000000 00:05 42 /tmp/my file  with spaces"), 0);
	cr_assert_str_eq(e.path, "/tmp/my file  with spaces");
	cr_assert_eq(e.shared, 1);
	cr_assert_eq(parse("1000-2000 r--p 00000000 00:05 42   /tmp/gone (deleted)"), 0);
	cr_assert_str_eq(e.path, "/tmp/gone (deleted)");
	cr_assert_eq(e.shared, 0);
}

Test(maps, shared_flag)
{
	cr_assert_eq(parse("7f453cec5000-7f453cecc000 r--s 00000000 fe:00 332280 /usr/lib/gconv/gconv-modules.cache"), 0);
	cr_assert_eq(e.shared, 1);
	cr_assert_eq(e.prot, 1);
}

Test(maps, uses_len_not_nul)
{
	/* Only `len` bytes count: the rest of the buffer must be ignored. */
	const char *s = "1000-2000 rw-p 00000000 00:00 0 /a/b\n3000-4000 r--p";
	cr_assert_eq(maps_parse_line(s, strchr(s, '\n') - s, &e), 0);
	cr_assert_str_eq(e.path, "/a/b");
	cr_assert_eq(e.end, 0x2000ull);
}

Test(maps, path_length_limit)
{
	const char *head = "1000-2000 r--p 00000000 00:00 1 ";
	size_t hl = strlen(head);
	char *line = malloc(hl + MAPS_PATH_MAX + 1);
	memcpy(line, head, hl);
	/* MAPS_PATH_MAX - 1 bytes fit with the NUL, MAPS_PATH_MAX do not. */
	memset(line + hl, 'p', MAPS_PATH_MAX);
	line[hl] = '/';
	cr_assert_eq(maps_parse_line(line, hl + MAPS_PATH_MAX - 1, &e), 0);
	cr_assert_eq(strlen(e.path), MAPS_PATH_MAX - 1);
	cr_assert_eq(maps_parse_line(line, hl + MAPS_PATH_MAX, &e), -1);
	free(line);
}

Test(maps, malformed)
{
	static const char *bad[] = {
		"",
		"1000",
		"1000-",
		"1000-2000",
		"1000-2000 ",
		"1000-2000 rw",
		"1000-2000 rw-p",
		"1000-2000 rw-p 00000000",
		"1000-2000 rw-p 00000000 00:00",
		"1000-2000 rw-p 00000000 00:00 ",
		"1000-2000 rw-p 00000000 00 0",
		"1000 2000 rw-p 00000000 00:00 0",
		"-2000 rw-p 00000000 00:00 0",
		"1000-2000  rw-p 00000000 00:00 0",	/* two spaces before perms */
		"1000-2000 Rw-p 00000000 00:00 0",	/* bad perms characters */
		"1000-2000 rW-p 00000000 00:00 0",
		"1000-2000 rwXp 00000000 00:00 0",
		"1000-2000 rwxq 00000000 00:00 0",
		"1000-2000 rwx- 00000000 00:00 0",
		"1000-2000 rwxpp 00000000 00:00 0",
		"1000-2000 r-x 00000000 00:00 0",
		"2000-2000 rw-p 00000000 00:00 0",	/* end <= start */
		"3000-2000 rw-p 00000000 00:00 0",
		"10000000000000000-10000000000001000 rw-p 00000000 00:00 0",	/* 65-bit addresses */
		"1000-2000 rw-p 100000000000000000 00:00 0",
		"1000-2000 rw-p 00000000 100000000:00 0",	/* major > 32 bits */
		"1000-2000 rw-p 00000000 00:100000000 0",
		"1000-2000 rw-p 00000000 00:00 18446744073709551616",	/* inode overflows */
		"1000-2000 rw-p 00000000 00:00 abc",	/* inode is decimal */
		"1000-2000 rw-p 0000000g 00:00 0",
		"g000-2000 rw-p 00000000 00:00 0",
		" 1000-2000 rw-p 00000000 00:00 0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse(bad[i]), -1, "accepted \"%s\"", bad[i]);
}

Test(maps, next_line_iteration)
{
	const char buf[] = "a\n\nbcd\nlast";
	size_t pos = 0;
	const char *line;
	const char *want[] = { "a", "", "bcd", "last" };
	for (int i = 0; i < 4; i++) {
		long n = maps_next_line(buf, sizeof(buf) - 1, &pos, &line);
		cr_assert_eq(n, (long)strlen(want[i]), "line %d", i);
		cr_assert(!memcmp(line, want[i], (size_t)n), "line %d", i);
	}
	cr_assert_eq(pos, sizeof(buf) - 1);
	cr_assert_eq(maps_next_line(buf, sizeof(buf) - 1, &pos, &line), -1);
}

Test(maps, next_line_trailing_newline)
{
	/* A final '\n' ends the last line; it does not start an empty one. */
	const char buf[] = "one\ntwo\n";
	size_t pos = 0;
	const char *line;
	cr_assert_eq(maps_next_line(buf, 8, &pos, &line), 3);
	cr_assert_eq(line, buf);
	cr_assert_eq(maps_next_line(buf, 8, &pos, &line), 3);
	cr_assert_eq(line, buf + 4);
	cr_assert_eq(pos, 8);
	cr_assert_eq(maps_next_line(buf, 8, &pos, &line), -1);
	pos = 0;
	cr_assert_eq(maps_next_line(buf, 0, &pos, &line), -1);
}

Test(maps, real_maps_file)
{
	/* Every line of our own maps parses, and the parsed ranges are ordered. */
	FILE *f = fopen("/proc/self/maps", "r");
	cr_assert_not_null(f);
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t pos = 0;
	const char *line;
	long n;
	uint64_t prev_end = 0;
	int lines = 0, stack = 0;
	while ((n = maps_next_line(buf, len, &pos, &line)) >= 0) {
		cr_assert_eq(maps_parse_line(line, (size_t)n, &e), 0, "%.*s", (int)n, line);
		cr_assert_geq(e.start, prev_end);
		prev_end = e.end;
		stack += !strcmp(e.path, "[stack]");
		lines++;
	}
	cr_assert_gt(lines, 5);
	cr_assert_eq(stack, 1);
}
