/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The plain netif driver (ethernetif.c shape) for an application's own lwIP: low-level
 * output gathers the pbuf chain into vnetif_writev(); low-level input is a
 * vnetif_listen_mbuf() listener that copies each frame into a PBUF_RAM pbuf and hands it
 * to netif->input; a frame it cannot hand over is counted (rx_refused, rx_dropped). Ownership: the listener owns the mbufs and frees them; a pbuf belongs
 * to lwIP once netif->input accepted it, and is freed here if it did not.
 */
#include <stdatomic.h>
#include <string.h>

#include <rte_mbuf.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include "guard.h"
#include "vnetif_lwip_netif.h"

#define OUT_SEGS 64

static _Atomic uint64_t rx_refused, rx_dropped;

uint64_t vnetif_lwip_netif_rx_refused(void)
{
	return atomic_load_explicit(&rx_refused, memory_order_relaxed);
}

uint64_t vnetif_lwip_netif_rx_dropped(void)
{
	return atomic_load_explicit(&rx_dropped, memory_order_relaxed);
}

static err_t low_level_output(struct netif *netif, struct pbuf *p)
{
	struct iovec iov[OUT_SEGS];
	struct pbuf *flat = NULL;
	int n = 0, rc;

	if (pbuf_clen(p) > OUT_SEGS) {
		flat = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (flat == NULL)
			return ERR_MEM;
		p = flat;
	}
	for (struct pbuf *q = p; q != NULL; q = q->next)
		if (q->len > 0) {
			iov[n].iov_base = q->payload;
			iov[n].iov_len = q->len;
			n++;
		}
	rc = vnetif_writev(netif->state, iov, n);
	if (flat != NULL)
		pbuf_free(flat);
	return rc == 0 ? ERR_OK : ERR_IF;
}

static void low_level_input(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct netif *netif = arg;

	(void)port;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pbuf *p = NULL;
		uint32_t off = 0;

		if (m->pkt_len <= 0xffff)
			p = pbuf_alloc(PBUF_RAW, (u16_t)m->pkt_len, PBUF_RAM);
		if (p == NULL) {
			atomic_fetch_add_explicit(&rx_dropped, 1, memory_order_relaxed);
			continue;
		}
		for (struct rte_mbuf *seg = m; seg != NULL; seg = seg->next) {
			memcpy((u8_t *)p->payload + off, rte_pktmbuf_mtod(seg, const void *),
			       seg->data_len);
			off += seg->data_len;
		}
		if (vnl_guard_frame(p->payload, p->len) != VNL_GUARD_OK) {
			atomic_fetch_add_explicit(&rx_refused, 1, memory_order_relaxed);
			pbuf_free(p);
			continue;
		}
		if (netif->input(p, netif) != ERR_OK) {
			atomic_fetch_add_explicit(&rx_dropped, 1, memory_order_relaxed);
			pbuf_free(p);
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
}

err_t vnetif_lwip_netif_init(struct netif *netif)
{
	vnetif_port *port = netif->state;
	int mtu = vnetif_mtu(port);

	if (port == NULL || mtu <= 0 || mtu > 0xffff)
		return ERR_ARG;
	netif->name[0] = 'v';
	netif->name[1] = 'n';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	if (vnetif_mac(port, netif->hwaddr) != 0)
		return ERR_ARG;
	netif->mtu = (u16_t)mtu;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_LINK_UP;
#if LWIP_IPV4
	netif->output = etharp_output;
#endif
#if LWIP_IPV6
	netif->output_ip6 = ethip6_output;
	netif->flags |= NETIF_FLAG_MLD6;
#endif
	netif->linkoutput = low_level_output;
	if (vnetif_listen_mbuf(port, low_level_input, netif) != 0)
		return ERR_IF;
	return ERR_OK;
}
