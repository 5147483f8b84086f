/* SPDX-License-Identifier: BSD-3-Clause */
/* The copying calls of mirage-vnetif's API, on top of vnetif_tx_burst(). */
#include <errno.h>
#include <string.h>

#include "datapath.h"
#include "tso.h"
#include "vnetif_private.h"

#define WRITEV_MAX 64

/* An mbuf (chained when needed) from the switch's pool holding the gathered frame. The
 * switch accepted the pool, so its mbufs hold at least VNETIF_POOL_ROOM_MIN bytes each:
 * the Ethernet header fits the first segment and the longest frame fits segs[]. */
static int gather(struct rte_mempool *mp, const struct iovec *iov, size_t len,
		  struct rte_mbuf **out)
{
	uint16_t room = (uint16_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM);
	unsigned nseg = (unsigned)((len + room - 1) / room);
	struct rte_mbuf *segs[(VNETIF_TSO_FRAME_MAX + VNETIF_POOL_ROOM_MIN - 1) /
			      VNETIF_POOL_ROOM_MIN];
	size_t off = 0; /* offset within iov[v] */
	int v = 0;

	if (nseg > RTE_DIM(segs))
		return -EMSGSIZE; /* cannot happen: the caller checked len */
	if (rte_pktmbuf_alloc_bulk(mp, segs, nseg) != 0)
		return -ENOBUFS;
	for (unsigned s = 0; s < nseg; s++) {
		uint16_t want = (uint16_t)RTE_MIN((size_t)room, len - (size_t)s * room);
		uint8_t *dst = (uint8_t *)rte_pktmbuf_append(segs[s], want);

		while (want > 0) {
			size_t take = RTE_MIN((size_t)want, iov[v].iov_len - off);

			if (take > 0) /* empty buffers may be {NULL, 0}: no memcpy from NULL */
				memcpy(dst, (const uint8_t *)iov[v].iov_base + off, take);
			dst += take;
			want -= (uint16_t)take;
			off += take;
			if (off == iov[v].iov_len) {
				v++;
				off = 0;
			}
		}
		if (s > 0 && rte_pktmbuf_chain(segs[0], segs[s]) != 0) {
			rte_pktmbuf_free(segs[0]);
			rte_pktmbuf_free_bulk(segs + s, nseg - s);
			return -EMSGSIZE;
		}
	}
	*out = segs[0];
	return 0;
}

/* A frame longer than one mbuf of @sw's pool that fits one of its large pool: gathered
 * into one large mbuf. -ENOBUFS: not such a frame, or no large mbuf free. */
static int gather_large(struct vnetif_switch *sw, const struct iovec *iov, size_t len,
			struct rte_mbuf **out)
{
	if (sw->large_pool == NULL || len > VNETIF_LARGE_ROOM ||
	    len <= (size_t)(rte_pktmbuf_data_room_size(sw->pool) - RTE_PKTMBUF_HEADROOM))
		return -ENOBUFS;
	return gather(sw->large_pool, iov, len, out);
}

/* vnetif_writev()'s frame: check @iov, enter @h and gather. 0 with the frame in *@m and
 * the port entered (*@port, *@tok: the caller sends or unlocks); or a negative errno,
 * the failure counted as writev counts it, nothing held. */
static int gather_entered(vnetif_port *h, const struct iovec *iov, int iovcnt,
			  struct vnetif_port **port, unsigned *tok, struct rte_mbuf **m)
{
	size_t len = 0;
	unsigned mtu;
	bool tso;
	int rc;

	if (vnetif_port_slot(h) == NULL || iov == NULL || iovcnt < 1 || iovcnt > WRITEV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0 && iov[i].iov_base == NULL)
			return -EINVAL;
		/* saturate: lengths whose sum wraps are too long, not short */
		len = iov[i].iov_len > SIZE_MAX - len ? SIZE_MAX : len + iov[i].iov_len;
	}
	rc = vnetif_port_enter(h, false, port, tok);
	if (rc)
		return rc;
	mtu = atomic_load_explicit(&(*port)->mtu, memory_order_relaxed);
	tso = atomic_load_explicit(&(*port)->tso, memory_order_relaxed);
	if (len < VNETIF_ETHER_HDR_LEN) {
		rc = -EINVAL;
	} else if (len > mtu + VNETIF_ETHER_HDR_LEN && (!tso || len > VNETIF_TSO_FRAME_MAX)) {
		vnetif_count(&(*port)->tx[TX_DROP_OVERSIZE], 1);
		rc = -EMSGSIZE;
	} else {
		rc = gather_large((*port)->sw, iov, len, m);
		if (rc == -ENOBUFS) /* none free: chained as without them */
			rc = gather((*port)->sw->pool, iov, len, m);
		if (rc == -ENOBUFS)
			vnetif_count(&(*port)->tx[TX_DROP_POOL_EMPTY], 1);
		/* a long frame: a TSO frame, or refused now rather than dropped later */
		if (rc == 0 && len > mtu + VNETIF_ETHER_HDR_LEN && !vnetif_tso_accept(*m, mtu)) {
			rte_pktmbuf_free(*m);
			vnetif_count(&(*port)->tx[TX_DROP_OVERSIZE], 1);
			rc = -EMSGSIZE;
		}
	}
	if (rc)
		vnetif_srcu_unlock(&(*port)->sw->srcu, *tok);
	return rc;
}

VNETIF_API int vnetif_writev(vnetif_port *h, const struct iovec *iov, int iovcnt)
{
	struct vnetif_port *port;
	struct rte_mbuf *m;
	unsigned tok;
	int rc = gather_entered(h, iov, iovcnt, &port, &tok, &m);

	if (rc)
		return rc;
	/* still in the section that found the port connected: send from there */
	vnetif_tx_entered(port, tok, &m, 1);
	return 0;
}

VNETIF_API int vnetif_gatherv(vnetif_port *h, const struct iovec *iov, int iovcnt,
			      struct rte_mbuf **m)
{
	struct vnetif_port *port;
	unsigned tok;
	int rc;

	if (m == NULL)
		return -EINVAL;
	rc = gather_entered(h, iov, iovcnt, &port, &tok, m);
	if (rc)
		return rc;
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	return 0;
}

VNETIF_API int vnetif_write(vnetif_port *port, const void *frame, size_t len)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)frame, .iov_len = len};

	if (frame == NULL)
		return -EINVAL;
	return vnetif_writev(port, &iov, 1);
}
