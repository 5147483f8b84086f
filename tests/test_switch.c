/* SPDX-License-Identifier: BSD-3-Clause */
/* Switch: configuration, create/destroy, names, isolation, pools. */
#include "vnetif_test.h"

Suite *switch_suite(void);

/* Create with @cfg must fail with @want and leave *out untouched. */
static void expect_create_fails(const struct vnetif_switch_config *cfg, int want)
{
	vnetif_switch *sw = (vnetif_switch *)(uintptr_t)0x1;
	int rc = vnetif_switch_create(cfg, &sw);

	if (rc == 0 && sw != NULL && sw != (vnetif_switch *)(uintptr_t)0x1)
		vnetif_switch_destroy(sw);
	ck_assert_msg(rc == want, "vnetif_switch_create: %d, want %d", rc, want);
	ck_assert(sw == NULL || sw == (vnetif_switch *)(uintptr_t)0x1);
}

/* Create with @cfg must succeed; destroy at once. */
static void expect_create_ok(const struct vnetif_switch_config *cfg)
{
	vt_teardown(vt_switch(cfg));
}

START_TEST(test_config_defaults)
{
	struct vnetif_switch_config cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	vnetif_switch_config_init(&cfg);
	ck_assert_ptr_null(cfg.name);
	ck_assert(!cfg.async_readers);
	ck_assert_ptr_null(cfg.yield);
	ck_assert_ptr_null(cfg.yield_arg);
	ck_assert_int_eq(cfg.fwd_mode, VNETIF_FWD_LEARNING);
	ck_assert_int_eq(cfg.full_policy, VNETIF_FULL_DROP);
	ck_assert_uint_eq(cfg.backpressure_retries, 1000);
	ck_assert_uint_eq(cfg.ring_size, 1024);
	ck_assert_uint_eq(cfg.max_ports, 64);
	ck_assert_uint_eq(cfg.fdb_size, 4096);
	ck_assert_uint_eq(cfg.default_mtu, 1500);
	ck_assert_ptr_null(cfg.pool);
	ck_assert_uint_eq(cfg.pool_size, 16383);
	ck_assert_uint_eq(cfg.grace_timeout_ms, 1000);
}
END_TEST

static void noop_yield(void *arg)
{
	(void)arg;
}

/* vnetif_switch_config_get(): the configuration the switch runs with. */
START_TEST(test_config_get)
{
	struct vnetif_switch_config cfg, got;
	vnetif_switch *sw;
	int yarg;

	vt_config(&cfg);
	cfg.name = "cfgget";
	cfg.async_readers = true;
	cfg.yield = noop_yield;
	cfg.yield_arg = &yarg;
	cfg.fwd_mode = VNETIF_FWD_HUB;
	cfg.full_policy = VNETIF_FULL_BACKPRESSURE;
	cfg.backpressure_retries = 7;
	cfg.ring_size = 128;
	cfg.max_ports = 5;
	cfg.fdb_size = 100;
	cfg.default_mtu = 9000;
	cfg.grace_timeout_ms = 1234;
	sw = vt_switch(&cfg);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(vnetif_switch_config_get(sw, &got), 0);
	ck_assert_ptr_nonnull(got.name);
	ck_assert_str_eq(got.name, "cfgget");
	ck_assert(got.async_readers);
	ck_assert_ptr_eq(got.yield, noop_yield);
	ck_assert_ptr_eq(got.yield_arg, &yarg);
	ck_assert_int_eq(got.fwd_mode, VNETIF_FWD_HUB);
	ck_assert_int_eq(got.full_policy, VNETIF_FULL_BACKPRESSURE);
	ck_assert_uint_eq(got.backpressure_retries, 7);
	ck_assert_uint_eq(got.ring_size, 128);
	ck_assert_uint_eq(got.max_ports, 5);
	ck_assert_uint_eq(got.fdb_size, 100);
	ck_assert_uint_eq(got.default_mtu, 9000);
	ck_assert_uint_eq(got.pool_size, cfg.pool_size);
	ck_assert_uint_eq(got.grace_timeout_ms, 1234);
	vt_teardown(sw);

	/* an unnamed switch reports the name the library chose: "vs<N>" (N in hex here) */
	sw = vt_switch(NULL);
	ck_assert_int_eq(vnetif_switch_config_get(sw, &got), 0);
	ck_assert_ptr_nonnull(got.name);
	ck_assert_msg(strncmp(got.name, "vs", 2) == 0 && strlen(got.name) > 2 &&
			      strspn(got.name + 2, "0123456789abcdef") == strlen(got.name) - 2,
		      "auto name '%s'", got.name);
	ck_assert_uint_eq(got.ring_size, 1024);
	ck_assert(!got.async_readers);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_create_destroy_defaults)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	struct vnetif_switch_stats st;
	struct rte_mempool *mp;

	vnetif_switch_config_init(&cfg); /* the real defaults, own pool of 16383 */
	sw = vt_switch(&cfg);
	mp = vnetif_switch_pool(sw);
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->size, 16383);
	st = vt_sw_stats(sw);
	ck_assert_uint_eq(st.ports, 0);
	ck_assert_uint_eq(st.fdb_entries, 0);
	ck_assert_uint_eq(st.drops, 0);
	ck_assert_uint_eq(st.pool_in_use, 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_create_destroy_repeated)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.name = "again";
	for (int i = 0; i < 20; i++) {
		vnetif_switch *sw = vt_switch(&cfg);
		vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
		uint8_t mb[6];

		vt_send(a, vt_mac(b, mb), 60, (uint32_t)i);
		ck_assert_uint_eq(vt_drain(b), 1);
		vt_teardown(sw);
	}
}
END_TEST

