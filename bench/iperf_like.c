/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iperf-like: TCP throughput between lwIP stacks on a libvnetif switch, in one process,
 * with no NIC — the C counterpart of mirage-vnetif's iperf test. It behaves like iperf3
 * (intervals, sender/receiver summary, --json) and runs, in the same process, a baseline:
 * the same stack pairs joined by a direct in-memory wire with no switch. The report gives
 * the switch's cost as the ratio switch / direct. Every received byte is checked against
 * the pattern the sender wrote, so a fast wrong result cannot pass.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"
#include "bench_pool.h"
#include "vnetif.h"
#include "vnetif_lwip.h"

#define PORT_BASE 5201
#define MAX_PAIRS 5
#define MAX_STREAMS 8
#define MAX_ROUNDS 15
_Static_assert(MAX_ROUNDS <= BENCH_MEDIAN_MAX, "bench_median() takes every round");

struct opts {
	double seconds;      /* run time, unless bytes > 0 */
	uint64_t bytes;      /* per stream; 0: run for seconds */
	size_t msg;          /* bytes per send() */
	int streams;         /* per pair */
	int pairs;
	unsigned mtu;
	bool async;
	bool hub;
	bool yield;          /* switch yield = sched_yield (else the library default) */
	bool poll_loop;      /* async: the main thread polls instead of reader threads */
	enum vnetif_lwip_build build;
	enum vnetif_lwip_csum csum;
	enum vnetif_lwip_tso tso; /* --tso: every stack's TCP segmentation offload */
	int pings;           /* ICMP echoes between the first pair before the traffic */
	double interval;
	bool json;
	bool quiet;
	const char *impair;  /* --impair SPEC on what every stack receives (both paths) */
	struct vnetif_impair im;
	int only;            /* --only: 0 both runs, 1 the switch only, 2 the direct wire only */
	enum vnetif_pool_order pool; /* --pool: order of the switch's pool */
	int rounds;          /* --rounds: switch and direct runs, interleaved */
};

struct stream {
	vnetif_lwip_stack *tx_stack, *rx_stack;
	int id, txfd, rxfd;
	uint64_t limit;
	_Atomic uint64_t sent, received;
	_Atomic bool done_tx, done_rx;
	uint64_t bad_at;     /* offset of the first wrong byte + 1; 0: all good */
	int error;           /* errno of a failed socket call */
	const struct opts *o;
	_Atomic bool *stop;
	pthread_t ttx, trx;
};

struct run {
	const char *name;    /* "switch" or "direct" */
	vnetif_switch *sw;
	vnetif_lwip_stack *st[MAX_PAIRS][2];
	struct stream s[MAX_PAIRS * MAX_STREAMS];
	int ns;
	_Atomic bool stop;
	_Atomic bool poll_stop;
	pthread_t poller;
	double elapsed;      /* until every stream ended (the drain after a timed stop included) */
	double window;       /* what the rate is over: -t's time up to the stop, -n's elapsed */
	uint64_t window_bytes; /* received in the window */
	double cpu;          /* CPU seconds the process used in the window (all its threads) */
	uint64_t sent, received, bad, drops;
	struct vnetif_lwip_stats rx; /* summed over the receiving stacks */
	double ping_p50_us, ping_p99_us; /* --ping: round trips between the first pair */
	int build, csum, tso; /* of the stacks: VNETIF_LWIP_BUILD_*, checksums and TSO on (1) or off */
	double *interval_gbps; /* per interval, received */
	int nintervals;
};

/* The streams' bytes. Stream @id's byte x is pat[(x + pat_start(id)) % PAT_PERIOD],
 * where pat is a table of hashed words made once, before any run: senders send straight
 * from it and receivers compare with memcmp(), so checking every byte costs a compare
 * and no generation (iperf3 sends one buffer over and over and checks nothing).
 * PAT_PERIOD is prime and above 1 MiB, more than any window or buffer of the stacks, so
 * data that arrives lost, repeated, reordered or from another stream cannot match: a
 * shift of bytes would have to be a multiple of the period. The table holds the period
 * plus the longest piece read at once, so every piece is one contiguous slice. */
#define PAT_PERIOD 1048573u /* prime, 2^20 - 3 */
#define RECV_CAP 65536u     /* bytes per receive call */

static uint8_t *pat;        /* PAT_PERIOD + max(msg, RECV_CAP) bytes, read-only once made */

static int pat_make(size_t msg)
{
	size_t len = PAT_PERIOD + (msg > RECV_CAP ? msg : RECV_CAP);

	pat = malloc(len);
	if (pat == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		size_t x = i % PAT_PERIOD; /* the table repeats the period's start at its end */
		uint64_t w = ((uint64_t)(x >> 3) + 1) * 0x9e3779b97f4a7c15ull;

		pat[i] = (uint8_t)((w ^ (w >> 29)) >> ((x & 7) * 8));
	}
	return 0;
}

