/* What the two NETLINK_SOCK_DIAG clients (sock_diag.c for UNIX sockets,
 * sock_diag_inet.c for TCP) share: one request and its reply over a
 * netlink socket opened and closed for it, the checks of the reply's
 * header, and the walk over its attributes. Raw system calls; the parsing
 * is pure, for the unit tests' made-up replies. */
#include "sock_diag_netlink.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

long sock_diag_send(const void *req, unsigned long req_len)
{
	long nl = r_socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return nl;
	struct sockaddr_nl kernel;
	f_memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	long rc = r_sendto((int)nl, req, req_len, 0, &kernel, sizeof(kernel));
	if (rc < 0) {
		r_close((int)nl);
		return rc;
	}
	return nl;
}

long sock_diag_receive(int nl, void *buf, unsigned long cap)
{
	long rc;
	do
		rc = r_recvfrom(nl, buf, cap, 0, 0, 0);
	while (rc == -4 /* EINTR */);
	return rc;
}

long sock_diag_exchange(const void *req, unsigned long req_len, void *buf, unsigned long cap)
{
	/* Opened and closed here: no fd of ours stays around while the fd
	 * table is being listed. */
	long nl = sock_diag_send(req, req_len);
	if (nl < 0)
		return nl;
	long rc = sock_diag_receive((int)nl, buf, cap);
	r_close((int)nl);
	return rc;
}

int sock_diag_reply(const void *buf, long len, unsigned long msg_size, long *body, long *end)
{
	const char *p = buf;
	struct nlmsghdr h;
	if (len < (long)sizeof(h))
		return -1;
	f_memcpy(&h, p, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (unsigned long)len)
		return -1;
	if (h.nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;
		if (h.nlmsg_len < sizeof(h) + sizeof(e))
			return -1;
		f_memcpy(&e, p + sizeof(h), sizeof(e));
		return e.error < 0 ? e.error : -1;
	}
	if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY || h.nlmsg_len < sizeof(h) + msg_size)
		return -1;
	*body = (long)sizeof(h);
	*end = (long)h.nlmsg_len;
	return 0;
}

int sock_diag_next_attr(const char **p, long *len, uint16_t *type, const char **value, uint32_t *vlen)
{
	struct {
		uint16_t len, type;
	} a;
	if (*len < (long)sizeof(a))
		return 0;
	f_memcpy(&a, *p, sizeof(a));
	if (a.len < sizeof(a) || a.len > *len)
		return 0;
	*type = a.type;
	*value = *p + sizeof(a);
	*vlen = a.len - (uint32_t)sizeof(a);
	long step = (long)SOCK_DIAG_ALIGN(a.len);
	*p += step;
	*len -= step;
	return 1;
}
