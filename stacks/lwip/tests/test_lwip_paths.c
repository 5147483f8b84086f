/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two lwIP builds and the receive paths: picking a build per stack, stacks of both
 * builds talking, checksums computed on a switch port and skipped only where asked (or
 * on a wire between two tuned stacks), no mailbox hand-off on sync or async switches,
 * received frames kept in their mbufs and all of them back in the pool after destroy;
 * the frames of one lock hold sent in one burst, in order.
 * Tests that need the tuned build skip when it was not built (-ELIBACC).
 */
#include <sys/ioctl.h>

#include "lwip_test.h"

#define A_IP "10.0.1.1"
#define B_IP "10.0.1.2"

static vnetif_switch *sw_make(bool async, bool hub)
{
	struct vnetif_switch_config c;

	vt_config(&c);
	c.async_readers = async;
	c.fwd_mode = hub ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
	return vt_switch(&c);
}

static vnetif_lwip_stack *stack_of(vnetif_switch *sw, const char *ip, enum vnetif_lwip_build b,
				   enum vnetif_lwip_csum cs)
{
	struct vnetif_lwip_config c = lt_cfg(ip);

	c.build = b;
	c.checksums = cs;
	return lt_stack(sw, &c);
}

/* ---- builds ------------------------------------------------------------------------ */

START_TEST(test_pick_build)
{
	vnetif_switch *sw = sw_make(false, false);
	struct vnetif_lwip_config c = lt_cfg(A_IP);
	const char *env = getenv("VNETIF_LWIP_BUILD");
	char *saved = env ? strdup(env) : NULL;
	vnetif_lwip_stack *s = NULL;

	c.build = VNETIF_LWIP_BUILD_DEBIAN;
	s = lt_stack(sw, &c);
	ck_assert_int_eq(vnetif_lwip_build(s), VNETIF_LWIP_BUILD_DEBIAN);
	ck_assert_int_eq(vnetif_lwip_checksums(s), 1);
	lt_destroy(s);

	/* the environment picks the build of stacks that leave it to the default */
	c.build = VNETIF_LWIP_BUILD_DEFAULT;
	setenv("VNETIF_LWIP_BUILD", "debian", 1);
	s = lt_stack(sw, &c);
	ck_assert_int_eq(vnetif_lwip_build(s), VNETIF_LWIP_BUILD_DEBIAN);
	lt_destroy(s);
	setenv("VNETIF_LWIP_BUILD", "fast", 1);
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	if (saved != NULL)
		setenv("VNETIF_LWIP_BUILD", saved, 1);
	else
		unsetenv("VNETIF_LWIP_BUILD");
	free(saved);

	c.build = (enum vnetif_lwip_build)7;
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	c.build = VNETIF_LWIP_BUILD_DEBIAN;
	c.checksums = VNETIF_LWIP_CSUM_OFF; /* Debian's lwIP cannot skip them */
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	c.checksums = (enum vnetif_lwip_csum)9;
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	c.checksums = VNETIF_LWIP_CSUM_AUTO;
	c.rx = (enum vnetif_lwip_rx)4;
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);

	c.rx = VNETIF_LWIP_RX_AUTO;
	c.build = VNETIF_LWIP_BUILD_TUNED;
	if (lt_have_tuned()) {
		s = lt_stack(sw, &c);
		ck_assert_int_eq(vnetif_lwip_build(s), VNETIF_LWIP_BUILD_TUNED);
		ck_assert_int_eq(vnetif_lwip_checksums(s), 1); /* a switch port: on */
		lt_destroy(s);
	} else {
		ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -ELIBACC);
	}
	vt_teardown(sw);
}
END_TEST

