/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Regression tests for defects found by the fuzz targets (tests/fuzz/). Each test is
 * the smallest reproducer of one finding, named after it; the comment gives the input
 * that found it and what include/vnetif.h promises. A test here may fail until the
 * defect's owner fixes it: that is its purpose.
 */
#include "vnetif_test.h"

Suite *regress_suite(void);

/*
 * fuzz_switch, 2026-11-29: disconnecting a port whose own MAC had moved to another
 * port (another port sent frames with that source), on a switch whose table had never
 * deleted an entry, ran memmove(NULL, NULL + 0, 0) in vnetif_fdb_reclaim() (fdb.c):
 * undefined behaviour, reported by UBSan ("applying zero offset to null pointer").
 * Fails only in the ASan+UBSan build (-DVNETIF_SANITIZE=address), which halts on it.
 */
START_TEST(test_regress_disconnect_after_own_mac_moved)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t ma[6], mb[6];
	struct rte_mbuf *m;

	vt_mac(a, ma);
	vt_mac(b, mb);
	/* b sends as a: a's MAC is now learned on b */
	ck_assert_int_eq(vt_write(b, VT_BCAST, ma, 60, 1), 0);
	ck_assert_uint_eq(vt_sw_stats(sw).fdb_moved, 1);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0); /* nothing of a's left to delete */
	while (vnetif_rx_burst(b, &m, 1) == 1)
		rte_pktmbuf_free(m);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	vt_teardown(sw);
}
END_TEST

Suite *regress_suite(void)
{
	Suite *s = suite_create("regress");
	TCase *tc = vt_tcase("fuzz_switch");

	tcase_add_test(tc, test_regress_disconnect_after_own_mac_moved);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(regress_suite());
}
