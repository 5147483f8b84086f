/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Building Ethernet/IPv4/IPv6 frames by hand for the lwIP suites and the fuzz target:
 * Internet checksums, IPv4 and IPv6 headers with a transport checksum filled in.
 * Everything in network byte order, written into a caller's buffer.
 */
#ifndef VNETIF_LWIP_FRAMES_H
#define VNETIF_LWIP_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LTF_ETH 14

static inline void ltf_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ltf_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One's-complement sum of @len bytes, added to @acc (not folded). */
static inline uint32_t ltf_sum(uint32_t acc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static inline unsigned ltf_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (unsigned)(~acc & 0xffff);
}

static inline size_t ltf_eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], unsigned type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	ltf_put16(f + 12, type);
	return LTF_ETH;
}

/* A broadcast ARP request from @mac, @ip (host order) for @target; returns its length
 * (42: pad it to 60 to send it). */
static inline size_t ltf_arp_request(uint8_t *f, const uint8_t mac[6], uint32_t ip,
				     uint32_t target)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	size_t n = ltf_eth(f, bcast, mac, 0x0806);

	ltf_put16(f + n, 1);          /* Ethernet */
	ltf_put16(f + n + 2, 0x0800); /* IPv4 */
	f[n + 4] = 6;
	f[n + 5] = 4;
	ltf_put16(f + n + 6, 1);      /* request */
	memcpy(f + n + 8, mac, 6);
	ltf_put32(f + n + 14, ip);
	memset(f + n + 18, 0, 6);
	ltf_put32(f + n + 24, target);
	return n + 28;
}

/* Offset of the transport checksum of @proto (0: none we fill). */
static inline size_t ltf_csum_off(unsigned proto)
{
	switch (proto) {
	case 6: return 16;          /* TCP */
	case 17: case 136: return 6; /* UDP, UDP-Lite */
	case 1: case 58: return 2;  /* ICMP, ICMPv6 */
	case 2: return 2;           /* IGMP */
	default: return 0;
	}
}

/*
 * Pseudo-header checksum of the transport header at @l4 (@l4len bytes to the end of the
 * IP payload) over @cover bytes, stored at its place. ICMP and IGMP (IPv4) have no
 * pseudo header. @pseudo: the pseudo header's address bytes (8 for IPv4, 32 for IPv6).
 */
static inline void ltf_l4_csum(unsigned proto, uint8_t *l4, size_t l4len, size_t cover,
			       const uint8_t *pseudo, size_t pseudo_len)
{
	size_t off = ltf_csum_off(proto);
	uint32_t acc = 0;
	unsigned c;

	if (off == 0 || l4len < off + 2)
		return;
	l4[off] = l4[off + 1] = 0;
	if (cover > l4len)
		cover = l4len;
	if (proto != 1 && proto != 2) {
		acc = ltf_sum(acc, pseudo, pseudo_len);
		acc += (uint32_t)proto + (uint32_t)(l4len & 0xffff) + (uint32_t)(l4len >> 16);
	}
	acc = ltf_sum(acc, l4, cover);
	c = ltf_fold(acc);
	if (c == 0 && (proto == 17 || proto == 136))
		c = 0xffff;
	ltf_put16(l4 + off, c);
}

/*
 * An IPv4 packet at @ip: a 20-byte header plus @optlen option bytes (copied from @opt),
 * then @l4len transport bytes already at @ip + 20 + optlen. Fills total length, id,
 * flags/offset (@frag, host order), TTL, protocol, addresses (host order) and the
 * header checksum. Returns the packet's length.
 */
static inline size_t ltf_ip4(uint8_t *ip, uint32_t src, uint32_t dst, unsigned proto,
			     const uint8_t *opt, size_t optlen, size_t l4len, unsigned id,
			     unsigned frag)
{
	size_t hl = 20 + optlen;

	ip[0] = (uint8_t)(0x40 | (hl / 4));
	ip[1] = 0;
	ltf_put16(ip + 2, (unsigned)(hl + l4len));
	ltf_put16(ip + 4, id);
	ltf_put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	ip[10] = ip[11] = 0;
	ltf_put32(ip + 12, src);
	ltf_put32(ip + 16, dst);
	if (optlen)
		memcpy(ip + 20, opt, optlen);
	ltf_put16(ip + 10, ltf_fold(ltf_sum(0, ip, hl)));
	return hl + l4len;
}

/* Transport checksum of an IPv4 packet built by ltf_ip4() (@cover: UDP-Lite coverage,
 * else the whole payload). */
static inline void ltf_ip4_l4_csum(uint8_t *ip, size_t cover)
{
	size_t hl = (size_t)(ip[0] & 15) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);

	ltf_l4_csum(ip[9], ip + hl, tot - hl, cover, ip + 12, 8);
}

/* An IPv6 header at @ip for @plen payload bytes (already after it), next header @nh. */
static inline size_t ltf_ip6(uint8_t *ip, const uint8_t src[16], const uint8_t dst[16],
			     unsigned nh, size_t plen, unsigned hop)
{
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	ltf_put16(ip + 4, (unsigned)plen);
	ip[6] = (uint8_t)nh;
	ip[7] = (uint8_t)hop;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	return 40 + plen;
}

/* Transport checksum of the upper layer @proto at @l4 (@l4len bytes) in IPv6 packet @ip. */
static inline void ltf_ip6_l4_csum(const uint8_t *ip, unsigned proto, uint8_t *l4, size_t l4len,
				   size_t cover)
{
	ltf_l4_csum(proto, l4, l4len, cover, ip + 8, 32);
}

/* IPv6 solicited-node multicast MAC / link-local from a MAC (EUI-64). */
static inline void ltf_ll6(uint8_t a[16], const uint8_t mac[6])
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = mac[0] ^ 2;
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = mac[3];
	a[14] = mac[4];
	a[15] = mac[5];
}

#endif /* VNETIF_LWIP_FRAMES_H */
