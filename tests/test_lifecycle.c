/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port and switch lifecycle: control calls that wait with no lock held, the flush of a
 * disconnect, stale handles, constant memory under churn, replaced listeners, and the
 * places the yield function is called.
 */
#include <malloc.h>

#include <rte_malloc.h>

#include "vnetif_test.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LT_SANITIZED 1 /* allocators keep freed memory: no memory bounds */
#else
#define LT_SANITIZED 0
#endif

/* --- helpers ------------------------------------------------------------------------ */

/* Run @fn(@arg) in a thread and wait at most VT_WAIT_MS for it: a control call that
 * hangs fails the test instead of hanging it (the thread is then left behind). */
struct lt_call {
	int (*fn)(void *arg);
	void *arg;
	atomic_int done;
	int rc;
	uint64_t ms;
};

static void *lt_call_main(void *arg)
{
	struct lt_call *c = arg;
	uint64_t t0 = vt_now_ms();

	c->rc = c->fn(c->arg);
	c->ms = vt_now_ms() - t0;
	atomic_store(&c->done, 1);
	return NULL;
}

static int lt_bounded(struct lt_call *c)
{
	pthread_t t;

	atomic_store(&c->done, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, lt_call_main, c), 0);
	if (!VT_WAIT(atomic_load(&c->done))) {
		pthread_detach(t);
		ck_abort_msg("control call did not return within %d ms", VT_WAIT_MS);
	}
	pthread_join(t, NULL);
	return c->rc;
}

struct lt_disc {
	vnetif_port *port;
	unsigned flush_ms;
};

static int lt_disconnect_fn(void *arg)
{
	struct lt_disc *d = arg;

	return vnetif_disconnect(d->port, d->flush_ms);
}

static size_t lt_rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &pages, &rss), 2);
	fclose(f);
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t lt_heap_bytes(void)
{
	struct rte_malloc_socket_stats s;
	size_t total = 0;

	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++)
		if (rte_malloc_get_socket_stats(sock, &s) == 0)
			total += s.heap_allocsz_bytes;
	return total;
}

static void lt_count_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

/* --- item: yield and control calls -------------------------------------------------- */

struct stats_yield {
	vnetif_switch *sw;
	atomic_uint calls, failures;
};

/* A scheduler that looks at the switch from its yield function (mirage's use). */
static void stats_yield_fn(void *arg)
{
	struct stats_yield *y = arg;
	struct vnetif_switch_stats st;

	atomic_fetch_add(&y->calls, 1);
	if (y->sw && vnetif_switch_stats_get(y->sw, &st) != 0)
		atomic_fetch_add(&y->failures, 1);
	usleep(100);
}

struct slow_ctx {
	atomic_uint delivered;
	unsigned sleep_us;
};

static void slow_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct slow_ctx *s = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (s->sleep_us)
		usleep(s->sleep_us);
	atomic_fetch_add(&s->delivered, 1);
}

/* The yield function calls vnetif_switch_stats_get() while disconnect (flush, reader,
 * grace period), vnetif_reader_stop() and vnetif_switch_destroy() wait: none hangs. */
START_TEST(test_yield_reads_switch_stats)
{
	struct vnetif_switch_config cfg;
	static struct stats_yield y;
	struct slow_ctx s = {.sleep_us = 200};
	struct lt_disc d;
	struct lt_call c = {.fn = lt_disconnect_fn, .arg = &d};
	vnetif_switch *sw;
	vnetif_port *a, *b, *e;
	uint8_t mb[6];

	memset(&y, 0, sizeof(y));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = stats_yield_fn;
	cfg.yield_arg = &y;
	sw = vt_switch(&cfg);
	y.sw = sw;
	a = vt_connect(sw);
	b = vt_connect(sw);
	e = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, slow_listener, &s), 0);
	for (uint32_t i = 0; i < 200; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	d = (struct lt_disc){b, 5000};
	ck_assert_int_eq(lt_bounded(&c), 0);
	ck_assert_uint_eq(atomic_load(&s.delivered), 200);
	ck_assert_uint_gt(atomic_load(&y.calls), 0);
	ck_assert_uint_eq(atomic_load(&y.failures), 0);

	ck_assert_int_eq(vnetif_listen(e, slow_listener, &s), 0);
	ck_assert_int_eq(vnetif_reader_start(e), 0);
	ck_assert_int_eq(vnetif_reader_stop(e), 0);
	ck_assert_uint_eq(atomic_load(&y.failures), 0);
	vt_teardown(sw);
}
END_TEST

/* Control calls from inside the yield function of a waiting disconnect. */
struct nest_yield {
	vnetif_switch *sw;
	vnetif_port *self, *other;
	atomic_int armed;
	int rc_self, rc_destroy, rc_other, rc_stop, rc_write;
};

