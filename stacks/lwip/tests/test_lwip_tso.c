/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP segmentation offload of the tuned lwIP (vnetif_lwip_config::tso) on a 1500-byte
 * switch: two stacks with TSO exchange segments longer than the MTU whole; a stack with
 * TSO and one without still talk, the switch cutting the long segments for the latter
 * (checksums on at both ends, so a segment cut wrong would be dropped and the transfer
 * stall), and no frame above 1514 bytes reaches it; UDP, ICMP and IPv6 keep the MTU; the
 * Debian build refuses TSO; a direct wire uses it only when both ends ask; a stack with
 * TSO survives TSO frames of 60000 and 65549 bytes from a raw port.
 * Every test skips when the tuned build was not built.
 */
#include "lt_frames.h"
#include "lwip_test.h"

#define A_IP "10.0.7.1"
#define B_IP "10.0.7.2"
#define A_IP6 "fd00:7::1"
#define B_IP6 "fd00:7::2"
#define LONG 1514 /* the longest frame at MTU 1500 */

static uint64_t xfer_bytes(void)
{
	return vt_tsan() ? (512u << 10) : (8u << 20);
}

static vnetif_switch *sw_make(bool async)
{
	struct vnetif_switch_config c;

	vt_config(&c);
	c.async_readers = async;
	return vt_switch(&c);
}

static vnetif_lwip_stack *stack_of(vnetif_switch *sw, const char *ip, const char *ip6, bool tso,
				   unsigned mtu)
{
	struct vnetif_lwip_config c = lt_cfg(ip);

	c.ipv6 = ip6;
	c.build = VNETIF_LWIP_BUILD_TUNED;
	c.checksums = VNETIF_LWIP_CSUM_ON;
	c.tso = tso ? VNETIF_LWIP_TSO_ON : VNETIF_LWIP_TSO_OFF;
	c.mtu = mtu;
	return lt_stack(sw, &c);
}

/* ---- what a port sends and receives: the longest frame, and how many above 1514 ---- */

struct mon {
	_Atomic uint64_t max[2], longer[2]; /* by enum vnetif_dir */
};

static void mon_fn(vnetif_port *port, enum vnetif_dir dir, const void *frame, size_t len,
		   void *arg)
{
	struct mon *m = arg;
	uint64_t cur = atomic_load(&m->max[dir]);

	(void)port;
	(void)frame;
	while (len > cur && !atomic_compare_exchange_weak(&m->max[dir], &cur, len))
		;
	if (len > LONG)
		atomic_fetch_add(&m->longer[dir], 1);
}

static void mon_on(vnetif_lwip_stack *s, struct mon *m)
{
	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(vnetif_monitor(vnetif_lwip_port(s), mon_fn, m), 0);
}

static void mon_off(vnetif_lwip_stack *s)
{
	ck_assert_int_eq(vnetif_monitor(vnetif_lwip_port(s), NULL, NULL), 0);
}

static struct vnetif_stats port_stats(vnetif_lwip_stack *s)
{
	return vt_stats(vnetif_lwip_port(s));
}

/* @bytes from @cli to @srv (listening on @srv_ip), every byte checked. A sender whose
 * long frames the switch refused is named before the transfer's own failure. */
static void tcp_to(vnetif_lwip_stack *srv, const char *srv_ip, vnetif_lwip_stack *cli,
		   uint64_t bytes, uint16_t port)
{
	struct lt_xfer x;

	memset(&x, 0, sizeof(x));
	x = (struct lt_xfer){.srv = srv, .cli = cli, .srv_ip = srv_ip, .port = port,
			     .bytes = bytes, .seed = port};
	lt_xfer_start(&x);
	lt_xfer_join(&x);
	if (vnetif_lwip_port(cli) != NULL)
		ck_assert_msg(port_stats(cli).tx_drop_oversize == 0,
			      "the switch dropped %" PRIu64 " frames of the sender as oversize "
			      "(does it take TSO frames?)", port_stats(cli).tx_drop_oversize);
	lt_xfer_check(&x);
}

/* ---- two stacks with TSO ------------------------------------------------------------ */

