/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: connect/disconnect, MACs, limits, MTU, counters, disconnected handles. */
#include "vnetif_test.h"

Suite *port_suite(void);

static void expect_auto_mac(const vnetif_port *p, unsigned n)
{
	uint8_t m[6];

	vt_mac(p, m);
	ck_assert_msg(vt_mac_eq(m, VT_MAC(0x02, 0x50, 0x00, 0x00, (uint8_t)(n >> 8), (uint8_t)n)),
		      "connect %u got %02x:%02x:%02x:%02x:%02x:%02x", n, m[0], m[1], m[2], m[3],
		      m[4], m[5]);
}

static int connect_mac(vnetif_switch *sw, const uint8_t *mac, unsigned mtu, vnetif_port **out)
{
	struct vnetif_port_config pc;

	memset(&pc, 0, sizeof(pc));
	memcpy(pc.mac, mac, 6);
	pc.mtu = mtu;
	return vnetif_connect(sw, &pc, out);
}

START_TEST(test_connect_disconnect)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);

	ck_assert_ptr_ne(a, b);
	ck_assert_ptr_eq(vnetif_port_switch(a), sw);
	ck_assert_ptr_eq(vnetif_port_switch(b), sw);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 1);
	ck_assert_int_eq(vnetif_disconnect(a, 0), -ENOTCONN);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 1);
	ck_assert_int_eq(vnetif_disconnect(b, 100), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_auto_mac_sequence)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p1 = vt_connect(sw), *p2 = vt_connect(sw), *p3, *p4, *dup = NULL;
	uint8_t m1[6];

	expect_auto_mac(p1, 1);
	expect_auto_mac(p2, 2);
	/* a failed connect changes nothing, not even the connect number */
	ck_assert_int_eq(connect_mac(sw, vt_mac(p1, m1), 0, &dup), -EADDRINUSE);
	p3 = vt_connect(sw);
	expect_auto_mac(p3, 3);
	/* numbers come from connects, not from free slots */
	ck_assert_int_eq(vnetif_disconnect(p1, 0), 0);
	p4 = vt_connect(sw);
	expect_auto_mac(p4, 4);
	vt_teardown(sw);
}
END_TEST

/* "the n-th connect of a switch gets n": a connect with a caller MAC is a connect too. */
START_TEST(test_auto_mac_counts_explicit_connects)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p1 = vt_connect(sw), *p3;

	vt_connect_mac(sw, VT_FOREIGN(7));
	p3 = vt_connect(sw);
	expect_auto_mac(p1, 1);
	expect_auto_mac(p3, 3);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_auto_mac_two_bytes)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p;

	for (unsigned n = 1; n < 0x102; n++) {
		p = vt_connect(sw);
		if (n == 0xff || n == 0x100)
			expect_auto_mac(p, n);
		ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	}
	p = vt_connect(sw);
	expect_auto_mac(p, 0x102);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_caller_mac)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect_mac(sw, VT_FOREIGN(1));
	vnetif_port *b = vt_connect_mac(sw, VT_MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55));
	vnetif_port *c = vt_connect(sw);
	uint8_t m[6];

	ck_assert(vt_mac_eq(vt_mac(a, m), VT_FOREIGN(1)));
	ck_assert(vt_mac_eq(vt_mac(b, m), VT_MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55)));
	/* the caller MAC is known at once: a frame to it goes to b only */
	vt_send(c, VT_MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55), 60, 1);
	ck_assert_uint_eq(vt_drain(b), 1);
	ck_assert_uint_eq(vt_drain(a), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_duplicate_mac_eaddrinuse)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect_mac(sw, VT_FOREIGN(1)), *auto1 = vt_connect(sw);
	vnetif_port *p = (vnetif_port *)(uintptr_t)0x1;
	uint8_t m[6];

	ck_assert_int_eq(connect_mac(sw, VT_FOREIGN(1), 0, &p), -EADDRINUSE);
	ck_assert(p == NULL || p == (vnetif_port *)(uintptr_t)0x1);
	/* an explicit MAC equal to an automatic one */
	ck_assert_int_eq(connect_mac(sw, vt_mac(auto1, m), 0, &p), -EADDRINUSE);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	/* free again once its port is gone */
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_int_eq(connect_mac(sw, VT_FOREIGN(1), 0, &p), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_bad_mac_einval)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = NULL;

	ck_assert_int_eq(connect_mac(sw, VT_BCAST, 0, &p), -EINVAL);
	ck_assert_int_eq(connect_mac(sw, VT_MCAST4, 0, &p), -EINVAL);
	ck_assert_int_eq(connect_mac(sw, VT_MCAST6, 0, &p), -EINVAL);
	ck_assert_int_eq(connect_mac(sw, VT_MAC(0x03, 0, 0, 0, 0, 1), 0, &p), -EINVAL);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);
	/* nothing consumed: the next automatic MAC is the first */
	expect_auto_mac(vt_connect(sw), 1);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_max_ports_enospc)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c = NULL;

	vt_config(&cfg);
	cfg.max_ports = 2;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_connect(sw, NULL, &c), -ENOSPC);
	ck_assert_int_eq(connect_mac(sw, VT_FOREIGN(3), 0, &c), -ENOSPC);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	/* a disconnected port frees its place */
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	c = vt_connect(sw);
	ck_assert_int_eq(vnetif_connect(sw, NULL, &a), -ENOSPC);
	/* and the two still talk */
	{
		uint8_t mc[6];

		vt_send(b, vt_mac(c, mc), 60, 1);
		ck_assert_uint_eq(vt_drain(c), 1);
	}
	vt_teardown(sw);
}
END_TEST

