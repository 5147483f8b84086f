/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's pool where DPDK lacks a mempool driver. vnetif.h promises that where the
 * stack driver of VNETIF_POOL_LIFO is missing the switch uses VNETIF_POOL_FIFO's ring,
 * and says which it got. Debian's DPDK always has both drivers, so this suite takes
 * them away: it defines rte_mempool_set_ops_byname() itself (the executable's symbol
 * comes first for the DPDK libraries' calls too) and refuses the drivers a test names,
 * as DPDK does for a driver it does not have (-EINVAL). Every other call goes on to
 * DPDK's own function.
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "vnetif_test.h"

Suite *pool_fallback_suite(void);

typedef int (*set_ops_fn)(struct rte_mempool *mp, const char *name, void *pool_config);

static const char *refused[2]; /* drivers DPDK "does not have" */
static char asked[8][32];      /* drivers asked for (but the default), in order */
static unsigned nasked;

int rte_mempool_set_ops_byname(struct rte_mempool *mp, const char *name, void *pool_config);

int rte_mempool_set_ops_byname(struct rte_mempool *mp, const char *name, void *pool_config)
{
	static set_ops_fn real;

	if (real == NULL)
		real = (set_ops_fn)(uintptr_t)dlsym(RTLD_NEXT, "rte_mempool_set_ops_byname");
	ck_assert_ptr_nonnull(real);
	/* rte_mempool_create_empty() first sets its default, ring_mp_mc; then the caller
	 * of rte_pktmbuf_pool_create_by_ops() gets the driver it named */
	if (strcmp(name, "ring_mp_mc") != 0 && nasked < RTE_DIM(asked))
		snprintf(asked[nasked++], sizeof(asked[0]), "%s", name);
	for (unsigned i = 0; i < RTE_DIM(refused); i++)
		if (refused[i] != NULL && strcmp(name, refused[i]) == 0)
			return -EINVAL;
	return real(mp, name, pool_config);
}

static void refuse(const char *a, const char *b)
{
	refused[0] = a;
	refused[1] = b;
	nasked = 0;
}

/* 100 frames from one port to another and back to the pool; @sw's pool is whole after. */
static void carries_frames(vnetif_switch *sw)
{
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t ma[6], mb[6];

	vt_mac(a, ma);
	vt_mac(b, mb);
	for (unsigned i = 0; i < 100; i++)
		ck_assert_int_eq(vt_write(a, mb, ma, 60, i), 0);
	ck_assert_uint_eq(vt_drain(b), 100);
	ck_assert_uint_eq(vt_stats(b).rx_packets, 100);
}

START_TEST(test_no_stack_driver_falls_back_to_ring)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	vt_config(&cfg);
	cfg.large_pool_size = 0; /* one pool, one driver request (the large pool asks alike) */
	cfg.pool_order = VNETIF_POOL_LIFO;
	refuse("lf_stack", NULL);
	sw = vt_switch(&cfg);
	/* it asked for the stack, then the ring, and says it got the ring */
	ck_assert_uint_eq(nasked, 2);
	ck_assert_str_eq(asked[0], "lf_stack");
	ck_assert_str_eq(asked[1], "ring_mt_hts");
	ck_assert_str_eq(vt_pool_driver(sw), "ring_mt_hts");
	ck_assert_uint_eq(vnetif_switch_pool(sw)->size, cfg.pool_size);
	carries_frames(sw);
	vt_teardown(sw); /* fails unless every mbuf is back */
}
END_TEST

