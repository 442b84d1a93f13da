/* libtcp's own getenv/setenv over `environ` (env_read.c). */
#ifndef TCP_ENV_READ_H
#define TCP_ENV_READ_H

/* The value of `name`, or NULL. */
const char *tcp_getenv(const char *name);
/* Sets `name` (replacing its entry, or adding one in a new array). 0 or
 * -1. Start-up only (malloc). */
int tcp_setenv(const char *name, const char *value);

#endif
