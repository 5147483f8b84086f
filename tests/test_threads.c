/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Threads: vnetif_thread_register() gives a thread mbuf caches, and every mbuf is back
 * in its pool's ring once the threads are gone (exit or unregister), however many came
 * and went; a live thread's cache never makes destroy fail; reader threads have caches
 * and run on the CPUs asked (vnetif_reader_start_on()).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/sysinfo.h>

#include <rte_lcore.h>

#include "vnetif_test.h"

Suite *threads_suite(void);

#define WAVE 8

/* Mbufs in the pool's ring: the available ones no lcore cache holds. */
static unsigned ring_count(struct rte_mempool *mp)
{
	unsigned n = rte_mempool_avail_count(mp);

	for (unsigned l = 0; l < RTE_MAX_LCORE; l++) {
		struct rte_mempool_cache *c = rte_mempool_default_cache(mp, l);

		if (c != NULL)
			n -= c->len;
	}
	return n;
}

static unsigned own_cache_len(struct rte_mempool *mp)
{
	struct rte_mempool_cache *c = rte_mempool_default_cache(mp, rte_lcore_id());

	return c != NULL ? c->len : 0;
}

struct worker {
	pthread_t tid;
	vnetif_port *a, *b;
	uint8_t ma[6], mb[6];
	struct rte_mempool *mp;
	bool unregister; /* explicitly, else by exiting */
	int reg_rc, write_rc, unreg_rc;
	unsigned lcore, cached, received;
	/* hold: wait for go before exiting */
	bool hold;
	atomic_bool ready, go;
};

/* Allocate and free through the application's path (rte_pktmbuf_*) and the library's
 * (vnetif_write, vnetif_rx_burst), in this thread. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rte_mbuf *m[32];

	w->reg_rc = vnetif_thread_register();
	w->lcore = rte_lcore_id();
	for (int i = 0; i < 8; i++) {
		if (rte_pktmbuf_alloc_bulk(w->mp, m, 32) == 0)
			rte_pktmbuf_free_bulk(m, 32);
	}
	for (uint32_t s = 0; s < 64; s++) {
		int rc = vt_write(w->a, w->mb, w->ma, 60, s);

		if (rc != 0)
			w->write_rc = rc;
		for (int k; (k = vnetif_rx_burst(w->b, m, 32)) > 0;) {
			w->received += (unsigned)k;
			rte_pktmbuf_free_bulk(m, (unsigned)k);
		}
	}
	w->cached = own_cache_len(w->mp);
	if (w->hold) {
		atomic_store(&w->ready, true);
		while (!atomic_load(&w->go))
			usleep(100);
	}
	w->unreg_rc = w->unregister ? vnetif_thread_unregister() : 0;
	return NULL;
}

/* 3 x RTE_MAX_LCORE threads, WAVE at a time, register, use mbufs and go: had exit not
 * given the ids back, registrations past RTE_MAX_LCORE would fail; had it not flushed
 * the caches, the ring would not hold the whole pool after each wave. */
START_TEST(test_many_threads_pool_exact)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	struct worker w[WAVE];
	unsigned waves = vt_tsan() ? 8 : 3 * RTE_MAX_LCORE / WAVE, ok = 0;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < WAVE; i++) {
		w[i].a = vt_connect(sw);
		w[i].b = vt_connect(sw);
		vt_mac(w[i].a, w[i].ma);
		vt_mac(w[i].b, w[i].mb);
		w[i].mp = mp;
	}
	for (unsigned r = 0; r < waves; r++) {
		for (int i = 0; i < WAVE; i++) {
			w[i].unregister = (r + (unsigned)i) % 2 == 0;
			w[i].received = 0;
			ck_assert_int_eq(pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
		}
		for (int i = 0; i < WAVE; i++) {
			pthread_join(w[i].tid, NULL);
			ck_assert_msg(w[i].reg_rc == 0, "wave %u: register %d", r, w[i].reg_rc);
			ck_assert_uint_ne(w[i].lcore, LCORE_ID_ANY);
			ck_assert_uint_gt(w[i].cached, 0); /* the frees stayed in its cache */
			ck_assert_int_eq(w[i].write_rc, 0);
			ck_assert_uint_eq(w[i].received, 64);
			ck_assert_int_eq(w[i].unreg_rc, 0);
			ok++;
		}
		ck_assert_msg(ring_count(mp) == mp->size, "wave %u: %u of %u mbufs in the ring", r,
			      ring_count(mp), mp->size);
	}
	ck_assert_uint_eq(ok, waves * WAVE);
	vt_teardown(sw);
}
END_TEST

