/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * switch-bench: frames port to port through a libvnetif switch with the zero-copy burst
 * API, against two baselines measured in the same run:
 *   ring    bare single-producer/single-consumer rte_ring hand-off of the same mbufs,
 *           by threads with mbuf caches (the ceiling issue 12 names);
 *   minsw   the least any learning switch must do: ring hand-off + reading each frame's
 *           Ethernet header (its key built as the library does: a 4- and a 2-byte
 *           load) + a bulk rte_hash lookup of the destination;
 *   nocache the switch again, its threads without mbuf caches (not registered with
 *           vnetif_thread_register()): what the caches bring;
 *   ringnc  the ring again, its threads without mbuf caches: nocache's like-for-like
 *           baseline. With the LIFO pool it is often the faster of the two rings, so the
 *           report also gives the best switch figure against the best ring figure.
 * Results are ratios (switch / baseline) because these machines are shared and noisy.
 * --rounds N measures the five N times, interleaved (the first of a round rotates), and
 * reports medians: of each figure, and of each round's ratios.
 *
 * Every run happens in threads of its own, registered (mbuf caches) except for nocache
 * and ringnc.
 * One thread: the thread sends a burst on port i and receives it on port i+1, round the
 * ports. Two threads: one sends (allocating fresh mbufs), one receives and frees.
 * Placement: "pinned" runs the threads on the CPUs of --cpus (two threads on two
 * different CPUs), "unpinned" leaves them to the scheduler (where a loaded machine
 * shows whether throughput collapses); --placement both runs each point both ways.
 * Both threads yield the CPU when their ring is empty (receiver) or full (sender), as a
 * program sharing CPUs should: spinning there only delays the other thread.
 * Hub mode delivers each frame to every other port; Mpps counts delivered frames.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench_clock.h"
#include "bench_pool.h"
#include "vnetif.h"

#define MAX_BURST 256
#define MAX_PORTS 256
#define MAX_ROUNDS 15
_Static_assert(MAX_ROUNDS <= BENCH_MEDIAN_MAX, "bench_median() takes every round");

enum variant { V_SWITCH, V_RING, V_MINSW };

/* Where the measuring threads run, and whether they have mbuf caches. */
struct place {
	int pinned;
	int cpu[2]; /* pinned: sender (and one-thread runs), receiver */
	int cache;
};

struct opts {
	double seconds;
	int sizes[16], nsizes;
	int bursts[16], nbursts;
	int ports[16], nports;
	int threads[4], nthreads;
	int hub, learning;
	int rounds;
};

/* --pool: the order of the switch's own pool, which the baselines share */
static enum vnetif_pool_order pool_order = VNETIF_POOL_LIFO;

/* One measured setup: a switch with ports, or the baselines' rings and hash. */
struct rig {
	enum variant v;
	int nports, size, burst;
	vnetif_switch *sw;
	vnetif_port *port[MAX_PORTS];
	struct rte_ring *ring[MAX_PORTS];
	struct rte_hash *hash;
	uint8_t mac[MAX_PORTS][6];
	struct rte_mempool *pool;
};

static int parse_list(const char *s, int *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		out[n++] = (int)strtol(s, &end, 10);
		if (end == s || out[n - 1] <= 0)
			return -1;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

static void fill_frame(struct rte_mbuf *m, const uint8_t *dst, const uint8_t *src, int size)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	m->data_len = (uint16_t)size;
	m->pkt_len = (uint32_t)size;
	memcpy(d, dst, 6);
	memcpy(d + 6, src, 6);
	d[12] = 0x08;
	d[13] = 0x00;
}

/* --impair SPEC: every switch port gets it on what it receives ("off": a stage that is
 * configured but idle, to show it costs nothing). */
static const char *impair_spec;
static struct vnetif_impair impair_cfg;

