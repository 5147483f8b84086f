/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: frames into a live lwIP stack through a switch port.
 *
 * One stack (10.9.0.1, fd00:9::1) and an attacker port (10.9.0.2) share a sync switch.
 * Each input is read as a recipe, not as a frame: a generator builds 1..4 frames from
 * it (ARP, IPv4 with options and fragments, ICMP, TCP with options, UDP, UDP-Lite, IGMP,
 * IPv6 with extension headers and fragments, ICMPv6 echo/ND/MLD, VLAN-tagged, raw), with
 * correct lengths and checksums unless the recipe asks to break one. The lwIP code is in
 * a dlmopen()ed namespace that carries no coverage instrumentation, so coverage guidance
 * only sees this generator: the structure has to come from here.
 *
 * After each input the stack must still answer an ARP request and an ICMP echo, and the
 * heap lwIP holds must stay within a fixed bound of its level after start-up (what it
 * may legitimately keep — reassembly buffers, packets queued for address resolution —
 * is bounded far below it, so a leak of even a few bytes per input crosses it in a
 * long run). Otherwise the target abort()s, which libFuzzer reports as a finding; an
 * assertion inside lwIP aborts the process by itself.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "fuzz/vnetif_fuzz.h"
#include "lt_frames.h"
#include "vnetif_lwip.h"

#define ST_IP 0x0a090001u
#define ATT_IP 0x0a090002u
#define NET_BCAST 0x0a0900ffu
#define CHECK_MS 5000            /* the stack must answer within this */
#define HEAP_SLACK (512u << 10)  /* what lwIP may hold above its start-up level */
#define FRAME_MAX 1514

static vnetif_switch *sw;
static vnetif_lwip_stack *st;
static vnetif_port *att;
static uint8_t st_mac[6], att_mac[6];
static uint8_t st_ip6[16], st_ll6[16], att_ip6[16], att_ll6[16];
static uint64_t heap_base;
static uint16_t echo_seq;

static void die(const char *what)
{
	struct vnetif_lwip_stats s;

	fprintf(stderr, "fuzz_lwip_frames: %s\n", what);
	if (st != NULL && vnetif_lwip_stats_get(st, &s) == 0)
		fprintf(stderr, "  rx %" PRIu64 " refused %" PRIu64 " drop %" PRIu64 " tx %" PRIu64
				" heap %" PRIu64 " (start %" PRIu64 ")\n",
			s.rx_frames, s.rx_refused, s.rx_drop, s.tx_frames, s.heap_bytes, heap_base);
	abort();
}

/* ---- the recipe: bytes of the input, zeros once it runs out ---------------------------- */

struct rd {
	const uint8_t *p;
	size_t n, i;
};

static unsigned u8(struct rd *r)
{
	return r->i < r->n ? r->p[r->i++] : 0;
}

static unsigned u16(struct rd *r)
{
	return u8(r) << 8 | u8(r);
}

static uint32_t u32(struct rd *r)
{
	return (uint32_t)u16(r) << 16 | u16(r);
}

static void take(struct rd *r, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)u8(r);
}

/* One in 2^bits (on the next byte). */
static int rare(struct rd *r, unsigned bits)
{
	return (u8(r) & ((1u << bits) - 1)) == 0;
}

/* ---- addresses ----------------------------------------------------------------------- */

static void dst_mac(struct rd *r, uint8_t m[6], int v6)
{
	switch (u8(r) % 8) {
	case 5:
		memset(m, 0xff, 6);
		break;
	case 6:
		if (v6) {
			static const uint8_t mc[6] = {0x33, 0x33, 0xff, 0, 0, 0};

			memcpy(m, mc, 6);
			memcpy(m + 3, st_mac + 3, 3);
		} else {
			static const uint8_t mc[6] = {0x01, 0x00, 0x5e, 0, 0, 1};

			memcpy(m, mc, 6);
		}
		break;
	case 7:
		take(r, m, 6);
		break;
	default:
		memcpy(m, st_mac, 6);
	}
}