START_TEST(test_config_ring_size_range)
{
	struct vnetif_switch_config cfg;
	static const unsigned bad[] = {0, 1, 32, 63, 100, 1000, 65535, 131072};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vt_config(&cfg);
		cfg.ring_size = bad[i];
		expect_create_fails(&cfg, -EINVAL);
	}
	vt_config(&cfg);
	cfg.ring_size = 64;
	expect_create_ok(&cfg);
	cfg.ring_size = 65536;
	expect_create_ok(&cfg);
}
END_TEST

START_TEST(test_config_max_ports_range)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.max_ports = 0;
	expect_create_fails(&cfg, -EINVAL);
	cfg.max_ports = 1;
	expect_create_fails(&cfg, -EINVAL);
	cfg.max_ports = VNETIF_MAX_PORTS + 1;
	expect_create_fails(&cfg, -EINVAL);
	cfg.max_ports = 2;
	expect_create_ok(&cfg);
	cfg.max_ports = VNETIF_MAX_PORTS;
	expect_create_ok(&cfg);
}
END_TEST

START_TEST(test_config_fdb_and_mtu_range)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.fdb_size = 63;
	expect_create_fails(&cfg, -EINVAL);
	cfg.fdb_size = 0;
	expect_create_fails(&cfg, -EINVAL);
	cfg.fdb_size = 64;
	expect_create_ok(&cfg);

	vt_config(&cfg);
	cfg.default_mtu = VNETIF_MTU_MIN - 1;
	expect_create_fails(&cfg, -EINVAL);
	cfg.default_mtu = VNETIF_MTU_MAX + 1;
	expect_create_fails(&cfg, -EINVAL);
	cfg.default_mtu = VNETIF_MTU_MIN;
	expect_create_ok(&cfg);
	cfg.default_mtu = VNETIF_MTU_MAX;
	expect_create_ok(&cfg);
}
END_TEST

START_TEST(test_config_enums_invalid)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.fwd_mode = (enum vnetif_fwd_mode)2;
	expect_create_fails(&cfg, -EINVAL);
	vt_config(&cfg);
	cfg.full_policy = (enum vnetif_full_policy)2;
	expect_create_fails(&cfg, -EINVAL);
	vt_config(&cfg);
	cfg.fwd_mode = VNETIF_FWD_HUB;
	cfg.full_policy = VNETIF_FULL_BACKPRESSURE;
	expect_create_ok(&cfg);
}
END_TEST

START_TEST(test_config_name_validation)
{
	struct vnetif_switch_config cfg;
	static const char *const bad[] = {"abcdefghijklm", "has space", "dot.ted", "sl/ash",
					  "per%cent", "tab\there", "ümlaut"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vt_config(&cfg);
		cfg.name = bad[i];
		expect_create_fails(&cfg, -EINVAL);
	}
	vt_config(&cfg);
	cfg.name = "Az09_-Az09_-"; /* 12 characters, every class */
	expect_create_ok(&cfg);
	cfg.name = "x";
	expect_create_ok(&cfg);
}
END_TEST

START_TEST(test_named_duplicate_eexist)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *a, *b;

	vt_config(&cfg);
	cfg.name = "twin";
	a = vt_switch(&cfg);
	expect_create_fails(&cfg, -EEXIST);
	/* the failed create changed nothing: the first still works */
	{
		vnetif_port *p = vt_connect(a), *q = vt_connect(a);
		uint8_t mq[6];

		vt_send(p, vt_mac(q, mq), 64, 1);
		ck_assert_uint_eq(vt_drain(q), 1);
	}
	/* another name is fine, and the name is free again after destroy */
	cfg.name = "twin2";
	b = vt_switch(&cfg);
	vt_teardown(a);
	cfg.name = "twin";
	a = vt_switch(&cfg);
	vt_teardown(a);
	vt_teardown(b);
}
END_TEST