START_TEST(test_stack_driver_present_is_used)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	vt_config(&cfg);
	cfg.large_pool_size = 0; /* one pool, one driver request (the large pool asks alike) */
	cfg.pool_order = VNETIF_POOL_LIFO;
	refuse("ring_mt_hts", NULL); /* the ring's absence does not matter then */
	sw = vt_switch(&cfg);
	ck_assert_uint_eq(nasked, 1);
	ck_assert_str_eq(vt_pool_driver(sw), "lf_stack");
	carries_frames(sw);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_fifo_never_asks_for_the_stack)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	vt_config(&cfg);
	cfg.large_pool_size = 0; /* one pool, one driver request (the large pool asks alike) */
	cfg.pool_order = VNETIF_POOL_FIFO;
	refuse(NULL, NULL);
	sw = vt_switch(&cfg);
	ck_assert_uint_eq(nasked, 1);
	ck_assert_str_eq(asked[0], "ring_mt_hts");
	ck_assert_str_eq(vt_pool_driver(sw), "ring_mt_hts");
	vt_teardown(sw);
}
END_TEST

/* Neither driver: a clear error, nothing left behind; the name is free for a later
 * switch once DPDK has a driver again. */
START_TEST(test_no_driver_at_all_fails_cleanly)
{
	static const enum vnetif_pool_order orders[] = {VNETIF_POOL_LIFO, VNETIF_POOL_FIFO};

	for (unsigned i = 0; i < RTE_DIM(orders); i++) {
		struct vnetif_switch_config cfg;
		vnetif_switch *sw = NULL;
		int rc;

		vt_config(&cfg);
	cfg.large_pool_size = 0; /* one pool, one driver request (the large pool asks alike) */
		cfg.name = "nodriver";
		cfg.pool_order = orders[i];
		refuse("lf_stack", "ring_mt_hts");
		rc = vnetif_switch_create(&cfg, &sw);
		ck_assert_msg(rc == -ENOMEM, "order %d: %d (%s)", orders[i], rc, vnetif_strerror(rc));
		ck_assert_ptr_null(sw);
		ck_assert_ptr_null(rte_mempool_lookup("nodriver_pool"));
		refuse(NULL, NULL);
		sw = vt_switch(&cfg);
		ck_assert_str_eq(vt_pool_driver(sw),
				 orders[i] == VNETIF_POOL_LIFO ? "lf_stack" : "ring_mt_hts");
		carries_frames(sw);
		vt_teardown(sw);
	}
}
END_TEST

/* A pool name already taken is -EEXIST (vnetif.h) in either order, not -ENOMEM after a
 * fallback, and the pool of that name is left alone. */
START_TEST(test_name_in_use_is_not_retried)
{
	struct vnetif_switch_config cfg;
	struct rte_mempool *squatter;
	vnetif_switch *sw = NULL;

	vt_eal_up();
	squatter = rte_pktmbuf_pool_create("taken_pool", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   (int)rte_socket_id());
	ck_assert_ptr_nonnull(squatter);
	vt_config(&cfg);
	cfg.large_pool_size = 0; /* one pool, one driver request (the large pool asks alike) */
	cfg.name = "taken";
	refuse(NULL, NULL);
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EEXIST);
	cfg.pool_order = VNETIF_POOL_FIFO;
	ck_assert_int_eq(vnetif_switch_create(&cfg, &sw), -EEXIST);
	ck_assert_ptr_null(sw);
	ck_assert_uint_eq(nasked, 0); /* DPDK refused the name before any driver was set */
	ck_assert_ptr_eq(rte_mempool_lookup("taken_pool"), squatter);
	ck_assert_uint_eq(rte_mempool_avail_count(squatter), 63);
	rte_mempool_free(squatter);
}
END_TEST

Suite *pool_fallback_suite(void)
{
	Suite *s = suite_create("pool_fallback");
	TCase *tc = vt_tcase("fallback");

	tcase_add_test(tc, test_no_stack_driver_falls_back_to_ring);
	tcase_add_test(tc, test_stack_driver_present_is_used);
	tcase_add_test(tc, test_fifo_never_asks_for_the_stack);
	tcase_add_test(tc, test_no_driver_at_all_fails_cleanly);
	tcase_add_test(tc, test_name_in_use_is_not_retried);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(pool_fallback_suite());
}
