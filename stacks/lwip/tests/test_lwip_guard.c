/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The input guard: frames lwIP 2.1.3 would trust to its own harm never reach it.
 * One UDP-Lite datagram whose checksum coverage exceeds its length made every stack
 * abort the process (inet_chksum.c "delete me"). Here such frames (IPv4 and IPv6;
 * coverage 0xffff, length + 1, 1..7) reach a stack through a sync switch, an async
 * switch and a direct wire: the process survives, each frame is counted in rx_refused,
 * and the stack still answers ping and carries a verified TCP transfer. A well-formed
 * UDP-Lite datagram still gets through.
 */
#include "lt_frames.h"
#include "lwip_test.h"

#define SRV "10.0.0.100"
#define CLI "10.0.0.101"
#define SRV6 "fd00::100"
#define CLI6 "fd00::101"
#define RAW_IP 0x0a0000c8u /* 10.0.0.200: the raw port's address */
#define LITE_PORT 7400

static const uint8_t raw6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc8};

/* Coverages that must be refused for a datagram of @len bytes. */
static unsigned bad_cov(unsigned i, size_t len)
{
	static const unsigned fixed[] = {0xffff, 0, 1, 2, 3, 4, 5, 6, 7};

	return i == 1 ? (unsigned)len + 1 : fixed[i];
}

#define N_BAD 9

/* A UDP-Lite datagram (header + 24 bytes) to @dst_port with coverage @cov; checksum
 * over min(cov, len), as a sender believing in it would compute it. */
static size_t lite_dgram(uint8_t *u, unsigned cov, uint16_t dst_port)
{
	ltf_put16(u, 40000);
	ltf_put16(u + 2, dst_port);
	ltf_put16(u + 4, cov);
	for (int i = 0; i < 24; i++)
		u[8 + i] = (uint8_t)(0xa0 + i);
	return 32;
}

static size_t lite_frame4(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
			  uint32_t dst_ip, unsigned cov, uint16_t port)
{
	size_t n = ltf_eth(f, dst_mac, src_mac, 0x0800);
	size_t l4 = lite_dgram(f + n + 20, cov, port);

	n += ltf_ip4(f + n, RAW_IP, dst_ip, 136, NULL, 0, l4, 1, 0);
	ltf_ip4_l4_csum(f + LTF_ETH, cov == 0 ? l4 : cov);
	return n < 60 ? 60 : n;
}

static size_t lite_frame6(uint8_t *f, const uint8_t dst_mac[6], const uint8_t src_mac[6],
			  const uint8_t dst_ip[16], unsigned cov, uint16_t port)
{
	size_t n = ltf_eth(f, dst_mac, src_mac, 0x86dd);
	size_t l4 = lite_dgram(f + n + 40, cov, port);

	n += ltf_ip6(f + n, raw6, dst_ip, 136, l4, 64);
	ltf_ip6_l4_csum(f + LTF_ETH, 136, f + LTF_ETH + 40, l4, cov == 0 ? l4 : cov);
	return n;
}

static uint64_t refused(vnetif_lwip_stack *s)
{
	struct vnetif_lwip_stats st;

	ck_assert_int_eq(vnetif_lwip_stats_get(s, &st), 0);
	return st.rx_refused;
}

/* The stack survived: it answers ping and carries a verified TCP transfer. */
static void still_alive(vnetif_lwip_stack *srv, vnetif_lwip_stack *cli, uint16_t port)
{
	ck_assert_int_eq(vnetif_lwip_ping(cli, SRV, 2000, NULL), 0);
	lt_tcp(srv, SRV, cli, 256u << 10, port);
}

/* Every bad UDP-Lite frame, v4 and v6, from a raw port of the switch; then one good one
 * that a UDP-Lite socket receives. */
