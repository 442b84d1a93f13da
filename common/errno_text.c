/* The table behind fb_put_errno. Fixed-size arrays, not pointers: the blob
 * is position independent and may carry no relocations (meson.build checks
 * it), which a table of string pointers would need. Linux x86-64 numbers. */
#include "errno_text.h"

static const struct {
	unsigned char no;
	char name[14];
	char text[34];
} errnos[] = {
	{ 1, "EPERM", "operation not permitted" },
	{ 2, "ENOENT", "no such file or directory" },
	{ 3, "ESRCH", "no such process" },
	{ 4, "EINTR", "interrupted system call" },
	{ 5, "EIO", "input/output error" },
	{ 6, "ENXIO", "no such device or address" },
	{ 7, "E2BIG", "argument list too long" },
	{ 9, "EBADF", "bad file descriptor" },
	{ 10, "ECHILD", "no child processes" },
	{ 11, "EAGAIN", "resource temporarily unavailable" },
	{ 12, "ENOMEM", "out of memory" },
	{ 13, "EACCES", "permission denied" },
	{ 14, "EFAULT", "bad address" },
	{ 16, "EBUSY", "device or resource busy" },
	{ 17, "EEXIST", "file exists" },
	{ 18, "EXDEV", "invalid cross-device link" },
	{ 19, "ENODEV", "no such device" },
	{ 20, "ENOTDIR", "not a directory" },
	{ 21, "EISDIR", "is a directory" },
	{ 22, "EINVAL", "invalid argument" },
	{ 23, "ENFILE", "too many open files in system" },
	{ 24, "EMFILE", "too many open files" },
	{ 26, "ETXTBSY", "text file busy" },
	{ 27, "EFBIG", "file too large" },
	{ 28, "ENOSPC", "no space left on device" },
	{ 29, "ESPIPE", "illegal seek" },
	{ 30, "EROFS", "read-only file system" },
	{ 31, "EMLINK", "too many links" },
	{ 32, "EPIPE", "broken pipe" },
	{ 34, "ERANGE", "result out of range" },
	{ 36, "ENAMETOOLONG", "file name too long" },
	{ 38, "ENOSYS", "function not implemented" },
	{ 39, "ENOTEMPTY", "directory not empty" },
	{ 40, "ELOOP", "too many symbolic links" },
	{ 75, "EOVERFLOW", "value too large" },
	{ 95, "EOPNOTSUPP", "operation not supported" },
	{ 98, "EADDRINUSE", "address already in use" },
	{ 99, "EADDRNOTAVAIL", "cannot assign requested address" },
	{ 111, "ECONNREFUSED", "connection refused" },
	{ 122, "EDQUOT", "disk quota exceeded" },
};

void fb_put_errno(struct fbuf *b, long err)
{
	long no = err < 0 ? -err : err;
	for (unsigned i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (errnos[i].no != no)
			continue;
		fb_puts(b, errnos[i].name);
		fb_puts(b, ", ");
		fb_puts(b, errnos[i].text);
		fb_puts(b, ", ");
		break;
	}
	fb_puts(b, "errno ");
	fb_puti(b, no);
}