/* Segments above the MTU flow, whole, both ways. Loop: sync, async switch. */
START_TEST(test_tso_both)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *a, *b;
	struct vnetif_stats pa, pb;
	struct mon mb;

	if (!lt_have_tuned())
		return;
	sw = sw_make(_i);
	a = stack_of(sw, A_IP, NULL, true, 0);
	b = stack_of(sw, B_IP, NULL, true, 0);
	ck_assert_int_eq(vnetif_lwip_tso(a), 1);
	ck_assert_int_eq(vnetif_tso(vnetif_lwip_port(a)), 1);
	ck_assert_int_eq(vnetif_mtu(vnetif_lwip_port(a)), 1500);
	mon_on(b, &mb);
	tcp_to(b, B_IP, a, xfer_bytes(), 6001);
	mon_off(b);
	pa = port_stats(a);
	pb = port_stats(b);
	ck_assert_uint_gt(pa.tx_tso, 0);
	ck_assert_uint_eq(pb.rx_segmented, 0);
	ck_assert_uint_gt(atomic_load(&mb.longer[VNETIF_DIR_RX]), 0);
	/* the tuned build's MSS, 8960, plus 40 bytes of headers and 14 of Ethernet */
	ck_assert_uint_eq(atomic_load(&mb.max[VNETIF_DIR_RX]), 9014);
	tcp_to(a, A_IP, b, xfer_bytes(), 6002);
	ck_assert_uint_gt(port_stats(b).tx_tso, 0);
	ck_assert_uint_eq(port_stats(a).rx_segmented, 0);
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* ---- a stack with TSO and one without --------------------------------------------------- */

/* The switch cuts the long segments for the stack without TSO, which checks every
 * checksum and never sees a frame above 1514 bytes; the other way works too; a peer whose
 * MSS is below what the wire gives is obeyed. Loop: sync, async switch. */
START_TEST(test_tso_to_plain)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *a, *b, *c;
	struct vnetif_stats pa, pb;
	struct mon mb;
	uint64_t tso_before;

	if (!lt_have_tuned())
		return;
	sw = sw_make(_i);
	a = stack_of(sw, A_IP, NULL, true, 0);
	b = stack_of(sw, B_IP, NULL, false, 0);
	ck_assert_int_eq(vnetif_lwip_tso(b), 0);
	ck_assert_int_eq(vnetif_tso(vnetif_lwip_port(b)), 0);
	mon_on(b, &mb);
	tcp_to(b, B_IP, a, xfer_bytes(), 6101);
	pa = port_stats(a);
	pb = port_stats(b);
	ck_assert_uint_gt(pa.tx_tso, 0);
	ck_assert_uint_gt(pb.rx_segmented, 0);
	ck_assert_uint_eq(pb.rx_drop_segment, 0);
	ck_assert_uint_eq(atomic_load(&mb.longer[VNETIF_DIR_RX]), 0);
	ck_assert_uint_le(atomic_load(&mb.max[VNETIF_DIR_RX]), LONG);

	/* without TSO to TSO: 1460-byte segments, nothing to cut */
	tcp_to(a, A_IP, b, xfer_bytes(), 6102);
	mon_off(b);
	ck_assert_uint_eq(port_stats(b).tx_tso, 0);
	ck_assert_uint_eq(port_stats(a).rx_segmented, 0);
	ck_assert_uint_eq(atomic_load(&mb.longer[VNETIF_DIR_TX]), 0);

	/* a peer at MTU 1400 advertises 1360, less than the wire gives: no long segments */
	c = stack_of(sw, "10.0.7.3", NULL, false, 1400);
	tso_before = port_stats(a).tx_tso;
	tcp_to(c, "10.0.7.3", a, 1u << 20, 6103);
	ck_assert_uint_eq(port_stats(a).tx_tso, tso_before);
	ck_assert_uint_eq(port_stats(c).rx_segmented, 0);
	lt_destroy(c);
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* ---- UDP and ICMP keep the MTU ------------------------------------------------------------ */

/* An ICMP echo of @payload bytes from @s to @dst through a raw socket, and its reply
 * (vnetif_lwip_ping() sends 32 bytes). */
