/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwipopts.h of libvnetif's tuned lwIP ("-DVNETIF_LWIP=tuned"): lwIP 2.1.3 from Debian's
 * own source package (fetched at configure time by scripts/lwip-source.sh, never
 * vendored), built with these options for a wire that never leaves memory.
 *
 * The socket ABI is Debian's (same sockets headers, offsets, poll, no select) so the one
 * glue source (src/glue.c) serves both builds. What differs from Debian's
 * port/include/lwipopts.h, and why:
 *   - windows and buffers sized for a memory wire: 512 KiB send buffer and receive
 *     window with window scaling (Debian: 64 KiB), TCP_MSS for a 9000-byte MTU (a netif
 *     of MTU 1500 still sends and advertises 1460: TCP_CALCULATE_EFF_SEND_MSS);
 *   - LWIP_TCPIP_CORE_LOCKING_INPUT: input runs in the delivering thread under the core
 *     lock instead of a hop through the tcpip thread's mailbox;
 *   - checksums switchable per netif (LWIP_CHECKSUM_CTRL_PER_NETIF): the adapter turns
 *     them off only where both ends are in-process stacks (see vnetif_lwip.h); not
 *     computed while copying (LWIP_CHECKSUM_ON_COPY 0), where they cannot be skipped;
 *   - LWIP_SUPPORT_CUSTOM_PBUF: received frames stay in their mbufs (no copy);
 *   - the core lock functions are the glue's (it adds a try-lock and deferred input).
 */
#ifndef VNETIF_LWIP_TUNED_LWIPOPTS_H
#define VNETIF_LWIP_TUNED_LWIPOPTS_H

#define VNETIF_LWIP_TUNED 1

#define NO_SYS 0

/* Sockets: as Debian's build (the glue passes system struct sockaddr and errno). */
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_SOCKET_OFFSET 1
#define LWIP_POLL 1
#define LWIP_SOCKET_OPEN_COUNT 1
#define LWIP_SOCKET_SELECT 0
#define LWIP_SOCKET_EXTERNAL_HEADERS 1
#define LWIP_SOCKET_EXTERNAL_HEADER_SOCKETS_H "posix/sockets.h"
#define LWIP_SOCKET_EXTERNAL_HEADER_INET_H "posix/inet.h"

/* Memory: the C library's allocator (forwarded to the main program by the shim, which
 * keeps freed blocks for reuse by size class). */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_USE_POOLS 0
#define MEM_ALIGNMENT 8

#define LWIP_NETIF_TX_SINGLE_PBUF 1
#define LWIP_RANDOMIZE_INITIAL_LOCAL_PORTS 1
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 10
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 0

/* IPv6 as Debian's build */
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_IPV6_AUTOCONFIG 1
#define MEMP_NUM_MLD6_GROUP 16
#define LWIP_IPV6_NUM_ADDRESSES 6

/* TCP for a memory wire */
#define TCP_MSS 8960                    /* MTU 9000; smaller MTUs get less (eff. MSS) */
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 4                 /* windows up to 1 MiB */
#define TCP_WND (512 * 1024)
#define TCP_SND_BUF (512 * 1024)
/* Segments queued: enough for 1460-byte ones; init.c's check sees glibc's
 * <netinet/tcp.h> TCP_MSS (512) and wants 2 * TCP_SND_BUF / 512. */
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / 1024)
/* Writable again above this much free buffer; tcp_sndbuf() saturates at 0xFFFF, so it
 * must stay 4 * TCP_MSS below that. */
#define TCP_SNDLOWAT (28 * 1024)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE 1460
#define LWIP_TCP_SACK_OUT 0
/* A TCP connection's receive mailbox holds one message per segment: room for a full
 * window of 1460-byte segments (the port's mailbox size is set by cmake/LwipSource.cmake). */
#define DEFAULT_TCP_RECVMBOX_SIZE 1024
#define DEFAULT_UDP_RECVMBOX_SIZE 1024
#define DEFAULT_RAW_RECVMBOX_SIZE 256
#define DEFAULT_ACCEPTMBOX_SIZE 64
#define TCPIP_MBOX_SIZE 1024

/* Not on copy: tcp_write() would sum every byte even for a netif whose checksums are off
 * (it cannot know the netif yet); lwIP's copy-and-sum is a copy then a sum anyway. */
#define LWIP_CHECKSUM_ON_COPY 0
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_GEN_ICMP6 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_UDP 1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_ICMP 1
#define CHECKSUM_CHECK_ICMP6 1

#define LWIP_SUPPORT_CUSTOM_PBUF 1

#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0

#define LWIP_TCP_KEEPALIVE 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_RCVBUF 1
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define LWIP_MULTICAST_TX_OPTIONS 1

#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_IPV4 1
#define LWIP_ICMP 1
#define LWIP_IGMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_UDPLITE 1
#define LWIP_TCP 1
#define LWIP_IPV6 1
#define LWIP_ICMP6 1
#define LWIP_IPV6_MLD 1

#define LWIP_NOASSERT_ON_ERROR 1

/* Threads: core locking, and input in the delivering thread. */
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 1

/* The glue (src/glue.c) implements these: the core lock with its holder, a try-lock,
 * and input deferred to the holder's unlock. Debian's port defines the same names; its
 * copies are renamed away when sys_arch.c is compiled (cmake/LwipSource.cmake). */
void sys_check_core_locking(void);
#define LWIP_ASSERT_CORE_LOCKED() sys_check_core_locking()
void sys_mark_tcpip_thread(void);
#define LWIP_MARK_TCPIP_THREAD() sys_mark_tcpip_thread()
void sys_lock_tcpip_core(void);
#define LOCK_TCPIP_CORE() sys_lock_tcpip_core()
void sys_unlock_tcpip_core(void);
#define UNLOCK_TCPIP_CORE() sys_unlock_tcpip_core()

#endif /* VNETIF_LWIP_TUNED_LWIPOPTS_H */
