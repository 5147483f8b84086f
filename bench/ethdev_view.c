/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ethdev-view: the in-process ethdev view (vnetif_ethdev_view_create()) against a plain
 * port, in the same run. One thread, a sync switch with two ports A and B; a round sends
 * a burst A -> B and back B -> A, reusing the same mbufs (B swaps the MACs):
 *   plain   A is a plain port: vnetif_tx_burst() / vnetif_rx_burst()
 *   view    A is the view:     rte_eth_tx_burst() / rte_eth_rx_burst() on its port id
 * Throughput: frames moved per second (both directions) with bursts of --burst.
 * Latency: the time of one round of one frame (p50, p99), i.e. two switch crossings.
 * Frames are checked on arrival (verified).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "bench_clock.h"
#include "vnetif.h"
#include "vnetif_ethdev.h"

#define MAX_BURST 256
#define LAT_ROUNDS 20000

struct side {
	vnetif_port *port; /* plain port (A or B) */
	int view;          /* the view's port id, or -1 */
};

static unsigned side_tx(const struct side *s, struct rte_mbuf **m, unsigned n)
{
	if (s->view >= 0)
		return rte_eth_tx_burst((uint16_t)s->view, 0, m, (uint16_t)n);
	return (unsigned)vnetif_tx_burst(s->port, m, (uint16_t)n);
}

static unsigned side_rx(const struct side *s, struct rte_mbuf **m, unsigned n)
{
	if (s->view >= 0)
		return rte_eth_rx_burst((uint16_t)s->view, 0, m, (uint16_t)n);
	int k = vnetif_rx_burst(s->port, m, (uint16_t)n);
	return k > 0 ? (unsigned)k : 0;
}

/* One round of @n frames A -> B -> A; false if a frame went missing or changed. */
static bool round_trip(const struct side *a, const struct side *b, struct rte_mbuf **m,
		       unsigned n, const uint8_t *amac, const uint8_t *bmac)
{
	if (side_tx(a, m, n) != n || side_rx(b, m, n) != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *eth = rte_pktmbuf_mtod(m[i], uint8_t *);

		if (memcmp(eth, bmac, 6) != 0)
			return false;
		memcpy(eth, amac, 6);
		memcpy(eth + 6, bmac, 6);
	}
	if (side_tx(b, m, n) != n || side_rx(a, m, n) != n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *eth = rte_pktmbuf_mtod(m[i], uint8_t *);

		if (memcmp(eth, amac, 6) != 0)
			return false;
		memcpy(eth, bmac, 6);
		memcpy(eth + 6, amac, 6);
	}
	return true;
}

struct result {
	double mpps, p50_ns, p99_ns;
	bool ok;
};

static struct result measure(const struct side *a, const struct side *b, struct rte_mempool *mp,
			     const uint8_t *amac, const uint8_t *bmac, unsigned burst,
			     double seconds)
{
	struct rte_mbuf *m[MAX_BURST];
	uint64_t *lat = malloc(LAT_ROUNDS * sizeof(*lat)), frames = 0, t0, end;
	struct result r = {.ok = lat != NULL && rte_pktmbuf_alloc_bulk(mp, m, burst) == 0};

	if (!r.ok) {
		free(lat);
		return r;
	}
	for (unsigned i = 0; i < burst; i++) {
		uint8_t *eth = (uint8_t *)rte_pktmbuf_append(m[i], 64);

		if (!eth) {
			r.ok = false;
			break;
		}
		memset(eth, 0, 64);
		memcpy(eth, bmac, 6);
		memcpy(eth + 6, amac, 6);
		eth[12] = 0x88;
		eth[13] = 0xb5;
	}
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	while (r.ok && bench_now_ns() < end) {
		for (int k = 0; k < 64 && r.ok; k++) {
			r.ok = round_trip(a, b, m, burst, amac, bmac);
			frames += 2u * burst;
		}
	}
	r.mpps = frames / ((bench_now_ns() - t0) / 1e3);
	for (unsigned i = 0; i < LAT_ROUNDS && r.ok; i++) {
		uint64_t s = bench_now_ns();

		r.ok = round_trip(a, b, m, 1, amac, bmac);
		lat[i] = bench_now_ns() - s;
	}
	if (r.ok) {
		qsort(lat, LAT_ROUNDS, sizeof(*lat), bench_cmp_u64);
		r.p50_ns = (double)lat[LAT_ROUNDS / 2];
		r.p99_ns = (double)lat[LAT_ROUNDS * 99 / 100];
	}
	rte_pktmbuf_free_bulk(m, burst);
	free(lat);
	return r;
}

