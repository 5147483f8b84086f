/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Impairments: each effect's exact result on counted frames for a fixed seed, replay
 * with the same seed, changes while running, held frames (delay, rate, reorder) released
 * by the clock in sync and async mode and freed at disconnect, the monitor hook, specs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "vnetif_test.h"

Suite *impair_suite(void);

#define N_FRAMES 1000

/* The rig of most tests (vt_rig_up(NULL, "--")): port A sends to port B; B has no
 * listener, so its frames wait on its ring. */
enum { A, B };

static struct vnetif_impair spec(const char *s)
{
	struct vnetif_impair im;
	int rc = vnetif_impair_parse(s, &im);

	ck_assert_msg(rc == 0, "parse(%s): %d", s, rc);
	return im;
}

static void impair(vnetif_port *p, enum vnetif_dir dir, const char *s)
{
	struct vnetif_impair im = spec(s);
	int rc = vnetif_impair_set(p, dir, &im);

	ck_assert_msg(rc == 0, "vnetif_impair_set(%s): %d (%s)", s, rc, vnetif_strerror(rc));
}

static struct vnetif_impair_stats istats(vnetif_port *p, enum vnetif_dir dir)
{
	struct vnetif_impair_stats st;

	ck_assert_int_eq(vnetif_impair_stats_get(p, dir, &st), 0);
	return st;
}

struct got {
	unsigned n;
	uint32_t seq[4 * N_FRAMES];
	uint32_t len[4 * N_FRAMES];
};

/* Take every frame on B's ring into @g, checking each is A's frame (first @check
 * bytes intact: pass the length sent, or 0 to skip the check). */
static void collect(struct vt_rig *r, struct got *g, uint32_t check)
{
	struct rte_mbuf *pkts[32];
	static uint8_t buf[VT_FRAME_MAX + 4096];
	int n;

	while ((n = vnetif_rx_burst(r->port[B], pkts, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			size_t len = vt_mbuf_read(pkts[i], buf, sizeof(buf));
			uint32_t seq = vt_seq(buf, len);

			ck_assert_uint_gt(len, 0);
			if (check)
				ck_assert_msg(vt_frame_ok(buf, check, r->mac[B], r->mac[A], seq),
					      "frame %u damaged", seq);
			ck_assert_uint_lt(g->n, RTE_DIM(g->seq));
			g->seq[g->n] = seq;
			g->len[g->n++] = (uint32_t)len;
			rte_pktmbuf_free(pkts[i]);
		}
	}
}

static void send_n(struct vt_rig *r, unsigned n, size_t len, uint32_t seq0)
{
	for (unsigned i = 0; i < n; i++)
		vt_send(r->port[A], r->mac[B], len, seq0 + i);
}

static struct got *got_new(void)
{
	struct got *g = calloc(1, sizeof(*g));

	ck_assert_ptr_nonnull(g);
	return g;
}

/* --- mirage-tcpip's impairments ------------------------------------------------------ */

START_TEST(test_size_limit_rejects_not_truncates)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();
	const size_t lens[] = {60, 100, 101, 1514, 99};

	impair(r.port[B], VNETIF_DIR_RX, "max_frame=100");
	for (unsigned i = 0; i < RTE_DIM(lens); i++)
		vt_send(r.port[A], r.mac[B], lens[i], i);
	collect(&r, g, 0);
	ck_assert_uint_eq(g->n, 3);
	ck_assert_uint_eq(g->len[0], 60);
	ck_assert_uint_eq(g->len[1], 100);
	ck_assert_uint_eq(g->len[2], 99);
	ck_assert_uint_eq(g->seq[2], 4);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).dropped_oversize, 2);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).passed, 3);
	ck_assert_uint_eq(vt_stats(r.port[B]).rx_packets, 3);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 2);
	free(g);
	vt_rig_down(&r);
}
END_TEST

/* Lengths received with "pad=7,seed=<seed>" for N_FRAMES 64-byte frames. */
static void pad_run(uint64_t seed, struct got *g, struct vnetif_impair_stats *st)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	char s[64];

	snprintf(s, sizeof(s), "pad=7,seed=%" PRIu64, seed);
	impair(r.port[B], VNETIF_DIR_RX, s);
	send_n(&r, N_FRAMES, 64, 0);
	collect(&r, g, 64);
	*st = istats(r.port[B], VNETIF_DIR_RX);
	vt_rig_down(&r);
}

