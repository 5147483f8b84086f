/* SPDX-License-Identifier: BSD-3-Clause */
/* Forwarding: MAC learning, flooding, hub mode, own-port drops, reference counts. */
#include "vnetif_test.h"

Suite *fwd_suite(void);

#define NP 4

/* A switch with NP ports without listeners (frames stay on their rings): a rig. */
#define NP_PORTS "----"
_Static_assert(sizeof(NP_PORTS) - 1 == NP, "one port kind per port");

static void net_up(struct vt_rig *n, enum vnetif_fwd_mode mode)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.fwd_mode = mode;
	*n = vt_rig_up(&cfg, NP_PORTS);
}


/* Port @i received exactly one frame: the test frame (dst, src, len, seq). */
static void expect_one(struct vt_rig *n, int i, const uint8_t *dst, const uint8_t *src, size_t len,
		       uint32_t seq)
{
	struct rte_mbuf *m = vt_recv_one(n->port[i]);
	uint8_t buf[VT_FRAME_MAX];

	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), len);
	ck_assert_uint_eq(vt_mbuf_read(m, buf, sizeof(buf)), len);
	ck_assert_msg(vt_frame_ok(buf, len, dst, src, seq), "port %d: wrong frame content", i);
	rte_pktmbuf_free(m);
}

/* Port @from sent (dst, len, seq) from its own MAC; exactly the ports in @mask got it. */
static void expect_to(struct vt_rig *n, int from, unsigned mask, const uint8_t *dst, size_t len,
		      uint32_t seq)
{
	for (int i = 0; i < NP; i++) {
		if (mask & (1u << i))
			expect_one(n, i, dst, n->mac[from], len, seq);
		else
			ck_assert_msg(vt_drain(n->port[i]) == 0, "port %d got a frame", i);
	}
}

#define ALL_BUT(i) (((1u << NP) - 1) & ~(1u << (i)))

