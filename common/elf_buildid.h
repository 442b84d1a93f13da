#ifndef TCP_ELF_BUILDID_H
#define TCP_ELF_BUILDID_H
#include <stddef.h>
#include <stdint.h>
/* Finds the GNU build-id note of an ELF file whose first bytes are mapped at
 * `base` (len bytes readable). Returns its length (0 if none). Freestanding. */
uint32_t elf_build_id(const void *base, uint64_t len, uint8_t *out, uint32_t cap);
#endif