START_TEST(test_auto_names_distinct)
{
	vnetif_switch *sw[4];

	for (int i = 0; i < 4; i++)
		sw[i] = vt_switch(NULL);
	for (int i = 0; i < 4; i++)
		vt_teardown(sw[i]);
}
END_TEST

/*
 * Two switches with the same port MACs (the deterministic ones): traffic, learning and
 * counters of one are never seen on the other.
 */
START_TEST(test_switches_isolated)
{
	struct vt_rig r1 = vt_rig_up(NULL, "---"), r2 = vt_rig_up(NULL, "---");
	vnetif_switch *s1 = r1.sw, *s2 = r2.sw;
	vnetif_port *a1 = r1.port[0], *b1 = r1.port[1], *c1 = r1.port[2];
	vnetif_port *a2 = r2.port[0], *b2 = r2.port[1], *c2 = r2.port[2];
	uint8_t ma1[6], ma2[6], mb1[6];
	struct vnetif_switch_stats before = vt_sw_stats(s2), after;

	vt_mac(a1, ma1);
	vt_mac(a2, ma2);
	ck_assert(vt_mac_eq(ma1, ma2)); /* same deterministic MACs on both */
	ck_assert_ptr_eq(vnetif_port_switch(a1), s1);
	ck_assert_ptr_eq(vnetif_port_switch(a2), s2);
	ck_assert_ptr_ne(vnetif_switch_pool(s1), vnetif_switch_pool(s2));

	/* broadcast, unknown unicast and learning of a foreign source on s1 */
	vt_send(a1, VT_BCAST, 60, 1);
	ck_assert_int_eq(vt_write(a1, VT_BCAST, VT_FOREIGN(1), 60, 2), 0);
	vt_send(b1, VT_FOREIGN(9), 60, 3);
	vt_send(b1, VT_FOREIGN(1), 60, 4); /* learned on a1: only a1 */
	vt_send(c1, vt_mac(b1, mb1), 60, 5);

	ck_assert_uint_eq(vt_drain(a1), 2); /* unknown unicast from b1, unicast to FOREIGN(1) */
	ck_assert_uint_eq(vt_drain(b1), 3);
	ck_assert_uint_eq(vt_drain(c1), 3);
	ck_assert_uint_eq(vt_drain(a2), 0);
	ck_assert_uint_eq(vt_drain(b2), 0);
	ck_assert_uint_eq(vt_drain(c2), 0);
	ck_assert_uint_eq(vt_stats(a2).rx_packets, 0);
	ck_assert_uint_eq(vt_stats(b2).tx_packets, 0);
	after = vt_sw_stats(s2);
	ck_assert_uint_eq(after.ports, 3);
	ck_assert_uint_eq(after.fdb_entries, before.fdb_entries);
	ck_assert_uint_eq(after.fdb_learned, before.fdb_learned);
	ck_assert_uint_eq(after.fdb_moved, 0);
	ck_assert_uint_eq(after.drops, 0);
	ck_assert_uint_eq(after.pool_in_use, 0);

	/* FOREIGN(1) is unknown on s2: a frame to it floods there */
	vt_send(b2, VT_FOREIGN(1), 60, 6);
	ck_assert_uint_eq(vt_drain(a2), 1);
	ck_assert_uint_eq(vt_drain(c2), 1);
	ck_assert_uint_eq(vt_stats(b2).tx_flooded, 1);
	ck_assert_uint_eq(vt_drain(a1) + vt_drain(b1) + vt_drain(c1), 0);

	vt_rig_down(&r1);
	vt_rig_down(&r2);
}
END_TEST

