/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input guard: is a received Ethernet frame safe to hand to lwIP 2.1.3?
 *
 * lwIP trusts some fields of what it receives: a UDP-Lite checksum coverage larger than
 * the datagram makes its checksum code fail an assertion and abort() the process, an
 * IPv6 option or extension header running past its packet is read beyond the buffer.
 * Every place a frame enters lwIP (a switch port, a direct wire, the plain netif
 * driver) asks vnl_guard_frame() first and drops and counts what it refuses. Pure: no
 * state, no lwIP headers, any thread.
 */
#ifndef VNETIF_LWIP_GUARD_H
#define VNETIF_LWIP_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Why a frame was refused (0: it may enter lwIP). */
enum vnl_guard_verdict {
	VNL_GUARD_OK = 0,
	VNL_GUARD_SHORT,      /* shorter than its headers say, or than a header */
	VNL_GUARD_ARP,        /* ARP shorter than an Ethernet/IPv4 ARP packet */
	VNL_GUARD_IP4,        /* IPv4 header: version, header or total length, options */
	VNL_GUARD_IP6,        /* IPv6 header, extension headers or their options */
	VNL_GUARD_FRAG,       /* a fragment lwIP would reassemble into something unchecked */
	VNL_GUARD_UDP,        /* UDP length */
	VNL_GUARD_UDPLITE,    /* UDP-Lite checksum coverage (0 or 8..length) */
	VNL_GUARD_TCP,        /* TCP data offset or options */
	VNL_GUARD_ICMP,       /* ICMP/ICMPv6/IGMP shorter than its fixed header */
	VNL_GUARD_HEAD,       /* not a verdict: vnl_guard_frame_head() needs the whole frame */
};

/* Check @len bytes at @frame (one contiguous Ethernet frame, header included). */
enum vnl_guard_verdict vnl_guard_frame(const uint8_t *frame, size_t len);

/* vnl_guard_frame()'s verdict on a frame of @len bytes of which only the first @head_len
 * are at @head, when they hold every byte it reads: an untagged TCP/IPv4 frame, not a
 * fragment, with its IPv4 and TCP headers (options included) in @head, such as a TSO
 * frame of up to 65535 bytes in an mbuf chain. Anything else: VNL_GUARD_HEAD (ask
 * vnl_guard_frame() with the whole frame). */
enum vnl_guard_verdict vnl_guard_frame_head(const uint8_t *head, size_t head_len, size_t len);

#endif /* VNETIF_LWIP_GUARD_H */
