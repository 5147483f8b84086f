/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segmentation offload: a TSO port's long TCP/IPv4 frames, checked and marked as a
 * DPDK NIC with TSO expects them, and cut with DPDK's GSO library (rte_gso_segment())
 * where a frame goes to a port without TSO. GSO leaves the checksums to the NIC; the
 * ports here are software, so the switch computes them for each segment.
 */
#include <errno.h>
#include <netinet/in.h>

#include <rte_ether.h>
#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_tcp.h>

#include "tso.h"
#include "vnetif_private.h"

#define IP_MIN ((unsigned)sizeof(struct rte_ipv4_hdr))
#define TCP_MIN ((unsigned)sizeof(struct rte_tcp_hdr))

bool vnetif_tso_accept(struct rte_mbuf *m, unsigned mtu)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eh = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	const struct rte_tcp_hdr *th;
	unsigned l3, l4;

	if (m->pkt_len > VNETIF_TSO_FRAME_MAX || m->data_len < RTE_ETHER_HDR_LEN + IP_MIN)
		return false;
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || (ip->version_ihl >> 4) != 4 ||
	    ip->next_proto_id != IPPROTO_TCP)
		return false;
	l3 = (ip->version_ihl & 0xfu) * 4u;
	if (l3 < IP_MIN || rte_be_to_cpu_16(ip->total_length) != m->pkt_len - RTE_ETHER_HDR_LEN ||
	    (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) ||
	    m->data_len < RTE_ETHER_HDR_LEN + l3 + TCP_MIN)
		return false;
	th = (const struct rte_tcp_hdr *)(f + RTE_ETHER_HDR_LEN + l3);
	l4 = (unsigned)(th->data_off >> 4) * 4u;
	if (l4 < TCP_MIN || m->data_len < RTE_ETHER_HDR_LEN + l3 + l4 || mtu <= l3 + l4)
		return false; /* the headers must fit the first segment, and the MTU */
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = l3;
	m->l4_len = l4;
	m->tso_segsz = (uint16_t)(mtu - l3 - l4);
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_OFFLOAD_MASK) | RTE_MBUF_F_TX_TCP_SEG |
		      RTE_MBUF_F_TX_IPV4;
	return true;
}

/* TCP payload bytes per segment of the marked frame @m at @mtu; 0: none fit. */
static unsigned seg_payload(const struct rte_mbuf *m, unsigned mtu)
{
	unsigned hdr = m->l3_len + m->l4_len;

	return mtu > hdr ? RTE_MIN((unsigned)m->tso_segsz, mtu - hdr) : 0;
}

int vnetif_tso_segments(const struct rte_mbuf *m, unsigned mtu)
{
	unsigned unit = seg_payload(m, mtu);
	uint32_t payload = m->pkt_len - m->l2_len - m->l3_len - m->l4_len;

	return unit == 0 ? -EMSGSIZE : (int)((payload + unit - 1) / unit);
}

/*
 * The Internet checksum's sum (not complemented) of @len bytes of chain @m from @off.
 * Not rte_raw_cksum_mbuf(): DPDK 22.11's truncates a segment's 32-bit partial sum to 16
 * bits before swapping the bytes of a segment that starts at an odd offset, so a chain
 * with odd-length segments (a caller's, or GSO's indirect payload mbufs over one) gets
 * a wrong sum. Here each segment's sum is reduced (rte_raw_cksum()) before the swap.
 */
static uint16_t chain_sum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t sum = 0, done = 0;

	for (const struct rte_mbuf *s = m; s != NULL && done < len; s = s->next) {
		uint32_t n;
		uint16_t part;

		if (off >= s->data_len) {
			off -= s->data_len;
			continue;
		}
		n = RTE_MIN(s->data_len - off, len - done);
		part = rte_raw_cksum(rte_pktmbuf_mtod_offset(s, const void *, off), n);
		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		off = 0;
	}
	return __rte_raw_cksum_reduce(sum);
}

/* IPv4 header and TCP checksums of a segment rte_gso_segment() made: its headers are in
 * its first mbuf, a copy of its own. */
static void seg_checksums(struct rte_mbuf *s)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(s, struct rte_ipv4_hdr *, s->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)((uint8_t *)ip + s->l3_len);
	uint32_t l4_off = s->l2_len + s->l3_len, sum;

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->cksum = 0;
	sum = (uint32_t)chain_sum(s, l4_off, s->pkt_len - l4_off) + rte_ipv4_phdr_cksum(ip, 0);
	th->cksum = (uint16_t)~__rte_raw_cksum_reduce(sum);
	s->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
}

int vnetif_tso_cut(struct rte_mempool *mp, struct rte_mbuf *m, unsigned mtu,
		   struct rte_mbuf **out, uint16_t cap)
{
	unsigned unit = seg_payload(m, mtu);
	struct rte_gso_ctx ctx = {
		.direct_pool = mp,
		.indirect_pool = mp,
		.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
		.gso_size = (uint16_t)(m->l2_len + m->l3_len + m->l4_len + unit),
	};
	struct rte_mbuf *in = m;
	int k;

	if (unit == 0 || vnetif_tso_segments(m, mtu) > cap) {
		rte_pktmbuf_free(m);
		return -EMSGSIZE;
	}
	/* GSO clears the input's mark, and copies its head's flags into every segment's
	 * header mbuf: a frame other ports share (flooded), whose mark they must keep, or
	 * whose head is not a direct mbuf (a caller's clone), is cut from a copy. */
	if (rte_mbuf_refcnt_read(m) > 1 || !RTE_MBUF_DIRECT(m)) {
		in = rte_pktmbuf_copy(m, mp, 0, UINT32_MAX);
		rte_pktmbuf_free(m);
		if (in == NULL)
			return -ENOMEM;
	}
	k = rte_gso_segment(in, &ctx, out, cap);
	rte_pktmbuf_free(in); /* the segments hold their own references to its data */
	if (k <= 0)
		return k < 0 ? k : -EMSGSIZE; /* 0: it would fit, which a marked frame cannot */
	for (int i = 0; i < k; i++)
		seg_checksums(out[i]);
	return k;
}
