/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port security (portsec.c), and the fabric's one call into forwarding: a MAC-locked
 * port's frames pass the lock first, then the policy's lookup (fwd.h).
 */
#ifndef VNETIF_PORTSEC_H
#define VNETIF_PORTSEC_H

#include "vnetif_private.h"

/* Clear a slot's security settings for its next port (ctl held). */
void vnetif_portsec_reset(struct vnetif_port *p);

/* The lock in front of the policy: frames of a MAC-locked port whose source it may not
 * use are answered DROP(TX_DROP_MAC_LOCK) and never shown to the policy (which would
 * learn from them); the rest go to the policy's lookup. */
bool vnetif_portsec_lookup(struct vnetif_fwd *f, struct vnetif_port *src,
			   struct rte_mbuf **pkts, uint16_t n, struct vnetif_port **dst);

/* Where each of @n frames from @src goes (see fwd.h): a port, FLOOD or DROP(reason).
 * True: all go where dst[0] says (dst[1..n) not written). */
static inline bool vnetif_fwd_lookup(struct vnetif_fwd *f, struct vnetif_port *src,
				     struct rte_mbuf **pkts, uint16_t n, struct vnetif_port **dst)
{
	if (likely(!atomic_load_explicit(&src->sec_on, memory_order_acquire)))
		return f->ops->lookup(f->priv, src, pkts, n, dst);
	return vnetif_portsec_lookup(f, src, pkts, n, dst);
}

#endif /* VNETIF_PORTSEC_H */