static int rig_open(struct rig *r, enum variant v, int hub, int nports, int size, int burst)
{
	struct vnetif_switch_config c;
	char name[32];

	memset(r, 0, sizeof(*r));
	r->v = v;
	r->nports = nports;
	r->size = size;
	r->burst = burst;
	vnetif_switch_config_init(&c);
	c.fwd_mode = hub ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
	c.ring_size = 4096;
	c.pool_size = 32767;
	c.pool_order = pool_order;
	/* a full ring makes the sender wait (yielding) as the ring baseline's sender does,
	 * rather than drop: a sender that spins dropping starves a receiver on its CPU */
	c.full_policy = VNETIF_FULL_BACKPRESSURE;
	if (nports > (int)c.max_ports)
		c.max_ports = (unsigned)nports;
	if (vnetif_switch_create(&c, &r->sw) != 0)
		return -1;
	r->pool = vnetif_switch_pool(r->sw);
	for (int i = 0; i < nports; i++) {
		if (vnetif_connect(r->sw, NULL, &r->port[i]) != 0)
			return -1;
		vnetif_mac(r->port[i], r->mac[i]);
		if (impair_spec && vnetif_impair_set(r->port[i], VNETIF_DIR_RX, &impair_cfg) != 0)
			return -1;
	}
	if (v == V_SWITCH)
		return 0;
	for (int i = 0; i < nports; i++) {
		snprintf(name, sizeof(name), "bench_r%d", i);
		r->ring[i] = rte_ring_create(name, 4096, (int)rte_socket_id(),
					     RING_F_EXACT_SZ | RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r->ring[i] == NULL)
			return -1;
	}
	if (v == V_MINSW) {
		struct rte_hash_parameters hp = {
			.name = "bench_fdb", .entries = 4096, .key_len = sizeof(uint64_t),
			.hash_func = rte_hash_crc, .socket_id = (int)rte_socket_id(),
			.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
		};
		r->hash = rte_hash_create(&hp);
		if (r->hash == NULL)
			return -1;
		for (int i = 0; i < nports; i++) {
			uint64_t k = 0;

			memcpy(&k, r->mac[i], 6); /* = mac_key() of the MAC on little-endian x86 */
			rte_hash_add_key_data(r->hash, &k, (void *)(uintptr_t)i);
		}
	}
	return 0;
}

static void rig_close(struct rig *r)
{
	for (int i = 0; i < r->nports; i++) {
		struct rte_mbuf *m[64];
		unsigned n;

		if (r->ring[i]) {
			while ((n = rte_ring_dequeue_burst(r->ring[i], (void **)m, 64, NULL)) > 0)
				rte_pktmbuf_free_bulk(m, n);
			rte_ring_free(r->ring[i]);
		}
	}
	rte_hash_free(r->hash);
	if (vnetif_switch_destroy(r->sw) != 0)
		fprintf(stderr, "switch-bench: switch teardown failed (mbufs not returned?)\n");
}

/* The library's key of a MAC (fwd_learning.c): a 4- and a 2-byte load. */
static inline uint64_t mac_key(const uint8_t *mac)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, mac, 4);
	memcpy(&hi, mac + 4, 2);
	return (uint64_t)lo | (uint64_t)hi << 32; /* little-endian x86, as the library */
}

/* minsw: what a learning switch must do at least — read the header, look up the
 * destination in bulk, hand the frames to that port's ring. */
static unsigned minsw_send(struct rig *r, struct rte_mbuf **m, unsigned n)
{
	unsigned sent = 0;

	for (unsigned off = 0; off < n; off += RTE_HASH_LOOKUP_BULK_MAX) {
		unsigned cnt = RTE_MIN(n - off, (unsigned)RTE_HASH_LOOKUP_BULK_MAX);
		uint64_t keys[RTE_HASH_LOOKUP_BULK_MAX], hits = 0;
		const void *kp[RTE_HASH_LOOKUP_BULK_MAX];
		void *data[RTE_HASH_LOOKUP_BULK_MAX];

		for (unsigned i = 0; i < cnt; i++) {
			const struct rte_ether_hdr *eh =
				rte_pktmbuf_mtod(m[off + i], const struct rte_ether_hdr *);
			keys[i] = mac_key(eh->dst_addr.addr_bytes);
			kp[i] = &keys[i];
		}
		rte_hash_lookup_bulk_data(r->hash, kp, cnt, &hits, data);
		/* all frames of a burst go to one port here: enqueue as one burst */
		unsigned dst = (hits & 1) ? (unsigned)(uintptr_t)data[0] : 0;
		sent += rte_ring_enqueue_burst(r->ring[dst], (void **)(m + off), cnt, NULL);
	}
	return sent;
}

