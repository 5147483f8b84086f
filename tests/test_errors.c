/* SPDX-License-Identifier: BSD-3-Clause */
/* Errors: every public call with bad arguments gets its documented errno and changes
 * nothing; vnetif_strerror() always answers. */
#include <limits.h>
#include <sys/uio.h>

#include "vnetif_test.h"

Suite *errors_suite(void);

static const struct vnetif_stats zero_stats;

static void expect_untouched(vnetif_switch *sw, vnetif_port *const *p, int n)
{
	struct vnetif_switch_stats st = vt_sw_stats(sw);

	for (int i = 0; i < n; i++) {
		struct vnetif_stats s = vt_stats(p[i]);

		ck_assert_msg(memcmp(&s, &zero_stats, sizeof(s)) == 0, "port %d counters changed", i);
	}
	ck_assert_uint_eq(st.drops, 0);
	ck_assert_uint_eq(st.pool_in_use, 0);
	ck_assert_uint_eq(st.ports, (unsigned)n);
}

static void listener_called(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

static void mbuf_listener_called(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	rte_pktmbuf_free_bulk(pkts, n);
	atomic_fetch_add((atomic_uint *)arg, 1);
}

START_TEST(test_strerror_never_null)
{
	static const int known[] = {EINVAL, ENOTCONN, EMSGSIZE, ENOBUFS, EEXIST, EADDRINUSE,
				    ENOSPC, ETIMEDOUT, EDEADLK, EALREADY, ENOENT, EAGAIN,
				    EBUSY, ENOMEM};
	static const int odd[] = {0, 1, 4095, -4095, 100000, -100000, INT_MAX, INT_MIN,
				  INT_MIN + 1};

	for (int e = -300; e <= 300; e++) {
		const char *s = vnetif_strerror(e);

		ck_assert_ptr_nonnull(s);
	}
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		const char *s = vnetif_strerror(odd[i]);

		ck_assert_msg(s != NULL, "vnetif_strerror(%d) is NULL", odd[i]);
	}
	/* each errno the library returns has its own, non-empty text */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const char *s = vnetif_strerror(-known[i]);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_gt(strlen(s), 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(s, vnetif_strerror(-known[j])) != 0,
				      "same text for -%d and -%d", known[i], known[j]);
	}
}
END_TEST

START_TEST(test_switch_calls_bad_args)
{
	struct vnetif_switch_config cfg;
	struct vnetif_switch_stats st;
	vnetif_switch *sw = NULL;

	vt_config(&cfg);
	ck_assert_int_eq(vnetif_switch_create(NULL, &sw), -EINVAL);
	ck_assert_ptr_null(sw);
	ck_assert_int_eq(vnetif_switch_create(&cfg, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_switch_destroy(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_switch_stats_get(NULL, &st), -EINVAL);
	ck_assert_ptr_null(vnetif_switch_pool(NULL));
	ck_assert_int_eq(vnetif_switch_poll(NULL, 32), -EINVAL);
	sw = vt_switch(NULL);
	ck_assert_int_eq(vnetif_switch_stats_get(sw, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_switch_config_get(NULL, &cfg), -EINVAL);
	ck_assert_int_eq(vnetif_switch_config_get(sw, NULL), -EINVAL);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_eal_init_bad_args)
{
	char *argv[] = {"x", "--no-huge", NULL};

	ck_assert_int_eq(vnetif_eal_init(0, argv), -EINVAL);
	ck_assert_int_eq(vnetif_eal_init(-1, argv), -EINVAL);
	ck_assert_int_eq(vnetif_eal_init(1, NULL), -EINVAL);
	/* and EAL still starts (or runs) for switches */
	vt_eal_up();
}
END_TEST

START_TEST(test_connect_bad_args)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct vnetif_port_config pc;
	vnetif_port *p = NULL;
	uint8_t m[6];

	ck_assert_int_eq(vnetif_connect(NULL, NULL, &p), -EINVAL);
	ck_assert_int_eq(vnetif_connect(sw, NULL, NULL), -EINVAL);
	memset(&pc, 0, sizeof(pc));
	pc.mac[0] = 0x01;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &p), -EINVAL);
	memset(&pc, 0xff, 6);
	pc.mtu = 0;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &p), -EINVAL);
	memset(&pc, 0, sizeof(pc));
	pc.mtu = VNETIF_MTU_MAX + 1;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &p), -EINVAL);
	pc.mtu = VNETIF_MTU_MIN - 1;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &p), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);
	/* nothing was used up */
	p = vt_connect(sw);
	ck_assert(vt_mac_eq(vt_mac(p, m), VT_MAC(0x02, 0x50, 0, 0, 0, 1)));
	vt_teardown(sw);
}
END_TEST

