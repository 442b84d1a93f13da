/* NETLINK_SOCK_DIAG client for UNIX sockets, in raw system calls. */
#include "sock_diag.h"
#include "sock_diag_netlink.h"
#include "../common/fstr.h"
#include "../common/rawsys.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>

static void parse_attrs(const char *p, long len, struct unix_sock_info *out)
{
	uint16_t type;
	const char *v;
	uint32_t vlen;
	while (sock_diag_next_attr(&p, &len, &type, &v, &vlen)) {
		switch (type) {
		case UNIX_DIAG_PEER:
			if (vlen >= 4) {
				uint32_t ino;
				f_memcpy(&ino, v, 4);
				out->peer_ino = ino;
				out->have_peer = 1;
			}
			break;
		case UNIX_DIAG_RQLEN:
			if (vlen >= sizeof(struct unix_diag_rqlen)) {
				struct unix_diag_rqlen q;
				f_memcpy(&q, v, sizeof(q));
				out->rqueue = q.udiag_rqueue;
				out->wqueue = q.udiag_wqueue;
				out->have_rqlen = 1;
			}
			break;
		case UNIX_DIAG_SHUTDOWN:
			if (vlen >= 1) {
				out->shutdown = (uint8_t)v[0] & 3u;
				out->have_shutdown = 1;
			}
			break;
		case UNIX_DIAG_NAME:
			if (vlen <= sizeof(out->name)) {
				f_memcpy(out->name, v, vlen);
				out->name_len = vlen;
				out->have_name = 1;
			}
			break;
		}
	}
}

int unix_diag_parse(const void *buf, long len, uint64_t ino, struct unix_sock_info *out)
{
	f_memset(out, 0, sizeof(*out));
	long body, end;
	int rc = sock_diag_reply(buf, len, sizeof(struct unix_diag_msg), &body, &end);
	if (rc)
		return rc;
	struct unix_diag_msg m;
	f_memcpy(&m, (const char *)buf + body, sizeof(m));
	if (m.udiag_family != AF_UNIX || m.udiag_ino != ino)
		return -1;
	out->type = m.udiag_type;
	out->state = m.udiag_state;
	out->ino = m.udiag_ino;
	long head = body + (long)SOCK_DIAG_ALIGN(sizeof(m));
	if (head < end)
		parse_attrs((const char *)buf + head, end - head, out);
	return 0;
}

int unix_diag_query(uint64_t ino, struct unix_sock_info *out, void *buf, unsigned long cap)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	f_memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = 1;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_ino = (uint32_t)ino;
	req.r.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN; /* UNIX_DIAG_SHUTDOWN always comes */
	req.r.udiag_cookie[0] = req.r.udiag_cookie[1] = ~0u; /* INET_DIAG_NOCOOKIE: any */

	long rc = sock_diag_exchange(&req, sizeof(req), buf, cap);
	if (rc < 0)
		return (int)rc;
	rc = unix_diag_parse(buf, rc, ino, out);
	return rc == -1 ? -5 /* EIO: a reply we do not understand */ : (int)rc;
}

int unix_diag_dump_match(const void *buf, long len, const void *name, uint32_t name_len, uint64_t *ino)
{
	const char *p = buf;
	while (len >= (long)sizeof(struct nlmsghdr)) {
		struct nlmsghdr h;
		f_memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > (unsigned long)len)
			return -1;
		if (h.nlmsg_type == NLMSG_DONE)
			return 2;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;
			if (h.nlmsg_len < sizeof(h) + sizeof(e))
				return -1;
			f_memcpy(&e, p + sizeof(h), sizeof(e));
			return e.error < 0 ? e.error : -1;
		}
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && h.nlmsg_len >= sizeof(h) + sizeof(struct unix_diag_msg)) {
			struct unix_diag_msg m;
			struct unix_sock_info info;
			f_memcpy(&m, p + sizeof(h), sizeof(m));
			f_memset(&info, 0, sizeof(info));
			long head = (long)SOCK_DIAG_ALIGN(sizeof(h) + sizeof(m));
			if (head < (long)h.nlmsg_len)
				parse_attrs(p + head, (long)h.nlmsg_len - head, &info);
			if (info.have_name && info.name_len == name_len && f_memeq(info.name, name, name_len)) {
				*ino = m.udiag_ino;
				return 1;
			}
		}
		long step = (long)SOCK_DIAG_ALIGN(h.nlmsg_len);
		if (step > len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int unix_diag_find_name(const void *name, uint32_t name_len, uint64_t *ino, void *buf, unsigned long cap)
{
	struct {
		struct nlmsghdr h;
		struct unix_diag_req r;
	} req;
	f_memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = 2;
	req.r.sdiag_family = AF_UNIX;
	req.r.udiag_states = ~0u;
	req.r.udiag_show = UDIAG_SHOW_NAME;

	*ino = 0;
	long nl = sock_diag_send(&req, sizeof(req));
	if (nl < 0)
		return (int)nl;
	long rc = 0;
	int found = 0;
	/* The reply comes in parts, each a batch of sockets, then NLMSG_DONE;
	 * once the name is found the rest is dropped with the socket. */
	while (rc >= 0 && !found) {
		rc = sock_diag_receive((int)nl, buf, cap);
		if (rc <= 0)
			break;
		int m = unix_diag_dump_match(buf, rc, name, name_len, ino);
		if (m == 2)
			break;
		if (m < 0)
			rc = m;
		found = m == 1;
	}
	r_close((int)nl);
	if (found)
		return 0;
	return rc < 0 ? (int)rc : -2 /* ENOENT */;
}