/* Where stream @id starts in the period: streams differ at every offset. */
static size_t pat_start(int id)
{
	return (size_t)(((uint64_t)id * 0x632be59bd9b4e019ull) % PAT_PERIOD);
}

static const uint8_t *pat_at(uint64_t off, int id)
{
	return pat + (size_t)((off + pat_start(id)) % PAT_PERIOD);
}

static void *sender(void *arg)
{
	struct stream *s = arg;
	size_t msg = s->o->msg;
	uint64_t off = 0;

	while (!atomic_load_explicit(s->stop, memory_order_relaxed) && (s->limit == 0 || off < s->limit)) {
		size_t n = msg;

		if (s->limit && s->limit - off < n)
			n = (size_t)(s->limit - off);
		const uint8_t *buf = pat_at(off, s->id);
		size_t done = 0;
		while (done < n) {
			ssize_t k = vnetif_lwip_send(s->tx_stack, s->txfd, buf + done, n - done, 0);

			if (k < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				s->error = errno;
				goto out;
			}
			done += (size_t)k;
			atomic_fetch_add_explicit(&s->sent, (uint64_t)k, memory_order_relaxed);
		}
		off += n;
	}
out:
	vnetif_lwip_shutdown(s->tx_stack, s->txfd, SHUT_WR);
	atomic_store(&s->done_tx, true);
	return NULL;
}

static void *receiver(void *arg)
{
	struct stream *s = arg;
	uint8_t *buf = malloc(RECV_CAP);
	uint64_t off = 0;

	if (buf == NULL) {
		s->error = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = vnetif_lwip_recv(s->rx_stack, s->rxfd, buf, RECV_CAP, 0);

		if (k == 0)
			break; /* sender shut down */
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			s->error = errno;
			break;
		}
		const uint8_t *want = pat_at(off, s->id);
		if (s->bad_at == 0 && memcmp(buf, want, (size_t)k) != 0) {
			size_t i = 0;

			while (buf[i] == want[i])
				i++;
			s->bad_at = off + i + 1;
		}
		off += (uint64_t)k;
		atomic_fetch_add_explicit(&s->received, (uint64_t)k, memory_order_relaxed);
	}
out:
	free(buf);
	atomic_store(&s->done_rx, true);
	return NULL;
}

static void yield_fn(void *arg)
{
	(void)arg;
	sched_yield();
}

static void addr_of(char *buf, size_t len, int pair, int host)
{
	snprintf(buf, len, "10.%d.0.%d", pair + 1, host);
}

static int make_stacks(struct run *r, const struct opts *o)
{
	for (int p = 0; p < o->pairs; p++) {
		struct vnetif_lwip_config c[2];
		char ip[2][32];

		for (int h = 0; h < 2; h++) {
			vnetif_lwip_config_init(&c[h]);
			addr_of(ip[h], sizeof(ip[h]), p, h + 1);
			c[h].ipv4 = ip[h];
			c[h].netmask = "255.255.255.0";
			c[h].mtu = o->mtu;
			c[h].no_reader = o->poll_loop;
			c[h].build = o->build;
			c[h].checksums = o->csum;
			c[h].tso = o->tso;
		}
		int rc;
		if (r->sw) {
			rc = vnetif_lwip_create(r->sw, &c[0], &r->st[p][0]);
			if (rc == 0)
				rc = vnetif_lwip_create(r->sw, &c[1], &r->st[p][1]);
		} else {
			rc = vnetif_lwip_create_wired(&c[0], &c[1],
						      o->async ? VNETIF_LWIP_WIRE_THREAD
							       : VNETIF_LWIP_WIRE_MAILBOX,
						      &r->st[p][0], &r->st[p][1]);
		}
		if (rc < 0) {
			fprintf(stderr, "iperf-like: %s stack pair %d: %s\n", r->name, p, vnetif_strerror(rc));
			return rc;
		}
		for (int h = 0; o->impair && h < 2; h++) {
			struct vnetif_impair im = o->im;

			/* each receiver its own stream, the same on both paths */
			im.seed += (uint64_t)(p * 2 + h) * 1000;
			rc = r->sw ? vnetif_impair_set(vnetif_lwip_port(r->st[p][h]), VNETIF_DIR_RX, &im)
				   : vnetif_lwip_wire_impair(r->st[p][h], &im);
			if (rc < 0) {
				fprintf(stderr, "iperf-like: --impair: %s\n", vnetif_strerror(rc));
				return rc;
			}
		}
	}
	return 0;
}

/* Connect every stream: the first stack of a pair listens, the second connects and
 * sends (like iperf3's client). */
