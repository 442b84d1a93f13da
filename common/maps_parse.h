/* Parser for one line of /proc/PID/maps. Freestanding: used by the dump
 * path, the restorer and the unit tests alike. */
#ifndef TCP_MAPS_PARSE_H
#define TCP_MAPS_PARSE_H

#include <stdint.h>
#include <stddef.h>

#define MAPS_PATH_MAX 4096

struct maps_entry {
	uint64_t start, end;
	int prot;		/* PROT_READ|PROT_WRITE|PROT_EXEC */
	int shared;		/* 's' rather than 'p' */
	uint64_t offset;
	uint32_t dev_major, dev_minor;
	uint64_t inode;
	char path[MAPS_PATH_MAX]; /* "" for anonymous; "[heap]", "/lib/..", "/x (deleted)" */
};

/* Parses `len` bytes of `line` (no trailing newline needed). Returns 0 on
 * success, -1 if the line is malformed. */
int maps_parse_line(const char *line, size_t len, struct maps_entry *out);

/* Iterates over the lines of a buffer holding a whole maps file. Returns the
 * length of the next line starting at *pos (excluding '\n') and advances *pos,
 * or -1 at the end. */
long maps_next_line(const char *buf, size_t len, size_t *pos, const char **line);

#endif
