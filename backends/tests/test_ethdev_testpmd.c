/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DPDK program in its own process attaches to the switch as a memif client, exactly
 * as Click's FromDPDKDevice/ToDPDKDevice would: dpdk-testpmd, driven over stdin.
 * txonly into the switch, rxonly out of it, io-forward turning frames around; exact
 * counts both ways. Skipped (77) when dpdk-testpmd is not installed (package dpdk).
 */
#define _GNU_SOURCE
#include "testpmd_test.h"

Suite *testpmd_suite(void);

/* How many frames testpmd has received (port stats). */
static long long testpmd_rx(struct et_child *c)
{
	long long rx, tx;

	tp_stats(c, &rx, &tx);
	return rx;
}

/*
 * Write @n broadcast frames from @p, at most a window of 256 in flight: after each
 * chunk, wait until testpmd has received them (rxonly: its counter; io: the frames came
 * back to @cap). memif's rings hold 1024 frames; testpmd may not be polling yet.
 */
static void send_paced(struct et_child *c, vnetif_port *p, struct vt_cap *cap,
		       const uint8_t *src, unsigned n)
{
	uint64_t back0 = cap ? vt_cap_frames(cap) : 0;

	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(vt_write(p, VT_BCAST, src, 60 + i % 200, i), 0);
		if (i % 256 != 255 && i != n - 1)
			continue;
		if (cap)
			ck_assert_msg(VT_WAIT(vt_cap_frames(cap) - back0 == i + 1),
				      "%" PRIu64 " of %u frames came back",
				      vt_cap_frames(cap) - back0, i + 1);
		else
			ck_assert_msg(VT_WAIT(testpmd_rx(c) == i + 1), "testpmd got %lld of %u",
				      testpmd_rx(c), i + 1);
	}
}

START_TEST(test_testpmd_memif)
{
	char sock[128], da[300], prefix[64];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw);
	struct vt_cap *cap = vt_cap_new();
	struct vnetif_ethdev_link link;
	struct et_child *c = calloc(1, sizeof(*c));
	long long rx, tx;
	const unsigned n = 3000;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(vnetif_listen(p, vt_cap_listen, cap), 0);
	et_path(sock, sizeof(sock), "tp.sock");
	snprintf(da, sizeof(da), "net_memif_tp,role=server,socket=%s,socket-abstract=no", sock);
	vnetif_ethdev *e = et_attach(sw, da);

	snprintf(prefix, sizeof(prefix), "vnetif-tp-%d", (int)getpid());
	tp_start(c, sock, prefix);
	ck_assert_msg(VT_WAIT(vnetif_ethdev_link_get(e, &link) == 0 && link.up),
		      "memif link never came up");

	/* 1. txonly: everything testpmd sent is counted on the vnetif port */
	tp_run(c, "set fwd txonly");
	tp_run(c, "start");
	usleep(300 * 1000);
	tp_run(c, "stop");
	tp_stats(c, &rx, &tx);
	ck_assert_msg(tx > 1000, "testpmd sent only %lld frames", tx);
	ck_assert_msg(VT_WAIT(vt_cap_frames(cap) == (uint64_t)tx), "switch port got %" PRIu64
		      " frames, testpmd sent %lld", vt_cap_frames(cap), tx);
	ck_assert_uint_eq(et_stats(e).to_switch, (uint64_t)tx);
	ck_assert_uint_eq(vt_stats(p).rx_packets, (uint64_t)tx);
	usleep(50 * 1000);
	ck_assert_uint_eq(vt_cap_frames(cap), (uint64_t)tx); /* and not one more */
	uint64_t got_before = vt_cap_frames(cap);

	/* 2. rxonly: frames written on the vnetif port all arrive in testpmd */
	tp_run(c, "clear port stats all");
	tp_run(c, "set fwd rxonly");
	tp_run(c, "start");
	send_paced(c, p, NULL, vt_mac(p, (uint8_t[6]){0}), n);
	tp_run(c, "stop");
	tp_stats(c, &rx, &tx);
	ck_assert_int_eq(rx, n);
	ck_assert_int_eq(tx, 0);
	ck_assert_uint_eq(et_stats(e).tx_drop_dev_full, 0);

	/* 3. io forward: testpmd turns every frame around */
	tp_run(c, "clear port stats all");
	tp_run(c, "set fwd io");
	tp_run(c, "start");
	send_paced(c, p, cap, VT_FOREIGN(7), n);
	ck_assert_uint_eq(vt_cap_frames(cap), got_before + n);
	tp_run(c, "stop");
	tp_stats(c, &rx, &tx);
	ck_assert_int_eq(rx, n);
	ck_assert_int_eq(tx, n);
	struct vnetif_stats ps = vt_stats(p);
	ck_assert_uint_eq(vt_drops(&ps), 0);
	ck_assert_uint_eq(et_stats(e).tx_drop_dev_full, 0);
	ck_assert_uint_eq(et_stats(e).from_switch, 2 * n);
	ck_assert_uint_eq(et_stats(e).to_switch, (uint64_t)got_before + n);

	et_say(c, "quit\n");
	int status = et_reap(c, 10000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "testpmd exit %d:\n%s",
		      status, et_tail(c, 1500));
	ck_assert(VT_WAIT(vnetif_ethdev_link_get(e, &link) == 0 && !link.up));
	et_detach(e);
	ck_assert_int_eq(access(sock, F_OK), -1); /* memif removed its socket */
	ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	vt_teardown(sw);
	vt_cap_free(cap);
	free(c);
}
END_TEST

Suite *testpmd_suite(void)
{
	Suite *s = suite_create("ethdev_testpmd");
	TCase *tc = et_tcase("memif", 90);

	tcase_add_test(tc, test_testpmd_memif);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!tp_found()) {
		printf("SKIP: dpdk-testpmd (Debian package dpdk) or stdbuf (coreutils) not found\n");
		return ET_SKIP;
	}
	return vt_run(testpmd_suite());
}
