/* SPDX-License-Identifier: BSD-3-Clause */
/* Delivery: sync and async modes, re-entrant writes, polling, reader threads, yield,
 * full rings, mbuf listeners, MTU and the copying calls. */
#define _GNU_SOURCE /* CPU affinity */
#include <sched.h>
#include <sys/uio.h>

#include "vnetif_test.h"

Suite *delivery_suite(void);

static vnetif_switch *make_switch(bool async)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.async_readers = async;
	return vt_switch(&cfg);
}

/* --- sync mode -------------------------------------------------------------------- */

START_TEST(test_sync_listener_runs_before_write_returns)
{
	struct vt_rig r = vt_rig_async(false, "-c");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *ma = r.mac[0], *mb = r.mac[1];

	for (uint32_t i = 0; i < 5; i++) {
		vt_send(a, mb, 60 + i, i);
		/* right after the write: the listener ran, in this thread */
		ck_assert_uint_eq(vt_cap_frames(cap), i + 1);
		ck_assert(pthread_equal(cap->rec[i].thread, pthread_self()));
		ck_assert_uint_eq(cap->rec[i].len, 60 + i);
		ck_assert(vt_frame_ok(cap->rec[i].data, 60 + i, mb, ma, i));
	}
	ck_assert_ptr_eq(cap->port, b);
	ck_assert_uint_eq(vt_drain(b), 0); /* nothing on the ring */
	ck_assert_uint_eq(vt_stats(b).rx_packets, 5);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_sync_flood_all_listeners_ran)
{
	struct vt_rig r = vt_rig_async(false, "cccc");
	vnetif_port **p = r.port;
	struct vt_cap **cap = r.cap;

	vt_send(p[0], VT_BCAST, 100, 1);
	ck_assert_uint_eq(vt_cap_frames(cap[0]), 0);
	for (int i = 1; i < 4; i++) {
		ck_assert_uint_eq(vt_cap_frames(cap[i]), 1);
		ck_assert_ptr_eq(cap[i]->port, p[i]);
	}
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_listener_replace_and_remove)
{
	struct vt_rig r = vt_rig_async(false, "--");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *c1 = vt_cap_new(), *c2 = vt_cap_new();
	uint8_t mb[6];

	vt_mac(b, mb);
	ck_assert_int_eq(vnetif_listen(b, vt_cap_listen, c1), 0);
	vt_send(a, mb, 60, 1);
	ck_assert_int_eq(vnetif_listen(b, vt_cap_listen, c2), 0);
	vt_send(a, mb, 60, 2);
	ck_assert_int_eq(vnetif_listen_mbuf(b, vt_cap_listen_mbuf, c1), 0);
	vt_send(a, mb, 60, 3);
	ck_assert_int_eq(vnetif_listen(b, NULL, NULL), 0);
	vt_send(a, mb, 60, 4);
	ck_assert_uint_eq(vt_cap_frames(c1), 2);
	ck_assert_uint_eq(vt_cap_frames(c2), 1);
	ck_assert_uint_eq(vt_seq(c2->rec[0].data, c2->rec[0].len), 2);
	ck_assert_uint_eq(vt_seq(c1->rec[1].data, c1->rec[1].len), 3);
	/* without a listener the frame waits on the ring */
	ck_assert_uint_eq(vt_drain(b), 1);
	/* an mbuf listener can be removed too */
	ck_assert_int_eq(vnetif_listen_mbuf(b, vt_cap_listen_mbuf, c1), 0);
	ck_assert_int_eq(vnetif_listen_mbuf(b, NULL, NULL), 0);
	vt_send(a, mb, 60, 5);
	ck_assert_uint_eq(vt_cap_frames(c1), 2);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_cap_free(c1);
	vt_cap_free(c2);
	vt_rig_down(&r);
}
END_TEST

/* --- re-entrant writes ------------------------------------------------------------ */

#define PING_ROUNDS 5000u

struct pingpong {
	vnetif_port *port[2];
	uint8_t mac[2][6];
	unsigned calls;
	unsigned depth, max_depth;
	uint32_t next_seq;
	unsigned bad;
	uintptr_t sp_min, sp_max;
};

static void ping_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct pingpong *pp = arg;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	int me = port == pp->port[0] ? 0 : 1;
	uint32_t seq = vt_seq(frame, len);

	if (++pp->depth > pp->max_depth)
		pp->max_depth = pp->depth;
	if (pp->sp_min == 0 || sp < pp->sp_min)
		pp->sp_min = sp;
	if (sp > pp->sp_max)
		pp->sp_max = sp;
	pp->calls++;
	if (seq != pp->next_seq || !vt_frame_ok(frame, len, pp->mac[me], pp->mac[1 - me], seq))
		pp->bad++;
	pp->next_seq = seq + 1;
	if (seq < PING_ROUNDS &&
	    vt_write(port, pp->mac[1 - me], pp->mac[me], 64, seq + 1) != 0)
		pp->bad++;
	pp->depth--;
}

/*
 * Two ports answer each other from their listeners, PING_ROUNDS times. The outermost
 * write delivers every round before returning, listeners never nest, and the stack
 * does not grow with the rounds.
 */
START_TEST(test_reentrant_ping_pong)
{
	vnetif_switch *sw = make_switch(false);
	struct pingpong pp;

	memset(&pp, 0, sizeof(pp));
	for (int i = 0; i < 2; i++) {
		pp.port[i] = vt_connect(sw);
		vt_mac(pp.port[i], pp.mac[i]);
		ck_assert_int_eq(vnetif_listen(pp.port[i], ping_listener, &pp), 0);
	}
	ck_assert_int_eq(vt_write(pp.port[0], pp.mac[1], pp.mac[0], 64, 0), 0);
	ck_assert_uint_eq(pp.calls, PING_ROUNDS + 1);
	ck_assert_uint_eq(pp.bad, 0);
	ck_assert_uint_eq(pp.max_depth, 1);
	ck_assert_uint_eq(pp.depth, 0);
	ck_assert_msg(pp.sp_max - pp.sp_min < 32 * 1024, "listener stack moved by %zu bytes",
		      (size_t)(pp.sp_max - pp.sp_min));
	ck_assert_uint_eq(vt_stats(pp.port[0]).tx_drop_reentry, 0);
	ck_assert_uint_eq(vt_stats(pp.port[1]).rx_packets, PING_ROUNDS / 2 + 1);
	vt_teardown(sw);
}
END_TEST

struct burst_from_listener {
	vnetif_port *to_c_from; /* b */
	uint8_t mac_b[6], mac_c[6];
	unsigned n, ok;
	bool done;
	uint32_t next_seq;
	unsigned c_calls, c_bad;
};

