/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port security: a MAC-locked port cannot pose as another and steal its traffic; a port
 * with a learning limit that sends from thousands of source MACs cannot fill the table,
 * so the other ports' stations are still learned and their unicast reaches only them;
 * MAC moves are counted on the port they move to; the settings' errors; changing them
 * while traffic flows.
 */
#include "vnetif_test.h"

Suite *portsec_suite(void);

/* A locally administered unicast source MAC, one per @n (the "attacker's" stations). */
static void station(uint32_t n, uint8_t *mac)
{
	const uint8_t m[6] = {0x06, 0xbb, (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			      (uint8_t)(n >> 8), (uint8_t)n};
	memcpy(mac, m, 6);
}

/* victim v, spoofer s, sender c: does c's unicast to v's MAC reach s after s sent one
 * frame from v's MAC? Returns the frames s got from c. */
static uint64_t spoof_and_send(bool lock)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *v = vt_connect(sw), *s = vt_connect(sw), *c = vt_connect(sw);
	struct vt_cap *cv = vt_cap_new(), *cs = vt_cap_new(), *cc = vt_cap_new();
	struct vnetif_port_security sec = {.mac_lock = lock};
	uint8_t mv[6], mc[6];
	uint64_t stolen;

	vt_mac(v, mv);
	vt_mac(c, mc);
	ck_assert_int_eq(vnetif_listen(v, vt_cap_listen, cv), 0);
	ck_assert_int_eq(vnetif_listen(s, vt_cap_listen, cs), 0);
	ck_assert_int_eq(vnetif_listen(c, vt_cap_listen, cc), 0);
	ck_assert_int_eq(vnetif_port_security_set(s, &sec), 0);
	/* s poses as v (a gratuitous broadcast from v's MAC) */
	ck_assert_int_eq(vt_write(s, VT_BCAST, mv, 60, 1), 0);
	for (uint32_t i = 0; i < 10; i++)
		vt_send(c, mv, 100, 100 + i);
	stolen = atomic_load(&cs->frames);
	struct vnetif_stats ss = vt_stats(s), sv = vt_stats(v);
	if (lock) {
		ck_assert_uint_eq(ss.tx_drop_mac_lock, 1);
		ck_assert_uint_eq(ss.tx_packets, 1); /* accepted, then dropped by the lock */
		ck_assert_uint_eq(ss.macs_moved_in, 0);
		ck_assert_uint_eq(vt_sw_stats(sw).fdb_moved, 0);
		ck_assert_uint_eq(atomic_load(&cv->frames), 10); /* all of them, to v only */
		ck_assert_uint_eq(atomic_load(&cc->frames), 0);
		/* its own MAC still passes */
		vt_send(s, mc, 60, 7);
		ck_assert_uint_eq(atomic_load(&cc->frames), 1);
	} else {
		ck_assert_uint_eq(ss.macs_moved_in, 1); /* the move is counted where it lands */
		ck_assert_uint_eq(sv.macs_moved_in, 0);
		ck_assert_uint_eq(vt_sw_stats(sw).fdb_moved, 1);
	}
	/* s first: with v's MAC moved to s, disconnecting v first deletes no entry, which
	 * trips the defect test_regress.c reproduces (fdb reclaim, UBSan) */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vnetif_disconnect((vnetif_port *[]){s, v, c}[i], 0), 0);
	vt_teardown(sw);
	vt_cap_free(cv);
	vt_cap_free(cs);
	vt_cap_free(cc);
	return stolen;
}

START_TEST(test_locked_port_cannot_steal_traffic)
{
	/* unlocked, the spoofer gets v's unicast: the threat is real */
	ck_assert_uint_eq(spoof_and_send(false), 10);
	/* locked, not one frame */
	ck_assert_uint_eq(spoof_and_send(true), 0);
}
END_TEST