static void src_mac(struct rd *r, uint8_t m[6])
{
	memcpy(m, att_mac, 6);
	if (rare(r, 3)) {
		take(r, m + 1, 5);
		m[0] = 0x02; /* unicast, never the stack's own (the switch would move it here) */
		if (memcmp(m, st_mac, 6) == 0)
			m[5] ^= 1;
	}
}

static uint32_t ip4_src(struct rd *r)
{
	switch (u8(r) % 8) {
	case 5:
		return 0x0a090000u | u8(r);
	case 6:
		return u32(r);
	case 7:
		return ST_IP;
	default:
		return ATT_IP;
	}
}

static uint32_t ip4_dst(struct rd *r)
{
	switch (u8(r) % 10) {
	case 6:
		return NET_BCAST;
	case 7:
		return 0xffffffffu;
	case 8:
		return 0xe0000001u;
	case 9:
		return u32(r);
	default:
		return ST_IP;
	}
}

static void ip6_src(struct rd *r, uint8_t a[16])
{
	switch (u8(r) % 6) {
	case 3:
		memset(a, 0, 16);
		break;
	case 4:
		take(r, a, 16);
		break;
	case 5:
		memcpy(a, att_ip6, 16);
		break;
	default:
		memcpy(a, att_ll6, 16);
	}
}

static void ip6_dst(struct rd *r, uint8_t a[16])
{
	static const uint8_t all_nodes[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	switch (u8(r) % 8) {
	case 4:
		memcpy(a, all_nodes, 16);
		break;
	case 5:
		memcpy(a, all_nodes, 16);
		a[11] = 1;
		a[12] = 0xff;
		memcpy(a + 13, st_ip6 + 13, 3); /* solicited-node */
		break;
	case 6:
		take(r, a, 16);
		break;
	case 7:
		memcpy(a, st_ll6, 16);
		break;
	default:
		memcpy(a, st_ip6, 16);
	}
}

/* ---- transport payloads (at @p, at most @room bytes; return their length) -------------- */

static size_t fill(struct rd *r, uint8_t *p, size_t room, size_t max)
{
	size_t n = u8(r) % (max + 1);

	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rare(r, 2) ? u8(r) : i);
	return n;
}

static size_t tcp_options(struct rd *r, uint8_t *o)
{
	size_t n = 0, k = u8(r) % 6;

	for (size_t i = 0; i < k && n + 12 <= 40; i++) {
		switch (u8(r) % 9) {
		case 0: o[n++] = 1; break;
		case 1: o[n++] = 2; o[n++] = 4; ltf_put16(o + n, u16(r)); n += 2; break;
		case 2: o[n++] = 3; o[n++] = 3; o[n++] = (uint8_t)(u8(r) % 20); break;
		case 3: o[n++] = 4; o[n++] = 2; break;
		case 4: o[n++] = 8; o[n++] = 10; take(r, o + n, 8); n += 8; break;
		case 5: o[n++] = 5; o[n++] = 10; take(r, o + n, 8); n += 8; break;
		case 6: o[n++] = 0; break;
		case 7: o[n++] = (uint8_t)u8(r); o[n++] = (uint8_t)(u8(r) % 12); break; /* any */
		default: o[n++] = (uint8_t)u8(r); break;
		}
	}
	while (n % 4)
		o[n++] = rare(r, 2) ? (uint8_t)u8(r) : 0;
	return n;
}

static size_t l4_tcp(struct rd *r, uint8_t *p, size_t room)
{
	static const uint16_t ports[] = {80, 7, 22, 5001};
	size_t ol = tcp_options(r, p + 20);

	ltf_put16(p, u16(r));
	ltf_put16(p + 2, rare(r, 1) ? u16(r) : ports[u8(r) % 4]);
	ltf_put32(p + 4, u32(r));
	ltf_put32(p + 8, u32(r));
	p[12] = (uint8_t)(((20 + ol) / 4) << 4);
	p[13] = (uint8_t)(rare(r, 1) ? u8(r) : 0x02); /* SYN by default */
	ltf_put16(p + 14, u16(r));
	ltf_put16(p + 18, rare(r, 3) ? u16(r) : 0);
	if (rare(r, 4))
		p[12] = (uint8_t)(u8(r) & 0xf0); /* a data offset that lies */
	return 20 + ol + fill(r, p + 20 + ol, room - 20 - ol, 64);
}