START_TEST(test_trailing_bytes_exact_and_replayable)
{
	struct got *g1 = got_new(), *g2 = got_new(), *g3 = got_new();
	struct vnetif_impair_stats st;
	uint64_t padded = 0, bytes = 0;

	pad_run(7, g1, &st);
	ck_assert_uint_eq(g1->n, N_FRAMES);
	for (unsigned i = 0; i < g1->n; i++) {
		ck_assert_uint_eq(g1->seq[i], i);
		ck_assert(g1->len[i] >= 64 && g1->len[i] <= 71);
		padded += g1->len[i] > 64;
		bytes += g1->len[i] - 64;
	}
	ck_assert_uint_eq(st.padded, padded);
	ck_assert_uint_eq(st.pad_bytes, bytes);
	ck_assert(padded > N_FRAMES / 2 && padded < N_FRAMES); /* 7 in 8 get some */
	pad_run(7, g2, &st);
	ck_assert_mem_eq(g1->len, g2->len, sizeof(g1->len)); /* same seed: same pads */
	pad_run(8, g3, &st);
	ck_assert(memcmp(g1->len, g3->len, sizeof(g1->len)) != 0);
	free(g1);
	free(g2);
	free(g3);
}
END_TEST

/* Trailing bytes are zeros (collect() checked the frame before them). */
START_TEST(test_trailing_bytes_are_zero)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct rte_mbuf *m;
	uint8_t buf[128];
	size_t len;

	impair(r.port[B], VNETIF_DIR_RX, "pad=16,seed=3");
	for (uint32_t i = 0;; i++) {
		vt_send(r.port[A], r.mac[B], 64, i);
		m = vt_recv_one(r.port[B]);
		len = vt_mbuf_read(m, buf, sizeof(buf));
		rte_pktmbuf_free(m);
		if (len > 64)
			break;
		ck_assert_uint_lt(i, 100);
	}
	for (size_t i = 64; i < len; i++)
		ck_assert_uint_eq(buf[i], 0);
	vt_rig_down(&r);
}
END_TEST

static void loss_run(const char *s, struct got *g, struct vnetif_impair_stats *st, size_t len)
{
	struct vt_rig r = vt_rig_up(NULL, "--");

	impair(r.port[B], VNETIF_DIR_RX, s);
	send_n(&r, N_FRAMES, len, 0);
	collect(&r, g, (uint32_t)len);
	*st = istats(r.port[B], VNETIF_DIR_RX);
	ck_assert_uint_eq(vt_stats(r.port[B]).rx_packets, g->n);
	vt_rig_down(&r);
}

START_TEST(test_uniform_loss_exact_and_replayable)
{
	struct got *g1 = got_new(), *g2 = got_new(), *g3 = got_new();
	struct vnetif_impair_stats st;

	loss_run("loss=0.25,seed=42", g1, &st, 100);
	ck_assert_uint_eq(g1->n + st.dropped_loss, N_FRAMES);
	ck_assert_uint_eq(st.passed, g1->n);
	ck_assert(st.dropped_loss > 180 && st.dropped_loss < 320);
	for (unsigned i = 1; i < g1->n; i++) /* survivors keep their order */
		ck_assert_uint_gt(g1->seq[i], g1->seq[i - 1]);
	loss_run("loss=0.25,seed=42", g2, &st, 100);
	ck_assert_uint_eq(g1->n, g2->n);
	ck_assert_mem_eq(g1->seq, g2->seq, g1->n * sizeof(g1->seq[0]));
	loss_run("loss=0.25,seed=43", g3, &st, 100);
	ck_assert(g3->n != g1->n || memcmp(g1->seq, g3->seq, g1->n * sizeof(g1->seq[0])) != 0);
	free(g1);
	free(g2);
	free(g3);
}
END_TEST

