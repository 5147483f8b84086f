/* SPDX-License-Identifier: BSD-3-Clause */
/* The in-process ethdev view (vnetif_ethdev_view_create()): the test is the DPDK
 * application on the view's port id, a plain port ("peer") is the other end. Frames both
 * ways byte-exact with exact counters in sync and async switches, bursts bigger than a
 * ring, a full receive queue, no poller (frames cross inside the application's calls),
 * detach under traffic; every mbuf back in its pool. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>

#include "ethdev_test.h"

Suite *ethdev_view_suite(void);

#define VIEW_SRC VT_FOREIGN(5) /* the MAC of the host behind the view */

/* A switch in sync (@async false) or async delivery mode with @ring_size rings. */
static vnetif_switch *view_switch(bool async, unsigned ring_size)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.async_readers = async;
	cfg.ring_size = ring_size;
	return vt_switch(&cfg);
}

/* Create the view @name with @cfg and configure and start it as an application would
 * (descriptor counts smaller than the bursts: they mean nothing to the view). */
static vnetif_ethdev *view_up(vnetif_switch *sw, const char *name,
			      const struct vnetif_ethdev_config *cfg, uint16_t *vp)
{
	vnetif_ethdev *e = NULL;
	struct rte_eth_conf conf;
	int rc = vnetif_ethdev_view_create(sw, name, cfg, &e);

	ck_assert_msg(rc == 0, "view_create: %d: %s", rc, vnetif_ethdev_last_error());
	rc = vnetif_ethdev_view_port_id(e);
	ck_assert_int_ge(rc, 0);
	*vp = (uint16_t)rc;
	memset(&conf, 0, sizeof(conf));
	ck_assert_int_eq(rte_eth_dev_configure(*vp, 1, 1, &conf), 0);
	ck_assert_int_eq(rte_eth_rx_queue_setup(*vp, 0, 64, SOCKET_ID_ANY, NULL,
						vnetif_switch_pool(sw)), 0);
	ck_assert_int_eq(rte_eth_tx_queue_setup(*vp, 0, 64, SOCKET_ID_ANY, NULL), 0);
	ck_assert_int_eq(rte_eth_dev_start(*vp), 0);
	return e;
}

/* Length of test frame @i: 60..1514 bytes. */
static uint16_t frame_len(unsigned i)
{
	return (uint16_t)(60 + (i * 97u) % (1514 - 60 + 1));
}

/* Send @n frames from the application in one array, calling rte_eth_tx_burst() until
 * it took them all; returns the number of calls. */
static unsigned app_send(struct rte_mempool *mp, uint16_t vp, const uint8_t *dst, unsigned n)
{
	struct rte_mbuf **pkts = calloc(n, sizeof(*pkts));
	unsigned sent = 0, calls = 0;

	ck_assert_ptr_nonnull(pkts);
	for (unsigned i = 0; i < n; i++)
		pkts[i] = vt_mbuf(mp, dst, VIEW_SRC, frame_len(i), i);
	while (sent < n) {
		uint16_t k = rte_eth_tx_burst(vp, 0, pkts + sent, (uint16_t)RTE_MIN(n - sent, 65535u));

		ck_assert_uint_gt(k, 0); /* the view takes frames as long as it is given some */
		for (unsigned i = sent; i < sent + k; i++)
			ck_assert_ptr_null(pkts[i]); /* taken: the slot is no longer the app's */
		sent += k;
		calls++;
	}
	free(pkts);
	return calls;
}

