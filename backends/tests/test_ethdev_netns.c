/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux network namespaces attached to the switch through tap ports.
 * - ping from a namespace to a vnetif port that answers ARP and ICMP echo (written
 *   here, below);
 * - a TCP transfer between two namespaces across the switch, its bytes verified by the
 *   receiver (this program, re-run inside the namespace with --tcp-sink);
 * - with the lwIP adapter (VNETIF_ETHDEV_TEST_LWIP): ping and TCP both ways between a
 *   namespace and an lwIP stack on the switch, bytes verified by the receiver; again
 *   with the stack's TCP segmentation offload on (tuned lwIP): Linux verifies every byte
 *   of the 8960-byte segments the switch cut for the tap.
 * Needs root, /dev/net/tun, `ip` (iproute2) and `ping` (iputils-ping); exits 77
 * (skipped) without them. Addresses: 10.200.77.0/24, inside the test's own namespaces.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "ethdev_test.h"
#ifdef VNETIF_ETHDEV_TEST_LWIP
#include "vnetif_lwip.h"
#endif

Suite *netns_suite(void);

#define NET_PREFIX "10.200.77."
#define RESPONDER_IP NET_PREFIX "2"
#define TCP_PORT 5201
#define TCP_BYTES (8u << 20)

static char ip_path[PATH_MAX], ping_path[PATH_MAX], self_path[PATH_MAX];
static char netns[ET_MAX_CHILDREN][32];

/* --- namespaces ------------------------------------------------------------------ */

/* Create namespace @ns, move interface @ifname into it with @addr/24, IPv6 off (no
 * router solicitations: the wire carries only what the test sends). */
static void netns_add(const char *ns, const char *ifname, const char *addr)
{
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		if (!netns[i][0]) {
			snprintf(netns[i], sizeof(netns[i]), "%s", ns);
			break;
		}
	}
	ck_assert_int_eq(et_sh("%s netns add %s", ip_path, ns), 0);
	ck_assert_int_eq(et_sh("%s link set %s netns %s", ip_path, ifname, ns), 0);
	ck_assert_int_eq(et_sh("%s netns exec %s sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/"
			    "disable_ipv6'", ip_path, ns), 0);
	ck_assert_int_eq(et_sh("%s -n %s addr add %s/24 dev %s", ip_path, ns, addr, ifname), 0);
	ck_assert_int_eq(et_sh("%s -n %s link set %s up", ip_path, ns, ifname), 0);
	ck_assert_int_eq(et_sh("%s -n %s link set lo up", ip_path, ns), 0);
}

static void netns_cleanup(void)
{
	et_cleanup(); /* taps first: closing the device removes its interface */
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		if (netns[i][0]) {
			et_sh("%s netns del %s 2>/dev/null", ip_path, netns[i]);
			netns[i][0] = '\0';
		}
	}
}

/* A tap port whose interface is named vnt<pid><n>; returns the interface name. */
static vnetif_ethdev *tap_attach(vnetif_switch *sw, char *ifname, size_t len)
{
	static unsigned seq;
	char da[128], name[32];
	struct vnetif_ethdev_config cfg;

	vnetif_ethdev_config_init(&cfg);
	cfg.nb_rxd = 256; /* tap fills its ring with mbufs of the switch's pool */
	snprintf(ifname, len, "vnt%d%c", (int)getpid() % 100000, 'a' + seq++);
	snprintf(da, sizeof(da), "%s,iface=%s", et_name(name, sizeof(name), "net_tap"), ifname);
	return et_attach_cfg(sw, da, &cfg);
}

/* --- the responder: ARP and ICMP echo for RESPONDER_IP ------------------------------ */

struct responder {
	vnetif_port *port;
	uint8_t mac[6];
	struct in_addr ip;
	unsigned arp_replies, echo_replies, ignored;
};