/* Mbufs in the cache of a thread that is still running count as returned. */
START_TEST(test_destroy_with_live_cache)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct worker w = {.hold = true};

	w.a = vt_connect(sw);
	w.b = vt_connect(sw);
	vt_mac(w.a, w.ma);
	vt_mac(w.b, w.mb);
	w.mp = vnetif_switch_pool(sw);
	ck_assert_int_eq(pthread_create(&w.tid, NULL, worker_main, &w), 0);
	ck_assert(VT_WAIT(atomic_load(&w.ready)));
	ck_assert_int_eq(w.reg_rc, 0);
	ck_assert_uint_gt(w.cached, 0);
	ck_assert_uint_lt(ring_count(w.mp), w.mp->size); /* really held in its cache */
	vt_teardown(sw); /* pool_in_use 0, destroy 0 */
	atomic_store(&w.go, true);
	pthread_join(w.tid, NULL); /* its exit flushes the caches of the pools that remain */
}
END_TEST

struct hog {
	pthread_t tid;
	int rc;
	atomic_bool ready, *go;
};

static void *hog_main(void *arg)
{
	struct hog *h = arg;

	h->rc = vnetif_thread_register();
	atomic_store(&h->ready, true);
	while (!atomic_load(h->go))
		usleep(100);
	return NULL;
}

static void *unregister_unregistered(void *arg)
{
	*(int *)arg = vnetif_thread_unregister();
	return NULL;
}

/* Past RTE_MAX_LCORE ids: -ENOSPC, and the thread still moves frames (uncached). */
START_TEST(test_register_limits)
{
	vnetif_switch *sw = vt_switch(NULL);
	static struct hog h[RTE_MAX_LCORE + 1];
	atomic_bool go = false;
	unsigned ok = 0, nospc = 0;
	struct worker w = {0};
	int rc = 1;

	ck_assert_int_eq(vnetif_thread_register(), 0); /* EAL's lcore: has its caches */
	ck_assert_int_eq(vnetif_thread_unregister(), -ENOENT);
	pthread_create(&h[0].tid, NULL, unregister_unregistered, &rc);
	pthread_join(h[0].tid, NULL);
	ck_assert_int_eq(rc, -ENOENT);

	for (unsigned i = 0; i < RTE_DIM(h); i++) {
		h[i] = (struct hog){.go = &go};
		ck_assert_int_eq(pthread_create(&h[i].tid, NULL, hog_main, &h[i]), 0);
		ck_assert(VT_WAIT(atomic_load(&h[i].ready)));
		ok += h[i].rc == 0;
		nospc += h[i].rc == -ENOSPC;
	}
	ck_assert_uint_eq(ok + nospc, RTE_DIM(h));
	ck_assert_uint_gt(nospc, 0);
	ck_assert_uint_eq(rte_lcore_count(), RTE_MAX_LCORE); /* all ids taken */

	w.a = vt_connect(sw);
	w.b = vt_connect(sw);
	vt_mac(w.a, w.ma);
	vt_mac(w.b, w.mb);
	w.mp = vnetif_switch_pool(sw);
	pthread_create(&w.tid, NULL, worker_main, &w);
	pthread_join(w.tid, NULL);
	ck_assert_int_eq(w.reg_rc, -ENOSPC);
	ck_assert_uint_eq(w.lcore, LCORE_ID_ANY);
	ck_assert_int_eq(w.write_rc, 0);
	ck_assert_uint_eq(w.received, 64);

	atomic_store(&go, true);
	for (unsigned i = 0; i < RTE_DIM(h); i++)
		pthread_join(h[i].tid, NULL);
	ck_assert_uint_eq(ring_count(w.mp), w.mp->size);
	vt_teardown(sw);
}
END_TEST

