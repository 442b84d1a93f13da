/* An errno as a person can read it, for messages written without libc (the
 * restore blob): "EXDEV, invalid cross-device link, errno 18". Freestanding. */
#ifndef TCP_ERRNO_TEXT_H
#define TCP_ERRNO_TEXT_H

#include "fstr.h"

/* `err` negative (a raw syscall's result) or positive. The common values
 * get their name and a short text before the number; others the number
 * alone ("errno 200"). */
void fb_put_errno(struct fbuf *b, long err);

#endif