static int connect_streams(struct run *r, const struct opts *o)
{
	for (int p = 0; p < o->pairs; p++) {
		vnetif_lwip_stack *srv = r->st[p][0], *cli = r->st[p][1];
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PORT_BASE)};
		char ip[32];
		int one = 1;
		int lfd = vnetif_lwip_socket(srv, AF_INET, SOCK_STREAM, 0);

		if (lfd < 0 || vnetif_lwip_bind(srv, lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    vnetif_lwip_listen(srv, lfd, MAX_STREAMS) < 0) {
			fprintf(stderr, "iperf-like: listen: %s\n", strerror(errno));
			return -1;
		}
		addr_of(ip, sizeof(ip), p, 1);
		sa.sin_addr.s_addr = htonl((10u << 24) | ((unsigned)(p + 1) << 16) | 1u);
		for (int i = 0; i < o->streams; i++) {
			struct stream *s = &r->s[r->ns];

			memset(s, 0, sizeof(*s));
			s->id = r->ns;
			s->o = o;
			s->stop = &r->stop;
			s->tx_stack = cli;
			s->rx_stack = srv;
			s->limit = o->bytes;
			s->txfd = vnetif_lwip_socket(cli, AF_INET, SOCK_STREAM, 0);
			if (s->txfd < 0) {
				fprintf(stderr, "iperf-like: %s run, stream %d: socket: %s\n", r->name,
					s->id, strerror(errno));
				return -1;
			}
			if (vnetif_lwip_connect(cli, s->txfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				fprintf(stderr, "iperf-like: %s run, stream %d: connect to %s: %s\n",
					r->name, s->id, ip, strerror(errno));
				return -1;
			}
			vnetif_lwip_setsockopt(cli, s->txfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			s->rxfd = vnetif_lwip_accept(srv, lfd, NULL, NULL);
			if (s->rxfd < 0) {
				fprintf(stderr, "iperf-like: accept: %s\n", strerror(errno));
				return -1;
			}
			r->ns++;
		}
		vnetif_lwip_close(srv, lfd);
	}
	return 0;
}

static uint64_t sum_received(struct run *r)
{
	uint64_t t = 0;

	for (int i = 0; i < r->ns; i++)
		t += atomic_load_explicit(&r->s[i].received, memory_order_relaxed);
	return t;
}

static bool all_done(struct run *r)
{
	for (int i = 0; i < r->ns; i++)
		if (!atomic_load(&r->s[i].done_rx))
			return false;
	return true;
}

/* Frames the path dropped: the switch's drops (its impairments included), or on the
 * direct wire what its impairments dropped. */
static uint64_t switch_drops(struct run *r, const struct opts *o)
{
	struct vnetif_switch_stats st;
	uint64_t n = 0;

	if (r->sw)
		return vnetif_switch_stats_get(r->sw, &st) == 0 ? st.drops : 0;
	for (int p = 0; o->impair && p < o->pairs; p++)
		for (int h = 0; h < 2; h++) {
			struct vnetif_impair_stats is;

			if (r->st[p][h] != NULL && vnetif_lwip_wire_impair_stats(r->st[p][h], &is) == 0)
				n += is.dropped_down + is.dropped_oversize + is.dropped_cut +
				     is.dropped_loss + is.dropped_small + is.dropped_queue_full +
				     is.dropped_nomem + is.dropped_disconnected;
		}
	return n;
}

/* "[42% of 1024 MiB]" or "[3/10 s]": where a long run stands. */
static const char *progress(const struct opts *o, const struct run *r, uint64_t got, double t)
{
	static char buf[48];

	if (o->bytes)
		snprintf(buf, sizeof(buf), "[%3.0f%% of %.0f MiB]",
			 100.0 * (double)got / ((double)o->bytes * r->ns), (double)o->bytes * r->ns / 1048576.0);
	else
		snprintf(buf, sizeof(buf), "[%.0f/%.0f s]", t, o->seconds);
	return buf;
}

static void run_traffic(struct run *r, const struct opts *o)
{
	double t0, next, last_t, cpu0, cpu_end;
	uint64_t last = 0;
	int cap = (int)(o->seconds / o->interval) + 64;

	r->interval_gbps = calloc((size_t)cap, sizeof(double));
	for (int i = 0; i < r->ns; i++) {
		pthread_create(&r->s[i].trx, NULL, receiver, &r->s[i]);
		pthread_create(&r->s[i].ttx, NULL, sender, &r->s[i]);
	}
	t0 = last_t = bench_now_s();
	cpu0 = bench_cpu_s();
	next = t0 + o->interval;
	if (!o->quiet && !o->json)
		printf("[ ID] %-6s Interval           Transfer     Bitrate         Drops\n", r->name);
	for (;;) {
		double t = bench_now_s();

		usleep(1000);
		/* an interval line per interval, and the tail if it is not a sliver */
		if (t >= next || (all_done(r) && t - last_t > o->interval / 10)) {
			uint64_t got = sum_received(r);
			double gbps = (double)(got - last) * 8 / (t - last_t) / 1e9;

			if (r->nintervals < cap)
				r->interval_gbps[r->nintervals++] = gbps;
			if (o->quiet)
				;
			else if (o->json)
				printf("{\"bench\":\"iperf-like\",\"run\":\"%s\",\"interval\":[%.2f,%.2f],"
				       "\"bytes\":%llu,\"gbps\":%.3f,\"drops\":%llu}\n",
				       r->name, last_t - t0, t - t0, (unsigned long long)(got - last), gbps,
				       (unsigned long long)switch_drops(r, o));
			else
				printf("[SUM] %-6s %5.2f-%-5.2f sec  %7.1f MBytes  %6.2f Gbits/sec  %-5llu %s\n",
				       r->name, last_t - t0, t - t0, (double)(got - last) / 1048576.0, gbps,
				       (unsigned long long)switch_drops(r, o), progress(o, r, got, t - t0));
			last = got;
			last_t = t;
			next += o->interval;
			fflush(stdout);
		}
		if (all_done(r))
			break;
		if (o->bytes == 0 && t - t0 >= o->seconds && !atomic_load(&r->stop)) {
			/* the rate is over the timed window, as iperf3's: what arrives while
			 * the streams wind down (the last segments, a retransmission timeout)
			 * is counted and verified, but is not throughput */
			r->window_bytes = sum_received(r);
			r->window = bench_now_s() - t0;
			r->cpu = bench_cpu_s() - cpu0;
			atomic_store(&r->stop, true);
		}
	}
	r->elapsed = bench_now_s() - t0;
	cpu_end = bench_cpu_s();
	for (int i = 0; i < r->ns; i++) {
		pthread_join(r->s[i].ttx, NULL);
		pthread_join(r->s[i].trx, NULL);
		r->sent += r->s[i].sent;
		r->received += r->s[i].received;
		if (r->s[i].bad_at)
			r->bad++;
		if (r->s[i].error)
			fprintf(stderr, "iperf-like: %s stream %d: %s\n", r->name, i, strerror(r->s[i].error));
	}
	r->drops = switch_drops(r, o);
	if (!atomic_load(&r->stop)) { /* -n, or every stream ended before the time */
		r->window = r->elapsed;
		r->window_bytes = r->received;
		r->cpu = cpu_end - cpu0;
	}
}

/* --readers poll: the application's event loop, polling every port of the switch, a
 * burst of at most 64 frames per port and round (no port starves the others). Frames
 * between the stacks mostly arrive by their senders (vnetif_lwip.h, "Receive path"):
 * when a round finds nothing, the loop yields, and after a while naps 20 us, leaving the
 * CPU to the stacks as an event loop waiting for work would. */
static void *poll_loop(void *arg)
{
	struct run *r = arg;
	unsigned idle = 0;

	while (!atomic_load_explicit(&r->poll_stop, memory_order_relaxed)) {
		if (vnetif_switch_poll(r->sw, 64) > 0) {
			idle = 0;
		} else if (++idle < 64) {
			sched_yield();
		} else {
			struct timespec ts = {0, 20000};

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/* --ping N: N echo requests from the second stack of pair 0 to the first, one at a time
 * (after a few unmeasured ones warm ARP and the paths). */
static int ping_run(struct run *r, const struct opts *o)
{
	unsigned *rtt = calloc((size_t)o->pings, sizeof(*rtt));
	char ip[32];
	int rc = 0;

	if (rtt == NULL)
		return -ENOMEM;
	addr_of(ip, sizeof(ip), 0, 1);
	for (int i = 0; i < 10 && rc == 0; i++)
		rc = vnetif_lwip_ping(r->st[0][1], ip, 2000, NULL);
	for (int i = 0; i < o->pings && rc == 0; i++)
		rc = vnetif_lwip_ping(r->st[0][1], ip, 2000, &rtt[i]);
	if (rc == 0) {
		qsort(rtt, (size_t)o->pings, sizeof(*rtt), cmp_u);
		r->ping_p50_us = rtt[o->pings / 2];
		r->ping_p99_us = rtt[(size_t)o->pings * 99 / 100];
	} else {
		fprintf(stderr, "iperf-like: %s ping: %s\n", r->name, vnetif_strerror(rc));
	}
	free(rtt);
	return rc;
}

static int one_run(struct run *r, const struct opts *o, bool through_switch)
{
	int rc = 0;

	memset(r, 0, sizeof(*r));
	r->name = through_switch ? "switch" : "direct";
	if (through_switch) {
		struct vnetif_switch_config c;

		vnetif_switch_config_init(&c);
		c.async_readers = o->async;
		c.fwd_mode = o->hub ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
		c.default_mtu = o->mtu ? o->mtu : 1500;
		c.yield = o->yield ? yield_fn : NULL;
		c.ring_size = 4096;
		c.pool_size = 32767;
		c.pool_order = o->pool;
		rc = vnetif_switch_create(&c, &r->sw);
		if (rc < 0) {
			fprintf(stderr, "iperf-like: switch: %s\n", vnetif_strerror(rc));
			return rc;
		}
	}
	if (r->sw && o->poll_loop && pthread_create(&r->poller, NULL, poll_loop, r) != 0) {
		vnetif_switch_destroy(r->sw);
		return -EAGAIN;
	}
	rc = make_stacks(r, o);
	if (rc == 0) {
		r->build = vnetif_lwip_build(r->st[0][0]);
		r->csum = vnetif_lwip_checksums(r->st[0][0]);
		r->tso = vnetif_lwip_tso(r->st[0][0]);
	}
	if (rc == 0 && o->pings > 0)
		rc = ping_run(r, o);
	if (rc == 0 && connect_streams(r, o) < 0)
		rc = -EIO;
	if (rc == 0)
		run_traffic(r, o);
	for (int p = 0; p < o->pairs; p++) {
		struct vnetif_lwip_stats st;

		if (r->st[p][0] && vnetif_lwip_stats_get(r->st[p][0], &st) == 0) {
			r->rx.rx_frames += st.rx_frames;
			r->rx.rx_direct += st.rx_direct;
			r->rx.rx_deferred += st.rx_deferred;
			r->rx.rx_mailbox += st.rx_mailbox;
			r->rx.rx_zero_copy += st.rx_zero_copy;
		}
		for (int h = 0; h < 2; h++)
			if (r->st[p][h])
				vnetif_lwip_destroy(r->st[p][h]);
	}
	if (r->sw && o->poll_loop) {
		atomic_store(&r->poll_stop, true);
		pthread_join(r->poller, NULL);
	}
	if (r->sw && vnetif_switch_destroy(r->sw) < 0) {
		fprintf(stderr, "iperf-like: switch teardown failed: mbufs not returned\n");
		rc = -EBUSY;
	}
	free(r->interval_gbps);
	return rc;
}

/* What a run received, in Gbit/s. */
static double gbps_of(const struct run *r)
{
	return (double)r->window_bytes * 8 / r->window / 1e9;
}

/* CPU seconds the process spent per GB (1e9 bytes) received in the window: the cost of
 * a byte, which a shared machine's noise moves less than the rate (when other work
 * takes CPUs away, a path moves fewer bytes but also spends less CPU). Spinning and
 * yielding threads count: that is CPU the path took. */
static double cpu_per_gb(const struct run *r)
{
	return r->window_bytes ? r->cpu / ((double)r->window_bytes / 1e9) : 0;
}

static void summary(const struct run *r)
{
	double gbps = gbps_of(r);

	printf("- - - - - - - - - - - - - - - - - - - - - - - - -\n");
	printf("[SUM] %-6s 0.00-%-5.2f sec  %7.1f MBytes  %6.2f Gbits/sec  sender\n", r->name,
	       r->elapsed, (double)r->sent / 1048576.0, (double)r->sent * 8 / r->elapsed / 1e9);
	printf("[SUM] %-6s 0.00-%-5.2f sec  %7.1f MBytes  %6.2f Gbits/sec  receiver  (%s, %llu drops)\n",
	       r->name, r->window, (double)r->window_bytes / 1048576.0, gbps,
	       r->bad ? "DATA MISMATCH" : "data verified", (unsigned long long)r->drops);
	if (r->elapsed > r->window)
		printf("      %-6s after the stop: %.1f MBytes more in %.3f s while the streams ended "
		       "(verified, not in the rate)\n", r->name,
		       (double)(r->received - r->window_bytes) / 1048576.0, r->elapsed - r->window);
	printf("      %-6s CPU: %.2f s in the window (%.2f cores busy), %.2f s per GB received\n",
	       r->name, r->cpu, r->window > 0 ? r->cpu / r->window : 0, cpu_per_gb(r));
	printf("      %-6s receiving stacks: %llu frames: %llu run by the deliverer, %llu left to "
	       "the lock holder, %llu via mailbox; %llu not copied\n", r->name,
	       (unsigned long long)r->rx.rx_frames, (unsigned long long)r->rx.rx_direct,
	       (unsigned long long)r->rx.rx_deferred, (unsigned long long)r->rx.rx_mailbox,
	       (unsigned long long)r->rx.rx_zero_copy);
}

/* One path's runs over the rounds: sums, and each round's figures for medians. */
struct total {
	double seconds;      /* the rate windows */
	uint64_t bytes, all_bytes, drops; /* in the windows; all received (verified) */
	bool bad;            /* a round's data was wrong, or nothing arrived */
	double gbps[MAX_ROUNDS], p50[MAX_ROUNDS], p99;
	double cpu_gb[MAX_ROUNDS]; /* cpu_per_gb() */
	int n;
};

static void total_add(struct total *t, const struct run *r)
{
	t->seconds += r->window;
	t->bytes += r->window_bytes;
	t->all_bytes += r->received;
	t->drops += r->drops;
	t->bad |= r->bad || r->received == 0;
	t->gbps[t->n] = gbps_of(r);
	t->cpu_gb[t->n] = cpu_per_gb(r);
	t->p50[t->n] = r->ping_p50_us;
	t->p99 = r->ping_p99_us > t->p99 ? r->ping_p99_us : t->p99;
	t->n++;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: iperf-like [-t SECONDS | -n BYTES] [-l MSGSIZE] [-P STREAMS] [--pairs N]\n"
		"                  [--mtu MTU] [--mode sync|async] [--fwd learning|hub]\n"
		"                  [--yield default|sched] [--readers threads|poll] [-i INTERVAL]\n"
		"                  [--lwip debian|tuned] [--checksums auto|on|off] [--ping N]\n"
		"                  [--impair SPEC] [--only switch|direct] [--pool lifo|fifo]\n"
		"                  [--rounds N] [--tso auto|on|off] [--json] [--quiet]\n"
		"Runs the stacks through the switch, then the same stacks over a direct wire\n"
		"(the baseline), and prints both and their ratio.\n"
		"--impair SPEC (e.g. loss=0.01,delay=1ms,seed=7; see vnetif_impair_parse()):\n"
		"impair what each stack receives on the switch path and on the direct wire alike\n"
		"(same spec, same seeds per receiver), to see goodput under loss on both.\n"
		"--only switch|direct runs one of the two (to profile it); no ratio then.\n"
		"--rounds N (1..15, default 1): N switch runs and N direct runs, interleaved\n"
		"(which goes first alternates); the ratio is the median of the rounds' ratios,\n"
		"Gbit/s are medians, bytes and drops sums (for shared, noisy machines).\n"
		"Each run also reports the process's CPU seconds per GB received; the summary\n"
		"gives CPU per byte, switch / direct (above 1: the switch path costs more).\n"
		"--pool lifo|fifo: the order of the switch's pool (vnetif_switch_config::\n"
		"pool_order); default lifo, the library's default.\n"
		"--tso auto|on|off: every stack's TCP segmentation offload (vnetif_lwip_config::\n"
		"tso; auto, the default: on with the tuned lwIP): TCP segments of up to 8960\n"
		"bytes whatever the MTU, through the switch and on the wire alike.\n");
}

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v <= 0)
		return 0;
	switch (*end) {
	case 'K': case 'k': v *= 1024; break;
	case 'M': case 'm': v *= 1048576; break;
	case 'G': case 'g': v *= 1073741824.0; break;
	case '\0': break;
	default: return 0;
	}
	return (uint64_t)v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"time", required_argument, NULL, 't'}, {"bytes", required_argument, NULL, 'n'},
		{"len", required_argument, NULL, 'l'}, {"parallel", required_argument, NULL, 'P'},
		{"pairs", required_argument, NULL, 'p'}, {"mtu", required_argument, NULL, 'M'},
		{"mode", required_argument, NULL, 'm'}, {"fwd", required_argument, NULL, 'f'},
		{"yield", required_argument, NULL, 'y'}, {"readers", required_argument, NULL, 'r'},
		{"interval", required_argument, NULL, 'i'}, {"json", no_argument, NULL, 'J'},
		{"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},
		{"lwip", required_argument, NULL, 'L'}, {"checksums", required_argument, NULL, 'C'},
		{"ping", required_argument, NULL, 'I'}, {"impair", required_argument, NULL, 'X'},
		{"only", required_argument, NULL, 'O'}, {"pool", required_argument, NULL, 'Q'},
		{"rounds", required_argument, NULL, 'R'}, {"tso", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0}};
	struct opts o = {.seconds = 5, .msg = 131072, .streams = 1, .pairs = 1, .mtu = 1500,
			 .async = true, .interval = 1, .rounds = 1};
	struct run sw, direct;
	struct total tsw = {0}, tdir = {0};
	double ratio[MAX_ROUNDS], g_sw, g_d, ratio_med;
	double cpu_ratio[MAX_ROUNDS], cpu_med; /* CPU per byte, switch / direct */
	char ratio_list[MAX_ROUNDS * 16], cpu_list[MAX_ROUNDS * 16];
	int c;

	while ((c = getopt_long(argc, argv, "t:n:l:P:i:h", lo, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 't': o.seconds = atof(optarg); if (o.seconds <= 0) bad = "-t"; break;
		case 'n': o.bytes = parse_size(optarg); if (!o.bytes) bad = "-n"; break;
		case 'l': o.msg = parse_size(optarg); if (!o.msg || o.msg > 16 << 20) bad = "-l"; break;
		case 'P': o.streams = atoi(optarg); if (o.streams < 1 || o.streams > MAX_STREAMS) bad = "-P (1..8)"; break;
		case 'p': o.pairs = atoi(optarg); if (o.pairs < 1 || o.pairs > MAX_PAIRS) bad = "--pairs (1..5)"; break;
		case 'M': o.mtu = (unsigned)atoi(optarg); if (o.mtu < 576 || o.mtu > VNETIF_MTU_MAX) bad = "--mtu"; break;
		case 'm': o.async = !strcmp(optarg, "async"); if (!o.async && strcmp(optarg, "sync")) bad = "--mode"; break;
		case 'f': o.hub = !strcmp(optarg, "hub"); if (!o.hub && strcmp(optarg, "learning")) bad = "--fwd"; break;
		case 'y': o.yield = !strcmp(optarg, "sched"); if (!o.yield && strcmp(optarg, "default")) bad = "--yield"; break;
		case 'r': o.poll_loop = !strcmp(optarg, "poll"); if (!o.poll_loop && strcmp(optarg, "threads")) bad = "--readers"; break;
		case 'i': o.interval = atof(optarg); if (o.interval < 0.05) bad = "-i (>= 0.05)"; break;
		case 'L':
			o.build = !strcmp(optarg, "tuned") ? VNETIF_LWIP_BUILD_TUNED
				  : !strcmp(optarg, "debian") ? VNETIF_LWIP_BUILD_DEBIAN : VNETIF_LWIP_BUILD_DEFAULT;
			if (o.build == VNETIF_LWIP_BUILD_DEFAULT) bad = "--lwip";
			break;
		case 'C':
			o.csum = !strcmp(optarg, "on") ? VNETIF_LWIP_CSUM_ON
				 : !strcmp(optarg, "off") ? VNETIF_LWIP_CSUM_OFF : VNETIF_LWIP_CSUM_AUTO;
			if (o.csum == VNETIF_LWIP_CSUM_AUTO && strcmp(optarg, "auto")) bad = "--checksums";
			break;
		case 'I': o.pings = atoi(optarg); if (o.pings < 1 || o.pings > 1000000) bad = "--ping"; break;
		case 'J': o.json = true; break;
		case 'T':
			o.tso = !strcmp(optarg, "on")    ? VNETIF_LWIP_TSO_ON
				: !strcmp(optarg, "off") ? VNETIF_LWIP_TSO_OFF
							 : VNETIF_LWIP_TSO_AUTO;
			if (o.tso == VNETIF_LWIP_TSO_AUTO && strcmp(optarg, "auto")) bad = "--tso";
			break;
		case 'q': o.quiet = true; break;
		case 'X': o.impair = optarg; if (vnetif_impair_parse(optarg, &o.im)) bad = "--impair"; break;
		case 'O':
			o.only = !strcmp(optarg, "switch") ? 1 : !strcmp(optarg, "direct") ? 2 : 0;
			if (!o.only) bad = "--only";
			break;
		case 'Q': if (bench_pool_parse(optarg, &o.pool)) bad = "--pool"; break;
		case 'R': o.rounds = atoi(optarg); if (o.rounds < 1 || o.rounds > MAX_ROUNDS) bad = "--rounds (1..15)"; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
		if (bad) {
			fprintf(stderr, "iperf-like: bad value '%s' for %s\n", optarg, bad);
			return 2;
		}
	}
	if (o.poll_loop && !o.async) {
		fprintf(stderr, "iperf-like: --readers poll needs --mode async\n");
		return 2;
	}
	if (o.bytes)
		o.seconds = 3600;
	if (o.only && o.rounds > 1) {
		fprintf(stderr, "iperf-like: --rounds needs both runs (no --only)\n");
		return 2;
	}
	if (pat_make(o.msg)) {
		fprintf(stderr, "iperf-like: no memory for the data pattern\n");
		return 1;
	}

	if (o.only) {
		struct run *r = o.only == 1 ? &sw : &direct;

		if (one_run(r, &o, o.only == 1) < 0)
			return 1;
		if (!o.json)
			summary(r);
		printf("{\"bench\":\"iperf-like\",\"only\":\"%s\",\"mode\":\"%s\",\"pool\":\"%s\","
		       "\"pairs\":%d,\"streams\":%d,\"mtu\":%u,\"tso\":%s,\"gbps\":%.3f,\"cpu_s\":%.3f,"
		       "\"cpu_s_per_gb\":%.3f,\"verified\":%s}\n",
		       r->name, o.async ? "async" : "sync", bench_pool_name(o.pool), o.pairs, o.streams, o.mtu,
		       r->tso == 1 ? "true" : "false", gbps_of(r), r->cpu, cpu_per_gb(r),
		       r->bad ? "false" : "true");
		return r->bad || r->received == 0;
	}
	for (int i = 0; i < o.rounds; i++) {
		/* alternate which path goes first: neither always gets the earlier slot */
		bool sw_first = i % 2 == 0;

		if (one_run(sw_first ? &sw : &direct, &o, sw_first) < 0 ||
		    one_run(sw_first ? &direct : &sw, &o, !sw_first) < 0)
			return 1;
		total_add(&tsw, &sw);
		total_add(&tdir, &direct);
		ratio[i] = tsw.gbps[i] / tdir.gbps[i];
		cpu_ratio[i] = tdir.cpu_gb[i] > 0 ? tsw.cpu_gb[i] / tdir.cpu_gb[i] : 0;
		if (o.json)
			continue;
		summary(&sw);
		summary(&direct);
		if (o.rounds > 1)
			printf("round %d/%d (%s first): switch %.2f Gbit/s, direct %.2f Gbit/s, "
			       "switch / direct = %.2f; CPU per byte, switch / direct = %.2f\n", i + 1,
			       o.rounds, sw_first ? "switch" : "direct", tsw.gbps[i], tdir.gbps[i],
			       ratio[i], cpu_ratio[i]);
	}
	g_sw = bench_median(tsw.gbps, o.rounds);
	g_d = bench_median(tdir.gbps, o.rounds);
	ratio_med = bench_median(ratio, o.rounds);
	cpu_med = bench_median(cpu_ratio, o.rounds);
	if (!o.json) {
		if (o.rounds > 1)
			printf("median of %d rounds: switch %.2f Gbit/s, direct %.2f Gbit/s\n", o.rounds,
			       g_sw, g_d);
		printf("switch / direct = %.2f  (%s%s mode, %s, %s pool, %d pair(s) x %d stream(s), "
		       "MTU %u, %s lwIP, checksums %s on the switch, %s on the wire, TSO %s)\n",
		       ratio_med, o.rounds > 1 ? "median of the rounds' ratios; " : "",
		       o.async ? "async" : "sync", o.hub ? "hub" : "learning",
		       bench_pool_name(o.pool), o.pairs,
		       o.streams, o.mtu, sw.build == VNETIF_LWIP_BUILD_TUNED ? "tuned" : "debian",
		       sw.csum ? "on" : "off", direct.csum ? "on" : "off", sw.tso == 1 ? "on" : "off");
		printf("CPU per byte: switch %.2f s/GB, direct %.2f s/GB, switch / direct = %.2f "
		       "(%sabove 1: the switch path costs more CPU per byte)\n",
		       bench_median(tsw.cpu_gb, o.rounds), bench_median(tdir.cpu_gb, o.rounds), cpu_med,
		       o.rounds > 1 ? "medians; " : "");
		if (o.impair)
			printf("switch path and direct wire impaired: %s\n", o.impair);
		if (o.pings)
			printf("ping (%d%s): switch p50 %.0f us p99 %.0f us; direct p50 %.0f us p99 %.0f us\n",
			       o.pings, o.rounds > 1 ? " per round; p50 median, p99 worst" : "",
			       bench_median(tsw.p50, o.rounds), tsw.p99, bench_median(tdir.p50, o.rounds), tdir.p99);
	}
	for (int i = 0, at = 0, ac = 0; i < o.rounds; i++) {
		at += snprintf(ratio_list + at, sizeof(ratio_list) - (size_t)at, "%s%.3f", i ? "," : "",
			       ratio[i]);
		ac += snprintf(cpu_list + ac, sizeof(cpu_list) - (size_t)ac, "%s%.3f", i ? "," : "",
			       cpu_ratio[i]);
	}
	printf("{\"bench\":\"iperf-like\",\"impair\":\"%s\",\"mode\":\"%s\",\"fwd\":\"%s\",\"readers\":\"%s\","
	       "\"pool\":\"%s\",\"pairs\":%d,\"streams\":%d,\"mtu\":%u,\"msg\":%zu,\"lwip\":\"%s\",\"tso\":%s,"
	       "\"switch\":{\"seconds\":%.3f,\"bytes\":%llu,\"all_bytes\":%llu,\"gbps\":%.3f,\"drops\":%llu,\"verified\":%s,"
	       "\"checksums\":%s,\"ping_p50_us\":%.1f,\"ping_p99_us\":%.1f,\"cpu_s_per_gb\":%.3f},"
	       "\"direct\":{\"seconds\":%.3f,\"bytes\":%llu,\"all_bytes\":%llu,\"gbps\":%.3f,\"drops\":%llu,\"verified\":%s,"
	       "\"checksums\":%s,\"ping_p50_us\":%.1f,\"ping_p99_us\":%.1f,\"cpu_s_per_gb\":%.3f},"
	       "\"rounds\":%d,\"ratios\":[%s],\"ratio\":%.3f,\"cpu_ratios\":[%s],\"cpu_ratio\":%.3f}\n",
	       o.impair ? o.impair : "", o.async ? "async" : "sync", o.hub ? "hub" : "learning",
	       o.poll_loop ? "poll" : "threads", bench_pool_name(o.pool),
	       o.pairs, o.streams, o.mtu, o.msg, sw.build == VNETIF_LWIP_BUILD_TUNED ? "tuned" : "debian",
	       sw.tso == 1 ? "true" : "false",
	       tsw.seconds, (unsigned long long)tsw.bytes, (unsigned long long)tsw.all_bytes, g_sw,
	       (unsigned long long)tsw.drops, tsw.bad ? "false" : "true", sw.csum ? "true" : "false",
	       bench_median(tsw.p50, o.rounds), tsw.p99, bench_median(tsw.cpu_gb, o.rounds), tdir.seconds,
	       (unsigned long long)tdir.bytes, (unsigned long long)tdir.all_bytes, g_d,
	       (unsigned long long)tdir.drops, tdir.bad ? "false" : "true",
	       direct.csum ? "true" : "false", bench_median(tdir.p50, o.rounds), tdir.p99,
	       bench_median(tdir.cpu_gb, o.rounds), o.rounds, ratio_list, ratio_med, cpu_list, cpu_med);
	return tsw.bad || tdir.bad ? 1 : 0;
}
