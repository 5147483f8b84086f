/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The accounting promises of include/vnetif.h, each checked as written:
 * - every frame handed to the switch is delivered or counted, and the frames a port
 *   wrote are exactly tx_packets + tx_drop_{oversize, runt, bad_src, pool_empty,
 *   reentry} (the other tx drops are part of tx_packets);
 * - a write with a multicast or zero source MAC returns 0 and counts tx_drop_bad_src;
 * - sync mode: frames a listener writes reach their destinations after the frame that
 *   called the listener has reached all of its own;
 * - vnetif_gatherv() builds the frame vnetif_writev() would send (chained when longer
 *   than an mbuf), counts its -EMSGSIZE and -ENOBUFS as writev does, and nothing else
 *   until vnetif_tx_burst() takes the frame.
 */
#include "vnetif_test.h"

Suite *accounting_suite(void);

static uint64_t written_identity(const struct vnetif_stats *s)
{
	return s->tx_packets + s->tx_drop_oversize + s->tx_drop_runt + s->tx_drop_bad_src +
	       s->tx_drop_pool_empty + s->tx_drop_reentry;
}

/* Sync listener of port B: on the first frame it sees, writes @n frames back. */
struct replier {
	vnetif_port *port;
	unsigned n;
	atomic_uint done;
};

static void reply_many(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct replier *r = arg;
	uint8_t mine[6];

	(void)frame;
	(void)len;
	if (atomic_fetch_add(&r->done, 1) != 0)
		return;
	vnetif_mac(port, mine);
	for (unsigned i = 0; i < r->n; i++)
		vt_write(r->port, VT_FOREIGN(9), mine, 60, 1000 + i);
}

