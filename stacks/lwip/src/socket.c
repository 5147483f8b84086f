/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-stack socket API: each call runs lwIP's own socket function of that stack's
 * instance in the caller's thread and carries lwIP's errno back into the caller's errno.
 * Open descriptors are tracked so a stack can be destroyed with sockets open. Also the
 * two helpers built on sockets and ARP: ping and ARP resolution.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lwip_private.h"

/*
 * lwIP's errno of a failed call as a POSIX one. lwIP 2.1 maps ERR_IF (a netif could not
 * send: this stack's link is down, its port disconnected or the peer of its wire gone)
 * to -1, not to an errno: that is ENETDOWN. Anything else not positive: EIO.
 */
static int posix_errno(int err)
{
	if (err > 0)
		return err;
	return err == -1 ? ENETDOWN : EIO;
}

static int fail(int err)
{
	errno = err;
	return -1;
}

/*
 * Every socket call has the same frame: enter(), run lwIP's call on the entered stack,
 * then done() (or read_done() for a call that reads). lwIP's errno is read before the
 * stack is left: it is the calling thread's, and only valid until its next lwIP call.
 */

/* Enter @h for one call: NULL with errno EBADF for a dead stack, or EFAULT when @fault
 * (a NULL pointer lwIP would dereference, or assert on). */
static vnetif_lwip_stack *enter(vnetif_lwip_stack *h, bool fault)
{
	vnetif_lwip_stack *s = vnl_stack_enter(h);

	if (s == NULL) {
		errno = EBADF;
		return NULL;
	}
	if (fault) {
		vnl_stack_leave(s);
		errno = EFAULT;
		return NULL;
	}
	return s;
}

/* lwIP's errno of the call that returned @r (0 if it did not fail). */
static int lwip_errno(vnetif_lwip_stack *s, ssize_t r)
{
	return r < 0 ? s->g->last_errno() : 0;
}

/* Leave @s after a call that returned @r; a failure's errno as a POSIX one. */
static ssize_t done(vnetif_lwip_stack *s, ssize_t r)
{
	int err = lwip_errno(s, r);

	vnl_stack_leave(s);
	if (r < 0)
		errno = posix_errno(err);
	return r;
}

/*
 * done() for a read of @want bytes on @fd that returned @r: POSIX says a stream
 * socket whose reading reached the end returns 0 at every call, but lwIP 2.1 answers
 * ENOTCONN after the first 0 (it shut the receive side down then). Remember the end
 * (a 0 for a non-empty read, or shutdown(SHUT_RD)) and answer 0 from then on.
 */
static ssize_t read_done(vnetif_lwip_stack *s, int fd, ssize_t r, size_t want)
{
	const unsigned eof = VNL_FD_STREAM | VNL_FD_EOF;
	int err = lwip_errno(s, r);

	if (r == 0 && want > 0 && (vnl_fd_flags(s, fd, 0) & VNL_FD_STREAM))
		vnl_fd_flags(s, fd, VNL_FD_EOF);
	if (r < 0 && err == ENOTCONN && (vnl_fd_flags(s, fd, 0) & eof) == eof)
		r = 0;
	vnl_stack_leave(s);
	if (r < 0)
		errno = posix_errno(err);
	return r;
}

/* done() for a call that returns a new descriptor: track it. */
static int new_fd(vnetif_lwip_stack *s, int fd, bool stream)
{
	if (fd >= 0)
		vnl_fd_add(s, fd, stream);
	return (int)done(s, fd);
}

VNETIF_LWIP_API int vnetif_lwip_socket(vnetif_lwip_stack *h, int domain, int type, int protocol)
{
	vnetif_lwip_stack *s = enter(h, false);

	if (s == NULL)
		return -1;
	if (domain != AF_INET && domain != AF_INET6) { /* lwIP would make an IPv4 socket */
		vnl_stack_leave(s);
		return fail(EAFNOSUPPORT);
	}
	return new_fd(s, s->g->sock->socket(domain, type, protocol), type == SOCK_STREAM);
}

