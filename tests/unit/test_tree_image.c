/* The TREE section of a process tree's root image (issue 20): hand-built
 * images whose checksums are right, each with one fact wrong, must be
 * refused with a message that says what; a valid one is read whole. */
#include "image_builder.h"
#include "tmp_file.h"
#include "image/reader.h"

#include <stdio.h>
#include <unistd.h>

/* A tree of three: the root 100, its child 101 (an image), a zombie 102. */
struct tree_spec {
	struct tcp_tree_head head;
	struct tcp_tree_proc procs[4];
	uint32_t nholders[2];
	struct tcp_tree_holder holders[2][3];
	int before_process;	/* the TREE section comes first */
	int twice;
	int64_t len_delta;	/* bytes added to (or cut from) the payload */
};

static struct tree_spec valid_tree(void)
{
	struct tree_spec t;
	memset(&t, 0, sizeof(t));
	t.head.nprocs = 3;
	t.head.nofds = 1;
	t.procs[0] = (struct tcp_tree_proc){ .pid = 100, .ppid = 0, .pgid = 100, .sid = 50,
					     .flags = TCP_TREEP_ROOT | TCP_TREEP_GROUP_LEADER | TCP_TREEP_OUTSIDE_SESSION,
					     .exit_signal = 17 };
	snprintf(t.procs[0].comm, sizeof(t.procs[0].comm), "root");
	t.procs[1] = (struct tcp_tree_proc){ .pid = 101, .ppid = 100, .pgid = 100, .sid = 101,
					     .flags = TCP_TREEP_SESSION_LEADER, .exit_signal = 17, .pdeath_signal = 15,
					     .image_size = 8192 };
	snprintf(t.procs[1].comm, sizeof(t.procs[1].comm), "worker");
	snprintf(t.procs[1].image, sizeof(t.procs[1].image), "app.000001.p101.tcp");
	t.procs[2] = (struct tcp_tree_proc){ .pid = 102, .ppid = 100, .pgid = 100, .sid = 50,
					     .flags = TCP_TREEP_ZOMBIE, .exit_status = 3 << 8, .exit_signal = 17 };
	snprintf(t.procs[2].comm, sizeof(t.procs[2].comm), "done");
	t.nholders[0] = 2;
	t.holders[0][0] = (struct tcp_tree_holder){ 100, 1 };
	t.holders[0][1] = (struct tcp_tree_holder){ 101, 1 };
	return t;
}

static size_t tree_payload(const struct tree_spec *t, uint8_t *out)
{
	size_t n = 0;
	memcpy(out, &t->head, sizeof(t->head));
	n += sizeof(t->head);
	uint32_t np = t->head.nprocs < 4 ? t->head.nprocs : 4; /* a count beyond: refused before */
	memcpy(out + n, t->procs, np * sizeof(struct tcp_tree_proc));
	n += np * sizeof(struct tcp_tree_proc);
	for (uint32_t g = 0; g < t->head.nofds && g < 2; g++) {
		struct tcp_tree_ofd o = { .nholders = t->nholders[g] };
		memcpy(out + n, &o, sizeof(o));
		n += sizeof(o);
		uint32_t k = t->nholders[g] < 3 ? t->nholders[g] : 3;
		memcpy(out + n, t->holders[g], k * sizeof(struct tcp_tree_holder));
		n += k * sizeof(struct tcp_tree_holder);
	}
	return (size_t)((int64_t)n + t->len_delta);
}

/* An image of pid 100 with one thread: begin (header, `first` if any,
 * PROCESS), the caller's sections, end (THREAD, END); then loaded from a
 * file. */
static void begin_image(struct buf *b, const void *first, size_t first_len)
{
	memset(b, 0, sizeof(*b));
	put_header(b, TCP_FORMAT_VERSION);
	if (first)
		put_section(b, TCP_SEC_TREE, first, first_len, NULL, 0);
	struct tcp_process p;
	memset(&p, 0, sizeof(p));
	p.pid = 100;
	p.nthreads = 1;
	put_section(b, TCP_SEC_PROCESS, &p, sizeof(p), NULL, 0);
}