START_TEST(test_own_mac_known_at_connect)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_LEARNING);
	vt_send(n.port[1], n.mac[0], 60, 1); /* port 0 never sent anything */
	expect_to(&n, 1, 1u << 0, n.mac[0], 60, 1);
	ck_assert_uint_eq(vt_stats(n.port[1]).tx_flooded, 0);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_learning)
{
	struct vt_rig n;
	uint64_t learned;

	net_up(&n, VNETIF_FWD_LEARNING);
	/* unknown: flooded */
	vt_send(n.port[1], VT_FOREIGN(1), 60, 1);
	expect_to(&n, 1, ALL_BUT(1), VT_FOREIGN(1), 60, 1);
	/* port 0 sends from FOREIGN(1): learned there */
	learned = vt_sw_stats(n.sw).fdb_learned;
	ck_assert_int_eq(vt_write(n.port[0], n.mac[3], VT_FOREIGN(1), 60, 2), 0);
	ck_assert_uint_eq(vt_drain(n.port[3]), 1);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_learned, learned + 1);
	/* from then on only port 0 gets it, from any sender */
	vt_send(n.port[1], VT_FOREIGN(1), 100, 3);
	expect_to(&n, 1, 1u << 0, VT_FOREIGN(1), 100, 3);
	vt_send(n.port[2], VT_FOREIGN(1), 61, 4);
	expect_to(&n, 2, 1u << 0, VT_FOREIGN(1), 61, 4);
	ck_assert_uint_eq(vt_stats(n.port[2]).tx_flooded, 0);
	/* learning the same address again is not new */
	ck_assert_int_eq(vt_write(n.port[0], n.mac[3], VT_FOREIGN(1), 60, 5), 0);
	ck_assert_uint_eq(vt_drain(n.port[3]), 1);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_learned, learned + 1);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_moved, 0);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_unknown_unicast_flooded)
{
	struct vt_rig n;
	struct vnetif_stats s;

	net_up(&n, VNETIF_FWD_LEARNING);
	vt_send(n.port[2], VT_FOREIGN(5), 333, 7);
	expect_to(&n, 2, ALL_BUT(2), VT_FOREIGN(5), 333, 7);
	s = vt_stats(n.port[2]);
	ck_assert_uint_eq(s.tx_packets, 1);
	ck_assert_uint_eq(s.tx_bytes, 333);
	ck_assert_uint_eq(s.tx_flooded, 1);
	ck_assert_uint_eq(s.rx_packets, 0);
	for (int i = 0; i < NP; i++)
		if (i != 2)
			ck_assert_uint_eq(vt_stats(n.port[i]).rx_bytes, 333);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_broadcast_flooded)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_LEARNING);
	for (int i = 0; i < NP; i++) {
		vt_send(n.port[i], VT_BCAST, 60 + (size_t)i, (uint32_t)i);
		expect_to(&n, i, ALL_BUT(i), VT_BCAST, 60 + (size_t)i, (uint32_t)i);
		ck_assert_uint_eq(vt_stats(n.port[i]).tx_flooded, 1);
	}
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_multicast_flooded)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_LEARNING);
	vt_send(n.port[0], VT_MCAST4, 90, 1);
	expect_to(&n, 0, ALL_BUT(0), VT_MCAST4, 90, 1);
	vt_send(n.port[3], VT_MCAST6, 90, 2);
	expect_to(&n, 3, ALL_BUT(3), VT_MCAST6, 90, 2);
	/* a multicast address is never learned as a destination */
	vt_send(n.port[1], VT_MCAST4, 90, 3);
	expect_to(&n, 1, ALL_BUT(1), VT_MCAST4, 90, 3);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_own_port_dropped)
{
	struct vt_rig n;
	struct vnetif_stats s;

	net_up(&n, VNETIF_FWD_LEARNING);
	ck_assert_int_eq(vt_write(n.port[0], VT_BCAST, VT_FOREIGN(1), 60, 1), 0);
	for (int i = 1; i < NP; i++)
		ck_assert_uint_eq(vt_drain(n.port[i]), 1);
	/* to an address learned on the sender's own port */
	ck_assert_int_eq(vt_write(n.port[0], VT_FOREIGN(1), n.mac[0], 60, 2), 0);
	/* to the sender's own MAC */
	ck_assert_int_eq(vt_write(n.port[0], n.mac[0], n.mac[0], 60, 3), 0);
	s = vt_stats(n.port[0]);
	ck_assert_uint_eq(s.tx_drop_own_port, 2);
	ck_assert_uint_eq(s.rx_packets, 0);
	ck_assert_uint_eq(vt_sw_stats(n.sw).drops, 2);
	vt_rig_down_empty(&n); /* nobody got anything */
}
END_TEST

START_TEST(test_mac_move)
{
	struct vt_rig n;
	uint64_t moved;

	net_up(&n, VNETIF_FWD_LEARNING);
	ck_assert_int_eq(vt_write(n.port[0], n.mac[1], VT_FOREIGN(1), 60, 1), 0);
	ck_assert_uint_eq(vt_drain(n.port[1]), 1);
	moved = vt_sw_stats(n.sw).fdb_moved;
	ck_assert_int_eq(vt_write(n.port[2], n.mac[1], VT_FOREIGN(1), 60, 2), 0);
	ck_assert_uint_eq(vt_drain(n.port[1]), 1);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_moved, moved + 1);
	vt_send(n.port[1], VT_FOREIGN(1), 60, 3);
	expect_to(&n, 1, 1u << 2, VT_FOREIGN(1), 60, 3);
	/* and now the old port may send to it */
	vt_send(n.port[0], VT_FOREIGN(1), 60, 4);
	expect_to(&n, 0, 1u << 2, VT_FOREIGN(1), 60, 4);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_own_port, 0);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_hub_sends_to_all_others)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_HUB);
	vt_send(n.port[0], n.mac[1], 60, 1);
	expect_to(&n, 0, ALL_BUT(0), n.mac[1], 60, 1);
	vt_send(n.port[3], VT_BCAST, 70, 2);
	expect_to(&n, 3, ALL_BUT(3), VT_BCAST, 70, 2);
	/* learning plays no part: a learned address still goes everywhere else */
	ck_assert_int_eq(vt_write(n.port[2], n.mac[0], VT_FOREIGN(1), 60, 3), 0);
	ck_assert_uint_eq(vt_drain(n.port[0]) + vt_drain(n.port[1]) + vt_drain(n.port[3]), 3);
	vt_send(n.port[1], VT_FOREIGN(1), 80, 4);
	expect_to(&n, 1, ALL_BUT(1), VT_FOREIGN(1), 80, 4);
	/* even a frame to the sender's own MAC goes to every other port */
	vt_send(n.port[1], n.mac[1], 90, 5);
	expect_to(&n, 1, ALL_BUT(1), n.mac[1], 90, 5);
	ck_assert_uint_eq(vt_stats(n.port[1]).tx_drop_own_port, 0);
	ck_assert_uint_eq(vt_stats(n.port[1]).rx_packets, 3);
	vt_rig_down_empty(&n);
}
END_TEST