START_TEST(test_port_calls_null)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw);
	struct vnetif_stats st;
	atomic_uint calls = 0;
	uint8_t m[6];

	ck_assert_int_eq(vnetif_disconnect(NULL, 0), -EINVAL);
	ck_assert_int_eq(vnetif_disconnect(NULL, 100), -EINVAL);
	ck_assert_int_eq(vnetif_mac(NULL, m), -EINVAL);
	ck_assert_int_eq(vnetif_mac(p, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_mtu(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_set_mtu(NULL, 1500), -EINVAL);
	ck_assert_ptr_null(vnetif_port_switch(NULL));
	ck_assert_int_eq(vnetif_stats_get(NULL, &st), -EINVAL);
	ck_assert_int_eq(vnetif_stats_get(p, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_stats_reset(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_listen(NULL, listener_called, &calls), -EINVAL);
	ck_assert_int_eq(vnetif_listen_mbuf(NULL, mbuf_listener_called, &calls), -EINVAL);
	ck_assert_int_eq(vnetif_poll(NULL, 32), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_reader_stop(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_mtu(p), 1500);
	ck_assert_uint_eq(atomic_load(&calls), 0);
	expect_untouched(sw, &p, 1);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_burst_bad_args)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p[2] = {vt_connect(sw), vt_connect(sw)};
	uint8_t m0[6], m1[6];
	struct rte_mbuf *m, *pkts[4];

	m = vt_mbuf(vnetif_switch_pool(sw), vt_mac(p[1], m1), vt_mac(p[0], m0), 60, 1);
	ck_assert_int_eq(vnetif_tx_burst(NULL, &m, 1), -EINVAL);
	ck_assert_int_eq(vnetif_tx_burst(p[0], NULL, 1), -EINVAL);
	ck_assert_int_eq(vnetif_tx_burst(p[0], NULL, 0), 0);
	ck_assert_int_eq(vnetif_tx_burst(p[0], &m, 0), 0);
	/* the mbuf is still the caller's, intact */
	ck_assert_uint_eq(rte_mbuf_refcnt_read(m), 1);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), 60);
	ck_assert_int_eq(vnetif_rx_burst(NULL, pkts, 4), -EINVAL);
	ck_assert_int_eq(vnetif_rx_burst(p[1], NULL, 4), -EINVAL);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 1);
	rte_pktmbuf_free(m);
	expect_untouched(sw, p, 2);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_write_bad_args)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p[2] = {vt_connect(sw), vt_connect(sw)};
	uint8_t m0[6], m1[6], f[128];
	struct iovec iov[65];

	vt_fill(f, sizeof(f), vt_mac(p[1], m1), vt_mac(p[0], m0), 1);
	ck_assert_int_eq(vnetif_write(NULL, f, 60), -EINVAL);
	ck_assert_int_eq(vnetif_write(p[0], NULL, 60), -EINVAL);
	ck_assert_int_eq(vnetif_write(p[0], f, 0), -EINVAL);
	ck_assert_int_eq(vnetif_write(p[0], f, 13), -EINVAL);
	for (int i = 0; i < 65; i++)
		iov[i] = (struct iovec){f, 1};
	iov[0] = (struct iovec){f, 60};
	ck_assert_int_eq(vnetif_writev(NULL, iov, 1), -EINVAL);
	ck_assert_int_eq(vnetif_writev(p[0], NULL, 1), -EINVAL);
	ck_assert_int_eq(vnetif_writev(p[0], iov, 0), -EINVAL);
	ck_assert_int_eq(vnetif_writev(p[0], iov, -1), -EINVAL);
	ck_assert_int_eq(vnetif_writev(p[0], iov, 65), -EINVAL);
	ck_assert_int_eq(vnetif_writev(p[0], iov, INT_MAX), -EINVAL);
	iov[1] = (struct iovec){NULL, 20};
	ck_assert_int_eq(vnetif_writev(p[0], iov, 2), -EINVAL);
	expect_untouched(sw, p, 2);

	vt_teardown(sw);
}
END_TEST

