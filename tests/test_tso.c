/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segmentation offload, as include/vnetif.h promises it: a TSO port's long TCP/IPv4
 * frames reach TSO ports whole and every other port cut into segments that fit both
 * MTUs, each a correct TCP segment (lengths, ids, sequence numbers, flags, checksums)
 * whose payloads add up to the frame's; long frames that are not TSO frames, and long
 * frames of ports without TSO, are dropped as oversize; a mark a caller put on a frame
 * is not taken for the switch's; cuts that cannot be made are counted; nothing leaks.
 */
#include <netinet/in.h>

#include <rte_ip.h>
#include <rte_tcp.h>

#include "vnetif_test.h"

Suite *tso_suite(void);

#define ETH 14u
#define FIN RTE_TCP_FIN_FLAG
#define PSH RTE_TCP_PSH_FLAG
#define ACK RTE_TCP_ACK_FLAG

/* A TCP/IPv4 frame to build: what varies between the tests. */
struct seg_spec {
	unsigned ip_opts;  /* bytes of IPv4 options (multiple of 4, NOPs) */
	unsigned tcp_opts; /* bytes of TCP options (multiple of 4, NOPs) */
	unsigned payload;
	uint8_t flags;
	bool csum;         /* checksums filled in (else left 0, as a stack with them off) */
};

#define SEQ0 0x7ffffff0u /* wraps within the first frames' payload */
#define ID0 0xfffeu      /* wraps too */

static uint8_t pay(uint32_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) + 1);
}

/* Ethernet + IPv4 + TCP + payload into @f (room for the whole frame); returns its length. */
static size_t tcp4_build(uint8_t *f, const uint8_t *dst, const uint8_t *src,
			 const struct seg_spec *sp)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + ETH);
	unsigned l3 = 20 + sp->ip_opts, l4 = 20 + sp->tcp_opts;
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + ETH + l3);
	size_t len = ETH + l3 + l4 + sp->payload;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, l3);
	ip->version_ihl = (uint8_t)(0x40 | (l3 / 4));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4 + sp->payload));
	ip->packet_id = rte_cpu_to_be_16(ID0);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = RTE_BE32(0x0a000001);
	ip->dst_addr = RTE_BE32(0x0a000002);
	memset((uint8_t *)ip + 20, 1, sp->ip_opts); /* NOP options */
	memset(th, 0, l4);
	th->src_port = RTE_BE16(40000);
	th->dst_port = RTE_BE16(5001);
	th->sent_seq = rte_cpu_to_be_32(SEQ0);
	th->recv_ack = RTE_BE32(1234);
	th->data_off = (uint8_t)((l4 / 4) << 4);
	th->tcp_flags = sp->flags;
	th->rx_win = RTE_BE16(1000);
	memset((uint8_t *)th + 20, 1, sp->tcp_opts);
	for (uint32_t i = 0; i < sp->payload; i++)
		f[ETH + l3 + l4 + i] = pay(i);
	if (sp->csum) {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	}
	return len;
}

/* @len bytes of @f in an mbuf chain of @sw's pool, @first bytes in the first segment,
 * @seg in each of the others (0: as many as fit). */
static struct rte_mbuf *chain_of(vnetif_switch *sw, const uint8_t *f, size_t len, uint16_t first,
				 uint16_t seg)
{
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	uint16_t room = (uint16_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM);
	struct rte_mbuf *head = NULL;

	for (size_t off = 0; off < len;) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t want = off == 0 ? first : seg;
		uint16_t n = (uint16_t)RTE_MIN((size_t)(want ? want : room), len - off);

		ck_assert_ptr_nonnull(m);
		memcpy(rte_pktmbuf_append(m, n), f + off, n);
		if (head == NULL)
			head = m;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
		off += n;
	}
	return head;
}

/* The frame of @sp from @src to @dst in an mbuf chain of @sw's pool. */
static struct rte_mbuf *tcp4_mbuf(vnetif_switch *sw, const uint8_t *dst, const uint8_t *src,
				  const struct seg_spec *sp)
{
	uint8_t *f = malloc(VNETIF_TSO_FRAME_MAX);
	struct rte_mbuf *m = chain_of(sw, f, tcp4_build(f, dst, src, sp), 0, 0);

	free(f);
	return m;
}

