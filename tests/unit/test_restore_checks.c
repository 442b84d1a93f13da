/* The restore checks that need no real image: the CPU's XSAVE features
 * against the image's, and address ranges the kernel would refuse. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "restore/restore.h"

#include <sys/stat.h>
#include <unistd.h>

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

/* A mapped file that changed since the checkpoint: at `path`, recorded with
 * an older mtime than it has. */
static int changed_mapping(const char *path, uint32_t kind, uint32_t prot, uint32_t build_id_len)
{
	static struct img_region r;
	static char p[256];
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	snprintf(p, sizeof(p), "%s", path);
	memset(&r, 0, sizeof(r));
	r.r.start = 0x10000;
	r.r.end = 0x11000;
	r.r.kind = kind;
	r.r.prot = prot;
	r.r.build_id_len = build_id_len;
	r.r.file_size = (uint64_t)st.st_size;
	r.r.mtime_sec = st.st_mtim.tv_sec - 10;
	r.path = p;
	struct tcp_image img;
	memset(&img, 0, sizeof(img));
	img.regions = &r;
	img.nregions = 1;
	img.path = p;
	said[0] = 0;
	return check_mapped_files(&img);
}

/* The JVM's /tmp/hsperfdata_USER/PID, mapped shared and writable, changes
 * all the time: it is named as the program's own data file, with what to do. */
Test(mapped_files, changed_data_file_of_a_jvm_says_what_to_do)
{
	char dir[] = "/tmp/tcp-unit-XXXXXX", sub[300], path[400];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/hsperfdata_user", dir);
	snprintf(path, sizeof(path), "%s/4242", sub);
	cr_assert_eq(mkdir(sub, 0700), 0);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("perf", f);
	fclose(f);
	int rc = changed_mapping(path, TCP_REG_FILE_SHARED, 3, 0);
	unlink(path);
	rmdir(sub);
	rmdir(dir);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(said, "the program's own data file") && strstr(said, "mapped shared and writable"), "%s", said);
	cr_assert(strstr(said, "-XX:-UsePerfData"), "%s", said);
	cr_assert_null(strstr(said, "another version"), "%s", said);
}

Test(mapped_files, changed_data_file_is_named_as_such)
{
	char path[] = "/tmp/tcp-unit-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	int rc = changed_mapping(path, TCP_REG_FILE_SHARED, 3, 0);
	unlink(path);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(said, "the program's own data file") && strstr(said, "keep it unchanged"), "%s", said);
}

/* A library or a read-only mapping that changed: installed software. */
Test(mapped_files, changed_library_is_another_version)
{
	char path[] = "/tmp/tcp-unit-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	close(fd);
	int rc = changed_mapping(path, TCP_REG_FILE, 5, 0);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(said, "another version"), "%s", said);
	rc = changed_mapping(path, TCP_REG_FILE_SHARED, 1, 0);
	unlink(path);
	cr_assert_eq(rc, -1);
	cr_assert(strstr(said, "another version"), "read-only shared: %s", said);
}