static void nest_yield_fn(void *arg)
{
	struct nest_yield *n = arg;

	if (atomic_exchange(&n->armed, 0) == 0)
		return;
	uint8_t frame[60];

	memset(frame, 0xff, 6); /* broadcast from a valid source */
	vnetif_mac(n->other, frame + 6);
	memset(frame + 12, 0, sizeof(frame) - 12);
	n->rc_write = vnetif_write(n->self, frame, sizeof(frame)); /* it may not send */
	n->rc_self = vnetif_disconnect(n->self, 0);
	n->rc_stop = vnetif_reader_stop(n->self);
	n->rc_destroy = vnetif_switch_destroy(n->sw);
	n->rc_other = vnetif_disconnect(n->other, 0); /* waits itself: completes */
}

START_TEST(test_control_calls_from_yield)
{
	struct vnetif_switch_config cfg;
	static struct nest_yield n;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;
	uint8_t mb[6];

	struct lt_disc d;
	struct lt_call call = {.fn = lt_disconnect_fn, .arg = &d};

	memset(&n, 0, sizeof(n));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = nest_yield_fn;
	cfg.yield_arg = &n;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	c = vt_connect(sw);
	n.sw = sw;
	n.self = b;
	n.other = c;
	vt_send(a, vt_mac(b, mb), 60, 0);
	atomic_store(&n.armed, 1);
	/* b has a frame on its ring and nobody reads: the flush waits (and yields) */
	d = (struct lt_disc){b, 50};
	ck_assert_int_eq(lt_bounded(&call), 0);
	ck_assert_int_eq(atomic_load(&n.armed), 0);
	ck_assert_int_eq(n.rc_write, -ENOTCONN);
	ck_assert_int_eq(n.rc_self, -EDEADLK);
	ck_assert_int_eq(n.rc_stop, -ENOTCONN);
	ck_assert_int_eq(n.rc_destroy, -EDEADLK);
	ck_assert_int_eq(n.rc_other, 0);
	ck_assert_int_eq(vnetif_mtu(c), -ENOTCONN);
	vt_teardown(sw);
}
END_TEST

/* A listener of switch B running inside a listener of switch A: control calls on A
 * (whose read side this thread is in) return -EDEADLK at once. */
struct nest_ctx {
	vnetif_switch *swa;
	vnetif_port *a_other, *b2;
	int rc_disc, rc_destroy, rc_stop;
	uint64_t ms;
	atomic_uint inner;
};

static void inner_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct nest_ctx *n = arg;
	uint64_t t0 = vt_now_ms();

	(void)port;
	(void)frame;
	(void)len;
	n->rc_disc = vnetif_disconnect(n->a_other, 0);
	n->rc_stop = vnetif_reader_stop(n->a_other);
	n->rc_destroy = vnetif_switch_destroy(n->swa);
	n->ms = vt_now_ms() - t0;
	atomic_fetch_add(&n->inner, 1);
}

static void outer_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct nest_ctx *n = arg;

	(void)port;
	(void)frame;
	(void)len;
	vnetif_poll(n->b2, 16); /* runs B's listener here */
}

START_TEST(test_nested_listener_two_switches)
{
	struct vnetif_switch_config cfg;
	static struct nest_ctx n;
	vnetif_switch *swa, *swb;
	vnetif_port *a1, *a2, *a3, *b1, *b2;
	uint8_t m[6];

	memset(&n, 0, sizeof(n));
	swa = vt_switch(NULL); /* sync */
	vt_config(&cfg);
	cfg.async_readers = true;
	swb = vt_switch(&cfg);
	a1 = vt_connect(swa);
	a2 = vt_connect(swa);
	a3 = vt_connect(swa);
	b1 = vt_connect(swb);
	b2 = vt_connect(swb);
	n.swa = swa;
	n.a_other = a3;
	n.b2 = b2;
	ck_assert_int_eq(vnetif_listen(b2, inner_listener, &n), 0);
	vt_send(b1, vt_mac(b2, m), 60, 0);
	ck_assert_int_eq(vnetif_listen(a2, outer_listener, &n), 0);
	vt_send(a1, vt_mac(a2, m), 60, 1);
	ck_assert_uint_eq(atomic_load(&n.inner), 1);
	ck_assert_int_eq(n.rc_disc, -EDEADLK);
	ck_assert_int_eq(n.rc_stop, -EDEADLK);
	ck_assert_int_eq(n.rc_destroy, -EDEADLK);
	ck_assert_uint_lt(n.ms, 500);
	ck_assert_int_eq(vnetif_mtu(a3), 1500); /* untouched */
	vt_teardown(swb);
	vt_teardown(swa);
}
END_TEST

/* A sync listener calls vnetif_switch_stats_get() while another thread disconnects an
 * unrelated port, whose grace period waits for that listener: neither waits for the
 * other. */
struct stats_listener_ctx {
	vnetif_switch *sw;
	struct lt_call *call;
	pthread_t thread;
	int create_rc;
	atomic_int disconnect_waiting;
	uint64_t stats_ms;
	int stats_rc;
};

static void waiting_yield(void *arg)
{
	struct stats_listener_ctx *s = arg;

	atomic_store(&s->disconnect_waiting, 1);
	usleep(50);
}