static size_t l4_udp(struct rd *r, uint8_t *p, size_t room, int lite)
{
	static const uint16_t ports[] = {7, 53, 67, 68, 5353, 7400};
	size_t n = 8 + fill(r, p + 8, room - 8, 200);

	ltf_put16(p, u16(r));
	ltf_put16(p + 2, rare(r, 1) ? u16(r) : ports[u8(r) % 6]);
	if (lite) {
		static const unsigned cov[] = {0, 8, 0xffff, 1};
		unsigned k = u8(r) % 6;

		ltf_put16(p + 4, k < 4 ? cov[k] : k == 4 ? (unsigned)n : (unsigned)n + 1);
	} else {
		ltf_put16(p + 4, rare(r, 4) ? u16(r) : (unsigned)n);
	}
	return n;
}

/* ICMP: echo, or an error quoting an IPv4 header and 8 bytes. */
static size_t l4_icmp(struct rd *r, uint8_t *p, size_t room)
{
	static const uint8_t types[] = {8, 0, 3, 11, 12, 5, 4, 13, 17};
	size_t n = 8;

	p[0] = types[u8(r) % 9];
	if (rare(r, 3))
		p[0] = (uint8_t)u8(r);
	p[1] = (uint8_t)(u8(r) % 5);
	take(r, p + 4, 4);
	if (p[0] == 3 || p[0] == 11 || p[0] == 12 || p[0] == 5) {
		uint8_t *q = p + 8;

		n += ltf_ip4(q, ST_IP, ip4_src(r), rare(r, 1) ? 17 : 6, NULL, 0, 8, u16(r), 0);
		take(r, q + 20, 8);
		if (rare(r, 2))
			q[0] = (uint8_t)u8(r); /* quoted header with any version/length */
	}
	return n + fill(r, p + n, room - n, 64);
}

static size_t l4_igmp(struct rd *r, uint8_t *p, size_t room)
{
	static const uint8_t types[] = {0x11, 0x12, 0x16, 0x17, 0x22};

	p[0] = types[u8(r) % 5];
	p[1] = (uint8_t)u8(r);
	ltf_put32(p + 4, rare(r, 1) ? 0xe0000001u : 0xe0000000u | u16(r));
	return 8 + fill(r, p + 8, room - 8, 16);
}

/* ---- IPv4 ------------------------------------------------------------------------------ */

static size_t ip4_options(struct rd *r, uint8_t *o)
{
	size_t n = 0, k = u8(r) % 4;

	for (size_t i = 0; i < k && n + 12 <= 40; i++) {
		switch (u8(r) % 6) {
		case 0: o[n++] = 1; break;
		case 1: o[n++] = 148; o[n++] = 4; o[n++] = 0; o[n++] = 0; break; /* router alert */
		case 2: o[n++] = 7; o[n++] = 7; o[n++] = 4; take(r, o + n, 4); n += 4; break;
		case 3: o[n++] = 68; o[n++] = 8; o[n++] = 5; o[n++] = 0; take(r, o + n, 4); n += 4; break;
		case 4: o[n++] = 0; break;
		default: o[n++] = (uint8_t)u8(r); o[n++] = (uint8_t)(u8(r) % 12); break;
		}
	}
	while (n % 4)
		o[n++] = 0;
	return n;
}

/* A transport packet of @proto at @l4 (room @room); returns its length. */
static size_t l4_any(struct rd *r, unsigned proto, uint8_t *l4, size_t room)
{
	switch (proto) {
	case 6: return l4_tcp(r, l4, room);
	case 17: return l4_udp(r, l4, room, 0);
	case 136: return l4_udp(r, l4, room, 1);
	case 2: return l4_igmp(r, l4, room);
	case 1: return l4_icmp(r, l4, room);
	default: return fill(r, l4, room, 64);
	}
}