static void send1(vnetif_port *p, struct rte_mbuf *m)
{
	ck_assert_int_eq(vnetif_tx_burst(p, &m, 1), 1);
}

/* Every frame on @p's ring, in order, into @out (cap @cap); how many. */
static unsigned take_all(vnetif_port *p, struct rte_mbuf **out, unsigned cap)
{
	unsigned n = 0;
	int k;

	while (n < cap && (k = vnetif_rx_burst(p, out + n, (uint16_t)RTE_MIN(cap - n, 32u))) > 0)
		n += (unsigned)k;
	ck_assert_int_eq(vnetif_rx_burst(p, &(struct rte_mbuf *){NULL}, 0), 0);
	return n;
}

/*
 * Check @segs (@n frames, received in order) are the frame of @sp cut into TCP segments of
 * at most @mtu bytes of IPv4: what TSO hardware sends. Frees them.
 */
static void check_segments(struct rte_mbuf **segs, unsigned n, const struct seg_spec *sp,
			   unsigned mtu)
{
	unsigned l3 = 20 + sp->ip_opts, l4 = 20 + sp->tcp_opts, unit = mtu - l3 - l4;
	uint8_t *f = malloc(VNETIF_TSO_FRAME_MAX);
	uint32_t got = 0;

	ck_assert_uint_eq(n, (sp->payload + unit - 1) / unit);
	for (unsigned i = 0; i < n; i++) {
		size_t len = vt_mbuf_read(segs[i], f, VNETIF_TSO_FRAME_MAX);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + ETH);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + ETH + l3);
		bool last = i + 1 == n;
		unsigned plen = last ? sp->payload - got : unit;

		ck_assert_uint_eq(len, ETH + l3 + l4 + plen);
		ck_assert_uint_le(len, mtu + ETH);
		ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), len - ETH);
		ck_assert_uint_eq(rte_be_to_cpu_16(ip->packet_id), (uint16_t)(ID0 + i));
		ck_assert_uint_eq(rte_ipv4_cksum(ip), 0);
		ck_assert_uint_eq(ip->next_proto_id, IPPROTO_TCP);
		uint16_t sum = th->cksum;

		th->cksum = 0;
		ck_assert_uint_eq(sum, rte_ipv4_udptcp_cksum(ip, th));
		ck_assert_uint_eq(rte_be_to_cpu_32(th->sent_seq), (uint32_t)(SEQ0 + got));
		ck_assert_uint_eq(th->tcp_flags, last ? sp->flags : sp->flags & ~(FIN | PSH));
		ck_assert_uint_eq(rte_be_to_cpu_32(th->recv_ack), 1234);
		ck_assert_uint_eq(th->data_off >> 4, l4 / 4);
		for (unsigned b = 0; b < plen; b++)
			ck_assert_uint_eq(f[ETH + l3 + l4 + b], pay(got + b));
		ck_assert_uint_eq(segs[i]->ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0);
		got += plen;
	}
	ck_assert_uint_eq(got, sp->payload);
	rte_pktmbuf_free_bulk(segs, n);
	free(f);
}

/* A frame received whole: the bytes that were sent. Frees it. */
static void check_whole(struct rte_mbuf *m, const uint8_t *dst, const uint8_t *src,
			const struct seg_spec *sp)
{
	uint8_t *want = malloc(VNETIF_TSO_FRAME_MAX), *got = malloc(VNETIF_TSO_FRAME_MAX);
	size_t len = tcp4_build(want, dst, src, sp);

	ck_assert_uint_eq(vt_mbuf_read(m, got, VNETIF_TSO_FRAME_MAX), len);
	ck_assert_int_eq(memcmp(want, got, len), 0);
	/* as a DPDK NIC with TSO would take it */
	ck_assert_uint_ne(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0);
	ck_assert_uint_eq(m->l2_len, ETH);
	ck_assert_uint_eq(m->l3_len, 20 + sp->ip_opts);
	ck_assert_uint_eq(m->l4_len, 20 + sp->tcp_opts);
	rte_pktmbuf_free(m);
	free(want);
	free(got);
}