START_TEST(test_switch_stats_ports_and_drops)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0];
	uint8_t big[1600];

	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	vt_fill(big, sizeof(big), VT_BCAST, r.mac[0], 1);
	ck_assert_int_eq(vnetif_write(a, big, 1515), -EMSGSIZE);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 1);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 1);
	/* drops of ports no longer connected still count */
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 1);
	ck_assert_uint_eq(vt_stats(a).tx_drop_oversize, 1);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_caller_pool)
{
	struct rte_mempool *mp = vt_pool_create(511, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];
	struct rte_mbuf *held;

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	ck_assert_ptr_eq(vnetif_switch_pool(sw), mp);
	a = vt_connect(sw);
	b = vt_connect(sw);
	for (uint32_t i = 0; i < 10; i++)
		vt_send(a, vt_mac(b, mb), 100, i);
	/* the frames on b's ring came from the caller's pool */
	ck_assert_uint_eq(rte_mempool_avail_count(mp), mp->size - 10);
	ck_assert_uint_eq(vt_drain(b), 10);
	vt_pool_full(mp);

	/* the caller may hold mbufs of its own pool: destroy still succeeds */
	held = rte_pktmbuf_alloc(mp);
	ck_assert_ptr_nonnull(held);
	ck_assert_int_eq(vnetif_switch_destroy(sw), 0);
	vt_forget(sw);
	rte_pktmbuf_free(held);
	/* the pool survives the switch, full and usable */
	vt_pool_full(mp);
	held = rte_pktmbuf_alloc(mp);
	ck_assert_ptr_nonnull(held);
	rte_pktmbuf_free(held);
	rte_mempool_free(mp);
}
END_TEST

START_TEST(test_caller_pool_with_cache)
{
	struct rte_mempool *mp = vt_pool_create(1023, 32, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	for (uint32_t i = 0; i < 100; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_uint_eq(rte_mempool_avail_count(mp), mp->size - 100);
	ck_assert_uint_eq(vt_drain(b), 100);
	vt_teardown(sw);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

/*
 * pool_in_use counts "mbufs of the switch's pool", and vnetif_switch_pool() calls the
 * caller's pool the switch's pool: it counts for a caller-owned pool too.
 */
START_TEST(test_pool_in_use_caller_pool)
{
	struct rte_mempool *mp = vt_pool_create(511, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	for (uint32_t i = 0; i < 10; i++)
		vt_send(a, vt_mac(b, mb), 100, i);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 10);
	ck_assert_uint_eq(vt_drain(b), 10);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 0);
	vt_teardown(sw);
	rte_mempool_free(mp);
}
END_TEST

START_TEST(test_pool_in_use_own_pool)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct rte_mbuf *m;

	for (uint32_t i = 0; i < 10; i++)
		vt_send(a, r.mac[1], 100, i);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 10);
	m = rte_pktmbuf_alloc(vnetif_switch_pool(sw));
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 11);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(vt_drain(b), 10);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 0);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_caller_pool_without_room)
{
	struct rte_mempool *mp = vt_pool_create(63, 0, 0);
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.pool = mp;
	expect_create_fails(&cfg, -EINVAL);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

/* Destroy frees frames left on rings (seen in a caller-owned pool afterwards). */
START_TEST(test_destroy_frees_ring_frames)
{
	struct rte_mempool *mp = vt_pool_create(511, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	c = vt_connect(sw);
	for (uint32_t i = 0; i < 20; i++)
		vt_send(a, VT_BCAST, 60 + i, i);
	vt_send(b, VT_BCAST, 60, 99);
	(void)c;
	ck_assert_uint_eq(rte_mempool_avail_count(mp), mp->size - 21);
	ck_assert_int_eq(vnetif_switch_destroy(sw), 0);
	vt_forget(sw);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

static void count_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

START_TEST(test_destroy_with_readers_running)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *p[4];
	atomic_uint got = 0;
	uint8_t m1[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	for (int i = 0; i < 4; i++) {
		p[i] = vt_connect(sw);
		ck_assert_int_eq(vnetif_listen(p[i], count_listener, &got), 0);
		ck_assert_int_eq(vnetif_reader_start(p[i]), 0);
	}
	for (uint32_t i = 0; i < 50; i++)
		vt_send(p[0], vt_mac(p[1], m1), 60, i);
	ck_assert(VT_WAIT(atomic_load(&got) == 50));
	ck_assert_int_eq(vnetif_switch_destroy(sw), 0);
	vt_forget(sw);
}
END_TEST

struct stuck {
	vnetif_port *from;
	uint8_t to[6];
	struct vt_gate gate;
	int rc;
};

static void stuck_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct stuck *s = arg;

	(void)port;
	(void)frame;
	(void)len;
	vt_gate_pass(&s->gate);
}

static void *stuck_writer(void *arg)
{
	struct stuck *s = arg;
	uint8_t src[6];

	vnetif_mac(s->from, src);
	s->rc = vt_write(s->from, s->to, src, 60, 1);
	return NULL;
}

/*
 * A thread inside a listener: destroy gives -ETIMEDOUT and changes nothing (ports stay
 * connected and usable), never hangs; called again once the thread is out, it finishes. The frame the listener is
 * reading belongs to the datapath, not to the application: no -EBUSY for it.
 */
static void destroy_timeout_when_listener_stuck(struct rte_mempool *pool)
{
	struct vnetif_switch_config cfg;
	static struct stuck s;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	pthread_t t;
	bool entered;
	int rc, wrc;
	unsigned ports;

	memset(&s, 0, sizeof(s));
	vt_config(&cfg);
	cfg.grace_timeout_ms = 200;
	cfg.pool = pool;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, stuck_listener, &s), 0);
	s.from = a;
	vt_mac(b, s.to);
	ck_assert_int_eq(pthread_create(&t, NULL, stuck_writer, &s), 0);
	entered = VT_WAIT(atomic_load(&s.gate.entered) == 1);
	rc = vnetif_switch_destroy(sw);
	ports = vt_sw_stats(sw).ports;
	wrc = vnetif_write(a, (uint8_t[60]){0}, 60);
	atomic_store(&s.gate.open, 1); /* release the thread before asserting anything */
	pthread_join(t, NULL);
	ck_assert(entered);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_uint_eq(ports, 2);
	ck_assert_int_eq(wrc, 0);
	ck_assert_int_eq(s.rc, 0);
	ck_assert_int_eq(vnetif_switch_destroy(sw), 0);
	vt_forget(sw);
}