static unsigned ip4_proto(struct rd *r)
{
	static const uint8_t protos[] = {1, 6, 17, 136, 2, 1, 6, 17};

	return rare(r, 3) ? u8(r) : protos[u8(r) % 8];
}

static size_t ip4_packet(struct rd *r, uint8_t *ip, size_t room)
{
	uint8_t opt[40];
	size_t ol = rare(r, 2) ? ip4_options(r, opt) : 0;
	unsigned proto = ip4_proto(r);
	uint32_t src = ip4_src(r), dst = ip4_dst(r);
	size_t l4 = l4_any(r, proto, ip + 20 + ol, room - 20 - ol);
	size_t n = ltf_ip4(ip, src, dst, proto, opt, ol, l4, u16(r), 0);

	ltf_ip4_l4_csum(ip, proto == 136 && (ip[20 + ol + 4] << 8 | ip[20 + ol + 5]) >= 8
				    ? (size_t)(ip[20 + ol + 4] << 8 | ip[20 + ol + 5])
				    : l4);
	if (rare(r, 4)) { /* a length that lies, after the checksum */
		ltf_put16(ip + 2, u16(r));
		ltf_put16(ip + 10, 0);
		ltf_put16(ip + 10, ltf_fold(ltf_sum(0, ip, 20 + ol)));
	}
	return n;
}

/* ---- IPv6 ------------------------------------------------------------------------------ */

static size_t nd_option(struct rd *r, uint8_t *o)
{
	switch (u8(r) % 7) {
	case 0: /* source/target link-layer address */
	case 1:
		o[0] = (uint8_t)(1 + u8(r) % 2);
		o[1] = 1;
		memcpy(o + 2, rare(r, 2) ? st_mac : att_mac, 6);
		return 8;
	case 2: /* prefix information */
		memset(o, 0, 32);
		o[0] = 3;
		o[1] = 4;
		o[2] = (uint8_t)(rare(r, 2) ? u8(r) : 64);
		o[3] = (uint8_t)(u8(r) & 0xc0);
		ltf_put32(o + 4, rare(r, 1) ? u32(r) : 600);
		ltf_put32(o + 8, rare(r, 1) ? u32(r) : 300);
		o[16] = 0xfd;
		o[18] = (uint8_t)(u8(r) % 4);
		return 32;
	case 3: /* MTU */
		memset(o, 0, 8);
		o[0] = 5;
		o[1] = 1;
		ltf_put32(o + 4, rare(r, 1) ? u32(r) : 1280 + u8(r));
		return 8;
	case 4: /* RDNSS */
		memset(o, 0, 24);
		o[0] = 25;
		o[1] = 3;
		ltf_put32(o + 4, u32(r));
		take(r, o + 8, 16);
		return 24;
	default: { /* anything, with any length (0 too) */
		size_t len = u8(r) % 4;

		o[0] = (uint8_t)u8(r);
		o[1] = (uint8_t)len;
		take(r, o + 2, 6);
		return 8; /* whatever the length byte says */
	}
	}
}

static size_t l4_icmp6(struct rd *r, uint8_t *p, size_t room)
{
	static const uint8_t types[] = {128, 129, 135, 136, 133, 134, 137, 130, 131, 132, 143,
					1, 2, 3, 4};
	size_t n;
	unsigned nopt;

	p[0] = types[u8(r) % 15];
	if (rare(r, 4))
		p[0] = (uint8_t)u8(r);
	p[1] = (uint8_t)(rare(r, 3) ? u8(r) : 0);
	take(r, p + 4, 4);
	n = 8;
	switch (p[0]) {
	case 135: /* NS, NA: target */
	case 136:
		memcpy(p + 8, rare(r, 2) ? att_ip6 : st_ip6, 16);
		if (rare(r, 2))
			memcpy(p + 8, st_ll6, 16);
		n = 24;
		break;
	case 134: /* RA: reachable, retrans */
		p[4] = 64;
		take(r, p + 8, 8);
		n = 16;
		break;
	case 137: /* redirect: target, destination */
		memcpy(p + 8, att_ll6, 16);
		take(r, p + 24, 16);
		n = 40;
		break;
	case 130: /* MLD: multicast address */
	case 131:
	case 132:
		memset(p + 8, 0, 16);
		p[8] = 0xff;
		p[9] = 2;
		p[23] = (uint8_t)u8(r);
		n = 24;
		break;
	case 1: /* errors quote an IPv6 header */
	case 2:
	case 3:
	case 4:
		ltf_ip6(p + 8, st_ip6, att_ip6, rare(r, 1) ? 17 : 58, 8, 64);
		take(r, p + 48, 8);
		n = 56;
		break;
	default:
		break;
	}
	nopt = (p[0] >= 133 && p[0] <= 137) ? u8(r) % 4 : 0;
	for (unsigned i = 0; i < nopt && n + 40 <= room; i++)
		n += nd_option(r, p + n);
	return n + fill(r, p + n, room - n, 32);
}

