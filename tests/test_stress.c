/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stress: several writer threads on several ports, every kind of receiver, and
 * connect/disconnect churn under traffic. Every run ends with exact accounting
 * (frames handed to the switch == delivered + counted drops) and every mbuf back in
 * the pool. Sized down 100x under ThreadSanitizer (VNETIF_TEST_SCALE=tsan).
 */
#include <sched.h>

#include "vnetif_test.h"

Suite *stress_suite(void);

#define NPORTS 4
#define MAXW 8
#define BURST 8
/* Liveness bound of one stress run (the work takes well under a second normally, a few
 * seconds under TSan): a run still going after this is stuck, not slow. */
#define STRESS_DEADLINE_MS 120000u

enum rx_kind {
	RX_BURST,      /* sync, no listeners: receiver threads call vnetif_rx_burst() */
	RX_SYNC,       /* sync, borrowing listeners run in the writers' threads */
	RX_READERS,    /* async, a reader thread per port, borrowing listeners */
	RX_SWITCHPOLL, /* async, one thread calls vnetif_switch_poll(), mbuf listeners */
};

struct stress;

struct writer {
	struct stress *st;
	int id;
	int port;
	uint64_t frames;
	uint64_t handed;         /* frames the switch took (write 0 or -ENOBUFS, burst) */
	uint64_t ok;             /* frames accepted (write 0, or in a burst) */
	uint64_t nobufs;         /* write -ENOBUFS */
	uint64_t sent_to[NPORTS];
	uint64_t errors;         /* any other result */
};

struct stress {
	vnetif_switch *sw;
	vnetif_port *port[NPORTS];
	uint8_t mac[NPORTS][6];
	int nwriters;
	struct writer w[MAXW];
	uint64_t deadline;     /* vt_now_ms() after which writers give up */
	atomic_int overtime;   /* a writer gave up */
	atomic_int writers_done;
	atomic_uint_fast64_t received[NPORTS];
	atomic_uint_fast64_t received_bytes[NPORTS];
	atomic_uint_fast64_t bad[NPORTS];
};

static int port_of(struct stress *st, const vnetif_port *p)
{
	for (int i = 0; i < NPORTS; i++)
		if (st->port[i] == p)
			return i;
	return -1;
}

/* A received frame: for this port, from another port, content intact. */
static void check_frame(struct stress *st, int me, const uint8_t *f, size_t len)
{
	int from = -1;

	for (int i = 0; i < NPORTS; i++)
		if (len >= 12 && vt_mac_eq(f + 6, st->mac[i]))
			from = i;
	if (me < 0 || from < 0 || from == me || !vt_mac_eq(f, st->mac[me]) ||
	    !vt_frame_ok(f, len, st->mac[me], st->mac[from], vt_seq(f, len)))
		atomic_fetch_add(&st->bad[me < 0 ? 0 : me], 1);
	atomic_fetch_add(&st->received[me < 0 ? 0 : me], 1);
	atomic_fetch_add(&st->received_bytes[me < 0 ? 0 : me], len);
}

static void stress_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct stress *st = arg;

	check_frame(st, port_of(st, port), frame, len);
}