static void big_ping(vnetif_lwip_stack *s, const char *dst, size_t payload, uint16_t id)
{
	size_t len = 8 + payload;
	uint8_t *req = calloc(1, len), *buf = malloc(len + 128);
	struct sockaddr_in to = lt_addr(dst, 0);
	uint64_t deadline = vt_now_ms() + 4000;
	int fd = vnetif_lwip_socket(s, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	bool ok = false;

	ck_assert(req != NULL && buf != NULL);
	ck_assert_int_ge(fd, 0);
	req[0] = 8; /* echo request */
	ltf_put16(req + 4, id);
	ltf_put16(req + 6, 1);
	for (size_t k = 8; k < len; k++)
		req[k] = lt_byte(k, id);
	ltf_put16(req + 2, ltf_fold(ltf_sum(0, req, len)));
	lt_timeout(s, fd, 500);
	ck_assert_int_eq(vnetif_lwip_sendto(s, fd, req, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	while (!ok && vt_now_ms() < deadline) {
		ssize_t n = vnetif_lwip_recv(s, fd, buf, len + 128, 0);
		size_t hl;

		if (n < 20)
			continue;
		hl = (size_t)(buf[0] & 15) * 4;
		ok = (size_t)n == hl + len && buf[hl] == 0 && memcmp(buf + hl + 4, req + 4, 4) == 0 &&
		     memcmp(buf + hl + 8, req + 8, payload) == 0;
	}
	ck_assert_msg(ok, "no echo reply of %zu bytes from %s", payload, dst);
	ck_assert_int_eq(vnetif_lwip_close(s, fd), 0);
	free(req);
	free(buf);
}

/* A stack with TSO fragments UDP datagrams and ICMP messages (echo replies too) at the
 * wire's MTU; the stack without TSO reassembles them, and the other way round. */
START_TEST(test_tso_udp_icmp)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *a, *b;
	struct mon ma, mb;

	if (!lt_have_tuned())
		return;
	sw = sw_make(_i);
	a = stack_of(sw, A_IP, NULL, true, 0);
	b = stack_of(sw, B_IP, NULL, false, 0);
	mon_on(a, &ma);
	mon_on(b, &mb);
	lt_udp_echo(a, A_IP, b, B_IP, 4, 8000, 6201);
	lt_udp_echo(b, B_IP, a, A_IP, 4, 8000, 6202);
	big_ping(a, B_IP, 4000, 0x7a01);
	big_ping(b, A_IP, 4000, 0x7a02);
	mon_off(a);
	mon_off(b);
	ck_assert_uint_eq(atomic_load(&ma.longer[VNETIF_DIR_TX]), 0);
	ck_assert_uint_eq(atomic_load(&ma.max[VNETIF_DIR_TX]), LONG); /* fragments of 1500 */
	ck_assert_uint_eq(atomic_load(&mb.longer[VNETIF_DIR_RX]), 0);
	ck_assert_uint_eq(port_stats(a).tx_tso, 0);
	ck_assert_uint_eq(port_stats(a).tx_drop_oversize, 0);
	ck_assert_uint_eq(port_stats(b).rx_segmented, 0);
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* ---- IPv6 keeps the MTU ------------------------------------------------------------------ */

/* Two stacks with TSO: TCP over IPv6 and a UDP datagram over IPv6 at the wire's MTU
 * (IPv6 goes by netif->mtu6), then TCP over IPv4 with long segments. */
START_TEST(test_tso_ipv6)
{
	vnetif_switch *sw;
	vnetif_lwip_stack *a, *b;
	struct mon mb;

	if (!lt_have_tuned())
		return;
	sw = sw_make(true);
	a = stack_of(sw, A_IP, A_IP6, true, 0);
	b = stack_of(sw, B_IP, B_IP6, true, 0);
	mon_on(b, &mb);
	tcp_to(b, B_IP6, a, xfer_bytes(), 6301);
	lt_udp_echo(a, A_IP6, b, B_IP6, 2, 8000, 6302);
	ck_assert_uint_eq(port_stats(a).tx_tso, 0);
	ck_assert_uint_eq(port_stats(a).tx_drop_oversize, 0);
	ck_assert_uint_eq(atomic_load(&mb.longer[VNETIF_DIR_RX]), 0);
	tcp_to(b, B_IP, a, 1u << 20, 6303);
	mon_off(b);
	ck_assert_uint_gt(port_stats(a).tx_tso, 0);
	ck_assert_uint_gt(atomic_load(&mb.longer[VNETIF_DIR_RX]), 0);
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* ---- the Debian build refuses TSO ------------------------------------------------------ */

START_TEST(test_tso_debian_refused)
{
	vnetif_switch *sw = sw_make(false);
	struct vnetif_lwip_config c = lt_cfg(A_IP), d = lt_cfg(B_IP);
	vnetif_lwip_stack *s = NULL, *t = NULL;
	int rc;

	c.build = d.build = VNETIF_LWIP_BUILD_DEBIAN;
	rc = vnetif_lwip_create(sw, &c, &s);
	if (rc == -ELIBACC) { /* no Debian glue in this configuration */
		vt_teardown(sw);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(vnetif_lwip_tso(s), 0); /* AUTO, the default: off with Debian's */
	lt_destroy(s);
	c.tso = VNETIF_LWIP_TSO_ON;
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, VNETIF_LWIP_WIRE_THREAD, &s, &t), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create_wired(&d, &c, VNETIF_LWIP_WIRE_MAILBOX, &s, &t), -EINVAL);
	if (lt_have_tuned()) { /* one tuned end asking does not make the Debian end able */
		d.build = VNETIF_LWIP_BUILD_TUNED;
		d.tso = VNETIF_LWIP_TSO_ON;
		ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, VNETIF_LWIP_WIRE_THREAD, &s, &t),
				 -EINVAL);
	}
	vt_teardown(sw);
}
END_TEST

/* ---- a direct wire ------------------------------------------------------------------- */

/* Both ends ask: long segments (a few frames per MiB), UDP still fragmented at the MTU;
 * one end asks: neither uses it. Loop: thread, mailbox wire. */
START_TEST(test_tso_wire)
{
	enum vnetif_lwip_wire mode = _i ? VNETIF_LWIP_WIRE_MAILBOX : VNETIF_LWIP_WIRE_THREAD;
	struct vnetif_lwip_config c = lt_cfg(A_IP), d = lt_cfg(B_IP);
	struct vnetif_lwip_stats st;
	vnetif_lwip_stack *a, *b;
	uint64_t bytes = xfer_bytes(), before;

	if (!lt_have_tuned())
		return;
	c.build = d.build = VNETIF_LWIP_BUILD_TUNED;
	/* AUTO (the default) on both tuned ends is on */
	ck_assert_int_eq(c.tso, VNETIF_LWIP_TSO_AUTO);
	ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, mode, &a, &b), 0);
	ck_assert_int_eq(vnetif_lwip_tso(a), 1);
	ck_assert_int_eq(vnetif_lwip_tso(b), 1);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	before = st.tx_frames;
	tcp_to(b, B_IP, a, bytes, 6401);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	ck_assert_msg(st.tx_frames - before < bytes / 4096, "%" PRIu64 " frames for %" PRIu64
		      " bytes: segments of the MTU, not of the MSS", st.tx_frames - before, bytes);
	before = st.tx_frames;
	lt_udp_echo(a, A_IP, b, B_IP, 1, 8000, 6402);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	ck_assert_uint_eq(st.tx_frames - before, 6); /* 8008 bytes of IPv4 payload in 1480s */
	lt_destroy(a);
	lt_destroy(b);

	d.tso = VNETIF_LWIP_TSO_OFF;
	ck_assert_int_eq(vnetif_lwip_create_wired(&c, &d, mode, &a, &b), 0);
	ck_assert_int_eq(vnetif_lwip_tso(a), 0);
	ck_assert_int_eq(vnetif_lwip_tso(b), 0);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	before = st.tx_frames;
	tcp_to(b, B_IP, a, bytes, 6403);
	ck_assert_int_eq(vnetif_lwip_stats_get(a, &st), 0);
	ck_assert_uint_ge(st.tx_frames - before, bytes / 1460);
	lt_destroy(a);
	lt_destroy(b);
}
END_TEST

