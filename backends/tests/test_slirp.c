/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT uplink (vnetif_slirp): DHCP lease, outbound TCP from an lwIP stack to a server
 * the test runs on 127.0.0.1, a port forward from the host into an lwIP server,
 * counters, argument checks. All traffic stays on the loopback interface.
 *
 * Debian's liblwip is built without DHCP (LWIP_DHCP off: no dhcp_start), so the lease is
 * taken by a small DHCP client on a raw switch port here; the lwIP stack is then created
 * with that port's MAC and the leased address, netmask and router.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnetif_lwip.h"
#include "vnetif_slirp.h"
#include "vnetif_test.h"

/* ---- a minimal DHCP client on a raw port ----------------------------------------------- */

struct lease {
	uint8_t type;           /* option 53 of the reply */
	struct in_addr yiaddr, mask, router, dns, server;
	uint32_t lease_s;
};

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* DHCPDISCOVER (type 1) or DHCPREQUEST (type 3, for @want from @server). */
static size_t dhcp_frame(uint8_t *f, const uint8_t mac[6], uint8_t type, uint32_t xid,
			 struct in_addr want, struct in_addr server)
{
	uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8, *o = b + 240;

	memset(f, 0, 600);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	b[0] = 1, b[1] = 1, b[2] = 6;                     /* BOOTREQUEST, Ethernet */
	memcpy(b + 4, &xid, 4);
	b[10] = 0x80;                                     /* broadcast reply */
	memcpy(b + 28, mac, 6);
	b[236] = 99, b[237] = 130, b[238] = 83, b[239] = 99; /* magic cookie */
	*o++ = 53, *o++ = 1, *o++ = type;
	if (type == 3) {
		*o++ = 50, *o++ = 4, memcpy(o, &want, 4), o += 4;
		*o++ = 54, *o++ = 4, memcpy(o, &server, 4), o += 4;
	}
	*o++ = 55, *o++ = 3, *o++ = 1, *o++ = 3, *o++ = 6; /* mask, router, DNS */
	*o++ = 255;
	size_t blen = (size_t)(o - b) < 300 ? 300 : (size_t)(o - b);
	size_t ulen = 8 + blen, iplen = 20 + ulen;

	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8), ip[3] = (uint8_t)iplen;
	ip[8] = 64, ip[9] = 17;                           /* TTL, UDP */
	memset(ip + 16, 0xff, 4);                         /* 0.0.0.0 -> 255.255.255.255 */
	uint16_t c = ip_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	udp[1] = 68, udp[3] = 67;
	udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen;
	return 14 + iplen;
}

/* Parse a DHCP reply for @xid; false if the frame is something else. */
static bool dhcp_parse(const uint8_t *f, size_t len, uint32_t xid, struct lease *l)
{
	const uint8_t *ip = f + 14, *udp, *b, *o, *end = f + len;

	if (len < 14 + 20 + 8 + 240 || f[12] != 0x08 || f[13] != 0 || ip[9] != 17)
		return false;
	udp = ip + (ip[0] & 15) * 4;
	b = udp + 8;
	if (udp[1] != 67 || udp[3] != 68 || b + 240 > end || b[0] != 2 || memcmp(b + 4, &xid, 4))
		return false;
	memset(l, 0, sizeof(*l));
	memcpy(&l->yiaddr, b + 16, 4);
	for (o = b + 240; o < end && *o != 255;) {
		if (*o == 0) {
			o++;
			continue;
		}
		if (o + 2 > end || o + 2 + o[1] > end)
			break;
		const uint8_t *v = o + 2;
		switch (o[0]) {
		case 53: l->type = v[0]; break;
		case 1: memcpy(&l->mask, v, 4); break;
		case 3: memcpy(&l->router, v, 4); break;
		case 6: memcpy(&l->dns, v, 4); break;
		case 54: memcpy(&l->server, v, 4); break;
		case 51: l->lease_s = (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]; break;
		}
		o += 2 + o[1];
	}
	return true;
}