static void stress_mbuf_listener(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct stress *st = arg;
	int me = port_of(st, port);

	for (uint16_t i = 0; i < n; i++) {
		check_frame(st, me, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
			    rte_pktmbuf_data_len(pkts[i]));
		if (pkts[i]->nb_segs != 1)
			atomic_fetch_add(&st->bad[me], 1);
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct stress *st = w->st;
	struct rte_mempool *mp = vnetif_switch_pool(st->sw);
	const uint8_t *src = st->mac[w->port];
	uint64_t i = 0;

	while (i < w->frames) {
		if (i % 256 == 0 && vt_now_ms() > st->deadline) {
			atomic_store(&st->overtime, 1);
			break;
		}
		/* every 4th round: a zero-copy burst, else single copying writes */
		if ((i / BURST) % 4 == 3 && i + BURST <= w->frames) {
			struct rte_mbuf *pkts[BURST];
			int dst[BURST], n = 0, rc;

			for (; n < BURST; n++) {
				uint64_t k = i + (uint64_t)n;
				int d = (w->port + 1 + (int)(k % (NPORTS - 1))) % NPORTS;
				uint32_t seq = (uint32_t)w->id << 24 | (uint32_t)(k & 0xffffff);

				pkts[n] = vt_mbuf_try(mp, st->mac[d], src, (uint16_t)(60 + k % 200), seq);
				if (pkts[n] == NULL)
					break;
				dst[n] = d;
			}
			if (n < BURST) { /* pool empty for now: give back, try again later */
				rte_pktmbuf_free_bulk(pkts, (unsigned)n);
				sched_yield();
				continue;
			}
			rc = vnetif_tx_burst(st->port[w->port], pkts, BURST);
			if (rc != BURST) {
				w->errors++;
				if (rc < 0)
					rte_pktmbuf_free_bulk(pkts, BURST);
			} else {
				w->handed += BURST;
				w->ok += BURST;
				for (int j = 0; j < BURST; j++)
					w->sent_to[dst[j]]++;
			}
			i += BURST;
			continue;
		}
		{
			int d = (w->port + 1 + (int)(i % (NPORTS - 1))) % NPORTS;
			uint32_t seq = (uint32_t)w->id << 24 | (uint32_t)(i & 0xffffff);
			int rc = vt_write(st->port[w->port], st->mac[d], src, 60 + i % 200, seq);

			if (rc == 0) {
				w->handed++;
				w->ok++;
				w->sent_to[d]++;
			} else if (rc == -ENOBUFS) {
				w->handed++;
				w->nobufs++;
			} else {
				w->errors++;
			}
			i++;
		}
	}
	return NULL;
}

struct rx_thread {
	struct stress *st;
	int first, count; /* ports polled */
};

static void *rx_burst_main(void *arg)
{
	struct rx_thread *r = arg;
	struct stress *st = r->st;
	struct rte_mbuf *pkts[32];

	for (;;) {
		bool done = atomic_load(&st->writers_done);
		unsigned got = 0;

		for (int p = r->first; p < r->first + r->count; p++) {
			int n = vnetif_rx_burst(st->port[p], pkts, 32);

			if (n < 0) {
				atomic_fetch_add(&st->bad[p], 1);
				continue;
			}
			for (int i = 0; i < n; i++) {
				check_frame(st, p, rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					    rte_pktmbuf_data_len(pkts[i]));
				rte_pktmbuf_free(pkts[i]);
			}
			got += (unsigned)n;
		}
		if (got == 0) {
			if (done) /* writers finished before this empty pass: nothing more comes */
				return NULL;
			sched_yield();
		}
	}
}

static void *switch_poll_main(void *arg)
{
	struct rx_thread *r = arg;
	struct stress *st = r->st;

	for (;;) {
		bool done = atomic_load(&st->writers_done);
		int n = vnetif_switch_poll(st->sw, 32);

		if (n < 0)
			atomic_fetch_add(&st->bad[0], 1);
		if (n <= 0) {
			if (done)
				return NULL;
			sched_yield();
		}
	}
}

/* Frames each port was sent, and what it got plus what was dropped on its ring. */
static bool all_accounted(struct stress *st)
{
	for (int d = 0; d < NPORTS; d++) {
		uint64_t sent = 0;
		struct vnetif_stats s;

		for (int w = 0; w < st->nwriters; w++)
			sent += st->w[w].sent_to[d];
		if (vnetif_stats_get(st->port[d], &s) != 0 ||
		    atomic_load(&st->received[d]) + s.rx_drop_ring_full != sent)
			return false;
	}
	return true;
}

static void run_stress(enum rx_kind kind, enum vnetif_full_policy pol, unsigned ring,
		       int nwriters, unsigned frames)
{
	struct vnetif_switch_config cfg;
	struct stress *st = calloc(1, sizeof(*st));
	pthread_t wt[MAXW], rt[2];
	struct rx_thread rx[2];
	int nrx = 0;
	uint64_t handed = 0, ok = 0, nobufs = 0, received = 0, ring_full = 0, pool_empty = 0;
	uint64_t tx_packets = 0, other_drops = 0;

	ck_assert_ptr_nonnull(st);
	vnetif_switch_config_init(&cfg);
	vt_tsan_pool(&cfg);
	cfg.async_readers = kind == RX_READERS || kind == RX_SWITCHPOLL;
	cfg.full_policy = pol;
	cfg.ring_size = ring;
	cfg.grace_timeout_ms = 10000;
	st->sw = vt_switch(&cfg);
	for (int p = 0; p < NPORTS; p++) {
		st->port[p] = vt_connect(st->sw);
		vt_mac(st->port[p], st->mac[p]);
		if (kind == RX_SYNC || kind == RX_READERS)
			ck_assert_int_eq(vnetif_listen(st->port[p], stress_listener, st), 0);
		if (kind == RX_SWITCHPOLL)
			ck_assert_int_eq(vnetif_listen_mbuf(st->port[p], stress_mbuf_listener, st), 0);
		if (kind == RX_READERS)
			ck_assert_int_eq(vnetif_reader_start(st->port[p]), 0);
	}
	if (kind == RX_BURST) {
		for (; nrx < 2; nrx++) {
			rx[nrx] = (struct rx_thread){st, nrx * NPORTS / 2, NPORTS / 2};
			ck_assert_int_eq(pthread_create(&rt[nrx], NULL, rx_burst_main, &rx[nrx]), 0);
		}
	} else if (kind == RX_SWITCHPOLL) {
		rx[0] = (struct rx_thread){st, 0, NPORTS};
		ck_assert_int_eq(pthread_create(&rt[nrx++], NULL, switch_poll_main, &rx[0]), 0);
	}

	st->nwriters = nwriters;
	st->deadline = vt_now_ms() + STRESS_DEADLINE_MS;
	for (int w = 0; w < nwriters; w++) {
		st->w[w] = (struct writer){.st = st, .id = w, .port = w % NPORTS, .frames = frames};
		ck_assert_int_eq(pthread_create(&wt[w], NULL, writer_main, &st->w[w]), 0);
	}
	for (int w = 0; w < nwriters; w++)
		pthread_join(wt[w], NULL);
	atomic_store(&st->writers_done, 1);
	for (int r = 0; r < nrx; r++)
		pthread_join(rt[r], NULL);
	if (kind == RX_READERS) {
		ck_assert(VT_WAIT(all_accounted(st)));
		for (int p = 0; p < NPORTS; p++)
			ck_assert_int_eq(vnetif_reader_stop(st->port[p]), 0);
	}

	ck_assert_msg(!atomic_load(&st->overtime),
		      "writers still not done after %u s (%" PRIu64 " of %u frames sent by writer 0)",
		      STRESS_DEADLINE_MS / 1000, st->w[0].handed, frames);
	for (int w = 0; w < nwriters; w++) {
		ck_assert_uint_eq(st->w[w].errors, 0);
		handed += st->w[w].handed;
		ok += st->w[w].ok;
		nobufs += st->w[w].nobufs;
	}
	for (int p = 0; p < NPORTS; p++) {
		struct vnetif_stats s = vt_stats(st->port[p]);

		ck_assert_msg(atomic_load(&st->bad[p]) == 0, "port %d: %" PRIu64 " bad frames", p,
			      (uint64_t)atomic_load(&st->bad[p]));
		ck_assert_uint_eq(vt_drain(st->port[p]), 0);
		ck_assert_uint_eq(atomic_load(&st->received[p]), s.rx_packets);
		ck_assert_uint_eq(atomic_load(&st->received_bytes[p]), s.rx_bytes);
		ck_assert_uint_eq(s.tx_flooded, 0);
		received += s.rx_packets;
		ring_full += s.rx_drop_ring_full;
		pool_empty += s.tx_drop_pool_empty;
		tx_packets += s.tx_packets;
		other_drops += vt_drops(&s) - s.rx_drop_ring_full - s.tx_drop_pool_empty;
	}
	ck_assert_msg(all_accounted(st), "per-port: received + ring-full drops != sent");
	ck_assert_uint_eq(other_drops, 0);
	ck_assert_uint_eq(tx_packets, ok);
	ck_assert_uint_eq(pool_empty, nobufs);
	/* the invariant: every frame handed to the switch is delivered or counted */
	ck_assert_msg(handed == received + ring_full + pool_empty,
		      "handed %" PRIu64 " != received %" PRIu64 " + ring full %" PRIu64
		      " + pool empty %" PRIu64,
		      handed, received, ring_full, pool_empty);
	ck_assert_uint_eq(vt_sw_stats(st->sw).drops, ring_full + pool_empty);
	if (kind == RX_SYNC)
		ck_assert_uint_eq(ring_full, 0);
	ck_assert_uint_ge(received, 1);
	vt_teardown(st->sw);
	free(st);
}

START_TEST(test_stress_rx_burst)
{
	run_stress(RX_BURST, VNETIF_FULL_DROP, 1024, 4, vt_scale(100000));
}
END_TEST

START_TEST(test_stress_sync_listeners_shared_ports)
{
	/* 8 writers on 4 ports: two threads write through each port at once */
	run_stress(RX_SYNC, VNETIF_FULL_DROP, 1024, 8, vt_scale(50000));
}
END_TEST

START_TEST(test_stress_reader_threads)
{
	run_stress(RX_READERS, VNETIF_FULL_DROP, 256, 4, vt_scale(100000));
}
END_TEST

START_TEST(test_stress_reader_threads_backpressure)
{
	run_stress(RX_READERS, VNETIF_FULL_BACKPRESSURE, 64, 4, vt_scale(50000));
}
END_TEST

START_TEST(test_stress_switch_poll)
{
	run_stress(RX_SWITCHPOLL, VNETIF_FULL_DROP, 512, 4, vt_scale(100000));
}
END_TEST

/* --- async: one port's listener never runs in two threads at once ----------------- */

struct excl {
	vnetif_switch *sw;
	vnetif_port *to, *from[2];
	uint8_t to_mac[6], from_mac[2][6];
	unsigned frames;
	uint64_t sent[2];
	atomic_int in_listener, overlap, writers_left;
	atomic_uint_fast64_t got;
};

static void excl_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct excl *x = arg;

	(void)port;
	(void)frame;
	(void)len;
	if (atomic_fetch_add(&x->in_listener, 1) != 0)
		atomic_fetch_add(&x->overlap, 1);
	sched_yield(); /* widen the window */
	atomic_fetch_add(&x->got, 1);
	atomic_fetch_sub(&x->in_listener, 1);
}

