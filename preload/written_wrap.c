/* The program's calls that open a file for writing (written_files.c says
 * why): open, openat, creat, fopen, freopen and their 64 variants, through
 * libc. glibc's fopen opens through an internal call, so it is wrapped
 * itself. A program that makes the system call itself is not seen. */
/* The 32-bit-offset names are symbols of their own here: without this,
 * glibc's headers (meson sets _FILE_OFFSET_BITS=64) would name open open64. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include "written_files.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#define INTERPOSE __attribute__((visibility("default")))
#define note tcp_written_note

static int writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

static int mode_writes(const char *mode)
{
	for (const char *m = mode; m && *m; m++)
		if (*m == 'w' || *m == 'a' || *m == '+')
			return 1;
	return 0;
}

/* The real functions, looked up before main(): dlsym takes the loader's
 * lock, which a vfork child must not touch. */
static struct {
	__typeof__(&open) open;
	__typeof__(&open64) open64;
	__typeof__(&openat) openat;
	__typeof__(&openat64) openat64;
	__typeof__(&creat) creat;
	__typeof__(&creat64) creat64;
	__typeof__(&fopen) fopen;
	__typeof__(&fopen64) fopen64;
	__typeof__(&freopen) freopen;
	__typeof__(&freopen64) freopen64;
} reals;

__attribute__((constructor)) static void resolve(void)
{
	reals.open = dlsym(RTLD_NEXT, "open");
	reals.open64 = dlsym(RTLD_NEXT, "open64");
	reals.openat = dlsym(RTLD_NEXT, "openat");
	reals.openat64 = dlsym(RTLD_NEXT, "openat64");
	reals.creat = dlsym(RTLD_NEXT, "creat");
	reals.creat64 = dlsym(RTLD_NEXT, "creat64");
	reals.fopen = dlsym(RTLD_NEXT, "fopen");
	reals.fopen64 = dlsym(RTLD_NEXT, "fopen64");
	reals.freopen = dlsym(RTLD_NEXT, "freopen");
	reals.freopen64 = dlsym(RTLD_NEXT, "freopen64");
}

INTERPOSE int open(const char *path, int flags, ...)
{
	__typeof__(&open) real = reals.open ? reals.open : (resolve(), reals.open);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	int fd = real(path, flags, mode);
	if (writes(flags))
		note(fd);
	return fd;
}

INTERPOSE int open64(const char *path, int flags, ...)
{
	__typeof__(&open64) real = reals.open64 ? reals.open64 : (resolve(), reals.open64);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	int fd = real(path, flags, mode);
	if (writes(flags))
		note(fd);
	return fd;
}

INTERPOSE int openat(int dirfd, const char *path, int flags, ...)
{
	__typeof__(&openat) real = reals.openat ? reals.openat : (resolve(), reals.openat);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	int fd = real(dirfd, path, flags, mode);
	if (writes(flags))
		note(fd);
	return fd;
}

INTERPOSE int openat64(int dirfd, const char *path, int flags, ...)
{
	__typeof__(&openat64) real = reals.openat64 ? reals.openat64 : (resolve(), reals.openat64);
	va_list ap;
	va_start(ap, flags);
	mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	int fd = real(dirfd, path, flags, mode);
	if (writes(flags))
		note(fd);
	return fd;
}

INTERPOSE int creat(const char *path, mode_t mode)
{
	__typeof__(&creat) real = reals.creat ? reals.creat : (resolve(), reals.creat);
	int fd = real(path, mode);
	note(fd);
	return fd;
}

INTERPOSE int creat64(const char *path, mode_t mode)
{
	__typeof__(&creat64) real = reals.creat64 ? reals.creat64 : (resolve(), reals.creat64);
	int fd = real(path, mode);
	note(fd);
	return fd;
}

INTERPOSE FILE *fopen(const char *path, const char *mode)
{
	__typeof__(&fopen) real = reals.fopen ? reals.fopen : (resolve(), reals.fopen);
	FILE *f = real(path, mode);
	if (f && mode_writes(mode))
		note(fileno(f));
	return f;
}

INTERPOSE FILE *fopen64(const char *path, const char *mode)
{
	__typeof__(&fopen64) real = reals.fopen64 ? reals.fopen64 : (resolve(), reals.fopen64);
	FILE *f = real(path, mode);
	if (f && mode_writes(mode))
		note(fileno(f));
	return f;
}

INTERPOSE FILE *freopen(const char *path, const char *mode, FILE *stream)
{
	__typeof__(&freopen) real = reals.freopen ? reals.freopen : (resolve(), reals.freopen);
	FILE *f = real(path, mode, stream);
	if (f && mode_writes(mode))
		note(fileno(f));
	return f;
}

INTERPOSE FILE *freopen64(const char *path, const char *mode, FILE *stream)
{
	__typeof__(&freopen64) real = reals.freopen64 ? reals.freopen64 : (resolve(), reals.freopen64);
	FILE *f = real(path, mode, stream);
	if (f && mode_writes(mode))
		note(fileno(f));
	return f;
}