/* Flooded frames are one mbuf shared by reference count, not copies. */
static void check_shared(struct vt_rig *n, int from, const uint8_t *dst)
{
	struct rte_mbuf *m = vt_mbuf(vnetif_switch_pool(n->sw), dst, n->mac[from], 128, 9);
	struct rte_mbuf *got[NP];
	int k = 0;

	ck_assert_int_eq(vnetif_tx_burst(n->port[from], &m, 1), 1);
	for (int i = 0; i < NP; i++)
		if (i != from)
			got[k++] = vt_recv_one(n->port[i]);
	ck_assert_uint_eq(vt_sw_stats(n->sw).pool_in_use, 1);
	for (int i = 0; i < k; i++) {
		ck_assert_uint_eq(rte_mbuf_refcnt_read(got[i]), NP - 1);
		ck_assert_ptr_eq(rte_pktmbuf_mtod(got[i], void *), rte_pktmbuf_mtod(got[0], void *));
	}
	for (int i = 0; i < k; i++) {
		ck_assert_uint_eq(rte_mbuf_refcnt_read(got[k - 1]), (unsigned)(k - i));
		rte_pktmbuf_free(got[i]);
	}
	ck_assert_uint_eq(vt_sw_stats(n->sw).pool_in_use, 0);
}

START_TEST(test_flood_by_refcount)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_LEARNING);
	check_shared(&n, 0, VT_BCAST);
	check_shared(&n, 1, VT_FOREIGN(4));
	check_shared(&n, 2, VT_MCAST4);
	/* copying writes flood the same way */
	vt_send(n.port[3], VT_BCAST, 100, 1);
	{
		struct rte_mbuf *a = vt_recv_one(n.port[0]), *b = vt_recv_one(n.port[1]);
		struct rte_mbuf *c = vt_recv_one(n.port[2]);

		ck_assert_uint_eq(rte_mbuf_refcnt_read(a), 3);
		ck_assert_ptr_eq(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(c, void *));
		rte_pktmbuf_free(a);
		rte_pktmbuf_free(b);
		rte_pktmbuf_free(c);
	}
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_hub_by_refcount)
{
	struct vt_rig n;

	net_up(&n, VNETIF_FWD_HUB);
	check_shared(&n, 0, n.mac[1]);
	check_shared(&n, 3, VT_BCAST);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_unicast_not_shared)
{
	struct vt_rig n;
	struct rte_mbuf *m;

	net_up(&n, VNETIF_FWD_LEARNING);
	vt_send(n.port[0], n.mac[1], 60, 1);
	m = vt_recv_one(n.port[1]);
	ck_assert_uint_eq(rte_mbuf_refcnt_read(m), 1);
	rte_pktmbuf_free(m);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_no_route)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t mb[6];

	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	vt_send(a, VT_BCAST, 60, 1);
	vt_send(a, VT_FOREIGN(1), 60, 2);
	vt_send(a, mb, 60, 3); /* b's MAC is forgotten: flood, to nobody */
	ck_assert_uint_eq(vt_stats(a).tx_drop_no_route, 3);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 3);
	ck_assert_uint_eq(vt_stats(b).rx_packets, 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_bad_source_dropped)
{
	struct vt_rig n;
	struct vnetif_switch_stats before;

	net_up(&n, VNETIF_FWD_LEARNING);
	before = vt_sw_stats(n.sw);
	ck_assert_int_eq(vt_write(n.port[0], n.mac[1], VT_MCAST4, 60, 1), 0);
	ck_assert_int_eq(vt_write(n.port[0], n.mac[1], VT_BCAST, 60, 2), 0);
	ck_assert_int_eq(vt_write(n.port[0], n.mac[1], VT_ZERO, 60, 3), 0);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_bad_src, 3);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_learned, before.fdb_learned);
	ck_assert_uint_eq(vt_sw_stats(n.sw).drops, 3);
	/* bad sources are not learned: a frame to the multicast source floods as before */
	vt_send(n.port[1], VT_MCAST4, 60, 4);
	expect_to(&n, 1, ALL_BUT(1), VT_MCAST4, 60, 4);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_runt_bursts_counted)
{
	struct vt_rig n;
	struct rte_mempool *mp;
	struct rte_mbuf *pkts[3];

	net_up(&n, VNETIF_FWD_LEARNING);
	mp = vnetif_switch_pool(n.sw);
	pkts[0] = vt_mbuf(mp, n.mac[1], n.mac[0], 13, 1);
	pkts[1] = vt_mbuf_chain(mp, n.mac[1], n.mac[0], 60, 10, 50, 2); /* header split */
	pkts[2] = vt_mbuf(mp, n.mac[1], n.mac[0], 0, 3);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 3), 3);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_runt, 3);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_packets, 0);
	/* exactly a header is a frame */
	pkts[0] = vt_mbuf(mp, n.mac[1], n.mac[0], 14, 4);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 1), 1);
	expect_one(&n, 1, n.mac[1], n.mac[0], 14, 4);
	/* and a header exactly filling the first segment */
	pkts[0] = vt_mbuf_chain(mp, n.mac[1], n.mac[0], 100, 14, 40, 5);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 1), 1);
	expect_one(&n, 1, n.mac[1], n.mac[0], 100, 5);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_oversize_bursts_counted)
{
	struct vt_rig n;
	struct rte_mempool *mp;
	struct rte_mbuf *m;

	net_up(&n, VNETIF_FWD_LEARNING);
	mp = vnetif_switch_pool(n.sw);
	m = vt_mbuf(mp, n.mac[1], n.mac[0], 1515, 1);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], &m, 1), 1);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_oversize, 1);
	m = vt_mbuf(mp, n.mac[1], n.mac[0], 1514, 2);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], &m, 1), 1);
	expect_one(&n, 1, n.mac[1], n.mac[0], 1514, 2);
	/* a chain over MTU + 14 */
	m = vt_mbuf_chain(mp, n.mac[1], n.mac[0], 3000, 1000, 1000, 3);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], &m, 1), 1);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_oversize, 2);
	/* allowed once the sender's MTU allows it, whatever the receiver's MTU */
	ck_assert_int_eq(vnetif_set_mtu(n.port[0], 2986), 0);
	m = vt_mbuf_chain(mp, n.mac[1], n.mac[0], 3000, 1000, 1000, 4);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], &m, 1), 1);
	expect_one(&n, 1, n.mac[1], n.mac[0], 3000, 4);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_oversize, 2);
	vt_rig_down_empty(&n);
}
END_TEST

