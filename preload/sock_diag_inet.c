/* NETLINK_SOCK_DIAG client for TCP sockets (INET_DIAG), in raw system
 * calls: an exact lookup by the connection's addresses, which any user may
 * make, with the socket's tcp_info. */
#include "sock_diag.h"
#include "sock_diag_netlink.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void parse_attrs(const char *p, long len, struct inet_sock_info *out)
{
	uint16_t type;
	const char *v;
	uint32_t vlen;
	while (sock_diag_next_attr(&p, &len, &type, &v, &vlen)) {
		if (type == INET_DIAG_SHUTDOWN && vlen >= 1) {
			out->shutdown = (uint8_t)v[0] & 3u;
		} else if (type == INET_DIAG_INFO &&
			   vlen >= offsetof(struct tcp_info, tcpi_notsent_bytes) + sizeof(uint32_t)) {
			/* Older kernels send a shorter struct: only what they have. */
			f_memcpy(&out->bytes_acked, v + offsetof(struct tcp_info, tcpi_bytes_acked), 8);
			f_memcpy(&out->bytes_received, v + offsetof(struct tcp_info, tcpi_bytes_received), 8);
			f_memcpy(&out->notsent, v + offsetof(struct tcp_info, tcpi_notsent_bytes), 4);
			out->have_info = 1;
		}
	}
}

int inet_diag_parse(const void *buf, long len, struct inet_sock_info *out)
{
	f_memset(out, 0, sizeof(*out));
	long body, end;
	int rc = sock_diag_reply(buf, len, sizeof(struct inet_diag_msg), &body, &end);
	if (rc)
		return rc;
	struct inet_diag_msg m;
	f_memcpy(&m, (const char *)buf + body, sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return -1;
	out->ino = m.idiag_inode;
	out->state = m.idiag_state;
	out->rqueue = m.idiag_rqueue;
	out->wqueue = m.idiag_wqueue;
	long head = body + (long)SOCK_DIAG_ALIGN(sizeof(m));
	if (head < end)
		parse_attrs((const char *)buf + head, end - head, out);
	return 0;
}

/* Port and address of a sockaddr_in/_in6 into the request's id. */
static void put_end(int family, const void *sa, uint16_t *port, uint32_t addr[4])
{
	if (family == AF_INET) {
		struct sockaddr_in s;
		f_memcpy(&s, sa, sizeof(s));
		*port = s.sin_port;
		f_memcpy(addr, &s.sin_addr, 4);
	} else {
		struct sockaddr_in6 s;
		f_memcpy(&s, sa, sizeof(s));
		*port = s.sin6_port;
		f_memcpy(addr, &s.sin6_addr, 16);
	}
}

int inet_diag_query(int family, const void *local, const void *remote, struct inet_sock_info *out, void *buf,
		    unsigned long cap)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	f_memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 1u << (INET_DIAG_INFO - 1); /* INET_DIAG_SHUTDOWN always comes */
	req.r.idiag_states = ~0u;
	put_end(family, local, &req.r.id.idiag_sport, req.r.id.idiag_src);
	put_end(family, remote, &req.r.id.idiag_dport, req.r.id.idiag_dst);
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

	long rc = sock_diag_exchange(&req, sizeof(req), buf, cap);
	if (rc < 0)
		return (int)rc;
	rc = inet_diag_parse(buf, rc, out);
	return rc == -1 ? -5 /* EIO: a reply we do not understand */ : (int)rc;
}
