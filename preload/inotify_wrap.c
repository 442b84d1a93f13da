/* inotify_add_watch() as the app calls it, noting the path of each watch
 * (inotify_paths.c) so that a checkpoint can re-add it by path. A relative
 * path is noted as absolute: the app may change directory later. */
#define _GNU_SOURCE
#include "internal.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#define INTERPOSE __attribute__((visibility("default")))

INTERPOSE int inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	static int (*real)(int, const char *, uint32_t);
	if (!real)
		real = (int (*)(int, const char *, uint32_t))dlsym(RTLD_NEXT, "inotify_add_watch");
	int wd = real(fd, path, mask);
	if (wd < 0 || !path)
		return wd;
	char abs[PATH_MAX + 1];
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >= (int)sizeof(abs))
			return wd; /* not noted: the dump says the path is unknown */
		path = abs;
	}
	tcp_inotify_note(wd, path);
	return wd;
}