/* A Debian stack and a tuned one on one switch (sync and async) exchange data. */
START_TEST(test_mixed_builds)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *a, *b;

	if (!lt_have_tuned())
		return;
	sw = sw_make(_i, false);
	a = stack_of(sw, A_IP, VNETIF_LWIP_BUILD_DEBIAN, VNETIF_LWIP_CSUM_AUTO);
	b = stack_of(sw, B_IP, VNETIF_LWIP_BUILD_TUNED, VNETIF_LWIP_CSUM_AUTO);
	ck_assert_int_eq(vnetif_lwip_ping(a, B_IP, 2000, NULL), 0);
	lt_tcp(a, A_IP, b, vt_tsan() ? (256u << 10) : (8u << 20), 5501);
	lt_tcp(b, B_IP, a, vt_tsan() ? (256u << 10) : (8u << 20), 5502);
	lt_udp_echo(a, A_IP, b, B_IP, 10, 6000, 5503); /* fragments */
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* ---- checksums ----------------------------------------------------------------------- */

static uint16_t csum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct seen {
	unsigned udp, udp_ok, udp_zero, ip_ok, ip_zero;
};

/* Look at every IPv4/UDP frame an observer port of a hub received. */
static struct seen observe(vnetif_port *obs)
{
	struct seen s = {0};
	struct rte_mbuf *m[32];
	int n;

	while ((n = vnetif_rx_burst(obs, m, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			uint8_t buf[VT_FRAME_MAX];
			size_t len = rte_pktmbuf_pkt_len(m[i]), ihl, tot;
			const uint8_t *f = rte_pktmbuf_read(m[i], 0, len, buf), *ip, *udp;
			uint32_t ph;

			if (f != buf && f != NULL) {
				memcpy(buf, f, len);
				f = buf;
			}
			rte_pktmbuf_free(m[i]);
			ip = f + 14;
			if (f == NULL || len < 42 || f[12] != 0x08 || f[13] != 0x00 || ip[9] != 17)
				continue;
			ihl = (size_t)(ip[0] & 15) * 4;
			tot = (size_t)ip[2] << 8 | ip[3];
			if ((ip[6] & 0x3f) | ip[7]) /* a fragment: the UDP checksum spans several */
				continue;
			s.udp++;
			s.ip_ok += csum16(ip, ihl, 0) == 0;
			s.ip_zero += ip[10] == 0 && ip[11] == 0;
			udp = ip + ihl;
			if (udp[6] == 0 && udp[7] == 0) {
				s.udp_zero++;
				continue;
			}
			ph = ((uint32_t)ip[12] << 8 | ip[13]) + ((uint32_t)ip[14] << 8 | ip[15]) +
			     ((uint32_t)ip[16] << 8 | ip[17]) + ((uint32_t)ip[18] << 8 | ip[19]) + 17 +
			     (uint32_t)(tot - ihl);
			s.udp_ok += csum16(udp, tot - ihl, ph) == 0;
		}
	}
	return s;
}

/* On a switch port (AUTO, either build) every frame carries correct checksums: a port
 * of a hub sees them as a real peer would (a tap or memif port). */
START_TEST(test_checksums_on_port)
{
	enum vnetif_lwip_build b = _i ? VNETIF_LWIP_BUILD_TUNED : VNETIF_LWIP_BUILD_DEBIAN;
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	vnetif_port *obs;
	struct seen s;

	if (b == VNETIF_LWIP_BUILD_TUNED && !lt_have_tuned())
		return;
	sw = sw_make(false, true);
	x = stack_of(sw, A_IP, b, VNETIF_LWIP_CSUM_AUTO);
	y = stack_of(sw, B_IP, b, VNETIF_LWIP_CSUM_AUTO);
	obs = vt_connect(sw);
	ck_assert_int_eq(vnetif_lwip_checksums(x), 1);
	lt_udp_echo(x, A_IP, y, B_IP, 20, 700, 5600);
	s = observe(obs);
	ck_assert_uint_eq(s.udp, 40);
	ck_assert_uint_eq(s.ip_ok, 40);
	ck_assert_uint_eq(s.udp_ok, 40);
	lt_destroy(x);
	lt_destroy(y);
	observe(obs);
	vt_teardown(sw);
}
END_TEST

/* Stacks told that every port is an in-process stack skip checksums (and still talk); a
 * wire between two tuned stacks skips them by default, a wire with a Debian end not. */
START_TEST(test_checksums_off)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	vnetif_port *obs;
	struct vnetif_lwip_config c = lt_cfg(A_IP), d = lt_cfg(B_IP);
	struct seen s;