START_TEST(test_small_frame_loss_only_small)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();
	struct vnetif_impair_stats st;

	impair(r.port[B], VNETIF_DIR_RX, "small_loss=1,small_len=64,seed=1");
	for (uint32_t i = 0; i < 100; i++)
		vt_send(r.port[A], r.mac[B], i % 2 ? 64 : 65, i);
	collect(&r, g, 0);
	st = istats(r.port[B], VNETIF_DIR_RX);
	ck_assert_uint_eq(g->n, 50);
	for (unsigned i = 0; i < g->n; i++)
		ck_assert_uint_eq(g->len[i], 65);
	ck_assert_uint_eq(st.dropped_small, 50);
	ck_assert_uint_eq(st.dropped_loss, 0);
	free(g);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_drop_window_after_bytes)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();

	/* 1000 bytes pass (ten 100-byte frames), then everything is dropped for 1 s */
	impair(r.port[B], VNETIF_DIR_RX, "cut_after=1000,cut=1s");
	send_n(&r, 30, 100, 0);
	collect(&r, g, 100);
	ck_assert_uint_eq(g->n, 10);
	ck_assert_uint_eq(g->seq[9], 9);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).dropped_cut, 20);
	usleep(1100 * 1000); /* the window is over, and it comes once */
	send_n(&r, 30, 100, 100);
	collect(&r, g, 100);
	ck_assert_uint_eq(g->n, 40);
	ck_assert_uint_eq(g->seq[10], 100);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).dropped_cut, 20);
	free(g);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_on_off_switch)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();
	struct vnetif_impair im;

	impair(r.port[B], VNETIF_DIR_RX, "down");
	send_n(&r, 5, 60, 0);
	impair(r.port[B], VNETIF_DIR_RX, "none"); /* link up again */
	send_n(&r, 5, 60, 5);
	impair(r.port[B], VNETIF_DIR_RX, "down");
	send_n(&r, 5, 60, 10);
	ck_assert_int_eq(vnetif_impair_set(r.port[B], VNETIF_DIR_RX, NULL), 0); /* stage off */
	send_n(&r, 5, 60, 15);
	collect(&r, g, 60);
	ck_assert_uint_eq(g->n, 10);
	ck_assert_uint_eq(g->seq[0], 5);
	ck_assert_uint_eq(g->seq[5], 15);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).dropped_down, 10);
	ck_assert_int_eq(vnetif_impair_get(r.port[B], VNETIF_DIR_RX, &im), -ENOENT);
	free(g);
	vt_rig_down(&r);
}
END_TEST

/* --- beyond mirage ------------------------------------------------------------------- */

static unsigned bits_differing(const uint8_t *a, const uint8_t *b, size_t len, size_t *where)
{
	unsigned n = 0;

	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i]) {
			n += (unsigned)__builtin_popcount(a[i] ^ b[i]);
			*where = i;
		}
	return n;
}

START_TEST(test_corruption_one_bit_and_shared_frames_copied)
{
	struct vt_rig r = vt_rig_up(NULL, "---");
	vnetif_port *c = r.port[2];
	uint8_t buf[256], want[256];
	struct rte_mbuf *m;

	impair(r.port[B], VNETIF_DIR_RX, "corrupt=1,seed=5");
	for (uint32_t i = 0; i < 50; i++) {
		size_t where = 0;

		/* broadcast: B and c share the mbuf; only B's copy may change */
		vt_send(r.port[A], VT_BCAST, 200, i);
		vt_fill(want, 200, VT_BCAST, r.mac[A], i);
		m = vt_recv_one(r.port[B]);
		ck_assert_uint_eq(vt_mbuf_read(m, buf, sizeof(buf)), 200);
		rte_pktmbuf_free(m);
		ck_assert_uint_eq(bits_differing(buf, want, 200, &where), 1);
		ck_assert_uint_ge(where, VNETIF_ETHER_HDR_LEN);
		m = vt_recv_one(c);
		ck_assert_uint_eq(vt_mbuf_read(m, buf, sizeof(buf)), 200);
		rte_pktmbuf_free(m);
		ck_assert_mem_eq(buf, want, 200);
	}
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).corrupted, 50);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_duplication_exact)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();
	struct vnetif_impair_stats st;
	unsigned twice = 0;

	impair(r.port[B], VNETIF_DIR_RX, "dup=0.5,seed=9");
	send_n(&r, 200, 80, 0);
	collect(&r, g, 80);
	st = istats(r.port[B], VNETIF_DIR_RX);
	for (unsigned i = 1; i < g->n; i++)
		twice += g->seq[i] == g->seq[i - 1];
	ck_assert_uint_eq(g->n, 200 + st.duplicated);
	ck_assert_uint_eq(twice, st.duplicated);
	ck_assert(st.duplicated > 60 && st.duplicated < 140);
	ck_assert_uint_eq(vt_stats(r.port[B]).rx_packets, g->n);
	free(g);
	vt_rig_down(&r);
}
END_TEST

