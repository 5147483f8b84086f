/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * disconnect-bench: how long vnetif_disconnect() takes for a port that learned N MACs
 * (it must forget every one of them), against a baseline measured in the same run:
 * deleting N keys from a bare rte_hash of the same kind and size. The cost per MAC
 * should stay flat as N grows (linear work); it was quadratic once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "bench_clock.h"
#include "vnetif.h"

static void mac_of(unsigned i, uint8_t *mac)
{
	const uint8_t m[6] = {0x02, 0xcc, (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
			      (uint8_t)i};

	memcpy(mac, m, 6);
}

/* Seconds for vnetif_disconnect() of a port that learned @n MACs; < 0 on failure. */
static double time_disconnect(unsigned n)
{
	struct vnetif_switch_config c;
	struct vnetif_switch_stats st;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	struct rte_mempool *mp;
	uint8_t ma[6];
	double t0, t;

	vnetif_switch_config_init(&c);
	c.fdb_size = 2 * n;
	c.pool_size = 1023;
	if (vnetif_switch_create(&c, &sw) != 0 || vnetif_connect(sw, NULL, &a) != 0 ||
	    vnetif_connect(sw, NULL, &b) != 0)
		return -1;
	vnetif_mac(a, ma);
	mp = vnetif_switch_pool(sw);
	for (unsigned i = 0; i < n; i += 32) { /* to a's own MAC: learned, then dropped */
		struct rte_mbuf *pkts[32];
		unsigned k;

		for (k = 0; k < 32 && i + k < n; k++) {
			uint8_t *d;

			pkts[k] = rte_pktmbuf_alloc(mp);
			if (pkts[k] == NULL)
				return -1;
			d = (uint8_t *)rte_pktmbuf_append(pkts[k], 60);
			memset(d, 0, 60);
			memcpy(d, ma, 6);
			mac_of(i + k, d + 6);
		}
		vnetif_tx_burst(a, pkts, (uint16_t)k);
	}
	vnetif_switch_stats_get(sw, &st);
	if (st.fdb_entries != n + 2) {
		fprintf(stderr, "disconnect-bench: %u MACs learned of %u\n", st.fdb_entries - 2, n);
		return -1;
	}
	t0 = bench_now_s();
	if (vnetif_disconnect(a, 0) != 0)
		return -1;
	t = bench_now_s() - t0;
	vnetif_switch_stats_get(sw, &st);
	if (st.fdb_entries != 1) {
		fprintf(stderr, "disconnect-bench: %u MACs left after disconnect\n", st.fdb_entries);
		return -1;
	}
	return vnetif_switch_destroy(sw) == 0 ? t : -1;
}

/* Seconds to delete @n keys from a bare rte_hash like the switch's; < 0 on failure. */
static double time_hash_delete(unsigned n)
{
	struct rte_hash_parameters hp = {
		.name = "dbench_h", .entries = 2 * n, .key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc, .socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash *h = rte_hash_create(&hp);
	double t0, t;

	if (h == NULL)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		uint64_t k = 0;

		mac_of(i, (uint8_t *)&k);
		rte_hash_add_key_data(h, &k, (void *)(uintptr_t)1);
	}
	t0 = bench_now_s();
	for (unsigned i = 0; i < n; i++) {
		uint64_t k = 0;

		mac_of(i, (uint8_t *)&k);
		rte_hash_del_key(h, &k);
	}
	t = bench_now_s() - t0;
	rte_hash_free(h);
	return t;
}

int main(int argc, char **argv)
{
	unsigned macs[16] = {4096, 16384, 65536, 262144}, nmacs = 4;
	char *s, *end;
	int opt;

	while ((opt = getopt(argc, argv, "m:h")) != -1) {
		if (opt != 'm') {
			fprintf(stderr, "usage: disconnect-bench [-m 4096,16384,65536,262144]\n"
					"Prints a human line and a JSON line per MAC count.\n");
			return opt == 'h' ? 0 : 2;
		}
		nmacs = 0;
		for (s = optarg; *s && nmacs < 16; s = *end ? end + 1 : end) {
			unsigned long v = strtoul(s, &end, 10);

			if (end == s || v < 64 || v > (1u << 22)) {
				fprintf(stderr, "disconnect-bench: MAC counts must be 64..4194304\n");
				return 2;
			}
			macs[nmacs++] = (unsigned)v;
		}
	}
	for (unsigned i = 0; i < nmacs; i++) {
		unsigned n = macs[i];
		double t = time_disconnect(n), base = time_hash_delete(n);

		if (t < 0 || base < 0) {
			fprintf(stderr, "disconnect-bench: run with %u MACs failed\n", n);
			return 1;
		}
		printf("disconnect macs=%-8u %9.2f ms %7.1f ns/MAC | hash delete %7.1f ns/MAC (x%.2f)\n",
		       n, t * 1e3, t * 1e9 / n, base * 1e9 / n, t / base);
		printf("{\"bench\":\"disconnect\",\"macs\":%u,\"seconds\":%.6f,\"ns_per_mac\":%.1f,"
		       "\"baseline_ns_per_mac\":%.1f,\"ratio_baseline\":%.3f}\n",
		       n, t, t * 1e9 / n, base * 1e9 / n, t / base);
	}
	return 0;
}
