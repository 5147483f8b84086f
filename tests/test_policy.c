/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The learning policy's promises: a burst forwards exactly as the same frames written
 * one by one; the learned-source cache never goes stale, however many table changes
 * happen; a disconnect forgets every MAC of the port in time linear in their number;
 * ports whose MACs all moved away disconnect cleanly.
 */
#include "vnetif_test.h"

Suite *policy_suite(void);

#define NP 4

/* A switch with NP ports without listeners (frames stay on their rings): a rig. */
#define NP_PORTS "----"
_Static_assert(sizeof(NP_PORTS) - 1 == NP, "one port kind per port");

static void net_up(struct vt_rig *n, const struct vnetif_switch_config *cfg)
{
	*n = vt_rig_up(cfg, NP_PORTS);
}


/* ---- a burst forwards as the same frames written one by one ----------------------- */

/* [a->H, H->b] from one port: H is not known when the first frame is sent. */
START_TEST(test_burst_later_source_does_not_reroute)
{
	struct vt_rig n;
	struct rte_mempool *mp;
	struct rte_mbuf *pkts[2];
	struct vnetif_stats s;

	net_up(&n, NULL);
	mp = vnetif_switch_pool(n.sw);
	pkts[0] = vt_mbuf(mp, VT_FOREIGN(7), n.mac[0], 60, 1);   /* a -> H: unknown, floods */
	pkts[1] = vt_mbuf(mp, n.mac[1], VT_FOREIGN(7), 60, 2);   /* H -> b: learns H on p0 */
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 2), 2);
	s = vt_stats(n.port[0]);
	ck_assert_uint_eq(s.tx_drop_own_port, 0);
	ck_assert_uint_eq(s.tx_flooded, 1);
	ck_assert_uint_eq(vt_drain(n.port[1]), 2); /* the flooded frame and the unicast one */
	ck_assert_uint_eq(vt_drain(n.port[2]), 1);
	ck_assert_uint_eq(vt_drain(n.port[3]), 1);
	vt_rig_down_empty(&n);
}
END_TEST

/* The other way round: a frame to H sent from p0 while p1 announces H later in a burst
 * of p1 does not apply; but within one port, H learned on p0 by a later frame must not
 * turn an earlier frame to H into an own-port drop nor a unicast. */
START_TEST(test_burst_later_move_does_not_reroute)
{
	struct vt_rig n;
	struct rte_mempool *mp;
	struct rte_mbuf *pkts[3];

	net_up(&n, NULL);
	mp = vnetif_switch_pool(n.sw);
	/* H learned on p2 first */
	ck_assert_int_eq(vt_write(n.port[2], n.mac[3], VT_FOREIGN(8), 60, 1), 0);
	ck_assert_uint_eq(vt_drain(n.port[3]), 1);
	/* p0: [a->H (to p2), H->b (moves H to p0), a->H (own port now)] */
	pkts[0] = vt_mbuf(mp, VT_FOREIGN(8), n.mac[0], 60, 2);
	pkts[1] = vt_mbuf(mp, n.mac[1], VT_FOREIGN(8), 60, 3);
	pkts[2] = vt_mbuf(mp, VT_FOREIGN(8), n.mac[0], 60, 4);
	ck_assert_int_eq(vnetif_tx_burst(n.port[0], pkts, 3), 3);
	ck_assert_uint_eq(vt_drain(n.port[2]), 1);
	ck_assert_uint_eq(vt_drain(n.port[1]), 1);
	ck_assert_uint_eq(vt_stats(n.port[0]).tx_drop_own_port, 1);
	vt_rig_down_empty(&n);
}
END_TEST

/* Deterministic PRNG (xorshift32), so a failure can be replayed. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define NFOREIGN 3
#define MAXBURST 150

struct frame_spec {
	int port;
	uint8_t dst[6], src[6];
	uint16_t len;
};

/* A random frame from @port: sources are the port's own MAC, another port's MAC, a few
 * shared foreign MACs (so MACs move), now and then a multicast source (a bad frame);
 * destinations are any of those or broadcast. */