START_TEST(test_lock_allowed_list)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw), *q = vt_connect(sw);
	struct vnetif_port_security sec = {.mac_lock = true, .n_allowed = 2}, got;
	uint8_t x[6], y[6], z[6];

	station(1, x);
	station(2, y);
	station(3, z);
	memcpy(sec.allowed[0], x, 6);
	memcpy(sec.allowed[1], y, 6);
	ck_assert_int_eq(vnetif_port_security_set(p, &sec), 0);
	ck_assert_int_eq(vnetif_port_security_get(p, &got), 0);
	ck_assert(got.mac_lock && got.n_allowed == 2 && got.max_learned == 0);
	ck_assert(vt_mac_eq(got.allowed[0], x) && vt_mac_eq(got.allowed[1], y));
	ck_assert_int_eq(vt_write(p, VT_BCAST, x, 60, 1), 0);
	ck_assert_int_eq(vt_write(p, VT_BCAST, y, 60, 2), 0);
	ck_assert_int_eq(vt_write(p, VT_BCAST, z, 60, 3), 0); /* accepted by the call, dropped */
	struct vnetif_stats s = vt_stats(p);
	ck_assert_uint_eq(s.tx_packets, 3); /* the lock's drops are part of it, as own-port drops */
	ck_assert_uint_eq(s.tx_drop_mac_lock, 1);
	ck_assert_uint_eq(vt_stats(q).rx_packets, 2);
	ck_assert_int_eq(vnetif_port_learned(p), 3); /* its own, x and y */
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 1);
	/* off again: z passes */
	ck_assert_int_eq(vnetif_port_security_set(p, NULL), 0);
	ck_assert_int_eq(vnetif_port_security_get(p, &got), 0);
	ck_assert(!got.mac_lock && got.n_allowed == 0);
	ck_assert_int_eq(vt_write(p, VT_BCAST, z, 60, 4), 0);
	ck_assert_uint_eq(vt_stats(p).tx_drop_mac_lock, 1);
	ck_assert_uint_eq(vt_stats(q).rx_packets, 3);
	struct rte_mbuf *m[8];
	int n;
	while ((n = vnetif_rx_burst(q, m, 8)) > 0)
		rte_pktmbuf_free_bulk(m, (unsigned)n);
	ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(q, 0), 0);
	vt_teardown(sw);
}
END_TEST

/*
 * A port sends from 20,000 source MACs (a MAC flood). Then a new station appears behind
 * a victim port, and a third port sends to it. With a learning limit on the flooder, the
 * table has room: the station is learned and the unicast reaches the victim only. Without
 * (the control), the table is full, the station is not learned, the frame floods to the
 * flooder too.
 */
static uint64_t mac_flood(unsigned limit)
{
	struct vnetif_switch_config cfg;
	vt_config(&cfg);
	cfg.fdb_size = 1024;
	vnetif_switch *sw = vt_switch(&cfg);
	vnetif_port *f = vt_connect(sw), *v = vt_connect(sw), *c = vt_connect(sw);
	struct vt_cap *cf = vt_cap_new(), *cv = vt_cap_new();
	struct vnetif_port_security sec = {.max_learned = limit};
	const unsigned n = vt_tsan() ? 2000 : 20000;
	uint8_t mac[6], st[6], mv[6];
	uint64_t leaked;

	vt_mac(v, mv);
	ck_assert_int_eq(vnetif_listen(f, vt_cap_listen, cf), 0);
	ck_assert_int_eq(vnetif_listen(v, vt_cap_listen, cv), 0);
	ck_assert_int_eq(vnetif_port_security_set(f, &sec), 0);
	for (unsigned i = 0; i < n; i++) {
		station(1000 + i, mac);
		ck_assert_int_eq(vt_write(f, VT_FOREIGN(1), mac, 60, i), 0);
	}
	struct vnetif_switch_stats ss = vt_sw_stats(sw);
	struct vnetif_stats fs = vt_stats(f);
	if (limit) {
		ck_assert_int_eq(vnetif_port_learned(f), (int)limit);
		ck_assert_uint_eq(fs.tx_learn_limited, n - (limit - 1));
		ck_assert_uint_eq(fs.tx_packets, n); /* still forwarded */
		ck_assert_uint_eq(ss.fdb_full, 0);
	} else {
		ck_assert_uint_gt(ss.fdb_full, 0);
	}
	/* a new station behind v speaks; c sends to it */
	station(7, st);
	ck_assert_int_eq(vt_write(v, VT_BCAST, st, 60, 1), 0);
	uint64_t f_before = atomic_load(&cf->frames), v_before = atomic_load(&cv->frames);
	for (uint32_t i = 0; i < 10; i++)
		vt_send(c, st, 80, i);
	leaked = atomic_load(&cf->frames) - f_before;
	ck_assert_uint_eq(atomic_load(&cv->frames) - v_before, 10); /* v gets them either way */
	/* and v's own MAC was never evicted: unicast to it goes to v only */
	f_before = atomic_load(&cf->frames);
	vt_send(c, mv, 80, 99);
	ck_assert_uint_eq(atomic_load(&cf->frames), f_before);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(vnetif_disconnect((vnetif_port *[]){f, v, c}[i], 0), 0);
	vt_teardown(sw);
	vt_cap_free(cf);
	vt_cap_free(cv);
	return leaked;
}