/* Extension header options (hop-by-hop, destination) filling @len bytes at @o. */
static void ext_options(struct rd *r, uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t left = len - i;

		switch (u8(r) % 5) {
		case 0:
			o[i++] = 0; /* Pad1 */
			break;
		case 1:
			if (left >= 4) { /* router alert */
				o[i] = 5;
				o[i + 1] = 2;
				o[i + 2] = o[i + 3] = 0;
				i += 4;
				break;
			}
			/* fall through */
		case 2: /* any type, any length (maybe past the end) */
			o[i++] = (uint8_t)u8(r);
			if (i < len)
				o[i++] = (uint8_t)(u8(r) % 8);
			break;
		default: /* PadN to the end */
			if (left >= 2) {
				o[i] = 1;
				o[i + 1] = (uint8_t)(left - 2);
				memset(o + i + 2, 0, left - 2);
				i = len;
			} else {
				o[i++] = 0;
			}
		}
	}
}

static size_t ip6_packet(struct rd *r, uint8_t *ip, size_t room, int with_ext)
{
	static const uint8_t protos[] = {58, 58, 6, 17, 136, 59};
	unsigned proto;
	uint8_t src[16], dst[16];
	size_t off = 40, l4;
	unsigned k = with_ext ? 1 + u8(r) % 3 : 0;
	size_t nh_pos = 6; /* where the next-header byte to fill is */

	ip6_src(r, src);
	ip6_dst(r, dst);
	for (unsigned i = 0; i < k && off + 64 < room; i++) {
		static const uint8_t ext[] = {0, 60, 43, 44};
		unsigned t = ext[u8(r) % 4];
		size_t hl;

		ip[nh_pos] = (uint8_t)t;
		nh_pos = off;
		if (t == 44) { /* fragment */
			unsigned fo = u16(r) & 0xfff9;

			ip[off + 1] = 0;
			ltf_put16(ip + off + 2, rare(r, 1) ? fo : 0);
			ltf_put32(ip + off + 4, u32(r));
			off += 8;
			continue;
		}
		hl = 8 * (1 + u8(r) % 3);
		ip[off + 1] = (uint8_t)(hl / 8 - 1);
		if (t == 43) {
			ip[off + 2] = (uint8_t)(u8(r) % 4);
			ip[off + 3] = (uint8_t)(u8(r) % 3);
			take(r, ip + off + 4, hl - 4);
		} else {
			ext_options(r, ip + off + 2, hl - 2);
		}
		if (rare(r, 4))
			ip[off + 1] = (uint8_t)u8(r); /* a length that lies */
		off += hl;
	}
	proto = rare(r, 4) ? u8(r) : protos[u8(r) % 6];
	ip[nh_pos] = (uint8_t)proto;
	l4 = proto == 58 ? l4_icmp6(r, ip + off, room - off) : l4_any(r, proto, ip + off, room - off);
	ltf_ip6(ip, src, dst, ip[6], off - 40 + l4, rare(r, 2) ? u8(r) : 255);
	if (proto == 6 || proto == 17 || proto == 58 || proto == 136) {
		size_t cov = l4;

		if (proto == 136 && (ip[off + 4] << 8 | ip[off + 5]) >= 8)
			cov = (size_t)(ip[off + 4] << 8 | ip[off + 5]);
		ltf_ip6_l4_csum(ip, proto, ip + off, l4, cov);
	}
	if (rare(r, 4))
		ltf_put16(ip + 4, u16(r));
	return off + l4;
}