START_TEST(test_max_ports_full_range)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *p = NULL;

	vt_config(&cfg);
	cfg.max_ports = VNETIF_MAX_PORTS;
	cfg.ring_size = 64;
	sw = vt_switch(&cfg);
	for (unsigned i = 0; i < VNETIF_MAX_PORTS; i++)
		vt_connect(sw);
	ck_assert_int_eq(vnetif_connect(sw, NULL, &p), -ENOSPC);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, VNETIF_MAX_PORTS);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_mtu_defaults)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw = vt_switch(NULL), *sw2;
	vnetif_port *p = vt_connect(sw), *q = NULL;

	ck_assert_int_eq(vnetif_mtu(p), 1500);
	ck_assert_int_eq(connect_mac(sw, VT_FOREIGN(1), 9000, &q), 0);
	ck_assert_int_eq(vnetif_mtu(q), 9000);
	vt_config(&cfg);
	cfg.default_mtu = 2000;
	sw2 = vt_switch(&cfg);
	ck_assert_int_eq(vnetif_mtu(vt_connect(sw2)), 2000);
	ck_assert_int_eq(connect_mac(sw2, VT_FOREIGN(1), VNETIF_MTU_MIN, &q), 0);
	ck_assert_int_eq(vnetif_mtu(q), VNETIF_MTU_MIN);
	vt_teardown(sw);
	vt_teardown(sw2);
}
END_TEST

START_TEST(test_connect_mtu_range)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = NULL;

	ck_assert_int_eq(connect_mac(sw, VT_ZERO, VNETIF_MTU_MIN - 1, &p), -EINVAL);
	ck_assert_int_eq(connect_mac(sw, VT_ZERO, VNETIF_MTU_MAX + 1, &p), -EINVAL);
	ck_assert_int_eq(connect_mac(sw, VT_FOREIGN(1), 100000, &p), -EINVAL);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);
	ck_assert_int_eq(connect_mac(sw, VT_ZERO, VNETIF_MTU_MAX, &p), 0);
	ck_assert_int_eq(vnetif_mtu(p), VNETIF_MTU_MAX);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_set_mtu_range)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw);

	ck_assert_int_eq(vnetif_set_mtu(p, VNETIF_MTU_MIN), 0);
	ck_assert_int_eq(vnetif_mtu(p), VNETIF_MTU_MIN);
	ck_assert_int_eq(vnetif_set_mtu(p, VNETIF_MTU_MAX), 0);
	ck_assert_int_eq(vnetif_mtu(p), VNETIF_MTU_MAX);
	ck_assert_int_eq(vnetif_set_mtu(p, VNETIF_MTU_MIN - 1), -EINVAL);
	ck_assert_int_eq(vnetif_set_mtu(p, VNETIF_MTU_MAX + 1), -EINVAL);
	ck_assert_int_eq(vnetif_set_mtu(p, 0), -EINVAL);
	ck_assert_int_eq(vnetif_set_mtu(p, UINT32_MAX), -EINVAL);
	ck_assert_int_eq(vnetif_mtu(p), VNETIF_MTU_MAX);
	ck_assert_int_eq(vnetif_set_mtu(p, 1280), 0);
	ck_assert_int_eq(vnetif_mtu(p), 1280);
	vt_teardown(sw);
}
END_TEST

