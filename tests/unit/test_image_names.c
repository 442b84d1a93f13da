/* Image names and generations (issue 19, item 5): what image_name_put
 * writes, image_name_generation reads back, for every width; nothing else
 * is taken for an image of the program. */
#include <criterion/criterion.h>
#include <string.h>

#include "preload/image_names.h"

static const char *name_of(long gen, char *buf, size_t cap)
{
	struct fbuf b;
	fb_init(&b, buf, cap);
	image_name_put(&b, "app", gen);
	return buf;
}

Test(image_names, round_trip_across_widths)
{
	const long gens[] = { 0, 1, 42, 999998, 999999, 1000000, 1000001, 9999999, 10000000, 123456789012L,
			      999999999999999999L };
	char buf[64];
	for (size_t i = 0; i < sizeof(gens) / sizeof(gens[0]); i++) {
		name_of(gens[i], buf, sizeof(buf));
		cr_assert_eq(image_name_generation(buf, "app"), gens[i], "%s", buf);
	}
	cr_assert_str_eq(name_of(1, buf, sizeof(buf)), "app.000001.tcp");
	cr_assert_str_eq(name_of(999999, buf, sizeof(buf)), "app.999999.tcp");
	cr_assert_str_eq(name_of(1000000, buf, sizeof(buf)), "app.1000000.tcp");
}

Test(image_names, counting_is_monotonic_past_six_digits)
{
	char a[64], b[64];
	for (long g = 999990; g < 1000010; g++) {
		name_of(g, a, sizeof(a));
		name_of(g + 1, b, sizeof(b));
		cr_assert_lt(image_name_generation(a, "app"), image_name_generation(b, "app"));
	}
}

Test(image_names, not_ours)
{
	cr_assert_eq(image_name_generation("app.00001.tcp", "app"), -1);		/* too short */
	cr_assert_eq(image_name_generation("app.0000001.tcp", "app"), -1);	/* not how 1 is written */
	cr_assert_eq(image_name_generation("app.01000000.tcp", "app"), -1);
	cr_assert_eq(image_name_generation("app.1234567890123456789.tcp", "app"), -1); /* 19 digits */
	cr_assert_eq(image_name_generation("app.000001.tcp.tmp", "app"), -1);
	cr_assert_eq(image_name_generation("app.000001.tc", "app"), -1);
	cr_assert_eq(image_name_generation("app.00000a.tcp", "app"), -1);
	cr_assert_eq(image_name_generation("apps.000001.tcp", "app"), -1);
	cr_assert_eq(image_name_generation("ap.000001.tcp", "app"), -1);
	cr_assert_eq(image_name_generation("app000001.tcp", "app"), -1);
	cr_assert_eq(image_name_generation("app..tcp", "app"), -1);
	cr_assert_eq(image_name_generation("latest", "app"), -1);
	cr_assert_eq(image_name_generation("app.000001.tcp", ""), -1);
	/* a program whose name looks like an image's */
	cr_assert_eq(image_name_generation("a.000001.tcp.000002.tcp", "a.000001.tcp"), 2);
	cr_assert_eq(image_name_generation("a.000001.tcp.000002.tcp", "a"), -1);
}

Test(image_names, temporary_names)
{
	char n1[128], n2[128];
	struct fbuf b;
	fb_init(&b, n1, sizeof(n1));
	tmp_name_put(&b, "app.tcp", 0xabcdefull);
	fb_init(&b, n2, sizeof(n2));
	tmp_name_put(&b, "app.tcp", 0xabcdefull);
	cr_assert_str_neq(n1, n2, "two temporary names alike: %s", n1);
	cr_assert(strncmp(n1, ".app.tcp.0000000000abcdef.", 26) == 0, "%s", n1);
	cr_assert(tmp_name_is(n1, "app.tcp", 0xabcdefull), "%s", n1);
	cr_assert(!tmp_name_is(n1, "app.tcp", 0xabcdeeull), "%s: another run's", n1);
	cr_assert(!tmp_name_is(n1, "latest", 0xabcdefull));
	cr_assert_eq(image_name_generation(n1, "app"), -1);
	cr_assert(!tmp_name_is(".app.tcp.0000000000abcdef.12.tmp", "app.tcp", 0xabcdefull));
	cr_assert(!tmp_name_is(".app.tcp.0000000000abcdef.0123456789abcdef.tmpx", "app.tcp", 0xabcdefull));
	cr_assert(tmp_name_is(".app.tcp.0000000000abcdef.0123456789abcdef.tmp", "app.tcp", 0xabcdefull));
}
