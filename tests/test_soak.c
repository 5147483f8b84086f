/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soak: many writer threads on many ports, in every mode (sync/async x learning/hub x
 * drop/back-pressure), random sizes (runts, oversize and chained frames included),
 * random destinations (ports, broadcast, multicast, unknown MACs, ports that come and
 * go), every kind of receiver at once, and a thread that connects and disconnects
 * ports all along. At the end, exactly, for every port that was ever connected:
 *   - what writers handed to it == tx_packets + the drops counted before routing
 *     (oversize, runt, bad source, pool empty);
 *   - rx_packets == frames its receivers got + rx_drop_disconnected;
 * for the switch: what was routed == delivered + counted drops (exact without churn;
 * with churn a flood's fan-out depends on who was connected, so it is bounded); every
 * frame received intact, never by its sender; every mbuf back in the pool.
 *
 * Bounded by frame counts (sized down 100x under TSan, VNETIF_TEST_SCALE=tsan). For a
 * long run by hand: VNETIF_SOAK_SECONDS=<s> runs each mode that long and prints the
 * figures (tests/README.md, "Reliability").
 */
#include <sched.h>

#include <rte_malloc.h>

#include "vnetif_test.h"

Suite *soak_suite(void);

#define NPORTS 8       /* stable ports */
#define NWRITERS 6
#define NCHURN_SLOTS 2 /* churning ports at once (one churn thread each) */
#define ALLPORTS (NPORTS + NCHURN_SLOTS)
#define SOAK_MTU 9000
#define DEADLINE_MS 300000u

struct soak;

struct wstats { /* per writer, per stable port: summed at the end */
	uint64_t handed[NPORTS];
	uint64_t errors;
};

struct churn_stats {
	uint64_t cycles, handed, tx_expect, rx_packets, got, disconnected, tx_packets;
	uint64_t routed_attempts; /* rx_packets + rx_drop_ring_full of churned ports */
	uint64_t routed;          /* tx_packets - own_port - no_route - flooded ... of churned */
	uint64_t flooded, unicast;
	uint64_t errors;
	char failure[160];
};

struct soak {
	vnetif_switch *sw;
	bool async, hub, bp, churn;
	vnetif_port *port[NPORTS];
	uint8_t mac[NPORTS][6];
	_Atomic uint64_t churn_mac[NCHURN_SLOTS]; /* packed MAC of a churning port, 0: none */
	atomic_int stop;       /* writers done: receivers and churners finish */
	uint64_t frames_per_writer, until_ms, deadline_ms;
	struct wstats w[NWRITERS];
	struct churn_stats c[NCHURN_SLOTS];
	atomic_uint_fast64_t got[ALLPORTS];  /* frames received per port (churn: slot) */
	atomic_uint_fast64_t bad, to_sender;
	pthread_t rxt[4];
	int nrxt;
};

static uint32_t xrand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 16);
}

/* Frames: dst, src, VT_ETHERTYPE, sequence number, pattern (vt_fill). A receiver
 * checks the pattern and that it is not the sender (its own MAC as source). */
static void got_frame(struct soak *s, int me, const uint8_t *own, const uint8_t *f, size_t len)
{
	uint8_t src[6];

	memcpy(src, f + 6, 6);
	if (vt_mac_eq(src, own))
		atomic_fetch_add(&s->to_sender, 1);
	if (!vt_frame_ok(f, len, f, src, vt_seq(f, len)))
		atomic_fetch_add(&s->bad, 1);
	atomic_fetch_add(&s->got[me], 1);
}

static int port_index(struct soak *s, const vnetif_port *p)
{
	for (int i = 0; i < NPORTS; i++)
		if (s->port[i] == p)
			return i;
	return -1;
}

static void copy_listener(vnetif_port *p, const void *f, size_t len, void *arg)
{
	struct soak *s = arg;
	int i = port_index(s, p);

	if (i < 0) {
		atomic_fetch_add(&s->bad, 1);
		return;
	}
	got_frame(s, i, s->mac[i], f, len);
}