/* Frames held by a delay reach a port nobody polls: the clock releases them. */
static void delay_case(bool async, bool listener)
{
	struct vt_rig r = vt_rig_async(async, listener ? "-c" : "--");
	struct vt_cap *cap = r.cap[B];
	struct got *g = got_new();
	uint64_t t0;

	if (listener && async)
		ck_assert_int_eq(vnetif_reader_start(r.port[B]), 0);
	impair(r.port[B], VNETIF_DIR_RX, "delay=300ms"); /* far longer than sending 10 frames */
	t0 = vt_now_ms();
	send_n(&r, 10, 100, 0);
	ck_assert_uint_eq(vt_cap_frames(cap), 0);
	if (!listener) {
		collect(&r, g, 100);
		ck_assert_uint_eq(g->n, 0);
	}
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).held, 10);
	if (listener) {
		ck_assert(VT_WAIT(vt_cap_frames(cap) == 10));
		for (uint32_t i = 0; i < 10; i++)
			ck_assert_uint_eq(vt_seq(cap->rec[i].data, cap->rec[i].len), i);
	} else {
		ck_assert(VT_WAIT((collect(&r, g, 100), g->n == 10)));
		for (uint32_t i = 0; i < 10; i++)
			ck_assert_uint_eq(g->seq[i], i);
	}
	ck_assert_uint_ge(vt_now_ms() - t0, 300);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).delayed, 10);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).held, 0);
	if (listener && async)
		ck_assert_int_eq(vnetif_reader_stop(r.port[B]), 0);
	free(g);
	vt_rig_down(&r);
}

START_TEST(test_delay_sync_ring)
{
	delay_case(false, false);
}
END_TEST

START_TEST(test_delay_sync_listener)
{
	delay_case(false, true);
}
END_TEST

START_TEST(test_delay_async_reader)
{
	delay_case(true, true);
}
END_TEST

START_TEST(test_jitter_bounds)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();

	impair(r.port[B], VNETIF_DIR_RX, "delay=300ms,jitter=20ms,seed=11");
	send_n(&r, 50, 100, 0);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).held, 50);
	ck_assert(VT_WAIT((collect(&r, g, 100), g->n == 50)));
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).delayed, 50);
	free(g);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_rate_limit_bucket_and_queue)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();
	struct vnetif_impair_stats st;
	uint64_t t0 = vt_now_ms();

	/* 80 kbit/s = 10 bytes/ms; a 1000-byte frame costs 100 ms (sending all 20 takes far
	 * less, even under a sanitizer); bucket 1514 bytes lets two frames through at once;
	 * five more wait; the other 13 find the queue full. */
	impair(r.port[B], VNETIF_DIR_RX, "rate=80kbit,burst=1514,queue=5");
	send_n(&r, 20, 1000, 0);
	collect(&r, g, 1000);
	ck_assert_uint_eq(g->n, 2);
	st = istats(r.port[B], VNETIF_DIR_RX);
	ck_assert_uint_eq(st.held, 5);
	ck_assert_uint_eq(st.dropped_queue_full, 13);
	ck_assert(VT_WAIT((collect(&r, g, 1000), g->n == 7)));
	/* the 7th frame leaves 600 ms after the first minus the bucket's 151 ms */
	ck_assert_uint_ge(vt_now_ms() - t0, 440);
	for (uint32_t i = 0; i < 7; i++)
		ck_assert_uint_eq(g->seq[i], i);
	free(g);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_reorder_later_frames_overtake)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();

	impair(r.port[B], VNETIF_DIR_RX, "reorder=1,reorder_delay=500ms");
	send_n(&r, 1, 100, 0);
	impair(r.port[B], VNETIF_DIR_RX, "none"); /* held frames keep their time */
	send_n(&r, 2, 100, 1);
	collect(&r, g, 100);
	ck_assert_uint_eq(g->n, 2);
	ck_assert_uint_eq(g->seq[0], 1);
	ck_assert_uint_eq(g->seq[1], 2);
	ck_assert(VT_WAIT((collect(&r, g, 100), g->n == 3)));
	ck_assert_uint_eq(g->seq[2], 0);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).reordered, 1);
	free(g);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_reorder_fraction_replayable)
{
	struct got *g[2];
	unsigned out_of_order[2] = {0, 0};
	uint64_t reordered[2];

	for (int k = 0; k < 2; k++) {
		struct vt_rig r = vt_rig_up(NULL, "--");

		g[k] = got_new();
		impair(r.port[B], VNETIF_DIR_RX, "reorder=0.1,reorder_delay=100ms,seed=77");
		send_n(&r, 200, 100, 0);
		ck_assert(VT_WAIT((collect(&r, g[k], 100), g[k]->n == 200)));
		for (unsigned i = 1; i < 200; i++)
			out_of_order[k] += g[k]->seq[i] < g[k]->seq[i - 1];
		reordered[k] = istats(r.port[B], VNETIF_DIR_RX).reordered;
		ck_assert(reordered[k] > 5 && reordered[k] < 40);
		vt_rig_down(&r);
	}
	/* which frames are held back is the seed's; when they land is the clock's */
	ck_assert_uint_eq(reordered[0], reordered[1]);
	ck_assert_uint_gt(out_of_order[0], 0);
	free(g[0]);
	free(g[1]);
}
END_TEST

