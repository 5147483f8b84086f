/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * latency: ping-pong round trips between two ports of a switch, and a TCP
 * request/response rate between two lwIP stacks, each next to a baseline from the same
 * run.
 *   frames, sync     one vnetif_tx_burst() carries the ping and, from the peer's listener,
 *                    the pong: the call's duration is the round trip. Baseline: the same
 *                    two hand-offs through bare rte_rings in one thread.
 *   frames, async    a second thread busy-polls the peer port with rx_burst and bounces
 *                    each frame. Baseline: the same over two bare rte_rings.
 *   frames, readers  async with reader threads and listeners: includes the futex wake-up.
 *   tcp rr           64-byte request, 64-byte response over one connection, through the
 *                    switch and over a direct wire (no switch).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench_clock.h"
#include "vnetif.h"
#ifdef HAVE_VNETIF_LWIP
#include "vnetif_lwip.h"
#endif

struct pct {
	double p50, p99, p999;
};

static struct pct percentiles(uint64_t *ns, size_t n)
{
	qsort(ns, n, sizeof(*ns), bench_cmp_u64);
	return (struct pct){ns[n / 2] / 1e3, ns[n * 99 / 100] / 1e3, ns[n * 999 / 1000] / 1e3};
}

static void report(const char *what, struct pct sw, struct pct base, const char *base_name)
{
	printf("%-16s p50 %7.2f us  p99 %7.2f us  p99.9 %7.2f us  | %s p50 %6.2f us (x%.2f)\n", what,
	       sw.p50, sw.p99, sw.p999, base_name, base.p50, sw.p50 / base.p50);
	printf("{\"bench\":\"latency\",\"case\":\"%s\",\"p50_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,"
	       "\"baseline\":\"%s\",\"baseline_p50_us\":%.3f,\"baseline_p99_us\":%.3f,\"ratio_p50\":%.3f}\n",
	       what, sw.p50, sw.p99, sw.p999, base_name, base.p50, base.p99, sw.p50 / base.p50);
	fflush(stdout);
}

/* ---- frames -------------------------------------------------------------------------- */

struct pingpong {
	vnetif_switch *sw;
	vnetif_port *a, *b;
	uint8_t mac_a[6], mac_b[6];
	struct rte_mbuf *back;       /* the pong, as received on a */
	_Atomic bool stop;
	struct rte_ring *r_ab, *r_ba; /* baseline */
};

static void set_dst(struct rte_mbuf *m, const uint8_t *dst, const uint8_t *src)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(d, dst, 6);
	memcpy(d + 6, src, 6);
}

/* b's listener: turn the frame around (sync: delivered when the listener returns). */
static void bounce(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct pingpong *pp = arg;

	for (uint16_t i = 0; i < n; i++)
		set_dst(pkts[i], pp->mac_a, pp->mac_b);
	vnetif_tx_burst(port, pkts, n);
}

static void catch_pong(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	struct pingpong *pp = arg;

	(void)port;
	for (uint16_t i = 0; i < n; i++)
		atomic_store_explicit((_Atomic(struct rte_mbuf *) *)&pp->back, pkts[i], memory_order_release);
}

static int pp_open(struct pingpong *pp, bool async, struct rte_mbuf **m)
{
	struct vnetif_switch_config c;

	memset(pp, 0, sizeof(*pp));
	vnetif_switch_config_init(&c);
	c.async_readers = async;
	if (vnetif_switch_create(&c, &pp->sw) < 0 || vnetif_connect(pp->sw, NULL, &pp->a) < 0 ||
	    vnetif_connect(pp->sw, NULL, &pp->b) < 0)
		return -1;
	vnetif_mac(pp->a, pp->mac_a);
	vnetif_mac(pp->b, pp->mac_b);
	*m = rte_pktmbuf_alloc(vnetif_switch_pool(pp->sw));
	if (*m == NULL || rte_pktmbuf_append(*m, 64) == NULL)
		return -1;
	memset(rte_pktmbuf_mtod(*m, void *), 0, 64);
	set_dst(*m, pp->mac_b, pp->mac_a);
	return 0;
}

static struct pct sync_switch(size_t n, uint64_t *ns)
{
	struct pingpong pp;
	struct rte_mbuf *m;

	if (pp_open(&pp, false, &m) < 0)
		exit(1);
	vnetif_listen_mbuf(pp.b, bounce, &pp);
	vnetif_listen_mbuf(pp.a, catch_pong, &pp);
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		pp.back = NULL;
		set_dst(m, pp.mac_b, pp.mac_a);
		vnetif_tx_burst(pp.a, &m, 1);
		ns[i] = bench_now_ns() - t0;
		if (pp.back == NULL) {
			fprintf(stderr, "latency: sync pong missing\n");
			exit(1);
		}
		m = pp.back;
	}
	rte_pktmbuf_free(m);
	vnetif_switch_destroy(pp.sw);
	return percentiles(ns, n);
}