static void stats_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct stats_listener_ctx *s = arg;
	struct vnetif_switch_stats st;
	uint64_t t0;

	(void)port;
	(void)frame;
	(void)len;
	/* the disconnect starts while this listener runs: its grace period waits for us */
	s->create_rc = pthread_create(&s->thread, NULL, lt_call_main, s->call);
	VT_WAIT(atomic_load(&s->disconnect_waiting));
	t0 = vt_now_ms();
	s->stats_rc = vnetif_switch_stats_get(s->sw, &st);
	s->stats_ms = vt_now_ms() - t0;
}

START_TEST(test_sync_listener_stats_during_disconnect)
{
	struct vnetif_switch_config cfg;
	static struct stats_listener_ctx s;
	struct lt_disc d;
	struct lt_call c = {.fn = lt_disconnect_fn, .arg = &d};
	vnetif_switch *sw;
	vnetif_port *a, *b, *x;
	uint8_t mb[6];

	memset(&s, 0, sizeof(s));
	s.call = &c;
	vt_config(&cfg);
	cfg.yield = waiting_yield;
	cfg.yield_arg = &s;
	cfg.grace_timeout_ms = 3000;
	sw = vt_switch(&cfg);
	s.sw = sw;
	a = vt_connect(sw);
	b = vt_connect(sw);
	x = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, stats_listener, &s), 0);
	d = (struct lt_disc){x, 0};
	vt_send(a, vt_mac(b, mb), 60, 0);
	ck_assert_int_eq(s.create_rc, 0);
	ck_assert(VT_WAIT(atomic_load(&c.done)));
	pthread_join(s.thread, NULL);
	ck_assert_int_eq(s.stats_rc, 0);
	ck_assert_int_eq(c.rc, 0);
	ck_assert_uint_lt(s.stats_ms, 1000);
	vt_teardown(sw);
}
END_TEST

/* Two threads disconnect the same port at once: one does it, the other is told. */
static void *disc_thread(void *arg)
{
	struct lt_disc *d = arg;

	return (void *)(intptr_t)vnetif_disconnect(d->port, d->flush_ms);
}

START_TEST(test_concurrent_disconnects_same_port)
{
	struct vnetif_switch_config cfg;
	struct slow_ctx s = {.sleep_us = 0};
	vnetif_switch *sw;
	unsigned rounds = vt_scale(300);

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	for (unsigned r = 0; r < rounds; r++) {
		vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
		struct lt_disc d = {b, r % 2 ? 50 : 0};
		pthread_t t[2];
		void *rc[2];
		uint8_t mb[6];
		int ok = 0;

		ck_assert_int_eq(vnetif_listen(b, slow_listener, &s), 0);
		ck_assert_int_eq(vnetif_reader_start(b), 0);
		for (uint32_t i = 0; i < 8; i++)
			vt_send(a, vt_mac(b, mb), 60, i);
		for (int i = 0; i < 2; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL, disc_thread, &d), 0);
		for (int i = 0; i < 2; i++) {
			pthread_join(t[i], &rc[i]);
			int v = (int)(intptr_t)rc[i];

			ck_assert_msg(v == 0 || v == -EALREADY || v == -ENOTCONN, "rc %d", v);
			ok += v == 0;
		}
		ck_assert_int_eq(ok, 1);
		ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	}
	vt_teardown(sw);
}
END_TEST


/* A back-pressured writer's yield runs inside the datapath: control calls of that
 * switch that wait return -EDEADLK there; the datapath and stats work. */
struct bp_yield {
	vnetif_switch *sw;
	vnetif_port *other;
	atomic_int calls;
	int rc_disc, rc_destroy, rc_stats;
};

static void bp_yield_fn(void *arg)
{
	struct bp_yield *y = arg;
	struct vnetif_switch_stats st;

	if (atomic_fetch_add(&y->calls, 1) != 0)
		return;
	y->rc_disc = vnetif_disconnect(y->other, 0);
	y->rc_destroy = vnetif_switch_destroy(y->sw);
	y->rc_stats = vnetif_switch_stats_get(y->sw, &st);
}

START_TEST(test_control_calls_from_backpressure_yield)
{
	struct vnetif_switch_config cfg;
	static struct bp_yield y;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;
	uint8_t mb[6];

	memset(&y, 0, sizeof(y));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.ring_size = 64;
	cfg.full_policy = VNETIF_FULL_BACKPRESSURE;
	cfg.backpressure_retries = 3;
	cfg.yield = bp_yield_fn;
	cfg.yield_arg = &y;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	c = vt_connect(sw);
	y.sw = sw;
	y.other = c;
	vt_mac(b, mb);
	for (uint32_t i = 0; i < 65; i++)
		vt_send(a, mb, 60, i);
	ck_assert_int_eq(atomic_load(&y.calls), 3);
	ck_assert_int_eq(y.rc_disc, -EDEADLK);
	ck_assert_int_eq(y.rc_destroy, -EDEADLK);
	ck_assert_int_eq(y.rc_stats, 0);
	ck_assert_int_eq(vnetif_mtu(c), 1500);
	vt_drain(b);
	vt_teardown(sw);
}
END_TEST