/* Too long: -EMSGSIZE and counted, even for absurd lengths, without reading the buffer. */
START_TEST(test_write_huge_length)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p[2] = {vt_connect(sw), vt_connect(sw)};
	uint8_t f[128];
	struct vnetif_stats s;

	memset(f, 0, sizeof(f));
	ck_assert_int_eq(vnetif_write(p[0], f, SIZE_MAX), -EMSGSIZE);
	ck_assert_int_eq(vnetif_write(p[0], f, (size_t)1 << 40), -EMSGSIZE);
	ck_assert_int_eq(vnetif_write(p[0], f, 1u << 20), -EMSGSIZE);
	s = vt_stats(p[0]);
	ck_assert_uint_eq(s.tx_drop_oversize, 3);
	ck_assert_uint_eq(vt_drops(&s), 3);
	ck_assert_uint_eq(s.tx_packets, 0);
	ck_assert_uint_eq(vt_stats(p[1]).rx_packets, 0);
	vt_teardown(sw);
}
END_TEST

/* iovec lengths whose sum wraps around size_t are too long, not a short frame. */
START_TEST(test_writev_length_overflow)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p[2] = {vt_connect(sw), vt_connect(sw)};
	uint8_t m0[6], m1[6], f[128];
	struct iovec iov[2];

	vt_fill(f, sizeof(f), vt_mac(p[1], m1), vt_mac(p[0], m0), 1);
	iov[0] = (struct iovec){f, 100};
	iov[1] = (struct iovec){f, SIZE_MAX}; /* the sum wraps to 99 */
	ck_assert_int_eq(vnetif_writev(p[0], iov, 2), -EMSGSIZE);
	ck_assert_uint_eq(vt_stats(p[0]).tx_packets, 0);
	ck_assert_uint_eq(vt_drain(p[1]), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_poll_and_reader_errors)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *p[2];

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	p[0] = vt_connect(sw);
	p[1] = vt_connect(sw);
	ck_assert_int_eq(vnetif_poll(p[0], 32), -ENOENT);
	ck_assert_int_eq(vnetif_reader_start(p[0]), -ENOENT);
	ck_assert_int_eq(vnetif_reader_stop(p[0]), -ENOENT);
	ck_assert_int_eq(vnetif_switch_poll(sw, 32), 0);
	expect_untouched(sw, p, 2);
	vt_teardown(sw);
}
END_TEST