static void random_frame(uint32_t *seed, const struct vt_rig *n, int port, struct frame_spec *f)
{
	uint32_t r = rnd(seed);
	unsigned pick;

	f->port = port;
	f->len = (uint16_t)(60 + r % 64);
	pick = (r >> 8) % 16;
	if (pick < 6)
		memcpy(f->src, n->mac[port], 6);
	else if (pick < 8)
		memcpy(f->src, n->mac[(r >> 12) % NP], 6);
	else if (pick < 15)
		memcpy(f->src, VT_FOREIGN(1 + (r >> 12) % NFOREIGN), 6);
	else
		memcpy(f->src, VT_MCAST4, 6);
	r = rnd(seed);
	pick = r % 16;
	if (pick < 6)
		memcpy(f->dst, n->mac[(r >> 8) % NP], 6);
	else if (pick < 14)
		memcpy(f->dst, VT_FOREIGN(1 + (r >> 8) % NFOREIGN), 6);
	else
		memcpy(f->dst, VT_BCAST, 6);
}

/* Send @cnt frames of @f (all from one port) as one burst, or one at a time. */
static void send_frames(struct vt_rig *n, const struct frame_spec *f, unsigned cnt, uint32_t seq0,
			bool burst)
{
	struct rte_mempool *mp = vnetif_switch_pool(n->sw);
	struct rte_mbuf *pkts[MAXBURST];

	for (unsigned i = 0; i < cnt; i++)
		pkts[i] = vt_mbuf(mp, f[i].dst, f[i].src, f[i].len, seq0 + i);
	if (burst) {
		ck_assert_int_eq(vnetif_tx_burst(n->port[f[0].port], pkts, (uint16_t)cnt), (int)cnt);
	} else {
		for (unsigned i = 0; i < cnt; i++)
			ck_assert_int_eq(vnetif_tx_burst(n->port[f[i].port], &pkts[i], 1), 1);
	}
}

/* Every port's ring holds the same frames, in the same order, on both switches. */
static void compare_rings(struct vt_rig *a, struct vt_rig *b, uint32_t seed, unsigned round)
{
	for (int i = 0; i < NP; i++) {
		struct rte_mbuf *ma[64], *mb[64];
		int ka, kb;

		do {
			ka = vnetif_rx_burst(a->port[i], ma, 64);
			kb = vnetif_rx_burst(b->port[i], mb, 64);
			ck_assert_msg(ka == kb, "seed %u round %u port %d: burst delivered %d, one by one %d",
				      seed, round, i, ka, kb);
			for (int k = 0; k < ka; k++) {
				const uint8_t *da = rte_pktmbuf_mtod(ma[k], const uint8_t *);
				const uint8_t *db = rte_pktmbuf_mtod(mb[k], const uint8_t *);

				ck_assert_msg(ma[k]->pkt_len == mb[k]->pkt_len &&
						      vt_seq(da, ma[k]->pkt_len) == vt_seq(db, mb[k]->pkt_len),
					      "seed %u round %u port %d: frame %d differs", seed, round, i,
					      k);
			}
			rte_pktmbuf_free_bulk(ma, (unsigned)ka);
			rte_pktmbuf_free_bulk(mb, (unsigned)kb);
		} while (ka > 0);
	}
}

static void compare_counters(struct vt_rig *a, struct vt_rig *b, uint32_t seed, unsigned round)
{
	struct vnetif_switch_stats sa = vt_sw_stats(a->sw), sb = vt_sw_stats(b->sw);

	for (int i = 0; i < NP; i++) {
		struct vnetif_stats pa = vt_stats(a->port[i]), pb = vt_stats(b->port[i]);

		ck_assert_msg(memcmp(&pa, &pb, sizeof(pa)) == 0,
			      "seed %u round %u port %d: counters differ (own_port %" PRIu64
			      " vs %" PRIu64 ", flooded %" PRIu64 " vs %" PRIu64 ")",
			      seed, round, i, pa.tx_drop_own_port, pb.tx_drop_own_port,
			      pa.tx_flooded, pb.tx_flooded);
	}
	ck_assert_uint_eq(sa.fdb_entries, sb.fdb_entries);
	ck_assert_uint_eq(sa.fdb_learned, sb.fdb_learned);
	ck_assert_uint_eq(sa.fdb_moved, sb.fdb_moved);
	ck_assert_uint_eq(sa.drops, sb.drops);
}

