/* The process's environment as the kernel gave it, read and extended
 * without the program's getenv/setenv: a program may define its own (bash
 * does: its getenv answers from its shell variables, which do not exist yet
 * when libtcp starts, so TCP_DIR and the rest would go unseen). */
#include "env_read.h"
#include "../common/fstr.h"

#include <stdlib.h>

extern char **environ;

const char *tcp_getenv(const char *name)
{
	size_t n = f_strlen(name);
	for (char **e = environ; e && *e; e++)
		if (f_memeq(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return 0;
}

int tcp_setenv(const char *name, const char *value)
{
	size_t n = f_strlen(name), v = f_strlen(value), count = 0;
	char *entry = malloc(n + v + 2);
	if (!entry)
		return -1;
	f_memcpy(entry, name, n);
	entry[n] = '=';
	f_memcpy(entry + n + 1, value, v + 1);
	for (char **e = environ; e && *e; e++, count++)
		if (f_memeq(*e, name, n) && (*e)[n] == '=') {
			*e = entry;
			return 0;
		}
	/* A new array: the old one may be the kernel's, on the stack. */
	char **grown = malloc((count + 2) * sizeof(char *));
	if (!grown) {
		free(entry);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		grown[i] = environ[i];
	grown[count] = entry;
	grown[count + 1] = 0;
	environ = grown;
	return 0;
}