int main(int argc, char **argv)
{
	double seconds = 1;
	unsigned burst = 32;
	int c;

	while ((c = getopt(argc, argv, "t:b:h")) != -1) {
		if (c == 't')
			seconds = atof(optarg);
		else if (c == 'b')
			burst = (unsigned)atoi(optarg);
		else {
			fprintf(stderr, "usage: ethdev-view [-t SECONDS] [-b BURST 1..%d]\n",
				MAX_BURST);
			return c == 'h' ? 0 : 2;
		}
	}
	if (seconds <= 0 || burst < 1 || burst > MAX_BURST) {
		fprintf(stderr, "ethdev-view: bad -t or -b\n");
		return 2;
	}

	struct vnetif_switch_config swc;
	vnetif_switch *sw;
	vnetif_port *pa, *pb;
	vnetif_ethdev *e;
	struct rte_eth_conf conf;
	uint8_t amac[6], bmac[6], vmac[6];
	int rc;

	vnetif_switch_config_init(&swc);
	rc = vnetif_switch_create(&swc, &sw);

	if (rc == 0)
		rc = vnetif_connect(sw, NULL, &pa);
	if (rc == 0)
		rc = vnetif_connect(sw, NULL, &pb);
	if (rc == 0)
		rc = vnetif_ethdev_view_create(sw, "bench", NULL, &e);
	if (rc) {
		fprintf(stderr, "ethdev-view: setup: %s %s\n", vnetif_strerror(rc),
			vnetif_ethdev_last_error());
		return 1;
	}
	uint16_t vp = (uint16_t)vnetif_ethdev_view_port_id(e);
	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(vp, 1, 1, &conf) ||
	    rte_eth_rx_queue_setup(vp, 0, 512, SOCKET_ID_ANY, NULL, vnetif_switch_pool(sw)) ||
	    rte_eth_tx_queue_setup(vp, 0, 512, SOCKET_ID_ANY, NULL) || rte_eth_dev_start(vp)) {
		fprintf(stderr, "ethdev-view: cannot start the view\n");
		return 1;
	}
	vnetif_mac(pa, amac);
	vnetif_mac(pb, bmac);
	vnetif_mac(vnetif_ethdev_port(e), vmac);

	struct side a = {pa, -1}, v = {NULL, vp}, b = {pb, -1};
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	struct result plain = measure(&a, &b, mp, amac, bmac, burst, seconds);
	struct result view = measure(&v, &b, mp, vmac, bmac, burst, seconds);
	bool ok = plain.ok && view.ok;

	printf("ethdev-view burst=%-3u  view %6.2f Mpps  rtt p50 %5.0f ns p99 %6.0f ns | "
	       "plain port %6.2f Mpps  rtt p50 %5.0f ns p99 %6.0f ns | ratio %.2f%s\n",
	       burst, view.mpps, view.p50_ns, view.p99_ns, plain.mpps, plain.p50_ns,
	       plain.p99_ns, plain.mpps > 0 ? view.mpps / plain.mpps : 0,
	       ok ? "" : "  FRAMES LOST OR CHANGED");
	printf("{\"bench\":\"ethdev_view\",\"burst\":%u,\"view_mpps\":%.3f,\"view_rtt_p50_ns\":%.0f,"
	       "\"view_rtt_p99_ns\":%.0f,\"plain_mpps\":%.3f,\"plain_rtt_p50_ns\":%.0f,"
	       "\"plain_rtt_p99_ns\":%.0f,\"ratio\":%.3f,\"verified\":%s}\n",
	       burst, view.mpps, view.p50_ns, view.p99_ns, plain.mpps, plain.p50_ns, plain.p99_ns,
	       plain.mpps > 0 ? view.mpps / plain.mpps : 0, ok ? "true" : "false");
	rte_eth_dev_stop(vp);
	if (vnetif_ethdev_detach(e) || vnetif_switch_destroy(sw)) {
		fprintf(stderr, "ethdev-view: teardown failed (mbufs not returned?)\n");
		return 1;
	}
	return ok ? 0 : 1;
}