static unsigned send_burst(struct rig *r, int from, int to, struct rte_mbuf **m, unsigned n)
{
	switch (r->v) {
	case V_SWITCH:
		return (unsigned)vnetif_tx_burst(r->port[from], m, (uint16_t)n);
	case V_RING:
		return rte_ring_enqueue_burst(r->ring[to], (void **)m, n, NULL);
	case V_MINSW:
		return minsw_send(r, m, n);
	}
	return 0;
}

static unsigned recv_burst(struct rig *r, int at, struct rte_mbuf **m, unsigned n)
{
	if (r->v == V_SWITCH)
		return (unsigned)vnetif_rx_burst(r->port[at], m, (uint16_t)n);
	return rte_ring_dequeue_burst(r->ring[at], (void **)m, n, NULL);
}

/* One thread: port i sends a burst to port i+1, which receives it; the same mbufs go
 * round. In hub mode every other port receives (reference counts, no copies). */
static double run_one_thread(struct rig *r, int hub, double seconds)
{
	struct rte_mbuf *m[MAX_BURST], *got[MAX_BURST];
	uint64_t delivered = 0;
	double t0, t;
	int from = 0;

	if (rte_pktmbuf_alloc_bulk(r->pool, m, (unsigned)r->burst) != 0)
		return -1;
	t0 = bench_now_s();
	do {
		for (int it = 0; it < 1024; it++) {
			int to = (from + 1) % r->nports;

			for (int i = 0; i < r->burst; i++)
				fill_frame(m[i], r->mac[to], r->mac[from], r->size);
			send_burst(r, from, to, m, (unsigned)r->burst);
			if (hub && r->v == V_SWITCH) {
				for (int p = 0; p < r->nports; p++) {
					if (p == from)
						continue;
					unsigned k = recv_burst(r, p, got, (unsigned)r->burst);
					delivered += k;
					if (p == to)
						memcpy(m, got, k * sizeof(*m));
					else
						rte_pktmbuf_free_bulk(got, k); /* drops one reference */
				}
			} else {
				delivered += recv_burst(r, to, m, (unsigned)r->burst);
			}
			from = to;
		}
		t = bench_now_s();
	} while (t - t0 < seconds);
	rte_pktmbuf_free_bulk(m, (unsigned)r->burst);
	return (double)delivered / (t - t0) / 1e6;
}

static int spawn(pthread_t *t, void *(*fn)(void *), void *arg, const struct place *pl,
		 int which)
{
	pthread_attr_t a;
	cpu_set_t set;
	int rc;

	if (pthread_attr_init(&a) != 0)
		return -1;
	if (pl->pinned) {
		CPU_ZERO(&set);
		CPU_SET(pl->cpu[which], &set);
		pthread_attr_setaffinity_np(&a, sizeof(set), &set);
	}
	rc = pthread_create(t, &a, fn, arg);
	pthread_attr_destroy(&a);
	return rc;
}

struct run_ctx {
	struct rig *r;
	int hub, cache;
	double seconds, mpps;
	atomic_int stop;
	uint64_t delivered;
};

static void *one_main(void *arg)
{
	struct run_ctx *c = arg;

	if (c->cache)
		vnetif_thread_register();
	c->mpps = run_one_thread(c->r, c->hub, c->seconds);
	if (c->cache)
		vnetif_thread_unregister(); /* its cache back to the pool */
	return NULL;
}

static void *producer(void *arg)
{
	struct run_ctx *c = arg;
	struct rig *r = c->r;
	struct rte_mbuf *m[MAX_BURST];

	if (c->cache)
		vnetif_thread_register();
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		if (rte_pktmbuf_alloc_bulk(r->pool, m, (unsigned)r->burst) != 0)
			continue;
		for (int i = 0; i < r->burst; i++)
			fill_frame(m[i], r->mac[1], r->mac[0], r->size);
		unsigned k = send_burst(r, 0, 1, m, (unsigned)r->burst);
		if (k < (unsigned)r->burst) {
			rte_pktmbuf_free_bulk(m + k, (unsigned)r->burst - k);
			sched_yield(); /* receiver behind: let it run if it shares our CPU */
		}
	}
	if (c->cache)
		vnetif_thread_unregister();
	return NULL;
}

