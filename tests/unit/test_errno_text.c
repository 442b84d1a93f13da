/* Errnos in the restore blob's messages (common/errno_text.c): the name and
 * a short text for the common values, the number always. */
#include <criterion/criterion.h>
#include "common/errno_text.h"

static const char *text(long err)
{
	static char mem[128];
	struct fbuf b;
	fb_init(&b, mem, sizeof(mem));
	fb_put_errno(&b, err);
	return mem;
}

Test(errno_text, known_values_get_their_name_and_text)
{
	cr_assert_str_eq(text(-18), "EXDEV, invalid cross-device link, errno 18");
	cr_assert_str_eq(text(-1), "EPERM, operation not permitted, errno 1");
	cr_assert_str_eq(text(122), "EDQUOT, disk quota exceeded, errno 122");
}

Test(errno_text, others_keep_the_number)
{
	cr_assert_str_eq(text(-200), "errno 200");
	cr_assert_str_eq(text(0), "errno 0");
}
