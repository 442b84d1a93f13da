/* The lines of /proc/PID/smaps that are not maps lines: one header line per
 * mapping (the maps line) is followed by "Field: value" lines, among them
 * "VmFlags:", the mapping's madvise state. Freestanding. */
#ifndef TCP_SMAPS_FLAGS_H
#define TCP_SMAPS_FLAGS_H

#include <stddef.h>
#include <stdint.h>

/* 1 if the line is one of a mapping's field lines rather than its header:
 * field names start with a capital letter, a header with a hex address. */
int smaps_is_field(const char *line, size_t len);

/* If the line is "VmFlags: ...", sets *flags to the TCP_REGF_* bits of the
 * flags tcp restores (hg nh dd wf dc mg nr lo lf) and returns 1; else returns 0. */
int smaps_vmflags(const char *line, size_t len, uint32_t *flags);

/* The mnemonic ("hg") of one TCP_REGF_* bit that comes from VmFlags, or 0. */
const char *smaps_flag_name(uint32_t flag);

/* Steps through a whole smaps (or maps) text: points *header at the next
 * mapping's header line, sets *flags from its VmFlags line (0 without one)
 * and returns the header's length (no '\n'), or -1 at the end. */
long smaps_next(const char *buf, size_t len, size_t *pos, const char **header, uint32_t *flags);

/* The same, also setting *anon_kb to the mapping's "Anonymous:" plus
 * "Swap:" kB: about the pages of it a checkpoint stores (0 in maps text). */
long smaps_next_anon(const char *buf, size_t len, size_t *pos, const char **header, uint32_t *flags,
		     uint64_t *anon_kb);

#endif