/* ---- frames ------------------------------------------------------------------------------ */

static size_t arp_frame(struct rd *r, uint8_t *f)
{
	uint8_t dm[6], sm[6];
	size_t n;

	if (rare(r, 1))
		memset(dm, 0xff, 6);
	else
		memcpy(dm, st_mac, 6);
	src_mac(r, sm);
	n = ltf_eth(f, dm, sm, 0x0806);
	ltf_put16(f + n, rare(r, 4) ? u16(r) : 1);
	ltf_put16(f + n + 2, rare(r, 4) ? u16(r) : 0x0800);
	f[n + 4] = (uint8_t)(rare(r, 4) ? u8(r) : 6);
	f[n + 5] = (uint8_t)(rare(r, 4) ? u8(r) : 4);
	ltf_put16(f + n + 6, rare(r, 3) ? u8(r) : 1 + u8(r) % 2);
	memcpy(f + n + 8, sm, 6);
	ltf_put32(f + n + 14, ip4_src(r));
	if (rare(r, 1))
		memset(f + n + 18, 0, 6);
	else
		memcpy(f + n + 18, st_mac, 6);
	ltf_put32(f + n + 24, rare(r, 2) ? u32(r) : ST_IP);
	return n + 28 + (rare(r, 3) ? u8(r) % 32 : 0);
}

/* IPv4 fragments of one datagram: 2..4 pieces, in any order, sometimes overlapping. */
static size_t frag_train(struct rd *r, uint8_t *frames, size_t *lens, size_t max)
{
	uint8_t dg[1600], dm[6], sm[6];
	unsigned proto = ip4_proto(r), id = u16(r);
	uint32_t src = ip4_src(r), dst = ip4_dst(r);
	size_t l4 = l4_any(r, proto, dg + 20, 1200), k = 2 + u8(r) % 3, made = 0;

	memset(dg + 20 + l4, 0, sizeof(dg) - 20 - l4);
	if (k > max)
		k = max;
	if (l4 < 16)
		l4 = 16;
	ltf_ip4(dg, src, dst, proto, NULL, 0, l4, id, 0);
	ltf_ip4_l4_csum(dg, l4);
	dst_mac(r, dm, 0);
	src_mac(r, sm);
	for (size_t i = 0; i < k; i++) {
		size_t chunk = ((l4 + k - 1) / k + 7) & ~(size_t)7, start = i * chunk;
		uint8_t *f = frames + made * FRAME_MAX;
		size_t len;
		unsigned flags;

		if (rare(r, 2))
			start = (size_t)(u8(r) % 32) * 8; /* overlap, duplicate */
		if (start >= l4)
			start = 0;
		len = l4 - start < chunk ? l4 - start : chunk;
		flags = (unsigned)(start / 8) | (start + len < l4 ? 0x2000u : 0);
		if (rare(r, 4))
			flags = u16(r) & 0x3fff;
		ltf_eth(f, dm, sm, 0x0800);
		memcpy(f + LTF_ETH + 20, dg + 20 + start, len);
		ltf_ip4(f + LTF_ETH, src, dst, proto, NULL, 0, len, id, flags);
		lens[made++] = LTF_ETH + 20 + len;
	}
	/* shuffle */
	if (made > 1 && rare(r, 1)) {
		size_t a = u8(r) % made, b = u8(r) % made, t;
		uint8_t tmp[FRAME_MAX];

		memcpy(tmp, frames + a * FRAME_MAX, FRAME_MAX);
		memcpy(frames + a * FRAME_MAX, frames + b * FRAME_MAX, FRAME_MAX);
		memcpy(frames + b * FRAME_MAX, tmp, FRAME_MAX);
		t = lens[a];
		lens[a] = lens[b];
		lens[b] = t;
	}
	return made;
}

