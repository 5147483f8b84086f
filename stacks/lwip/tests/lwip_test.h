/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the libvnetif-lwip suites (on top of tests/vnetif_test.h): stack creation,
 * a verified TCP transfer, UDP echo. Worker threads record results in their struct; only
 * the test thread asserts.
 */
#ifndef VNETIF_LWIP_TEST_H
#define VNETIF_LWIP_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>

#include "vnetif_lwip.h"
#include "vnetif_test.h"

#define LT_PORT 5001

static inline struct vnetif_lwip_config lt_cfg(const char *ip)
{
	struct vnetif_lwip_config c;

	vnetif_lwip_config_init(&c);
	c.ipv4 = ip;
	c.netmask = "255.255.255.0";
	return c;
}

static inline vnetif_lwip_stack *lt_stack(vnetif_switch *sw, const struct vnetif_lwip_config *c)
{
	vnetif_lwip_stack *s = NULL;
	int rc = vnetif_lwip_create(sw, c, &s);

	ck_assert_msg(rc == 0, "vnetif_lwip_create(%s): %d (%s)", c->ipv4, rc,
		      vnetif_lwip_strerror(rc));
	return s;
}

static inline void lt_destroy(vnetif_lwip_stack *s)
{
	int rc = vnetif_lwip_destroy(s);

	ck_assert_msg(rc == 0, "vnetif_lwip_destroy: %d (%s)", rc, vnetif_strerror(rc));
}

/* The largest TCP segment stack @s sends at MTU 1500: the tuned build's 8960 with TCP
 * segmentation offload (on by default there), else 1460. */
static inline unsigned lt_mss(const vnetif_lwip_stack *s)
{
	return vnetif_lwip_tso(s) == 1 ? 8960u : 1460u;
}

/* Whether the tuned lwIP was built (tests that need it skip without it: -ELIBACC). */
static inline bool lt_have_tuned(void)
{
	static int have = -1;

	if (have < 0) {
		struct vnetif_lwip_config c = lt_cfg("10.0.250.1"), d = lt_cfg("10.0.250.2");
		vnetif_lwip_stack *a = NULL, *b = NULL;

		c.build = d.build = VNETIF_LWIP_BUILD_TUNED;
		have = vnetif_lwip_create_wired(&c, &d, VNETIF_LWIP_WIRE_THREAD, &a, &b) == 0;
		if (have) {
			lt_destroy(a);
			lt_destroy(b);
		}
	}
	return have;
}

static inline struct sockaddr_in lt_addr(const char *ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* An IPv4 or IPv6 (if @ip has a ':') socket address. */
static inline socklen_t lt_sa(const char *ip, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		return sizeof(*a);
	}
	*(struct sockaddr_in *)ss = lt_addr(ip, port);
	return sizeof(struct sockaddr_in);
}