/* A burst is taken whole; each frame is delivered or counted on its own. */
START_TEST(test_burst_mixed)
{
	struct vt_rig n;
	struct rte_mempool *mp;
	struct rte_mbuf *pkts[6];
	struct vnetif_stats s;

	net_up(&n, VNETIF_FWD_LEARNING);
	mp = vnetif_switch_pool(n.sw);
	pkts[0] = vt_mbuf(mp, n.mac[1], n.mac[0], 60, 1);
	pkts[1] = vt_mbuf(mp, n.mac[1], n.mac[0], 5, 2);
	pkts[2] = vt_mbuf(mp, n.mac[1], n.mac[0], 1600, 3);
	pkts[3] = vt_mbuf(mp, n.mac[1], VT_ZERO, 60, 4);
	pkts[4] = vt_mbuf(mp, n.mac[0], n.mac[0], 60, 5);
	pkts[5] = vt_mbuf(mp, n.mac[1], n.mac[0], 61, 6);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 6), 6);
	s = vt_stats(n.port[0]);
	ck_assert_uint_eq(s.tx_drop_runt, 1);
	ck_assert_uint_eq(s.tx_drop_oversize, 1);
	ck_assert_uint_eq(s.tx_drop_bad_src, 1);
	ck_assert_uint_eq(s.tx_drop_own_port, 1);
	{
		struct rte_mbuf *got[4];

		ck_assert_int_eq(vnetif_rx_burst(n.port[1], got, 4), 2);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(got[0]), 60);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(got[1]), 61);
		ck_assert(vt_frame_ok(rte_pktmbuf_mtod(got[0], uint8_t *), 60, n.mac[1], n.mac[0], 1));
		ck_assert(vt_frame_ok(rte_pktmbuf_mtod(got[1], uint8_t *), 61, n.mac[1], n.mac[0], 6));
		rte_pktmbuf_free_bulk(got, 2);
	}
	ck_assert_uint_eq(vt_sw_stats(n.sw).drops, 4);
	vt_rig_down_empty(&n);
}
END_TEST

