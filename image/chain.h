/* The chain of an incremental image (hosted): the older images its REFS
 * take pages from, opened from the image's own directory and checked to be
 * the very files the image was written against. */
#ifndef TCP_IMAGE_CHAIN_H
#define TCP_IMAGE_CHAIN_H

#include <stddef.h>
#include "reader.h"

/* Opens img->parents[i].fd for every older image (in the directory of
 * `img_path`, symlinks resolved). Returns 0, or -1 with a message naming the
 * missing or replaced image and what to do. Nothing to do for a full image. */
int img_chain_open(struct tcp_image *img, const char *img_path, char *err, size_t errlen);

/* Reads every inherited page from its older image and checks it against
 * the image's hash of it (tcp-restore --check; a restore checks them in
 * place instead). Returns 0, or -1 with a message. */
int img_chain_verify(const struct tcp_image *img, char *err, size_t errlen);

/* Is fd the image recorded as `size` bytes whose PROCESS section's payload
 * checksum is process_sum (and whose file header's identifier is id, if
 * not NULL)? NULL, or why not; *proc receives its PROCESS section, key its
 * identifier. (The PROCESS section holds the time, pid and generation: a
 * file that matches is the very checkpoint recorded.) */
const char *img_identify(int fd, uint64_t size, const uint64_t id[2], uint64_t process_sum, struct tcp_process *proc,
			 uint64_t key[2]);

#endif