static const struct vnetif_stats zero_stats;

START_TEST(test_stats_exact)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw), *c = vt_connect(sw);
	uint8_t mb[6];
	struct vnetif_stats sa, sb, sc;

	sa = vt_stats(a);
	ck_assert_int_eq(memcmp(&sa, &zero_stats, sizeof(sa)), 0);

	vt_send(a, vt_mac(b, mb), 60, 1);
	vt_send(a, mb, 100, 2);
	vt_send(a, mb, 1514, 3);
	sa = vt_stats(a);
	sb = vt_stats(b);
	sc = vt_stats(c);
	ck_assert_uint_eq(sa.tx_packets, 3);
	ck_assert_uint_eq(sa.tx_bytes, 60 + 100 + 1514);
	ck_assert_uint_eq(sa.tx_flooded, 0);
	ck_assert_uint_eq(sa.rx_packets, 0);
	ck_assert_uint_eq(sb.rx_packets, 3);
	ck_assert_uint_eq(sb.rx_bytes, 60 + 100 + 1514);
	ck_assert_uint_eq(sb.tx_packets, 0);
	ck_assert_uint_eq(sc.rx_packets, 0);

	vt_send(a, VT_BCAST, 200, 4);
	sa = vt_stats(a);
	sb = vt_stats(b);
	sc = vt_stats(c);
	ck_assert_uint_eq(sa.tx_packets, 4);
	ck_assert_uint_eq(sa.tx_bytes, 60 + 100 + 1514 + 200);
	ck_assert_uint_eq(sa.tx_flooded, 1);
	ck_assert_uint_eq(sb.rx_packets, 4);
	ck_assert_uint_eq(sb.rx_bytes, 60 + 100 + 1514 + 200);
	ck_assert_uint_eq(sc.rx_packets, 1);
	ck_assert_uint_eq(sc.rx_bytes, 200);
	ck_assert_uint_eq(vt_drops(&sa) + vt_drops(&sb) + vt_drops(&sc), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 0);

	ck_assert_uint_eq(vt_drain(b), 4);
	ck_assert_uint_eq(vt_drain(c), 1);
	/* taking frames off the ring does not change the counters */
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_packets, 4);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_stats_reset)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t mb[6], big[1600], ma[6];
	struct vnetif_stats sa, sb;

	vt_send(a, vt_mac(b, mb), 60, 1);
	vt_send(a, VT_BCAST, 70, 2);
	vt_fill(big, sizeof(big), mb, vt_mac(a, ma), 3);
	ck_assert_int_eq(vnetif_write(a, big, 1515), -EMSGSIZE);
	ck_assert_int_eq(vnetif_stats_reset(a), 0);
	sa = vt_stats(a);
	ck_assert_int_eq(memcmp(&sa, &zero_stats, sizeof(sa)), 0);
	/* only that port's counters */
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_packets, 2);
	ck_assert_uint_eq(sb.rx_bytes, 130);
	/* counting starts again from zero */
	vt_send(a, mb, 77, 4);
	sa = vt_stats(a);
	ck_assert_uint_eq(sa.tx_packets, 1);
	ck_assert_uint_eq(sa.tx_bytes, 77);
	ck_assert_uint_eq(sa.tx_drop_oversize, 0);
	ck_assert_int_eq(vnetif_stats_reset(b), 0);
	sb = vt_stats(b);
	ck_assert_int_eq(memcmp(&sb, &zero_stats, sizeof(sb)), 0);
	ck_assert_uint_eq(vt_drain(b), 3);
	vt_teardown(sw);
}
END_TEST