/* Send one DHCP message from @p and wait for the reply of type @want_type. */
static struct lease dhcp_exchange(vnetif_port *p, uint8_t type, uint8_t want_type,
				  uint32_t xid, struct in_addr want, struct in_addr server)
{
	uint8_t f[600], mac[6], buf[VT_FRAME_MAX];
	struct lease l = {0};
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;

	vt_mac(p, mac);
	ck_assert_int_eq(vnetif_write(p, f, dhcp_frame(f, mac, type, xid, want, server)), 0);
	while (vt_now_ms() < deadline) {
		struct rte_mbuf *m;

		if (vnetif_rx_burst(p, &m, 1) != 1) {
			usleep(1000);
			continue;
		}
		size_t len = vt_mbuf_read(m, buf, sizeof(buf));
		rte_pktmbuf_free(m);
		if (dhcp_parse(buf, len, xid, &l) && l.type == want_type)
			return l;
	}
	ck_abort_msg("no DHCP reply of type %u to type %u", want_type, type);
	return l;
}

static const char *ip_str(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* ---- a host-side TCP server on 127.0.0.1 ------------------------------------------------ */

struct host_server {
	int lfd;
	uint16_t port;
	const uint8_t *body;
	size_t len;
	pthread_t t;
};

static void *host_server_main(void *arg)
{
	struct host_server *h = arg;
	char req[1024], hdr[128];
	int fd = accept(h->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	(void)!read(fd, req, sizeof(req));
	int n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", h->len);
	(void)!write(fd, hdr, (size_t)n);
	for (size_t off = 0; off < h->len;) {
		ssize_t w = write(fd, h->body + off, h->len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	return NULL;
}

static int loopback_listener(uint16_t *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A free TCP port on 127.0.0.1 (bound, read, released). */
static uint16_t free_port(void)
{
	uint16_t p;
	int fd = loopback_listener(&p);

	close(fd);
	return p;
}

static void fill_random(uint8_t *b, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

static vnetif_slirp *uplink(vnetif_switch *sw)
{
	struct vnetif_slirp_config c;
	vnetif_slirp *n = NULL;
	int rc;

	vnetif_slirp_config_init(&c);
	rc = vnetif_slirp_create(sw, &c, &n);
	ck_assert_msg(rc == 0, "vnetif_slirp_create: %d (%s)", rc, vnetif_strerror(rc));
	return n;
}

static void set_timeout(vnetif_lwip_stack *s, int fd, int sec)
{
	struct timeval tv = {.tv_sec = sec};

	ck_assert_int_eq(vnetif_lwip_setsockopt(s, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

/* ---- tests ----------------------------------------------------------------------------- */

/* An lwIP stack takes a lease by DHCP, then fetches 1 MiB over TCP from a server on the
 * host's 127.0.0.1 (through the gateway address) and gets every byte. Async switch. */
START_TEST(test_dhcp_and_fetch)
{
	struct vnetif_switch_config cfg;
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	uint8_t mac[6];

	vt_config(&cfg);
	cfg.async_readers = true;
	vnetif_switch *sw = vt_switch(&cfg);
	vnetif_slirp *n = uplink(sw);
	vnetif_port *raw = vt_connect(sw);
	vt_mac(raw, mac);

	struct in_addr none = {0};
	struct lease offer = dhcp_exchange(raw, 1, 2, 0x1234567u, none, none);
	ck_assert_str_eq(ip_str(offer.yiaddr, a), "10.0.2.15");
	ck_assert_str_eq(ip_str(offer.router, g), "10.0.2.2");
	ck_assert_str_eq(ip_str(offer.dns, a), "10.0.2.3");
	ck_assert_str_eq(ip_str(offer.mask, m), "255.255.255.0");
	struct lease ack = dhcp_exchange(raw, 3, 5, 0x1234568u, offer.yiaddr, offer.server);
	ck_assert_uint_eq(ack.yiaddr.s_addr, offer.yiaddr.s_addr);
	ck_assert_uint_gt(ack.lease_s, 0);
	vt_drain(raw);
	ck_assert_int_eq(vnetif_disconnect(raw, 0), 0);

	/* The stack takes over the leased address with the MAC it was leased to. */
	struct vnetif_lwip_config lc;
	vnetif_lwip_stack *s = NULL;
	vnetif_lwip_config_init(&lc);
	lc.ipv4 = ip_str(ack.yiaddr, a);
	lc.netmask = ip_str(ack.mask, m);
	lc.gateway = ip_str(ack.router, g);
	memcpy(lc.mac, mac, 6);
	ck_assert_int_eq(vnetif_lwip_create(sw, &lc, &s), 0);

	static uint8_t body[1 << 20], got[(1 << 20) + 256];
	struct host_server h = {.body = body, .len = sizeof(body)};
	fill_random(body, sizeof(body), 7);
	h.lfd = loopback_listener(&h.port);
	ck_assert_int_eq(pthread_create(&h.t, NULL, host_server_main, &h), 0);

	int fd = vnetif_lwip_socket(s, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	set_timeout(s, fd, 10);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(h.port)};
	inet_pton(AF_INET, "10.0.2.2", &sa.sin_addr); /* the gateway stands for the host */
	ck_assert_msg(vnetif_lwip_connect(s, fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "connect to 10.0.2.2:%u: %s", h.port, strerror(errno));
	const char req[] = "GET / HTTP/1.0\r\n\r\n";
	ck_assert_int_eq(vnetif_lwip_send(s, fd, req, sizeof(req) - 1, 0), sizeof(req) - 1);
	size_t total = 0;
	ssize_t r;
	while ((r = vnetif_lwip_recv(s, fd, got + total, sizeof(got) - total, 0)) > 0)
		total += (size_t)r;
	ck_assert_msg(r == 0, "recv: %s after %zu bytes", strerror(errno), total);
	vnetif_lwip_close(s, fd);
	pthread_join(h.t, NULL);
	close(h.lfd);

	char *hdr_end = memmem(got, total, "\r\n\r\n", 4);
	ck_assert_ptr_nonnull(hdr_end);
	size_t hlen = (size_t)((uint8_t *)hdr_end + 4 - got);
	ck_assert_uint_eq(total - hlen, sizeof(body));
	ck_assert(memcmp(got + hlen, body, sizeof(body)) == 0);

	/* Counters: the uplink saw the traffic both ways and dropped nothing. */
	struct vnetif_slirp_stats ns;
	ck_assert_int_eq(vnetif_slirp_stats_get(n, &ns), 0);
	ck_assert_uint_gt(ns.rx_frames, 100);
	ck_assert_uint_gt(ns.tx_frames, 700); /* 1 MiB in <= 1460-byte segments */
	ck_assert_uint_eq(ns.rx_drop_queue_full + ns.rx_drop_too_long + ns.tx_drop, 0);
	struct vnetif_stats ps = vt_stats(vnetif_slirp_port(n));
	ck_assert_uint_eq(ps.tx_packets, ns.tx_frames);
	ck_assert_uint_ge(ps.rx_packets, ns.rx_frames);

	ck_assert_int_eq(vnetif_lwip_destroy(s), 0);
	ck_assert_int_eq(vnetif_slirp_destroy(n), 0);
	vt_teardown(sw);
}
END_TEST

struct lwip_server {
	vnetif_lwip_stack *s;
	int lfd;
	const char *reply;
};

static void *lwip_server_main(void *arg)
{
	struct lwip_server *k = arg;
	char req[512];
	int fd = vnetif_lwip_accept(k->s, k->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	set_timeout(k->s, fd, 10);
	(void)vnetif_lwip_recv(k->s, fd, req, sizeof(req), 0);
	vnetif_lwip_send(k->s, fd, k->reply, strlen(k->reply), 0);
	vnetif_lwip_close(k->s, fd);
	return NULL;
}

/* A host client connects to 127.0.0.1:P; the forward carries it to an lwIP server on
 * 10.0.2.15:80. Sync switch. */
START_TEST(test_hostfwd)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_slirp *n = uplink(sw);
	struct vnetif_lwip_config lc;
	vnetif_lwip_stack *s = NULL;
	char spec[64], buf[256];

	vnetif_lwip_config_init(&lc);
	lc.ipv4 = "10.0.2.15";
	lc.netmask = "255.255.255.0";
	lc.gateway = "10.0.2.2";
	ck_assert_int_eq(vnetif_lwip_create(sw, &lc, &s), 0);
	struct lwip_server k = {.s = s, .reply = "HTTP/1.0 200 OK\r\n\r\nhello from lwIP\n"};
	k.lfd = vnetif_lwip_socket(s, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
	ck_assert_int_eq(vnetif_lwip_bind(s, k.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(s, k.lfd, 2), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, lwip_server_main, &k), 0);

	uint16_t port = free_port();
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u-10.0.2.15:80", port);
	ck_assert_int_eq(vnetif_slirp_hostfwd(n, spec), 0);
	/* The same host port twice cannot be bound. */
	ck_assert_int_eq(vnetif_slirp_hostfwd(n, spec), -EADDRINUSE);

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in hs = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&hs, sizeof(hs)), 0);
	ck_assert_int_eq(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	size_t total = 0;
	ssize_t r;
	while ((r = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += (size_t)r;
	buf[total] = '\0';
	close(fd);
	pthread_join(t, NULL);
	ck_assert_str_eq(buf, k.reply);
	vnetif_lwip_close(s, k.lfd);

	struct vnetif_slirp_stats ns;
	ck_assert_int_eq(vnetif_slirp_stats_get(n, &ns), 0);
	ck_assert_uint_eq(ns.hostfwds, 1);
	ck_assert_uint_gt(ns.rx_frames, 0);
	ck_assert_uint_gt(ns.tx_frames, 0);
	ck_assert_int_eq(vnetif_lwip_destroy(s), 0);
	ck_assert_int_eq(vnetif_slirp_destroy(n), 0);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_bad_arguments)
{
	vnetif_switch *sw = vt_switch(NULL);
	struct vnetif_slirp_config c;
	vnetif_slirp *n = NULL;
	static const char *bad_nets[] = {NULL, "", "10.0.2.0", "10.0.2.0/31", "10.0.2.0/7",
					 "10.0.2/24", "10.0.2.0/24x", "x/24"};

	vnetif_slirp_config_init(&c);
	ck_assert_int_eq(vnetif_slirp_create(NULL, &c, &n), -EINVAL);
	ck_assert_int_eq(vnetif_slirp_create(sw, NULL, &n), -EINVAL);
	ck_assert_int_eq(vnetif_slirp_create(sw, &c, NULL), -EINVAL);
	for (unsigned i = 0; i < sizeof(bad_nets) / sizeof(bad_nets[0]); i++) {
		c.network = bad_nets[i];
		ck_assert_msg(vnetif_slirp_create(sw, &c, &n) == -EINVAL, "network %s", bad_nets[i]);
	}
	vnetif_slirp_config_init(&c);
	c.gateway = "10.0.3.2"; /* outside */
	ck_assert_int_eq(vnetif_slirp_create(sw, &c, &n), -EINVAL);
	c.gateway = "10.0.2.3"; /* the DNS address */
	ck_assert_int_eq(vnetif_slirp_create(sw, &c, &n), -EINVAL);
	vnetif_slirp_config_init(&c);
	c.queue_size = 100;
	ck_assert_int_eq(vnetif_slirp_create(sw, &c, &n), -EINVAL);
	ck_assert_int_eq(vt_sw_stats(sw).ports, 0); /* failed calls left nothing */

	n = uplink(sw);
	static const char *bad_fwd[] = {"", "tcp", "tcp:127.0.0.1:80", "sctp::80-10.0.2.15:80",
					"tcp::80-10.0.3.15:80", "tcp::80-10.0.2.15:0",
					"tcp::70000-10.0.2.15:80", "tcp:1.2.3:80-10.0.2.15:80",
					"tcp::80-10.0.2.15:80x"};
	for (unsigned i = 0; i < sizeof(bad_fwd) / sizeof(bad_fwd[0]); i++)
		ck_assert_msg(vnetif_slirp_hostfwd(n, bad_fwd[i]) == -EINVAL, "hostfwd '%s'",
			      bad_fwd[i]);
	ck_assert_int_eq(vnetif_slirp_hostfwd(NULL, "tcp::80-10.0.2.15:80"), -EINVAL);
	ck_assert_int_eq(vnetif_slirp_hostfwd_add(n, false, NULL, 1, NULL, 80), -EINVAL);
	ck_assert_int_eq(vnetif_slirp_stats_get(n, NULL), -EINVAL);
	ck_assert_ptr_null(vnetif_slirp_port(NULL));
	ck_assert_int_eq(vnetif_slirp_destroy(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_slirp_destroy(n), 0);
	vt_teardown(sw);
}
END_TEST

static Suite *slirp_suite(void)
{
	Suite *s = suite_create("slirp");
	TCase *tc = vt_tcase("nat");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_dhcp_and_fetch);
	tcase_add_test(tc, test_hostfwd);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(slirp_suite());
}
