/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pools: every documented pool_size works in both pool orders, and each order hands out
 * the buffer it promises; a caller pool's data room is checked at create and any
 * accepted room carries every frame size (chains); writev's empty buffers.
 */
#include "vnetif_test.h"

Suite *pool_suite(void);

/* Every mbuf of a switch's own pool of @size (in @order) can carry a frame. */
static void own_pool_usable(unsigned size, enum vnetif_pool_order order)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];
	unsigned sent = 0;
	int rc;

	vt_config(&cfg);
	cfg.pool_size = size;
	cfg.pool_order = order;
	cfg.ring_size = 65536;
	rc = vnetif_switch_create(&cfg, &sw);
	ck_assert_msg(rc == 0, "pool_size %u: create %d (%s)", size, rc, vnetif_strerror(rc));
	vt_register(sw);
	ck_assert_uint_eq(vnetif_switch_pool(sw)->size, size);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	while ((rc = vt_write(a, mb, vt_mac(a, (uint8_t[6]){0}), 60, sent)) == 0)
		sent++;
	ck_assert_int_eq(rc, -ENOBUFS);
	ck_assert_uint_eq(sent, size); /* no mbuf out of reach (e.g. in a per-lcore cache) */
	ck_assert_uint_eq(vt_drain(b), size);
	ck_assert_uint_eq(vt_stats(a).tx_drop_pool_empty, 1);
	vt_teardown(sw);
}

START_TEST(test_pool_size_range)
{
	static const unsigned sizes[] = {64, 65, 100, 255, 256, 383, 384, 385, 511, 1000, 4095};

	for (unsigned i = 0; i < RTE_DIM(sizes); i++) {
		own_pool_usable(sizes[i], VNETIF_POOL_LIFO);
		own_pool_usable(sizes[i], VNETIF_POOL_FIFO);
	}
}
END_TEST

/*
 * pool_order: which mbuf a thread without an mbuf cache gets next. Frames written on
 * one port are received on the other and freed, one at a time, from a thread EAL does
 * not know (no lcore id, so no per-lcore cache in between): LIFO hands the buffer just
 * freed out again, FIFO the least recently freed one.
 */
struct order_run {
	vnetif_switch *sw;
	unsigned same; /* frames written into the buffer the frame before was received in */
	bool cached;   /* the thread had an lcore id after all */
};

static void *order_thread(void *arg)
{
	struct order_run *o = arg;
	vnetif_port *a = vt_connect(o->sw), *b = vt_connect(o->sw);
	uint8_t ma[6], mb[6];
	struct rte_mbuf *last = NULL;

	o->cached = rte_lcore_id() != LCORE_ID_ANY;
	vt_mac(a, ma);
	vt_mac(b, mb);
	for (unsigned i = 0; i < 100; i++) {
		struct rte_mbuf *m;

		ck_assert_int_eq(vt_write(a, mb, ma, 60, i), 0);
		m = vt_recv_one(b);
		o->same += m == last;
		last = m;
		rte_pktmbuf_free(m);
	}
	vnetif_disconnect(a, 0);
	vnetif_disconnect(b, 0);
	return NULL;
}

static unsigned reused_buffers(enum vnetif_pool_order order)
{
	struct vnetif_switch_config cfg;
	struct order_run o = {0};
	pthread_t t;

	vt_config(&cfg);
	cfg.pool_order = order;
	o.sw = vt_switch(&cfg);
	/* vnetif.h: the driver's name says which order the pool got */
	ck_assert_str_eq(vt_pool_driver(o.sw),
			 order == VNETIF_POOL_LIFO ? "lf_stack" : "ring_mt_hts");
	ck_assert_int_eq(pthread_create(&t, NULL, order_thread, &o), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(!o.cached, "the test thread has an lcore id: its cache hides the order");
	vt_teardown(o.sw);
	return o.same;
}

START_TEST(test_pool_order)
{
	unsigned lifo = reused_buffers(VNETIF_POOL_LIFO), fifo = reused_buffers(VNETIF_POOL_FIFO);

	/* the first frame has no predecessor; every later one reuses its buffer */
	ck_assert_uint_eq(lifo, 99);
	/* a 4095-mbuf ring: a freed buffer comes back after the 4094 others */
	ck_assert_uint_eq(fifo, 0);
}
END_TEST

START_TEST(test_pool_order_out_of_range)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw = NULL;

	vt_config(&cfg);
	cfg.pool_order = (enum vnetif_pool_order)2;
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EINVAL);
	cfg.pool_order = (enum vnetif_pool_order)-1;
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EINVAL);
	ck_assert_ptr_null(sw);
	vnetif_switch_config_init(&cfg);
	ck_assert_int_eq(cfg.pool_order, VNETIF_POOL_LIFO);
}
END_TEST

START_TEST(test_pool_size_out_of_range)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw = NULL;

	vt_config(&cfg);
	cfg.pool_size = VNETIF_POOL_SIZE_MIN - 1;
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EINVAL);
	cfg.pool_size = VNETIF_POOL_SIZE_MAX + 1;
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EINVAL);
	ck_assert_ptr_null(sw);
}
END_TEST