START_TEST(test_written_equals_accepted_plus_counted)
{
	struct vnetif_switch_config cfg;
	struct rte_mempool *mp = vt_pool_create(2047, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct rte_mbuf *held[2047], *m;
	struct replier rep = {.n = VNETIF_REENTRY_DEPTH + 88};
	uint8_t ma[6], mb[6], buf[VT_FRAME_MAX + 16];
	uint64_t written_a = 0, written_b = 0;
	unsigned nheld = 0;
	vnetif_switch *sw;
	vnetif_port *a, *b, *c;
	struct vnetif_stats sa, sb;
	int rc;

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	a = vt_connect(sw);
	b = vt_connect(sw);
	c = vt_connect(sw); /* no listener: its frames wait on its ring */
	vt_mac(a, ma);
	vt_mac(b, mb);
	rep.port = b;

	/* accepted: unicast, flood, to an unknown MAC, to a MAC learned on a itself */
	vt_send(a, mb, 60, 1);
	vt_send(a, VT_BCAST, 60, 2);
	vt_send(a, VT_FOREIGN(7), 60, 3);
	ck_assert_int_eq(vt_write(a, mb, VT_FOREIGN(20), 60, 4), 0); /* learns FOREIGN(20) on a */
	ck_assert_int_eq(vt_write(a, VT_FOREIGN(20), ma, 60, 5), 0); /* own port: counted */
	written_a += 5;
	/* oversize by write (-EMSGSIZE, counted) and by burst */
	vt_fill(buf, 1515, mb, ma, 6);
	ck_assert_int_eq(vnetif_write(a, buf, 1515), -EMSGSIZE);
	written_a++;
	m = vt_mbuf_chain(mp, mb, ma, 1600, 1000, 1000, 7);
	ck_assert_int_eq(vnetif_tx_burst(a, &m, 1), 1);
	written_a++;
	/* runt by burst (a write shorter than a header is -EINVAL, not a frame) */
	m = rte_pktmbuf_alloc(mp);
	ck_assert_ptr_nonnull(rte_pktmbuf_append(m, 10));
	ck_assert_int_eq(vnetif_tx_burst(a, &m, 1), 1);
	written_a++;
	ck_assert_int_eq(vnetif_write(a, buf, 10), -EINVAL);
	/* bad source: the write succeeds (0) and the frame is counted */
	ck_assert_int_eq(vt_write(a, mb, VT_ZERO, 60, 8), 0);
	ck_assert_int_eq(vt_write(a, mb, VT_BCAST, 60, 9), 0);
	ck_assert_int_eq(vt_write(a, mb, VT_MCAST4, 60, 10), 0);
	written_a += 3;
	/* pool empty: -ENOBUFS, counted (frames waiting on rings go back first) */
	vt_drain(a);
	ck_assert_uint_eq(vt_drain(b), 4); /* 1, 2, 3 (unknown: flooded), 4 */
	vt_drain(c);
	while (nheld < RTE_DIM(held) && (held[nheld] = rte_pktmbuf_alloc(mp)) != NULL)
		nheld++;
	vt_fill(buf, 60, mb, ma, 11);
	ck_assert_int_eq(vnetif_write(a, buf, 60), -ENOBUFS);
	written_a++;
	rte_pktmbuf_free_bulk(held, nheld);
	/* re-entry overflow: b's listener writes DEPTH + 88 frames from inside one call */
	ck_assert_int_eq(vnetif_listen(b, reply_many, &rep), 0);
	vt_send(a, mb, 60, 12);
	written_a++;
	written_b += rep.n;

	sa = vt_stats(a);
	sb = vt_stats(b);
	ck_assert_uint_eq(sa.tx_drop_oversize, 2);
	ck_assert_uint_eq(sa.tx_drop_runt, 1);
	ck_assert_uint_eq(sa.tx_drop_bad_src, 3);
	ck_assert_uint_eq(sa.tx_drop_pool_empty, 1);
	ck_assert_uint_eq(sa.tx_drop_own_port, 1);
	ck_assert_uint_eq(sb.tx_drop_reentry, 88);
	ck_assert_uint_eq(sa.tx_packets, 6); /* the own-port drop is part of it */
	ck_assert_uint_eq(written_identity(&sa), written_a);
	ck_assert_uint_eq(written_identity(&sb), written_b);
	ck_assert_uint_eq(sb.tx_packets, VNETIF_REENTRY_DEPTH);

	/* the replies flooded to a and c (no listeners): on their rings */
	rc = (int)vt_drain(a);
	ck_assert_int_eq(rc, VNETIF_REENTRY_DEPTH);
	rc = (int)vt_drain(c);
	ck_assert_int_eq(rc, VNETIF_REENTRY_DEPTH);
	vt_teardown(sw);
	rte_mempool_free(mp);
}
END_TEST

/* Sync: who saw what, in order, across ports. */
struct order_log {
	atomic_uint n;
	char who[16];
	uint32_t seq[16];
};

struct order_ctx {
	struct order_log *log;
	char name;
	vnetif_port *self;
	bool reply; /* on frame 1, write frame 2 (broadcast) */
};

static void log_and_reply(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct order_ctx *ctx = arg;
	unsigned i = atomic_fetch_add(&ctx->log->n, 1);
	uint32_t seq = vt_seq(frame, len);
	uint8_t mine[6];

	if (i < 16) {
		ctx->log->who[i] = ctx->name;
		ctx->log->seq[i] = seq;
	}
	if (ctx->reply && seq == 1) {
		vnetif_mac(port, mine);
		vt_write(port, VT_BCAST, mine, 60, 2);
	}
}

START_TEST(test_reentrant_frames_after_outer_reached_all)
{
	struct order_log log = {0};
	struct order_ctx cb = {.log = &log, .name = 'B', .reply = true};
	struct order_ctx cc = {.log = &log, .name = 'C'};
	struct order_ctx cd = {.log = &log, .name = 'D'};
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw), *c = vt_connect(sw),
		    *d = vt_connect(sw);

	ck_assert_int_eq(vnetif_listen(b, log_and_reply, &cb), 0);
	ck_assert_int_eq(vnetif_listen(c, log_and_reply, &cc), 0);
	ck_assert_int_eq(vnetif_listen(d, log_and_reply, &cd), 0);
	/* frame 1 floods to b, c, d; b's listener writes frame 2 while frame 1 is under way */
	vt_send(a, VT_BCAST, 60, 1);
	ck_assert_uint_eq(atomic_load(&log.n), 5); /* 1 to b, c, d; 2 to c, d (and a's ring) */
	for (unsigned i = 0; i < 3; i++)
		ck_assert_msg(log.seq[i] == 1, "delivery %u was frame %u before frame 1 reached "
			      "every destination (%.5s)", i, log.seq[i], log.who);
	ck_assert_uint_eq(log.seq[3], 2);
	ck_assert_uint_eq(log.seq[4], 2);
	ck_assert_uint_eq(vt_drain(a), 1);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_gatherv_builds_what_writev_sends)
{
	struct rte_mempool *mp = vt_pool_create(511, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	struct rte_mbuf *held[511], *m, *burst[2];
	uint8_t ma[6], mb[6], frame[9000 + 14], got[9000 + 14];
	struct iovec iov[3];
	unsigned nheld = 0;
	vnetif_port *a, *b;
	vnetif_switch *sw = vt_pair_on_pool(mp, &a, &b, ma, mb);
	struct vnetif_stats sa;

	/* a 60-byte frame from three pieces: the bytes, in one mbuf, nothing counted yet */
	vt_fill(frame, 60, mb, ma, 1);
	iov[0] = (struct iovec){frame, 14};
	iov[1] = (struct iovec){NULL, 0};
	iov[2] = (struct iovec){frame + 14, 46};
	ck_assert_int_eq(vnetif_gatherv(a, iov, 3, &burst[0]), 0);
	ck_assert_uint_eq(burst[0]->pkt_len, 60);
	ck_assert_uint_eq(burst[0]->nb_segs, 1);
	ck_assert_ptr_eq(burst[0]->pool, mp);
	/* a jumbo frame: chained across mbufs, the same bytes */
	ck_assert_int_eq(vnetif_set_mtu(a, 9000), 0);
	vt_fill(frame, sizeof(frame), mb, ma, 2);
	iov[0] = (struct iovec){frame, sizeof(frame)};
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, &burst[1]), 0);
	ck_assert_uint_eq(burst[1]->pkt_len, sizeof(frame));
	ck_assert_uint_gt(burst[1]->nb_segs, 1);
	ck_assert_uint_eq(vt_mbuf_read(burst[1], got, sizeof(got)), sizeof(frame));
	ck_assert_mem_eq(got, frame, sizeof(frame));
	sa = vt_stats(a);
	ck_assert_uint_eq(sa.tx_packets, 0);
	ck_assert_uint_eq(written_identity(&sa), 0);
	/* sent together: both arrive, in order, whole */
	ck_assert_int_eq(vnetif_tx_burst(a, burst, 2), 2);
	ck_assert_int_eq(vnetif_rx_burst(b, burst, 2), 2);
	ck_assert_uint_eq(vt_mbuf_read(burst[0], got, sizeof(got)), 60);
	ck_assert(vt_frame_ok(got, 60, mb, ma, 1));
	ck_assert_uint_eq(vt_mbuf_read(burst[1], got, sizeof(got)), sizeof(frame));
	ck_assert(vt_frame_ok(got, sizeof(frame), mb, ma, 2));
	rte_pktmbuf_free_bulk(burst, 2);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 2);

	/* bad arguments: -EINVAL, nothing counted */
	iov[0] = (struct iovec){frame, 60};
	m = NULL;
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_gatherv(NULL, iov, 1, &m), -EINVAL);
	ck_assert_int_eq(vnetif_gatherv(a, NULL, 1, &m), -EINVAL);
	ck_assert_int_eq(vnetif_gatherv(a, iov, 0, &m), -EINVAL);
	ck_assert_int_eq(vnetif_gatherv(a, iov, 65, &m), -EINVAL);
	iov[0].iov_len = 10;
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, &m), -EINVAL);
	ck_assert_ptr_null(m);
	/* too long: -EMSGSIZE, counted as writev counts it */
	iov[0].iov_len = 9015;
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, &m), -EMSGSIZE);
	/* the pool empty: -ENOBUFS, counted */
	while (nheld < RTE_DIM(held) && (held[nheld] = rte_pktmbuf_alloc(mp)) != NULL)
		nheld++;
	iov[0].iov_len = 60;
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, &m), -ENOBUFS);
	rte_pktmbuf_free_bulk(held, nheld);
	sa = vt_stats(a);
	ck_assert_uint_eq(sa.tx_drop_oversize, 1);
	ck_assert_uint_eq(sa.tx_drop_pool_empty, 1);
	ck_assert_uint_eq(written_identity(&sa), 2 + 2);
	/* built and never sent: the caller frees it, the pool is whole at teardown */
	ck_assert_int_eq(vnetif_gatherv(a, iov, 1, &m), 0);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(vt_stats(a).tx_packets, 2);
	/* a disconnected port */
	ck_assert_int_eq(vnetif_disconnect(b, 1000), 0);
	ck_assert_int_eq(vnetif_gatherv(b, iov, 1, &m), -ENOTCONN);
	vt_teardown(sw);
	rte_mempool_free(mp);
}
END_TEST

Suite *accounting_suite(void)
{
	Suite *s = suite_create("accounting");
	TCase *tc = vt_tcase("accounting");

	tcase_add_test(tc, test_written_equals_accepted_plus_counted);
	tcase_add_test(tc, test_reentrant_frames_after_outer_reached_all);
	tcase_add_test(tc, test_gatherv_builds_what_writev_sends);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(accounting_suite());
}