static void burst_b_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct burst_from_listener *x = arg;

	(void)frame;
	(void)len;
	if (x->done)
		return;
	x->done = true;
	for (uint32_t i = 0; i < x->n; i++)
		if (vt_write(port, x->mac_c, x->mac_b, 60, i) == 0)
			x->ok++;
	/* nothing was delivered while this listener runs */
	if (x->c_calls != 0)
		x->c_bad++;
}

static void burst_c_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct burst_from_listener *x = arg;

	(void)port;
	if (vt_seq(frame, len) != x->next_seq++)
		x->c_bad++;
	x->c_calls++;
}

/* A listener's writes wait, in order; beyond VNETIF_REENTRY_DEPTH they are dropped and
 * counted (tx_drop_reentry on the writing port). */
START_TEST(test_reentrant_queue_order_and_limit)
{
	struct vt_rig r = vt_rig_async(false, "---");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1], *c = r.port[2];
	struct burst_from_listener x;
	struct vnetif_stats sb;

	memset(&x, 0, sizeof(x));
	x.n = VNETIF_REENTRY_DEPTH + 88;
	vt_mac(b, x.mac_b);
	vt_mac(c, x.mac_c);
	ck_assert_int_eq(vnetif_listen(b, burst_b_listener, &x), 0);
	ck_assert_int_eq(vnetif_listen(c, burst_c_listener, &x), 0);
	vt_send(a, x.mac_b, 60, 0);
	ck_assert(x.done);
	ck_assert_uint_ge(x.ok, VNETIF_REENTRY_DEPTH);
	ck_assert_uint_eq(x.c_bad, 0);
	ck_assert_uint_eq(x.c_calls, VNETIF_REENTRY_DEPTH);
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.tx_drop_reentry, 88);
	ck_assert_uint_eq(vt_stats(c).rx_packets, VNETIF_REENTRY_DEPTH);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 88);
	/* the queue is empty again: the next round delivers as the first did */
	x.done = false;
	x.ok = 0;
	x.n = 10;
	x.next_seq = 0;
	x.c_calls = 0;
	vt_send(a, x.mac_b, 60, 1);
	ck_assert_uint_eq(x.c_calls, 10);
	ck_assert_uint_eq(x.c_bad, 0);
	vt_rig_down(&r);
}
END_TEST

/* Control calls from inside a listener of the switch: -EDEADLK, nothing changed. */
struct deadlk_ctx {
	vnetif_switch *sw;
	vnetif_port *other;
	atomic_int disc_self, disc_other, stop_self, stop_other, destroy;
	atomic_uint calls;
};

static void deadlk_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct deadlk_ctx *d = arg;

	(void)frame;
	(void)len;
	atomic_store(&d->disc_self, vnetif_disconnect(port, 0));
	atomic_store(&d->disc_other, vnetif_disconnect(d->other, 0));
	atomic_store(&d->stop_self, vnetif_reader_stop(port));
	atomic_store(&d->stop_other, vnetif_reader_stop(d->other));
	atomic_store(&d->destroy, vnetif_switch_destroy(d->sw));
	atomic_fetch_add(&d->calls, 1);
}

static void deadlk_check(struct deadlk_ctx *d, bool readers)
{
	ck_assert_int_eq(atomic_load(&d->disc_self), -EDEADLK);
	ck_assert_int_eq(atomic_load(&d->disc_other), -EDEADLK);
	ck_assert_int_eq(atomic_load(&d->destroy), -EDEADLK);
	if (readers) {
		ck_assert_int_eq(atomic_load(&d->stop_self), -EDEADLK);
		ck_assert_int_eq(atomic_load(&d->stop_other), -EDEADLK);
	}
}

START_TEST(test_sync_control_calls_from_listener)
{
	struct vt_rig r = vt_rig_async(false, "---");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1], *c = r.port[2];
	struct deadlk_ctx d;
	uint8_t mb[6];

	memset(&d, 0, sizeof(d));
	d.sw = sw;
	d.other = c;
	ck_assert_int_eq(vnetif_listen(b, deadlk_listener, &d), 0);
	vt_send(a, vt_mac(b, mb), 60, 1);
	ck_assert_uint_eq(atomic_load(&d.calls), 1);
	deadlk_check(&d, false);
	/* the failed calls changed nothing */
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 3);
	vt_send(a, mb, 60, 2);
	ck_assert_uint_eq(atomic_load(&d.calls), 2);
	vt_send(a, VT_BCAST, 60, 3);
	ck_assert_uint_eq(atomic_load(&d.calls), 3);
	ck_assert_uint_eq(vt_drain(c), 1);
	vt_rig_down(&r);
}
END_TEST

static void count_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add((atomic_uint *)arg, 1);
}

START_TEST(test_async_control_calls_from_reader)
{
	struct vt_rig r = vt_rig_async(true, "---");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1], *c = r.port[2];
	struct deadlk_ctx d;
	atomic_uint c_got = 0;
	uint8_t mb[6], mc[6];

	memset(&d, 0, sizeof(d));
	d.sw = sw;
	d.other = c;
	ck_assert_int_eq(vnetif_listen(b, deadlk_listener, &d), 0);
	ck_assert_int_eq(vnetif_listen(c, count_listener, &c_got), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	ck_assert_int_eq(vnetif_reader_start(c), 0);
	vt_send(a, vt_mac(b, mb), 60, 1);
	ck_assert(VT_WAIT(atomic_load(&d.calls) == 1));
	deadlk_check(&d, true);
	/* both readers still run */
	vt_send(a, mb, 60, 2);
	vt_send(a, vt_mac(c, mc), 60, 3);
	ck_assert(VT_WAIT(atomic_load(&d.calls) == 2));
	ck_assert(VT_WAIT(atomic_load(&c_got) == 1));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	ck_assert_int_eq(vnetif_reader_stop(c), 0);
	vt_rig_down(&r);
}
END_TEST

/* --- async mode: poll ------------------------------------------------------------- */