/* Answer one frame if it is an ARP request or an ICMP echo request for us. */
static void respond(struct responder *r, const uint8_t *f, size_t len)
{
	uint8_t out[1600];
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);

	if (type == 0x0806 && len >= 42 && f[20] == 0 && f[21] == 1 &&
	    memcmp(f + 38, &r->ip, 4) == 0) {
		memcpy(out, f + 6, 6);            /* to the requester */
		memcpy(out + 6, r->mac, 6);
		memcpy(out + 12, f + 12, 8);      /* type, htype, ptype, hlen, plen */
		out[20] = 0;
		out[21] = 2;                      /* reply */
		memcpy(out + 22, r->mac, 6);      /* sender: us */
		memcpy(out + 28, &r->ip, 4);
		memcpy(out + 32, f + 22, 10);     /* target: the requester */
		memset(out + 42, 0, 18);
		ck_assert_int_eq(vnetif_write(r->port, out, 60), 0);
		r->arp_replies++;
		return;
	}
	if (type == 0x0800 && len >= 14 + 20 + 8 && len <= sizeof(out)) {
		const uint8_t *ip = f + 14;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = (size_t)(ip[2] << 8 | ip[3]);

		if (ip[9] == 1 && memcmp(ip + 16, &r->ip, 4) == 0 && 14 + tot <= len &&
		    tot >= ihl + 8 && ip[ihl] == 8) {
			memcpy(out, f, 14 + tot);
			memcpy(out, f + 6, 6);
			memcpy(out + 6, r->mac, 6);
			memcpy(out + 14 + 12, ip + 16, 4); /* swap addresses */
			memcpy(out + 14 + 16, ip + 12, 4);
			uint8_t *icmp = out + 14 + ihl;
			icmp[0] = 0;                       /* echo reply */
			icmp[2] = icmp[3] = 0;
			uint16_t c = et_csum(icmp, tot - ihl);
			icmp[2] = (uint8_t)(c >> 8);
			icmp[3] = (uint8_t)c;
			ck_assert_int_eq(vnetif_write(r->port, out, 14 + tot), 0);
			r->echo_replies++;
			return;
		}
	}
	r->ignored++;
}

static void respond_all(struct responder *r)
{
	struct rte_mbuf *pkts[32];
	uint8_t buf[VT_FRAME_MAX];
	int n;

	while ((n = vnetif_rx_burst(r->port, pkts, 32)) > 0) {
		for (int i = 0; i < n; i++) {
			size_t len = vt_mbuf_read(pkts[i], buf, sizeof(buf));

			if (len >= 14)
				respond(r, buf, len);
			rte_pktmbuf_free(pkts[i]);
		}
	}
}

START_TEST(test_ping_from_namespace)
{
	char ifname[16], ns[32];
	vnetif_switch *sw = vt_switch(NULL);
	struct responder r = {.port = vt_connect(sw)};
	struct et_child *c = calloc(1, sizeof(*c));
	vnetif_ethdev *tap = tap_attach(sw, ifname, sizeof(ifname));
	int status;

	ck_assert_ptr_nonnull(c);
	vt_mac(r.port, r.mac);
	inet_pton(AF_INET, RESPONDER_IP, &r.ip);
	snprintf(ns, sizeof(ns), "vnetif-t%d", (int)getpid());
	netns_add(ns, ifname, NET_PREFIX "1");

	char *argv[] = {ip_path, "netns", "exec", ns, ping_path, "-c", "3", "-i", "0.2", "-W",
			"2", RESPONDER_IP, NULL};
	et_spawn(c, argv);
	uint64_t deadline = vt_now_ms() + 15000;
	while (vt_now_ms() < deadline) {
		respond_all(&r);
		if (et_exited(c))
			break;
		et_expect(c, et_pos(c), NULL, 1);
	}
	status = et_reap(c, 1000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ping failed (%d):\n%s",
		      status, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "3 received") != NULL, "%s", et_tail(c, 1500));
	ck_assert_uint_ge(r.arp_replies, 1);
	ck_assert_uint_eq(r.echo_replies, 3);
	/* ARP request + 3 echo requests in, ARP reply + 3 echo replies out. The poller counts
	 * a burst once the switch (in) or the device (out) has taken it, so the namespace can
	 * have its reply before the count moved: wait for the counts. */
	ck_assert(VT_WAIT(et_stats(tap).to_switch >= 4 && et_stats(tap).from_switch >= 4));
	struct vnetif_ethdev_stats st = et_stats(tap);
	ck_assert_uint_eq(st.tx_drop_dev_full, 0);
	free(c);
	et_detach(tap);
	vt_drain(r.port);
	ck_assert_int_eq(vnetif_disconnect(r.port, 0), 0);
	vt_teardown(sw);
}
END_TEST

/* --- TCP between two namespaces ----------------------------------------------------- */

static uint8_t tcp_pattern(uint64_t off)
{
	return (uint8_t)(off * 31u + (off >> 11));
}