/* Port security the same on both switches: p0 locked to its own MAC and one foreign
 * one, p1 allowed to be pointed to by two table entries. */
static void secure(struct vt_rig *n)
{
	struct vnetif_port_security lock = {.mac_lock = true, .n_allowed = 1};
	struct vnetif_port_security limit = {.max_learned = 2};

	memcpy(lock.allowed[0], VT_FOREIGN(1), 6);
	ck_assert_int_eq(vnetif_port_security_set(n->port[0], &lock), 0);
	ck_assert_int_eq(vnetif_port_security_set(n->port[1], &limit), 0);
}

/*
 * Brute force: random bursts over a few MACs and ports, sent as bursts on one switch
 * and frame by frame on another; delivery per port and every counter must agree.
 * @runs: the bursts are made of runs of one frame repeated (a burst to one station, the
 * case the switch decides once per run or once per burst), now and then a whole burst
 * of one, and ports have port security, so that the lock, the learning limit and the
 * learned-source cache meet repeated frames.
 */
static void burst_vs_one_by_one(bool runs)
{
	struct vt_rig a, b;
	struct frame_spec f[MAXBURST];
	unsigned rounds = vt_tsan() ? 60 : 600;
	uint32_t seq = 1;

	for (uint32_t seed = 1; seed <= 4; seed++) {
		uint32_t s = seed * 2654435761u;

		net_up(&a, NULL);
		net_up(&b, NULL);
		if (runs) {
			secure(&a);
			secure(&b);
		}
		for (unsigned r = 0; r < rounds; r++) {
			int port = (int)(rnd(&s) % NP);
			unsigned cnt = 1 + rnd(&s) % (r % 4 == 0 ? MAXBURST : 12);

			for (unsigned i = 0; i < cnt;) {
				unsigned len = runs ? (r % 8 == 0 ? cnt : 1 + rnd(&s) % 40) : 1;

				random_frame(&s, &a, port, &f[i]);
				for (unsigned k = 1; k < len && i + k < cnt; k++)
					f[i + k] = f[i];
				i += len;
			}
			send_frames(&a, f, cnt, seq, true);
			send_frames(&b, f, cnt, seq, false);
			seq += cnt;
			compare_rings(&a, &b, seed, r);
			compare_counters(&a, &b, seed, r);
		}
		vt_rig_down_empty(&a);
		vt_rig_down_empty(&b);
	}
}

START_TEST(test_burst_equals_one_by_one)
{
	burst_vs_one_by_one(false);
}
END_TEST

START_TEST(test_burst_of_runs_equals_one_by_one)
{
	burst_vs_one_by_one(true);
}
END_TEST

/* ---- the learned-source cache ----------------------------------------------------- */

static uint64_t changes(vnetif_switch *sw)
{
	struct vnetif_switch_stats st = vt_sw_stats(sw);

	return st.fdb_learned + st.fdb_moved;
}

/*
 * p0 learns H; H moves to p1; then exactly 65,535 more table changes (a MAC X moving
 * between p2 and p3), 65,536 in all since p0 learned H. H then comes back to p0: the
 * table must learn it there, and frames for H must reach p0.
 */
START_TEST(test_learned_source_cache_does_not_wrap)
{
	struct vt_rig n;
	uint64_t c0, moved;

	net_up(&n, NULL);
	ck_assert_int_eq(vt_write(n.port[0], VT_BCAST, VT_FOREIGN(1), 60, 1), 0);
	c0 = changes(n.sw);
	ck_assert_int_eq(vt_write(n.port[1], VT_BCAST, VT_FOREIGN(1), 60, 2), 0); /* H to p1 */
	for (uint32_t i = 0; changes(n.sw) < c0 + 65536; i++)
		ck_assert_int_eq(vt_write(n.port[2 + (i & 1)], n.mac[0], VT_FOREIGN(2), 60, 3), 0);
	ck_assert_uint_eq(changes(n.sw), c0 + 65536);
	for (int i = 0; i < NP; i++)
		vt_drain(n.port[i]);
	moved = vt_sw_stats(n.sw).fdb_moved;
	ck_assert_int_eq(vt_write(n.port[0], VT_BCAST, VT_FOREIGN(1), 60, 4), 0); /* H back to p0 */
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_moved, moved + 1);
	for (int i = 1; i < NP; i++)
		ck_assert_uint_eq(vt_drain(n.port[i]), 1);
	vt_send(n.port[3], VT_FOREIGN(1), 60, 5);
	ck_assert_uint_eq(vt_drain(n.port[0]), 1);
	ck_assert_uint_eq(vt_drain(n.port[1]), 0);
	vt_rig_down_empty(&n);
}
END_TEST