static inline void lt_timeout(vnetif_lwip_stack *s, int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	vnetif_lwip_setsockopt(s, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	vnetif_lwip_setsockopt(s, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static inline uint8_t lt_byte(uint64_t off, unsigned seed)
{
	return (uint8_t)((off * 2654435761u >> 13) ^ off ^ seed);
}

/* ---- TCP transfer: the client sends @bytes, the server checks every byte ---------- */

struct lt_xfer {
	vnetif_lwip_stack *srv, *cli;
	const char *srv_ip;
	uint16_t port;
	uint64_t bytes;
	unsigned seed;
	/* results */
	_Atomic int srv_ready;
	uint64_t received;
	int srv_err;          /* 0 ok; errno or -1 for a data mismatch */
	uint64_t bad_off;
	int cli_err;
	uint64_t ns;          /* client's time from connect to the server's close */
	pthread_t st, ct;
};

static void *lt_server(void *arg)
{
	struct lt_xfer *x = arg;
	struct sockaddr_storage a;
	socklen_t al = lt_sa(strchr(x->srv_ip, ':') ? "::" : "0.0.0.0", x->port, &a);
	static __thread uint8_t buf[65536];
	int one = 1, ls, c;

	ls = vnetif_lwip_socket(x->srv, a.ss_family, SOCK_STREAM, 0);
	if (ls < 0 || vnetif_lwip_setsockopt(x->srv, ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    vnetif_lwip_bind(x->srv, ls, (struct sockaddr *)&a, al) ||
	    vnetif_lwip_listen(x->srv, ls, 4)) {
		x->srv_err = errno;
		atomic_store(&x->srv_ready, -1);
		return NULL;
	}
	lt_timeout(x->srv, ls, 20000);
	atomic_store(&x->srv_ready, 1);
	c = vnetif_lwip_accept(x->srv, ls, NULL, NULL);
	if (c < 0) {
		x->srv_err = errno;
		vnetif_lwip_close(x->srv, ls);
		return NULL;
	}
	lt_timeout(x->srv, c, 20000);
	for (;;) {
		ssize_t n = vnetif_lwip_recv(x->srv, c, buf, sizeof(buf), 0);

		if (n == 0)
			break;
		if (n < 0) {
			x->srv_err = errno;
			break;
		}
		for (ssize_t i = 0; i < n && x->srv_err == 0; i++)
			if (buf[i] != lt_byte(x->received + (uint64_t)i, x->seed)) {
				x->srv_err = -1;
				x->bad_off = x->received + (uint64_t)i;
			}
		__atomic_store_n(&x->received, x->received + (uint64_t)n, __ATOMIC_RELAXED);
		if (x->srv_err)
			break;
	}
	vnetif_lwip_close(x->srv, c);
	vnetif_lwip_close(x->srv, ls);
	return NULL;
}

static void *lt_client(void *arg)
{
	struct lt_xfer *x = arg;
	struct sockaddr_storage a;
	socklen_t al = lt_sa(x->srv_ip, x->port, &a);
	static __thread uint8_t buf[65536];
	uint64_t off = 0, t0;
	int fd, one = 1;
	char tmp;

	fd = vnetif_lwip_socket(x->cli, a.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		x->cli_err = errno;
		return NULL;
	}
	lt_timeout(x->cli, fd, 20000);
	vnetif_lwip_setsockopt(x->cli, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	if (vnetif_lwip_connect(x->cli, fd, (struct sockaddr *)&a, al) != 0) {
		x->cli_err = errno;
		vnetif_lwip_close(x->cli, fd);
		return NULL;
	}
	while (off < x->bytes) {
		size_t n = sizeof(buf);
		ssize_t w;

		if (n > x->bytes - off)
			n = (size_t)(x->bytes - off);
		for (size_t i = 0; i < n; i++)
			buf[i] = lt_byte(off + i, x->seed);
		for (size_t done = 0; done < n; done += (size_t)w) {
			w = vnetif_lwip_send(x->cli, fd, buf + done, n - done, 0);
			if (w <= 0) {
				x->cli_err = w < 0 ? errno : EPIPE;
				vnetif_lwip_close(x->cli, fd);
				return NULL;
			}
		}
		off += n;
	}
	vnetif_lwip_shutdown(x->cli, fd, SHUT_WR);
	/* the server closes after reading everything: wait for its FIN */
	if (vnetif_lwip_recv(x->cli, fd, &tmp, 1, 0) < 0)
		x->cli_err = errno;
	{
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x->ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - t0;
	}
	vnetif_lwip_close(x->cli, fd);
	return NULL;
}

/* Start a transfer (server first, then client once the server listens). */
static inline void lt_xfer_start(struct lt_xfer *x)
{
	ck_assert_int_eq(pthread_create(&x->st, NULL, lt_server, x), 0);
	ck_assert_msg(VT_WAIT(atomic_load(&x->srv_ready) != 0), "server never listened");
	ck_assert_msg(atomic_load(&x->srv_ready) == 1, "server: errno %d", x->srv_err);
	ck_assert_int_eq(pthread_create(&x->ct, NULL, lt_client, x), 0);
}

static inline void lt_xfer_join(struct lt_xfer *x)
{
	pthread_join(x->ct, NULL);
	pthread_join(x->st, NULL);
}

static inline void lt_xfer_check(const struct lt_xfer *x)
{
	ck_assert_msg(x->srv_err == 0, "server: %d (%s) at byte %" PRIu64, x->srv_err,
		      x->srv_err > 0 ? strerror(x->srv_err) : "data mismatch", x->bad_off);
	ck_assert_msg(x->cli_err == 0, "client: %d (%s)", x->cli_err, strerror(x->cli_err));
	ck_assert_msg(x->received == x->bytes, "received %" PRIu64 " of %" PRIu64, x->received,
		      x->bytes);
}

/* Transfer @bytes from @cli to @srv (listening on @srv_ip); returns MB/s. */
static inline double lt_tcp(vnetif_lwip_stack *srv, const char *srv_ip, vnetif_lwip_stack *cli,
			    uint64_t bytes, uint16_t port)
{
	struct lt_xfer x;

	memset(&x, 0, sizeof(x));
	x.srv = srv;
	x.cli = cli;
	x.srv_ip = srv_ip;
	x.port = port;
	x.bytes = bytes;
	x.seed = port;
	lt_xfer_start(&x);
	lt_xfer_join(&x);
	lt_xfer_check(&x);
	return x.ns ? (double)bytes / ((double)x.ns / 1e9) / 1e6 : 0;
}

/* ---- UDP: @n datagrams of @len bytes from @a to @b, each echoed back --------------- */

static inline void lt_udp_echo(vnetif_lwip_stack *a, const char *a_ip, vnetif_lwip_stack *b,
			       const char *b_ip, unsigned n, size_t len, uint16_t port)
{
	struct sockaddr_storage aa, ba, from;
	socklen_t al = lt_sa(a_ip, port, &aa), bl = lt_sa(b_ip, port, &ba), fl;
	uint8_t *out = malloc(len), *in = malloc(len + 1);
	int fa = vnetif_lwip_socket(a, aa.ss_family, SOCK_DGRAM, 0);
	int fb = vnetif_lwip_socket(b, ba.ss_family, SOCK_DGRAM, 0);

	ck_assert(out != NULL && in != NULL);
	ck_assert_int_ge(fa, 0);
	ck_assert_int_ge(fb, 0);
	ck_assert_int_eq(vnetif_lwip_bind(a, fa, (struct sockaddr *)&aa, al), 0);
	ck_assert_int_eq(vnetif_lwip_bind(b, fb, (struct sockaddr *)&ba, bl), 0);
	lt_timeout(a, fa, 2000);
	lt_timeout(b, fb, 2000);
	for (unsigned i = 0; i < n; i++) {
		ssize_t r;

		for (size_t k = 0; k < len; k++)
			out[k] = lt_byte(k, i);
		ck_assert_int_eq(vnetif_lwip_sendto(a, fa, out, len, 0, (struct sockaddr *)&ba, bl),
				 (ssize_t)len);
		fl = sizeof(from);
		r = vnetif_lwip_recvfrom(b, fb, in, len + 1, 0, (struct sockaddr *)&from, &fl);
		ck_assert_msg(r == (ssize_t)len, "datagram %u: %zd bytes (errno %d)", i, r, errno);
		ck_assert_msg(memcmp(in, out, len) == 0, "datagram %u differs", i);
		ck_assert_int_eq(fl, al);
		ck_assert_msg(memcmp(&from, &aa, al) == 0, "datagram %u: wrong source", i);
		ck_assert_int_eq(vnetif_lwip_sendto(b, fb, in, len, 0, (struct sockaddr *)&from, fl),
				 (ssize_t)len);
		r = vnetif_lwip_recv(a, fa, in, len + 1, 0);
		ck_assert_msg(r == (ssize_t)len, "echo %u: %zd bytes (errno %d)", i, r, errno);
		ck_assert_msg(memcmp(in, out, len) == 0, "echo %u differs", i);
	}
	ck_assert_int_eq(vnetif_lwip_close(a, fa), 0);
	ck_assert_int_eq(vnetif_lwip_close(b, fb), 0);
	free(out);
	free(in);
}

#endif /* VNETIF_LWIP_TEST_H */
