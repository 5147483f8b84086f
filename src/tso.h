/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segmentation offload (include/vnetif.h, "TCP segmentation offload"): which long
 * frames a TSO port may send, and their cutting, with DPDK's GSO library, for a port
 * that takes MTU-sized frames only.
 */
#ifndef VNETIF_TSO_H
#define VNETIF_TSO_H

#include <stdbool.h>

#include <rte_mbuf.h>

struct vnetif_switch;
struct vnetif_port;

/* What marks a TSO frame the switch accepted (and only such a frame: the switch clears
 * it on every other frame it takes). */
#define VNETIF_TSO_MARK RTE_MBUF_F_TX_TCP_SEG

/* Whether @m, longer than @mtu + 14, is a TSO frame a port of MTU @mtu may send; if so,
 * mark it: l2_len, l3_len, l4_len, tso_segsz (payload per segment at @mtu) and ol_flags
 * as a DPDK NIC with TSO takes them. Reads nothing beyond the first segment's data. */
bool vnetif_tso_accept(struct rte_mbuf *m, unsigned mtu);

/* Clear a mark on frames the switch did not accept as TSO frames (callers' ol_flags). */
static inline void vnetif_tso_unmark(struct rte_mbuf *m)
{
	if (unlikely(m->ol_flags & VNETIF_TSO_MARK))
		m->ol_flags &= ~(RTE_MBUF_F_TX_OFFLOAD_MASK);
}

/* Whether any of @n frames carries the mark. */
static inline bool vnetif_tso_any(struct rte_mbuf *const *pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		if (pkts[i]->ol_flags & VNETIF_TSO_MARK)
			return true;
	return false;
}

/* How many segments vnetif_tso_cut() makes of the marked frame @m at @mtu; -EMSGSIZE:
 * its headers leave no room for payload at @mtu. */
int vnetif_tso_segments(const struct rte_mbuf *m, unsigned mtu);

/*
 * Cut the marked frame @m into TCP segments that fit @mtu (and the sender's MTU, from its
 * tso_segsz), with their IPv4 and TCP checksums computed, into @out (room for @cap).
 * Takes @m. Returns the segments (>= 2), or -ENOMEM (pool empty), -EMSGSIZE (headers
 * leave no room for payload at @mtu, or more than @cap segments), @m freed.
 */
int vnetif_tso_cut(struct rte_mempool *mp, struct rte_mbuf *m, unsigned mtu,
		   struct rte_mbuf **out, uint16_t cap);

#endif /* VNETIF_TSO_H */