/* A reader thread's yield calling control calls on its own port or switch: -EDEADLK
 * (they would join or free the calling thread). */
struct reader_yield {
	vnetif_switch *sw;
	vnetif_port *port;
	pthread_t main;
	atomic_int done;
	int rc_stop, rc_disc, rc_destroy;
};

static void reader_yield_fn(void *arg)
{
	struct reader_yield *r = arg;

	if (pthread_equal(pthread_self(), r->main) || atomic_load(&r->done))
		return;
	r->rc_stop = vnetif_reader_stop(r->port);
	r->rc_disc = vnetif_disconnect(r->port, 0);
	r->rc_destroy = vnetif_switch_destroy(r->sw);
	atomic_store(&r->done, 1);
}

START_TEST(test_control_calls_from_reader_yield)
{
	struct vnetif_switch_config cfg;
	static struct reader_yield r;
	atomic_uint got = 0;
	vnetif_switch *sw;
	vnetif_port *b;

	memset(&r, 0, sizeof(r));
	r.main = pthread_self();
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = reader_yield_fn;
	cfg.yield_arg = &r;
	sw = vt_switch(&cfg);
	(void)vt_connect(sw);
	b = vt_connect(sw);
	r.sw = sw;
	r.port = b;
	ck_assert_int_eq(vnetif_listen(b, lt_count_listener, &got), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	ck_assert(VT_WAIT(atomic_load(&r.done)));
	ck_assert_int_eq(r.rc_stop, -EDEADLK);
	ck_assert_int_eq(r.rc_disc, -EDEADLK);
	ck_assert_int_eq(r.rc_destroy, -EDEADLK);
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_teardown(sw);
}
END_TEST

/* While a disconnect waits: destroy from another thread is refused (-EBUSY), its slot
 * is not free yet (-ENOSPC), and vnetif_rx_burst still drains the flushing port. */
struct rx_yield {
	vnetif_port *port;
	atomic_uint drained;
	atomic_int armed;
	pthread_t main;
	vnetif_switch *sw;
	int rc_destroy_other_thread;
};

static void *destroy_main(void *arg)
{
	struct rx_yield *r = arg;

	r->rc_destroy_other_thread = vnetif_switch_destroy(r->sw);
	return NULL;
}

static void rx_yield_fn(void *arg)
{
	struct rx_yield *r = arg;
	struct rte_mbuf *pkts[8];
	pthread_t t;
	int n;

	if (!atomic_exchange(&r->armed, 0))
		return;
	pthread_create(&t, NULL, destroy_main, r);
	pthread_join(t, NULL);
	while ((n = vnetif_rx_burst(r->port, pkts, 8)) > 0) {
		rte_pktmbuf_free_bulk(pkts, (unsigned)n);
		atomic_fetch_add(&r->drained, (unsigned)n);
	}
}

START_TEST(test_flush_rx_burst_and_busy)
{
	struct vnetif_switch_config cfg;
	static struct rx_yield r;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c = NULL;
	uint8_t mb[6];

	memset(&r, 0, sizeof(r));
	vt_config(&cfg);
	cfg.max_ports = 2;
	cfg.yield = rx_yield_fn;
	cfg.yield_arg = &r;
	sw = vt_switch(&cfg); /* sync; b has no listener: frames stay on its ring */
	a = vt_connect(sw);
	b = vt_connect(sw);
	r.port = b;
	r.sw = sw;
	for (uint32_t i = 0; i < 5; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	atomic_store(&r.armed, 1);
	ck_assert_int_eq(vnetif_disconnect(b, 3000), 0);
	ck_assert_int_eq(r.rc_destroy_other_thread, -EBUSY);
	ck_assert_uint_eq(atomic_load(&r.drained), 5);
	ck_assert_uint_eq(vt_stats(b).rx_drop_disconnected, 0);
	ck_assert_int_eq(vnetif_connect(sw, NULL, &c), 0); /* the slot is free again */
	ck_assert_int_eq(vnetif_disconnect(c, 0), 0);
	vt_teardown(sw);
}
END_TEST

/* -ENOSPC while the slot of a port still being disconnected is held. */
static void enospc_yield(void *arg)
{
	struct rx_yield *r = arg;
	vnetif_port *p = NULL;

	if (atomic_exchange(&r->armed, 0))
		r->rc_destroy_other_thread = vnetif_connect(r->sw, NULL, &p);
}

START_TEST(test_connect_enospc_while_disconnecting)
{
	struct vnetif_switch_config cfg;
	static struct rx_yield r;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	memset(&r, 0, sizeof(r));
	vt_config(&cfg);
	cfg.max_ports = 2;
	cfg.yield = enospc_yield;
	cfg.yield_arg = &r;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	r.sw = sw;
	vt_send(a, vt_mac(b, mb), 60, 0);
	atomic_store(&r.armed, 1);
	ck_assert_int_eq(vnetif_disconnect(b, 20), 0); /* nobody reads: the flush waits */
	ck_assert_int_eq(r.rc_destroy_other_thread, -ENOSPC);
	vt_teardown(sw);
}
END_TEST

/* The event loop's vnetif_switch_poll() keeps delivering during a flush. */
struct sw_poller {
	vnetif_switch *sw;
	atomic_int go, stop;
};

static void *sw_poll_main(void *arg)
{
	struct sw_poller *p = arg;

	VT_WAIT(atomic_load(&p->go));
	while (!atomic_load(&p->stop))
		vnetif_switch_poll(p->sw, 64);
	return NULL;
}

static void sw_go_yield(void *arg)
{
	atomic_store(&((struct sw_poller *)arg)->go, 1);
}

START_TEST(test_flush_switch_poll_delivers_all)
{
	struct vnetif_switch_config cfg;
	static struct sw_poller p;
	atomic_uint delivered = 0;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	pthread_t t;
	uint8_t mb[6];

	memset(&p, 0, sizeof(p));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = sw_go_yield;
	cfg.yield_arg = &p;
	sw = vt_switch(&cfg);
	p.sw = sw;
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, lt_count_listener, &delivered), 0);
	for (uint32_t i = 0; i < 1000; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(pthread_create(&t, NULL, sw_poll_main, &p), 0);
	ck_assert_int_eq(vnetif_disconnect(b, 3000), 0);
	atomic_store(&p.stop, 1);
	pthread_join(t, NULL);
	ck_assert_uint_eq(atomic_load(&delivered), 1000);
	ck_assert_uint_eq(vt_stats(b).rx_drop_disconnected, 0);
	vt_teardown(sw);
}
END_TEST

/* --- item: the flush of a disconnect ------------------------------------------------ */

struct flush1k {
	struct vt_gate gate;
	atomic_uint delivered;
	atomic_int armed;
	pthread_t main;
};

static void flush1k_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct flush1k *f = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (atomic_load(&f->gate.entered) == 0)
		vt_gate_pass(&f->gate); /* held until the disconnect waits */
	atomic_fetch_add(&f->delivered, 1);
}