START_TEST(test_async_write_returns_before_delivery)
{
	struct vt_rig r = vt_rig_async(true, "-c");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *ma = r.mac[0], *mb = r.mac[1];

	vt_send(a, mb, 80, 1);
	ck_assert_uint_eq(vt_cap_frames(cap), 0);
	ck_assert_uint_eq(vt_stats(b).rx_packets, 1); /* on its ring */
	ck_assert_int_eq(vnetif_poll(b, 32), 1);
	ck_assert_uint_eq(vt_cap_frames(cap), 1);
	ck_assert(pthread_equal(cap->rec[0].thread, pthread_self()));
	ck_assert(vt_frame_ok(cap->rec[0].data, cap->rec[0].len, mb, ma, 1));
	ck_assert_int_eq(vnetif_poll(b, 32), 0);
	/* a flood is queued for every destination as well */
	vt_send(b, VT_BCAST, 60, 2);
	ck_assert_int_eq(vnetif_poll(b, 32), 0);
	ck_assert_uint_eq(vt_drain(a), 1);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_async_poll_budget_and_order)
{
	struct vt_rig r = vt_rig_async(true, "-c");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cap = r.cap[1];

	for (uint32_t i = 0; i < 10; i++)
		vt_send(a, r.mac[1], 60, i);
	ck_assert_int_eq(vnetif_poll(b, 4), 4);
	ck_assert_int_eq(vnetif_poll(b, 4), 4);
	ck_assert_int_eq(vnetif_poll(b, 4), 2);
	ck_assert_int_eq(vnetif_poll(b, 4), 0);
	ck_assert_uint_eq(vt_cap_frames(cap), 10);
	for (unsigned i = 0; i < 10; i++)
		ck_assert_uint_eq(vt_seq(cap->rec[i].data, cap->rec[i].len), i);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_async_poll_without_listener)
{
	struct vt_rig r = vt_rig_async(true, "--");
	vnetif_port *a = r.port[0], *b = r.port[1];

	vt_send(a, r.mac[1], 60, 1);
	ck_assert_int_eq(vnetif_poll(b, 32), -ENOENT);
	ck_assert_int_eq(vnetif_reader_start(b), -ENOENT);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_async_switch_poll)
{
	struct vt_rig r = vt_rig_async(true, "-cm-");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *d = r.port[3];
	struct vt_cap *cb = r.cap[1], *cc = r.cap[2];
	const uint8_t *mb = r.mac[1], *mc = r.mac[2], *md = r.mac[3];

	for (uint32_t i = 0; i < 5; i++)
		vt_send(a, mb, 60, i);
	for (uint32_t i = 0; i < 3; i++)
		vt_send(a, mc, 60, i);
	for (uint32_t i = 0; i < 2; i++)
		vt_send(a, md, 60, i);
	ck_assert_int_eq(vnetif_switch_poll(sw, 32), 8);
	ck_assert_uint_eq(vt_cap_frames(cb), 5);
	ck_assert_uint_eq(vt_cap_frames(cc), 3);
	ck_assert_int_eq(vnetif_switch_poll(sw, 32), 0);
	ck_assert_uint_eq(vt_drain(d), 2); /* no listener: left for rx_burst */

	/* the budget is per port */
	for (uint32_t i = 0; i < 10; i++) {
		vt_send(a, mb, 60, i);
		vt_send(a, mc, 60, i);
	}
	ck_assert_int_eq(vnetif_switch_poll(sw, 3), 6);
	ck_assert_int_eq(vnetif_switch_poll(sw, 100), 14);
	ck_assert_uint_eq(vt_cap_frames(cb), 15);
	ck_assert_uint_eq(vt_cap_frames(cc), 13);
	vt_rig_down(&r);
}
END_TEST

struct poll_thread {
	vnetif_port *port;
	struct vt_gate gate;
	atomic_uint delivered;
	int rc;
};

static void gated_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct poll_thread *pt = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (atomic_load(&pt->gate.entered) == 0)
		vt_gate_pass(&pt->gate);
	atomic_fetch_add(&pt->delivered, 1);
}

static void *poll_one(void *arg)
{
	struct poll_thread *pt = arg;

	pt->rc = vnetif_poll(pt->port, 1);
	return NULL;
}

/* Async: a port's listener never runs in two threads at once; poll is exclusive. */
START_TEST(test_async_poll_exclusive)
{
	struct vt_rig r = vt_rig_async(true, "--");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1];
	static struct poll_thread pt;
	pthread_t t;
	uint8_t mb[6];
	bool entered;
	int rc1, rc2;
	unsigned delivered;

	memset(&pt, 0, sizeof(pt));
	pt.port = b;
	ck_assert_int_eq(vnetif_listen(b, gated_listener, &pt), 0);
	for (uint32_t i = 0; i < 6; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert_int_eq(pthread_create(&t, NULL, poll_one, &pt), 0);
	entered = VT_WAIT(atomic_load(&pt.gate.entered) == 1);
	rc1 = vnetif_poll(b, 32);
	rc2 = vnetif_switch_poll(sw, 32);
	delivered = atomic_load(&pt.delivered);
	atomic_store(&pt.gate.open, 1); /* release the thread before asserting anything */
	pthread_join(t, NULL);
	ck_assert(entered);
	ck_assert_int_eq(rc1, 0);
	ck_assert_int_eq(rc2, 0);
	ck_assert_uint_eq(delivered, 0);
	ck_assert_int_eq(pt.rc, 1);
	ck_assert_int_eq(vnetif_poll(b, 32), 5);
	ck_assert_uint_eq(atomic_load(&pt.delivered), 6);
	vt_rig_down(&r);
}
END_TEST

/* Async: vnetif_switch_poll() leaves ports with a reader thread to that thread. */
START_TEST(test_switch_poll_skips_reader_ports)
{
	struct vt_rig r = vt_rig_async(true, "-cc");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cb = r.cap[1], *cc = r.cap[2];
	const uint8_t *mb = r.mac[1], *mc = r.mac[2];

	ck_assert_int_eq(vnetif_reader_start(b), 0);
	for (uint32_t i = 0; i < 50; i++) {
		vt_send(a, mb, 60, i);
		vt_send(a, mc, 60, i);
		ck_assert_int_ge(vnetif_switch_poll(sw, 8), 0);
	}
	ck_assert(VT_WAIT(vnetif_switch_poll(sw, 64) >= 0 && vt_cap_frames(cb) == 50 &&
			  vt_cap_frames(cc) == 50));
	for (unsigned i = 0; i < cb->stored; i++)
		ck_assert_msg(!pthread_equal(cb->rec[i].thread, pthread_self()),
			      "frame %u of a reader port delivered by vnetif_switch_poll", i);
	for (unsigned i = 0; i < cc->stored; i++)
		ck_assert(pthread_equal(cc->rec[i].thread, pthread_self()));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_rig_down(&r);
}
END_TEST

struct async_ping {
	vnetif_port *port[2];
	uint8_t mac[2][6];
	atomic_uint calls, bad;
};

static void async_ping_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct async_ping *ap = arg;
	int me = port == ap->port[0] ? 0 : 1;
	uint32_t seq = vt_seq(frame, len);

	atomic_fetch_add(&ap->calls, 1);
	if (seq < PING_ROUNDS / 5 &&
	    vt_write(port, ap->mac[1 - me], ap->mac[me], 64, seq + 1) != 0)
		atomic_fetch_add(&ap->bad, 1);
}

