/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the glue needs from the lwIP it is built with (both builds: Debian's liblwip and
 * the tuned one), checked at compile time, and the few reaches into lwIP's internals,
 * all defined in glue_internals.c. Included by the glue's sources only, after lwip/opt.h.
 */
#ifndef VNETIF_LWIP_GLUE_LWIP_H
#define VNETIF_LWIP_GLUE_LWIP_H

#include <stdbool.h>

#include "lwip/opt.h"
#include "lwip/init.h"

/* ---- build options the adapter relies on -------------------------------------------- */

#if LWIP_VERSION_MAJOR != 2 || LWIP_VERSION_MINOR != 1
#error "libvnetif-lwip: needs lwIP 2.1.x (glue_internals.c reaches into 2.1's netconn, socket and pcb internals)"
#endif
#if NO_SYS || !LWIP_SOCKET || !LWIP_NETCONN
#error "libvnetif-lwip: needs lwIP with its OS mode, the netconn and the socket API (NO_SYS 0, LWIP_NETCONN 1, LWIP_SOCKET 1)"
#endif
#if !LWIP_SOCKET_EXTERNAL_HEADERS
#error "libvnetif-lwip: needs LWIP_SOCKET_EXTERNAL_HEADERS 1: the application's struct sockaddr, pollfd and iovec go straight to lwip_*() (ns_abi.h, struct vnl_lwip_sockets)"
#endif
#if LWIP_COMPAT_SOCKETS
#error "libvnetif-lwip: needs LWIP_COMPAT_SOCKETS 0: socket(), close()... of the namespace's libc must stay the system's"
#endif
#if !LWIP_SOCKET_POLL
#error "libvnetif-lwip: needs LWIP_SOCKET_POLL 1 (vnetif_lwip_poll() is lwip_poll())"
#endif
#if !MEM_LIBC_MALLOC || !MEMP_MEM_MALLOC
#error "libvnetif-lwip: needs MEM_LIBC_MALLOC 1 and MEMP_MEM_MALLOC 1: all of lwIP's memory comes from malloc, which the shim tracks per instance to sweep it at destroy (lwIP 2.1 has no deinit)"
#endif
#if !LWIP_TCPIP_CORE_LOCKING
#error "libvnetif-lwip: needs LWIP_TCPIP_CORE_LOCKING 1: frames enter lwIP under the core lock in the deliverer's thread (the glue's try-lock delivery, glue.c)"
#endif
#if !LWIP_ARP || !LWIP_ETHERNET
#error "libvnetif-lwip: needs LWIP_ARP 1 and LWIP_ETHERNET 1 (the netif is an Ethernet port; vnetif_lwip_arp_resolve())"
#endif
#if !LWIP_RAW
#error "libvnetif-lwip: needs LWIP_RAW 1 (ICMP echo through a SOCK_RAW socket: vnetif_lwip_ping())"
#endif
#if !LWIP_TCP || !LWIP_UDP
#error "libvnetif-lwip: needs LWIP_TCP 1 and LWIP_UDP 1"
#endif
#if defined(VNETIF_LWIP_TUNED) && !LWIP_SUPPORT_CUSTOM_PBUF
#error "libvnetif-lwip: the tuned lwIP needs LWIP_SUPPORT_CUSTOM_PBUF 1 (zero-copy receive wraps the mbuf segments in custom pbufs; tuned/lwipopts.h)"
#endif
#if defined(VNETIF_LWIP_TUNED) && !LWIP_CHECKSUM_CTRL_PER_NETIF
#error "libvnetif-lwip: the tuned lwIP needs LWIP_CHECKSUM_CTRL_PER_NETIF 1 (VNETIF_LWIP_CSUM_OFF; tuned/lwipopts.h)"
#endif

/* ---- lwIP internals (glue_internals.c) ---------------------------------------------- */

/* RST every TCP connection (active and TIME_WAIT pcbs). Core lock held. */
void vnl_lwip_abort_all_pcbs(void);
/* Wake the threads blocked on socket @fd (mailboxes, poll waiters). Core lock held. */
void vnl_lwip_wake_socket(int fd);
/* Try lwIP's core lock without waiting; true: taken. */
bool vnl_lwip_core_trylock(void);
/* End the tcpip thread: post a message that runs @leave in it with the core lock held
 * (@leave unlocks and never returns). 0, -ENOMEM, -EAGAIN (mailbox full: again). */
int vnl_lwip_end_thread(void (*leave)(void));
/* After the thread was joined: free the message. */
void vnl_lwip_end_thread_done(void);

#endif /* VNETIF_LWIP_GLUE_LWIP_H */