static void end_image(struct buf *b)
{
	struct tcp_thread th = { .tid = 100, .is_leader = 1 };
	put_section(b, TCP_SEC_THREAD, &th, sizeof(th), NULL, 0);
	struct tcp_end e = { .section_count = b->nsec, .end_offset = b->len };
	put_section(b, TCP_SEC_END, &e, sizeof(e), NULL, 0);
}

static int load_buf(struct buf *b, struct tcp_image *img, char *err, size_t errlen)
{
	int fd = tmp_file();
	cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
	int rc = img_load_fd(fd, "test.tcp", img, err, errlen);
	close(fd);
	free(b->p);
	return rc;
}

static void build_tree_image(const struct tree_spec *t, struct buf *b)
{
	static uint8_t payload[8192];
	memset(payload, 0, sizeof(payload));
	size_t plen = tree_payload(t, payload);
	begin_image(b, t->before_process ? payload : NULL, plen);
	for (int i = 0; !t->before_process && i <= t->twice; i++)
		put_section(b, TCP_SEC_TREE, payload, plen, NULL, 0);
	end_image(b);
}

static int load_tree(const struct tree_spec *t, struct tcp_image *img, char *err, size_t errlen)
{
	struct buf b;
	build_tree_image(t, &b);
	return load_buf(&b, img, err, errlen);
}

static void expect_refused(struct tree_spec t, const char *want)
{
	struct tcp_image img;
	char err[1024];
	cr_expect_eq(load_tree(&t, &img, err, sizeof(err)), -1, "loaded, expected \"%s\"", want);
	cr_expect(strstr(err, want), "\"%s\" lacks \"%s\"", err, want);
	cr_expect(strstr(err, "(TREE)") || strstr(err, "TREE"), "\"%s\" does not name the TREE section", err);
}