/* Every mbuf of @sw's pool is in it, none twice (rte_mempool_avail_count() is clamped to
 * the pool's size, so an mbuf freed twice does not show there): all of them can be taken,
 * and then not one more. */
static void pool_exactly_full(vnetif_switch *sw)
{
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	void **all = calloc(mp->size, sizeof(*all)), *more;

	ck_assert_int_eq(rte_mempool_get_bulk(mp, all, mp->size), 0);
	ck_assert_int_ne(rte_mempool_get(mp, &more), 0);
	rte_mempool_put_bulk(mp, all, mp->size);
	free(all);
}

START_TEST(test_tso_off_by_default_and_errors)
{
	struct vt_rig r = vt_rig_async(false, "--");
	vnetif_port *gone;

	ck_assert_int_eq(vnetif_tso(r.port[0]), 0);
	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_tso(r.port[0]), 1);
	ck_assert_int_eq(vnetif_set_tso(r.port[0], false), 0);
	ck_assert_int_eq(vnetif_tso(r.port[0]), 0);
	ck_assert_int_eq(vnetif_tso(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_set_tso(NULL, true), -EINVAL);
	ck_assert_int_eq(vnetif_set_tso(r.port[1], true), 0);
	gone = r.port[1];
	ck_assert_int_eq(vnetif_disconnect(gone, 0), 0);
	ck_assert_int_eq(vnetif_tso(gone), -ENOTCONN);
	ck_assert_int_eq(vnetif_set_tso(gone, true), -ENOTCONN);
	/* the next port in that slot starts with TSO off */
	r.port[1] = vt_connect(r.sw);
	ck_assert_int_eq(vnetif_tso(r.port[1]), 0);
	vt_rig_down(&r);
}
END_TEST

/* Without TSO a long TCP frame is oversize, by write and by burst; with it, accepted. */
START_TEST(test_tso_long_frame_needs_tso)
{
	struct vt_rig r = vt_rig_async(false, "--");
	struct seg_spec sp = {.payload = 4000, .flags = ACK, .csum = true};
	uint8_t *f = malloc(VNETIF_TSO_FRAME_MAX);
	size_t len = tcp4_build(f, r.mac[1], r.mac[0], &sp);

	ck_assert_int_eq(vnetif_write(r.port[0], f, len), -EMSGSIZE);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &sp));
	ck_assert_uint_eq(vt_stats(r.port[0]).tx_drop_oversize, 2);
	ck_assert_uint_eq(vt_drain(r.port[1]), 0);

	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_set_tso(r.port[1], true), 0);
	ck_assert_int_eq(vnetif_write(r.port[0], f, len), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &sp));
	struct vnetif_stats s = vt_stats(r.port[0]);
	ck_assert_uint_eq(s.tx_tso, 2);
	ck_assert_uint_eq(s.tx_packets, 2);
	ck_assert_uint_eq(s.tx_drop_oversize, 2);
	struct rte_mbuf *got[4];
	ck_assert_uint_eq(take_all(r.port[1], got, 4), 2);
	check_whole(got[0], r.mac[1], r.mac[0], &sp);
	check_whole(got[1], r.mac[1], r.mac[0], &sp);
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_segmented, 0);
	free(f);
	vt_rig_down_empty(&r);
}
END_TEST

/* A TSO port to a port without TSO: segments that fit both MTUs, correct to the byte;
 * for several header and MTU shapes, sync and async, checksums in the frame or not. */