static struct pct sync_ring(size_t n, uint64_t *ns)
{
	struct rte_ring *ab = rte_ring_create("lat_ab", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *ba = rte_ring_create("lat_ba", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	void *obj = &obj;

	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		rte_ring_enqueue(ab, obj);
		rte_ring_dequeue(ab, &obj);
		rte_ring_enqueue(ba, obj);
		rte_ring_dequeue(ba, &obj);
		ns[i] = bench_now_ns() - t0;
	}
	rte_ring_free(ab);
	rte_ring_free(ba);
	return percentiles(ns, n);
}

static void *echo_rx_burst(void *arg)
{
	struct pingpong *pp = arg;
	struct rte_mbuf *m;

	while (!atomic_load_explicit(&pp->stop, memory_order_relaxed)) {
		if (pp->r_ab) {
			void *obj;

			if (rte_ring_dequeue(pp->r_ab, &obj) == 0)
				rte_ring_enqueue(pp->r_ba, obj);
		} else if (vnetif_rx_burst(pp->b, &m, 1) == 1) {
			set_dst(m, pp->mac_a, pp->mac_b);
			vnetif_tx_burst(pp->b, &m, 1);
		}
	}
	return NULL;
}

/* Async round trips; @ring: the bare-ring baseline; @readers: listeners on reader threads. */
static struct pct async_case(size_t n, uint64_t *ns, bool ring, bool readers)
{
	struct pingpong pp;
	struct rte_mbuf *m;
	pthread_t echo;

	if (pp_open(&pp, true, &m) < 0)
		exit(1);
	if (ring) {
		pp.r_ab = rte_ring_create("lat_ab2", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		pp.r_ba = rte_ring_create("lat_ba2", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	}
	if (readers) {
		vnetif_listen_mbuf(pp.b, bounce, &pp);
		vnetif_listen_mbuf(pp.a, catch_pong, &pp);
		vnetif_reader_start(pp.a);
		vnetif_reader_start(pp.b);
	} else {
		pthread_create(&echo, NULL, echo_rx_burst, &pp);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();

		if (ring) {
			void *obj = m;

			rte_ring_enqueue(pp.r_ab, obj);
			while (rte_ring_dequeue(pp.r_ba, &obj) != 0)
				;
		} else if (readers) {
			pp.back = NULL;
			set_dst(m, pp.mac_b, pp.mac_a);
			vnetif_tx_burst(pp.a, &m, 1);
			while ((m = atomic_load_explicit((_Atomic(struct rte_mbuf *) *)&pp.back,
							 memory_order_acquire)) == NULL)
				;
		} else {
			set_dst(m, pp.mac_b, pp.mac_a);
			vnetif_tx_burst(pp.a, &m, 1);
			while (vnetif_rx_burst(pp.a, &m, 1) != 1)
				;
		}
		ns[i] = bench_now_ns() - t0;
	}
	atomic_store(&pp.stop, true);
	if (readers) {
		vnetif_reader_stop(pp.a);
		vnetif_reader_stop(pp.b);
	} else {
		pthread_join(echo, NULL);
	}
	rte_pktmbuf_free(m);
	rte_ring_free(pp.r_ab);
	rte_ring_free(pp.r_ba);
	vnetif_switch_destroy(pp.sw);
	return percentiles(ns, n);
}

/* ---- TCP request/response ---------------------------------------------------------- */

#ifdef HAVE_VNETIF_LWIP
struct rr {
	vnetif_lwip_stack *srv, *cli;
	int lfd, sfd, cfd;
};

static int rr_exact(vnetif_lwip_stack *s, int fd, void *buf, size_t n, bool send)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = send ? vnetif_lwip_send(s, fd, (char *)buf + done, n - done, 0)
				 : vnetif_lwip_recv(s, fd, (char *)buf + done, n - done, 0);
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static void *rr_server(void *arg)
{
	struct rr *r = arg;
	char buf[64];

	while (rr_exact(r->srv, r->sfd, buf, sizeof(buf), false) == 0)
		if (rr_exact(r->srv, r->sfd, buf, sizeof(buf), true) < 0)
			break;
	return NULL;
}

/* Transactions per second over @seconds; 0 on setup failure. */
static double tcp_rr(vnetif_switch *sw, bool async, double seconds)
{
	struct vnetif_lwip_config a, b;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7),
				 .sin_addr.s_addr = htonl(0x0a000001)};
	struct rr r = {0};
	pthread_t t;
	char buf[64] = "request";
	uint64_t n = 0, t0, end;
	int one = 1, rc;