/* ---- TSO frames from a raw port ---------------------------------------------------------- */

/* A TCP/IPv4 frame of @len bytes (TCP ACK with data to port 9, where nobody listens:
 * lwIP answers with a RST), checksums correct. */
static void tso_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
		      uint32_t src_ip, uint32_t dst_ip)
{
	uint8_t *ip = f + LTF_ETH, *th = ip + 20;
	size_t l4len = len - LTF_ETH - 20;

	ltf_eth(f, dst, src, 0x0800);
	memset(th, 0, 20);
	ltf_put16(th, 40000);
	ltf_put16(th + 2, 9);
	ltf_put32(th + 4, 1000);
	ltf_put32(th + 8, 2000);
	th[12] = 5 << 4;
	th[13] = 0x10; /* ACK */
	ltf_put16(th + 14, 65535);
	for (size_t k = 20; k < l4len; k++)
		th[k] = lt_byte(k, 7);
	ltf_ip4(ip, src_ip, dst_ip, 6, NULL, 0, l4len, 1, 0);
	ltf_ip4_l4_csum(ip, l4len);
}

/* A raw port with TSO sends a stack with TSO frames of 60000 bytes (lwIP takes them) and
 * 65549 bytes (too long for lwIP's buffers: dropped, counted), to its MAC (kept in their
 * mbufs) and to the broadcast address (flooded, so copied). The process survives, the
 * frames are counted, every mbuf comes back, and the stack still carries a transfer.
 * Loop: sync, async switch. */