	if (!lt_have_tuned())
		return;
	sw = sw_make(false, true);
	x = stack_of(sw, A_IP, VNETIF_LWIP_BUILD_TUNED, VNETIF_LWIP_CSUM_OFF);
	y = stack_of(sw, B_IP, VNETIF_LWIP_BUILD_TUNED, VNETIF_LWIP_CSUM_OFF);
	obs = vt_connect(sw);
	ck_assert_int_eq(vnetif_lwip_checksums(x), 0);
	lt_udp_echo(x, A_IP, y, B_IP, 20, 700, 5601);
	lt_tcp(x, A_IP, y, 1u << 20, 5602);
	s = observe(obs);
	ck_assert_uint_eq(s.udp, 40);
	ck_assert_uint_eq(s.ip_zero, 40);
	ck_assert_uint_eq(s.udp_zero, 40);
	lt_destroy(x);
	lt_destroy(y);
	observe(obs);
	vt_teardown(sw);

	c.build = d.build = VNETIF_LWIP_BUILD_TUNED;
	ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, VNETIF_LWIP_WIRE_THREAD, &x, &y), 0);
	ck_assert_int_eq(vnetif_lwip_checksums(x), 0);
	ck_assert_int_eq(vnetif_lwip_checksums(y), 0);
	lt_tcp(x, A_IP, y, 1u << 20, 5603);
	lt_destroy(x);
	lt_destroy(y);
	d.build = VNETIF_LWIP_BUILD_DEBIAN;
	ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, VNETIF_LWIP_WIRE_THREAD, &x, &y), 0);
	ck_assert_int_eq(vnetif_lwip_checksums(x), 1);
	ck_assert_int_eq(vnetif_lwip_checksums(y), 1);
	lt_tcp(x, A_IP, y, 1u << 20, 5604);
	lt_destroy(x);
	lt_destroy(y);
}
END_TEST

/* ---- receive paths --------------------------------------------------------------------- */

/* No frame crosses the tcpip mailbox: on a sync switch the writer's thread carries it
 * into the receiving stack (or leaves it to the stack's lock holder), on an async one
 * the sender or the reader does. Both directions at once (each stack's lock is busy
 * with its own sending when the other's frames arrive). Loop: build x switch mode. */
START_TEST(test_no_mailbox)
{
	enum vnetif_lwip_build b = _i & 1 ? VNETIF_LWIP_BUILD_TUNED : VNETIF_LWIP_BUILD_DEBIAN;
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	struct vnetif_lwip_stats sx, sy;
	struct lt_xfer t1, t2;
	uint64_t bytes = vt_tsan() ? (512u << 10) : (16u << 20);

	if (b == VNETIF_LWIP_BUILD_TUNED && !lt_have_tuned())
		return;
	sw = sw_make(_i >= 2, false);
	x = stack_of(sw, A_IP, b, VNETIF_LWIP_CSUM_AUTO);
	y = stack_of(sw, B_IP, b, VNETIF_LWIP_CSUM_AUTO);
	ck_assert_int_eq(vnetif_lwip_rx_mode(x), VNETIF_LWIP_RX_DIRECT);
	memset(&t1, 0, sizeof(t1));
	memset(&t2, 0, sizeof(t2));
	t1 = (struct lt_xfer){.srv = x, .cli = y, .srv_ip = A_IP, .port = 5701, .bytes = bytes, .seed = 1};
	t2 = (struct lt_xfer){.srv = y, .cli = x, .srv_ip = B_IP, .port = 5702, .bytes = bytes, .seed = 2};
	lt_xfer_start(&t1);
	lt_xfer_start(&t2);
	lt_xfer_join(&t1);
	lt_xfer_join(&t2);
	lt_xfer_check(&t1);
	lt_xfer_check(&t2);
	ck_assert_int_eq(vnetif_lwip_stats_get(x, &sx), 0);
	ck_assert_int_eq(vnetif_lwip_stats_get(y, &sy), 0);
	ck_assert_uint_eq(sx.rx_mailbox, 0);
	ck_assert_uint_eq(sy.rx_mailbox, 0);
	ck_assert_uint_eq(sx.rx_drop, 0);
	ck_assert_uint_gt(sx.rx_frames, bytes / lt_mss(y));
	ck_assert_uint_eq(sx.rx_direct + sx.rx_deferred, sx.rx_frames);
	ck_assert_uint_eq(sy.rx_direct + sy.rx_deferred, sy.rx_frames);
	/* unshared frames stay in their mbufs */
	ck_assert_uint_gt(sx.rx_zero_copy, bytes / lt_mss(y));
	lt_destroy(x);
	lt_destroy(y);
	vt_teardown(sw);
}
END_TEST