struct seen {
	atomic_int cpu, ncpus;
	atomic_uint lcore;
	atomic_uint frames;
};

static void where_am_i(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct seen *s = arg;
	cpu_set_t set;

	(void)port, (void)frame, (void)len;
	if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) == 0)
		atomic_store(&s->ncpus, CPU_COUNT(&set));
	atomic_store(&s->cpu, sched_getcpu());
	atomic_store(&s->lcore, rte_lcore_id());
	atomic_fetch_add(&s->frames, 1);
}

/* A reader started on one CPU runs there, with an lcore id (caches). */
START_TEST(test_reader_start_on)
{
	struct vnetif_switch_config cfg;
	unsigned ncpu = (unsigned)get_nprocs();
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct seen s;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_listen(b, where_am_i, &s), 0);
	for (unsigned cpu = ncpu > 1 ? 1 : 0;; cpu--) {
		memset(&s, 0, sizeof(s));
		atomic_store(&s.cpu, -1);
		ck_assert_int_eq(vnetif_reader_start_on(b, &cpu, 1), 0);
		ck_assert_int_eq(vnetif_reader_start_on(b, &cpu, 1), -EALREADY);
		vt_send(a, mb, 60, cpu);
		ck_assert(VT_WAIT(atomic_load(&s.frames) == 1));
		ck_assert_int_eq(atomic_load(&s.cpu), (int)cpu);
		ck_assert_int_eq(atomic_load(&s.ncpus), 1);
		ck_assert_uint_ne(atomic_load(&s.lcore), LCORE_ID_ANY);
		ck_assert_int_eq(vnetif_reader_stop(b), 0);
		/* the reader's exit flushed its cache: only this (EAL) thread's, which the
		 * write filled, holds any */
		ck_assert_uint_eq(ring_count(vnetif_switch_pool(sw)) +
					  own_cache_len(vnetif_switch_pool(sw)),
				  vnetif_switch_pool(sw)->size);
		if (cpu == 0)
			break;
	}
	vt_teardown(sw);
}
END_TEST

START_TEST(test_reader_start_on_invalid)
{
	struct vnetif_switch_config cfg;
	unsigned conf = (unsigned)get_nprocs_conf(), bad[] = {0, conf}, huge = CPU_SETSIZE;
	vnetif_switch *sw;
	vnetif_port *b;

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, where_am_i, NULL), 0);
	ck_assert_int_eq(vnetif_reader_start_on(b, NULL, 1), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start_on(b, bad, 0), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start_on(b, &conf, 1), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start_on(b, &huge, 1), -EINVAL);
	ck_assert_int_eq(vnetif_reader_start_on(b, bad, 2), -EINVAL); /* one CPU bad: refused */
	ck_assert_int_eq(vnetif_reader_start_on(NULL, bad, 1), -EINVAL);
	ck_assert_int_eq(vnetif_reader_stop(b), -ENOENT); /* none was started */
	vt_teardown(sw);
}
END_TEST

Suite *threads_suite(void)
{
	Suite *s = suite_create("threads");
	TCase *tc = vt_tcase("threads");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_many_threads_pool_exact);
	tcase_add_test(tc, test_destroy_with_live_cache);
	tcase_add_test(tc, test_register_limits);
	tcase_add_test(tc, test_reader_start_on);
	tcase_add_test(tc, test_reader_start_on_invalid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(threads_suite());
}