START_TEST(test_tx_direction_and_connect_config)
{
	struct vnetif_switch_config cfg;
	struct vnetif_port_config pc = {.mtu = 0};
	struct vnetif_impair tx = spec("loss=1");
	struct vnetif_impair bad = spec("loss=0.5");
	vnetif_switch *sw;
	vnetif_port *a, *b, *x = NULL;
	uint8_t mb[6];

	vt_config(&cfg);
	sw = vt_switch(&cfg);
	pc.impair_tx = &tx;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &a), 0);
	b = vt_connect(sw);
	vt_send(a, vt_mac(b, mb), 60, 1);
	vt_send(a, mb, 60, 2);
	ck_assert_uint_eq(vt_drain(b), 0);
	ck_assert_uint_eq(istats(a, VNETIF_DIR_TX).dropped_loss, 2);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 2);
	bad.loss = 1.5;
	pc.impair_tx = &bad;
	ck_assert_int_eq(vnetif_connect(sw, &pc, &x), -EINVAL);
	ck_assert_ptr_null(x);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 2);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_held_frames_freed_at_disconnect)
{
	struct vt_rig r = vt_rig_up(NULL, "--");

	impair(r.port[B], VNETIF_DIR_RX, "delay=10s");
	impair(r.port[A], VNETIF_DIR_TX, "delay=10s");
	send_n(&r, 5, 100, 0);
	vt_send(r.port[B], r.mac[A], 100, 9);
	ck_assert_uint_eq(istats(r.port[A], VNETIF_DIR_TX).held, 5);
	/* A's five wait in A's TX queue, B's frame on A's ring */
	ck_assert_uint_eq(vt_sw_stats(r.sw).pool_in_use, 6);
	ck_assert_int_eq(vnetif_disconnect(r.port[A], 0), 0);
	ck_assert_uint_eq(istats(r.port[A], VNETIF_DIR_TX).dropped_disconnected, 5);
	ck_assert_uint_eq(vt_stats(r.port[A]).rx_drop_disconnected, 1);
	ck_assert_uint_eq(vt_sw_stats(r.sw).pool_in_use, 0);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 6);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_set_errors)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct vnetif_impair im;
	struct vnetif_impair_stats st;

	vnetif_impair_init(&im);
	ck_assert_int_eq(vnetif_impair_set(NULL, VNETIF_DIR_RX, &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_set(r.port[A], (enum vnetif_dir)2, &im), -EINVAL);
	im.loss = -0.1;
	ck_assert_int_eq(vnetif_impair_set(r.port[A], VNETIF_DIR_RX, &im), -EINVAL);
	im.loss = 0.0 / 0.0;
	ck_assert_int_eq(vnetif_impair_set(r.port[A], VNETIF_DIR_RX, &im), -EINVAL);
	vnetif_impair_init(&im);
	im.queue_limit = 0;
	ck_assert_int_eq(vnetif_impair_set(r.port[A], VNETIF_DIR_RX, &im), -EINVAL);
	vnetif_impair_init(&im);
	im.delay_ns = 61ull * 1000000000ull;
	ck_assert_int_eq(vnetif_impair_set(r.port[A], VNETIF_DIR_RX, &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_get(r.port[A], VNETIF_DIR_RX, &im), -ENOENT);
	ck_assert_int_eq(vnetif_impair_stats_get(r.port[A], VNETIF_DIR_RX, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_impair_stats_get(r.port[A], VNETIF_DIR_RX, &st), 0);
	ck_assert_uint_eq(st.passed, 0);
	ck_assert_int_eq(vnetif_disconnect(r.port[A], 0), 0);
	vnetif_impair_init(&im);
	ck_assert_int_eq(vnetif_impair_set(r.port[A], VNETIF_DIR_RX, &im), -ENOTCONN);
	ck_assert_int_eq(vnetif_monitor(r.port[A], NULL, NULL), -ENOTCONN);
	vt_rig_down(&r);
}
END_TEST

START_TEST(test_spec_parse_format)
{
	struct vnetif_impair im, back;
	char buf[256];

	ck_assert_int_eq(vnetif_impair_parse("loss=0.01,delay=1ms,seed=7", &im), 0);
	ck_assert(im.loss == 0.01);
	ck_assert_uint_eq(im.delay_ns, 1000000);
	ck_assert_uint_eq(im.seed, 7);
	ck_assert_int_eq(vnetif_impair_parse("rate=10mbit,burst=3K,cut_after=1M,cut=1s,pad=8,"
					     "max_frame=1000,jitter=50us,reorder=1%,dup=0.5,"
					     "corrupt=0.001,small_loss=0.5,small_len=64,queue=64",
					     &im), 0);
	ck_assert_uint_eq(im.rate_bps, 10000000);
	ck_assert_uint_eq(im.burst_bytes, 3072);
	ck_assert_uint_eq(im.cut_after_bytes, 1048576);
	ck_assert_uint_eq(im.cut_ns, 1000000000);
	ck_assert_uint_eq(im.jitter_ns, 50000);
	ck_assert(im.reorder == 0.01);
	ck_assert_int_gt(vnetif_impair_format(&im, buf, sizeof(buf)), 0);
	ck_assert_int_eq(vnetif_impair_parse(buf, &back), 0);
	ck_assert_mem_eq(&im, &back, sizeof(im));
	vnetif_impair_init(&im);
	vnetif_impair_format(&im, buf, sizeof(buf));
	ck_assert_str_eq(buf, "none");
	ck_assert_int_eq(vnetif_impair_parse("loss=2", &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_parse("bogus=1", &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_parse("delay=-1ms", &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_parse("delay=1parsec", &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_parse("queue=0", &im), -EINVAL);
	ck_assert_int_eq(vnetif_impair_parse(NULL, &im), -EINVAL);
}
END_TEST

/* Configured but switched off: frames pass untouched, nothing counted. */
START_TEST(test_off_passes_untouched)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct got *g = got_new();

	impair(r.port[B], VNETIF_DIR_RX, "off,loss=1,pad=100,corrupt=1");
	send_n(&r, 20, 100, 0);
	collect(&r, g, 100);
	ck_assert_uint_eq(g->n, 20);
	for (unsigned i = 0; i < 20; i++)
		ck_assert_uint_eq(g->len[i], 100);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).dropped_loss, 0);
	free(g);
	vt_rig_down(&r);
}
END_TEST

/* --- monitor ------------------------------------------------------------------------- */

struct mon_rec {
	unsigned n;
	enum vnetif_dir dir[64];
	uint32_t seq[64];
	size_t len[64];
};

static void mon_fn(vnetif_port *port, enum vnetif_dir dir, const void *frame, size_t len,
		   void *arg)
{
	struct mon_rec *m = arg;

	(void)port;
	if (m->n < 64) {
		m->dir[m->n] = dir;
		m->seq[m->n] = vt_seq(frame, len);
		m->len[m->n++] = len;
	}
}

START_TEST(test_monitor_sees_sends_and_receives_in_order)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct mon_rec *m = calloc(1, sizeof(*m));

	ck_assert_int_eq(vnetif_monitor(r.port[A], mon_fn, m), 0);
	impair(r.port[A], VNETIF_DIR_RX, "max_frame=100");
	vt_send(r.port[A], r.mac[B], 60, 1);
	vt_send(r.port[B], r.mac[A], 61, 2);
	vt_send(r.port[B], r.mac[A], 200, 3); /* dropped before a: not received, not seen */
	vt_send(r.port[A], r.mac[B], 62, 4);
	vt_send(r.port[B], r.mac[A], 63, 5);
	ck_assert_uint_eq(m->n, 4);
	ck_assert(m->dir[0] == VNETIF_DIR_TX && m->seq[0] == 1 && m->len[0] == 60);
	ck_assert(m->dir[1] == VNETIF_DIR_RX && m->seq[1] == 2 && m->len[1] == 61);
	ck_assert(m->dir[2] == VNETIF_DIR_TX && m->seq[2] == 4);
	ck_assert(m->dir[3] == VNETIF_DIR_RX && m->seq[3] == 5);
	vt_drain(r.port[A]);
	vt_drain(r.port[B]);
	ck_assert_int_eq(vnetif_monitor(r.port[A], NULL, NULL), 0);
	vt_send(r.port[A], r.mac[B], 60, 6);
	ck_assert_uint_eq(m->n, 4);
	vt_drain(r.port[B]);
	free(m);
	vt_rig_down(&r);
}
END_TEST

/* --- handles: slot reuse, control calls from inside ---------------------------------- */

/* A port's slot is reused by the next port (max_ports 2: the only free slot). The old
 * port's held frames were freed and counted at its disconnect; its counters answer
 * through its handle until the slot is reused, then -ENOTCONN; the new port starts with
 * no impairment, no monitor and zero counters, and the switch keeps the old drops. */
START_TEST(test_reused_slot_starts_without_old_stage)
{
	struct vnetif_switch_config cfg;
	struct mon_rec *m = calloc(1, sizeof(*m));
	struct vnetif_impair_stats st;
	struct vnetif_impair im;
	struct got *g = got_new();
	struct vt_rig r;
	vnetif_port *c;

	vt_config(&cfg);
	cfg.max_ports = 2;
	r = vt_rig_up(&cfg, "--");
	ck_assert_int_eq(vnetif_monitor(r.port[B], mon_fn, m), 0);
	impair(r.port[B], VNETIF_DIR_RX, "delay=10s,seed=3");
	impair(r.port[B], VNETIF_DIR_TX, "loss=1");
	send_n(&r, 5, 100, 0);
	vt_send(r.port[B], r.mac[A], 100, 7); /* lost on B's TX */
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_RX).held, 5);
	ck_assert_int_eq(vnetif_disconnect(r.port[B], 0), 0);
	st = istats(r.port[B], VNETIF_DIR_RX); /* still this port's: the slot is not reused yet */
	ck_assert_uint_eq(st.dropped_disconnected, 5);
	ck_assert_uint_eq(st.held, 0);
	ck_assert_uint_eq(istats(r.port[B], VNETIF_DIR_TX).dropped_loss, 1);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 6);
	ck_assert_uint_eq(vt_sw_stats(r.sw).pool_in_use, 0);
	unsigned seen = m->n;

	c = vt_connect(r.sw); /* B's slot */
	ck_assert_int_eq(vnetif_impair_stats_get(r.port[B], VNETIF_DIR_RX, &st), -ENOTCONN);
	ck_assert_int_eq(vnetif_impair_get(r.port[B], VNETIF_DIR_RX, &im), -ENOTCONN);
	ck_assert_int_eq(vnetif_impair_set(r.port[B], VNETIF_DIR_RX, NULL), -ENOTCONN);
	ck_assert_int_eq(vnetif_impair_get(c, VNETIF_DIR_RX, &im), -ENOENT);
	ck_assert_int_eq(vnetif_impair_get(c, VNETIF_DIR_TX, &im), -ENOENT);
	st = istats(c, VNETIF_DIR_RX);
	ck_assert_uint_eq(st.dropped_disconnected + st.delayed + st.passed + st.held, 0);
	ck_assert_uint_eq(istats(c, VNETIF_DIR_TX).dropped_loss, 0);
	/* c receives at once (no delay) and sends (no loss); B's monitor sees nothing */
	r.port[B] = c;
	vt_mac(c, r.mac[B]);
	send_n(&r, 3, 100, 10);
	collect(&r, g, 100);
	ck_assert_uint_eq(g->n, 3);
	vt_send(c, r.mac[A], 100, 20);
	ck_assert_uint_eq(vt_drain(r.port[A]), 1);
	ck_assert_uint_eq(m->n, seen);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 6); /* the old port's drops stay counted */
	free(g);
	free(m);
	vt_rig_down(&r);
}
END_TEST