/* Async: listeners in reader threads write back; every round arrives. */
START_TEST(test_async_ping_pong_readers)
{
	vnetif_switch *sw = make_switch(true);
	struct async_ping ap;

	memset(&ap, 0, sizeof(ap));
	for (int i = 0; i < 2; i++) {
		ap.port[i] = vt_connect(sw);
		vt_mac(ap.port[i], ap.mac[i]);
		ck_assert_int_eq(vnetif_listen(ap.port[i], async_ping_listener, &ap), 0);
		ck_assert_int_eq(vnetif_reader_start(ap.port[i]), 0);
	}
	ck_assert_int_eq(vt_write(ap.port[0], ap.mac[1], ap.mac[0], 64, 0), 0);
	ck_assert(VT_WAIT(atomic_load(&ap.calls) == PING_ROUNDS / 5 + 1));
	ck_assert_uint_eq(atomic_load(&ap.bad), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(vnetif_reader_stop(ap.port[i]), 0);
	ck_assert_uint_eq(atomic_load(&ap.calls), PING_ROUNDS / 5 + 1);
	vt_teardown(sw);
}
END_TEST

/* --- async mode: reader threads and yield ----------------------------------------- */

START_TEST(test_reader_thread_delivers)
{
	struct vt_rig r = vt_rig_async(true, "-c");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *mb = r.mac[1];

	ck_assert_int_eq(vnetif_reader_start(b), 0);
	ck_assert_int_eq(vnetif_reader_start(b), -EALREADY);
	for (uint32_t i = 0; i < 100; i++)
		vt_send(a, mb, 60, i);
	ck_assert(VT_WAIT(vt_cap_frames(cap) == 100));
	for (unsigned i = 0; i < VT_CAP_FRAMES; i++) {
		ck_assert(!pthread_equal(cap->rec[i].thread, pthread_self()));
		ck_assert_uint_eq(vt_seq(cap->rec[i].data, cap->rec[i].len), i);
	}
	vt_send(a, mb, 60, 100);
	ck_assert(VT_WAIT(vt_cap_frames(cap) == 101));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	ck_assert_int_eq(vnetif_reader_stop(b), -ENOENT);
	/* stopped: frames wait for a poll */
	vt_send(a, mb, 60, 101);
	ck_assert_int_eq(vnetif_poll(b, 32), 1);
	ck_assert_uint_eq(vt_cap_frames(cap), 102);
	/* and it can start again */
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	vt_send(a, mb, 60, 102);
	ck_assert(VT_WAIT(vt_cap_frames(cap) == 103));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_rig_down(&r);
}
END_TEST

struct gate {
	atomic_int inside;  /* the listener is running */
	atomic_int release; /* let it return */
	atomic_int left;    /* times it returned */
};

static void gate_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct gate *g = arg;

	(void)port;
	(void)frame;
	(void)len;
	atomic_store(&g->inside, 1);
	while (!atomic_load(&g->release))
		usleep(100);
	atomic_fetch_add(&g->left, 1);
}

/* Threads that keep one CPU busy until told to stop. */
#define HOGS 3
struct hogs {
	atomic_int stop;
	unsigned cpu;
	pthread_t t[HOGS];
};

static void *hog_main(void *arg)
{
	struct hogs *h = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(h->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		;
	return NULL;
}

/* One frame into the gate listener: vnetif_reader_awake() while the reader is inside,
 * then the reader is let go and given 2 ms to go idle (spins, then a yield). */
static int awake_in_listener(struct vt_rig *r, struct gate *g, int i)
{
	int awake, left = atomic_load(&g->left);

	atomic_store(&g->release, 0);
	atomic_store(&g->inside, 0);
	vt_send(r->port[0], r->mac[1], 60, i);
	ck_assert_msg(VT_WAIT(atomic_load(&g->inside) == 1), "frame %d not taken", i);
	awake = vnetif_reader_awake(r->port[1]);
	atomic_store(&g->release, 1);
	ck_assert(VT_WAIT(atomic_load(&g->left) == left + 1));
	usleep(2000);
	return awake;
}

/* awake_in_listener() for up to 200 frames (numbered from @first) until it gives @want;
 * returns the last answer. */
static int awake_until(struct vt_rig *r, struct gate *g, int want, int first)
{
	int awake = -1;

	for (int i = 0; i < 200 && awake != want; i++)
		awake = awake_in_listener(r, g, first + i);
	return awake;
}

/* vnetif_reader_awake(): 0 without a reader and while it sleeps, 1 while it works (here:
 * inside a listener that waits for the test), errors for bad and departed handles. A
 * reader counts as awake only while its CPU is not crowded (the next test): on a busy
 * machine (other suites running beside this one) a frame may find it crowded, so it gets
 * up to 200 frames to be seen awake. */
START_TEST(test_reader_awake_reports_state)
{
	struct vt_rig r = vt_rig_async(true, "--");
	vnetif_port *b = r.port[1], *c = vt_connect(r.sw);
	struct gate g;
	int awake;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(vnetif_listen(b, gate_listener, &g), 0);
	ck_assert_int_eq(vnetif_reader_awake(b), 0); /* no reader */
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	/* idle, without a yield function: it ends up asleep on its futex */
	ck_assert(VT_WAIT(vnetif_reader_awake(b) == 0));
	awake = awake_until(&r, &g, 1, 0); /* in the listener */
	if (!vt_valgrind())
		ck_assert_int_eq(awake, 1);
	ck_assert(VT_WAIT(vnetif_reader_awake(b) == 0)); /* asleep again */
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	ck_assert_int_eq(vnetif_reader_awake(b), 0);
	ck_assert_int_eq(vnetif_reader_awake(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_disconnect(c, 0), 0);
	ck_assert_int_eq(vnetif_reader_awake(c), -ENOTCONN);
	vt_rig_down(&r);
}
END_TEST

/* vnetif_reader_awake(): a reader whose CPU is crowded (here: three busy threads on the
 * CPU it is pinned to, so each of its idle yields gives the CPU away for their time
 * slices) is not awake even while it works, so a writer that can take frames in itself
 * does; once the CPU is free again (its next idle yield returns at once), it is. */
START_TEST(test_reader_crowded_not_awake)
{
	struct vt_rig r = vt_rig_async(true, "--");
	struct hogs h;
	struct gate g;
	cpu_set_t mine;
	int awake;

	if (vt_valgrind()) {
		vt_rig_down(&r);
		return;
	}
	memset(&h, 0, sizeof(h));
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(sched_getaffinity(0, sizeof(mine), &mine), 0);
	while (!CPU_ISSET(h.cpu, &mine))
		h.cpu++; /* the first CPU this process may use */
	atomic_store(&g.release, 1);
	ck_assert_int_eq(vnetif_listen(r.port[1], gate_listener, &g), 0);
	for (int i = 0; i < HOGS; i++)
		ck_assert_int_eq(pthread_create(&h.t[i], NULL, hog_main, &h), 0);
	ck_assert_int_eq(vnetif_reader_start_on(r.port[1], &h.cpu, 1), 0);
	awake = awake_until(&r, &g, 0, 0);
	ck_assert_msg(awake == 0, "a reader on a crowded CPU still counts as awake");
	atomic_store(&h.stop, 1);
	for (int i = 0; i < HOGS; i++)
		pthread_join(h.t[i], NULL);
	awake = awake_until(&r, &g, 1, 200);
	ck_assert_msg(awake == 1, "a reader on a free CPU again does not count as awake");
	ck_assert_int_eq(vnetif_reader_stop(r.port[1]), 0);
	vt_rig_down(&r);
}
END_TEST

struct yield_ctx {
	atomic_uint calls;
	atomic_uint bad_arg;
	atomic_uint delivered;
	vnetif_port *drain; /* if set, yield empties this port's ring */
	atomic_uint drained;
};

static void counting_yield(void *arg)
{
	struct yield_ctx *y = arg;

	atomic_fetch_add(&y->calls, 1);
	if (y->drain != NULL)
		atomic_fetch_add(&y->drained, vt_drain(y->drain));
}

static void flag_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct yield_ctx *y = arg;

	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add(&y->delivered, 1);
}

START_TEST(test_yield_called_by_idle_reader)
{
	struct vnetif_switch_config cfg;
	static struct yield_ctx y; /* a reader a failed check left running still uses it */
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];

	memset(&y, 0, sizeof(y));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.yield = counting_yield;
	cfg.yield_arg = &y;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, flag_listener, &y), 0);
	/* nothing happened yet: no reason to yield */
	ck_assert_uint_eq(atomic_load(&y.calls), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	ck_assert(VT_WAIT(atomic_load(&y.calls) >= 10));
	for (uint32_t i = 0; i < 20; i++)
		vt_send(a, vt_mac(b, mb), 60, i);
	ck_assert(VT_WAIT(atomic_load(&y.delivered) == 20));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_teardown(sw);
}
END_TEST

