/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vnetif_lwip_netif.h
 * The plain lwIP netif driver for a vnetif port, for an application that links its own
 * (single) lwIP: the shape of lwIP's contrib ethernetif.c. Library vnetif-lwip-netif.
 *
 * @code
 *   vnetif_port *port;
 *   vnetif_connect(sw, NULL, &port);
 *   tcpip_init(NULL, NULL);
 *   LOCK_TCPIP_CORE();
 *   netif_add(&nif, &ip, &mask, &gw, port, vnetif_lwip_netif_init, tcpip_input);
 *   netif_set_up(&nif);
 *   UNLOCK_TCPIP_CORE();
 *   ...
 *   vnetif_disconnect(port, 0);    // no frame reaches the netif after this
 *   LOCK_TCPIP_CORE(); netif_remove(&nif); UNLOCK_TCPIP_CORE();
 * @endcode
 *
 * netif->state is the port. The MAC and MTU come from the port. Received frames are
 * copied (the mbufs may be shared: read only) into PBUF_RAM pbufs and handed to
 * netif->input, the input function given to netif_add(), in the listener's context:
 * with tcpip_input (a mailbox post) that is correct in both switch modes. On an async
 * switch somebody must run the port's listener: vnetif_reader_start(port), or
 * vnetif_poll() from the application's loop (the only choice with NO_SYS=1 and
 * netif_input/ethernet_input, which must run in lwIP's own context). Frames lwIP sends
 * are gathered into an mbuf with vnetif_writev() (called with the core lock held).
 *
 * Frames malformed where lwIP 2.1.3 trusts the sender (see vnetif_lwip_stats.rx_refused
 * in vnetif_lwip.h: one UDP-Lite frame with a bad checksum coverage would make lwIP
 * abort) are dropped before netif->input and counted: vnetif_lwip_netif_rx_refused().
 * Frames lwIP could not take (no pbuf for it, or netif->input refused it: tcpip_input's
 * mailbox full) are dropped and counted: vnetif_lwip_netif_rx_dropped(). Every frame
 * the listener receives is handed to netif->input or counted in one of the two.
 */
#ifndef VNETIF_LWIP_NETIF_H
#define VNETIF_LWIP_NETIF_H

#include "lwip/err.h"
#include "lwip/netif.h"
#include "vnetif.h"

#ifdef __cplusplus
extern "C" {
#endif

/** netif init function for netif_add(); netif->state must be a connected vnetif_port.
 *  @return ERR_OK; ERR_ARG no port or a port MTU above 65535; ERR_IF the listener could
 *  not be set. */
err_t vnetif_lwip_netif_init(struct netif *netif);

/** Frames the driver's input guard refused so far, over every netif of this driver in
 *  the process. Thread-safe. */
uint64_t vnetif_lwip_netif_rx_refused(void);

/** Frames dropped so far because lwIP could not take them (no PBUF_RAM pbuf: lwIP's heap
 *  exhausted or a frame over 65535 bytes; or netif->input returned an error, e.g.
 *  tcpip_input with a full mailbox), over every netif of this driver in the process.
 *  Thread-safe. */
uint64_t vnetif_lwip_netif_rx_dropped(void);

#ifdef __cplusplus
}
#endif

#endif /* VNETIF_LWIP_NETIF_H */