static void never_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

static void never_mbuf_listener(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	atomic_fetch_add((atomic_uint *)arg, 1);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Every call on a disconnected handle: -ENOTCONN, no crash, nothing taken. */
START_TEST(test_disconnected_handle_enotconn)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t mb[6], ma[6], frame[60];
	struct iovec iov = {.iov_base = frame, .iov_len = sizeof(frame)};
	struct rte_mbuf *m, *pkts[4];
	struct vnetif_stats st;
	atomic_uint calls = 0;

	vt_mac(b, mb);
	vt_mac(a, ma);
	vt_send(a, mb, 60, 1);
	ck_assert_uint_eq(vt_drain(b), 1);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);

	vt_fill(frame, sizeof(frame), mb, ma, 2);
	ck_assert_int_eq(vnetif_write(a, frame, sizeof(frame)), -ENOTCONN);
	ck_assert_int_eq(vnetif_writev(a, &iov, 1), -ENOTCONN);
	m = vt_mbuf(vnetif_switch_pool(sw), mb, ma, 60, 3);
	ck_assert_int_eq(vnetif_tx_burst(a, &m, 1), -ENOTCONN);
	rte_pktmbuf_free(m); /* still ours */
	ck_assert_int_eq(vnetif_rx_burst(a, pkts, 4), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen(a, never_listener, &calls), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen_mbuf(a, never_mbuf_listener, &calls), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen(a, NULL, NULL), -ENOTCONN);
	ck_assert_int_eq(vnetif_poll(a, 32), -ENOTCONN);
	ck_assert_int_eq(vnetif_reader_start(a), -ENOTCONN);
	ck_assert_int_eq(vnetif_set_mtu(a, 1400), -ENOTCONN);
	ck_assert_int_eq(vnetif_mtu(a), -ENOTCONN);
	ck_assert_int_eq(vnetif_disconnect(a, 0), -ENOTCONN);
	ck_assert_int_eq(vnetif_disconnect(a, 100), -ENOTCONN);
	ck_assert_uint_eq(atomic_load(&calls), 0);

	/* counters stay readable, with what happened before */
	ck_assert_int_eq(vnetif_stats_get(a, &st), 0);
	ck_assert_uint_eq(st.tx_packets, 1);
	ck_assert_uint_eq(st.tx_bytes, 60);
	ck_assert_uint_eq(vt_drain(b), 0);
	vt_teardown(sw);
}
END_TEST

/* "every call on it then returns -ENOTCONN": reader_stop too (not -ENOENT). */
START_TEST(test_disconnected_reader_stop_enotconn)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a;

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_int_eq(vnetif_reader_stop(a), -ENOTCONN);
	vt_teardown(sw);
}
END_TEST

/* "every call on it then returns -ENOTCONN (stats still readable)": vnetif_mac too. */
START_TEST(test_disconnected_mac_enotconn)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw);
	uint8_t m[6];

	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_int_eq(vnetif_mac(a, m), -ENOTCONN);
	vt_teardown(sw);
}
END_TEST

/* Frames left on the ring at disconnect are freed and counted. */
START_TEST(test_disconnect_counts_ring_frames)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t mb[6];
	struct vnetif_stats sb;

	for (uint32_t i = 0; i < 5; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 5);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_packets, 5);
	ck_assert_uint_eq(sb.rx_drop_disconnected, 5);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 5);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 0);
	vt_teardown(sw);
}
END_TEST

/* Async, listener but nobody reading: the flush wait expires, frames are counted. */
START_TEST(test_disconnect_flush_expires)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	atomic_uint calls = 0;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, never_listener, &calls), 0);
	for (uint32_t i = 0; i < 5; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(vnetif_disconnect(b, 20), 0);
	ck_assert_uint_eq(atomic_load(&calls), 0);
	ck_assert_uint_eq(vt_stats(b).rx_drop_disconnected, 5);
	vt_teardown(sw);
}
END_TEST