static void *consumer(void *arg)
{
	struct run_ctx *c = arg;
	struct rig *r = c->r;
	struct rte_mbuf *m[MAX_BURST];
	double t0, t;

	if (c->cache)
		vnetif_thread_register();
	t0 = bench_now_s();
	do {
		for (int it = 0; it < 1024; it++) {
			unsigned k = recv_burst(r, 1, m, (unsigned)r->burst);

			if (k == 0) {
				sched_yield(); /* nothing yet: let the sender run if it shares our CPU */
				continue;
			}
			c->delivered += k;
			rte_pktmbuf_free_bulk(m, k);
		}
		t = bench_now_s();
	} while (t - t0 < c->seconds);
	atomic_store(&c->stop, 1);
	c->mpps = (double)c->delivered / (t - t0) / 1e6;
	if (c->cache)
		vnetif_thread_unregister();
	return NULL;
}

/* Two threads: one sends (allocating), one receives (freeing); 2 ports. */
static double run_two_threads(struct rig *r, double seconds, const struct place *pl)
{
	struct run_ctx c = {.r = r, .seconds = seconds, .cache = pl->cache, .mpps = -1};
	struct rte_mbuf *m[MAX_BURST];
	pthread_t prod, cons;

	if (spawn(&prod, producer, &c, pl, 0) != 0)
		return -1;
	if (spawn(&cons, consumer, &c, pl, 1) != 0) {
		atomic_store(&c.stop, 1);
		pthread_join(prod, NULL);
		return -1;
	}
	pthread_join(cons, NULL);
	pthread_join(prod, NULL);
	/* drain what is still queued so the pool is whole again */
	for (unsigned k; (k = recv_burst(r, 1, m, MAX_BURST)) > 0;)
		rte_pktmbuf_free_bulk(m, k);
	return c.mpps;
}

static double run_one(struct rig *r, int hub, double seconds, const struct place *pl)
{
	struct run_ctx c = {.r = r, .hub = hub, .seconds = seconds, .cache = pl->cache,
			    .mpps = -1};
	pthread_t t;

	if (spawn(&t, one_main, &c, pl, 0) != 0)
		return -1;
	pthread_join(t, NULL);
	return c.mpps;
}

static double measure(enum variant v, int hub, int nports, int size, int burst, int threads,
		      double seconds, const struct place *pl)
{
	struct rig r;
	double mpps = -1;

	if (rig_open(&r, v, hub, nports, size, burst) == 0)
		mpps = threads == 1 ? run_one(&r, hub, seconds, pl)
				    : run_two_threads(&r, seconds, pl);
	rig_close(&r);
	return mpps;
}

/* The five figures of a point (switch-bench's header comment), in Mpps. */
enum fig { F_SWITCH, F_RING, F_MINSW, F_NOCACHE, F_RINGNC, F_N };

static const char *const fig_name[F_N] = {"switch", "ring", "minsw", "nocache", "ringnc"};

struct point {
	double mpps[F_N];  /* medians over the rounds */
	double r_ring, r_minsw, r_nocache, r_nc_ring, r_best; /* medians of rounds' ratios */
	double round_best[MAX_ROUNDS];
};

/* Measure a point's five figures @rounds times, interleaved: round r starts with figure
 * r % F_N, so none always gets the same slot of a noisy machine. */
static int measure_point(struct point *pt, int hub, int np, int sz, int b, int th,
			 double seconds, int rounds, const struct place *pl)
{
	struct place nc = *pl;
	double f[F_N][MAX_ROUNDS], r[5][MAX_ROUNDS];

	nc.cache = 0;
	for (int k = 0; k < rounds; k++)
		for (int j = 0; j < F_N; j++) {
			int which = (j + k) % F_N;
			enum variant v = which == F_RING || which == F_RINGNC ? V_RING
					 : which == F_MINSW			 ? V_MINSW
										 : V_SWITCH;
			const struct place *p = which == F_NOCACHE || which == F_RINGNC ? &nc : pl;

			f[which][k] = measure(v, v == V_SWITCH ? hub : 0, np, sz, b, th, seconds, p);
			if (f[which][k] < 0)
				return -1;
		}
	for (int k = 0; k < rounds; k++) {
		double best_sw = RTE_MAX(f[F_SWITCH][k], f[F_NOCACHE][k]);
		double best_ring = RTE_MAX(f[F_RING][k], f[F_RINGNC][k]);

		r[0][k] = f[F_SWITCH][k] / f[F_RING][k];
		r[1][k] = f[F_SWITCH][k] / f[F_MINSW][k];
		r[2][k] = f[F_SWITCH][k] / f[F_NOCACHE][k];
		r[3][k] = f[F_NOCACHE][k] / f[F_RINGNC][k];
		r[4][k] = pt->round_best[k] = best_sw / best_ring;
	}
	for (int j = 0; j < F_N; j++)
		pt->mpps[j] = bench_median(f[j], rounds);
	pt->r_ring = bench_median(r[0], rounds);
	pt->r_minsw = bench_median(r[1], rounds);
	pt->r_nocache = bench_median(r[2], rounds);
	pt->r_nc_ring = bench_median(r[3], rounds);
	pt->r_best = bench_median(r[4], rounds);
	return 0;
}