START_TEST(test_destroy_timeout_when_listener_stuck)
{
	struct rte_mempool *mp = vt_pool_create(255, 0, RTE_MBUF_DEFAULT_BUF_SIZE);

	destroy_timeout_when_listener_stuck(mp);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

START_TEST(test_destroy_timeout_when_listener_stuck_own_pool)
{
	destroy_timeout_when_listener_stuck(NULL);
}
END_TEST

START_TEST(test_destroy_busy_own_pool)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	struct rte_mbuf *held = rte_pktmbuf_alloc(vnetif_switch_pool(sw));
	uint8_t mb[6];

	ck_assert_ptr_nonnull(held);
	ck_assert_int_eq(vnetif_switch_destroy(sw), -EBUSY);
	/* nothing changed: ports and traffic still work */
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	vt_send(a, vt_mac(b, mb), 60, 1);
	ck_assert_uint_eq(vt_drain(b), 1);
	/* mbufs received and still held count too */
	vt_send(a, mb, 60, 2);
	{
		struct rte_mbuf *m = vt_recv_one(b);

		ck_assert_int_eq(vnetif_switch_destroy(sw), -EBUSY);
		rte_pktmbuf_free(m);
	}
	rte_pktmbuf_free(held);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_eal_init_when_running)
{
	char *argv[] = {"x", "--definitely-not-an-eal-option", NULL};

	vt_eal_up();
	ck_assert_int_eq(vnetif_eal_init(2, argv), 0);
	/* and switches still work afterwards */
	vt_eal_up();
}
END_TEST

Suite *switch_suite(void)
{
	Suite *s = suite_create("switch");
	TCase *tc = vt_tcase("config");

	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_ring_size_range);
	tcase_add_test(tc, test_config_max_ports_range);
	tcase_add_test(tc, test_config_fdb_and_mtu_range);
	tcase_add_test(tc, test_config_enums_invalid);
	tcase_add_test(tc, test_config_name_validation);
	tcase_add_test(tc, test_config_get);
	suite_add_tcase(s, tc);

	tc = vt_tcase("lifecycle");
	tcase_add_test(tc, test_create_destroy_defaults);
	tcase_add_test(tc, test_create_destroy_repeated);
	tcase_add_test(tc, test_named_duplicate_eexist);
	tcase_add_test(tc, test_auto_names_distinct);
	tcase_add_test(tc, test_switches_isolated);
	tcase_add_test(tc, test_switch_stats_ports_and_drops);
	tcase_add_test(tc, test_destroy_frees_ring_frames);
	tcase_add_test(tc, test_destroy_with_readers_running);
	tcase_add_test(tc, test_destroy_busy_own_pool);
	tcase_add_test(tc, test_destroy_timeout_when_listener_stuck);
	tcase_add_test(tc, test_destroy_timeout_when_listener_stuck_own_pool);
	tcase_add_test(tc, test_eal_init_when_running);
	suite_add_tcase(s, tc);

	tc = vt_tcase("pool");
	tcase_add_test(tc, test_caller_pool);
	tcase_add_test(tc, test_caller_pool_with_cache);
	tcase_add_test(tc, test_caller_pool_without_room);
	tcase_add_test(tc, test_pool_in_use_own_pool);
	tcase_add_test(tc, test_pool_in_use_caller_pool);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(switch_suite());
}