/* Application -> peer and peer -> application, @n frames each, byte for byte. */
static void both_ways(bool async)
{
	const unsigned n = 3000; /* more than the view takes per call, and than 2 rings */
	vnetif_switch *sw = view_switch(async, 4096);
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	vnetif_port *peer = vt_connect(sw);
	uint16_t vp;
	vnetif_ethdev *e = view_up(sw, "vw_both", NULL, &vp);
	struct rte_mbuf *pkts[512];
	uint8_t buf[VT_FRAME_MAX], pmac[6];
	unsigned got = 0;

	/* application -> switch: 1024 frames per call at most */
	ck_assert_uint_eq(app_send(mp, vp, VT_BCAST, n), (n + 1023) / 1024);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m;

		ck_assert_int_eq(vnetif_rx_burst(peer, &m, 1), 1);
		ck_assert_msg(vt_frame_ok(buf, vt_mbuf_read(m, buf, sizeof(buf)), VT_BCAST,
					  VIEW_SRC, i), "frame %u to the peer", i);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), frame_len(i));
		rte_pktmbuf_free(m);
	}
	ck_assert_int_eq(vnetif_rx_burst(peer, pkts, 1), 0);

	/* switch -> application, to the MAC the switch learned on the view's port */
	vt_mac(peer, pmac);
	for (unsigned i = 0; i < n; i++)
		vt_send(peer, VIEW_SRC, frame_len(i), i);
	while (got < n) {
		uint16_t k = rte_eth_rx_burst(vp, 0, pkts, RTE_DIM(pkts));

		ck_assert_uint_gt(k, 0); /* all are there already: no poller to wait for */
		for (uint16_t j = 0; j < k; j++) {
			ck_assert_msg(vt_frame_ok(buf, vt_mbuf_read(pkts[j], buf, sizeof(buf)),
						  VIEW_SRC, pmac, got + j), "frame %u to the app", got + j);
			ck_assert_uint_eq(rte_pktmbuf_pkt_len(pkts[j]), frame_len(got + j));
		}
		rte_pktmbuf_free_bulk(pkts, k);
		got += k;
	}
	ck_assert_uint_eq(rte_eth_rx_burst(vp, 0, pkts, RTE_DIM(pkts)), 0);

	struct vnetif_ethdev_stats st = et_stats(e);
	struct vnetif_stats ps = vt_stats(vnetif_ethdev_port(e)), peers = vt_stats(peer);
	struct rte_eth_stats ds;

	ck_assert_uint_eq(st.to_switch, n);
	ck_assert_uint_eq(st.from_switch, n);
	ck_assert_uint_eq(st.dev_opackets, n);
	ck_assert_uint_eq(st.dev_ipackets, n);
	ck_assert_uint_eq(st.dev_imissed, 0);
	ck_assert_uint_eq(st.tx_drop_dev_full + st.rx_drop_no_port, 0);
	ck_assert_uint_eq(ps.tx_packets, n);
	ck_assert_uint_eq(ps.tx_flooded, n);
	ck_assert_uint_eq(ps.rx_packets, n);
	ck_assert_uint_eq(vt_drops(&ps), 0);
	ck_assert_uint_eq(peers.rx_packets, n);
	ck_assert_uint_eq(peers.tx_packets, n);
	ck_assert_uint_eq(peers.tx_flooded, 0); /* the view's source MAC was learned */
	ck_assert_uint_eq(vt_drops(&peers), 0);
	ck_assert_int_eq(rte_eth_stats_get(vp, &ds), 0);
	ck_assert_uint_eq(ds.opackets, n);

	ck_assert_int_eq(rte_eth_dev_stop(vp), 0);
	et_detach(e);
	ck_assert(!rte_eth_dev_is_valid_port(vp));
	ck_assert_int_eq(vnetif_disconnect(peer, 0), 0);
	vt_teardown(sw);
}

START_TEST(test_view_both_ways_sync)
{
	both_ways(false);
}
END_TEST

START_TEST(test_view_both_ways_async)
{
	both_ways(true);
}
END_TEST

static unsigned thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct seen {
	pthread_t thread;
	unsigned frames;
};

static void seen_listener(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct seen *s = arg;

	(void)port;
	s->thread = pthread_self();
	s->frames += n;
	rte_pktmbuf_free_bulk(pkts, n);
}

/*
 * No hop and no poller: a frame given to rte_eth_tx_burst() of the view is on the
 * peer's ring (or, in a sync switch, has been through the peer's listener, in the
 * application's thread) when the call returns, and a frame written to the view is
 * returned by the next rte_eth_rx_burst(). The view is created asking for
 * VNETIF_ETHDEV_APP_POLL and vnetif_ethdev_poll() is never called: a design that needs a
 * poller moves nothing here. No thread is started either.
 */
