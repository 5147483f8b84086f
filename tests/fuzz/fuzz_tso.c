/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: TCP segmentation offload (include/vnetif.h, "TCP segmentation offload").
 *
 * One frame per input, sent by a port with or without TSO to up to three others with and
 * without TSO, MTUs chosen by the input: a TCP/IPv4 frame whose headers, options, length
 * and mbuf chain layout the input bends (any header byte may change, so most frames are
 * not TSO frames). A reference written here from the header's words decides what must
 * happen, and every port's frames and counters are checked against it:
 * - up to the sender's MTU + 14: delivered as sent;
 * - longer, and a TSO frame of a TSO port: tx_tso; TSO ports get it whole; every other
 *   port gets its segments in order (a prefix, the rest counted as ring-full drops), each
 *   fitting both MTUs, headers as sent but for the IPv4 length, id and checksum and the
 *   TCP sequence number, flags and checksum, both checksums right, the payloads the
 *   frame's - or, if no payload fits the receiver's MTU or the cut needs more mbufs than
 *   the pool may have, nothing and rx_drop_segment;
 * - longer otherwise: tx_drop_oversize, nothing delivered;
 * and at the end every mbuf is back in the pool. A violation prints and aborts.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fuzz/fuzz_input.h"
#include "fuzz/vnetif_fuzz.h"
#include "vnetif.h"

#define NPORTS 4
#define RING 1024
#define POOL_SIZE 24575
#define ETH 14u

static struct rte_mempool *pool;
static uint8_t frame[VNETIF_TSO_FRAME_MAX + 64], got[VNETIF_TSO_FRAME_MAX + 64];

