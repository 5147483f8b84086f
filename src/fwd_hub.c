/* SPDX-License-Identifier: BSD-3-Clause */
/* Hub: every frame to every other port (mirage-vnetif's behaviour). No table. */
#include "vnetif_private.h"

static void hub_lookup(void *priv, struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n,
		       struct vnetif_port **dst)
{
	(void)priv, (void)src, (void)pkts;
	for (uint16_t i = 0; i < n; i++)
		dst[i] = VNETIF_ROUTE_FLOOD;
}

const struct vnetif_fwd_ops vnetif_fwd_hub = {
	.name = "hub",
	.lookup = hub_lookup,
};