/* A point's human line and JSON line. */
static void report_point(const struct point *pt, const char *mode, int th, const char *where,
			 int np, int sz, int b, int rounds, double testpmd, int testpmd_huge)
{
	const char *pool = bench_pool_name(pool_order);
	double sw = pt->mpps[F_SWITCH], gbps = sw * 1e6 * sz * 8 / 1e9;

	printf("%-8s threads=%d %-12s %s ports=%-2d size=%-4d burst=%-3d  switch %7.2f Mpps"
	       " %7.2f Gbit/s  | ring %7.2f Mpps (x%.2f)  minsw %7.2f Mpps (x%.2f)"
	       "  nocache %7.2f Mpps (x%.2f)  ringnc %7.2f Mpps (nocache x%.2f)  best x%.2f",
	       mode, th, where, pool, np, sz, b, sw, gbps, pt->mpps[F_RING], pt->r_ring,
	       pt->mpps[F_MINSW], pt->r_minsw, pt->mpps[F_NOCACHE], pt->r_nocache,
	       pt->mpps[F_RINGNC], pt->r_nc_ring, pt->r_best);
	if (rounds > 1)
		printf("  (medians of %d rounds)", rounds);
	if (testpmd > 0)
		printf("  testpmd %.2f Mpps (x%.2f)", testpmd, sw / testpmd);
	printf("\n{\"bench\":\"switch\",\"impair\":\"%s\",\"mode\":\"%s\",\"threads\":%d,"
	       "\"placement\":\"%s\",\"pool\":\"%s\",\"ports\":%d,"
	       "\"size\":%d,\"burst\":%d,\"rounds\":%d,\"mpps\":%.3f,\"gbps\":%.3f,",
	       impair_spec ? impair_spec : "", mode, th, where, pool, np, sz, b, rounds, sw, gbps);
	for (int j = F_RING; j < F_N; j++)
		printf("\"%s_mpps\":%.3f,", fig_name[j], pt->mpps[j]);
	printf("\"ratio_ring\":%.3f,\"ratio_minsw\":%.3f,\"ratio_nocache\":%.3f,"
	       "\"ratio_nocache_ringnc\":%.3f,\"ratio_best\":%.3f,\"ratios_best\":[",
	       pt->r_ring, pt->r_minsw, pt->r_nocache, pt->r_nc_ring, pt->r_best);
	for (int k = 0; k < rounds; k++)
		printf("%s%.3f", k ? "," : "", pt->round_best[k]);
	printf("],\"testpmd_mpps\":%.3f,\"testpmd_mem\":\"%s\",\"ratio_testpmd\":%.3f}\n",
	       testpmd, testpmd_huge ? "huge" : "nohuge", testpmd > 0 ? sw / testpmd : 0);
}

/*
 * The figure users compare a software switch with: dpdk-testpmd forwarding between two
 * net_null ports (io mode, one forwarding lcore, burst 32, 64-byte frames, its own EAL
 * file prefix; no hugepages, or with @huge 256 MB of them, in memory), run in a child
 * process in this same sitting and stopped with SIGINT after @seconds plus its start-up;
 * its EAL runtime directory is removed after it. Its last per-second Tx-pps of both
 * ports, summed, in Mpps; 0 if testpmd is not installed or gave no figure.
 */