START_TEST(test_switch)
{
	struct vnetif_switch_config c;
	struct vnetif_lwip_config cs = lt_cfg(SRV), cc = lt_cfg(CLI);
	vnetif_lwip_stack *srv, *cli;
	vnetif_switch *sw;
	vnetif_port *raw;
	uint8_t mac[6], raw_mac[6], f[256], dst6[16];
	struct sockaddr_in la = lt_addr("0.0.0.0", LITE_PORT);
	char buf[64];
	uint64_t before;
	int fd;

	vt_config(&c);
	c.async_readers = _i != 0;
	sw = vt_switch(&c);
	cs.ipv6 = SRV6;
	cc.ipv6 = CLI6;
	srv = lt_stack(sw, &cs);
	cli = lt_stack(sw, &cc);
	raw = vt_connect(sw);
	vt_mac(raw, raw_mac);
	ck_assert_int_eq(vnetif_lwip_mac(srv, mac), 0);
	inet_pton(AF_INET6, SRV6, dst6);
	before = refused(srv);
	for (unsigned i = 0; i < N_BAD; i++) {
		size_t n = lite_frame4(f, mac, raw_mac, 0x0a000064u, bad_cov(i, 32), LITE_PORT);

		ck_assert_int_eq(vnetif_write(raw, f, n), 0);
		n = lite_frame6(f, mac, raw_mac, dst6, bad_cov(i, 32), LITE_PORT);
		ck_assert_int_eq(vnetif_write(raw, f, n), 0);
	}
	/* (also to a port nobody listens on: lwIP checksums before it looks for a socket) */
	ck_assert_msg(VT_WAIT(refused(srv) == before + 2 * N_BAD), "refused %" PRIu64 " of %d",
		      refused(srv) - before, 2 * N_BAD);
	still_alive(srv, cli, 5500);

	/* a well-formed UDP-Lite datagram (coverage 8: the header only) is delivered */
	fd = vnetif_lwip_socket(srv, AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vnetif_lwip_bind(srv, fd, (struct sockaddr *)&la, sizeof(la)), 0);
	lt_timeout(srv, fd, 2000);
	ck_assert_int_eq(vnetif_write(raw, f, lite_frame4(f, mac, raw_mac, 0x0a000064u, 8, LITE_PORT)), 0);
	ck_assert_int_eq(vnetif_lwip_recv(srv, fd, buf, sizeof(buf), 0), 24);
	ck_assert_int_eq((uint8_t)buf[0], 0xa0);
	ck_assert_int_eq(vnetif_lwip_close(srv, fd), 0);
	ck_assert_uint_eq(refused(srv), before + 2 * N_BAD);

	ck_assert_int_eq(vnetif_disconnect(raw, 0), 0);
	lt_destroy(cli);
	lt_destroy(srv);
	vt_teardown(sw);
}
END_TEST

/* A direct wire has no switch port to inject from: the peer stack sends the bad
 * datagrams itself through raw sockets (lwIP adds the IP header, the payload is ours). */
START_TEST(test_wire)
{
	enum vnetif_lwip_wire mode = _i ? VNETIF_LWIP_WIRE_MAILBOX : VNETIF_LWIP_WIRE_THREAD;
	struct vnetif_lwip_config cs = lt_cfg(SRV), cc = lt_cfg(CLI);
	vnetif_lwip_stack *srv, *cli;
	struct sockaddr_storage d4, d6;
	socklen_t l4 = lt_sa(SRV, 0, &d4), l6 = lt_sa(SRV6, 0, &d6);
	uint8_t u[64];
	uint64_t before;
	int f4, f6;

	cs.ipv6 = SRV6;
	cc.ipv6 = CLI6;
	ck_assert_int_eq(vnetif_lwip_create_wired(&cs, &cc, mode, &srv, &cli), 0);
	/* neighbour resolution first, so nothing is queued behind it */
	ck_assert_int_eq(vnetif_lwip_ping(cli, SRV, 2000, NULL), 0);
	f4 = vnetif_lwip_socket(cli, AF_INET, SOCK_RAW, 136);
	f6 = vnetif_lwip_socket(cli, AF_INET6, SOCK_RAW, 136);
	ck_assert_int_ge(f4, 0);
	ck_assert_int_ge(f6, 0);
	before = refused(srv);
	for (unsigned i = 0; i < N_BAD; i++) {
		size_t n = lite_dgram(u, bad_cov(i, 32), LITE_PORT);

		ck_assert_int_eq(vnetif_lwip_sendto(cli, f4, u, n, 0, (struct sockaddr *)&d4, l4), (ssize_t)n);
		ck_assert_int_eq(vnetif_lwip_sendto(cli, f6, u, n, 0, (struct sockaddr *)&d6, l6), (ssize_t)n);
	}
	ck_assert_msg(VT_WAIT(refused(srv) == before + 2 * N_BAD), "refused %" PRIu64 " of %d",
		      refused(srv) - before, 2 * N_BAD);
	vnetif_lwip_close(cli, f4);
	vnetif_lwip_close(cli, f6);
	still_alive(srv, cli, 5501);
	ck_assert_uint_eq(refused(srv), before + 2 * N_BAD);
	lt_destroy(cli);
	lt_destroy(srv);
}
END_TEST

static Suite *guard_suite(void)
{
	Suite *s = suite_create("lwip_guard");
	TCase *tc = tcase_create("guard");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, vt_cleanup);
	tcase_add_loop_test(tc, test_switch, 0, 2);
	tcase_add_loop_test(tc, test_wire, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(guard_suite());
}
