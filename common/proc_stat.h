/* Parsers for what a process-tree checkpoint reads of other processes:
 * /proc/PID/stat and /proc/PID/task/TID/children. Freestanding (the dump
 * path runs them while the tree is stopped; the unit tests too). */
#ifndef TCP_PROC_STAT_H
#define TCP_PROC_STAT_H

#include <stddef.h>
#include <stdint.h>

struct proc_stat {
	char state;		/* R S D Z T t X ... */
	int ppid, pgrp, session;
	int exit_code;		/* field 52: a zombie's wait status (0 while it runs) */
	int has_exit_code;	/* the kernel shows field 52 (Linux >= 3.5) */
	uint64_t start_time;	/* field 22, clock ticks after boot: tells a reused pid */
	char comm[16];
};

/* Parses a whole /proc/PID/stat text of `len` bytes (the command name may
 * hold spaces and parentheses: the last ')' ends it). Returns 0, or -1 if
 * malformed. */
int proc_stat_parse(const char *buf, size_t len, struct proc_stat *out);

/* Parses a children file ("12 345 ") into pids[0..cap). Returns the count
 * (more than cap if it did not all fit), or -1 if malformed. */
int proc_children_parse(const char *buf, size_t len, int *pids, int cap);

#endif