/* Handles of the other kind are -EINVAL (NULL for pointer-returning calls). */
START_TEST(test_handles_of_other_kind)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p[2] = {vt_connect(sw), vt_connect(sw)};
	vnetif_switch *port_as_sw = (vnetif_switch *)p[0];
	vnetif_port *sw_as_port = (vnetif_port *)sw, *q = NULL;
	struct vnetif_switch_stats sst;
	struct vnetif_stats st;
	atomic_uint calls = 0;
	uint8_t m[6], m0[6], m1[6], f[60];
	struct iovec iov = {f, sizeof(f)};
	struct rte_mbuf *pkts[4];

	vt_fill(f, sizeof(f), vt_mac(p[1], m1), vt_mac(p[0], m0), 1);
	ck_assert_int_eq(vnetif_switch_destroy(port_as_sw), -EINVAL);
	ck_assert_int_eq(vnetif_switch_stats_get(port_as_sw, &sst), -EINVAL);
	ck_assert_ptr_null(vnetif_switch_pool(port_as_sw));
	ck_assert_int_eq(vnetif_switch_poll(port_as_sw, 32), -EINVAL);
	{
		struct vnetif_switch_config cfg;

		ck_assert_int_eq(vnetif_switch_config_get(port_as_sw, &cfg), -EINVAL);
	}
	ck_assert_int_eq(vnetif_connect(port_as_sw, NULL, &q), -EINVAL);

	ck_assert_int_eq(vnetif_disconnect(sw_as_port, 0), -EINVAL);
	ck_assert_int_eq(vnetif_mac(sw_as_port, m), -EINVAL);
	ck_assert_int_eq(vnetif_mtu(sw_as_port), -EINVAL);
	ck_assert_int_eq(vnetif_set_mtu(sw_as_port, 1500), -EINVAL);
	ck_assert_ptr_null(vnetif_port_switch(sw_as_port));
	ck_assert_int_eq(vnetif_stats_get(sw_as_port, &st), -EINVAL);
	ck_assert_int_eq(vnetif_stats_reset(sw_as_port), -EINVAL);
	ck_assert_int_eq(vnetif_tx_burst(sw_as_port, pkts, 0), -EINVAL);
	ck_assert_int_eq(vnetif_rx_burst(sw_as_port, pkts, 4), -EINVAL);
	ck_assert_int_eq(vnetif_write(sw_as_port, f, sizeof(f)), -EINVAL);
	ck_assert_int_eq(vnetif_writev(sw_as_port, &iov, 1), -EINVAL);
	ck_assert_int_eq(vnetif_listen(sw_as_port, listener_called, &calls), -EINVAL);
	ck_assert_int_eq(vnetif_listen_mbuf(sw_as_port, mbuf_listener_called, &calls), -EINVAL);
	ck_assert_int_eq(vnetif_poll(sw_as_port, 32), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start(sw_as_port), -EINVAL);
	ck_assert_int_eq(vnetif_reader_stop(sw_as_port), -EINVAL);
	expect_untouched(sw, p, 2);

	/* everything still works, and the callbacks of failed calls never run */
	ck_assert_int_eq(vnetif_write(p[0], f, sizeof(f)), 0);
	ck_assert_uint_eq(vt_drain(p[1]), 1);
	ck_assert_uint_eq(atomic_load(&calls), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_failed_listen_never_calls_back)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	atomic_uint calls = 0;
	uint8_t mb[6];

	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	ck_assert_int_eq(vnetif_listen(b, listener_called, &calls), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen_mbuf(b, mbuf_listener_called, &calls), -ENOTCONN);
	vt_send(a, mb, 60, 1);
	vt_send(a, VT_BCAST, 60, 2);
	ck_assert_uint_eq(atomic_load(&calls), 0);
	vt_teardown(sw);
}
END_TEST

Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = vt_tcase("errors");

	tcase_add_test(tc, test_strerror_never_null);
	tcase_add_test(tc, test_switch_calls_bad_args);
	tcase_add_test(tc, test_eal_init_bad_args);
	tcase_add_test(tc, test_connect_bad_args);
	tcase_add_test(tc, test_port_calls_null);
	tcase_add_test(tc, test_burst_bad_args);
	tcase_add_test(tc, test_write_bad_args);
	tcase_add_test(tc, test_write_huge_length);
	tcase_add_test(tc, test_writev_length_overflow);
	tcase_add_test(tc, test_poll_and_reader_errors);
	tcase_add_test(tc, test_handles_of_other_kind);
	tcase_add_test(tc, test_failed_listen_never_calls_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(errors_suite());
}