/* A blocking send much larger than the send buffer, to a reader taking small bites:
 * ACKs free the buffer a little at a time, and the tuned lwIP resumes the write only
 * once TCP_SNDLOWAT is free (or nothing is unsent; cmake/LwipSource.cmake). The one
 * send() call must still complete, every byte in order. Loop: sync, async switch. */
struct slow_reader {
	vnetif_lwip_stack *st;
	int ls;
	uint64_t want, got;
	int err;
};

static void *slow_read(void *arg)
{
	struct slow_reader *r = arg;
	uint8_t buf[512];
	int c = vnetif_lwip_accept(r->st, r->ls, NULL, NULL);

	if (c < 0) {
		r->err = errno;
		return NULL;
	}
	lt_timeout(r->st, c, 20000);
	while (r->got < r->want) {
		ssize_t k = vnetif_lwip_recv(r->st, c, buf, sizeof(buf), 0);

		if (k <= 0) {
			r->err = k < 0 ? errno : EPIPE;
			break;
		}
		for (ssize_t i = 0; i < k; i++)
			if (buf[i] != lt_byte(r->got + (uint64_t)i, 7)) {
				r->err = -1;
				break;
			}
		if (r->err)
			break;
		r->got += (uint64_t)k;
	}
	vnetif_lwip_close(r->st, c);
	return NULL;
}