static void cut_case(bool async, unsigned mtu_src, unsigned mtu_dst, const struct seg_spec *sp)
{
	struct vt_rig r = vt_rig_async(async, "--");
	struct rte_mbuf **segs = calloc(4096, sizeof(*segs));
	unsigned n;

	ck_assert_int_eq(vnetif_set_mtu(r.port[0], mtu_src), 0);
	ck_assert_int_eq(vnetif_set_mtu(r.port[1], mtu_dst), 0);
	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], sp));
	n = take_all(r.port[1], segs, 4096);
	struct vnetif_stats sd = vt_stats(r.port[1]);
	ck_assert_uint_eq(sd.rx_segmented, 1);
	ck_assert_uint_eq(sd.rx_packets, n);
	ck_assert_uint_eq(sd.rx_drop_segment, 0);
	ck_assert_uint_eq(vt_stats(r.port[0]).tx_tso, 1);
	check_segments(segs, n, sp, RTE_MIN(mtu_src, mtu_dst));
	free(segs);
	vt_rig_down_empty(&r);
}

/* The frame in a chain of odd-length segments: every segment's payload then spans
 * segments that start at odd offsets of the TCP data (DPDK 22.11's own chain checksum
 * gets these wrong; the switch must not). */
START_TEST(test_tso_cut_odd_chain)
{
	struct vt_rig r = vt_rig_async(false, "--");
	struct seg_spec sp = {.payload = 5000, .flags = ACK | PSH, .csum = true};
	uint8_t *f = malloc(VNETIF_TSO_FRAME_MAX);
	struct rte_mbuf *segs[16];
	unsigned n;

	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	send1(r.port[0], chain_of(r.sw, f, tcp4_build(f, r.mac[1], r.mac[0], &sp), 0, 69));
	n = take_all(r.port[1], segs, 16);
	check_segments(segs, n, &sp, 1500);
	free(f);
	vt_rig_down_empty(&r);
}
END_TEST

START_TEST(test_tso_cut_for_plain_port)
{
	for (int async = 0; async < 2; async++) {
		cut_case(async, 1500, 1500,
			 &(struct seg_spec){.payload = 20000, .flags = ACK | PSH, .csum = true});
		/* checksums left out by the sender: the segments still carry correct ones */
		cut_case(async, 1500, 1500,
			 &(struct seg_spec){.payload = 8960, .flags = ACK | PSH | FIN});
		/* options on both headers; the receiver's MTU is the smaller */
		cut_case(async, 1500, 576,
			 &(struct seg_spec){.ip_opts = 8, .tcp_opts = 12, .payload = 30001,
					    .flags = ACK | PSH, .csum = true});
		/* the sender's MTU is the smaller */
		cut_case(async, 1000, 9000,
			 &(struct seg_spec){.tcp_opts = 12, .payload = 65535 - 52, .flags = ACK});
	}
}
END_TEST

/* Flooded (no port knows the destination): TSO ports get the frame whole and unchanged,
 * the others segments; the shared frame is not changed under the TSO ports. */
START_TEST(test_tso_flood_mixed_ports)
{
	struct vt_rig r = vt_rig_async(false, "----");
	struct seg_spec sp = {.tcp_opts = 12, .payload = 12000, .flags = ACK | PSH, .csum = true};
	struct rte_mbuf *segs[64];
	const uint8_t *nobody = VT_FOREIGN(9);
	unsigned n;

	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(vnetif_set_tso(r.port[i], true), 0);
	ck_assert_int_eq(vnetif_set_mtu(r.port[3], 9000), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, nobody, r.mac[0], &sp));
	check_whole(vt_recv_one(r.port[1]), nobody, r.mac[0], &sp);
	n = take_all(r.port[2], segs, 64);
	check_segments(segs, n, &sp, 1500);
	n = take_all(r.port[3], segs, 64); /* the sender's MTU */
	check_segments(segs, n, &sp, 1500);
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_segmented, 0);
	ck_assert_uint_eq(vt_stats(r.port[2]).rx_segmented, 1);
	ck_assert_uint_eq(vt_stats(r.port[3]).rx_segmented, 1);
	pool_exactly_full(r.sw);

	/* a caller's clone: its head is an indirect mbuf */
	struct rte_mbuf *orig = tcp4_mbuf(r.sw, r.mac[2], r.mac[0], &sp);
	send1(r.port[0], rte_pktmbuf_clone(orig, vnetif_switch_pool(r.sw)));
	n = take_all(r.port[2], segs, 64);
	check_segments(segs, n, &sp, 1500);
	rte_pktmbuf_free(orig);
	pool_exactly_full(r.sw);
	vt_rig_down_empty(&r);
}
END_TEST