static void flush1k_yield(void *arg)
{
	struct flush1k *f = arg;

	if (pthread_equal(pthread_self(), f->main) && atomic_load(&f->armed))
		atomic_store(&f->gate.open, 1);
}

/* 1000 frames queued, a reader thread held in its listener: disconnect(b, 3000)
 * delivers all of them, counts none, and returns once the ring is empty. */
START_TEST(test_flush_reader_delivers_all)
{
	struct vnetif_switch_config cfg;
	static struct flush1k f;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];
	uint64_t t0, ms;

	memset(&f, 0, sizeof(f));
	f.main = pthread_self();
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = flush1k_yield;
	cfg.yield_arg = &f;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_listen(b, flush1k_listener, &f), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	vt_send(a, mb, 60, 0);
	ck_assert(VT_WAIT(atomic_load(&f.gate.entered) == 1));
	for (uint32_t i = 1; i < 1000; i++)
		vt_send(a, mb, 60, i);
	atomic_store(&f.armed, 1);
	t0 = vt_now_ms();
	ck_assert_int_eq(vnetif_disconnect(b, 3000), 0);
	ms = vt_now_ms() - t0;
	ck_assert_uint_eq(atomic_load(&f.delivered), 1000);
	ck_assert_uint_eq(vt_stats(b).rx_packets, 1000);
	ck_assert_uint_eq(vt_stats(b).rx_drop_disconnected, 0);
	ck_assert_msg(ms < 2000, "flush took %" PRIu64 " ms of 3000", ms);
	vt_teardown(sw);
}
END_TEST

/* The same with the application polling: vnetif_poll keeps delivering during the
 * flush and answers -ENOTCONN only once the port is gone. */
struct app_poller {
	vnetif_port *port;
	atomic_int go;
	atomic_uint other_errors;
	atomic_int finished;
};

static void *app_poll_main(void *arg)
{
	struct app_poller *p = arg;
	int rc;

	VT_WAIT(atomic_load(&p->go));
	while ((rc = vnetif_poll(p->port, 64)) >= 0 || rc == -ENOENT)
		if (rc == -ENOENT)
			atomic_fetch_add(&p->other_errors, 1);
	if (rc != -ENOTCONN)
		atomic_fetch_add(&p->other_errors, 1);
	atomic_store(&p->finished, 1);
	return NULL;
}

static void app_go_yield(void *arg)
{
	atomic_store(&((struct app_poller *)arg)->go, 1);
}