/* What control calls made from inside answered, and on which thread. */
struct inside {
	vnetif_switch *sw;
	vnetif_port *self, *other;
	vnetif_capture *cap;
	_Atomic int calls;
	_Atomic bool done;          /* the rc_ fields are written (release) */
	int rc_monitor_self, rc_monitor_other, rc_disconnect, rc_capture_stop, rc_destroy;
	char thread[16];
};

static void inside_monitor(vnetif_port *port, enum vnetif_dir dir, const void *frame,
			   size_t len, void *arg)
{
	struct inside *in = arg;

	(void)dir, (void)frame, (void)len;
	if (atomic_fetch_add(&in->calls, 1) != 0)
		return;
	ck_assert(port == in->self); /* the handle, not the slot */
	in->rc_monitor_self = vnetif_monitor(port, NULL, NULL);
	in->rc_monitor_other = vnetif_monitor(in->other, NULL, NULL);
	in->rc_disconnect = vnetif_disconnect(in->other, 0);
	in->rc_capture_stop = vnetif_capture_stop(in->cap);
	in->rc_destroy = vnetif_switch_destroy(in->sw);
	atomic_store_explicit(&in->done, true, memory_order_release);
}

static void inside_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct inside *in = arg;

	(void)frame, (void)len;
	if (atomic_load(&in->calls) != 0)
		return;
	/* before inside_monitor publishes done */
	pthread_getname_np(pthread_self(), in->thread, sizeof(in->thread));
	inside_monitor(port, VNETIF_DIR_RX, frame, len, arg);
}

