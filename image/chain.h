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

#endif