VNETIF_LWIP_API int vnetif_lwip_accept(vnetif_lwip_stack *h, int fd, struct sockaddr *addr,
				       socklen_t *len)
{
	vnetif_lwip_stack *s = enter(h, addr != NULL && len == NULL); /* lwIP asserts */

	return s ? new_fd(s, s->g->sock->accept(fd, addr, len), true) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_close(vnetif_lwip_stack *h, int fd)
{
	vnetif_lwip_stack *s = enter(h, false);

	if (s == NULL)
		return -1;
	/* out of the table first: destroy's wake-up must never see a netconn being freed */
	vnl_fd_del(s, fd);
	return (int)done(s, s->g->sock->close(fd));
}

/* An iovec array lwIP would read or write through: NULL bases with bytes to move. */
static bool iov_fault(const struct iovec *iov, int cnt, size_t *total)
{
	*total = 0;
	if (cnt > 0 && iov == NULL)
		return true;
	for (int i = 0; i < cnt && i < 1024; i++) {
		if (iov[i].iov_base == NULL && iov[i].iov_len > 0)
			return true;
		*total += iov[i].iov_len;
	}
	return false;
}

VNETIF_LWIP_API int vnetif_lwip_bind(vnetif_lwip_stack *h, int fd, const struct sockaddr *addr,
				     socklen_t len)
{
	vnetif_lwip_stack *s = enter(h, addr == NULL);

	return s ? (int)done(s, s->g->sock->bind(fd, addr, len)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_listen(vnetif_lwip_stack *h, int fd, int backlog)
{
	vnetif_lwip_stack *s = enter(h, false);

	return s ? (int)done(s, s->g->sock->listen(fd, backlog)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_connect(vnetif_lwip_stack *h, int fd,
					const struct sockaddr *addr, socklen_t len)
{
	vnetif_lwip_stack *s = enter(h, addr == NULL);

	return s ? (int)done(s, s->g->sock->connect(fd, addr, len)) : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_send(vnetif_lwip_stack *h, int fd, const void *buf,
					 size_t len, int flags)
{
	vnetif_lwip_stack *s = enter(h, buf == NULL && len > 0);

	return s ? done(s, s->g->sock->send(fd, buf, len, flags)) : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_recv(vnetif_lwip_stack *h, int fd, void *buf, size_t len,
					 int flags)
{
	vnetif_lwip_stack *s = enter(h, buf == NULL && len > 0);

	return s ? read_done(s, fd, s->g->sock->recv(fd, buf, len, flags), len) : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_sendto(vnetif_lwip_stack *h, int fd, const void *buf,
					   size_t len, int flags, const struct sockaddr *addr,
					   socklen_t addrlen)
{
	vnetif_lwip_stack *s = enter(h, buf == NULL && len > 0);

	return s ? done(s, s->g->sock->sendto(fd, buf, len, flags, addr, addrlen)) : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_recvfrom(vnetif_lwip_stack *h, int fd, void *buf, size_t len,
					     int flags, struct sockaddr *addr, socklen_t *addrlen)
{
	vnetif_lwip_stack *s =
		enter(h, (buf == NULL && len > 0) || (addr != NULL && addrlen == NULL));

	return s ? read_done(s, fd, s->g->sock->recvfrom(fd, buf, len, flags, addr, addrlen), len)
		 : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_writev(vnetif_lwip_stack *h, int fd, const struct iovec *iov,
					   int iovcnt)
{
	size_t total;
	vnetif_lwip_stack *s = enter(h, iov_fault(iov, iovcnt, &total));

	return s ? done(s, s->g->sock->writev(fd, iov, iovcnt)) : -1;
}

VNETIF_LWIP_API ssize_t vnetif_lwip_readv(vnetif_lwip_stack *h, int fd, const struct iovec *iov,
					  int iovcnt)
{
	size_t total;
	vnetif_lwip_stack *s = enter(h, iov_fault(iov, iovcnt, &total));

	return s ? read_done(s, fd, s->g->sock->readv(fd, iov, iovcnt), total) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_shutdown(vnetif_lwip_stack *h, int fd, int how)
{
	vnetif_lwip_stack *s = enter(h, false);
	int rc;

	if (s == NULL)
		return -1;
	rc = s->g->sock->shutdown(fd, how);
	if (rc == 0 && (how == SHUT_RD || how == SHUT_RDWR))
		vnl_fd_flags(s, fd, VNL_FD_EOF);
	return (int)done(s, rc);
}

VNETIF_LWIP_API int vnetif_lwip_setsockopt(vnetif_lwip_stack *h, int fd, int level, int name,
					   const void *val, socklen_t len)
{
	vnetif_lwip_stack *s = enter(h, val == NULL && len > 0);

	return s ? (int)done(s, s->g->sock->setsockopt(fd, level, name, val, len)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_getsockopt(vnetif_lwip_stack *h, int fd, int level, int name,
					   void *val, socklen_t *len)
{
	vnetif_lwip_stack *s = enter(h, val == NULL || len == NULL);

	return s ? (int)done(s, s->g->sock->getsockopt(fd, level, name, val, len)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_getsockname(vnetif_lwip_stack *h, int fd, struct sockaddr *addr,
					    socklen_t *len)
{
	vnetif_lwip_stack *s = enter(h, addr == NULL || len == NULL);

	return s ? (int)done(s, s->g->sock->getsockname(fd, addr, len)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_getpeername(vnetif_lwip_stack *h, int fd, struct sockaddr *addr,
					    socklen_t *len)
{
	vnetif_lwip_stack *s = enter(h, addr == NULL || len == NULL);

	return s ? (int)done(s, s->g->sock->getpeername(fd, addr, len)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_poll(vnetif_lwip_stack *h, struct pollfd *fds, nfds_t nfds,
				     int timeout_ms)
{
	vnetif_lwip_stack *s = enter(h, fds == NULL && nfds > 0);

	return s ? (int)done(s, s->g->sock->poll(fds, nfds, timeout_ms)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_fcntl(vnetif_lwip_stack *h, int fd, int cmd, int val)
{
	vnetif_lwip_stack *s = enter(h, false);

	return s ? (int)done(s, s->g->sock->fcntl(fd, cmd, val)) : -1;
}

VNETIF_LWIP_API int vnetif_lwip_ioctl(vnetif_lwip_stack *h, int fd, long cmd, void *argp)
{
	vnetif_lwip_stack *s = enter(h, argp == NULL);

	return s ? (int)done(s, s->g->sock->ioctl(fd, cmd, argp)) : -1;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

VNETIF_LWIP_API int vnetif_lwip_arp_resolve(vnetif_lwip_stack *h, const char *ipv4,
					    uint8_t mac[VNETIF_ETHER_ADDR_LEN], unsigned timeout_ms)
{
	vnetif_lwip_stack *s;
	struct in_addr a;
	uint64_t start = now_us(), last_req = 0;
	int rc;

	if (ipv4 == NULL || mac == NULL || inet_pton(AF_INET, ipv4, &a) != 1)
		return -EINVAL;
	if ((s = vnl_stack_enter(h)) == NULL)
		return -EINVAL;
	for (;;) {
		uint64_t t = now_us();
		/* (re)send a request every 100 ms while waiting */
		bool send = timeout_ms > 0 && (last_req == 0 || t - last_req >= 100000);

		rc = s->g->arp_lookup(a.s_addr, mac, send);
		if (send)
			last_req = t;
		if (rc == 0 || t - start >= (uint64_t)timeout_ms * 1000u)
			break;
		usleep(200);
	}
	vnl_stack_leave(s);
	return rc;
}

VNETIF_LWIP_API int vnetif_lwip_ping(vnetif_lwip_stack *s, const char *ipv4, unsigned timeout_ms,
				     unsigned *rtt_us)
{
	static _Atomic uint16_t next_id = 0x5600;
	struct sockaddr_in dst;
	uint8_t req[8 + 32];
	_Alignas(8) uint8_t buf[1600];
	uint16_t id = atomic_fetch_add(&next_id, 1), seq = 1;
	uint64_t start, deadline;
	vnetif_lwip_stack *st;
	int fd, rc = -ETIMEDOUT;

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	if (ipv4 == NULL || inet_pton(AF_INET, ipv4, &dst.sin_addr) != 1)
		return -EINVAL;
	st = vnl_stack_enter(s);
	if (st == NULL)
		return -EINVAL;
	rc = st->g->echo_request(req, sizeof(req), id, seq);
	vnl_stack_leave(st);
	if (rc)
		return rc;
	rc = -ETIMEDOUT;
	fd = vnetif_lwip_socket(s, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return -errno;
	start = now_us();
	deadline = start + (uint64_t)timeout_ms * 1000u;
	if (vnetif_lwip_sendto(s, fd, req, sizeof(req), 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		uint64_t t = now_us(), ms;
		struct timeval tv;
		ssize_t n;
		int match;

		if (t >= deadline)
			break;
		/* lwIP counts whole milliseconds and reads 0 as "forever": round up */
		ms = (deadline - t + 999) / 1000;
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
		vnetif_lwip_setsockopt(s, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = vnetif_lwip_recv(s, fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			rc = -errno;
			break;
		}
		if ((st = vnl_stack_enter(s)) == NULL) {
			rc = -EBADF;
			break;
		}
		match = st->g->echo_reply(buf, (size_t)n, dst.sin_addr.s_addr, id, seq);
		vnl_stack_leave(st);
		if (match) {
			if (rtt_us != NULL)
				*rtt_us = (unsigned)(now_us() - start);
			rc = 0;
			break;
		}
	}
out:
	vnetif_lwip_close(s, fd);
	return rc;
}