/* A port's slot serves a newer port after it left (port handles, port.c): nothing the
 * table or the learned-source cache knew of the old port carries over. Frames to a MAC
 * the old port had learned flood; the new port sending from that MAC learns it anew and
 * then receives it as unicast. */
START_TEST(test_learning_across_slot_reuse)
{
	struct vnetif_switch_config cfg;
	vnetif_port *old;
	struct vt_rig n;
	uint64_t learned, flooded;

	vt_config(&cfg);
	cfg.max_ports = NP; /* the next connect must take the slot p0 leaves */
	net_up(&n, &cfg);
	ck_assert_int_eq(vt_write(n.port[0], VT_BCAST, VT_FOREIGN(9), 60, 1), 0); /* H on p0 */
	for (int i = 1; i < NP; i++)
		ck_assert_uint_eq(vt_drain(n.port[i]), 1);
	old = n.port[0];
	ck_assert_int_eq(vnetif_disconnect(old, 0), 0);
	n.port[0] = vt_connect(n.sw);
	vt_mac(n.port[0], n.mac[0]);
	ck_assert_int_eq(vnetif_stats_reset(old), -ENOTCONN); /* same slot, newer port */

	/* H was forgotten with p0: a frame to it floods, also to the slot's new port */
	flooded = vt_stats(n.port[1]).tx_flooded;
	vt_send(n.port[1], VT_FOREIGN(9), 60, 2);
	ck_assert_uint_eq(vt_stats(n.port[1]).tx_flooded, flooded + 1);
	ck_assert_uint_eq(vt_drain(n.port[0]), 1);
	ck_assert_uint_eq(vt_drain(n.port[2]), 1);
	ck_assert_uint_eq(vt_drain(n.port[3]), 1);

	/* the new port sends from H: learned anew, on it */
	learned = vt_sw_stats(n.sw).fdb_learned;
	ck_assert_int_eq(vt_write(n.port[0], VT_BCAST, VT_FOREIGN(9), 60, 3), 0);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_learned, learned + 1);
	for (int i = 1; i < NP; i++)
		ck_assert_uint_eq(vt_drain(n.port[i]), 1);
	vt_send(n.port[1], VT_FOREIGN(9), 60, 4);
	ck_assert_uint_eq(vt_stats(n.port[1]).tx_flooded, flooded + 1);
	ck_assert_uint_eq(vt_drain(n.port[0]), 1);
	ck_assert_uint_eq(vt_drain(n.port[2]), 0);
	ck_assert_uint_eq(vt_drain(n.port[3]), 0);
	vt_rig_down_empty(&n);
}
END_TEST

/* ---- disconnect forgets a port's MACs --------------------------------------------- */

