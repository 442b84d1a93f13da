/* Queued socket data at restore: validated, then sent again from the
 * other end so that it waits where it waited at checkpoint time. */
#define _GNU_SOURCE
#include "sock_queue.h"
#include "../image/format.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int sock_queue_check(const char *buf, uint64_t len, uint32_t nmsgs, const char **why)
{
	uint64_t off = 0;
	for (uint32_t i = 0; i < nmsgs; i++) {
		uint32_t n;
		if (len - off < 4) {
			*why = "a message header runs past the end of the queued data";
			return -1;
		}
		memcpy(&n, buf + off, 4);
		off += 4;
		n &= TCP_SOCK_MSG_LEN;
		if (n > len - off) {
			*why = "a message runs past the end of the queued data";
			return -1;
		}
		off += n;
	}
	if (off != len) {
		*why = "the queued data holds more than its messages";
		return -1;
	}
	return 0;
}

/* The kernel counts queued data against the sender's send buffer: make
 * it large while the queue is refilled (the program's own size is set
 * afterwards). SO_SNDBUFFORCE needs CAP_NET_ADMIN; SO_SNDBUF is capped at
 * net.core.wmem_max, which held the queue at checkpoint time anyway. */
static void widen_send_buffer(int fd, uint64_t need)
{
	int v = need > (1u << 29) ? (1 << 29) : (int)need * 2 + (1 << 20);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

int sock_queue_send(int sender, int receiver, const char *buf, uint64_t len)
{
	int receiver_creds = 0;
	socklen_t clen = sizeof(receiver_creds);
	getsockopt(receiver, SOL_SOCKET, SO_PASSCRED, &receiver_creds, &clen);
	widen_send_buffer(sender, len);
	for (uint64_t off = 0; off < len;) {
		uint32_t n;
		memcpy(&n, buf + off, 4);
		off += 4;
		/* The kernel attaches our credentials to what is sent to a socket
		 * with SO_PASSCRED (on the sender it would also bind it to an
		 * abstract name). */
		int creds = (n & TCP_SOCK_MSG_CREDS) != 0;
		n &= TCP_SOCK_MSG_LEN;
		if (creds != receiver_creds) {
			setsockopt(receiver, SOL_SOCKET, SO_PASSCRED, &creds, sizeof(creds));
			receiver_creds = creds;
		}
		/* A stream may take a record in pieces; a datagram goes whole. */
		uint64_t done = 0;
		do {
			ssize_t w = send(sender, buf + off + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += (uint64_t)w;
		} while (done < n);
		off += n;
	}
	return 0;
}