struct excl_writer_arg {
	struct excl *x;
	int i;
};

static void *excl_write_main(void *arg)
{
	struct excl_writer_arg *w = arg;
	struct excl *x = w->x;

	for (unsigned k = 0; k < x->frames; k++)
		if (vt_write(x->from[w->i], x->to_mac, x->from_mac[w->i], 60, k) == 0)
			x->sent[w->i]++;
	atomic_fetch_sub(&x->writers_left, 1);
	return NULL;
}

/* Another application thread polling the same port the reader thread serves. */
static void *excl_poll_main(void *arg)
{
	struct excl *x = arg;

	while (atomic_load(&x->writers_left) > 0) {
		vnetif_poll(x->to, 4);
		vnetif_switch_poll(x->sw, 4);
	}
	return NULL;
}

START_TEST(test_async_listener_never_concurrent)
{
	struct vnetif_switch_config cfg;
	struct excl *x = calloc(1, sizeof(*x));
	struct excl_writer_arg wa[2];
	pthread_t wt[2], pt;
	struct vnetif_stats s;

	ck_assert_ptr_nonnull(x);
	vnetif_switch_config_init(&cfg);
	vt_tsan_pool(&cfg);
	cfg.async_readers = true;
	cfg.ring_size = 256;
	x->sw = vt_switch(&cfg);
	x->frames = vt_scale(20000);
	x->to = vt_connect(x->sw);
	vt_mac(x->to, x->to_mac);
	for (int i = 0; i < 2; i++) {
		x->from[i] = vt_connect(x->sw);
		vt_mac(x->from[i], x->from_mac[i]);
	}
	ck_assert_int_eq(vnetif_listen(x->to, excl_listener, x), 0);
	ck_assert_int_eq(vnetif_reader_start(x->to), 0);
	atomic_store(&x->writers_left, 2);
	ck_assert_int_eq(pthread_create(&pt, NULL, excl_poll_main, x), 0);
	for (int i = 0; i < 2; i++) {
		wa[i] = (struct excl_writer_arg){x, i};
		ck_assert_int_eq(pthread_create(&wt[i], NULL, excl_write_main, &wa[i]), 0);
	}
	while (atomic_load(&x->writers_left) > 0) { /* and this thread polls too */
		vnetif_poll(x->to, 4);
		vnetif_switch_poll(x->sw, 4);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(wt[i], NULL);
	pthread_join(pt, NULL);
	ck_assert(VT_WAIT(vnetif_stats_get(x->to, &s) == 0 &&
			  atomic_load(&x->got) + s.rx_drop_ring_full == x->sent[0] + x->sent[1]));
	ck_assert_int_eq(vnetif_reader_stop(x->to), 0);
	ck_assert_int_eq(atomic_load(&x->overlap), 0);
	ck_assert_uint_eq(atomic_load(&x->got), s.rx_packets);
	vt_teardown(x->sw);
	free(x);
}
END_TEST

/* --- connect/disconnect churn under traffic --------------------------------------- */

struct churn {
	vnetif_switch *sw;
	bool async;
	vnetif_port *a, *b;
	uint8_t ma[6], mb[6];
	atomic_int stop;
	atomic_uint_fast64_t target; /* MAC of a churning port, packed, for a's writer */
	/* traffic (a: unicast to b and to the churning port; b: broadcast) */
	uint64_t a_to_b_ok, a_to_c_ok, b_bcast_ok, traffic_errors;
	atomic_uint_fast64_t b_got_from_a, a_got_bcast, stray;
	/* churners */
	unsigned cycles;
	uint64_t deadline;
	atomic_uint_fast64_t churn_failures;
	char failure[160];
	pthread_mutex_t failure_lock;
};

/* Record a failure (@rc: a negative errno, or 0/a count for a broken invariant). */
static void churn_fail(struct churn *c, const char *what, int rc)
{
	pthread_mutex_lock(&c->failure_lock);
	if (atomic_fetch_add(&c->churn_failures, 1) == 0) {
		if (rc < 0)
			snprintf(c->failure, sizeof(c->failure), "%s: %d (%s)", what, rc,
				 vnetif_strerror(rc));
		else
			snprintf(c->failure, sizeof(c->failure), "%s (%d)", what, rc);
	}
	pthread_mutex_unlock(&c->failure_lock);
}

static void a_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct churn *c = arg;
	const uint8_t *f = frame;

	(void)port;
	if (len >= 12 && vt_mac_eq(f, VT_BCAST) && vt_mac_eq(f + 6, c->mb))
		atomic_fetch_add(&c->a_got_bcast, 1);
}