START_TEST(test_flush_app_poll_delivers_all)
{
	struct vnetif_switch_config cfg;
	static struct app_poller p;
	atomic_uint delivered = 0;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	pthread_t t;
	uint8_t mb[6];
	uint64_t t0, ms;

	memset(&p, 0, sizeof(p));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = app_go_yield; /* the poller starts once the disconnect waits */
	cfg.yield_arg = &p;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	p.port = b;
	ck_assert_int_eq(vnetif_listen(b, lt_count_listener, &delivered), 0);
	for (uint32_t i = 0; i < 1000; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(pthread_create(&t, NULL, app_poll_main, &p), 0);
	t0 = vt_now_ms();
	ck_assert_int_eq(vnetif_disconnect(b, 3000), 0);
	ms = vt_now_ms() - t0;
	pthread_join(t, NULL);
	ck_assert_uint_eq(atomic_load(&delivered), 1000);
	ck_assert_uint_eq(vt_stats(b).rx_drop_disconnected, 0);
	ck_assert_uint_eq(atomic_load(&p.other_errors), 0);
	ck_assert_msg(ms < 2000, "flush took %" PRIu64 " ms of 3000", ms);
	vt_teardown(sw);
}
END_TEST

/* A slow listener and a short flush: every frame is delivered or counted, exactly,
 * and the disconnect overruns its flush timeout by at most about one listener call. */
START_TEST(test_flush_slow_listener_exact)
{
	struct vnetif_switch_config cfg;
	struct slow_ctx s = {.sleep_us = 2000};
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct vnetif_stats sb;
	uint8_t mb[6];
	uint64_t t0, ms;

	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, slow_listener, &s), 0);
	for (uint32_t i = 0; i < 1000; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	t0 = vt_now_ms();
	ck_assert_int_eq(vnetif_disconnect(b, 100), 0);
	ms = vt_now_ms() - t0;
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_packets, 1000);
	ck_assert_uint_eq(atomic_load(&s.delivered) + sb.rx_drop_disconnected, 1000);
	ck_assert_uint_gt(sb.rx_drop_disconnected, 0);
	ck_assert_uint_gt(atomic_load(&s.delivered), 0);
	/* 100 ms + one 2 ms listener call, plus scheduling slack on a loaded machine */
	ck_assert_msg(ms < 600, "disconnect(100) took %" PRIu64 " ms", ms);
	vt_teardown(sw);
}
END_TEST

/* --- item: stale handles and churn --------------------------------------------------- */

static void lt_mbuf_listener(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)port;
	(void)arg;
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Every public call taking a port answers -ENOTCONN (NULL for vnetif_port_switch) on
 * @stale, and does nothing to @live, the port now in its slot. */
static void check_stale(vnetif_port *stale, vnetif_port *live)
{
	struct vnetif_stats st, before = vt_stats(live);
	struct rte_mbuf *m[1];
	struct iovec iov;
	uint8_t frame[60] = {0}, mac[6];
	atomic_uint n = 0;

	memset(frame, 0xff, 6);
	frame[6] = 0x02;
	iov = (struct iovec){frame, sizeof(frame)};
	ck_assert_int_eq(vnetif_mac(stale, mac), -ENOTCONN);
	ck_assert_int_eq(vnetif_mtu(stale), -ENOTCONN);
	ck_assert_int_eq(vnetif_set_mtu(stale, 1000), -ENOTCONN);
	ck_assert_ptr_null(vnetif_port_switch(stale));
	ck_assert_int_eq(vnetif_stats_get(stale, &st), -ENOTCONN);
	ck_assert_int_eq(vnetif_stats_reset(stale), -ENOTCONN);
	ck_assert_int_eq(vnetif_disconnect(stale, 0), -ENOTCONN);
	ck_assert_int_eq(vnetif_tx_burst(stale, m, 0), -ENOTCONN);
	ck_assert_int_eq(vnetif_rx_burst(stale, m, 1), -ENOTCONN);
	ck_assert_int_eq(vnetif_write(stale, frame, sizeof(frame)), -ENOTCONN);
	ck_assert_int_eq(vnetif_writev(stale, &iov, 1), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen(stale, lt_count_listener, &n), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen_mbuf(stale, lt_mbuf_listener, NULL), -ENOTCONN);
	ck_assert_int_eq(vnetif_listen(stale, NULL, NULL), -ENOTCONN);
	ck_assert_int_eq(vnetif_poll(stale, 8), -ENOTCONN);
	ck_assert_int_eq(vnetif_reader_start(stale), -ENOTCONN);
	ck_assert_int_eq(vnetif_reader_stop(stale), -ENOTCONN);
	if (live) {
		ck_assert_int_eq(vnetif_mtu(live), 1500);
		ck_assert_ptr_nonnull(vnetif_port_switch(live));
		st = vt_stats(live);
		ck_assert_uint_eq(st.tx_packets, before.tx_packets);
		ck_assert_int_eq(vnetif_poll(live, 8), -ENOENT); /* no listener was set */
	}
}

