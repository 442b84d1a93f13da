/* File locks held through an fd (issue 7): stub until they land. */
#include "dump.h"

int dump_fd_locks(struct dump_ctx *d, const struct fd_probe *p, struct dump_fd *out)
{
	(void)d, (void)p, (void)out;
	return 0;
}