static void b_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct churn *c = arg;
	const uint8_t *f = frame;

	(void)port;
	if (len < 12 || vt_mac_eq(f + 6, c->mb))
		atomic_fetch_add(&c->stray, 1); /* never its own frames */
	else if (vt_mac_eq(f, c->mb) && vt_mac_eq(f + 6, c->ma))
		atomic_fetch_add(&c->b_got_from_a, 1);
}

struct churner_ctx {
	struct churn *c;
	atomic_uint_fast64_t got; /* frames its current port's listener saw */
};

static void c_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct churner_ctx *x = arg;

	(void)port;
	(void)frame;
	(void)len;
	atomic_fetch_add(&x->got, 1);
}

static void *traffic_a(void *arg)
{
	struct churn *c = arg;
	uint32_t seq = 0;

	while (!atomic_load(&c->stop)) {
		uint8_t to[6];
		int rc = vt_write(c->a, c->mb, c->ma, 60 + seq % 100, seq);

		if (rc == 0)
			c->a_to_b_ok++;
		else if (rc != -ENOBUFS)
			c->traffic_errors++;
		vt_mac_unpack(atomic_load(&c->target), to);
		rc = vt_write(c->a, to, c->ma, 60, seq);
		if (rc == 0)
			c->a_to_c_ok++;
		else if (rc != -ENOBUFS)
			c->traffic_errors++;
		seq++;
		if (seq % 64 == 0)
			sched_yield();
	}
	return NULL;
}