/* One frame (or a train of fragments) at @frames; returns how many. */
static size_t make_frames(struct rd *r, uint8_t *frames, size_t *lens, size_t max)
{
	unsigned kind = u8(r) % 12;
	uint8_t *f = frames, dm[6], sm[6];
	int vlan = kind == 10;
	size_t hdr = LTF_ETH, n;

	if (kind == 6)
		return frag_train(r, frames, lens, max);
	if (kind == 0) {
		lens[0] = arp_frame(r, f);
		return 1;
	}
	if (vlan)
		kind = u8(r) % 2 ? 1 : 7;
	dst_mac(r, dm, kind >= 7);
	src_mac(r, sm);
	if (kind == 11) { /* raw */
		static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88cc};

		ltf_eth(f, dm, sm, rare(r, 2) ? u16(r) : types[u8(r) % 5]);
		lens[0] = LTF_ETH + fill(r, f + LTF_ETH, FRAME_MAX - LTF_ETH, 255);
		return 1;
	}
	ltf_eth(f, dm, sm, kind >= 7 ? 0x86dd : 0x0800);
	if (vlan) {
		ltf_put16(f + 12, rare(r, 2) ? 0x88a8 : 0x8100);
		ltf_put16(f + 14, u16(r));
		ltf_put16(f + 16, kind >= 7 ? 0x86dd : 0x0800);
		hdr += 4;
	}
	if (kind >= 7)
		n = ip6_packet(r, f + hdr, FRAME_MAX - hdr, kind == 9);
	else
		n = ip4_packet(r, f + hdr, FRAME_MAX - hdr);
	lens[0] = hdr + n;
	return 1;
}

/* ---- liveness ---------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

typedef int (*match_fn)(const uint8_t *f, size_t len);

static int is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[20] == 0 && f[21] == 2 &&
	       memcmp(f + 22, st_mac, 6) == 0 && memcmp(f + 32, att_mac, 6) == 0 &&
	       ((uint32_t)f[28] << 24 | (uint32_t)f[29] << 16 | (uint32_t)f[30] << 8 | f[31]) ==
		       ST_IP;
}

static int is_echo_reply(const uint8_t *f, size_t len)
{
	size_t hl;

	if (len < 42 || f[12] != 0x08 || f[13] != 0x00 || memcmp(f, att_mac, 6) != 0)
		return 0;
	hl = (size_t)(f[14] & 15) * 4;
	return f[23] == 1 && len >= LTF_ETH + hl + 8 && f[LTF_ETH + hl] == 0 &&
	       f[LTF_ETH + hl + 4] == 0xf5 && f[LTF_ETH + hl + 5] == 0x2a &&
	       (f[LTF_ETH + hl + 6] << 8 | f[LTF_ETH + hl + 7]) == echo_seq;
}

/* Take frames off the attacker's ring until @match sees one or @ms pass (@match NULL:
 * until the ring is empty). */
static int await(match_fn match, unsigned ms)
{
	uint64_t deadline = now_ms() + ms;
	static uint8_t lin[VNETIF_MTU_MAX + 14];

	for (;;) {
		struct rte_mbuf *m[32];
		int n = vnetif_rx_burst(att, m, 32), found = 0;

		for (int i = 0; i < n; i++) {
			const uint8_t *f = rte_pktmbuf_read(m[i], 0, m[i]->pkt_len, lin);

			if (match != NULL && f != NULL && match(f, m[i]->pkt_len))
				found = 1;
			rte_pktmbuf_free(m[i]);
		}
		if (found)
			return 1;
		if (match == NULL && n <= 0)
			return 0;
		if (match != NULL && now_ms() >= deadline)
			return 0;
		if (n <= 0)
			sched_yield();
	}
}

static void send_frame(const uint8_t *f, size_t len)
{
	uint8_t pad[60];

	if (len < 60) { /* the switch counts runts: pad like a NIC */
		memset(pad, 0, sizeof(pad));
		memcpy(pad, f, len);
		f = pad;
		len = 60;
	}
	vnetif_write(att, f, len);
}

