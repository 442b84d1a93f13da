/* The words of a progress line and of the summary that ends it, for long
 * work shown to a person: tcp-restore -v reading an image (the blob), and
 * the same wording as tcp-ckpt's (scripts/tcp-ckpt, in bash). Freestanding. */
#ifndef TCP_PROGRESS_TEXT_H
#define TCP_PROGRESS_TEXT_H

#include <stdint.h>
#include "fstr.h"

/* "812 KiB", "12.3 MiB", "4.0 GiB": one decimal from MiB on. */
void fb_put_size(struct fbuf *b, uint64_t bytes);

/* "1.2 GiB of 4.0 GiB (30%), 803 MiB/s, 4 s left"; without a total (0)
 * "1.2 GiB, 803 MiB/s"; no rate and time left before 100 ms have passed.
 * A total below done is taken as done. */
void progress_text(struct fbuf *b, uint64_t done, uint64_t total, uint64_t elapsed_ms);

/* "4.0 GiB<what> in 5.1 s (803 MiB/s)"; no rate under 1 ms. */
void progress_summary(struct fbuf *b, uint64_t bytes, const char *what, uint64_t elapsed_ms);

#endif