static void *traffic_b(void *arg)
{
	struct churn *c = arg;
	struct rte_mempool *mp = vnetif_switch_pool(c->sw);
	uint32_t seq = 0;

	while (!atomic_load(&c->stop)) {
		struct rte_mbuf *m = vt_mbuf_try(mp, VT_BCAST, c->mb, 64, seq);

		if (m != NULL) {
			if (vnetif_tx_burst(c->b, &m, 1) == 1)
				c->b_bcast_ok++;
			else {
				c->traffic_errors++;
				rte_pktmbuf_free(m);
			}
		}
		seq++;
		if (seq % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/* One churner: connect, maybe listen (and read), send a little, disconnect; check its
 * counters. Records failures instead of asserting (it runs in a worker thread). */
static void *churner(void *arg)
{
	struct churner_ctx *x = arg;
	struct churn *c = x->c;

	for (unsigned i = 0; i < c->cycles && atomic_load(&c->churn_failures) == 0; i++) {
		vnetif_port *p = NULL;
		uint8_t mp[6], f[60];
		struct vnetif_stats s;
		bool listen = i % 3 != 1, reader = c->async && listen && i % 2 == 0;
		int rc;

		if (vt_now_ms() > c->deadline) {
			churn_fail(c, "churn not done after the deadline; cycles left",
				   (int)(c->cycles - i));
			break;
		}
		atomic_store(&x->got, 0);
		if ((rc = vnetif_connect(c->sw, NULL, &p)) != 0) {
			churn_fail(c, "connect", rc);
			break;
		}
		vnetif_mac(p, mp);
		if (listen && (rc = vnetif_listen(p, c_listener, x)) != 0)
			churn_fail(c, "listen", rc);
		if (reader && (rc = vnetif_reader_start(p)) != 0)
			churn_fail(c, "reader_start", rc);
		atomic_store(&c->target, vt_mac_pack(mp));
		/* it talks too: a foreign source is learned on it, forgotten at disconnect */
		vt_fill(f, sizeof(f), c->ma, mp, i);
		if ((rc = vnetif_write(p, f, sizeof(f))) != 0 && rc != -ENOBUFS)
			churn_fail(c, "write", rc);
		vt_fill(f, sizeof(f), VT_BCAST, VT_FOREIGN(i % 200), i);
		if ((rc = vnetif_write(p, f, sizeof(f))) != 0 && rc != -ENOBUFS)
			churn_fail(c, "write foreign", rc);
		for (int k = 0; k < 3; k++)
			sched_yield();
		if ((rc = vnetif_disconnect(p, i % 2 ? 5 : 0)) != 0) {
			churn_fail(c, "disconnect", rc);
			break;
		}
		if ((rc = vnetif_stats_get(p, &s)) != 0) {
			churn_fail(c, "stats_get", rc);
			break;
		}
		/* every frame given to it went to its listener or was counted at disconnect */
		if (atomic_load(&x->got) + s.rx_drop_disconnected != s.rx_packets)
			churn_fail(c, "listener frames + rx_drop_disconnected != rx_packets", 0);
		if (vnetif_write(p, f, sizeof(f)) != -ENOTCONN)
			churn_fail(c, "write after disconnect", 0);
	}
	return NULL;
}

static void run_churn(bool async, int nchurners, unsigned cycles)
{
	struct vnetif_switch_config cfg;
	struct churn *c = calloc(1, sizeof(*c));
	pthread_t ta, tb, tc[4];
	struct churner_ctx x[4];
	struct vnetif_stats sa, sb;

	ck_assert_ptr_nonnull(c);
	pthread_mutex_init(&c->failure_lock, NULL);
	vnetif_switch_config_init(&cfg);
	vt_tsan_pool(&cfg);
	cfg.async_readers = async;
	cfg.grace_timeout_ms = 10000;
	c->sw = vt_switch(&cfg);
	c->async = async;
	c->cycles = cycles;
	c->deadline = vt_now_ms() + STRESS_DEADLINE_MS;
	c->a = vt_connect(c->sw);
	c->b = vt_connect(c->sw);
	vt_mac(c->a, c->ma);
	vt_mac(c->b, c->mb);
	atomic_store(&c->target, vt_mac_pack(VT_FOREIGN(250)));
	ck_assert_int_eq(vnetif_listen(c->a, a_listener, c), 0);
	ck_assert_int_eq(vnetif_listen(c->b, b_listener, c), 0);
	if (async) {
		ck_assert_int_eq(vnetif_reader_start(c->a), 0);
		ck_assert_int_eq(vnetif_reader_start(c->b), 0);
	}
	ck_assert_int_eq(pthread_create(&ta, NULL, traffic_a, c), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, traffic_b, c), 0);
	for (int i = 0; i < nchurners; i++) {
		x[i].c = c;
		atomic_init(&x[i].got, 0);
		ck_assert_int_eq(pthread_create(&tc[i], NULL, churner, &x[i]), 0);
	}
	for (int i = 0; i < nchurners; i++)
		pthread_join(tc[i], NULL);
	atomic_store(&c->stop, 1);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_msg(atomic_load(&c->churn_failures) == 0, "churn: %s", c->failure);
	ck_assert_uint_eq(c->traffic_errors, 0);
	ck_assert_uint_eq(atomic_load(&c->stray), 0);
	ck_assert_uint_eq(vt_sw_stats(c->sw).ports, 2);

	/* the stable ports' traffic: every frame delivered, or dropped on a full ring */
	if (async)
		ck_assert(VT_WAIT(atomic_load(&c->b_got_from_a) + vt_stats(c->b).rx_drop_ring_full >=
					  c->a_to_b_ok &&
				  atomic_load(&c->a_got_bcast) + vt_stats(c->a).rx_drop_ring_full >=
					  c->b_bcast_ok));
	sa = vt_stats(c->a);
	sb = vt_stats(c->b);
	ck_assert_uint_le(atomic_load(&c->b_got_from_a), c->a_to_b_ok);
	ck_assert_uint_ge(atomic_load(&c->b_got_from_a) + sb.rx_drop_ring_full, c->a_to_b_ok);
	ck_assert_uint_le(atomic_load(&c->a_got_bcast), c->b_bcast_ok);
	ck_assert_uint_ge(atomic_load(&c->a_got_bcast) + sa.rx_drop_ring_full, c->b_bcast_ok);
	ck_assert_uint_eq(sb.tx_packets, c->b_bcast_ok);
	if (!async) { /* listeners in sync mode: nothing waits on a ring, so exact */
		ck_assert_uint_eq(sa.rx_drop_ring_full + sb.rx_drop_ring_full, 0);
		ck_assert_uint_eq(atomic_load(&c->b_got_from_a), c->a_to_b_ok);
		ck_assert_uint_eq(atomic_load(&c->a_got_bcast), c->b_bcast_ok);
	}
	if (async) {
		ck_assert_int_eq(vnetif_reader_stop(c->a), 0);
		ck_assert_int_eq(vnetif_reader_stop(c->b), 0);
	}
	ck_assert_uint_gt(c->a_to_b_ok, 0);
	/* Frames flooded to a churner's MAC after it left may still wait on a's or b's
	 * ring (the waits above are lower bounds): disconnecting frees and counts them,
	 * so the pool check below sees leaks only. */
	ck_assert_int_eq(vnetif_disconnect(c->a, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(c->b, 0), 0);
	vt_teardown(c->sw);
	pthread_mutex_destroy(&c->failure_lock);
	free(c);
}

static unsigned churn_cycles(void)
{
	return vt_tsan() ? 60 : 600;
}

START_TEST(test_churn_sync)
{
	run_churn(false, 1, churn_cycles());
}
END_TEST

START_TEST(test_churn_sync_two_churners)
{
	run_churn(false, 2, churn_cycles() / 2);
}
END_TEST

START_TEST(test_churn_async)
{
	run_churn(true, 1, churn_cycles());
}
END_TEST

START_TEST(test_churn_async_two_churners)
{
	run_churn(true, 2, churn_cycles() / 2);
}
END_TEST

Suite *stress_suite(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = vt_tcase("traffic");

	tcase_add_test(tc, test_stress_rx_burst);
	tcase_add_test(tc, test_stress_sync_listeners_shared_ports);
	tcase_add_test(tc, test_stress_reader_threads);
	tcase_add_test(tc, test_stress_reader_threads_backpressure);
	tcase_add_test(tc, test_stress_switch_poll);
	tcase_add_test(tc, test_async_listener_never_concurrent);
	suite_add_tcase(s, tc);

	tc = vt_tcase("churn");
	tcase_add_test(tc, test_churn_sync);
	tcase_add_test(tc, test_churn_sync_two_churners);
	tcase_add_test(tc, test_churn_async);
	tcase_add_test(tc, test_churn_async_two_churners);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(stress_suite());
}