START_TEST(test_flooding_port_cannot_evict_others)
{
	ck_assert_uint_eq(mac_flood(0), 10); /* the control: the flood hurts */
	ck_assert_uint_eq(mac_flood(16), 0);
}
END_TEST

START_TEST(test_learning_limit_lowered_and_disconnect)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw), *q = vt_connect(sw);
	struct vnetif_port_security sec = {0};
	uint8_t mac[6];

	for (uint32_t i = 0; i < 10; i++) {
		station(i, mac);
		ck_assert_int_eq(vt_write(p, VT_BCAST, mac, 60, i), 0);
	}
	ck_assert_int_eq(vnetif_port_learned(p), 11);
	sec.max_learned = 4; /* lower than what it has: those stay, no new ones */
	ck_assert_int_eq(vnetif_port_security_set(p, &sec), 0);
	station(50, mac);
	ck_assert_int_eq(vt_write(p, VT_BCAST, mac, 60, 50), 0);
	ck_assert_int_eq(vnetif_port_learned(p), 11);
	ck_assert_uint_eq(vt_stats(p).tx_learn_limited, 1);
	/* q takes over one of p's stations: p's count drops, q counts the move */
	station(3, mac);
	ck_assert_int_eq(vt_write(q, VT_BCAST, mac, 60, 3), 0);
	ck_assert_int_eq(vnetif_port_learned(p), 10);
	ck_assert_int_eq(vnetif_port_learned(q), 2);
	ck_assert_uint_eq(vt_stats(q).macs_moved_in, 1);
	struct rte_mbuf *m[16];
	int n;
	while ((n = vnetif_rx_burst(q, m, 16)) > 0)
		rte_pktmbuf_free_bulk(m, (unsigned)n);
	while ((n = vnetif_rx_burst(p, m, 16)) > 0)
		rte_pktmbuf_free_bulk(m, (unsigned)n);
	ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	ck_assert_int_eq(vnetif_port_learned(p), -ENOTCONN);
	/* a port connecting into p's slot starts from its own MAC only */
	vnetif_port *r = vt_connect(sw);
	ck_assert_int_eq(vnetif_port_learned(r), 1);
	ck_assert_int_eq(vnetif_disconnect(q, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(r, 0), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_security_errors)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw);
	struct vnetif_port_security sec = {.mac_lock = true, .n_allowed = 1}, got;

	ck_assert_int_eq(vnetif_port_security_set(NULL, &sec), -EINVAL);
	ck_assert_int_eq(vnetif_port_security_set((vnetif_port *)sw, &sec), -EINVAL);
	ck_assert_int_eq(vnetif_port_security_get(p, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_port_learned(NULL), -EINVAL);
	memcpy(sec.allowed[0], VT_MCAST4, 6);
	ck_assert_int_eq(vnetif_port_security_set(p, &sec), -EINVAL);
	memcpy(sec.allowed[0], VT_ZERO, 6);
	ck_assert_int_eq(vnetif_port_security_set(p, &sec), -EINVAL);
	memcpy(sec.allowed[0], VT_FOREIGN(1), 6);
	sec.n_allowed = VNETIF_PORT_ALLOWED_MAX + 1;
	ck_assert_int_eq(vnetif_port_security_set(p, &sec), -EINVAL);
	/* nothing changed by the failed calls */
	ck_assert_int_eq(vnetif_port_security_get(p, &got), 0);
	ck_assert(!got.mac_lock && got.n_allowed == 0 && got.max_learned == 0);
	ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	ck_assert_int_eq(vnetif_port_security_set(p, NULL), -ENOTCONN);
	ck_assert_int_eq(vnetif_port_security_get(p, &got), -ENOTCONN);
	vt_teardown(sw);
}
END_TEST