START_TEST(test_stale_handle_after_slot_reuse)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;
	struct vnetif_stats st;
	uint8_t mb[6], mc[6];

	vt_config(&cfg);
	cfg.max_ports = 2;
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	for (uint32_t i = 0; i < 3; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
	/* until its slot is reused, the final counters stay readable */
	ck_assert_int_eq(vnetif_stats_get(b, &st), 0);
	ck_assert_uint_eq(st.rx_drop_disconnected, 3);
	ck_assert_int_eq(vnetif_stats_reset(b), -ENOTCONN);
	ck_assert_ptr_null(vnetif_port_switch(b));
	c = vt_connect(sw); /* the only free slot: b's */
	ck_assert_ptr_ne(c, b);
	check_stale(b, c);
	/* c works, and frames reach it, not the stale handle */
	vt_send(a, vt_mac(c, mc), 60, 7);
	ck_assert_uint_eq(vt_drain(c), 1);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 3); /* b's drops outlive its slot */
	vt_teardown(sw);
}
END_TEST

static void churn(vnetif_switch *sw, unsigned cycles, bool with_listener)
{
	atomic_uint n = 0;

	for (unsigned i = 0; i < cycles; i++) {
		vnetif_port *p = vt_connect(sw);

		if (with_listener)
			ck_assert_int_eq(vnetif_listen(p, lt_count_listener, &n), 0);
		ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	}
}

/* 20,000 connect/disconnect cycles keep DPDK heap and RSS flat; a handle from before
 * still gets -ENOTCONN. */
START_TEST(test_churn_constant_memory)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *old = vt_connect(sw), *live;
	unsigned cycles = vt_scale(20000);
	size_t heap0, rss0, heap1, rss1;
	uint64_t t0, t_first, t_last;

	ck_assert_int_eq(vnetif_disconnect(old, 0), 0);
	churn(sw, 1000, true); /* warm up: every slot's ring name and memzone once */
	heap0 = lt_heap_bytes();
	rss0 = lt_rss_bytes();
	t0 = vt_now_ms();
	churn(sw, 1000, true);
	t_first = vt_now_ms() - t0;
	churn(sw, cycles > 2000 ? cycles - 2000 : 0, true);
	t0 = vt_now_ms();
	churn(sw, 1000, true);
	t_last = vt_now_ms() - t0;
	heap1 = lt_heap_bytes();
	rss1 = lt_rss_bytes();
	printf("churn: %u cycles, DPDK heap %zu -> %zu bytes, RSS %zu -> %zu KiB, "
	       "1000 cycles first %" PRIu64 " ms last %" PRIu64 " ms\n",
	       cycles + 2000, heap0, heap1, rss0 / 1024, rss1 / 1024, t_first, t_last);
	ck_assert_msg(heap1 <= heap0 + 4096, "DPDK heap grew %zd bytes", (ssize_t)(heap1 - heap0));
	if (!LT_SANITIZED)
		ck_assert_msg(rss1 <= rss0 + 1024 * 1024, "RSS grew %zd KiB",
			      (ssize_t)(rss1 - rss0) / 1024);
	live = vt_connect(sw);
	check_stale(old, live);
	ck_assert_int_eq(vnetif_disconnect(live, 0), 0);
	ck_assert_int_eq(vt_sw_stats(sw).ports, 1);
	ck_assert_int_eq(vnetif_mtu(a), 1500);
	vt_teardown(sw);
}
END_TEST

/* --- item: replaced listeners ------------------------------------------------------- */

static void listener_a(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	lt_count_listener(port, frame, len, arg);
}

static void listener_b(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	lt_count_listener(port, frame, len, arg);
}

/* 10^6 vnetif_listen calls on one port keep memory bounded. */
START_TEST(test_listen_replace_bounded)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw);
	unsigned calls = LT_SANITIZED ? 20000 : 1000000;
	atomic_uint n = 0;
	size_t used0, used1;

	for (unsigned i = 0; i < 1000; i++)
		ck_assert_int_eq(vnetif_listen(a, i % 2 ? listener_a : listener_b, &n), 0);
	used0 = mallinfo2().uordblks;
	for (unsigned i = 0; i < calls; i++)
		ck_assert_int_eq(vnetif_listen(a, i % 2 ? listener_a : listener_b, &n), 0);
	used1 = mallinfo2().uordblks;
	printf("listen: %u replacements, malloc in use %zu -> %zu bytes\n", calls, used0, used1);
	if (!LT_SANITIZED)
		ck_assert_msg(used1 <= used0 + 64 * 1024, "malloc grew %zd bytes",
			      (ssize_t)(used1 - used0));
	vt_teardown(sw);
}
END_TEST

/* Listeners replaced while a thread polls and another writes: the one being replaced
 * finishes its call (ASan reports any use of a freed listener). */
struct replace_ctx {
	vnetif_port *tx, *rx;
	uint8_t to[6];
	atomic_int stop;
	atomic_uint polled;
};

static void *replace_writer(void *arg)
{
	struct replace_ctx *r = arg;
	uint8_t src[6];
	uint32_t seq = 0;

	vt_mac(r->tx, src);
	while (!atomic_load(&r->stop))
		if (vt_write(r->tx, r->to, src, 60, seq++) != 0)
			usleep(10);
	return NULL;
}