/* No yield function: the idle reader sleeps, and a writer still wakes it. */
START_TEST(test_reader_without_yield_wakes)
{
	struct vt_rig r = vt_rig_async(true, "--");
	vnetif_port *a = r.port[0], *b = r.port[1];
	static struct yield_ctx y; /* a reader a failed check left running still uses it */
	uint8_t mb[6];

	memset(&y, 0, sizeof(y));
	ck_assert_int_eq(vnetif_listen(b, flag_listener, &y), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	for (uint32_t i = 0; i < 5; i++) {
		usleep(20000); /* let the reader go idle: not a timing assertion */
		vt_send(a, vt_mac(b, mb), 60, i);
		ck_assert(VT_WAIT(atomic_load(&y.delivered) == i + 1));
	}
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_rig_down(&r);
}
END_TEST

static struct vt_rig full_rig(bool async, enum vnetif_full_policy pol, unsigned retries,
				  struct yield_ctx *y)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.async_readers = async;
	cfg.ring_size = 64;
	cfg.full_policy = pol;
	cfg.backpressure_retries = retries;
	cfg.yield = counting_yield;
	cfg.yield_arg = y;
	return vt_rig_up(&cfg, "--");
}

static void ring_full_drop_exact(bool async)
{
	static struct yield_ctx y; /* a reader a failed check left running still uses it */
	struct vt_rig r;
	vnetif_port *a, *b;
	const uint8_t *mb;
	struct vnetif_stats sb;

	memset(&y, 0, sizeof(y));
	r = full_rig(async, VNETIF_FULL_DROP, 1000, &y);
	a = r.port[0];
	b = r.port[1];
	mb = r.mac[1];
	for (uint32_t i = 0; i < 64 + 10; i++)
		vt_send(a, mb, 60, i);
	sb = vt_stats(b);
	ck_assert_uint_eq(sb.rx_drop_ring_full, 10);
	ck_assert_uint_eq(sb.rx_packets, 64);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 74);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 10);
	ck_assert_uint_eq(atomic_load(&y.calls), 0); /* drop mode never yields */
	/* the first 64 are on the ring, in order */
	{
		struct rte_mbuf *pkts[128];
		int n = vnetif_rx_burst(b, pkts, 128);

		ck_assert_int_eq(n, 64);
		for (int i = 0; i < n; i++) {
			ck_assert_uint_eq(vt_seq(rte_pktmbuf_mtod(pkts[i], uint8_t *), 60),
					  (unsigned)i);
			rte_pktmbuf_free(pkts[i]);
		}
	}
	vt_rig_down(&r);
}

START_TEST(test_ring_full_drop_exact_sync)
{
	ring_full_drop_exact(false);
}
END_TEST

START_TEST(test_ring_full_drop_exact_async)
{
	ring_full_drop_exact(true);
}
END_TEST

START_TEST(test_backpressure_yields_then_drops)
{
	static struct yield_ctx y; /* a reader a failed check left running still uses it */
	struct vt_rig r;
	vnetif_port *a, *b;
	const uint8_t *mb;

	memset(&y, 0, sizeof(y));
	r = full_rig(true, VNETIF_FULL_BACKPRESSURE, 5, &y);
	a = r.port[0];
	b = r.port[1];
	mb = r.mac[1];
	for (uint32_t i = 0; i < 64; i++)
		vt_send(a, mb, 60, i);
	ck_assert_uint_eq(atomic_load(&y.calls), 0);
	vt_send(a, mb, 60, 64);
	ck_assert_uint_ge(atomic_load(&y.calls), 1);
	ck_assert_uint_le(atomic_load(&y.calls), 5);
	ck_assert_uint_eq(vt_stats(b).rx_drop_ring_full, 1);
	ck_assert_uint_eq(vt_drain(b), 64);
	vt_rig_down(&r);
}
END_TEST

/* The writer's yield can make room (here it empties the ring): the frame gets in. */
START_TEST(test_backpressure_yield_makes_room)
{
	static struct yield_ctx y; /* a reader a failed check left running still uses it */
	struct vt_rig r;
	vnetif_port *a, *b;
	const uint8_t *mb;

	memset(&y, 0, sizeof(y));
	r = full_rig(true, VNETIF_FULL_BACKPRESSURE, 1000, &y);
	a = r.port[0];
	b = r.port[1];
	mb = r.mac[1];
	for (uint32_t i = 0; i < 64; i++)
		vt_send(a, mb, 60, i);
	y.drain = b;
	vt_send(a, mb, 60, 64);
	y.drain = NULL;
	ck_assert_uint_ge(atomic_load(&y.calls), 1);
	ck_assert_uint_eq(atomic_load(&y.drained), 64);
	ck_assert_uint_eq(vt_stats(b).rx_drop_ring_full, 0);
	ck_assert_uint_eq(vt_stats(b).rx_packets, 65);
	{
		struct rte_mbuf *m = vt_recv_one(b);

		ck_assert_uint_eq(vt_seq(rte_pktmbuf_mtod(m, uint8_t *), 60), 64);
		rte_pktmbuf_free(m);
	}
	vt_rig_down(&r);
}
END_TEST