	vnetif_lwip_config_init(&a);
	vnetif_lwip_config_init(&b);
	a.ipv4 = "10.0.0.1";
	b.ipv4 = "10.0.0.2";
	a.netmask = b.netmask = "255.255.255.0";
	if (sw)
		rc = vnetif_lwip_create(sw, &a, &r.srv) ?: vnetif_lwip_create(sw, &b, &r.cli);
	else
		rc = vnetif_lwip_create_wired(&a, &b, async ? VNETIF_LWIP_WIRE_THREAD : VNETIF_LWIP_WIRE_MAILBOX,
					      &r.srv, &r.cli);
	if (rc < 0)
		return 0;
	r.lfd = vnetif_lwip_socket(r.srv, AF_INET, SOCK_STREAM, 0);
	vnetif_lwip_bind(r.srv, r.lfd, (struct sockaddr *)&sa, sizeof(sa));
	vnetif_lwip_listen(r.srv, r.lfd, 1);
	r.cfd = vnetif_lwip_socket(r.cli, AF_INET, SOCK_STREAM, 0);
	if (vnetif_lwip_connect(r.cli, r.cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	r.sfd = vnetif_lwip_accept(r.srv, r.lfd, NULL, NULL);
	vnetif_lwip_setsockopt(r.cli, r.cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	vnetif_lwip_setsockopt(r.srv, r.sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	pthread_create(&t, NULL, rr_server, &r);
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	while (bench_now_ns() < end) {
		if (rr_exact(r.cli, r.cfd, buf, sizeof(buf), true) < 0 ||
		    rr_exact(r.cli, r.cfd, buf, sizeof(buf), false) < 0)
			break;
		n++;
	}
	double rate = (double)n / ((double)(bench_now_ns() - t0) / 1e9);
	vnetif_lwip_close(r.cli, r.cfd);
	pthread_join(t, NULL);
	vnetif_lwip_destroy(r.cli);
	vnetif_lwip_destroy(r.srv);
	return rate;
}

static void tcp_rr_case(bool async, double seconds)
{
	struct vnetif_switch_config c;
	vnetif_switch *sw;

	vnetif_switch_config_init(&c);
	c.async_readers = async;
	if (vnetif_switch_create(&c, &sw) < 0)
		exit(1);
	double via = tcp_rr(sw, async, seconds);
	vnetif_switch_destroy(sw);
	double direct = tcp_rr(NULL, async, seconds);
	const char *mode = async ? "async" : "sync";

	printf("tcp-rr %-9s %9.0f trans/s (%.1f us each)  | direct wire %9.0f trans/s (x%.2f)\n", mode,
	       via, 1e6 / via, direct, via / direct);
	printf("{\"bench\":\"latency\",\"case\":\"tcp-rr-%s\",\"trans_per_s\":%.1f,"
	       "\"direct_trans_per_s\":%.1f,\"ratio\":%.3f}\n", mode, via, direct, via / direct);
	fflush(stdout);
}
#endif

int main(int argc, char **argv)
{
	size_t n = 100000;
	double seconds = 1.0;
	bool rr_only = false;
	int c;

	while ((c = getopt(argc, argv, "n:t:rh")) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 't': seconds = atof(optarg); break;
		case 'r': rr_only = true; break;
		default:
			fprintf(stderr, "usage: latency [-n ROUND_TRIPS] [-t TCP_RR_SECONDS] [-r]\n"
					"  -r  only the tcp-rr cases\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (n < 1000 || seconds <= 0) {
		fprintf(stderr, "latency: -n must be >= 1000 and -t > 0\n");
		return 2;
	}
	uint64_t *ns = malloc(n * sizeof(*ns)), *bs = malloc(n * sizeof(*bs));
	if (ns == NULL || bs == NULL)
		return 1;

	struct vnetif_switch_config cfg;
	vnetif_switch *boot;
	vnetif_switch_config_init(&cfg);
	if (vnetif_switch_create(&cfg, &boot) < 0) /* start EAL before the baselines */
		return 1;
	vnetif_switch_destroy(boot);

	if (!rr_only) {
		report("frames-sync", sync_switch(n, ns), sync_ring(n, bs), "ring");
		report("frames-async", async_case(n, ns, false, false),
		       async_case(n, bs, true, false), "ring");
		report("frames-readers", async_case(n / 10, ns, false, true),
		       async_case(n / 10, bs, true, false), "ring");
	}
#ifdef HAVE_VNETIF_LWIP
	tcp_rr_case(false, seconds);
	tcp_rr_case(true, seconds);
#endif
	free(ns);
	free(bs);
	return 0;
}
