#include "writer_aio.h"
#include "../common/rawsys.h"
#include "../common/fstr.h"

#define NR_io_setup 206
#define NR_io_destroy 207
#define NR_io_getevents 208
#define NR_io_submit 209
#define IOCB_CMD_PWRITE 1

/* ext4 (and others) complete a write that extends the file inside
 * io_submit; one within the file's size is queued. So the size is set ahead
 * of the writes, in steps of this much (the end trims the file back). */
#define SIZE_AHEAD (256ull << 20)

struct io_event_ {
	uint64_t data, obj;
	int64_t res, res2;
};

void iw_aio_init(struct iw_aio *a)
{
	f_memset(a, 0, sizeof(*a));
	uint64_t ctx = 0;
	if (rsys2(NR_io_setup, 2, (long)&ctx) == 0)
		a->ctx = ctx;
}

long iw_aio_submit(struct iw_aio *a, int fd, const char *buf, size_t len, uint64_t off)
{
	if (!a->ctx || a->inflight)
		return -22;
	if (off + len > a->sized) {
		/* Nothing is in flight now: growing the size waits for none. */
		uint64_t want = (off + len + SIZE_AHEAD - 1) / SIZE_AHEAD * SIZE_AHEAD;
		long rc = r_ftruncate(fd, (long)want);
		if (rc < 0)
			return rc;
		a->sized = want;
	}
	f_memset(&a->cb, 0, sizeof(a->cb));
	a->cb.opcode = IOCB_CMD_PWRITE;
	a->cb.fd = (uint32_t)fd;
	a->cb.buf = (uint64_t)buf;
	a->cb.nbytes = len;
	a->cb.offset = (int64_t)off;
	struct iw_iocb *list[1] = { &a->cb };
	long rc;
	do
		rc = rsys3(NR_io_submit, (long)a->ctx, 1, (long)list);
	while (rc == -4);
	if (rc != 1)
		return rc < 0 ? rc : -11;
	a->inflight = 1;
	return 0;
}

long iw_aio_wait(struct iw_aio *a, const char **buf, size_t *len, uint64_t *off, int *none)
{
	*none = !a->inflight;
	if (!a->inflight)
		return 0;
	struct io_event_ ev;
	long rc;
	do
		rc = rsys5(NR_io_getevents, (long)a->ctx, 1, 1, (long)&ev, 0);
	while (rc == -4);
	*buf = (const char *)a->cb.buf;
	*len = a->cb.nbytes;
	*off = (uint64_t)a->cb.offset;
	a->inflight = 0;
	if (rc != 1)
		return rc < 0 ? rc : -5;
	return ev.res;
}

void iw_aio_end(struct iw_aio *a)
{
	if (a->ctx)
		rsys1(NR_io_destroy, (long)a->ctx); /* waits for what is still in flight */
	a->ctx = 0;
	a->inflight = 0;
}