START_TEST(test_view_no_poller)
{
	for (int async = 0; async < 2; async++) {
		vnetif_switch *sw = view_switch(async, 1024);
		struct rte_mempool *mp = vnetif_switch_pool(sw);
		vnetif_port *peer = vt_connect(sw), *lpeer = vt_connect(sw);
		struct vnetif_ethdev_config cfg;
		struct seen seen = {.frames = 0};
		struct rte_mbuf *m, *pkts[4];
		uint8_t buf[200], pmac[6];
		unsigned threads = thread_count();
		uint16_t vp;

		vnetif_ethdev_config_init(&cfg);
		cfg.poll_mode = VNETIF_ETHDEV_APP_POLL;
		vnetif_ethdev *e = view_up(sw, "vw_nopoll", &cfg, &vp);
		ck_assert_uint_eq(thread_count(), threads);
		ck_assert_int_eq(vnetif_ethdev_poll(e, 64), 0);
		ck_assert_int_eq(vnetif_listen_mbuf(lpeer, seen_listener, &seen), 0);

		for (uint32_t i = 0; i < 100; i++) {
			m = vt_mbuf(mp, VT_BCAST, VIEW_SRC, 100, i);
			ck_assert_uint_eq(rte_eth_tx_burst(vp, 0, &m, 1), 1);
			/* on the peer's ring now */
			ck_assert_int_eq(vnetif_rx_burst(peer, pkts, 4), 1);
			ck_assert(vt_frame_ok(buf, vt_mbuf_read(pkts[0], buf, sizeof(buf)), VT_BCAST,
					      VIEW_SRC, i));
			rte_pktmbuf_free(pkts[0]);
			if (!async) { /* through the listener, in this thread */
				ck_assert_uint_eq(seen.frames, i + 1);
				ck_assert(pthread_equal(seen.thread, pthread_self()));
			}
			/* and back: the next rx burst has it */
			vt_send(peer, VIEW_SRC, 120, i);
			ck_assert_uint_eq(rte_eth_rx_burst(vp, 0, pkts, 4), 1);
			ck_assert(vt_frame_ok(buf, vt_mbuf_read(pkts[0], buf, sizeof(buf)), VIEW_SRC,
					      vt_mac(peer, pmac), i));
			rte_pktmbuf_free(pkts[0]);
		}
		if (async) { /* the listener's frames wait on its ring until it is polled */
			ck_assert_int_eq(vnetif_poll(lpeer, 1000), 100);
			ck_assert_uint_eq(seen.frames, 100);
		}
		ck_assert_uint_eq(et_stats(e).to_switch, 100);
		ck_assert_uint_eq(et_stats(e).from_switch, 100);
		ck_assert_uint_eq(thread_count(), threads);
		et_detach(e);
		ck_assert_int_eq(vnetif_disconnect(peer, 0), 0);
		ck_assert_int_eq(vnetif_disconnect(lpeer, 0), 0);
		vt_teardown(sw);
	}
}
END_TEST

/* The view's receive queue is the port's ring: frames that find it full are dropped and
 * counted, exactly; the application gets the others. */
START_TEST(test_view_rx_full)
{
	for (int async = 0; async < 2; async++) {
		const unsigned ring = 64, n = 100;
		vnetif_switch *sw = view_switch(async, ring);
		vnetif_port *peer = vt_connect(sw);
		struct rte_mbuf *pkts[32];
		uint8_t buf[200], pmac[6];
		unsigned got = 0;
		uint16_t vp, k;
		vnetif_ethdev *e = view_up(sw, "vw_full", NULL, &vp);
		uint8_t vmac[6];

		vt_mac(vnetif_ethdev_port(e), vmac);
		for (unsigned i = 0; i < n; i++)
			vt_send(peer, vmac, 100, i);
		while ((k = rte_eth_rx_burst(vp, 0, pkts, RTE_DIM(pkts))) > 0) {
			for (uint16_t j = 0; j < k; j++)
				ck_assert(vt_frame_ok(buf, vt_mbuf_read(pkts[j], buf, sizeof(buf)),
						      vmac, vt_mac(peer, pmac), got + j));
			rte_pktmbuf_free_bulk(pkts, k);
			got += k;
		}
		ck_assert_uint_eq(got, ring);
		struct vnetif_stats ps = vt_stats(vnetif_ethdev_port(e));
		struct vnetif_ethdev_stats st = et_stats(e);

		ck_assert_uint_eq(ps.rx_packets, ring);
		ck_assert_uint_eq(ps.rx_drop_ring_full, n - ring);
		ck_assert_uint_eq(st.dev_imissed, n - ring);
		ck_assert_uint_eq(st.from_switch, ring);
		ck_assert_uint_eq(st.dev_ipackets, ring);
		ck_assert_uint_eq(vt_stats(peer).tx_packets, n);
		et_detach(e);
		ck_assert_int_eq(vnetif_disconnect(peer, 0), 0);
		vt_teardown(sw);
	}
}
END_TEST