START_TEST(test_big_send_small_reads)
{
	size_t len = vt_tsan() ? (1u << 20) : (4u << 20); /* 2-8 send buffers */
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	struct sockaddr_storage a;
	socklen_t al;
	struct slow_reader r;
	pthread_t t;
	uint8_t *buf;
	int fd, one = 1;

	if (!lt_have_tuned())
		return;
	sw = sw_make(_i == 1, false);
	x = stack_of(sw, A_IP, VNETIF_LWIP_BUILD_TUNED, VNETIF_LWIP_CSUM_AUTO);
	y = stack_of(sw, B_IP, VNETIF_LWIP_BUILD_TUNED, VNETIF_LWIP_CSUM_AUTO);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = lt_byte(i, 7);
	memset(&r, 0, sizeof(r));
	r.st = x;
	r.want = len;
	al = lt_sa("0.0.0.0", 5720, &a);
	r.ls = vnetif_lwip_socket(x, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(r.ls, 0);
	vnetif_lwip_setsockopt(x, r.ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(vnetif_lwip_bind(x, r.ls, (struct sockaddr *)&a, al), 0);
	ck_assert_int_eq(vnetif_lwip_listen(x, r.ls, 1), 0);
	lt_timeout(x, r.ls, 20000);
	ck_assert_int_eq(pthread_create(&t, NULL, slow_read, &r), 0);
	al = lt_sa(A_IP, 5720, &a);
	fd = vnetif_lwip_socket(y, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	lt_timeout(y, fd, 20000);
	ck_assert_int_eq(vnetif_lwip_connect(y, fd, (struct sockaddr *)&a, al), 0);
	ck_assert_int_eq(vnetif_lwip_send(y, fd, buf, len, 0), (ssize_t)len);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.err, 0);
	ck_assert_uint_eq(r.got, len);
	vnetif_lwip_close(y, fd);
	vnetif_lwip_close(x, r.ls);
	free(buf);
	lt_destroy(x);
	lt_destroy(y);
	vt_teardown(sw);
}
END_TEST

/* The mailbox path, asked for, still works (and is counted). */
START_TEST(test_mailbox_asked)
{
	vnetif_switch *sw = sw_make(false, false);
	struct vnetif_lwip_config c = lt_cfg(A_IP);
	vnetif_lwip_stack *x, *y;
	struct vnetif_lwip_stats st;

	c.rx = VNETIF_LWIP_RX_MAILBOX;
	x = lt_stack(sw, &c);
	y = stack_of(sw, B_IP, VNETIF_LWIP_BUILD_DEFAULT, VNETIF_LWIP_CSUM_AUTO);
	lt_tcp(x, A_IP, y, 1u << 20, 5710);
	ck_assert_int_eq(vnetif_lwip_stats_get(x, &st), 0);
	ck_assert_uint_gt(st.rx_mailbox, (1u << 20) / lt_mss(y) * 95 / 100);
	ck_assert_uint_eq(st.rx_mailbox, st.rx_frames);
	lt_destroy(x);
	lt_destroy(y);
	vt_teardown(sw);
}
END_TEST

/* The receiver never reads: lwIP holds a window of received frames, in their mbufs.
 * Destroying the stacks gives every one back to the pool. Loop: build x switch mode. */
START_TEST(test_held_mbufs_freed)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	struct sockaddr_in sa = lt_addr(A_IP, 5720), any = lt_addr("0.0.0.0", 5720);
	static uint8_t buf[65536];
	int ls, fd, rc, one = 1;
	uint64_t sent = 0;

	enum vnetif_lwip_build b = _i & 1 ? VNETIF_LWIP_BUILD_TUNED : VNETIF_LWIP_BUILD_DEBIAN;

	if (b == VNETIF_LWIP_BUILD_TUNED && !lt_have_tuned())
		return;
	sw = sw_make(_i >= 2, false);
	x = stack_of(sw, A_IP, b, VNETIF_LWIP_CSUM_AUTO);
	y = stack_of(sw, B_IP, b, VNETIF_LWIP_CSUM_AUTO);
	ls = vnetif_lwip_socket(x, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(ls, 0);
	ck_assert_int_eq(vnetif_lwip_bind(x, ls, (struct sockaddr *)&any, sizeof(any)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(x, ls, 1), 0);
	fd = vnetif_lwip_socket(y, AF_INET, SOCK_STREAM, 0);
	rc = vnetif_lwip_connect(y, fd, (struct sockaddr *)&sa, sizeof(sa));
	ck_assert_msg(rc == 0, "connect: %d (%s)", rc, strerror(errno));
	ck_assert_int_ge(vnetif_lwip_accept(x, ls, NULL, NULL), 0);
	ck_assert_int_eq(vnetif_lwip_ioctl(y, fd, FIONBIO, &one), 0);
	for (int idle = 0; idle < 200 && sent < (4u << 20);) {
		ssize_t k = vnetif_lwip_send(y, fd, buf, sizeof(buf), 0);

		if (k > 0) {
			sent += (uint64_t)k;
			idle = 0;
		} else {
			idle++;
			usleep(1000);
		}
	}
	ck_assert_uint_gt(sent, 64u << 10);
	ck_assert_msg(VT_WAIT(vt_sw_stats(sw).pool_in_use > 40), "lwIP holds no mbufs: %" PRIu64,
		      vt_sw_stats(sw).pool_in_use);
	lt_destroy(y);
	lt_destroy(x);
	vt_teardown(sw); /* every mbuf back */
}
END_TEST

/* ---- send path ------------------------------------------------------------------------ */

/* A spy port on a sync hub gets every frame the moment it is sent, in the bursts the
 * sender made (one listener call per burst). It looks at the IPv4 fragments of UDP
 * datagrams, which lwIP emits one after the other in one sendto(). */
struct spy {
	atomic_uint most_frags;  /* fragments of one sender in one listener call, at most */
	atomic_uint frag_calls;  /* calls that carried fragments */
	atomic_uint out_of_order; /* fragments of a call whose offsets did not increase */
};

static void spy_rx(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct spy *sp = arg;
	unsigned frags = 0, last_off = 0;

	(void)port;
	for (uint16_t i = 0; i < n; i++) {
		uint8_t buf[64];
		const uint8_t *f = rte_pktmbuf_read(pkts[i], 0, 34, buf), *ip;
		unsigned off;

		if (f == NULL || f[12] != 0x08 || f[13] != 0x00)
			continue;
		ip = f + 14;
		if (ip[9] != 17 || !((ip[6] & 0x20) || ((ip[6] & 0x1f) | ip[7])))
			continue; /* not a fragment of a UDP datagram */
		off = ((unsigned)(ip[6] & 0x1f) << 8 | ip[7]) * 8;
		if (frags > 0 && off <= last_off)
			atomic_fetch_add(&sp->out_of_order, 1);
		last_off = off;
		frags++;
	}
	if (frags > 0) {
		atomic_fetch_add(&sp->frag_calls, 1);
		if (frags > atomic_load(&sp->most_frags))
			atomic_store(&sp->most_frags, frags);
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

/* vnetif_lwip.h, "Send path": the frames a stack emits while one thread holds its core
 * lock leave in one burst, in order, before the lock is let go. A 6000-byte datagram is
 * five fragments from one sendto(): the spy sees them in one call, offsets ascending;
 * and nothing waits for a later event (the echoes and a TCP transfer complete). Loop:
 * build. */
START_TEST(test_sends_in_bursts)
{
	enum vnetif_lwip_build b = _i ? VNETIF_LWIP_BUILD_TUNED : VNETIF_LWIP_BUILD_DEBIAN;
	struct spy sp;
	vnetif_switch *sw;
	vnetif_lwip_stack *x, *y;
	vnetif_port *obs;

	if (b == VNETIF_LWIP_BUILD_TUNED && !lt_have_tuned())
		return;
	memset(&sp, 0, sizeof(sp));
	sw = sw_make(false, true);
	x = stack_of(sw, A_IP, b, VNETIF_LWIP_CSUM_AUTO);
	y = stack_of(sw, B_IP, b, VNETIF_LWIP_CSUM_AUTO);
	lt_udp_echo(x, A_IP, y, B_IP, 2, 100, 5610); /* addresses resolved */
	obs = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen_mbuf(obs, spy_rx, &sp), 0);
	lt_udp_echo(x, A_IP, y, B_IP, 4, 6000, 5611);
	ck_assert_uint_eq(atomic_load(&sp.most_frags), 5);
	ck_assert_uint_eq(atomic_load(&sp.frag_calls), 8); /* 4 datagrams and 4 echoes */
	ck_assert_uint_eq(atomic_load(&sp.out_of_order), 0);
	lt_tcp(x, A_IP, y, 2u << 20, 5612);
	ck_assert_int_eq(vnetif_listen_mbuf(obs, NULL, NULL), 0);
	lt_destroy(x);
	lt_destroy(y);
	vt_drain(obs);
	vt_teardown(sw);
}
END_TEST

static Suite *paths_suite(void)
{
	Suite *s = suite_create("lwip_paths");
	TCase *tc = tcase_create("paths");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, NULL, vt_cleanup);
	tcase_add_test(tc, test_pick_build);
	tcase_add_loop_test(tc, test_mixed_builds, 0, 2);
	tcase_add_loop_test(tc, test_checksums_on_port, 0, 2);
	tcase_add_test(tc, test_checksums_off);
	tcase_add_loop_test(tc, test_no_mailbox, 0, 4);
	tcase_add_test(tc, test_mailbox_asked);
	tcase_add_loop_test(tc, test_big_send_small_reads, 0, 2);
	tcase_add_loop_test(tc, test_held_mbufs_freed, 0, 4);
	tcase_add_loop_test(tc, test_sends_in_bursts, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(paths_suite());
}
