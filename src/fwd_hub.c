/* SPDX-License-Identifier: BSD-3-Clause */
/* Hub: every frame to every other port (mirage-vnetif's behaviour). No table. */
#include "vnetif_private.h"

static bool hub_lookup(void *priv, struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n,
		       struct vnetif_port **dst)
{
	(void)priv, (void)src, (void)pkts, (void)n;
	dst[0] = VNETIF_ROUTE_FLOOD; /* ... and so every frame */
	return true;
}

const struct vnetif_fwd_ops vnetif_fwd_hub = {
	.name = "hub",
	.lookup = hub_lookup,
};
