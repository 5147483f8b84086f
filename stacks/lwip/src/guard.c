/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input guard (see guard.h). What lwIP 2.1.3 (Debian's build: UDP-Lite, IPv6 with
 * reassembly, IGMP/MLD, no VLAN support) is known to trust, from reading its input code:
 *
 * - udp_input(): a UDP-Lite coverage above the datagram length walks the checksum past
 *   the pbuf chain; with coverage >= length + 0x7fff inet_chksum.c asserts ("delete
 *   me") and abort()s. Coverage 1..7 is dropped by lwIP but is never valid either.
 * - ip6_input(): hop-by-hop and destination options are walked by their own length
 *   fields up to the header's end, reading an option's length byte past it.
 * - Reassembled datagrams go through lwIP's transport input without passing here
 *   again. An IPv4 datagram takes its protocol from the offset-0 fragment: no IPv4
 *   fragment may carry UDP-Lite. An IPv6 datagram takes its next header from the first
 *   fragment *received* and then parses the reassembled payload: a fragment must say
 *   TCP, UDP or ICMPv6 (the only upper layers not re-checked here that lwIP parses
 *   robustly); extension headers and UDP-Lite after a fragment header are refused.
 *
 * Beyond that, a frame must be well formed where lwIP reads it: every length field
 * within the frame, every header at least its fixed size, TCP and IPv4 options well
 * formed. Frames lwIP would ignore anyway (other ethertypes, VLAN tags lwIP does not
 * parse, unknown IP protocols) pass.
 */
#include "guard.h"

#define ETH_HLEN 14
#define ETHTYPE_IP 0x0800
#define ETHTYPE_ARP 0x0806
#define ETHTYPE_IPV6 0x86dd
#define ARP_LEN 28 /* Ethernet + IPv4 ARP */

#define P_HOPOPT 0
#define P_ICMP 1
#define P_IGMP 2
#define P_TCP 6
#define P_UDP 17
#define P_ROUTING 43
#define P_FRAGMENT 44
#define P_ICMP6 58
#define P_NONE 59
#define P_DSTOPTS 60
#define P_UDPLITE 136

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Type-length-value options from @p to @end: kinds @pad1 (and, for IPv4/TCP, @eol)
 * have no length byte; every other option's length must fit. @len_counts_hdr: the
 * length byte counts the type and length bytes too (IPv4, TCP) or not (IPv6). */
static int tlv_ok(const uint8_t *p, const uint8_t *end, int eol, int len_counts_hdr)
{
	while (p < end) {
		size_t n;

		if (eol >= 0 && *p == eol)
			return 1;
		if (*p == (eol >= 0 ? 1 : 0)) { /* NOP (IPv4, TCP) or Pad1 (IPv6) */
			p++;
			continue;
		}
		if (end - p < 2)
			return 0;
		n = len_counts_hdr ? p[1] : (size_t)p[1] + 2;
		if (n < 2 || n > (size_t)(end - p))
			return 0;
		p += n;
	}
	return 1;
}

/* A transport header of @proto at @p, @len bytes to the end of the IP payload. */
static enum vnl_guard_verdict l4_ok(unsigned proto, const uint8_t *p, size_t len)
{
	switch (proto) {
	case P_UDP:
		if (len < 8)
			return VNL_GUARD_SHORT;
		if (be16(p + 4) < 8 || be16(p + 4) > len)
			return VNL_GUARD_UDP;
		return VNL_GUARD_OK;
	case P_UDPLITE: {
		unsigned cov;

		if (len < 8)
			return VNL_GUARD_SHORT;
		cov = be16(p + 4); /* 0: the whole datagram (RFC 3828 3.1) */
		if (cov != 0 && (cov < 8 || cov > len))
			return VNL_GUARD_UDPLITE;
		return VNL_GUARD_OK;
	}
	case P_TCP: {
		size_t off;

		if (len < 20)
			return VNL_GUARD_SHORT;
		off = (size_t)(p[12] >> 4) * 4;
		if (off < 20 || off > len || !tlv_ok(p + 20, p + off, 0, 1))
			return VNL_GUARD_TCP;
		return VNL_GUARD_OK;
	}
	case P_ICMP:
	case P_IGMP:
	case P_ICMP6:
		return len < 8 ? VNL_GUARD_ICMP : VNL_GUARD_OK;
	default:
		return VNL_GUARD_OK;
	}
}

static enum vnl_guard_verdict ip4_ok(const uint8_t *p, size_t len)
{
	size_t hl, tot;
	unsigned frag;

	if (len < 20)
		return VNL_GUARD_SHORT;
	hl = (size_t)(p[0] & 0x0f) * 4;
	tot = be16(p + 2);
	if ((p[0] >> 4) != 4 || hl < 20 || tot < hl || tot > len)
		return VNL_GUARD_IP4;
	if (!tlv_ok(p + 20, p + hl, 0, 1))
		return VNL_GUARD_IP4;
	frag = be16(p + 6) & 0x3fff; /* more-fragments flag and offset */
	if (frag != 0) {
		if (p[9] == P_UDPLITE || (size_t)(frag & 0x1fff) * 8 + (tot - hl) > 0xffff)
			return VNL_GUARD_FRAG;
		return VNL_GUARD_OK;
	}
	return l4_ok(p[9], p + hl, tot - hl);
}

static enum vnl_guard_verdict ip6_ok(const uint8_t *p, size_t len)
{
	size_t off = 40, end;
	unsigned nh;
	int first = 1;

	if (len < 40)
		return VNL_GUARD_SHORT;
	end = 40 + (size_t)be16(p + 4);
	if ((p[0] >> 4) != 6 || end > len)
		return VNL_GUARD_IP6;
	nh = p[6];
	for (;; first = 0) {
		size_t hl;

		switch (nh) {
		case P_HOPOPT:
		case P_DSTOPTS:
			if (nh == P_HOPOPT && !first)
				return VNL_GUARD_IP6;
			if (end - off < 8)
				return VNL_GUARD_IP6;
			hl = ((size_t)p[off + 1] + 1) * 8;
			if (hl > end - off || !tlv_ok(p + off + 2, p + off + hl, -1, 0))
				return VNL_GUARD_IP6;
			nh = p[off];
			off += hl;
			break;
		case P_ROUTING:
			if (end - off < 8)
				return VNL_GUARD_IP6;
			hl = ((size_t)p[off + 1] + 1) * 8;
			if (hl > end - off)
				return VNL_GUARD_IP6;
			nh = p[off];
			off += hl;
			break;
		case P_FRAGMENT:
			if (end - off < 8)
				return VNL_GUARD_IP6;
			if ((be16(p + off + 2) & 0xfff9) == 0) { /* offset 0, last: not a fragment */
				nh = p[off];
				off += 8;
				break;
			}
			if (p[off] != P_TCP && p[off] != P_UDP && p[off] != P_ICMP6)
				return VNL_GUARD_FRAG;
			return VNL_GUARD_OK;
		case P_NONE:
			return VNL_GUARD_OK;
		default:
			return l4_ok(nh, p + off, end - off);
		}
	}
}

enum vnl_guard_verdict vnl_guard_frame(const uint8_t *f, size_t len)
{
	if (f == NULL || len < ETH_HLEN)
		return VNL_GUARD_SHORT;
	switch (be16(f + 12)) {
	case ETHTYPE_ARP:
		return len - ETH_HLEN < ARP_LEN ? VNL_GUARD_ARP : VNL_GUARD_OK;
	case ETHTYPE_IP:
		return ip4_ok(f + ETH_HLEN, len - ETH_HLEN);
	case ETHTYPE_IPV6:
		return ip6_ok(f + ETH_HLEN, len - ETH_HLEN);
	default:
		return VNL_GUARD_OK;
	}
}

enum vnl_guard_verdict vnl_guard_frame_head(const uint8_t *head, size_t head_len, size_t len)
{
	const uint8_t *ip = head + ETH_HLEN;
	size_t hl;

	if (head == NULL || head_len > len || head_len < ETH_HLEN + 20 ||
	    be16(head + 12) != ETHTYPE_IP)
		return VNL_GUARD_HEAD;
	hl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || hl < 20 || ip[9] != P_TCP || (be16(ip + 6) & 0x3fff) != 0 ||
	    head_len < ETH_HLEN + hl + 20 ||
	    head_len < ETH_HLEN + hl + (size_t)(ip[hl + 12] >> 4) * 4)
		return VNL_GUARD_HEAD;
	/* ip4_ok() reads the IPv4 header and options, then l4_ok() the TCP header and
	 * options: all in @head */
	return ip4_ok(ip, len - ETH_HLEN);
}