/* Long frames of a TSO port that are not TSO frames: oversize, nothing delivered. */
START_TEST(test_tso_not_tso_frames_dropped)
{
	struct vt_rig r = vt_rig_async(false, "--");
	struct seg_spec sp = {.payload = 3000, .flags = ACK, .csum = true};
	uint8_t *f = malloc(VNETIF_TSO_FRAME_MAX + 64);
	unsigned drops = 0;

	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_set_tso(r.port[1], true), 0);
	for (int bad = 0; bad < 9; bad++) {
		size_t len = tcp4_build(f, r.mac[1], r.mac[0], &sp);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + ETH);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + ETH + 20);

		switch (bad) {
		case 0: ip->next_proto_id = IPPROTO_UDP; break;
		case 1: f[12] = 0x86; f[13] = 0xdd; break;                    /* IPv6 */
		case 2: f[12] = 0x81; f[13] = 0x00; break;                    /* VLAN */
		case 3: ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_MF_FLAG); break;
		case 4: ip->fragment_offset = RTE_BE16(100); break;
		case 5: ip->total_length = rte_cpu_to_be_16((uint16_t)(len - ETH - 1)); break;
		case 6: ip->version_ihl = 0x44; break;                        /* IHL < 5 */
		case 7: th->data_off = 0x40; break;                           /* < 5 words */
		case 8: ip->version_ihl = 0x65; break;                        /* version 6 */
		}
		ck_assert_int_eq(vnetif_write(r.port[0], f, len), -EMSGSIZE);
		drops++;
	}
	/* headers not in the first segment */
	send1(r.port[0], chain_of(r.sw, f, tcp4_build(f, r.mac[1], r.mac[0], &sp), 40, 0));
	drops++;
	/* longer than VNETIF_TSO_FRAME_MAX: by write, and by burst */
	{
		struct seg_spec big = {.payload = 65535 - 40, .flags = ACK};
		size_t len = tcp4_build(f, r.mac[1], r.mac[0], &big);

		ck_assert_uint_eq(len, VNETIF_TSO_FRAME_MAX);
		ck_assert_int_eq(vnetif_write(r.port[0], f, len + 1), -EMSGSIZE);
		drops++;
		struct rte_mbuf *m = tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &big);
		struct rte_mbuf *t = rte_pktmbuf_alloc(vnetif_switch_pool(r.sw));
		rte_pktmbuf_append(t, 1);
		ck_assert_int_eq(rte_pktmbuf_chain(m, t), 0);
		send1(r.port[0], m);
		drops++;
	}
	/* a TCP frame whose headers leave no payload room in the sender's MTU */
	{
		struct seg_spec fat = {.ip_opts = 40, .tcp_opts = 40, .payload = 3000, .flags = ACK};
		size_t len;

		ck_assert_int_eq(vnetif_set_mtu(r.port[0], 100), 0);
		len = tcp4_build(f, r.mac[1], r.mac[0], &fat);
		ck_assert_int_eq(vnetif_write(r.port[0], f, len), -EMSGSIZE);
		drops++;
	}
	struct vnetif_stats s = vt_stats(r.port[0]);
	ck_assert_uint_eq(s.tx_drop_oversize, drops);
	ck_assert_uint_eq(s.tx_tso, 0);
	ck_assert_uint_eq(s.tx_packets, 0);
	free(f);
	vt_rig_down_empty(&r);
}
END_TEST

/* A frame a caller marked for TSO itself (ol_flags, made-up lengths) from a port without
 * TSO, within the MTU: delivered as it is, not cut. */