struct reuse_ctx {
	vnetif_port *drain;
	struct rte_mempool *mp;
	struct rte_mbuf *held;
	unsigned drained;
};

/* First yield: empty the ring, then take an mbuf (likely one just freed) and make it
 * 1000 bytes long. */
static void drain_and_reuse_yield(void *arg)
{
	struct reuse_ctx *r = arg;

	if (r->held != NULL)
		return;
	r->drained = vt_drain(r->drain);
	r->held = rte_pktmbuf_alloc(r->mp);
	if (r->held != NULL)
		rte_pktmbuf_append(r->held, 1000);
}

/*
 * rx_bytes counts the frames delivered, even when the receiver takes (and frees) them
 * while the writer is still working on the rest of its burst: a frame once on the ring
 * is no longer the writer's to look at.
 */
START_TEST(test_backpressure_rx_bytes_exact)
{
	struct vnetif_switch_config cfg;
	struct reuse_ctx r;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct rte_mbuf *pkts[2];
	uint8_t ma[6], mb[6];
	struct vnetif_stats sb;
	bool held;

	memset(&r, 0, sizeof(r));
	vt_config(&cfg);
	cfg.ring_size = 64;
	cfg.full_policy = VNETIF_FULL_BACKPRESSURE;
	cfg.yield = drain_and_reuse_yield;
	cfg.yield_arg = &r;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	vt_mac(a, ma);
	vt_mac(b, mb);
	r.drain = b;
	r.mp = vnetif_switch_pool(sw);
	for (uint32_t i = 0; i < 63; i++)
		vt_send(a, mb, 60, i);
	/* one slot left: the first frame gets in, the second waits for the yield */
	pkts[0] = vt_mbuf(r.mp, mb, ma, 60, 63);
	pkts[1] = vt_mbuf(r.mp, mb, ma, 60, 64);
	ck_assert_int_eq(vnetif_tx_burst(a, pkts, 2), 2);
	sb = vt_stats(b);
	held = r.held != NULL;
	rte_pktmbuf_free(r.held); /* give everything back before asserting */
	ck_assert_uint_eq(vt_drain(b), 1);
	ck_assert_uint_eq(r.drained, 64);
	ck_assert(held);
	ck_assert_uint_eq(sb.rx_packets, 65);
	ck_assert_uint_eq(sb.rx_drop_ring_full, 0);
	ck_assert_uint_eq(sb.rx_bytes, 65 * 60);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_reader_stop_timeout_when_listener_stuck)
{
	struct vnetif_switch_config cfg;
	static struct poll_thread pt;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mb[6];
	int rc, stop_rc;
	bool entered;

	memset(&pt, 0, sizeof(pt));
	vt_config(&cfg);
	cfg.async_readers = true;
	cfg.grace_timeout_ms = 200;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	ck_assert_int_eq(vnetif_listen(b, gated_listener, &pt), 0);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	vt_send(a, vt_mac(b, mb), 60, 1);
	entered = VT_WAIT(atomic_load(&pt.gate.entered) == 1);
	stop_rc = vnetif_reader_stop(b);
	atomic_store(&pt.gate.open, 1); /* release the thread before asserting anything */
	ck_assert(entered);
	ck_assert_int_eq(stop_rc, -ETIMEDOUT);
	/* it stops once the listener returns */
	ck_assert(VT_WAIT((rc = vnetif_reader_stop(b)) == 0 || rc == -ENOENT));
	ck_assert_uint_eq(atomic_load(&pt.delivered), 1);
	ck_assert_int_eq(vnetif_reader_start(b), 0);
	vt_send(a, mb, 60, 2);
	ck_assert(VT_WAIT(atomic_load(&pt.delivered) == 2));
	ck_assert_int_eq(vnetif_reader_stop(b), 0);
	vt_teardown(sw);
}
END_TEST

/* --- mbuf listeners --------------------------------------------------------------- */

START_TEST(test_mbuf_listener_owns_mbufs)
{
	struct vt_rig r = vt_rig_async(false, "-m");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *ma = r.mac[0], *mb = r.mac[1];

	cap->keep_mbufs = true; /* before any frame */
	for (uint32_t i = 0; i < 8; i++)
		vt_send(a, mb, 100 + i, i);
	ck_assert_uint_eq(vt_cap_frames(cap), 8);
	ck_assert_uint_eq(cap->kept, 8);
	/* the listener holds them: the switch does not free them */
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 8);
	for (unsigned i = 0; i < 8; i++) {
		ck_assert_uint_eq(rte_mbuf_refcnt_read(cap->mbufs[i]), 1);
		ck_assert_uint_eq(rte_pktmbuf_pkt_len(cap->mbufs[i]), 100 + i);
		ck_assert(vt_frame_ok(rte_pktmbuf_mtod(cap->mbufs[i], uint8_t *), 100 + i, mb, ma,
				      i));
	}
	vt_cap_release(cap);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 0);
	vt_rig_down(&r);
}
END_TEST

/* Sync flood to mbuf listeners: each listener owns one reference of the same mbuf. */
START_TEST(test_mbuf_listeners_share_flood)
{
	struct vt_rig r = vt_rig_async(false, "-mm");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0];
	struct vt_cap *cb = r.cap[1], *cc = r.cap[2];

	cb->keep_mbufs = cc->keep_mbufs = true; /* before any frame */
	vt_send(a, VT_BCAST, 200, 1);
	ck_assert_uint_eq(cb->kept, 1);
	ck_assert_uint_eq(cc->kept, 1);
	ck_assert_ptr_eq(rte_pktmbuf_mtod(cb->mbufs[0], void *), rte_pktmbuf_mtod(cc->mbufs[0], void *));
	ck_assert_uint_eq(rte_mbuf_refcnt_read(cb->mbufs[0]), 2);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 1);
	vt_cap_release(cb);
	ck_assert_uint_eq(rte_mbuf_refcnt_read(cc->mbufs[0]), 1);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 1);
	vt_cap_release(cc);
	ck_assert_uint_eq(vt_sw_stats(sw).pool_in_use, 0);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_mbuf_listener_bursts_async)
{
	struct vt_rig r = vt_rig_async(true, "-m");
	vnetif_port *a = r.port[0], *b = r.port[1];
	struct vt_cap *cap = r.cap[1];

	for (uint32_t i = 0; i < 20; i++)
		vt_send(a, r.mac[1], 60, i);
	ck_assert_int_eq(vnetif_poll(b, 32), 20);
	ck_assert_uint_eq(vt_cap_frames(cap), 20);
	ck_assert_uint_le(atomic_load(&cap->calls), 20);
	ck_assert_uint_ge(atomic_load(&cap->calls), 1);
	for (unsigned i = 0; i < 20; i++)
		ck_assert_uint_eq(vt_seq(cap->rec[i].data, cap->rec[i].len), i);
	vt_rig_down(&r);
}
END_TEST