/* Child mode, inside a namespace: accept one connection, read @bytes, verify them. */
static int tcp_sink(unsigned port, uint64_t bytes)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), s;
	uint8_t buf[65536];
	uint64_t got = 0;

	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("sink: bind/listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	alarm(30);
	if ((s = accept(ls, NULL, NULL)) < 0) {
		perror("sink: accept");
		return 1;
	}
	for (;;) {
		ssize_t n = read(s, buf, sizeof(buf));

		if (n < 0) {
			perror("sink: read");
			return 1;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != tcp_pattern(got + (uint64_t)i)) {
				printf("sink: byte %" PRIu64 " differs\n", got + (uint64_t)i);
				return 1;
			}
		}
		got += (uint64_t)n;
	}
	printf("sink: %" PRIu64 " bytes verified\n", got);
	return got == bytes ? 0 : 1;
}

/* Child mode, inside a namespace: connect (retrying for a while), send @bytes. */
static int tcp_source(const char *addr, unsigned port, uint64_t bytes)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint8_t buf[65536];
	uint64_t sent = 0;
	int s = -1;

	inet_pton(AF_INET, addr, &sa.sin_addr);
	alarm(30);
	for (int tries = 0; tries < 100; tries++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(s);
		s = -1;
		usleep(100 * 1000);
	}
	if (s < 0) {
		perror("source: connect");
		return 1;
	}
	while (sent < bytes) {
		size_t n = bytes - sent < sizeof(buf) ? (size_t)(bytes - sent) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = tcp_pattern(sent + i);
		ssize_t w = write(s, buf, n);
		if (w <= 0) {
			perror("source: write");
			return 1;
		}
		sent += (uint64_t)w;
	}
	close(s);
	printf("source: %" PRIu64 " bytes sent\n", sent);
	return 0;
}

START_TEST(test_tcp_between_namespaces)
{
	char if1[16], if2[16], ns1[32], ns2[32], port[16], bytes[32];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_ethdev *t1 = tap_attach(sw, if1, sizeof(if1));
	vnetif_ethdev *t2 = tap_attach(sw, if2, sizeof(if2));
	struct et_child *sink = calloc(1, sizeof(*sink)), *src = calloc(1, sizeof(*src));

	ck_assert(sink && src);
	snprintf(ns1, sizeof(ns1), "vnetif-t%d-1", (int)getpid());
	snprintf(ns2, sizeof(ns2), "vnetif-t%d-2", (int)getpid());
	netns_add(ns1, if1, NET_PREFIX "1");
	netns_add(ns2, if2, NET_PREFIX "3");
	snprintf(port, sizeof(port), "%d", TCP_PORT);
	snprintf(bytes, sizeof(bytes), "%u", TCP_BYTES);

	char *sink_argv[] = {ip_path, "netns", "exec", ns2, self_path, "--tcp-sink", port, bytes,
			     NULL};
	et_spawn(sink, sink_argv);
	ck_assert_msg(et_expect(sink, 0, "listening", 10000), "sink: %s", et_tail(sink, 1500));
	char *src_argv[] = {ip_path, "netns", "exec", ns1, self_path, "--tcp-source",
			    NET_PREFIX "3", port, bytes, NULL};
	uint64_t t0 = vt_now_ms();
	et_spawn(src, src_argv);
	int st_src = et_reap(src, 30000), st_sink = et_reap(sink, 30000);
	uint64_t ms = vt_now_ms() - t0;

	ck_assert_msg(WIFEXITED(st_src) && WEXITSTATUS(st_src) == 0, "source: %s", et_tail(src, 1500));
	ck_assert_msg(WIFEXITED(st_sink) && WEXITSTATUS(st_sink) == 0, "sink: %s", et_tail(sink, 1500));
	ck_assert_msg(strstr(sink->log, "8388608 bytes verified") != NULL, "sink: %s", et_tail(sink, 1500));
	printf("tcp: %u bytes namespace -> tap -> switch -> tap -> namespace in %" PRIu64
	       " ms (%.1f MB/s)\n", TCP_BYTES, ms, ms ? TCP_BYTES / 1e3 / (double)ms : 0.0);
	ck_assert_uint_gt(et_stats(t1).to_switch, TCP_BYTES / 1500);
	ck_assert_uint_gt(et_stats(t2).from_switch, TCP_BYTES / 1500);
	free(sink);
	free(src);
	et_detach(t1);
	et_detach(t2);
	vt_teardown(sw);
}
END_TEST

#ifdef VNETIF_ETHDEV_TEST_LWIP
/* --- a namespace and an lwIP stack ------------------------------------------------ */

struct lwip_sink {
	vnetif_lwip_stack *s;
	int lfd;
	uint64_t want;
	uint64_t got;
	bool ok;
};