START_TEST(test_tso_hostile)
{
	static const size_t lens[] = {60000, VNETIF_TSO_FRAME_MAX};
	vnetif_switch *sw;
	vnetif_lwip_stack *s, *t;
	vnetif_port *raw;
	uint8_t smac[6], rmac[6], *f = malloc(VNETIF_TSO_FRAME_MAX);

	if (!lt_have_tuned()) {
		free(f);
		return;
	}
	ck_assert_ptr_nonnull(f);
	sw = sw_make(_i);
	s = stack_of(sw, A_IP, NULL, true, 0);
	t = stack_of(sw, B_IP, NULL, false, 0);
	ck_assert_int_eq(vnetif_lwip_ping(t, A_IP, 2000, NULL), 0); /* both MACs learned */
	raw = vt_connect(sw);
	ck_assert_int_eq(vnetif_set_tso(raw, true), 0);
	ck_assert_int_eq(vnetif_lwip_mac(s, smac), 0);
	vt_mac(raw, rmac);
	for (int bcast = 0; bcast < 2; bcast++)
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			struct vnetif_lwip_stats before, after;
			int rc;

			ck_assert_int_eq(vnetif_lwip_stats_get(s, &before), 0);
			tso_frame(f, lens[i], bcast ? VT_BCAST : smac, rmac, 0x0a000763, 0x0a000701);
			rc = vnetif_write(raw, f, lens[i]);
			ck_assert_msg(rc == 0, "a %zu-byte TSO frame: %d (%s)", lens[i], rc,
				      vnetif_strerror(rc));
			if (lens[i] > 0xffff) {
				ck_assert_msg(VT_WAIT(vnetif_lwip_stats_get(s, &after) == 0 &&
						      after.rx_drop > before.rx_drop),
					      "the %zu-byte frame was not counted", lens[i]);
			} else {
				ck_assert_msg(VT_WAIT(vnetif_lwip_stats_get(s, &after) == 0 &&
						      after.rx_frames > before.rx_frames),
					      "the %zu-byte frame did not reach lwIP", lens[i]);
				ck_assert_uint_eq(after.rx_drop, before.rx_drop);
				if (!bcast)
					ck_assert_uint_gt(after.rx_zero_copy, before.rx_zero_copy);
			}
			ck_assert_uint_eq(after.rx_refused, before.rx_refused);
		}
	ck_assert_uint_eq(port_stats(s).rx_segmented, 0);
	tcp_to(t, B_IP, s, 1u << 20, 6501);
	tcp_to(s, A_IP, t, 1u << 20, 6502);
	ck_assert_int_eq(vnetif_lwip_ping(s, B_IP, 2000, NULL), 0);
	lt_destroy(s);
	lt_destroy(t);
	vt_drain(raw);
	ck_assert_int_eq(vnetif_disconnect(raw, 0), 0);
	free(f);
	vt_teardown(sw);
}
END_TEST

/* ---- a peer's MSS ------------------------------------------------------------------- */

/* The next frame on @port (a raw port without listener) that @match takes, within the
 * test's wait bound; frames it does not take are freed. */
static bool raw_wait(vnetif_port *port, bool (*match)(const uint8_t *f, size_t len))
{
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;
	bool found = false;

	while (!found && vt_now_ms() < deadline) {
		struct rte_mbuf *m[8];
		int n = vnetif_rx_burst(port, m, 8);

		for (int i = 0; i < n; i++) {
			uint8_t buf[VT_FRAME_MAX];
			size_t len = vt_mbuf_read(m[i], buf, sizeof(buf));

			found = found || match(buf, len);
			rte_pktmbuf_free(m[i]);
		}
		if (n == 0)
			sched_yield();
	}
	return found;
}