struct flush_ctx {
	struct vt_gate gate;
	atomic_uint delivered;
	atomic_int armed;
	atomic_uint yields_armed;
	pthread_t main;
	vnetif_port *writer;  /* sends one more frame to the port being disconnected */
	uint8_t to[6];
	int late_rc;
};

/* The first frame waits at the gate; the others pass. */
static void gated_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct flush_ctx *f = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (atomic_load(&f->gate.entered) == 0)
		vt_gate_pass(&f->gate);
	atomic_fetch_add(&f->delivered, 1);
}

/* Once armed, the disconnect's yield (in the test's thread) opens the gate. */
static void flush_yield(void *arg)
{
	struct flush_ctx *f = arg;

	if (atomic_load(&f->armed) && pthread_equal(pthread_self(), f->main)) {
		if (atomic_fetch_add(&f->yields_armed, 1) == 0) {
			uint8_t src[6];

			vnetif_mac(f->writer, src);
			f->late_rc = vt_write(f->writer, f->to, src, 60, 99);
		}
		atomic_store(&f->gate.open, 1);
	}
}

/*
 * Disconnect with a flush waits until the reader has drained the ring. The reader is
 * held inside its listener while 9 frames queue behind it; the disconnect's own wait
 * (which calls yield) releases it. Exact, whatever the timing: the reader keeps
 * delivering while the port flushes, and the flush ends when the ring is empty and no
 * poll is delivering.
 */
START_TEST(test_disconnect_flush_drains)
{
	struct vnetif_switch_config cfg;
	static struct flush_ctx f;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];
	struct vnetif_stats sb;
	uint64_t t0;

	memset(&f, 0, sizeof(f));
	f.main = pthread_self();
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = flush_yield;
	cfg.yield_arg = &f;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_listen(b, gated_listener, &f), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	vt_send(a, mb, 60, 0);
	ck_assert(VT_WAIT(atomic_load(&f.gate.entered) == 1));
	for (uint32_t i = 1; i < 10; i++)
		vt_send(a, mb, 60, i);
	f.writer = a;
	memcpy(f.to, mb, 6);
	f.late_rc = 1;
	atomic_store(&f.armed, 1);
	t0 = vt_now_ms();
	ck_assert_int_eq(vnetif_disconnect(b, 20000), 0);
	/* it returned because the ring was drained, not because the flush timed out */
	ck_assert_uint_lt(vt_now_ms() - t0, 10000);
	ck_assert_uint_ge(atomic_load(&f.yields_armed), 1);
	/* the frame written once the disconnect had started was not delivered to it */
	ck_assert_int_eq(f.late_rc, 0);
	ck_assert_uint_eq(atomic_load(&f.delivered), 10);
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_packets, 10);
	ck_assert_uint_eq(sb.rx_drop_disconnected, 0);
	vt_teardown(sw);
}
END_TEST

/* Its learned MACs (and its own) are forgotten: frames to them flood to the others. */
START_TEST(test_disconnect_forgets_macs)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw), *c = vt_connect(sw);
	uint8_t ma[6];
	unsigned entries;

	vt_mac(a, ma);
	ck_assert_int_eq(vt_write(a, VT_BCAST, VT_FOREIGN(1), 60, 1), 0);
	ck_assert_uint_eq(vt_drain(b), 1);
	ck_assert_uint_eq(vt_drain(c), 1);
	vt_send(b, VT_FOREIGN(1), 60, 2); /* learned: a only */
	ck_assert_uint_eq(vt_drain(a), 1);
	ck_assert_uint_eq(vt_drain(c), 0);
	entries = vt_sw_stats(sw).fdb_entries;

	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_uint_lt(vt_sw_stats(sw).fdb_entries, entries);
	vt_send(b, VT_FOREIGN(1), 60, 3);
	vt_send(b, ma, 60, 4);
	ck_assert_uint_eq(vt_stats(b).tx_flooded, 2);
	ck_assert_uint_eq(vt_drain(c), 2);
	ck_assert_uint_eq(vt_stats(a).rx_packets, 1); /* nothing after disconnect */
	vt_teardown(sw);
}
END_TEST