/* A caller pool whose mbufs hold fewer than VNETIF_POOL_ROOM_MIN bytes is refused. */
START_TEST(test_caller_pool_room_too_small)
{
	static const uint16_t rooms[] = {1, 13, 14, VNETIF_POOL_ROOM_MIN - 1};

	for (unsigned i = 0; i < RTE_DIM(rooms); i++) {
		struct rte_mempool *mp = vt_pool_create(63, 0, RTE_PKTMBUF_HEADROOM + rooms[i]);
		struct vnetif_switch_config cfg;
		vnetif_switch *sw = NULL;

		vt_config(&cfg);
		cfg.pool = mp;
		ck_assert_msg(vnetif_switch_create(&cfg, &sw) == -EINVAL, "room %u accepted",
			      rooms[i]);
		ck_assert_ptr_null(sw);
		vt_pool_full(mp);
		rte_mempool_free(mp);
	}
}
END_TEST

/* Any accepted room: every length from 14 to MTU_MAX + 14 arrives whole. */
START_TEST(test_caller_pool_small_rooms_carry_every_size)
{
	static const uint16_t rooms[] = {VNETIF_POOL_ROOM_MIN, VNETIF_POOL_ROOM_MIN + 1, 100, 1000};
	static const unsigned lens[] = {14, 15, 60, 63, 64, 65, 127, 128, 1514, 1515,
					4000, VT_FRAME_MAX - 1, VT_FRAME_MAX};

	for (unsigned r = 0; r < RTE_DIM(rooms); r++) {
		struct rte_mempool *mp = vt_pool_create(1023, 0, RTE_PKTMBUF_HEADROOM + rooms[r]);
		struct vnetif_switch_config cfg;
		struct vnetif_port_config pc = {.mtu = VNETIF_MTU_MAX};
		vnetif_switch *sw;
		vnetif_port *a, *b;
		uint8_t ma[6], mb[6];
		static uint8_t buf[VT_FRAME_MAX];

		vt_config(&cfg);
		cfg.pool = mp;
		sw = vt_switch(&cfg);
		ck_assert_int_eq(vnetif_connect(sw, &pc, &a), 0);
		ck_assert_int_eq(vnetif_connect(sw, &pc, &b), 0);
		vt_mac(a, ma);
		vt_mac(b, mb);
		for (unsigned i = 0; i < RTE_DIM(lens); i++) {
			int rc = vt_write(a, mb, ma, lens[i], i);
			struct rte_mbuf *m;

			ck_assert_msg(rc == 0, "room %u len %u: write %d", rooms[r], lens[i], rc);
			m = vt_recv_one(b);
			ck_assert_uint_eq(vt_mbuf_read(m, buf, sizeof(buf)), lens[i]);
			ck_assert_msg(vt_frame_ok(buf, lens[i], mb, ma, i), "room %u len %u: content",
				      rooms[r], lens[i]);
			rte_pktmbuf_free(m);
		}
		{
			struct vnetif_stats sa = vt_stats(a);

			ck_assert_uint_eq(vt_drops(&sa), 0);
		}
		ck_assert_uint_eq(vt_stats(a).tx_drop_runt, 0);
		ck_assert_uint_eq(vt_stats(a).tx_drop_oversize, 0);
		ck_assert_uint_eq(vt_stats(a).tx_packets, RTE_DIM(lens));
		ck_assert_uint_eq(vt_stats(b).rx_packets, RTE_DIM(lens));
		vt_teardown(sw);
		vt_pool_full(mp);
		rte_mempool_free(mp);
	}
}
END_TEST

/* Empty buffers ({NULL, 0}) anywhere in a writev are accepted and contribute nothing. */
START_TEST(test_writev_empty_buffers)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t ma[6], mb[6], f[100], got[100];
	struct iovec iov[5];
	struct rte_mbuf *m;

	vt_mac(a, ma);
	vt_mac(b, mb);
	vt_fill(f, sizeof(f), mb, ma, 7);
	iov[0] = (struct iovec){NULL, 0};
	iov[1] = (struct iovec){f, 40};
	iov[2] = (struct iovec){NULL, 0};
	iov[3] = (struct iovec){f + 40, 60};
	iov[4] = (struct iovec){NULL, 0};
	ck_assert_int_eq(vnetif_writev(a, iov, 5), 0);
	m = vt_recv_one(b);
	ck_assert_uint_eq(vt_mbuf_read(m, got, sizeof(got)), sizeof(f));
	ck_assert(vt_frame_ok(got, sizeof(got), mb, ma, 7));
	rte_pktmbuf_free(m);
	vt_teardown(sw);
}
END_TEST

Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = vt_tcase("pool");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pool_size_range);
	tcase_add_test(tc, test_pool_size_out_of_range);
	tcase_add_test(tc, test_pool_order);
	tcase_add_test(tc, test_pool_order_out_of_range);
	tcase_add_test(tc, test_caller_pool_room_too_small);
	tcase_add_test(tc, test_caller_pool_small_rooms_carry_every_size);
	tcase_add_test(tc, test_writev_empty_buffers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(pool_suite());
}