/* Changing the settings while the port sends from its own MAC and an allowed one that
 * stays in every list: not one of those frames is dropped. */
struct toggle_arg {
	vnetif_port *p;
	uint8_t keep[6];
	atomic_int stop;
	atomic_uint_fast64_t sent;
};

static void *toggle_writer(void *arg)
{
	struct toggle_arg *t = arg;
	uint8_t own[6];

	vnetif_mac(t->p, own);
	while (!atomic_load(&t->stop)) {
		uint64_t n = atomic_load(&t->sent);

		if (vt_write(t->p, VT_BCAST, n % 2 ? own : t->keep, 60, (uint32_t)n) == 0)
			atomic_store(&t->sent, n + 1);
	}
	return NULL;
}

START_TEST(test_security_changes_under_traffic)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct toggle_arg t = {.p = vt_connect(sw)};
	vnetif_port *q = vt_connect(sw);
	struct vt_cap *cq = vt_cap_new();
	pthread_t th;

	station(42, t.keep);
	ck_assert_int_eq(vnetif_listen(q, vt_cap_listen, cq), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, toggle_writer, &t), 0);
	/* at least this many changes, and until the writer has sent a good number of
	 * frames while they happen (bounded) */
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;
	for (unsigned i = 0; i < vt_scale(20000) ||
			     (atomic_load(&t.sent) < 2000 && vt_now_ms() < deadline); i++) {
		struct vnetif_port_security sec = {.mac_lock = i % 3 != 0, .n_allowed = 1 + i % 5,
						   .max_learned = i % 7};

		for (unsigned k = 0; k < sec.n_allowed; k++)
			station(k == i % sec.n_allowed ? 42 : 100 + k + i % 11, sec.allowed[k]);
		ck_assert_int_eq(vnetif_port_security_set(t.p, &sec), 0);
	}
	atomic_store(&t.stop, 1);
	pthread_join(th, NULL);
	ck_assert_uint_ge(atomic_load(&t.sent), 2000);
	ck_assert_uint_eq(vt_stats(t.p).tx_drop_mac_lock, 0);
	ck_assert_uint_eq(atomic_load(&cq->frames), atomic_load(&t.sent));
	ck_assert_int_eq(vnetif_disconnect(t.p, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(q, 0), 0);
	vt_teardown(sw);
	vt_cap_free(cq);
}
END_TEST

Suite *portsec_suite(void)
{
	Suite *s = suite_create("portsec");
	TCase *tc = vt_tcase("portsec");

	tcase_add_test(tc, test_locked_port_cannot_steal_traffic);
	tcase_add_test(tc, test_lock_allowed_list);
	tcase_add_test(tc, test_flooding_port_cannot_evict_others);
	tcase_add_test(tc, test_learning_limit_lowered_and_disconnect);
	tcase_add_test(tc, test_security_errors);
	tcase_add_test(tc, test_security_changes_under_traffic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(portsec_suite());
}
