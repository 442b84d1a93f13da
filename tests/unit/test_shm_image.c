/* SHM sections in the image reader: a valid object with its regions and
 * fd, then damaged ones. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/format.h"
#include "image/reader.h"
#include "image/writer.h"

#define PG TCP_PAGE_SIZE

struct spec {
	struct tcp_shm shm;
	const char *name;
	struct tcp_shm_extent ext[4];
	uint32_t region_index;	/* the region's shm_index */
	uint32_t region_flags;
	uint32_t fd_index;	/* the fd's shm_index */
	int shm_after_region;	/* the SHM section comes after the REGION */
};

static void good(struct spec *s)
{
	memset(s, 0, sizeof(*s));
	s->shm.type = TCP_SHM_MEMFD;
	s->shm.size = 8 * PG;
	s->shm.nextents = 2;
	s->ext[0] = (struct tcp_shm_extent){ 0, 2 * PG };
	s->ext[1] = (struct tcp_shm_extent){ 6 * PG, 100 };
	s->shm.data_len = 2 * PG + 100;
	s->name = "pool";
	s->shm.name_len = 4;
}

static void write_shm(struct img_writer *w, const struct spec *s)
{
	static char data[3 * PG];
	memset(data, 'd', sizeof(data));
	iw_open(w, TCP_SEC_SHM);
	iw_data(w, &s->shm, sizeof(s->shm));
	iw_data(w, s->name, strlen(s->name));
	iw_data(w, s->ext, s->shm.nextents * sizeof(s->ext[0]));
	iw_data(w, data, 2 * PG + 100);
	iw_close(w);
}

/* Writes an image with one object, one region mapping it, one fd on it. */
static int build(const struct spec *s)
{
	char path[] = "/tmp/tcp-unit-shm-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	unlink(path);
	struct tcp_process p;
	memset(&p, 0, sizeof(p));
	p.pid = 7;
	p.nregions = 1;
	p.nthreads = 1;
	p.nfds = 1;
	struct tcp_region r;
	memset(&r, 0, sizeof(r));
	r.start = 0x10000000;
	r.end = r.start + 8 * PG;
	r.prot = 3;
	r.kind = TCP_REG_SHM;
	r.flags = s->region_flags;
	r.shm_index = s->region_index;
	const char *rpath = "/memfd:pool (deleted)";
	r.path_len = (uint32_t)strlen(rpath);
	struct tcp_thread t;
	memset(&t, 0, sizeof(t));
	t.tid = 7;
	struct tcp_fd f;
	memset(&f, 0, sizeof(f));
	f.fd = 5;
	f.kind = TCP_FD_MEMFD;
	f.flags = 2;
	f.same_as = -1;
	f.u.memfd.shm_index = s->fd_index;
	f.path_len = (uint32_t)strlen(rpath);

	struct img_writer w;
	iw_begin(&w, fd);
	iw_section(&w, TCP_SEC_PROCESS, &p, sizeof(p), 0, 0);
	if (!s->shm_after_region)
		write_shm(&w, s);
	iw_section(&w, TCP_SEC_REGION, &r, sizeof(r), rpath, r.path_len);
	if (s->shm_after_region)
		write_shm(&w, s);
	iw_section(&w, TCP_SEC_THREAD, &t, sizeof(t), 0, 0);
	iw_section(&w, TCP_SEC_FD, &f, sizeof(f), rpath, f.path_len);
	iw_end(&w);
	cr_assert_eq(w.err, 0);
	return fd;
}

static int load(const struct spec *s, char *err, size_t cap, struct tcp_image *img)
{
	int fd = build(s);
	int rc = img_load_fd(fd, "shm.img", img, err, cap);
	close(fd);
	return rc;
}

static void expect_error(const struct spec *s, const char *what)
{
	char err[512];
	struct tcp_image img;
	cr_assert_neq(load(s, err, sizeof(err), &img), 0, "loaded a bad image (%s)", what);
	cr_assert(strstr(err, what), "message \"%s\" lacks \"%s\"", err, what);
}

Test(shm_image, valid_object_region_fd)
{
	struct spec s;
	good(&s);
	char err[512];
	struct tcp_image img;
	cr_assert_eq(load(&s, err, sizeof(err), &img), 0, "%s", err);
	cr_assert_eq(img.nshms, 1);
	cr_assert_str_eq(img.shms[0].name, "pool");
	cr_assert_eq(img.shms[0].s.nextents, 2);
	cr_assert_eq(img.shms[0].ext[1].offset, 6 * PG);
	cr_assert_eq(img.regions[0].r.kind, TCP_REG_SHM);
	cr_assert_eq(img.fds[0].f.kind, TCP_FD_MEMFD);
	/* the data follows the extent table */
	char c;
	int fd = build(&s);
	cr_assert_eq(pread(fd, &c, 1, (off_t)img.shms[0].data_off), 1);
	cr_assert_eq(c, 'd');
	close(fd);
	img_free(&img);
}

Test(shm_image, damaged)
{
	struct spec s;
	good(&s);
	s.shm.type = 9;
	expect_error(&s, "unknown shared memory type");
	good(&s);
	s.shm.data_len += 1;
	expect_error(&s, "lengths do not add up");
	good(&s);
	s.ext[1].offset = 8 * PG - 50; /* runs past the object */
	expect_error(&s, "outside the object");
	good(&s);
	s.ext[1].offset = PG; /* overlaps the first */
	expect_error(&s, "out of order");
	good(&s);
	s.ext[0].len = 0;
	s.ext[1].len = 2 * PG + 100;
	expect_error(&s, "is empty");
	good(&s);
	s.name = "";
	s.shm.name_len = 0;
	s.shm.data_len = 2 * PG + 100;
	/* name_len 0 but the writer writes no name: lengths then add up */
	expect_error(&s, "without a name");
	good(&s);
	s.region_index = 1;
	expect_error(&s, "maps shared memory object 1, but only 1 precede it");
	good(&s);
	s.shm_after_region = 1;
	expect_error(&s, "but only 0 precede it");
	good(&s);
	s.fd_index = 3;
	expect_error(&s, "names shared memory object 3 of 1");
	good(&s);
	s.region_flags = TCP_REGF_PRIVATE; /* fine on an shm region */
	char err[512];
	struct tcp_image img;
	cr_assert_eq(load(&s, err, sizeof(err), &img), 0, "%s", err);
	img_free(&img);
}