static void mbuf_listener(vnetif_port *p, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct soak *s = arg;
	int i = port_index(s, p);
	uint8_t buf[VT_FRAME_MAX];

	for (uint16_t k = 0; k < n; k++) {
		const uint8_t *f = rte_pktmbuf_read(pkts[k], 0, pkts[k]->pkt_len, buf);

		if (i < 0 || f == NULL)
			atomic_fetch_add(&s->bad, 1);
		else
			got_frame(s, i, s->mac[i], f, pkts[k]->pkt_len);
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Receivers: ports 0-3 listeners (async: a reader each); 4-5 listeners served by
 * vnetif_switch_poll() (async) or run by writers (sync); 6-7 vnetif_rx_burst(). */
static void *drain_main(void *arg)
{
	struct soak *s = arg;
	struct rte_mbuf *pkts[32];
	uint8_t buf[VT_FRAME_MAX];

	for (;;) {
		bool stopping = atomic_load(&s->stop);
		int total = 0;

		for (int i = 6; i < NPORTS; i++) {
			int n = vnetif_rx_burst(s->port[i], pkts, 32);

			for (int k = 0; k < n; k++) {
				const uint8_t *f = rte_pktmbuf_read(pkts[k], 0, pkts[k]->pkt_len, buf);

				got_frame(s, i, s->mac[i], f, pkts[k]->pkt_len);
			}
			if (n > 0) {
				rte_pktmbuf_free_bulk(pkts, (unsigned)n);
				total += n;
			}
		}
		if (s->async)
			total += vnetif_switch_poll(s->sw, 32);
		if (total == 0) {
			if (stopping)
				return NULL;
			sched_yield();
		}
	}
}

/* Destinations: a stable port, broadcast, multicast, an unknown MAC, a churning port. */
static void pick_dst(struct soak *s, uint64_t *r, uint8_t *dst)
{
	uint32_t x = xrand(r) % 16;

	if (x < 10)
		memcpy(dst, s->mac[xrand(r) % NPORTS], 6);
	else if (x == 10)
		memcpy(dst, VT_BCAST, 6);
	else if (x == 11)
		memcpy(dst, VT_MCAST6, 6);
	else if (x == 12)
		memcpy(dst, VT_FOREIGN(xrand(r) % 4), 6);
	else {
		uint64_t m = atomic_load(&s->churn_mac[x % NCHURN_SLOTS]);

		memcpy(dst, m ? VT_BCAST : VT_FOREIGN(9), 6);
		if (m)
			vt_mac_unpack(m, dst);
	}
}

/* Lengths: mostly 60..1514, some chained (over one mbuf), a few runts and oversize. */
static size_t pick_len(uint64_t *r)
{
	uint32_t x = xrand(r) % 64;

	if (x == 0)
		return 14 + xrand(r) % 4; /* header only */
	if (x == 1)
		return SOAK_MTU + 14 + 1 + xrand(r) % 100; /* oversize: counted */
	if (x < 6)
		return 2049 + xrand(r) % (SOAK_MTU + 14 - 2049 + 1);
	return 60 + xrand(r) % (1514 - 60 + 1);
}

struct writer_arg {
	struct soak *s;
	int id;
};

static void *writer_main(void *arg)
{
	struct writer_arg *wa = arg;
	struct soak *s = wa->s;
	struct wstats *w = &s->w[wa->id];
	struct rte_mempool *mp = vnetif_switch_pool(s->sw);
	uint64_t r = 0x9e3779b97f4a7c15ull * (uint64_t)(wa->id + 1);
	uint8_t *buf = malloc(VT_FRAME_MAX + 128), dst[6];
	uint64_t i = 0;

	for (;; i++) {
		if (s->until_ms ? vt_now_ms() > s->until_ms : i >= s->frames_per_writer)
			break;
		if (i % 256 == 0 && vt_now_ms() > s->deadline_ms) {
			w->errors++;
			break;
		}
		int p = (int)(xrand(&r) % NPORTS);
		size_t len = pick_len(&r);
		uint32_t how = xrand(&r) % 8;
		const uint8_t *src = xrand(&r) % 512 == 0 ? VT_ZERO : s->mac[p]; /* bad source */
		int rc;

		pick_dst(s, &r, dst);
		vt_fill(buf, len, dst, src, (uint32_t)i);
		if (how < 5) {
			rc = vnetif_write(s->port[p], buf, len);
		} else if (how < 7) {
			struct iovec iov[3] = {{buf, 7}, {buf + 7, len / 2 - 7}, {buf + len / 2, len - len / 2}};

			rc = vnetif_writev(s->port[p], iov, 3);
		} else {
			struct rte_mbuf *m = len <= 2048 ? rte_pktmbuf_alloc(mp) : NULL;

			if (m == NULL) { /* pool empty, or too long for one mbuf: write it */
				rc = vnetif_write(s->port[p], buf, len);
			} else {
				memcpy(rte_pktmbuf_append(m, (uint16_t)len), buf, len);
				rc = vnetif_tx_burst(s->port[p], &m, 1) == 1 ? 0 : -EIO;
				if (rc)
					rte_pktmbuf_free(m);
			}
		}
		/* the switch took it (accepted, or counted as oversize / pool empty) */
		if (rc == 0 || rc == -EMSGSIZE || rc == -ENOBUFS)
			w->handed[p]++;
		else
			w->errors++;
		if (i % 64 == 0)
			sched_yield();
	}
	free(buf);
	return NULL;
}

struct churn_arg {
	struct soak *s;
	int slot;
	uint8_t mac[6]; /* of its current port (vnetif_mac() fails while it disconnects) */
};

static void churn_listener(vnetif_port *p, const void *f, size_t len, void *arg)
{
	struct churn_arg *ca = arg;

	(void)p;
	got_frame(ca->s, NPORTS + ca->slot, ca->mac, f, len);
}

static void churn_fail(struct churn_stats *c, const char *what, int rc)
{
	if (c->errors++ == 0)
		snprintf(c->failure, sizeof(c->failure), "%s: %d (%s)", what, rc, vnetif_strerror(rc));
}

/* Connect, listen (async: sometimes a reader), send a few frames, disconnect; then its
 * counters must balance exactly. */
static void *churn_main(void *arg)
{
	struct churn_arg *ca = arg;
	struct soak *s = ca->s;
	struct churn_stats *c = &s->c[ca->slot];
	uint8_t f[200], mac[6];

	while (!atomic_load(&s->stop) && c->errors == 0) {
		struct vnetif_stats st;
		vnetif_port *p = NULL;
		uint64_t got0 = atomic_load(&s->got[NPORTS + ca->slot]), sent = 0;
		bool reader = s->async && c->cycles % 2 == 0;
		int rc;

		if ((rc = vnetif_connect(s->sw, NULL, &p)) != 0) {
			churn_fail(c, "connect", rc);
			break;
		}
		vnetif_mac(p, mac);
		memcpy(ca->mac, mac, 6);
		if ((rc = vnetif_listen(p, churn_listener, ca)) != 0)
			churn_fail(c, "listen", rc);
		if (reader && (rc = vnetif_reader_start(p)) != 0)
			churn_fail(c, "reader_start", rc);
		atomic_store(&s->churn_mac[ca->slot], vt_mac_pack(mac));
		for (int k = 0; k < 4; k++) {
			vt_fill(f, sizeof(f), k % 2 ? VT_BCAST : s->mac[k % NPORTS], mac,
				(uint32_t)c->cycles);
			rc = vnetif_write(p, f, sizeof(f));
			if (rc == 0 || rc == -ENOBUFS)
				sent++;
			else
				churn_fail(c, "write", rc);
			sched_yield();
		}
		if (!s->async) /* sync: drain by polling a few times */
			for (int k = 0; k < 4; k++)
				vnetif_poll(p, 64);
		atomic_store(&s->churn_mac[ca->slot], 0);
		if ((rc = vnetif_disconnect(p, c->cycles % 3 == 0 ? 2 : 0)) != 0) {
			churn_fail(c, "disconnect", rc);
			break;
		}
		vnetif_stats_get(p, &st);
		uint64_t got = atomic_load(&s->got[NPORTS + ca->slot]) - got0;
		if (st.rx_packets != got + st.rx_drop_disconnected)
			churn_fail(c, "rx_packets != got + rx_drop_disconnected", (int)st.rx_packets);
		if (sent != st.tx_packets + st.tx_drop_pool_empty)
			churn_fail(c, "handed != tx_packets + pool_empty", (int)sent);
		c->handed += sent;
		c->tx_packets += st.tx_packets;
		c->rx_packets += st.rx_packets;
		c->routed_attempts += st.rx_packets + st.rx_drop_ring_full;
		c->routed += st.tx_packets - st.tx_drop_own_port - st.tx_drop_no_route - st.tx_flooded;
		c->flooded += st.tx_flooded;
		c->disconnected += st.rx_drop_disconnected;
		c->cycles++;
	}
	return NULL;
}

struct figures {
	uint64_t frames, cycles;
	double secs;
	long heap_delta; /* EAL heap bytes after - before the churn */
};

static uint64_t eal_heap_used(void)
{
	struct rte_malloc_socket_stats st;

	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

static struct figures run_soak(bool async, bool hub, bool bp, bool churn, uint64_t frames,
			       unsigned seconds)
{
	struct vnetif_switch_config cfg;
	struct soak *s = calloc(1, sizeof(*s));
	pthread_t wt[NWRITERS], ct[NCHURN_SLOTS];
	struct writer_arg wa[NWRITERS];
	struct churn_arg ca[NCHURN_SLOTS];
	struct figures fig = {0};
	uint64_t t0 = vt_now_ms(), heap0;

	ck_assert_ptr_nonnull(s);
	vt_config(&cfg);
	cfg.async_readers = async;
	cfg.fwd_mode = hub ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
	cfg.full_policy = bp ? VNETIF_FULL_BACKPRESSURE : VNETIF_FULL_DROP;
	cfg.backpressure_retries = 50;
	cfg.default_mtu = SOAK_MTU;
	cfg.ring_size = 256;
	cfg.grace_timeout_ms = 20000;
	s->sw = vt_switch(&cfg);
	s->async = async;
	s->hub = hub;
	s->churn = churn;
	s->frames_per_writer = frames;
	s->until_ms = seconds ? t0 + seconds * 1000ull : 0;
	s->deadline_ms = t0 + seconds * 1000ull + DEADLINE_MS; /* stuck, not slow */
	for (int i = 0; i < NPORTS; i++) {
		s->port[i] = vt_connect(s->sw);
		vt_mac(s->port[i], s->mac[i]);
		if (i < 4 || (i < 6 && async))
			ck_assert_int_eq(vnetif_listen(s->port[i], copy_listener, s), 0);
		else if (i < 6)
			ck_assert_int_eq(vnetif_listen_mbuf(s->port[i], mbuf_listener, s), 0);
		if (async && i < 4)
			ck_assert_int_eq(vnetif_reader_start(s->port[i]), 0);
	}
	if (async) /* ports 4-5: mbuf listeners served by vnetif_switch_poll() */
		for (int i = 4; i < 6; i++)
			ck_assert_int_eq(vnetif_listen_mbuf(s->port[i], mbuf_listener, s), 0);
	heap0 = eal_heap_used();
	ck_assert_int_eq(pthread_create(&s->rxt[0], NULL, drain_main, s), 0);
	for (int i = 0; churn && i < NCHURN_SLOTS; i++) {
		ca[i] = (struct churn_arg){.s = s, .slot = i};
		ck_assert_int_eq(pthread_create(&ct[i], NULL, churn_main, &ca[i]), 0);
	}
	for (int i = 0; i < NWRITERS; i++) {
		wa[i] = (struct writer_arg){s, i};
		ck_assert_int_eq(pthread_create(&wt[i], NULL, writer_main, &wa[i]), 0);
	}
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(wt[i], NULL);
	atomic_store(&s->stop, 1);
	for (int i = 0; churn && i < NCHURN_SLOTS; i++)
		pthread_join(ct[i], NULL);
	pthread_join(s->rxt[0], NULL);
	fig.heap_delta = (long)eal_heap_used() - (long)heap0;
	for (int i = 0; i < NPORTS; i++)
		if (async && i < 4)
			ck_assert_int_eq(vnetif_reader_stop(s->port[i]), 0);

	for (int c = 0; churn && c < NCHURN_SLOTS; c++) {
		ck_assert_msg(s->c[c].errors == 0, "churn %d: %s", c, s->c[c].failure);
		ck_assert_uint_gt(s->c[c].cycles, 0);
		fig.cycles += s->c[c].cycles;
	}
	/* Stable ports: disconnect (frames still on rings are counted), then balance. */
	uint64_t attempts = 0, routed = 0, flooded = 0, handed_all = 0;
	for (int i = 0; i < NPORTS; i++) {
		struct vnetif_stats st;
		uint64_t handed = 0;

		ck_assert_int_eq(vnetif_disconnect(s->port[i], 0), 0);
		st = vt_stats(s->port[i]);
		for (int w = 0; w < NWRITERS; w++)
			handed += s->w[w].handed[i];
		ck_assert_msg(handed == st.tx_packets + st.tx_drop_oversize + st.tx_drop_runt +
						st.tx_drop_bad_src + st.tx_drop_pool_empty,
			      "port %d: handed %" PRIu64 " != tx_packets %" PRIu64 " + drops", i, handed,
			      st.tx_packets);
		ck_assert_msg(st.rx_packets == atomic_load(&s->got[i]) + st.rx_drop_disconnected,
			      "port %d: rx_packets %" PRIu64 " != got %" PRIu64 " + disconnected %" PRIu64,
			      i, st.rx_packets, (uint64_t)atomic_load(&s->got[i]),
			      st.rx_drop_disconnected);
		ck_assert_uint_eq(st.tx_drop_reentry, 0);
		attempts += st.rx_packets + st.rx_drop_ring_full;
		routed += st.tx_packets - st.tx_drop_own_port - st.tx_drop_no_route - st.tx_flooded;
		flooded += st.tx_flooded;
		handed_all += handed;
	}
	for (int c = 0; c < NCHURN_SLOTS; c++) {
		attempts += s->c[c].routed_attempts;
		routed += s->c[c].routed;
		flooded += s->c[c].flooded;
	}
	/* Every routed frame reached one port (unicast) or every other connected port
	 * (flood): exact without churn, between the stable count and the most at once with. */
	ck_assert_uint_ge(attempts, routed + flooded * (NPORTS - 1));
	if (churn)
		ck_assert_uint_le(attempts, routed + flooded * (NPORTS - 1 + NCHURN_SLOTS));
	else
		ck_assert_uint_eq(attempts, routed + flooded * (NPORTS - 1));
	for (int w = 0; w < NWRITERS; w++)
		ck_assert_uint_eq(s->w[w].errors, 0);
	ck_assert_uint_eq(atomic_load(&s->bad), 0);
	ck_assert_uint_eq(atomic_load(&s->to_sender), 0);
	ck_assert_uint_gt(routed + flooded, 0);
	fig.frames = handed_all;
	for (int c = 0; c < NCHURN_SLOTS; c++)
		fig.frames += s->c[c].handed;
	fig.secs = (double)(vt_now_ms() - t0) / 1000.0;
	vt_teardown(s->sw);
	free(s);
	return fig;
}

static unsigned soak_seconds(void)
{
	const char *e = getenv("VNETIF_SOAK_SECONDS");

	return e ? (unsigned)strtoul(e, NULL, 10) : 0;
}

/* Every mode: _i bits: 1 async, 2 hub, 4 back-pressure. With and without churn. */
static void soak_mode(int i, bool churn)
{
	unsigned secs = soak_seconds();
	struct figures f = run_soak(i & 1, i & 2, i & 4, churn, vt_scale(10000), secs);

	if (secs || getenv("VNETIF_SOAK_VERBOSE"))
		printf("soak: %s %s %s%s: %d writer threads x %d ports (+%d churning), %" PRIu64
		       " frames in %.1f s, %" PRIu64 " churn cycles, EAL heap %+ld bytes "
		       "(%.0f per cycle)\n",
		       i & 1 ? "async" : "sync", i & 2 ? "hub" : "learning",
		       i & 4 ? "backpressure" : "drop", churn ? ", churn" : "", NWRITERS, NPORTS,
		       churn ? NCHURN_SLOTS : 0, f.frames, f.secs, f.cycles, f.heap_delta,
		       f.cycles ? (double)f.heap_delta / (double)f.cycles : 0.0);
}

START_TEST(test_soak_modes)
{
	soak_mode(_i, false);
}
END_TEST

START_TEST(test_soak_modes_churn)
{
	soak_mode(_i, true);
}
END_TEST

Suite *soak_suite(void)
{
	Suite *s = suite_create("soak");
	TCase *tc = vt_tcase("soak");

	tcase_set_timeout(tc, 0); /* bounded by DEADLINE_MS and the frame counts */
	tcase_add_loop_test(tc, test_soak_modes, 0, 8);
	tcase_add_loop_test(tc, test_soak_modes_churn, 0, 8);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(soak_suite());
}
