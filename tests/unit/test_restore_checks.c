/* The restore checks that need no real image: the CPU's XSAVE features
 * against the image's, and address ranges the kernel would refuse. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "restore/restore.h"

static char said[2048];

/* tcp-restore's message function, captured here. */
void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(said, sizeof(said), fmt, ap);
	va_end(ap);
}

static struct tcp_image one_region(uint64_t start, uint64_t end)
{
	static struct img_region r;
	static char path[] = "";
	struct tcp_image img;
	memset(&img, 0, sizeof(img));
	memset(&r, 0, sizeof(r));
	r.r.start = start;
	r.r.end = end;
	r.r.kind = TCP_REG_ANON;
	r.path = path;
	img.regions = &r;
	img.nregions = 1;
	img.path = path;
	return img;
}

Test(cpu, same_features_pass)
{
	struct tcp_image img = one_region(0x10000, 0x20000);
	img.proc.xfeatures = 0xe7; /* x87 SSE AVX + AVX-512 */
	said[0] = 0;
	cr_assert_eq(check_cpu_features(&img, 0xe7), 0);
	cr_assert_eq(check_cpu_features(&img, 0x2ff), 0, "a superset is fine");
	cr_assert_str_empty(said);
}

Test(cpu, missing_avx512_is_refused_and_named)
{
	struct tcp_image img = one_region(0x10000, 0x20000);
	img.proc.xfeatures = 0xe7;
	said[0] = 0;
	cr_assert_eq(check_cpu_features(&img, 0x7), -1);
	cr_assert(strstr(said, "AVX-512 opmask"), "%s", said);
	cr_assert(strstr(said, "AVX-512 zmm16-31"), "%s", said);
	cr_assert_null(strstr(said, "SSE,"), "present features are not listed: %s", said);
}

Test(cpu, missing_avx_is_refused)
{
	struct tcp_image img = one_region(0x10000, 0x20000);
	img.proc.xfeatures = 0x7;
	cr_assert_eq(check_cpu_features(&img, 0x3), -1);
	cr_assert(strstr(said, "AVX"), "%s", said);
}

Test(address_space, region_beyond_the_user_address_space_is_refused)
{
	struct tcp_image img = one_region(0x800000000000ull, 0x800000001000ull);
	struct vdso_layout v;
	said[0] = 0;
	cr_assert_eq(check_address_space(&img, &v), -1);
	cr_assert(strstr(said, "0x800000000000"), "%s", said);
}

Test(address_space, region_at_page_zero_is_refused)
{
	struct tcp_image img = one_region(0, 0x1000);
	struct vdso_layout v;
	cr_assert_eq(check_address_space(&img, &v), -1);
	cr_assert(strstr(said, "outside the address space"), "%s", said);
}

Test(address_space, image_without_vdso_is_refused)
{
	/* A valid range, but the image has no vdso while this kernel has one. */
	struct tcp_image img = one_region(0x10000, 0x20000);
	struct vdso_layout v;
	cr_assert_eq(check_address_space(&img, &v), -1);
	cr_assert(strstr(said, "vdso"), "%s", said);
}
