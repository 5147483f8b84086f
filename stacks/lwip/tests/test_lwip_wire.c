/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwIP instances joined by a direct in-memory wire (no switch, no EAL): instance
 * lifecycle and namespace reuse, ARP, ICMP, UDP, TCP, destroy with connections open,
 * the instance limit.
 */
#include "lwip_test.h"

#define IP_A "10.1.0.1"
#define IP_B "10.1.0.2"

static void pair(enum vnetif_lwip_wire mode, vnetif_lwip_stack **a, vnetif_lwip_stack **b)
{
	struct vnetif_lwip_config ca = lt_cfg(IP_A), cb = lt_cfg(IP_B);
	int rc = vnetif_lwip_create_wired(&ca, &cb, mode, a, b);

	ck_assert_msg(rc == 0, "vnetif_lwip_create_wired: %d (%s)", rc, vnetif_strerror(rc));
}

static void unpair(vnetif_lwip_stack *a, vnetif_lwip_stack *b)
{
	lt_destroy(a);
	lt_destroy(b);
}

START_TEST(test_arp_ping)
{
	enum vnetif_lwip_wire mode = _i ? VNETIF_LWIP_WIRE_MAILBOX : VNETIF_LWIP_WIRE_THREAD;
	vnetif_lwip_stack *a, *b;
	uint8_t mac[6], mac_b[6];
	unsigned rtt = 0;
	int rc;

	pair(mode, &a, &b);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, IP_B, mac, 0), -ENOENT);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(a, IP_B, mac, 2000), 0);
	ck_assert_int_eq(vnetif_lwip_mac(b, mac_b), 0);
	ck_assert(vt_mac_eq(mac, mac_b));
	rc = vnetif_lwip_ping(a, IP_B, 2000, &rtt);
	ck_assert_msg(rc == 0, "ping: %d", rc);
	ck_assert_int_eq(vnetif_lwip_ping(b, IP_A, 2000, NULL), 0);
	ck_assert_int_eq(vnetif_lwip_ping(a, "10.1.0.77", 200, NULL), -ETIMEDOUT);
	unpair(a, b);
}
END_TEST

START_TEST(test_udp)
{
	vnetif_lwip_stack *a, *b;

	pair(VNETIF_LWIP_WIRE_THREAD, &a, &b);
	lt_udp_echo(a, IP_A, b, IP_B, vt_tsan() ? 20 : 200, 1000, 7000);
	lt_udp_echo(b, IP_B, a, IP_A, 5, 1472, 7001);
	lt_udp_echo(a, IP_A, b, IP_B, 5, 4000, 7002); /* IP fragments */
	unpair(a, b);
}
END_TEST

START_TEST(test_tcp)
{
	enum vnetif_lwip_wire mode = _i ? VNETIF_LWIP_WIRE_MAILBOX : VNETIF_LWIP_WIRE_THREAD;
	uint64_t bytes = vt_tsan() ? (1u << 20) : (16u << 20);
	vnetif_lwip_stack *a, *b;
	struct vnetif_lwip_stats st;
	double mbs;

	pair(mode, &a, &b);
	mbs = lt_tcp(b, IP_B, a, bytes, LT_PORT);
	printf("wire %s: TCP %" PRIu64 " MiB at %.0f MB/s\n", _i ? "mailbox" : "thread",
	       bytes >> 20, mbs);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	ck_assert_uint_gt(st.tx_frames, bytes / (lt_mss(a) + 40));
	ck_assert_uint_eq(st.sockets, 0);
	unpair(a, b);
}
END_TEST

START_TEST(test_lifecycle)
{
	unsigned cycles = vt_tsan() ? 20 : 200;

	for (unsigned i = 0; i < cycles; i++) {
		vnetif_lwip_stack *a, *b;

		pair(VNETIF_LWIP_WIRE_THREAD, &a, &b);
		if (i % 50 == 0)
			ck_assert_int_eq(vnetif_lwip_ping(a, IP_B, 2000, NULL), 0);
		unpair(a, b);
	}
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("lwip_wire");
	TCase *tc = tcase_create("wire");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_arp_ping, 0, 2);
	tcase_add_test(tc, test_udp);
	tcase_add_loop_test(tc, test_tcp, 0, 2);
	tcase_add_test(tc, test_lifecycle);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(wire_suite());
}
