/* A socket address (getsockname/getpeername bytes) as text, for messages
 * and tcp-inspect: "1.2.3.4:80", "[0:0:0:0:0:0:0:1]:80", "/path",
 * "@abstract" (Linux's abstract UNIX names), "an unnamed socket". */
#ifndef TCP_SOCKADDR_TEXT_H
#define TCP_SOCKADDR_TEXT_H

#include <stdint.h>
#include "fstr.h"

/* Returns 0 when it wrote "an unnamed socket", 1 for an address. */
int fb_put_sockaddr(struct fbuf *b, const uint8_t *addr, uint32_t len);

#endif
