/* Numbers from the "Key:\tvalue" lines of a /proc file (status, fdinfo),
 * read through a small buffer: for code on a stack that may be small, and
 * files with lines of any length (Groups). Raw read(2) only. */
#ifndef TCP_PROC_FIELDS_H
#define TCP_PROC_FIELDS_H

#include <stddef.h>
#include <stdint.h>

/* Reads fd to its end, or until every key is found. out[i] gets the value
 * of the line starting with keys[i] (in `base`). Returns a mask with bit i
 * set for each key found, or -1 if a read failed. buf: scratch of `cap`
 * bytes, longer than any line of interest. */
int proc_fields_read(int fd, char *buf, size_t cap, const char *const *keys, int nkeys, int base, uint64_t *out);

#endif