/* Accept one connection on the stack, read and verify @want bytes. */
static void *lwip_sink_main(void *arg)
{
	struct lwip_sink *k = arg;
	uint8_t buf[16384];
	int fd = vnetif_lwip_accept(k->s, k->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n = vnetif_lwip_recv(k->s, fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != tcp_pattern(k->got + (uint64_t)i))
				goto out;
		k->got += (uint64_t)n;
	}
	k->ok = k->got == k->want;
out:
	vnetif_lwip_close(k->s, fd);
	return NULL;
}

START_TEST(test_namespace_and_lwip)
{
	char ifname[16], ns[32], port[16], bytes[32];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_ethdev *tap = tap_attach(sw, ifname, sizeof(ifname));
	struct vnetif_lwip_config lc;
	vnetif_lwip_stack *st = NULL;
	struct et_child *c = calloc(1, sizeof(*c));
	struct timeval tv = {.tv_sec = 20};
	const unsigned nbytes = 4u << 20;

	ck_assert_ptr_nonnull(c);
	vnetif_lwip_config_init(&lc);
	lc.ipv4 = RESPONDER_IP;
	lc.netmask = "255.255.255.0";
	lc.tso = VNETIF_LWIP_TSO_OFF;
	if (_i == 1) { /* TSO: the switch cuts the stack's 8960-byte segments for the tap */
		lc.build = VNETIF_LWIP_BUILD_TUNED;
		lc.tso = VNETIF_LWIP_TSO_ON;
	}
	int rc = vnetif_lwip_create(sw, &lc, &st);
	if (_i == 1 && rc == -ELIBACC) {
		printf("test_namespace_and_lwip: no tuned lwIP in this build, TSO not tried\n");
		et_detach(tap);
		vt_teardown(sw);
		free(c);
		return;
	}
	ck_assert_int_eq(rc, 0);
	snprintf(ns, sizeof(ns), "vnetif-t%d-l", (int)getpid());
	netns_add(ns, ifname, NET_PREFIX "1");
	snprintf(bytes, sizeof(bytes), "%u", nbytes);

	/* ping the stack */
	char *ping_argv[] = {ip_path, "netns", "exec", ns, ping_path, "-c", "3", "-i", "0.2",
			     "-W", "2", RESPONDER_IP, NULL};
	et_spawn(c, ping_argv);
	int status = et_reap(c, 15000);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "ping lwIP: %s",
		      et_tail(c, 1500));

	/* namespace -> lwIP: the stack verifies */
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
	struct lwip_sink k = {.s = st, .want = nbytes};
	pthread_t t;
	k.lfd = vnetif_lwip_socket(st, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(k.lfd, 0);
	ck_assert_int_eq(vnetif_lwip_setsockopt(st, k.lfd, SOL_SOCKET, SO_RCVTIMEO, &tv,
						sizeof(tv)), 0);
	ck_assert_int_eq(vnetif_lwip_bind(st, k.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(st, k.lfd, 1), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, lwip_sink_main, &k), 0);
	snprintf(port, sizeof(port), "%d", TCP_PORT);
	char *src_argv[] = {ip_path, "netns", "exec", ns, self_path, "--tcp-source", RESPONDER_IP,
			    port, bytes, NULL};
	uint64_t t0 = vt_now_ms();
	et_spawn(c, src_argv);
	status = et_reap(c, 30000);
	pthread_join(t, NULL);
	uint64_t ms1 = vt_now_ms() - t0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "source: %s", et_tail(c, 1500));
	ck_assert_msg(k.ok, "lwIP received %" PRIu64 " of %u bytes, or wrong ones", k.got, nbytes);
	vnetif_lwip_close(st, k.lfd);

	/* lwIP -> namespace: the namespace verifies */
	snprintf(port, sizeof(port), "%d", TCP_PORT + 1);
	char *sink_argv[] = {ip_path, "netns", "exec", ns, self_path, "--tcp-sink", port, bytes,
			     NULL};
	et_spawn(c, sink_argv);
	ck_assert_msg(et_expect(c, 0, "listening", 10000), "sink: %s", et_tail(c, 1500));
	int fd = vnetif_lwip_socket(st, AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(TCP_PORT + 1);
	inet_pton(AF_INET, NET_PREFIX "1", &sa.sin_addr);
	t0 = vt_now_ms();
	ck_assert_int_eq(vnetif_lwip_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint8_t buf[16384];
	for (uint64_t off = 0; off < nbytes;) {
		size_t n = nbytes - off < sizeof(buf) ? (size_t)(nbytes - off) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = tcp_pattern(off + i);
		ssize_t w = vnetif_lwip_send(st, fd, buf, n, 0);
		ck_assert_msg(w > 0, "lwIP send: %s", strerror(errno));
		off += (uint64_t)w;
	}
	ck_assert_int_eq(vnetif_lwip_close(st, fd), 0);
	status = et_reap(c, 30000);
	uint64_t ms2 = vt_now_ms() - t0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		      strstr(c->log, "4194304 bytes verified"), "sink: %s", et_tail(c, 1500));
	printf("tcp%s: %u bytes namespace -> lwIP in %" PRIu64 " ms, lwIP -> namespace in %" PRIu64
	       " ms\n", _i == 1 ? " (TSO)" : "", nbytes, ms1, ms2);
	if (_i == 1) { /* Linux verified every byte of segments the switch cut */
		struct vnetif_stats ss, ts;

		ck_assert_int_eq(vnetif_stats_get(vnetif_lwip_port(st), &ss), 0);
		ck_assert_int_eq(vnetif_stats_get(vnetif_ethdev_port(tap), &ts), 0);
		ck_assert_uint_gt(ss.tx_tso, 0);
		ck_assert_uint_gt(ts.rx_segmented, 0);
		ck_assert_uint_eq(ts.rx_drop_segment, 0);
	}

	ck_assert_int_eq(vnetif_lwip_destroy(st), 0);
	et_detach(tap);
	vt_teardown(sw);
	free(c);
}
END_TEST