START_TEST(test_fdb_full_counted)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct vnetif_switch_stats before, after;
	uint8_t mb[6];
	const unsigned n = 300;

	vt_config(&cfg);
	cfg.fdb_size = 64;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	before = vt_sw_stats(sw);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(vt_write(a, mb, VT_MAC(0x02, 0xbb, 0, 0, (uint8_t)(i >> 8), (uint8_t)i),
					  60, i),
				 0);
	ck_assert_uint_eq(vt_drain(b), n); /* every frame still delivered */
	after = vt_sw_stats(sw);
	ck_assert_uint_le(after.fdb_entries, 64);
	ck_assert_uint_gt(after.fdb_full, before.fdb_full);
	ck_assert_uint_eq((after.fdb_learned - before.fdb_learned) + (after.fdb_full - before.fdb_full),
			  n);
	vt_teardown(sw);
}
END_TEST

Suite *fwd_suite(void)
{
	Suite *s = suite_create("fwd");
	TCase *tc = vt_tcase("learning");

	tcase_add_test(tc, test_own_mac_known_at_connect);
	tcase_add_test(tc, test_learning);
	tcase_add_test(tc, test_unknown_unicast_flooded);
	tcase_add_test(tc, test_broadcast_flooded);
	tcase_add_test(tc, test_multicast_flooded);
	tcase_add_test(tc, test_own_port_dropped);
	tcase_add_test(tc, test_mac_move);
	tcase_add_test(tc, test_fdb_full_counted);
	suite_add_tcase(s, tc);

	tc = vt_tcase("hub");
	tcase_add_test(tc, test_hub_sends_to_all_others);
	tcase_add_test(tc, test_hub_by_refcount);
	suite_add_tcase(s, tc);

	tc = vt_tcase("refcount");
	tcase_add_test(tc, test_flood_by_refcount);
	tcase_add_test(tc, test_unicast_not_shared);
	suite_add_tcase(s, tc);

	tc = vt_tcase("drops");
	tcase_add_test(tc, test_no_route);
	tcase_add_test(tc, test_bad_source_dropped);
	tcase_add_test(tc, test_runt_bursts_counted);
	tcase_add_test(tc, test_oversize_bursts_counted);
	tcase_add_test(tc, test_burst_mixed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(fwd_suite());
}