static bool is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2;
}

/* A SYN-ACK for our SYN (sequence 100) with lwIP's own MSS, 8960. */
static bool is_syn_ack(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + LTF_ETH, *th = ip + 20;

	return len >= LTF_ETH + 20 + 24 && f[12] == 0x08 && f[13] == 0x00 && ip[9] == 6 &&
	       (th[13] & 0x12) == 0x12 && th[8] == 0 && th[9] == 0 && th[10] == 0 &&
	       th[11] == 101 && th[20] == 2 && th[21] == 4 && (th[22] << 8 | th[23]) == 8960;
}

/* A SYN whose MSS option is 1460 (MTU 1500 - 40) reaches a stack with TSO raised to
 * 8960; the TCP checksum is updated with it (the stack checks checksums: a wrong one
 * and no SYN-ACK would come). Loop: the MSS value at an even, then an odd offset. */
START_TEST(test_tso_peer_mss)
{
	static const uint8_t opt_even[] = {2, 4, 0x05, 0xb4};
	static const uint8_t opt_odd[] = {1, 2, 4, 0x05, 0xb4, 1, 1, 0};
	const uint8_t *opt = _i ? opt_odd : opt_even;
	size_t optlen = _i ? sizeof(opt_odd) : sizeof(opt_even), len;
	struct sockaddr_in any = lt_addr("0.0.0.0", 6601);
	uint8_t smac[6], rmac[6], f[128] = {0}, *ip = f + LTF_ETH, *th = ip + 20;
	vnetif_switch *sw;
	vnetif_lwip_stack *s;
	vnetif_port *raw;
	int ls;

	if (!lt_have_tuned())
		return;
	sw = sw_make(false);
	s = stack_of(sw, A_IP, NULL, true, 0);
	raw = vt_connect(sw);
	ck_assert_int_eq(vnetif_lwip_mac(s, smac), 0);
	vt_mac(raw, rmac);
	ls = vnetif_lwip_socket(s, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(ls, 0);
	ck_assert_int_eq(vnetif_lwip_bind(s, ls, (struct sockaddr *)&any, sizeof(any)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(s, ls, 1), 0);
	vt_drain(raw);

	/* an ARP request for the stack from 10.0.7.99: lwIP keeps the asker's address */
	ltf_arp_request(f, rmac, 0x0a000763, 0x0a000701);
	ck_assert_int_eq(vnetif_write(raw, f, 60), 0);
	ck_assert_msg(raw_wait(raw, is_arp_reply), "no ARP reply");

	memset(f, 0, sizeof(f));
	ltf_eth(f, smac, rmac, 0x0800);
	ltf_put16(th, 40001);
	ltf_put16(th + 2, 6601);
	ltf_put32(th + 4, 100);
	th[12] = (uint8_t)((20 + optlen) / 4 << 4);
	th[13] = 0x02; /* SYN */
	ltf_put16(th + 14, 65535);
	memcpy(th + 20, opt, optlen);
	len = LTF_ETH + ltf_ip4(ip, 0x0a000763, 0x0a000701, 6, NULL, 0, 20 + optlen, 2, 0);
	ltf_ip4_l4_csum(ip, 20 + optlen);
	ck_assert_int_eq(vnetif_write(raw, f, len < 60 ? 60 : len), 0);
	ck_assert_msg(raw_wait(raw, is_syn_ack), "no SYN-ACK: the SYN was dropped");

	ck_assert_int_eq(vnetif_lwip_close(s, ls), 0);
	lt_destroy(s);
	vt_drain(raw);
	ck_assert_int_eq(vnetif_disconnect(raw, 0), 0);
	vt_teardown(sw);
}
END_TEST

static Suite *tso_suite(void)
{
	Suite *s = suite_create("lwip_tso");
	TCase *tc = vt_tcase("tso");

	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_tso_both, 0, 2);
	tcase_add_loop_test(tc, test_tso_to_plain, 0, 2);
	tcase_add_loop_test(tc, test_tso_udp_icmp, 0, 2);
	tcase_add_test(tc, test_tso_ipv6);
	tcase_add_test(tc, test_tso_debian_refused);
	tcase_add_loop_test(tc, test_tso_wire, 0, 2);
	tcase_add_loop_test(tc, test_tso_hostile, 0, 2);
	tcase_add_loop_test(tc, test_tso_peer_mss, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(tso_suite());
}
