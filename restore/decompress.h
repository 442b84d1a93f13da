/* The decompressor of tcp-restore (decompress.c): the blob cannot run zstd,
 * so a helper process decompresses every ZPAGES section, in image order,
 * into a pipe that the blob reads the IMG_EXT_ZSTD extents from
 * (BLOB_EXT_STREAM). */
#ifndef TCP_DECOMPRESS_H
#define TCP_DECOMPRESS_H

#include "../image/reader.h"

/* Starts the helper when the image holds ZPAGES sections (before the PID
 * namespace: it takes no pid there and is nobody's child in it). 0, or -1
 * after a message. */
int decompress_start(const struct tcp_image *img, int image_fd, const char *path);
/* Moves the pipes' read ends to fds >= floor (the blob closes those before
 * the program runs). 0, or -1 after a message. */
int decompress_move_above(int floor);
/* tcp-restore --check: decompresses every ZPAGES section without keeping
 * the pages, checking every frame. 0, or -1 after a message. */
int decompress_check(const struct tcp_image *img, int image_fd, const char *path);
/* The read end of img's, or -1 when it has no decompressor. */
int decompress_fd(const struct tcp_image *img);

#endif