/* --- MTU and the copying calls ---------------------------------------------------- */

START_TEST(test_write_mtu_enforced)
{
	struct vt_rig r = vt_rig_async(false, "--");
	vnetif_switch *sw = r.sw;
	vnetif_port *a = r.port[0], *b = r.port[1];
	const uint8_t *ma = r.mac[0], *mb = r.mac[1];
	struct vnetif_stats sa;

	ck_assert_int_eq(vt_write(a, mb, ma, 1514, 1), 0);
	ck_assert_int_eq(vt_write(a, mb, ma, 1515, 2), -EMSGSIZE);
	ck_assert_int_eq(vt_write(a, mb, ma, 9614, 3), -EMSGSIZE);
	sa = vt_stats(a);
	ck_assert_uint_eq(sa.tx_drop_oversize, 2);
	ck_assert_uint_eq(sa.tx_packets, 1);
	ck_assert_uint_eq(vt_drain(b), 1);
	ck_assert_int_eq(vnetif_set_mtu(a, 100), 0);
	ck_assert_int_eq(vt_write(a, mb, ma, 114, 4), 0);
	ck_assert_int_eq(vt_write(a, mb, ma, 115, 5), -EMSGSIZE);
	ck_assert_uint_eq(vt_stats(a).tx_drop_oversize, 3);
	ck_assert_uint_eq(vt_sw_stats(sw).drops, 3);
	ck_assert_uint_eq(vt_drain(b), 1);
	/* the receiver's MTU does not matter */
	ck_assert_int_eq(vnetif_set_mtu(b, VNETIF_MTU_MIN), 0);
	ck_assert_int_eq(vt_write(a, mb, ma, 114, 6), 0);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_write_runt_einval)
{
	struct vt_rig r = vt_rig_async(false, "--");
	vnetif_port *a = r.port[0], *b = r.port[1];
	uint8_t f[14];
	struct vnetif_stats sa;

	vt_fill(f, sizeof(f), r.mac[1], r.mac[0], 0);
	ck_assert_int_eq(vnetif_write(a, f, 13), -EINVAL);
	ck_assert_int_eq(vnetif_write(a, f, 1), -EINVAL);
	ck_assert_int_eq(vnetif_write(a, f, 0), -EINVAL);
	sa = vt_stats(a);
	ck_assert_uint_eq(vt_drops(&sa), 0); /* a failed call changes nothing */
	ck_assert_uint_eq(sa.tx_packets, 0);
	ck_assert_int_eq(vnetif_write(a, f, 14), 0);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_writev_gathers)
{
	struct vt_rig r = vt_rig_async(false, "-c");
	vnetif_port *a = r.port[0];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *ma = r.mac[0], *mb = r.mac[1];
	uint8_t f[1514];
	struct iovec iov[65];

	vt_fill(f, sizeof(f), mb, ma, 42);
	/* header split across three pieces, an empty piece in the middle */
	iov[0] = (struct iovec){f, 5};
	iov[1] = (struct iovec){f + 5, 4};
	iov[2] = (struct iovec){f + 9, 0};
	iov[3] = (struct iovec){f + 9, 300};
	iov[4] = (struct iovec){f + 309, 1000};
	ck_assert_int_eq(vnetif_writev(a, iov, 5), 0);
	ck_assert_uint_eq(vt_cap_frames(cap), 1);
	ck_assert_uint_eq(cap->rec[0].len, 1309);
	ck_assert(vt_frame_ok(cap->rec[0].data, 1309, mb, ma, 42));

	/* 64 pieces is the most */
	for (int i = 0; i < 64; i++)
		iov[i] = (struct iovec){f + i * 20, 20};
	ck_assert_int_eq(vnetif_writev(a, iov, 64), 0);
	ck_assert_uint_eq(cap->rec[1].len, 1280);
	ck_assert(vt_frame_ok(cap->rec[1].data, 1280, mb, ma, 42));
	iov[64] = (struct iovec){f + 1280, 20};
	ck_assert_int_eq(vnetif_writev(a, iov, 65), -EINVAL);
	ck_assert_int_eq(vnetif_writev(a, iov, 0), -EINVAL);
	ck_assert_int_eq(vnetif_writev(a, iov, -1), -EINVAL);

	/* the gathered length decides: runt and oversize */
	iov[0] = (struct iovec){f, 6};
	iov[1] = (struct iovec){f + 6, 7};
	ck_assert_int_eq(vnetif_writev(a, iov, 2), -EINVAL);
	iov[0] = (struct iovec){f, 1000};
	iov[1] = (struct iovec){f, 515};
	ck_assert_int_eq(vnetif_writev(a, iov, 2), -EMSGSIZE);
	ck_assert_uint_eq(vt_stats(a).tx_drop_oversize, 1);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 2);
	ck_assert_uint_eq(vt_cap_frames(cap), 2);
	vt_rig_down(&r);
}
END_TEST

/* Without a large pool a jumbo frame spans several mbufs; both listener kinds and
 * rx_burst see it whole. */
START_TEST(test_write_jumbo_chained)
{
	struct vnetif_switch_config cfg;
	struct vt_rig r;

	vt_config(&cfg);
	cfg.large_pool_size = 0;
	r = vt_rig_up(&cfg, "-c-");
	vnetif_port *a = r.port[0], *b = r.port[1], *c = r.port[2];
	struct vt_cap *cap = r.cap[1];
	const uint8_t *ma = r.mac[0];
	uint8_t *buf = malloc(VT_FRAME_MAX);
	struct rte_mbuf *m;
	const size_t len = VT_FRAME_MAX;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(vnetif_set_mtu(a, VNETIF_MTU_MAX), 0);
	ck_assert_int_eq(vt_write(a, VT_BCAST, ma, len, 7), 0);
	ck_assert_uint_eq(cap->rec[0].len, len);
	ck_assert(vt_frame_ok(cap->rec[0].data, len, VT_BCAST, ma, 7));
	m = vt_recv_one(c);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), len);
	ck_assert_uint_gt(m->nb_segs, 1);
	ck_assert_uint_eq(vt_mbuf_read(m, buf, VT_FRAME_MAX), len);
	ck_assert(vt_frame_ok(buf, len, VT_BCAST, ma, 7));
	rte_pktmbuf_free(m);
	/* an mbuf listener gets the chain */
	ck_assert_int_eq(vnetif_listen_mbuf(b, vt_cap_listen_mbuf, cap), 0);
	ck_assert_int_eq(vt_write(a, VT_BCAST, ma, len - 1, 8), 0);
	ck_assert_uint_eq(cap->rec[1].len, len - 1);
	ck_assert(vt_frame_ok(cap->rec[1].data, len - 1, VT_BCAST, ma, 8));
	ck_assert_uint_eq(vt_drain(c), 1);
	free(buf);
	vt_rig_down(&r);
}
END_TEST