/* Create, errors, accessors; a port disconnected under the view; the name reusable. */
START_TEST(test_view_basics)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	struct vnetif_ethdev_config cfg;
	vnetif_ethdev *e = NULL, *e2 = NULL;
	struct rte_mbuf *pkts[5];
	uint16_t vp;

	ck_assert_int_eq(vnetif_ethdev_view_create(NULL, "vw", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, NULL, NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "vw", NULL, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "bad name", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "seventeen_chars_x", NULL, &e), -EINVAL);
	vnetif_ethdev_config_init(&cfg);
	cfg.burst = 0;
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "vw", &cfg, &e), -EINVAL);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);

	e = view_up(sw, "vw", NULL, &vp);
	ck_assert_int_eq(vnetif_ethdev_port_id(e), vp);
	ck_assert_str_eq(vnetif_ethdev_name(e), "net_ring_vw");
	ck_assert_int_eq(vnetif_ethdev_view_create(sw, "vw", NULL, &e2), -EEXIST);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 1);

	/* someone else disconnects the port: the view's frames are freed and counted */
	ck_assert_int_eq(vnetif_disconnect(vnetif_ethdev_port(e), 0), 0);
	for (unsigned i = 0; i < RTE_DIM(pkts); i++)
		pkts[i] = vt_mbuf(mp, VT_BCAST, VIEW_SRC, 80, i);
	ck_assert_uint_eq(rte_eth_tx_burst(vp, 0, pkts, RTE_DIM(pkts)), RTE_DIM(pkts));
	ck_assert_uint_eq(et_stats(e).rx_drop_no_port, RTE_DIM(pkts));
	ck_assert_uint_eq(rte_eth_rx_burst(vp, 0, pkts, RTE_DIM(pkts)), 0);
	et_detach(e); /* the application did not stop the view: detach does */
	ck_assert(!rte_eth_dev_is_valid_port(vp));
	vt_teardown(sw);

	sw = vt_switch(NULL); /* the name is free again */
	e = view_up(sw, "vw", NULL, &vp);
	et_detach(e);
	vt_teardown(sw);
}
END_TEST

struct writer {
	vnetif_port *port;
	uint8_t dst[6];
	_Atomic bool stop;
	unsigned long written; /* frames vnetif_write() accepted */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint8_t src[6];

	vt_mac(w->port, src);
	while (!atomic_load(&w->stop))
		if (vt_write(w->port, w->dst, src, 200, (uint32_t)w->written) == 0)
			w->written++;
	return NULL;
}

/* Detach while another port keeps writing to the view: every frame is delivered to the
 * application or counted, and every mbuf comes back. */
START_TEST(test_view_detach_under_traffic)
{
	for (int async = 0; async < 2; async++) {
		vnetif_switch *sw = view_switch(async, 256);
		vnetif_port *peer = vt_connect(sw);
		struct rte_mbuf *pkts[32];
		struct writer w = {.port = peer};
		unsigned got = 0;
		pthread_t t;
		uint16_t vp;
		vnetif_ethdev *e = view_up(sw, "vw_busy", NULL, &vp);
		vnetif_port *vport = vnetif_ethdev_port(e);

		vt_mac(vport, w.dst);
		ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
		while (got < vt_scale(2000)) {
			uint16_t k = rte_eth_rx_burst(vp, 0, pkts, RTE_DIM(pkts));

			rte_pktmbuf_free_bulk(pkts, k);
			got += k;
		}
		ck_assert_int_eq(rte_eth_dev_stop(vp), 0);
		struct vnetif_ethdev_stats st = et_stats(e);
		et_detach(e); /* the writer goes on, now with no route */
		ck_assert(VT_WAIT(vt_stats(peer).tx_drop_no_route > 0));
		atomic_store(&w.stop, true);
		pthread_join(t, NULL);

		struct vnetif_stats vs = vt_stats(vport), ps = vt_stats(peer);
		ck_assert_uint_eq(st.from_switch, got);
		/* to the view's port: taken by the application, or left on its ring at
		 * detach, or its ring was full */
		ck_assert_uint_eq(vs.rx_packets, got + vs.rx_drop_disconnected);
		/* everything the writer wrote: delivered to the view's port, dropped at its
		 * full ring, or (after detach: the MAC forgotten, no other port) no route */
		ck_assert_uint_eq(ps.tx_packets, w.written);
		ck_assert_uint_eq(vs.rx_packets + vs.rx_drop_ring_full + ps.tx_drop_no_route,
				  w.written);
		ck_assert_int_eq(vnetif_disconnect(peer, 0), 0);
		vt_teardown(sw); /* every mbuf is back */
	}
}
END_TEST

Suite *ethdev_view_suite(void)
{
	Suite *s = suite_create("ethdev_view");
	TCase *tc = et_tcase("view", 60);

	tcase_add_test(tc, test_view_basics);
	tcase_add_test(tc, test_view_no_poller);
	tcase_add_test(tc, test_view_both_ways_sync);
	tcase_add_test(tc, test_view_both_ways_async);
	tcase_add_test(tc, test_view_rx_full);
	tcase_add_test(tc, test_view_detach_under_traffic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(ethdev_view_suite());
}
