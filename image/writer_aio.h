/* Asynchronous O_DIRECT writes for the staged image writer (Linux AIO,
 * io_submit): the stage is split in two halves, one written by the kernel
 * while the other fills, so that reading the app's memory (page faults,
 * copies, checksums) overlaps the disk. Freestanding, raw syscalls only.
 * Without AIO (io_setup refused) the writer writes synchronously. */
#ifndef TCP_IMAGE_WRITER_AIO_H
#define TCP_IMAGE_WRITER_AIO_H

#include <stddef.h>
#include <stdint.h>

/* struct iocb of <linux/aio_abi.h>, x86-64 (little-endian) layout. */
struct iw_iocb {
	uint64_t data;
	uint32_t key, rw_flags;
	uint16_t opcode;
	int16_t reqprio;
	uint32_t fd;
	uint64_t buf, nbytes;
	int64_t offset;
	uint64_t reserved2;
	uint32_t flags, resfd;
};

struct iw_aio {
	uint64_t ctx;		/* 0: no AIO, write synchronously */
	struct iw_iocb cb;
	int inflight;		/* cb is submitted, its completion not yet taken */
	uint64_t sized;		/* the file's size was set this far ahead */
};

/* Sets up a context; leaves ctx 0 where the kernel has no AIO. */
void iw_aio_init(struct iw_aio *a);
/* Starts writing len bytes of buf at off; the caller must not touch buf
 * until iw_aio_wait. Returns 0, or -errno if it could not be submitted (the
 * caller then writes synchronously). */
long iw_aio_submit(struct iw_aio *a, int fd, const char *buf, size_t len, uint64_t off);
/* Waits for the write in flight, if any. Returns how many bytes it wrote
 * (its whole length, unless short) or -errno; *buf, *len, *off describe it
 * so that the caller can finish a short or refused write. 1 in *none when
 * nothing was in flight. */
long iw_aio_wait(struct iw_aio *a, const char **buf, size_t *len, uint64_t *off, int *none);
void iw_aio_end(struct iw_aio *a);

#endif