/* vnetif-switch with a tap port moved into a namespace: traffic flows (the namespace
 * pings an lwIP stack on the switch) and the counter line says "netns" for the link,
 * not "down" (DPDK cannot read the state of an interface in another namespace). */
START_TEST(test_switch_tap_in_namespace)
{
	char ifname[16], ns[32], stack[32];
	struct et_child *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	snprintf(ifname, sizeof(ifname), "vns%d", (int)getpid() % 100000);
	snprintf(ns, sizeof(ns), "vnetif-sw-%d", (int)getpid());
	snprintf(stack, sizeof(stack), "%s3/24", NET_PREFIX);
	char *argv[] = {VNETIF_SWITCH_BIN, "--tap", ifname, "--stack", stack, "--interval",
			"0.2", NULL};
	et_spawn(c, argv);
	ck_assert_msg(et_expect(c, 0, "switching", 20000), "%s", et_tail(c, 1500));
	netns_add(ns, ifname, NET_PREFIX "1");
	ck_assert_int_eq(et_sh("%s netns exec %s %s -c 2 -i 0.2 -W 2 %s3 >/dev/null", ip_path, ns,
			    ping_path, NET_PREFIX), 0);
	size_t from = et_pos(c);
	char want[64];
	snprintf(want, sizeof(want), "%s ", ifname);
	ck_assert_msg(et_expect(c, from, "netns in ", 5000), "%s", et_tail(c, 1500));
	ck_assert_msg(strstr(et_since(c, from), " down ") == NULL, "%s", et_since(c, from));
	kill(c->pid, SIGTERM);
	int st = et_reap(c, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	free(c);
}
END_TEST
#endif

Suite *netns_suite(void)
{
	Suite *s = suite_create("ethdev_netns");
	TCase *tc = tcase_create("tap");

	tcase_add_checked_fixture(tc, NULL, netns_cleanup);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ping_from_namespace);
	tcase_add_test(tc, test_tcp_between_namespaces);
#ifdef VNETIF_ETHDEV_TEST_LWIP
	tcase_add_loop_test(tc, test_namespace_and_lwip, 0, 2); /* 1: TSO */
	tcase_add_test(tc, test_switch_tap_in_namespace);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--tcp-sink") == 0)
		return tcp_sink((unsigned)atoi(argv[2]), strtoull(argv[3], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "--tcp-source") == 0)
		return tcp_source(argv[2], (unsigned)atoi(argv[3]), strtoull(argv[4], NULL, 10));
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("SKIP: needs root and /dev/net/tun (network namespaces, tap)\n");
		return ET_SKIP;
	}
	if (!et_which("ip", ip_path, sizeof(ip_path)) ||
	    !et_which("ping", ping_path, sizeof(ping_path))) {
		printf("SKIP: needs ip (package iproute2) and ping (package iputils-ping)\n");
		return ET_SKIP;
	}
	if (!realpath("/proc/self/exe", self_path))
		return 1;
	return vt_run(netns_suite());
}