/* A port that learned many MACs disconnects, and every one of them is forgotten. */
START_TEST(test_disconnect_forgets_many_macs)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct rte_mempool *mp;
	uint8_t ma[6], mb[6];
	const unsigned n = vt_tsan() ? 1u << 12 : 1u << 18;
	struct vnetif_stats sb;

	vt_config(&cfg);
	cfg.fdb_size = 2 * n;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(a, ma);
	vt_mac(b, mb);
	mp = vnetif_switch_pool(sw);
	/* from n foreign sources, to a's own MAC: learned on a, then dropped (own port) */
	for (unsigned i = 0; i < n; i += 32) {
		struct rte_mbuf *pkts[32];

		for (unsigned k = 0; k < 32; k++) {
			unsigned m = i + k;

			pkts[k] = vt_mbuf(mp, ma,
					  VT_MAC(0x02, 0xcc, 0, (uint8_t)(m >> 16), (uint8_t)(m >> 8),
						 (uint8_t)m),
					  60, m);
		}
		ck_assert_int_eq(vnetif_tx_burst(a, pkts, 32), 32);
	}
	ck_assert_uint_eq(vt_sw_stats(sw).fdb_entries, n + 2);
	ck_assert_uint_eq(vt_stats(a).tx_drop_own_port, n);

	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).fdb_entries, 1); /* b's own MAC */
	/* every one of them now floods (to nobody: b is alone) */
	for (unsigned m = 0; m < n; m += n / 64) {
		ck_assert_int_eq(vt_write(b, VT_MAC(0x02, 0xcc, 0, (uint8_t)(m >> 16), (uint8_t)(m >> 8),
						    (uint8_t)m),
					  mb, 60, m),
				 0);
	}
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.tx_drop_no_route, 64);
	/* the freed table slots are usable again */
	vnetif_port *c = vt_connect(sw);
	uint8_t mc[6];
	vt_mac(c, mc);
	ck_assert_int_eq(vt_write(c, mb, VT_FOREIGN(3), 60, 1), 0);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_send(b, VT_FOREIGN(3), 60, 2);
	ck_assert_uint_eq(vt_drain(c), 1);
	ck_assert_uint_eq(vt_stats(b).tx_flooded, 0);
	vt_teardown(sw);
}
END_TEST

/* A port whose every MAC moved to another port leaves nothing to forget or reclaim
 * (UBSan once caught memmove(NULL, NULL, 0) here). */
START_TEST(test_disconnect_nothing_to_forget)
{
	struct vt_rig n;

	net_up(&n, NULL);
	ck_assert_int_eq(vt_write(n.port[1], VT_BCAST, n.mac[0], 60, 1), 0); /* p0's MAC to p1 */
	for (int i = 0; i < NP; i++)
		vt_drain(n.port[i]);
	ck_assert_int_eq(vnetif_disconnect(n.port[0], 0), 0);
	vt_send(n.port[2], n.mac[0], 60, 2); /* still learned on p1 */
	ck_assert_uint_eq(vt_drain(n.port[1]), 1);
	ck_assert_uint_eq(vt_drain(n.port[3]), 0);
	vt_rig_down(&n);
}
END_TEST

START_TEST(test_hub_has_no_table)
{
	struct vnetif_switch_config cfg;
	struct vt_rig n;

	vt_config(&cfg);
	cfg.fwd_mode = VNETIF_FWD_HUB;
	net_up(&n, &cfg);
	ck_assert_int_eq(vt_write(n.port[0], n.mac[1], VT_FOREIGN(1), 60, 1), 0);
	ck_assert_int_eq(vt_write(n.port[1], VT_FOREIGN(1), n.mac[1], 60, 2), 0);
	for (int i = 0; i < NP; i++)
		ck_assert_uint_eq(vt_drain(n.port[i]), i == 0 ? 1 : i == 1 ? 1 : 2);
	ck_assert_uint_eq(vt_stats(n.port[1]).tx_drop_own_port, 0);
	ck_assert_uint_eq(vt_sw_stats(n.sw).fdb_learned, 0);
	ck_assert_int_eq(vnetif_disconnect(n.port[0], 0), 0);
	ck_assert_int_eq(vnetif_disconnect(n.port[1], 0), 0);
	vt_rig_down(&n);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = vt_tcase("burst");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_burst_later_source_does_not_reroute);
	tcase_add_test(tc, test_burst_later_move_does_not_reroute);
	tcase_add_test(tc, test_burst_equals_one_by_one);
	tcase_add_test(tc, test_burst_of_runs_equals_one_by_one);
	suite_add_tcase(s, tc);

	tc = vt_tcase("table");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_learned_source_cache_does_not_wrap);
	tcase_add_test(tc, test_learning_across_slot_reuse);
	tcase_add_test(tc, test_disconnect_forgets_many_macs);
	tcase_add_test(tc, test_disconnect_nothing_to_forget);
	tcase_add_test(tc, test_hub_has_no_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(policy_suite());
}