START_TEST(test_tso_caller_mark_not_trusted)
{
	struct vt_rig r = vt_rig_async(false, "---");
	struct seg_spec sp = {.payload = 1400, .flags = ACK, .csum = true};
	struct rte_mbuf *m;

	ck_assert_int_eq(vnetif_set_tso(r.port[2], true), 0); /* the switch has a TSO port */
	m = tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &sp);
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
	m->l2_len = 100;
	m->l3_len = 200;
	m->l4_len = 50;
	m->tso_segsz = 3;
	send1(r.port[0], m);
	m = vt_recv_one(r.port[1]);
	ck_assert_uint_eq(m->pkt_len, ETH + 40 + 1400);
	ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_segmented, 0);
	vt_rig_down_empty(&r);
}
END_TEST

/* Cuts that cannot be made: counted on the receiver, the frame freed. */
START_TEST(test_tso_cut_failures_counted)
{
	struct vnetif_switch_config cfg;
	struct vt_rig r;
	struct seg_spec fat = {.ip_opts = 40, .tcp_opts = 40, .payload = 3000, .flags = ACK};
	struct seg_spec big = {.payload = 60000, .flags = ACK};

	/* headers that leave no room at the receiver's MTU */
	r = vt_rig_async(false, "--");
	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_set_mtu(r.port[1], 120), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &fat));
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_drop_segment, 1);
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_packets, 0);
	ck_assert_uint_eq(vt_sw_stats(r.sw).drops, 1);
	vt_rig_down_empty(&r);

	/* the pool runs dry: 60000 bytes at MTU 576 are 112 segments of two mbufs each */
	vt_config(&cfg);
	cfg.pool_size = 200;
	r = vt_rig_up(&cfg, "--");
	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_set_mtu(r.port[1], 576), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &big));
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_drop_segment, 1);
	ck_assert_uint_eq(vt_stats(r.port[1]).rx_segmented, 0);
	vt_rig_down_empty(&r); /* every mbuf back */
}
END_TEST

/* A copying listener on a TSO port gets the whole frame, longer than any MTU. */
static _Atomic size_t heard_len;
static uint8_t *heard;

static void hear(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)port;
	(void)arg;
	memcpy(heard, frame, RTE_MIN(len, (size_t)VNETIF_TSO_FRAME_MAX));
	atomic_store(&heard_len, len);
}

START_TEST(test_tso_copy_listener_long_frame)
{
	struct vt_rig r = vt_rig_async(false, "--");
	struct seg_spec sp = {.payload = 40000, .flags = ACK, .csum = true};
	uint8_t *want = malloc(VNETIF_TSO_FRAME_MAX);
	size_t len = tcp4_build(want, r.mac[1], r.mac[0], &sp);

	heard = malloc(VNETIF_TSO_FRAME_MAX);
	ck_assert_int_eq(vnetif_set_tso(r.port[0], true), 0);
	ck_assert_int_eq(vnetif_set_tso(r.port[1], true), 0);
	ck_assert_int_eq(vnetif_listen(r.port[1], hear, NULL), 0);
	send1(r.port[0], tcp4_mbuf(r.sw, r.mac[1], r.mac[0], &sp));
	ck_assert_uint_eq(atomic_load(&heard_len), len);
	ck_assert_int_eq(memcmp(heard, want, len), 0);
	free(heard);
	free(want);
	vt_rig_down_empty(&r);
}
END_TEST

Suite *tso_suite(void)
{
	Suite *s = suite_create("tso");
	TCase *tc = vt_tcase("tso");

	tcase_add_test(tc, test_tso_off_by_default_and_errors);
	tcase_add_test(tc, test_tso_long_frame_needs_tso);
	tcase_add_test(tc, test_tso_cut_for_plain_port);
	tcase_add_test(tc, test_tso_cut_odd_chain);
	tcase_add_test(tc, test_tso_flood_mixed_ports);
	tcase_add_test(tc, test_tso_not_tso_frames_dropped);
	tcase_add_test(tc, test_tso_caller_mark_not_trusted);
	tcase_add_test(tc, test_tso_cut_failures_counted);
	tcase_add_test(tc, test_tso_copy_listener_long_frame);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(tso_suite());
}
