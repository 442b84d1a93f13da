/* Telling the image mappings tcp-restore --lazy leaves in a program. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image/format.h"
#include "preload/image_mapping.h"

Test(image_mapping, names)
{
	int del = -1;
	cr_assert_eq(image_mapping_name("/ck/app.000001.tcp", &del), 1);
	cr_assert_eq(del, 0);
	cr_assert_eq(image_mapping_name("/ck/app.000001.tcp (deleted)", &del), 1);
	cr_assert_eq(del, 1);
	cr_assert_eq(image_mapping_name("/a/b/my.prog.1234567.tcp", &del), 1);
	cr_assert_eq(image_mapping_name("/x.000042.tcp", &del), 1);
	/* not images */
	cr_assert_eq(image_mapping_name("/ck/app.00001.tcp", &del), 0);	/* five digits */
	cr_assert_eq(image_mapping_name("/ck/.000001.tcp", &del), 0);		/* no program name */
	cr_assert_eq(image_mapping_name("/ck/app000001.tcp", &del), 0);	/* no dot */
	cr_assert_eq(image_mapping_name("/ck/app.000001.tcp.tmp", &del), 0);
	cr_assert_eq(image_mapping_name("/ck/app.000001.tcpx", &del), 0);
	cr_assert_eq(image_mapping_name("/ck/app.0000a1.tcp", &del), 0);
	cr_assert_eq(image_mapping_name("app.000001.tcp", &del), 0);		/* not a path */
	cr_assert_eq(image_mapping_name("[anon:app.000001.tcp]", &del), 0);
	cr_assert_eq(image_mapping_name(".tcp", &del), 0);
	cr_assert_eq(image_mapping_name("", &del), 0);
	cr_assert_eq(image_mapping_name(" (deleted)", &del), 0);
	cr_assert_eq(image_mapping_name("/ck/app.000001.tcp (deleted) (deleted)", &del), 0);
	cr_assert_eq(del, 0);
}

/* A file named like an image, mapped privately, as maps would show it. */
struct mapped {
	char dir[64], path[128];
	void *p;
	struct maps_entry e;
};

static void map_file(struct mapped *m, const char *content)
{
	strcpy(m->dir, "/tmp/tcp-unit-imgmap.XXXXXX");
	cr_assert_not_null(mkdtemp(m->dir));
	snprintf(m->path, sizeof(m->path), "%s/prog.000007.tcp", m->dir);
	int fd = open(m->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	char page[8192] = { 0 };
	memcpy(page, content, strlen(content));
	cr_assert_eq(write(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	struct stat st;
	fstat(fd, &st);
	m->p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
	cr_assert_neq(m->p, MAP_FAILED);
	close(fd);
	memset(&m->e, 0, sizeof(m->e));
	m->e.start = (uint64_t)m->p;
	m->e.end = m->e.start + 4096;
	m->e.prot = PROT_READ | PROT_WRITE;
	m->e.offset = 4096;
	m->e.dev_major = major(st.st_dev);
	m->e.dev_minor = minor(st.st_dev);
	m->e.inode = st.st_ino;
	snprintf(m->e.path, sizeof(m->e.path), "%s", m->path);
}

static void unmap_file(struct mapped *m)
{
	munmap(m->p, 4096);
	unlink(m->path);
	rmdir(m->dir);
}

Test(image_mapping, by_magic)
{
	struct mapped m;
	map_file(&m, TCP_IMAGE_MAGIC);
	cr_assert_eq(is_image_mapping(&m.e), 1);
	m.e.shared = 1; /* a shared mapping is never one of ours */
	cr_assert_eq(is_image_mapping(&m.e), 0);
	unmap_file(&m);

	map_file(&m, "NOTANIMG");
	cr_assert_eq(is_image_mapping(&m.e), 0);
	unmap_file(&m);
}

Test(image_mapping, replaced_or_deleted)
{
	struct mapped m;
	map_file(&m, TCP_IMAGE_MAGIC);
	/* Another file at the path now: the mapped one is told through
	 * map_files (root) or by its name. */
	unlink(m.path);
	int fd = open(m.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(write(fd, "NOTANIMG", 8), 8);
	close(fd);
	cr_assert_eq(is_image_mapping(&m.e), 1);
	unlink(m.path);
	strcat(m.e.path, " (deleted)");
	cr_assert_eq(is_image_mapping(&m.e), 1);
	unmap_file(&m);

	if (geteuid() != 0)
		return; /* map_files needs CAP_CHECKPOINT_RESTORE: the name decides */
	map_file(&m, "NOTANIMG");
	unlink(m.path);
	strcat(m.e.path, " (deleted)");
	cr_assert_eq(is_image_mapping(&m.e), 0, "a deleted file that is no image, read through map_files");
	unmap_file(&m);
}