static void check_alive(void)
{
	uint8_t f[128];
	struct vnetif_lwip_stats s;
	size_t n;

	await(NULL, 0); /* what the input made the stack send */
	send_frame(f, ltf_arp_request(f, att_mac, ATT_IP, ST_IP));
	if (!await(is_arp_reply, CHECK_MS))
		die("no ARP reply");

	echo_seq++;
	n = ltf_eth(f, st_mac, att_mac, 0x0800);
	f[n + 20] = 8;
	f[n + 21] = 0;
	f[n + 24] = 0xf5;
	f[n + 25] = 0x2a;
	ltf_put16(f + n + 26, echo_seq);
	memset(f + n + 28, 0x5a, 32);
	ltf_ip4(f + n, ATT_IP, ST_IP, 1, NULL, 0, 40, echo_seq, 0);
	ltf_ip4_l4_csum(f + n, 40);
	send_frame(f, n + 60);
	if (!await(is_echo_reply, CHECK_MS))
		die("no ICMP echo reply");

	if (vnetif_lwip_stats_get(st, &s) != 0)
		die("stats");
	if (heap_base == 0)
		heap_base = s.heap_bytes;
	else if (s.heap_bytes > heap_base + HEAP_SLACK)
		die("lwIP's heap grew");
}

/* ---- entry points --------------------------------------------------------------------------- */

static void teardown(void)
{
	if (st != NULL)
		vnetif_lwip_destroy(st);
	if (att != NULL)
		vnetif_disconnect(att, 0);
	if (sw != NULL)
		vnetif_switch_destroy(sw);
	st = NULL;
	att = NULL;
	sw = NULL;
}

/* Defined by libFuzzer only: tells a libFuzzer run from the corpus replay. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))
	__attribute__((weak));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[256];
	struct vnetif_switch_config sc;
	struct vnetif_lwip_config c;
	int rc;

	/* LeakSanitizer cannot see pointers kept in DPDK's hugepage memory (the port's
	 * listener, for one) and would call them leaks: libFuzzer reads its flags after this
	 * function, so turn its leak check off here. lwIP's heap is checked above instead. */
	if (LLVMFuzzerRunDriver != NULL && *argc > 0 && *argc < 255) { /* not in replay */
		memcpy(args, *argv, (size_t)*argc * sizeof(char *));
		args[(*argc)++] = "-detect_leaks=0";
		args[*argc] = NULL;
		*argv = args;
	}
	vnetif_switch_config_init(&sc);
	sc.pool_size = 4095;
	rc = vnetif_switch_create(&sc, &sw);
	if (rc == 0)
		rc = vnetif_connect(sw, NULL, &att);
	vnetif_lwip_config_init(&c);
	c.ipv4 = "10.9.0.1";
	c.netmask = "255.255.255.0";
	c.ipv6 = "fd00:9::1";
	c.seed = 1;
	if (rc == 0)
		rc = vnetif_lwip_create(sw, &c, &st);
	if (rc != 0) {
		fprintf(stderr, "fuzz_lwip_frames: set-up failed: %s\n", vnetif_lwip_strerror(rc));
		exit(1);
	}
	vnetif_mac(att, att_mac);
	vnetif_lwip_mac(st, st_mac);
	inet_pton(AF_INET6, "fd00:9::1", st_ip6);
	inet_pton(AF_INET6, "fd00:9::2", att_ip6);
	ltf_ll6(st_ll6, st_mac);
	ltf_ll6(att_ll6, att_mac);
	atexit(teardown);
	check_alive(); /* also sets the heap's start-up level */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frames[8][FRAME_MAX];
	struct rd r = {data, size, 0};
	unsigned count = 1 + u8(&r) % 4;

	for (unsigned i = 0; i < count; i++) {
		size_t lens[4], n = make_frames(&r, frames[0], lens, 4);

		for (size_t k = 0; k < n; k++) {
			size_t len = lens[k];

			if (rare(&r, 5)) /* cut short */
				len = LTF_ETH + u8(&r) % (len - LTF_ETH + 1);
			if (rare(&r, 5)) /* one bit flipped */
				frames[k][u16(&r) % len] ^= (uint8_t)(1u << (u8(&r) % 8));
			send_frame(frames[k], len);
		}
	}
	check_alive();
	return 0;
}