/* With a large pool (the default) a frame longer than one mbuf of the pool is built in one
 * large mbuf; a frame that fits one mbuf is not; with every large mbuf in use, a long
 * frame is chained as without them; held large mbufs count as in use and keep the switch
 * from being destroyed. */
START_TEST(test_write_jumbo_large_pool)
{
	struct vnetif_switch_config cfg;
	struct vt_rig r;
	struct rte_mbuf *held, *m;
	uint8_t *buf = malloc(VT_FRAME_MAX);
	const size_t len = VT_FRAME_MAX;

	vt_config(&cfg);
	ck_assert_uint_eq(cfg.large_pool_size, 1023); /* vnetif_switch_config_init()'s */
	cfg.large_pool_size = 1;
	r = vt_rig_up(&cfg, "--");
	ck_assert_int_eq(vnetif_set_mtu(r.port[0], VNETIF_MTU_MAX), 0);
	ck_assert_int_eq(vt_write(r.port[0], r.mac[1], r.mac[0], len, 1), 0);
	held = vt_recv_one(r.port[1]);
	ck_assert_uint_eq(held->nb_segs, 1);
	ck_assert_uint_eq(held->pkt_len, len);
	ck_assert_ptr_ne(held->pool, vnetif_switch_pool(r.sw));
	ck_assert_uint_eq(rte_pktmbuf_data_room_size(held->pool),
			  RTE_PKTMBUF_HEADROOM + VNETIF_LARGE_ROOM);
	ck_assert_uint_eq(vt_mbuf_read(held, buf, VT_FRAME_MAX), len);
	ck_assert(vt_frame_ok(buf, len, r.mac[1], r.mac[0], 1));
	ck_assert_uint_eq(vt_sw_stats(r.sw).pool_in_use, 1);
	ck_assert_int_eq(vnetif_switch_destroy(r.sw), -EBUSY);
	/* the only large mbuf is held: the next long frame is chained, not lost */
	ck_assert_int_eq(vt_write(r.port[0], r.mac[1], r.mac[0], len - 1, 2), 0);
	m = vt_recv_one(r.port[1]);
	ck_assert_uint_gt(m->nb_segs, 1);
	ck_assert_ptr_eq(m->pool, vnetif_switch_pool(r.sw));
	ck_assert_uint_eq(vt_mbuf_read(m, buf, VT_FRAME_MAX), len - 1);
	ck_assert(vt_frame_ok(buf, len - 1, r.mac[1], r.mac[0], 2));
	rte_pktmbuf_free(m);
	/* a frame that fits one mbuf of the pool stays there */
	rte_pktmbuf_free(held);
	ck_assert_int_eq(vt_write(r.port[0], r.mac[1], r.mac[0], 2000, 3), 0);
	m = vt_recv_one(r.port[1]);
	ck_assert_ptr_eq(m->pool, vnetif_switch_pool(r.sw));
	rte_pktmbuf_free(m);
	free(buf);
	vt_rig_down_empty(&r);
}
END_TEST

START_TEST(test_write_pool_empty)
{
	struct rte_mempool *mp = vt_pool_create(32, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	vnetif_port *a, *b;
	uint8_t ma[6], mb[6];
	vnetif_switch *sw = vt_pair_on_pool(mp, &a, &b, ma, mb);
	unsigned ok = 0;
	int rc;
	while ((rc = vt_write(a, mb, ma, 60, ok)) == 0 && ok < 1000)
		ok++;
	ck_assert_int_eq(rc, -ENOBUFS);
	ck_assert_uint_eq(ok, 32);
	ck_assert_uint_eq(vt_stats(a).tx_drop_pool_empty, 1);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 32);
	ck_assert_uint_eq(vt_drain(b), 32);
	ck_assert_int_eq(vt_write(a, mb, ma, 60, 99), 0);
	ck_assert_uint_eq(vt_drain(b), 1);
	vt_teardown(sw);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

Suite *delivery_suite(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc = vt_tcase("sync");

	tcase_add_test(tc, test_sync_listener_runs_before_write_returns);
	tcase_add_test(tc, test_sync_flood_all_listeners_ran);
	tcase_add_test(tc, test_listener_replace_and_remove);
	tcase_add_test(tc, test_reentrant_ping_pong);
	tcase_add_test(tc, test_reentrant_queue_order_and_limit);
	tcase_add_test(tc, test_sync_control_calls_from_listener);
	suite_add_tcase(s, tc);

	tc = vt_tcase("async");
	tcase_add_test(tc, test_async_write_returns_before_delivery);
	tcase_add_test(tc, test_async_poll_budget_and_order);
	tcase_add_test(tc, test_async_poll_without_listener);
	tcase_add_test(tc, test_async_switch_poll);
	tcase_add_test(tc, test_async_poll_exclusive);
	tcase_add_test(tc, test_switch_poll_skips_reader_ports);
	tcase_add_test(tc, test_async_ping_pong_readers);
	tcase_add_test(tc, test_reader_thread_delivers);
	tcase_add_test(tc, test_async_control_calls_from_reader);
	tcase_add_test(tc, test_reader_stop_timeout_when_listener_stuck);
	tcase_add_test(tc, test_reader_awake_reports_state);
	tcase_add_test(tc, test_reader_crowded_not_awake);
	suite_add_tcase(s, tc);

	tc = vt_tcase("yield");
	tcase_add_test(tc, test_yield_called_by_idle_reader);
	tcase_add_test(tc, test_reader_without_yield_wakes);
	tcase_add_test(tc, test_backpressure_yields_then_drops);
	tcase_add_test(tc, test_backpressure_yield_makes_room);
	tcase_add_test(tc, test_backpressure_rx_bytes_exact);
	suite_add_tcase(s, tc);

	tc = vt_tcase("full");
	tcase_add_test(tc, test_ring_full_drop_exact_sync);
	tcase_add_test(tc, test_ring_full_drop_exact_async);
	suite_add_tcase(s, tc);

	tc = vt_tcase("mbuf");
	tcase_add_test(tc, test_mbuf_listener_owns_mbufs);
	tcase_add_test(tc, test_mbuf_listeners_share_flood);
	tcase_add_test(tc, test_mbuf_listener_bursts_async);
	suite_add_tcase(s, tc);

	tc = vt_tcase("copy");
	tcase_add_test(tc, test_write_mtu_enforced);
	tcase_add_test(tc, test_write_runt_einval);
	tcase_add_test(tc, test_writev_gathers);
	tcase_add_test(tc, test_write_jumbo_chained);
	tcase_add_test(tc, test_write_jumbo_large_pool);
	tcase_add_test(tc, test_write_pool_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(delivery_suite());
}