static double testpmd_mpps(double seconds, int huge)
{
	char cmd[1024], line[256];
	double port_pps[2] = {0, 0};
	int which = 0;
	FILE *f;

	if (system("command -v dpdk-testpmd >/dev/null 2>&1") != 0)
		return 0;
	snprintf(cmd, sizeof(cmd),
		 "timeout -s INT %.1f dpdk-testpmd %s --no-pci "
		 "--file-prefix=swbench-testpmd-%d --vdev=net_null0 --vdev=net_null1 -l 0,1 "
		 "-- --forward-mode=io --nb-cores=1 --burst=32 --total-num-mbufs=8192 "
		 "--stats-period=1 </dev/null 2>&1; "
		 /* its runtime directory (EAL leaves it; where eal_create_runtime_dir puts it) */
		 "rm -rf \"$([ \"$(id -u)\" = 0 ] && echo /var/run || echo \"${XDG_RUNTIME_DIR:-/tmp}\")"
		 "/dpdk/swbench-testpmd-%d\"",
		 seconds + 3, huge ? "--in-memory -m 256" : "--no-huge -m 512", (int)getpid(),
		 (int)getpid());
	f = popen(cmd, "r");
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = strstr(line, "Tx-pps:");

		if (p != NULL) {
			port_pps[which] = atof(p + 7);
			which ^= 1;
		}
	}
	pclose(f);
	return (port_pps[0] + port_pps[1]) / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: switch-bench [--seconds S] [--sizes 64,1514] [--bursts 1,32,256]\n"
		"                    [--ports 2,4,64] [--threads 1,2] [--mode learning|hub|both]\n"
		"                    [--testpmd SECONDS|off] [--placement pinned|unpinned|both]\n"
		"                    [--cpus SENDER,RECEIVER] [--impair SPEC]\n"
		"                    [--testpmd-mem nohuge|huge] [--pool lifo|fifo] [--rounds N]\n"
		"Prints a human line and a JSON line per point; baselines run in the same process.\n"
		"--rounds N (1..15, default 1): each point's five figures measured N times,\n"
		"interleaved; medians of the figures and of the rounds' ratios.\n"
		"--impair SPEC impairs what every switch port receives (vnetif_impair_parse());\n"
		"--impair off gives every port an idle impairment stage.\n"
		"--pool: the order of the switch's own pool (vnetif_switch_config::pool_order;\n"
		"default lifo, the library's default); the baselines use the same pool.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"seconds", required_argument, NULL, 's'}, {"sizes", required_argument, NULL, 'z'},
		{"bursts", required_argument, NULL, 'b'}, {"ports", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'}, {"mode", required_argument, NULL, 'm'},
		{"testpmd", required_argument, NULL, 'T'}, {"impair", required_argument, NULL, 'I'},
		{"placement", required_argument, NULL, 'P'}, {"cpus", required_argument, NULL, 'C'},
		{"testpmd-mem", required_argument, NULL, 'H'}, {"pool", required_argument, NULL, 'Q'},
		{"rounds", required_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	double testpmd_secs = 2, testpmd = 0;
	struct opts o = {.seconds = 0.5, .sizes = {64, 1514}, .nsizes = 2, .bursts = {1, 32, 256},
			 .nbursts = 3, .ports = {2}, .nports = 1, .threads = {1, 2}, .nthreads = 2,
			 .learning = 1, .hub = 1, .rounds = 1};
	int c, pin_modes = 3, cpus[2] = {0, 1}, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int testpmd_huge = 0;
	char *end;

	if (ncpu < 2) {
		cpus[1] = 0;
		pin_modes = 2; /* one CPU: pinning two threads to it says nothing */
	}
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		int bad = 0;

		switch (c) {
		case 's': o.seconds = atof(optarg); bad = o.seconds <= 0; break;
		case 'z': bad = (o.nsizes = parse_list(optarg, o.sizes, 16)) <= 0; break;
		case 'b': bad = (o.nbursts = parse_list(optarg, o.bursts, 16)) <= 0; break;
		case 'p': bad = (o.nports = parse_list(optarg, o.ports, 16)) <= 0; break;
		case 't': bad = (o.nthreads = parse_list(optarg, o.threads, 4)) <= 0; break;
		case 'I': impair_spec = optarg; bad = vnetif_impair_parse(optarg, &impair_cfg) != 0; break;
		case 'T':
			testpmd_secs = strcmp(optarg, "off") ? atof(optarg) : 0;
			bad = strcmp(optarg, "off") && testpmd_secs <= 0;
			break;
		case 'Q': bad = bench_pool_parse(optarg, &pool_order) != 0; break;
		case 'R':
			o.rounds = (int)strtol(optarg, &end, 10);
			bad = end == optarg || *end != '\0' || o.rounds < 1 || o.rounds > MAX_ROUNDS;
			break;
		case 'H':
			testpmd_huge = !strcmp(optarg, "huge");
			bad = !testpmd_huge && strcmp(optarg, "nohuge");
			break;
		case 'P':
			pin_modes = !strcmp(optarg, "pinned") ? 1 : !strcmp(optarg, "unpinned") ? 2
				    : !strcmp(optarg, "both") ? 3 : 0;
			bad = pin_modes == 0;
			break;
		case 'C':
			cpus[0] = (int)strtol(optarg, &end, 10);
			bad = end == optarg || *end != ',';
			if (!bad) {
				const char *p = end + 1;

				cpus[1] = (int)strtol(p, &end, 10);
				bad = end == p || *end != '\0' || cpus[0] < 0 || cpus[1] < 0 ||
				      cpus[0] >= CPU_SETSIZE || cpus[1] >= CPU_SETSIZE;
			}
			break;
		case 'm':
			o.learning = !strcmp(optarg, "learning") || !strcmp(optarg, "both");
			o.hub = !strcmp(optarg, "hub") || !strcmp(optarg, "both");
			bad = !o.learning && !o.hub;
			break;
		default: usage(); return c == 'h' ? 0 : 2;
		}
		if (bad) {
			fprintf(stderr, "switch-bench: bad value '%s'\n", optarg);
			usage();
			return 2;
		}
	}
	for (int i = 0; i < o.nsizes; i++)
		if (o.sizes[i] < 60 || o.sizes[i] > 1514) {
			fprintf(stderr, "switch-bench: frame sizes must be 60..1514\n");
			return 2;
		}
	for (int i = 0; i < o.nbursts; i++)
		if (o.bursts[i] > MAX_BURST) {
			fprintf(stderr, "switch-bench: bursts must be 1..%d\n", MAX_BURST);
			return 2;
		}
	for (int i = 0; i < o.nports; i++)
		if (o.ports[i] < 2 || o.ports[i] > MAX_PORTS) {
			fprintf(stderr, "switch-bench: ports must be 2..%d\n", MAX_PORTS);
			return 2;
		}

	if (testpmd_secs > 0) {
		testpmd = testpmd_mpps(testpmd_secs, testpmd_huge);
		if (testpmd > 0) {
			printf("testpmd  io forwarding, 2 net_null ports, 1 lcore, 64 B, burst 32, %s: %.2f Mpps\n",
			       testpmd_huge ? "hugepages" : "no hugepages", testpmd);
			printf("{\"bench\":\"switch\",\"baseline\":\"testpmd-io\",\"mem\":\"%s\","
			       "\"mpps\":%.3f}\n", testpmd_huge ? "huge" : "nohuge", testpmd);
		} else {
			printf("testpmd  not installed or no figure: no testpmd baseline\n");
		}
		fflush(stdout);
	}
	for (int pm = 1; pm <= 2; pm++) {
		if (!(pin_modes & pm))
			continue;
	for (int hub = 0; hub < 2; hub++) {
		if ((hub && !o.hub) || (!hub && !o.learning))
			continue;
		for (int ti = 0; ti < o.nthreads; ti++)
		for (int pi = 0; pi < o.nports; pi++)
		for (int si = 0; si < o.nsizes; si++)
		for (int bi = 0; bi < o.nbursts; bi++) {
			int th = o.threads[ti], np = th == 2 ? 2 : o.ports[pi];
			int sz = o.sizes[si], b = o.bursts[bi];
			const char *mode = hub ? "hub" : "learning";
			struct place pl = {.pinned = pm == 1, .cpu = {cpus[0], cpus[1]}, .cache = 1};
			char where[48];

			if (th == 2 && pi > 0)
				continue; /* two-thread runs use two ports */
			if (!pl.pinned)
				snprintf(where, sizeof(where), "unpinned");
			else if (th == 1)
				snprintf(where, sizeof(where), "pinned:%d", cpus[0]);
			else
				snprintf(where, sizeof(where), "pinned:%d,%d", cpus[0], cpus[1]);
			struct point pt;

			if (measure_point(&pt, hub, np, sz, b, th, o.seconds, o.rounds, &pl) != 0) {
				fprintf(stderr, "switch-bench: setup failed (mode %s, %d ports)\n", mode, np);
				return 1;
			}
			report_point(&pt, mode, th, where, np, sz, b, o.rounds, testpmd, testpmd_huge);
			fflush(stdout);
		}
	}
	}
	return 0;
}