Test(tree_image, valid_tree_is_read_whole)
{
	struct tree_spec t = valid_tree();
	struct tcp_image img;
	char err[1024];
	cr_assert_eq(load_tree(&t, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.ntree, 3);
	cr_assert_eq(img.tree[1].pid, 101);
	cr_assert_str_eq(img.tree[1].image, "app.000001.p101.tcp");
	cr_assert_eq(img.tree[2].exit_status, 3 << 8);
	cr_assert_eq(img.ntree_ofds, 1);
	cr_assert_eq(img.tree_ofds[0].nholders, 2);
	cr_assert_eq(img.tree_ofds[0].holders[1].pid, 101);
	cr_assert_eq(img_tree_find(&img, 102), 2);
	cr_assert_eq(img_tree_find(&img, 103), -1);
	img_free(&img);
}

Test(tree_image, single_process_has_no_tree)
{
	struct buf b;
	begin_image(&b, NULL, 0);
	end_image(&b);
	struct tcp_image img;
	char err[1024];
	cr_assert_eq(load_buf(&b, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(img.tree);
	cr_assert_eq(img.ntree, 0);
	img_free(&img);
}

Test(tree_image, refused_before_process_or_twice)
{
	struct tree_spec t = valid_tree();
	t.before_process = 1;
	expect_refused(t, "before PROCESS");
	t = valid_tree();
	t.twice = 1;
	expect_refused(t, "a second TREE");
}

Test(tree_image, refused_bad_counts)
{
	struct tree_spec t = valid_tree();
	t.head.nprocs = 0;
	expect_refused(t, "out of bounds");
	t = valid_tree();
	t.head.nprocs = TCP_TREE_MAX_PROCS + 1;
	expect_refused(t, "out of bounds");
	t = valid_tree();
	t.len_delta = 4;
	expect_refused(t, "after the last shared file");
	t = valid_tree();
	t.len_delta = -4;
	expect_refused(t, "holders");
	t = valid_tree();
	t.head.nofds = 2; /* the second group is missing */
	t.nholders[1] = 0;
	t.len_delta = -(int64_t)sizeof(struct tcp_tree_ofd);
	expect_refused(t, "runs past the section");
	t = valid_tree();
	t.nholders[0] = 1;
	expect_refused(t, "1 holders");
}

Test(tree_image, refused_bad_root)
{
	struct tree_spec t = valid_tree();
	t.procs[0].pid = t.procs[0].pgid = 99; /* not this image's pid */
	expect_refused(t, "not this image's own");
	t = valid_tree();
	t.procs[0].flags &= ~TCP_TREEP_ROOT;
	expect_refused(t, "not this image's own");
	t = valid_tree();
	snprintf(t.procs[0].image, sizeof(t.procs[0].image), "x.tcp");
	expect_refused(t, "not this image's own");
	t = valid_tree();
	t.procs[1].flags |= TCP_TREEP_ROOT;
	expect_refused(t, "second root");
}

Test(tree_image, refused_bad_parents_and_pids)
{
	struct tree_spec t = valid_tree();
	t.procs[1].ppid = 102; /* comes after it */
	expect_refused(t, "does not come before it");
	t = valid_tree();
	t.procs[2].pid = 101;
	expect_refused(t, "appears twice");
	t = valid_tree();
	t.procs[2].pid = 100; /* the root's */
	expect_refused(t, "appears twice");
	/* A zombie has no children (they were reparented when it exited). */
	t = valid_tree();
	t.head.nprocs = 4;
	t.procs[3] = t.procs[1];
	t.procs[3].pid = t.procs[3].sid = 103;
	t.procs[3].ppid = 102;
	snprintf(t.procs[3].image, sizeof(t.procs[3].image), "other.tcp");
	expect_refused(t, "is a zombie");
}

Test(tree_image, refused_bad_image_names)
{
	static const char *bad[] = { "", "../etc/passwd", "a/b.tcp", ".", ".." };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tree_spec t = valid_tree();
		snprintf(t.procs[1].image, sizeof(t.procs[1].image), "%s", bad[i]);
		expect_refused(t, "no valid image name");
	}
	struct tree_spec t = valid_tree();
	memset(t.procs[1].image, 'a', sizeof(t.procs[1].image)); /* not NUL-terminated */
	expect_refused(t, "no valid image name");
	t = valid_tree();
	snprintf(t.procs[2].image, sizeof(t.procs[2].image), "z.tcp");
	expect_refused(t, "zombie 102 names an image");
	t = valid_tree();
	t.head.nprocs = 4;
	t.procs[3] = t.procs[1];
	t.procs[3].pid = t.procs[3].sid = 103;
	expect_refused(t, "name the same image");
	t = valid_tree();
	t.procs[1].image_size = 10;
	expect_refused(t, "implausible image size");
}

Test(tree_image, refused_bad_flags_and_signals)
{
	struct tree_spec t = valid_tree();
	t.procs[1].flags |= 0x1000;
	expect_refused(t, "unknown flags");
	t = valid_tree();
	t.procs[1].exit_signal = 65;
	expect_refused(t, "bad exit or parent-death signal");
	t = valid_tree();
	t.procs[1].pdeath_signal = -1;
	expect_refused(t, "bad exit or parent-death signal");
	t = valid_tree();
	t.procs[1].sid = 100; /* a session leader whose session is not its own */
	expect_refused(t, "do not match its flags");
}

/* A restored tree's root is in tcp-restore's group and session, which its
 * PID namespace does not show: 0 at the next checkpoint. */
Test(tree_image, group_and_session_not_visible_are_zero)
{
	struct tree_spec t = valid_tree();
	t.procs[0].pgid = t.procs[0].sid = 0;
	t.procs[0].flags = TCP_TREEP_ROOT | TCP_TREEP_OUTSIDE_GROUP | TCP_TREEP_OUTSIDE_SESSION;
	t.procs[2].pgid = t.procs[2].sid = 0;
	struct tcp_image img;
	char err[1024];
	cr_assert_eq(load_tree(&t, &img, err, sizeof(err)), 0, "%s", err);
	img_free(&img);
	t.procs[2].sid = -1;
	expect_refused(t, "do not match its flags");
}

Test(tree_image, refused_bad_holders)
{
	struct tree_spec t = valid_tree();
	t.holders[0][1].pid = 999;
	expect_refused(t, "not an fd of a live process");
	t = valid_tree();
	t.holders[0][1].pid = 102; /* the zombie */
	expect_refused(t, "not an fd of a live process");
	t = valid_tree();
	t.holders[0][1].fd = -1;
	expect_refused(t, "not an fd of a live process");
	t = valid_tree();
	t.holders[0][1] = t.holders[0][0];
	expect_refused(t, "listed twice");
	t = valid_tree();
	t.head.nofds = 2;
	t.nholders[1] = 2;
	t.holders[1][0] = (struct tcp_tree_holder){ 101, 1 }; /* already in group 0 */
	t.holders[1][1] = (struct tcp_tree_holder){ 100, 2 };
	expect_refused(t, "listed twice");
}

Test(tree_image, comm_is_terminated)
{
	struct tree_spec t = valid_tree();
	memset(t.procs[1].comm, 'w', sizeof(t.procs[1].comm));
	struct tcp_image img;
	char err[1024];
	cr_assert_eq(load_tree(&t, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(img.tree[1].comm), sizeof(img.tree[1].comm) - 1);
	img_free(&img);
}

Test(tree_image, every_byte_flip_of_the_tree_fails)
{
	struct tree_spec t = valid_tree();
	struct buf b;
	build_tree_image(&t, &b);
	int fd = tmp_file();
	cr_assert_eq(write(fd, b.p, b.len), (ssize_t)b.len);
	uint64_t from = b.off[1], to = b.off[2]; /* the TREE section, header and payload */
	for (uint64_t i = from; i < to; i++) {
		uint8_t x = b.p[i] ^ 0x10;
		cr_assert_eq(pwrite(fd, &x, 1, (off_t)i), 1);
		struct tcp_image img;
		char err[1024];
		cr_assert_eq(img_load_fd(fd, "root.tcp", &img, err, sizeof(err)), -1, "flip at %llu loaded",
			     (unsigned long long)i);
		cr_assert_eq(pwrite(fd, &b.p[i], 1, (off_t)i), 1);
	}
	close(fd);
	free(b.p);
}

/* A shared memory object another process of the tree stores: no content
 * here (TCP_SHMF_ELSEWHERE), or the image is refused. */
static int load_shm(uint32_t flags, int with_extent, char *err, size_t errlen)
{
	struct buf b;
	begin_image(&b, NULL, 0);
	struct tcp_shm s = { .type = TCP_SHM_ANON, .flags = flags, .inode = 7, .size = 4096 };
	uint8_t rest[sizeof(struct tcp_shm_extent) + 4096];
	memset(rest, 0x33, sizeof(rest));
	struct tcp_shm_extent x = { 0, 4096 };
	memcpy(rest, &x, sizeof(x));
	if (with_extent) {
		s.nextents = 1;
		s.data_len = 4096;
	}
	put_section(&b, TCP_SEC_SHM, &s, sizeof(s), rest, with_extent ? sizeof(rest) : 0);
	end_image(&b);
	struct tcp_image img;
	int rc = load_buf(&b, &img, err, errlen);
	if (!rc)
		img_free(&img);
	return rc;
}

Test(tree_image, shm_stored_elsewhere_has_no_content)
{
	char err[1024];
	cr_assert_eq(load_shm(0, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(load_shm(TCP_SHMF_ELSEWHERE, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(load_shm(TCP_SHMF_ELSEWHERE, 1, err, sizeof(err)), -1);
	cr_assert(strstr(err, "stored by another process"), "%s", err);
}