/* Control calls that wait, made from a monitor (on the sending thread) or from a
 * listener the impairment clock runs (vnetif-clk) answer -EDEADLK instead of hanging;
 * afterwards they work from outside. */
static void inside_case(bool from_clock)
{
	struct vt_rig r = vt_rig_up(NULL, "--");
	struct inside *in = calloc(1, sizeof(*in));
	int fd = open("/dev/null", O_WRONLY);

	ck_assert_ptr_nonnull(in);
	ck_assert_int_ge(fd, 0);
	in->sw = r.sw;
	in->self = r.port[B];
	in->other = r.port[A];
	ck_assert_int_eq(vnetif_capture_start(r.sw, NULL, fd, NULL, &in->cap), 0);
	if (from_clock) {
		ck_assert_int_eq(vnetif_listen(r.port[B], inside_listener, in), 0);
		impair(r.port[B], VNETIF_DIR_RX, "delay=50ms");
	} else {
		ck_assert_int_eq(vnetif_monitor(r.port[B], inside_monitor, in), 0);
	}
	vt_send(r.port[A], r.mac[B], 100, 1);
	ck_assert(VT_WAIT(atomic_load_explicit(&in->done, memory_order_acquire)));
	if (from_clock)
		ck_assert_str_eq(in->thread, "vnetif-clk");
	ck_assert_int_eq(in->rc_monitor_self, -EDEADLK);
	ck_assert_int_eq(in->rc_monitor_other, -EDEADLK);
	ck_assert_int_eq(in->rc_disconnect, -EDEADLK);
	ck_assert_int_eq(in->rc_capture_stop, -EDEADLK);
	ck_assert_int_eq(in->rc_destroy, -EDEADLK);
	ck_assert_int_eq(vnetif_monitor(r.port[B], NULL, NULL), 0);
	ck_assert_int_eq(vnetif_listen(r.port[B], NULL, NULL), 0);
	ck_assert_int_ge(vnetif_capture_stop(in->cap), 1);
	if (!from_clock)
		ck_assert_uint_eq(vt_drain(r.port[B]), 1);
	close(fd);
	free(in);
	vt_rig_down(&r);
}