static void *replace_poller(void *arg)
{
	struct replace_ctx *r = arg;

	while (!atomic_load(&r->stop)) {
		int n = vnetif_poll(r->rx, 32);

		if (n > 0)
			atomic_fetch_add(&r->polled, (unsigned)n);
	}
	return NULL;
}

START_TEST(test_listen_replace_while_polling)
{
	struct vnetif_switch_config cfg;
	static struct replace_ctx r;
	atomic_uint n = 0;
	vnetif_switch *sw;
	pthread_t tw, tp;
	unsigned rounds = vt_scale(100000);

	memset(&r, 0, sizeof(r));
	vt_config(&cfg);
	cfg.async_readers = true;
	sw = vt_switch(&cfg);
	r.tx = vt_connect(sw);
	r.rx = vt_connect(sw);
	vt_mac(r.rx, r.to);
	ck_assert_int_eq(vnetif_listen(r.rx, listener_a, &n), 0);
	ck_assert_int_eq(pthread_create(&tw, NULL, replace_writer, &r), 0);
	ck_assert_int_eq(pthread_create(&tp, NULL, replace_poller, &r), 0);
	for (unsigned i = 0; i < rounds; i++)
		ck_assert_int_eq(vnetif_listen(r.rx, i % 2 ? listener_a : listener_b, &n), 0);
	atomic_store(&r.stop, 1);
	pthread_join(tw, NULL);
	pthread_join(tp, NULL);
	ck_assert_uint_eq(atomic_load(&n), atomic_load(&r.polled));
	ck_assert_uint_gt(atomic_load(&n), 0);
	vt_drain(r.rx); /* frames nobody polled (poll-free end) */
	ck_assert_int_eq(vnetif_listen(r.rx, NULL, NULL), 0);
	vt_drain(r.rx);
	vt_teardown(sw);
}
END_TEST

/* --- item: the yield function, where it is called ------------------------------------ */

static void count_yield(void *arg)
{
	atomic_fetch_add((atomic_uint *)arg, 1);
}

/* A back-pressured writer calls yield once before each retry of a full ring. */
START_TEST(test_yield_backpressure_exact)
{
	struct vnetif_switch_config cfg;
	atomic_uint yields = 0;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.ring_size = 64;
	cfg.full_policy = VNETIF_FULL_BACKPRESSURE;
	cfg.backpressure_retries = 7;
	cfg.yield = count_yield;
	cfg.yield_arg = &yields;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(b, mb);
	for (uint32_t i = 0; i < 64; i++)
		vt_send(a, mb, 60, i);
	ck_assert_uint_eq(atomic_load(&yields), 0);
	vt_send(a, mb, 60, 64); /* ring full: 7 retries, each after a yield */
	ck_assert_uint_eq(atomic_load(&yields), 7);
	ck_assert_uint_eq(vt_stats(b).rx_drop_ring_full, 1);
	vt_drain(b);
	vt_teardown(sw);
}
END_TEST

/* An idle reader thread calls yield (and only then frames wake it). */
START_TEST(test_yield_reader_idle)
{
	struct vnetif_switch_config cfg;
	atomic_uint yields = 0, got = 0;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = count_yield;
	cfg.yield_arg = &yields;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, lt_count_listener, &got), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	ck_assert(VT_WAIT(atomic_load(&yields) > 100));
	vt_send(a, vt_mac(b, mb), 60, 0);
	ck_assert(VT_WAIT(atomic_load(&got) == 1));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_teardown(sw);
}
END_TEST

static Suite *lifecycle_suite(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc;

	tc = vt_tcase("yield_and_control");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_yield_reads_switch_stats);
	tcase_add_test(tc, test_control_calls_from_yield);
	tcase_add_test(tc, test_nested_listener_two_switches);
	tcase_add_test(tc, test_sync_listener_stats_during_disconnect);
	tcase_add_test(tc, test_concurrent_disconnects_same_port);
	tcase_add_test(tc, test_control_calls_from_backpressure_yield);
	tcase_add_test(tc, test_control_calls_from_reader_yield);
	tcase_add_test(tc, test_connect_enospc_while_disconnecting);
	tcase_add_test(tc, test_yield_backpressure_exact);
	tcase_add_test(tc, test_yield_reader_idle);
	suite_add_tcase(s, tc);

	tc = vt_tcase("flush");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_flush_reader_delivers_all);
	tcase_add_test(tc, test_flush_app_poll_delivers_all);
	tcase_add_test(tc, test_flush_slow_listener_exact);
	tcase_add_test(tc, test_flush_rx_burst_and_busy);
	tcase_add_test(tc, test_flush_switch_poll_delivers_all);
	suite_add_tcase(s, tc);

	tc = vt_tcase("handles_and_memory");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_stale_handle_after_slot_reuse);
	tcase_add_test(tc, test_churn_constant_memory);
	tcase_add_test(tc, test_listen_replace_bounded);
	tcase_add_test(tc, test_listen_replace_while_polling);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(lifecycle_suite());
}
