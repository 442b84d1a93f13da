/* fds of shared memory objects (issue 7): a memfd or a file under /dev/shm.
 * The record only names the object (dump_scan_shm sets u.memfd.shm_index
 * and stores the object's content once); restore reopens the object with
 * the fd's flags and offset. */
#include "dump.h"

int dump_fd_memfd(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	(void)d, (void)p;
	out->rec.kind = TCP_FD_MEMFD;
	return 0;
}
