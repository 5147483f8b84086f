/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The error contract of every public call of libvnetif-lwip: stack calls return 0 or a
 * negative errno (never a positive value), socket calls -1 with a positive POSIX errno
 * (never lwIP's -1 for ERR_IF, never 0), a dead or NULL stack is EBADF / -EINVAL, a NULL
 * pointer lwIP would dereference or assert on is EFAULT, and a stream socket whose
 * reading reached the end returns 0 at every later call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "../src/ns_abi.h"
#include "lwip_test.h"

#define IP_A "10.2.0.1"
#define IP_B "10.2.0.2"

/* Expect a socket call to fail with @e. */
#define EXPECT_ERR(call, e)                                                                  \
	do {                                                                                 \
		long r_;                                                                     \
		errno = 0;                                                                   \
		r_ = (long)(call);                                                           \
		ck_assert_msg(r_ == -1 && errno == (e), "%s: %ld, errno %d (%s), want %d (%s)", \
			      #call, r_, errno, strerror(errno), (e), strerror(e));          \
	} while (0)

static void pair(vnetif_lwip_stack **a, vnetif_lwip_stack **b)
{
	struct vnetif_lwip_config ca = lt_cfg(IP_A), cb = lt_cfg(IP_B);

	ck_assert_int_eq(vnetif_lwip_create_wired(&ca, &cb, VNETIF_LWIP_WIRE_THREAD, a, b), 0);
}

/* Every seed gives a stack that can connect: lwIP 2.1.3 takes its first ephemeral port
 * from rand(), and with seed 8069 (glibc's rand()) that port was 0xffff, from which
 * tcp_new_port() steps to "no port": the first connect failed with ENOBUFS. */
START_TEST(test_any_seed_connects)
{
	static const unsigned seeds[] = {8069, 1, 0x3fff, 0xffffffffu};

	for (unsigned i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct vnetif_lwip_config ca = lt_cfg(IP_A), cb = lt_cfg(IP_B);
		vnetif_lwip_stack *a, *b;

		ca.seed = cb.seed = seeds[i];
		ck_assert_int_eq(vnetif_lwip_create_wired(&ca, &cb, VNETIF_LWIP_WIRE_THREAD, &a, &b), 0);
		lt_tcp(b, IP_B, a, 4096, LT_PORT);
		lt_destroy(a);
		lt_destroy(b);
	}
}
END_TEST

/* A wire whose peer was destroyed: sending fails with ENETDOWN, ping with -ENETDOWN. */
START_TEST(test_peer_gone)
{
	vnetif_lwip_stack *a, *b;
	struct sockaddr_in to = lt_addr(IP_B, 9);
	int fd, rc;

	pair(&a, &b);
	ck_assert_int_eq(vnetif_lwip_ping(a, IP_B, 2000, NULL), 0); /* B's MAC is cached */
	fd = vnetif_lwip_socket(a, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vnetif_lwip_sendto(a, fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	lt_destroy(b);
	EXPECT_ERR(vnetif_lwip_sendto(a, fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), ENETDOWN);
	rc = vnetif_lwip_ping(a, IP_B, 200, NULL);
	ck_assert_msg(rc == -ENETDOWN, "ping: %d", rc);
	ck_assert_int_eq(vnetif_lwip_close(a, fd), 0);
	lt_destroy(a);
}
END_TEST

/* recv, recvfrom and readv return 0 at every call once the peer's FIN was read, and
 * after shutdown(SHUT_RD). */
START_TEST(test_eof_sticks)
{
	vnetif_lwip_stack *a, *b;
	struct sockaddr_in la = lt_addr("0.0.0.0", 7777), sa = lt_addr(IP_B, 7777);
	char buf[16];
	struct iovec iov = {buf, sizeof(buf)};
	int ls, c, fd;

	pair(&a, &b);
	ls = vnetif_lwip_socket(b, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(ls, 0);
	ck_assert_int_eq(vnetif_lwip_bind(b, ls, (struct sockaddr *)&la, sizeof(la)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(b, ls, 4), 0);
	fd = vnetif_lwip_socket(a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	lt_timeout(a, fd, 5000);
	ck_assert_int_eq(vnetif_lwip_connect(a, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	c = vnetif_lwip_accept(b, ls, NULL, NULL);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(vnetif_lwip_send(b, c, "hi", 2, 0), 2);
	ck_assert_int_eq(vnetif_lwip_close(b, c), 0);
	ck_assert_int_eq(vnetif_lwip_recv(a, fd, buf, sizeof(buf), 0), 2);
	for (int i = 0; i < 3; i++) {
		errno = 0;
		ck_assert_int_eq(vnetif_lwip_recv(a, fd, buf, sizeof(buf), 0), 0);
		ck_assert_int_eq(vnetif_lwip_recvfrom(a, fd, buf, sizeof(buf), 0, NULL, NULL), 0);
		ck_assert_int_eq(vnetif_lwip_readv(a, fd, &iov, 1), 0);
	}
	ck_assert_int_eq(vnetif_lwip_close(a, fd), 0);

	/* shutdown(SHUT_RD) of an open connection: reads return 0 */
	fd = vnetif_lwip_socket(a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vnetif_lwip_connect(a, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	c = vnetif_lwip_accept(b, ls, NULL, NULL);
	ck_assert_int_ge(c, 0);
	ck_assert_int_eq(vnetif_lwip_shutdown(a, fd, SHUT_RD), 0);
	ck_assert_int_eq(vnetif_lwip_recv(a, fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(vnetif_lwip_recv(a, fd, buf, sizeof(buf), 0), 0);
	ck_assert_int_eq(vnetif_lwip_close(a, fd), 0);
	ck_assert_int_eq(vnetif_lwip_close(b, c), 0);

	/* a socket that was never connected is not at its end */
	fd = vnetif_lwip_socket(a, AF_INET, SOCK_STREAM, 0);
	errno = 0;
	ck_assert_int_eq(vnetif_lwip_recv(a, fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_gt(errno, 0);
	ck_assert_int_eq(vnetif_lwip_close(a, fd), 0);
	ck_assert_int_eq(vnetif_lwip_close(b, ls), 0);
	lt_destroy(a);
	lt_destroy(b);
}
END_TEST

/*
 * A destroyed stack's handle stays dead after a new stack reuses its memory: every call
 * with it fails (stack calls -EINVAL / NULL, socket calls -1 EBADF) and none of them
 * acts on the new stacks.
 */
START_TEST(test_stale_handle)
{
	vnetif_lwip_stack *a, *b, *c, *d, *old[2];
	struct sockaddr_in sin = lt_addr(IP_B, 1);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd pfd = {.events = POLLIN};
	struct iovec good = {&sl, 1};
	struct vnetif_lwip_stats st;
	uint8_t mac[6];
	char buf[8];
	int v = 1, fd[2];

	pair(&a, &b);
	old[0] = a;
	old[1] = b;
	lt_destroy(a);
	lt_destroy(b);
	pair(&c, &d); /* reuses the memory of a and b */
	fd[0] = vnetif_lwip_socket(c, AF_INET, SOCK_DGRAM, 0);
	fd[1] = vnetif_lwip_socket(d, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd[0], 0);
	ck_assert_int_ge(fd[1], 0);
	for (int i = 0; i < 2; i++) {
		vnetif_lwip_stack *x = old[i];
		int f = fd[i];

		pfd.fd = f;
		ck_assert_ptr_null(vnetif_lwip_port(x));
		ck_assert_int_eq(vnetif_lwip_mac(x, mac), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_rx_mode(x), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_build(x), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_checksums(x), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_tso(x), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_stats_get(x, &st), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_arp_resolve(x, IP_B, mac, 0), -EINVAL);
		ck_assert_int_eq(vnetif_lwip_ping(x, IP_B, 10, NULL), -EINVAL);
		EXPECT_ERR(vnetif_lwip_socket(x, AF_INET, SOCK_STREAM, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_bind(x, f, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_listen(x, f, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_accept(x, f, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_connect(x, f, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_send(x, f, buf, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_recv(x, f, buf, 1, MSG_DONTWAIT), EBADF);
		EXPECT_ERR(vnetif_lwip_sendto(x, f, buf, 1, 0, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_recvfrom(x, f, buf, 1, MSG_DONTWAIT, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_writev(x, f, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_readv(x, f, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_setsockopt(x, f, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockopt(x, f, SOL_SOCKET, SO_TYPE, &v, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockname(x, f, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getpeername(x, f, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_poll(x, &pfd, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_fcntl(x, f, F_GETFL, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_ioctl(x, f, FIONREAD, &v), EBADF);
		EXPECT_ERR(vnetif_lwip_shutdown(x, f, SHUT_RDWR), EBADF);
		EXPECT_ERR(vnetif_lwip_close(x, f), EBADF);
		ck_assert_int_eq(vnetif_lwip_destroy(x), -EINVAL);
	}
	/* the new stacks are whole: their sockets open, unbound, and they talk */
	ck_assert_int_eq(vnetif_lwip_stats_get(c, &st), 0);
	ck_assert_uint_eq(st.sockets, 1);
	ck_assert_int_eq(vnetif_lwip_stats_get(d, &st), 0);
	ck_assert_uint_eq(st.sockets, 1);
	sl = sizeof(ss);
	ck_assert_int_eq(vnetif_lwip_getsockname(c, fd[0], (struct sockaddr *)&ss, &sl), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 0);
	ck_assert_int_eq(vnetif_lwip_ping(c, IP_B, 2000, NULL), 0);
	ck_assert_int_eq(vnetif_lwip_close(c, fd[0]), 0);
	ck_assert_int_eq(vnetif_lwip_close(d, fd[1]), 0);
	lt_destroy(c);
	lt_destroy(d);
}
END_TEST

/* Every socket call: a NULL or destroyed stack is EBADF, a descriptor that is not open
 * EBADF, a NULL pointer EFAULT; no call returns -1 with errno <= 0. */
START_TEST(test_socket_calls)
{
	vnetif_lwip_stack *a, *b, *dead;
	struct sockaddr_in sin = lt_addr(IP_B, 1);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct pollfd pfd = {.fd = 12345, .events = POLLIN};
	struct iovec iov = {NULL, 4}, good = {&sl, 1};
	char buf[8];
	int v = 1, fd, s;
	vnetif_lwip_stack *stacks[2];

	pair(&a, &b);
	dead = b;
	lt_destroy(b);
	stacks[0] = NULL;
	stacks[1] = dead;
	for (int i = 0; i < 2; i++) {
		vnetif_lwip_stack *x = stacks[i];

		EXPECT_ERR(vnetif_lwip_socket(x, AF_INET, SOCK_STREAM, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_bind(x, 1, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_listen(x, 1, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_accept(x, 1, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_connect(x, 1, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_send(x, 1, buf, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_recv(x, 1, buf, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_sendto(x, 1, buf, 1, 0, NULL, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_recvfrom(x, 1, buf, 1, 0, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_writev(x, 1, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_readv(x, 1, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_shutdown(x, 1, SHUT_RDWR), EBADF);
		EXPECT_ERR(vnetif_lwip_close(x, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_setsockopt(x, 1, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockopt(x, 1, SOL_SOCKET, SO_TYPE, &v, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockname(x, 1, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getpeername(x, 1, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_poll(x, &pfd, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_fcntl(x, 1, F_GETFL, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_ioctl(x, 1, FIONREAD, &v), EBADF);
	}

	/* descriptors that are not open on a live stack */
	for (int bad = -1; bad <= 9999; bad += 10000) {
		EXPECT_ERR(vnetif_lwip_bind(a, bad, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_listen(a, bad, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_accept(a, bad, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_connect(a, bad, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_send(a, bad, buf, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_recv(a, bad, buf, 1, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_sendto(a, bad, buf, 1, 0, (struct sockaddr *)&sin, sizeof(sin)), EBADF);
		EXPECT_ERR(vnetif_lwip_recvfrom(a, bad, buf, 1, 0, NULL, NULL), EBADF);
		EXPECT_ERR(vnetif_lwip_writev(a, bad, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_readv(a, bad, &good, 1), EBADF);
		EXPECT_ERR(vnetif_lwip_shutdown(a, bad, SHUT_RDWR), EBADF);
		EXPECT_ERR(vnetif_lwip_close(a, bad), EBADF);
		EXPECT_ERR(vnetif_lwip_setsockopt(a, bad, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockopt(a, bad, SOL_SOCKET, SO_TYPE, &v, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getsockname(a, bad, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_getpeername(a, bad, (struct sockaddr *)&ss, &sl), EBADF);
		EXPECT_ERR(vnetif_lwip_fcntl(a, bad, F_GETFL, 0), EBADF);
		EXPECT_ERR(vnetif_lwip_ioctl(a, bad, FIONREAD, &v), EBADF);
	}
	/* lwIP's poll() fails for a descriptor that is not open (POSIX: POLLNVAL) */
	EXPECT_ERR(vnetif_lwip_poll(a, &pfd, 1, 0), EBADF);

	/* NULL pointers (lwIP would dereference them, or assert and abort) */
	fd = vnetif_lwip_socket(a, AF_INET, SOCK_DGRAM, 0);
	s = vnetif_lwip_socket(a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(s, 0);
	EXPECT_ERR(vnetif_lwip_bind(a, fd, NULL, sizeof(sin)), EFAULT);
	EXPECT_ERR(vnetif_lwip_connect(a, fd, NULL, sizeof(sin)), EFAULT);
	EXPECT_ERR(vnetif_lwip_accept(a, s, (struct sockaddr *)&ss, NULL), EFAULT);
	EXPECT_ERR(vnetif_lwip_send(a, fd, NULL, 4, 0), EFAULT);
	EXPECT_ERR(vnetif_lwip_recv(a, fd, NULL, 4, MSG_DONTWAIT), EFAULT);
	EXPECT_ERR(vnetif_lwip_sendto(a, fd, NULL, 4, 0, (struct sockaddr *)&sin, sizeof(sin)), EFAULT);
	EXPECT_ERR(vnetif_lwip_recvfrom(a, fd, NULL, 4, 0, NULL, NULL), EFAULT);
	EXPECT_ERR(vnetif_lwip_recvfrom(a, fd, buf, 4, 0, (struct sockaddr *)&ss, NULL), EFAULT);
	EXPECT_ERR(vnetif_lwip_writev(a, fd, &iov, 1), EFAULT);
	EXPECT_ERR(vnetif_lwip_writev(a, fd, NULL, 1), EFAULT);
	EXPECT_ERR(vnetif_lwip_readv(a, fd, &iov, 1), EFAULT);
	EXPECT_ERR(vnetif_lwip_setsockopt(a, fd, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof(int)), EFAULT);
	EXPECT_ERR(vnetif_lwip_getsockopt(a, fd, SOL_SOCKET, SO_TYPE, NULL, &sl), EFAULT);
	EXPECT_ERR(vnetif_lwip_getsockopt(a, fd, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
	EXPECT_ERR(vnetif_lwip_getsockname(a, fd, NULL, &sl), EFAULT);
	EXPECT_ERR(vnetif_lwip_getsockname(a, fd, (struct sockaddr *)&ss, NULL), EFAULT);
	EXPECT_ERR(vnetif_lwip_getpeername(a, fd, NULL, &sl), EFAULT);
	EXPECT_ERR(vnetif_lwip_poll(a, NULL, 1, 0), EFAULT);
	EXPECT_ERR(vnetif_lwip_ioctl(a, fd, FIONREAD, NULL), EFAULT);

	/* lwIP's own errors come through as positive errnos */
	EXPECT_ERR(vnetif_lwip_getpeername(a, fd, (struct sockaddr *)&ss, &sl), ENOTCONN);
	EXPECT_ERR(vnetif_lwip_recv(a, fd, buf, sizeof(buf), MSG_DONTWAIT), EWOULDBLOCK);
	EXPECT_ERR(vnetif_lwip_listen(a, fd, 1), EOPNOTSUPP);
	EXPECT_ERR(vnetif_lwip_socket(a, 12345, SOCK_STREAM, 0), EAFNOSUPPORT);
	errno = 0;
	ck_assert_int_eq(vnetif_lwip_socket(a, AF_INET, 12345, 0), -1);
	ck_assert_int_gt(errno, 0);
	ck_assert_int_eq(vnetif_lwip_close(a, fd), 0);
	ck_assert_int_eq(vnetif_lwip_close(a, s), 0);
	EXPECT_ERR(vnetif_lwip_close(a, fd), EBADF);
	lt_destroy(a);
}
END_TEST

/* Stack calls: 0 or a negative errno, as documented. */
START_TEST(test_stack_calls)
{
	vnetif_lwip_stack *a, *b, *x = NULL, *y = NULL;
	struct vnetif_lwip_config ca = lt_cfg(IP_A), cb = lt_cfg(IP_B);
	struct vnetif_lwip_stats st;
	uint8_t mac[6];

	ck_assert_int_eq(vnetif_lwip_create(NULL, &ca, &x), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create_wired(&ca, &cb, VNETIF_LWIP_WIRE_THREAD, NULL, &y), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create_wired(&ca, &cb, (enum vnetif_lwip_wire)7, &x, &y), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create_wired(NULL, &cb, VNETIF_LWIP_WIRE_THREAD, &x, &y), -EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_ptr_null(y);
	pair(&a, &b);
	ck_assert_int_eq(vnetif_lwip_mac(NULL, mac), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_mac(a, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_rx_mode(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_tso(NULL), -EINVAL);
	/* TSO's default (auto) is on where both ends of the wire are tuned */
	ck_assert_int_eq(vnetif_lwip_tso(a), vnetif_lwip_build(a) == VNETIF_LWIP_BUILD_TUNED &&
						     vnetif_lwip_build(b) == VNETIF_LWIP_BUILD_TUNED);
	ck_assert_int_eq(vnetif_lwip_stats_get(NULL, &st), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, NULL), -EINVAL);
	ck_assert_ptr_null(vnetif_lwip_port(NULL));
	ck_assert_ptr_null(vnetif_lwip_port(a)); /* a wire has no port */
	ck_assert_int_eq(vnetif_lwip_arp_resolve(NULL, IP_B, mac, 0), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, "nope", mac, 0), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, NULL, mac, 0), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, IP_B, NULL, 0), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, "10.2.0.99", mac, 100), -ENOENT);
	ck_assert_int_eq(vnetif_lwip_ping(NULL, IP_B, 100, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_ping(a, "nope", 100, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_ping(a, NULL, 100, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_ping(a, "10.2.0.99", 100, NULL), -ETIMEDOUT);
	ck_assert_int_eq(vnetif_lwip_ping(a, IP_B, 2000, NULL), 0);
	lt_destroy(b);
	/* a destroyed stack: every stack call -EINVAL */
	ck_assert_int_eq(vnetif_lwip_destroy(b), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_mac(b, mac), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_rx_mode(b), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_stats_get(b, &st), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(b, IP_A, mac, 0), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_ping(b, IP_A, 100, NULL), -EINVAL);
	ck_assert_ptr_null(vnetif_lwip_port(b));
	ck_assert_int_eq(vnetif_lwip_destroy(NULL), -EINVAL);
	for (int e = 0; e <= 140; e++)
		ck_assert_ptr_nonnull(vnetif_lwip_strerror(-e));
	lt_destroy(a);
}
END_TEST

/* The shim (every lwIP namespace's allocator), loaded into the main namespace and driven
 * directly. */
struct shim {
	void *h;
	vnl_shim_stats_fn stats;
	vnl_shim_sweep_fn sweep;
	void (*track)(const uintptr_t (*r)[2], unsigned n);
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*realloc)(void *, size_t);
};

static void shim_load(struct shim *sh)
{
	static const struct vnl_host host = {
		.abi = VNL_ABI_VERSION, .malloc = malloc, .free = free, .memcpy = memcpy,
		.memmove = memmove, .memset = memset, .mutex_init = pthread_mutex_init,
		.mutex_destroy = pthread_mutex_destroy, .mutex_lock = pthread_mutex_lock,
		.mutex_trylock = pthread_mutex_trylock, .mutex_unlock = pthread_mutex_unlock,
		.mutexattr_init = pthread_mutexattr_init,
		.mutexattr_destroy = pthread_mutexattr_destroy,
		.mutexattr_settype = pthread_mutexattr_settype, .cond_init = pthread_cond_init,
		.cond_destroy = pthread_cond_destroy, .cond_wait = pthread_cond_wait,
		.cond_timedwait = pthread_cond_timedwait, .cond_signal = pthread_cond_signal,
		.cond_broadcast = pthread_cond_broadcast, .condattr_init = pthread_condattr_init,
		.condattr_destroy = pthread_condattr_destroy,
		.condattr_setclock = pthread_condattr_setclock,
	};
	Dl_info info;
	char path[4096];
	vnl_shim_setup_fn setup;

	ck_assert(dladdr((void *)vnetif_lwip_create, &info) != 0 && info.dli_fname != NULL);
	snprintf(path, sizeof(path), "%.*s/" VNETIF_LWIP_NS_DIR "/%s",
		 (int)(strrchr(info.dli_fname, '/') - info.dli_fname),
		 info.dli_fname, VNL_SHIM_SONAME);
	sh->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(sh->h != NULL, "%s: %s", path, dlerror());
	setup = (vnl_shim_setup_fn)dlsym(sh->h, VNL_SHIM_SETUP_SYM);
	sh->stats = (vnl_shim_stats_fn)dlsym(sh->h, VNL_SHIM_STATS_SYM);
	sh->sweep = (vnl_shim_sweep_fn)dlsym(sh->h, VNL_SHIM_SWEEP_SYM);
	sh->track = (void (*)(const uintptr_t (*)[2], unsigned))dlsym(sh->h, "vnl_shim_track");
	sh->malloc = (void *(*)(size_t))dlsym(sh->h, "malloc");
	sh->free = (void (*)(void *))dlsym(sh->h, "free");
	sh->realloc = (void *(*)(void *, size_t))dlsym(sh->h, "realloc");
	ck_assert(setup != NULL && sh->stats != NULL && sh->sweep != NULL && sh->track != NULL &&
		  sh->malloc != NULL && sh->free != NULL && sh->realloc != NULL);
	ck_assert_int_eq(setup(&host), 0);
}

/* Its rand(), lwIP's LWIP_RAND(): one sequence per seed, and never a value whose low 14
 * bits are all ones (lwIP 2.1.3's first ephemeral port would be 0xffff, see above). */
START_TEST(test_shim_rand)
{
	struct shim sh;
	void (*s_srand)(unsigned);
	int (*s_rand)(void);
	int first[8];

	shim_load(&sh);
	s_srand = (void (*)(unsigned))dlsym(sh.h, "srand");
	s_rand = (int (*)(void))dlsym(sh.h, "rand");
	ck_assert(s_srand != NULL && s_rand != NULL);
	for (unsigned seed = 1; seed <= 64; seed++) {
		s_srand(seed * 2654435761u);
		for (int i = 0; i < 4096; i++) {
			int r = s_rand();

			ck_assert_int_ge(r, 0);
			ck_assert_int_le(r, RAND_MAX);
			ck_assert_msg((r & 0x3fff) != 0x3fff, "seed %u draw %d: %#x", seed, i, r);
		}
	}
	s_srand(8069);
	for (int i = 0; i < 8; i++)
		first[i] = s_rand();
	s_srand(8069);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(s_rand(), first[i]);
	dlclose(sh.h);
}
END_TEST

/* It never aborts on a free it cannot attribute — a double free inside lwIP, say: it
 * counts it and carries on. */
START_TEST(test_shim_bad_free)
{
	struct shim sh;
	struct vnl_heap_stats st;
	uint64_t fake[16];
	void *p;

	shim_load(&sh);
	sh.stats(&st);
	ck_assert_uint_eq(st.bad_frees, 0);

	memset(fake, 0, sizeof(fake));
	sh.free(&fake[8]); /* never allocated by the shim */
	sh.stats(&st);
	ck_assert_uint_eq(st.bad_frees, 1);
	p = sh.malloc(40);
	ck_assert_ptr_nonnull(p);
	sh.free(p);
	sh.free(p); /* twice */
	sh.stats(&st);
	ck_assert_uint_eq(st.bad_frees, 2);
	errno = 0;
	ck_assert_ptr_null(sh.realloc(&fake[8], 64)); /* not ours: left alone */
	ck_assert_int_eq(errno, ENOMEM);
	sh.stats(&st);
	ck_assert_uint_eq(st.bad_frees, 3);
	dlclose(sh.h);
}
END_TEST

/* What lwIP frees (blocks up to 64 KiB) is kept for reuse, up to a bound, and given
 * back when the instance ends (vnetif_lwip_stats.heap_cached_bytes); a free of a kept
 * block is a bad free like any other. ASan builds keep nothing. */
START_TEST(test_shim_keeps_freed_blocks)
{
	static const uintptr_t all[1][2] = {{0, UINTPTR_MAX}}; /* every caller is lwIP */
	enum { BIG = 60000, NBIG = 200 };
	struct shim sh;
	struct vnl_heap_stats st;
	unsigned char *p, *q;
	void **big = calloc(NBIG, sizeof(*big));

	ck_assert_ptr_nonnull(big);
	shim_load(&sh);
	sh.track(all, 1);
	sh.stats(&st);
	ck_assert_uint_eq(st.cached_bytes, 0);
	const uint64_t max = st.cache_max;

	p = sh.malloc(9000);
	ck_assert_ptr_nonnull(p);
	memset(p, 0xa5, 9000);
	sh.free(p);
	sh.stats(&st);
	ck_assert_uint_eq(st.live_bytes, 0);
	if (max == 0) { /* this build keeps nothing */
		ck_assert_uint_eq(st.cached_bytes, 0);
	} else {
		ck_assert_uint_ge(st.cached_bytes, 9000);
		q = sh.malloc(8800); /* the same size class: the kept block */
		ck_assert_ptr_eq(q, p);
		sh.stats(&st);
		ck_assert_uint_eq(st.cached_bytes, 0);
		ck_assert_uint_eq(st.live_bytes, 8800);
		sh.free(q);
		sh.free(q); /* twice: refused, counted, still kept once */
		sh.stats(&st);
		ck_assert_uint_eq(st.bad_frees, 1);
		ck_assert_ptr_eq(sh.malloc(9000), p);
		ck_assert_ptr_ne(sh.malloc(9000), p);
	}
	/* realloc through kept blocks keeps the bytes */
	q = sh.malloc(100);
	for (int i = 0; i < 100; i++)
		q[i] = (unsigned char)i;
	q = sh.realloc(q, 5000);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(q[i], (unsigned char)i);
	sh.free(q);
	/* more freed than the bound: the bound holds, and the cache is full */
	for (int i = 0; i < NBIG; i++) {
		big[i] = sh.malloc(BIG);
		ck_assert_ptr_nonnull(big[i]);
	}
	for (int i = 0; i < NBIG; i++)
		sh.free(big[i]);
	sh.stats(&st);
	ck_assert_uint_le(st.cached_bytes, max);
	if (max)
		ck_assert_uint_ge(st.cached_bytes, max - 65536);
	/* blocks above 64 KiB go back at once */
	uint64_t before = st.cached_bytes;
	sh.free(sh.malloc(100000));
	sh.stats(&st);
	ck_assert_uint_eq(st.cached_bytes, before);
	/* the instance's end gives back the kept blocks with the live ones */
	sh.sweep(NULL);
	sh.stats(&st);
	ck_assert_uint_eq(st.cached_bytes, 0);
	ck_assert_uint_eq(st.live_bytes, 0);
	dlclose(sh.h);
	free(big);
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("lwip_errors");
	TCase *tc = tcase_create("errors");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_peer_gone);
	tcase_add_test(tc, test_eof_sticks);
	tcase_add_test(tc, test_socket_calls);
	tcase_add_test(tc, test_stack_calls);
	tcase_add_test(tc, test_stale_handle);
	tcase_add_test(tc, test_any_seed_connects);
	tcase_add_test(tc, test_shim_bad_free);
	tcase_add_test(tc, test_shim_rand);
	tcase_add_test(tc, test_shim_keeps_freed_blocks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(errors_suite());
}