/* A thread stuck in a listener: disconnect gives -ETIMEDOUT, never hangs; call again. */
struct stuck_ctx {
	vnetif_port *from;
	uint8_t to[6];
	struct vt_gate gate;
	atomic_uint delivered;
	int rc;
};

static void stuck_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct stuck_ctx *s = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (atomic_load(&s->gate.entered) == 0)
		vt_gate_pass(&s->gate);
	atomic_fetch_add(&s->delivered, 1);
}

static void *stuck_writer(void *arg)
{
	struct stuck_ctx *s = arg;
	uint8_t src[6], f[60];

	vnetif_mac(s->from, src);
	vt_fill(f, sizeof(f), s->to, src, 1);
	s->rc = vnetif_write(s->from, f, sizeof(f));
	return NULL;
}

START_TEST(test_disconnect_timeout_when_listener_stuck)
{
	struct vnetif_switch_config cfg;
	static struct stuck_ctx s;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;
	pthread_t t;
	bool entered;
	int rc;

	memset(&s, 0, sizeof(s));
	vt_config(&cfg);
	cfg.grace_timeout_ms = 200;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	c = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, stuck_listener, &s), 0);
	s.from = a;
	vt_mac(b, s.to);
	ck_assert_int_eq(pthread_create(&t, NULL, stuck_writer, &s), 0);
	entered = VT_WAIT(atomic_load(&s.gate.entered) == 1);
	rc = vnetif_disconnect(b, 0);
	/* the port takes no new frames */
	vt_send(c, s.to, 60, 2);
	atomic_store(&s.gate.open, 1); /* release the thread before asserting anything */
	pthread_join(t, NULL);
	ck_assert(entered);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_int_eq(s.rc, 0);
	ck_assert_uint_eq(atomic_load(&s.delivered), 1);
	/* calling again finishes */
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(b, 0), -ENOTCONN);
	ck_assert_uint_eq(atomic_load(&s.delivered), 1);
	vt_drain(a);
	vt_drain(c);
	vt_teardown(sw);
}
END_TEST

Suite *port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = vt_tcase("connect");

	tcase_add_test(tc, test_connect_disconnect);
	tcase_add_test(tc, test_auto_mac_sequence);
	tcase_add_test(tc, test_auto_mac_counts_explicit_connects);
	tcase_add_test(tc, test_auto_mac_two_bytes);
	tcase_add_test(tc, test_caller_mac);
	tcase_add_test(tc, test_duplicate_mac_eaddrinuse);
	tcase_add_test(tc, test_bad_mac_einval);
	tcase_add_test(tc, test_max_ports_enospc);
	tcase_add_test(tc, test_max_ports_full_range);
	suite_add_tcase(s, tc);

	tc = vt_tcase("mtu");
	tcase_add_test(tc, test_mtu_defaults);
	tcase_add_test(tc, test_connect_mtu_range);
	tcase_add_test(tc, test_set_mtu_range);
	suite_add_tcase(s, tc);

	tc = vt_tcase("stats");
	tcase_add_test(tc, test_stats_exact);
	tcase_add_test(tc, test_stats_reset);
	suite_add_tcase(s, tc);

	tc = vt_tcase("disconnect");
	tcase_add_test(tc, test_disconnected_handle_enotconn);
	tcase_add_test(tc, test_disconnected_reader_stop_enotconn);
	tcase_add_test(tc, test_disconnected_mac_enotconn);
	tcase_add_test(tc, test_disconnect_counts_ring_frames);
	tcase_add_test(tc, test_disconnect_flush_expires);
	tcase_add_test(tc, test_disconnect_flush_drains);
	tcase_add_test(tc, test_disconnect_forgets_macs);
	tcase_add_test(tc, test_disconnect_timeout_when_listener_stuck);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(port_suite());
}