static _Noreturn void finding(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_tso: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* The reference: is @f (@len bytes, @first of them in the first segment) a TSO frame a
 * port of MTU @mtu may send? Header lengths into *l3, *l4. */
static bool ref_tso_frame(const uint8_t *f, size_t len, size_t first, unsigned mtu,
			  unsigned *l3, unsigned *l4)
{
	if (len > VNETIF_TSO_FRAME_MAX || first < ETH + 20 || f[12] != 0x08 || f[13] != 0x00 ||
	    f[ETH] >> 4 != 4 || f[ETH + 9] != IPPROTO_TCP)
		return false;
	*l3 = (f[ETH] & 0xfu) * 4u;
	if (*l3 < 20 || ((unsigned)f[ETH + 2] << 8 | f[ETH + 3]) != len - ETH ||
	    (f[ETH + 6] & 0x3f) != 0 || f[ETH + 7] != 0 || first < ETH + *l3 + 20)
		return false; /* MF or an offset: a fragment */
	*l4 = (unsigned)(f[ETH + *l3 + 12] >> 4) * 4u;
	return *l4 >= 20 && first >= ETH + *l3 + *l4 && mtu > *l3 + *l4;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* @n segments received by a port of MTU @mtu_d from a TSO frame (sender MTU @mtu_s):
 * the first @n of the cut, each right. */
static void check_segments(struct rte_mbuf **segs, unsigned n, size_t len, unsigned l3,
			   unsigned l4, unsigned mtu_s, unsigned mtu_d, unsigned dropped)
{
	unsigned unit = RTE_MIN(mtu_s, mtu_d) - l3 - l4;
	uint32_t payload = (uint32_t)(len - ETH - l3 - l4), off = 0;
	unsigned want = (payload + unit - 1) / unit;
	uint16_t id0 = (uint16_t)(frame[ETH + 4] << 8 | frame[ETH + 5]);

	if (n + dropped != want)
		finding("%u segments and %u ring-full drops, want %u (payload %u unit %u)", n,
			dropped, want, payload, unit);
	for (unsigned i = 0; i < n; i++, off += unit) {
		struct rte_mbuf *m = segs[i];
		bool last = i + 1 == want;
		unsigned plen = last ? payload - off : unit;
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(got + ETH);
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(got + ETH + l3);
		uint8_t fl = frame[ETH + l3 + 13];
		uint16_t sum;

		if (m->pkt_len != ETH + l3 + l4 + plen || m->pkt_len > RTE_MIN(mtu_s, mtu_d) + ETH)
			finding("segment %u: %u bytes, want %u", i, m->pkt_len, ETH + l3 + l4 + plen);
		if (rte_pktmbuf_read(m, 0, m->pkt_len, got) != got)
			memcpy(got, rte_pktmbuf_read(m, 0, m->pkt_len, got), m->pkt_len);
		if (memcmp(got, frame, ETH + 2) || memcmp(got + ETH + 6, frame + ETH + 6, 4) ||
		    memcmp(got + ETH + 12, frame + ETH + 12, l3 - 12) ||
		    memcmp(got + ETH + l3, frame + ETH + l3, 4) ||
		    memcmp(got + ETH + l3 + 8, frame + ETH + l3 + 8, 5) ||
		    memcmp(got + ETH + l3 + 14, frame + ETH + l3 + 14, 2) ||
		    memcmp(got + ETH + l3 + 18, frame + ETH + l3 + 18, l4 - 18))
			finding("segment %u: a header field changed that must not", i);
		if (rte_be_to_cpu_16(ip->total_length) != m->pkt_len - ETH ||
		    rte_be_to_cpu_16(ip->packet_id) != (uint16_t)(id0 + i) || rte_ipv4_cksum(ip) != 0)
			finding("segment %u: IPv4 length, id or checksum wrong", i);
		if (be32(got + ETH + l3 + 4) != be32(frame + ETH + l3 + 4) + off ||
		    th->tcp_flags != (last ? fl : fl & ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG)))
			finding("segment %u: TCP sequence number or flags wrong", i);
		sum = th->cksum;
		th->cksum = 0;
		if (sum != rte_ipv4_udptcp_cksum(ip, th))
			finding("segment %u: TCP checksum wrong", i);
		if (memcmp(got + ETH + l3 + l4, frame + ETH + l3 + l4 + off, plen))
			finding("segment %u: payload differs", i);
	}
}

/* Whether cutting a @len-byte frame at @mtu may find the pool without the mbufs it needs
 * (two per segment), given what other ports' rings may hold meanwhile. */
static bool cut_may_run_dry(size_t len, unsigned l3, unsigned l4, unsigned mtu)
{
	size_t unit = mtu - l3 - l4, segs = (len - ETH - l3 - l4 + unit - 1) / unit;

	return 2 * segs + (NPORTS - 1) * 2 * RING + len / 64 + 64 > POOL_SIZE;
}

static unsigned take(vnetif_port *p, struct rte_mbuf **out, unsigned cap)
{
	unsigned n = 0;
	int k;

	while (n < cap && (k = vnetif_rx_burst(p, out + n, (uint16_t)RTE_MIN(cap - n, 32u))) > 0)
		n += (unsigned)k;
	return n;
}

/* @len bytes of frame[] into a chain: @first bytes in the first segment, then @seg. */
static struct rte_mbuf *chain(size_t len, size_t first, size_t seg)
{
	struct rte_mbuf *head = NULL;

	for (size_t off = 0; off < len;) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t n = (uint16_t)RTE_MIN(off == 0 ? first : seg, len - off);

		if (m == NULL)
			finding("pool empty building the frame");
		memcpy(rte_pktmbuf_append(m, n), frame + off, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			finding("chain refused");
		off += n;
	}
	return head;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	(void)argc;
	(void)argv;
	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 511;
	if (vnetif_switch_create(&cfg, &sw) != 0 || vnetif_switch_destroy(sw) != 0)
		abort(); /* the first switch starts EAL; the pool needs it */
	pool = rte_pktmbuf_pool_create("fuzztso", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	return pool == NULL ? (abort(), 0) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned mtus[] = {1500, 9000, 576, 68, 128, 1000, 9600, 200};
	struct input in = {data, size};
	uint8_t a = in_u8(&in), b = in_u8(&in), c = in_u8(&in);
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *port[NPORTS];
	uint8_t mac[NPORTS][6];
	unsigned mtu[NPORTS], ip_opts = (c & 7u) * 4u, tcp_opts = (c >> 3 & 7u) * 4u, l3, l4 = 0;
	bool tso[NPORTS];
	size_t payload = in_u16(&in), len, first, seg;
	uint8_t dst = in_u8(&in); /* a port's MAC, or one nobody has */

	vnetif_switch_config_init(&cfg);
	cfg.pool = pool;
	cfg.ring_size = RING;
	cfg.fwd_mode = a & 1 ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
	if (vnetif_switch_create(&cfg, &sw) != 0)
		finding("switch_create");
	for (unsigned i = 0; i < NPORTS; i++) {
		if (vnetif_connect(sw, NULL, &port[i]) != 0 || vnetif_mac(port[i], mac[i]) != 0)
			finding("connect");
		mtu[i] = mtus[(b >> (i * 2) & 3u) + (i == 0 ? (a >> 1 & 4u) : 0)];
		tso[i] = a >> (4 + i) & 1;
		if (vnetif_set_mtu(port[i], mtu[i]) != 0 || vnetif_set_tso(port[i], tso[i]) != 0)
			finding("set_mtu/set_tso");
	}

	/* a TCP/IPv4 frame, then bent by the input */
	len = RTE_MIN(ETH + 20 + ip_opts + 20 + tcp_opts + payload, (size_t)VNETIF_TSO_FRAME_MAX);
	memset(frame, 0, len);
	memcpy(frame, dst % 8 < NPORTS ? mac[dst % 8] : (const uint8_t[]){0x02, 1, 2, 3, 4, 5}, 6);
	memcpy(frame + 6, mac[0], 6);
	frame[12] = 0x08;
	frame[ETH] = (uint8_t)(0x40 | (20 + ip_opts) / 4);
	frame[ETH + 2] = (uint8_t)((len - ETH) >> 8);
	frame[ETH + 3] = (uint8_t)(len - ETH);
	frame[ETH + 4] = in_u8(&in);
	frame[ETH + 5] = in_u8(&in);
	frame[ETH + 6] = 0x40; /* DF */
	frame[ETH + 8] = 64;
	frame[ETH + 9] = IPPROTO_TCP;
	l3 = 20 + ip_opts;
	for (unsigned i = 0; i < 8; i++)
		frame[ETH + l3 + 4 + i] = in_u8(&in); /* sequence and ack numbers */
	frame[ETH + l3 + 12] = (uint8_t)((20 + tcp_opts) / 4 << 4);
	frame[ETH + l3 + 13] = in_u8(&in); /* flags */
	for (size_t i = ETH + l3 + 20 + tcp_opts; i < len; i++)
		frame[i] = (uint8_t)(i * 13 + (i >> 9));
	for (unsigned k = in_u8(&in) % 4; k > 0; k--) { /* bend a header byte */
		uint8_t at = in_u8(&in);

		frame[RTE_MIN((size_t)at, len - 1)] = in_u8(&in);
	}
	memcpy(frame + 6, mac[0], 6); /* the sender's own source: routing is not fuzzed here */
	first = RTE_MIN((size_t)(in_u8(&in) % 2 ? 14 + in_u8(&in) : 2048), len);
	seg = 64 + in_u16(&in) % (2048 - 63);

	/* send it */
	bool by_write = in_u8(&in) & 1;
	int rc;
	if (by_write) {
		rc = vnetif_write(port[0], frame, len);
		first = RTE_MIN(len, (size_t)2048); /* the switch gathers into its own chain */
	} else {
		struct rte_mbuf *m = chain(len, first, seg);

		rc = vnetif_tx_burst(port[0], &m, 1) == 1 ? 0 : -1;
	}

	/* what the reference says */
	bool fits = len <= mtu[0] + ETH, is_tso = false;
	struct vnetif_stats s0;

	if (!fits)
		is_tso = tso[0] && ref_tso_frame(frame, len, first, mtu[0], &l3, &l4);
	vnetif_stats_get(port[0], &s0);
	if (by_write && rc != (fits || is_tso ? 0 : -EMSGSIZE) && !(len < ETH && rc == -EINVAL))
		finding("write returned %d (len %zu, fits %d, tso %d)", rc, len, fits, is_tso);
	if (!fits && !is_tso && (s0.tx_drop_oversize != 1 || s0.tx_packets != 0))
		finding("a long frame that is no TSO frame was not dropped as oversize");
	if (s0.tx_tso != (is_tso ? 1u : 0u))
		finding("tx_tso %lu, want %d", (unsigned long)s0.tx_tso, is_tso);

	static struct rte_mbuf *segs[RING + 64];
	for (unsigned i = 1; i < NPORTS; i++) {
		unsigned n = take(port[i], segs, RTE_DIM(segs));
		struct vnetif_stats st;
		bool known = false, to_me;

		for (unsigned j = 0; j < NPORTS; j++)
			known |= memcmp(frame, mac[j], 6) == 0;
		/* a hub floods all; a learning switch sends a known MAC's frames to its port
		 * only (none for the sender's own) and floods the others */
		to_me = s0.tx_packets == 1 &&
			(cfg.fwd_mode == VNETIF_FWD_HUB || (frame[0] & 1) || !known ||
			 memcmp(frame, mac[i], 6) == 0);
		vnetif_stats_get(port[i], &st);
		if (!to_me || !is_tso || tso[i]) {
			if (n != (to_me ? 1u : 0u))
				finding("port %u got %u frames, want %d", i, n, to_me);
			if (n == 1 && (segs[0]->pkt_len != len ||
				       memcmp(rte_pktmbuf_read(segs[0], 0, len, got), frame, len)))
				finding("port %u: the frame changed on its way", i);
		} else if (RTE_MIN(mtu[0], mtu[i]) <= l3 + l4) {
			if (n != 0 || st.rx_drop_segment != 1)
				finding("port %u: no room for payload, yet %u frames, %lu drops", i, n,
					(unsigned long)st.rx_drop_segment);
		} else if (st.rx_drop_segment == 1 && n == 0 && st.rx_segmented == 0 &&
			   cut_may_run_dry(len, l3, l4, RTE_MIN(mtu[0], mtu[i]))) {
			/* the pool ran dry: counted, nothing delivered */
		} else {
			if (st.rx_segmented != 1 || st.rx_drop_segment != 0)
				finding("port %u: rx_segmented %lu rx_drop_segment %lu", i,
					(unsigned long)st.rx_segmented, (unsigned long)st.rx_drop_segment);
			check_segments(segs, n, len, l3, l4, mtu[0], mtu[i], (unsigned)st.rx_drop_ring_full);
		}
		rte_pktmbuf_free_bulk(segs, n);
	}
	for (unsigned i = 0; i < NPORTS; i++)
		if (vnetif_disconnect(port[i], 0) != 0)
			finding("disconnect");
	if (vnetif_switch_destroy(sw) != 0)
		finding("switch_destroy");
	if (rte_mempool_avail_count(pool) != POOL_SIZE)
		finding("%u of %u mbufs back", rte_mempool_avail_count(pool), POOL_SIZE);
	return 0;
}
