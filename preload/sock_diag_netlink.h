/* The netlink part the NETLINK_SOCK_DIAG clients share (sock_diag_netlink.c). */
#ifndef TCP_SOCK_DIAG_NETLINK_H
#define TCP_SOCK_DIAG_NETLINK_H

#include <stdint.h>

#define SOCK_DIAG_ALIGN(n) (((n) + 3u) & ~3u)

/* Sends request `req` to the kernel on a netlink socket of its own: that
 * socket (the caller closes it), or -errno. */
long sock_diag_send(const void *req, unsigned long req_len);
/* One part of the reply into buf (cap bytes): its length, or -errno. */
long sock_diag_receive(int nl, void *buf, unsigned long cap);
/* Both, for a request with a one-part reply: the reply's length, or -errno. */
long sock_diag_exchange(const void *req, unsigned long req_len, void *buf, unsigned long cap);
/* Checks the reply's header for a SOCK_DIAG_BY_FAMILY message of at least
 * msg_size bytes after it: 0 with the offsets of that message (*body) and
 * of the end of the netlink message (*end); -1 if malformed; the kernel's
 * -errno from an NLMSG_ERROR message. */
int sock_diag_reply(const void *buf, long len, unsigned long msg_size, long *body, long *end);
/* The next attribute from *p (*len bytes left): 1 with its type and value,
 * *p and *len moved past it; 0 at the end or on a malformed one. */
int sock_diag_next_attr(const char **p, long *len, uint16_t *type, const char **value, uint32_t *vlen);

#endif