START_TEST(test_control_from_monitor_is_edeadlk)
{
	inside_case(false);
}
END_TEST

START_TEST(test_control_from_clock_listener_is_edeadlk)
{
	inside_case(true);
}
END_TEST

Suite *impair_suite(void)
{
	Suite *s = suite_create("impair");
	TCase *tc = vt_tcase("mirage");

	tcase_add_test(tc, test_size_limit_rejects_not_truncates);
	tcase_add_test(tc, test_trailing_bytes_exact_and_replayable);
	tcase_add_test(tc, test_trailing_bytes_are_zero);
	tcase_add_test(tc, test_uniform_loss_exact_and_replayable);
	tcase_add_test(tc, test_small_frame_loss_only_small);
	tcase_add_test(tc, test_drop_window_after_bytes);
	tcase_add_test(tc, test_on_off_switch);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = vt_tcase("beyond");
	tcase_add_test(tc, test_corruption_one_bit_and_shared_frames_copied);
	tcase_add_test(tc, test_duplication_exact);
	tcase_add_test(tc, test_delay_sync_ring);
	tcase_add_test(tc, test_delay_sync_listener);
	tcase_add_test(tc, test_delay_async_reader);
	tcase_add_test(tc, test_jitter_bounds);
	tcase_add_test(tc, test_rate_limit_bucket_and_queue);
	tcase_add_test(tc, test_reorder_later_frames_overtake);
	tcase_add_test(tc, test_reorder_fraction_replayable);
	tcase_add_test(tc, test_off_passes_untouched);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = vt_tcase("control");
	tcase_add_test(tc, test_tx_direction_and_connect_config);
	tcase_add_test(tc, test_held_frames_freed_at_disconnect);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_spec_parse_format);
	tcase_add_test(tc, test_monitor_sees_sends_and_receives_in_order);
	tcase_add_test(tc, test_reused_slot_starts_without_old_stage);
	tcase_add_test(tc, test_control_from_monitor_is_edeadlk);
	tcase_add_test(tc, test_control_from_clock_listener_is_edeadlk);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(impair_suite());
}
