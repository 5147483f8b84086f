/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: switch ingress against a reference model.
 *
 * The first two bytes choose the switch (sync/async delivery, learning/hub, drop/
 * back-pressure, max_ports 2..6, default MTU); the rest is a program of operations:
 * connect (own or chosen MAC, MTU), disconnect, write, writev (1..64 pieces, empty
 * pieces, bad vectors; or the same vector through vnetif_gatherv(), the frame then sent
 * with vnetif_tx_burst() or freed unsent), tx_burst of chained mbufs (the header may be split across
 * segments), rx_burst, vnetif_poll, vnetif_switch_poll, listeners (borrowing or
 * mbuf-taking) that reply from inside and try a forbidden disconnect, MTU changes,
 * counter resets, and holding most of the pool (so writes meet an empty pool).
 *
 * Everything runs in one thread, so the outcome is fully determined. After every
 * operation the harness compares, exactly, the library with a model written from
 * include/vnetif.h: the return code, which port received which frame (length and
 * content hash, in order, per port), every counter of every port, the switch's
 * counters (ports, fdb entries/learned/moved/full, drops) and the mbufs in use. Any
 * difference prints the operation and the two views and aborts (a finding).
 *
 * Where the model follows the implementation rather than a promise of the header, it
 * says so: the grouping of a burst into runs of one destination (it fixes the order in
 * which listeners of different ports run, hence the order of their replies), and
 * replies of sync listeners waiting until the outermost call has delivered its whole
 * burst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz/fuzz_input.h"
#include "fuzz/vnetif_fuzz.h"
#include "vnetif.h"

/*
 * Defects this target found or was written against stay in its corpus:
 * corpus/fuzz_switch/known_burst_learn_order ([a->H, H->b] in one tx_burst once dropped
 * the first frame as tx_drop_own_port), the {NULL, 0} writev piece (memcpy(NULL),
 * UBSan) and the first disconnect that deletes no table entry (memmove(NULL), UBSan;
 * tests/test_regress.c).
 */
#define SLOTS 6          /* harness port slots (max_ports is 2..SLOTS) */
#define RING 64          /* every port's ring */
#define CHUNK 64         /* frames the switch routes per pass (VNETIF_CHUNK) */
#define POOL_SIZE 4095   /* more than rings + re-entry queue + a burst can hold */
#define ROOM 2048        /* data room of a pool mbuf */
#define MAX_OPS 256
#define MAX_FRAMES 8192  /* model frame objects alive at once */
#define LOG_MAX 32768    /* deliveries logged per operation */
#define BP_RETRIES 2
#define FRAME_MAX (VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN + 64)

static struct rte_mempool *pool;

/* ---- MACs the program names by index --------------------------------------------- */

#define NMACS 20

static void fixed_mac(unsigned i, uint8_t *mac)
{
	static const uint8_t t[][6] = {
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, /* 6: broadcast */
		{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, /* 7: IPv4 multicast */
		{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* 8: zero */
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, /* 9: IPv6 multicast */
	};

	if (i < 10) {
		memcpy(mac, t[i - 6], 6);
	} else if (i < 16) { /* 10..15: foreign unicast */
		const uint8_t f[6] = {0x02, 0xaa, 0, 0, 0, (uint8_t)(i - 10)};
		memcpy(mac, f, 6);
	} else { /* 16..19: what the 1st..4th automatic MAC will be */
		const uint8_t a[6] = {0x02, 0x50, 0, 0, 0, (uint8_t)(i - 15)};
		memcpy(mac, a, 6);
	}
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, 6) == 0;
}

static uint64_t mac_key(const uint8_t *m)
{
	uint64_t k = 0;
	memcpy(&k, m, 6);
	return k;
}

static bool mac_multicast(const uint8_t *m)
{
	return m[0] & 1;
}

static bool mac_zero(const uint8_t *m)
{
	static const uint8_t z[6];
	return memcmp(m, z, 6) == 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV0 0xcbf29ce484222325ull

/* ---- the model --------------------------------------------------------------------- */

struct mframe {
	uint32_t len;
	uint64_t hash;
	uint32_t first;  /* bytes in its first segment */
	uint16_t segs;
	int refs;        /* ring entries holding it */
	uint8_t dst[6], src[6];
	uint8_t b14, b15; /* the reply program (0 if the frame is shorter) */
};

/* counters; drops from ST_OVERSIZE on */
enum { ST_TX_PACKETS, ST_TX_BYTES, ST_RX_PACKETS, ST_RX_BYTES, ST_TX_FLOODED,
       ST_LEARN_LIMITED, ST_MOVED_IN, ST_OVERSIZE, ST_RUNT, ST_BAD_SRC, ST_NO_ROUTE,
       ST_OWN_PORT, ST_POOL_EMPTY, ST_REENTRY, ST_RING_FULL, ST_DISCONNECTED, ST_MAC_LOCK,
       ST_N };

enum { L_NONE, L_COPY, L_MBUF };

struct mport {
	bool used;      /* the slot has a handle */
	bool connected;
	bool gone;      /* disconnected and its switch slot reused: the handle is dead */
	int lib_idx;    /* slot in the switch's port table */
	uint8_t mac[6];
	unsigned mtu;
	int listener;   /* L_* */
	bool lock;      /* port security */
	unsigned max_learned, nallowed;
	uint64_t allowed[VNETIF_PORT_ALLOWED_MAX];
	uint64_t st[ST_N];
	int ring[RING]; /* frame ids */
	unsigned rhead, rcount;
};

struct fdb_entry {
	uint64_t key;
	int slot; /* harness slot of the port it is learned on */
};

struct event {
	uint8_t slot;
	uint32_t len;
	uint64_t hash;
};

struct deferred {
	int slot;
	int frame;
};

struct model {
	bool async, hub, bp;
	unsigned max_ports, default_mtu;
	struct mport port[SLOTS];
	int lib_slot[SLOTS];  /* lib idx -> harness slot, -1 free */
	int free_fifo[SLOTS]; /* the switch's free slots, least recently freed first */
	unsigned nfree_slots;
	unsigned nports;
	uint32_t next_gen;
	struct fdb_entry fdb[1024];
	unsigned nfdb;
	uint64_t learned, moved;
	uint64_t retired_drops; /* drops of ports whose harness slot was reused */
	unsigned hog;
	unsigned ring_mbufs;    /* mbufs of the frames on rings */
	struct mframe frame[MAX_FRAMES];
	int free_frames[MAX_FRAMES];
	unsigned nfree;
	unsigned depth;         /* sync listeners running */
	bool have_queue;        /* an outermost sync call owns the re-entry queue */
	struct deferred q[VNETIF_REENTRY_DEPTH];
	unsigned qhead, qtail;
	struct event log[LOG_MAX];
	unsigned nlog;
};

/* ---- the harness (the library's side) ----------------------------------------------- */

struct harness {
	vnetif_switch *sw;
	vnetif_port *port[SLOTS];
	struct rte_mbuf *hog[POOL_SIZE];
	unsigned nhog;
	struct event log[LOG_MAX];
	unsigned nlog;
	int listener_errors;
	char why[256];
};

static struct model M;
static struct harness H;
static uint8_t flat[FRAME_MAX];

static _Noreturn void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static unsigned op_index;
static const char *op_name = "setup";
static bool trace; /* FUZZ_SWITCH_TRACE=1: print each operation and the model's view */

static _Noreturn void finding(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_switch: model and library disagree at op %u (%s): ", op_index,
		op_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  switch: %s, %s, %s, max_ports %u, default mtu %u\n",
		M.async ? "async" : "sync", M.hub ? "hub" : "learning",
		M.bp ? "backpressure" : "drop", M.max_ports, M.default_mtu);
	abort();
}

static void model_log(int slot, const struct mframe *f)
{
	if (M.nlog == LOG_MAX)
		finding("model log overflow");
	M.log[M.nlog++] = (struct event){(uint8_t)slot, f->len, f->hash};
}

static int frame_new(void)
{
	if (M.nfree == 0)
		finding("model out of frame objects");
	int id = M.free_frames[--M.nfree];
	memset(&M.frame[id], 0, sizeof(M.frame[id]));
	return id;
}

static void frame_put(int id)
{
	if (M.frame[id].refs == 0)
		M.free_frames[M.nfree++] = id;
}

/* A frame as the model sees it, from its bytes. */
static int frame_from(const uint8_t *b, uint32_t len, uint32_t first, uint16_t segs)
{
	int id = frame_new();
	struct mframe *f = &M.frame[id];

	f->len = len;
	f->hash = fnv(FNV0, b, len);
	f->segs = segs;
	f->first = first;
	if (len >= 12) {
		memcpy(f->dst, b, 6);
		memcpy(f->src, b + 6, 6);
	}
	if (len >= 16) {
		f->b14 = b[14];
		f->b15 = b[15];
	}
	return id;
}

static unsigned model_in_use(void)
{
	return M.hog + M.ring_mbufs;
}

/* A ring of @slot takes frame @id / gives back its oldest frame. */
static void ring_push(struct mport *p, int id)
{
	p->ring[(p->rhead + p->rcount++) % RING] = id;
	if (M.frame[id].refs++ == 0)
		M.ring_mbufs += M.frame[id].segs;
}

static int ring_pop(struct mport *p)
{
	int id = p->ring[p->rhead];

	p->rhead = (p->rhead + 1) % RING;
	p->rcount--;
	if (--M.frame[id].refs == 0)
		M.ring_mbufs -= M.frame[id].segs;
	return id;
}

static int fdb_find(uint64_t key)
{
	for (unsigned i = 0; i < M.nfdb; i++)
		if (M.fdb[i].key == key)
			return (int)i;
	return -1;
}

static unsigned fdb_count(int slot)
{
	unsigned n = 0;

	for (unsigned i = 0; i < M.nfdb; i++)
		n += M.fdb[i].slot == slot;
	return n;
}

/* Learn @key on @slot; 1 if it moved there, -1 if the port's limit refused it. */
static int fdb_learn(uint64_t key, int slot, unsigned limit)
{
	int i = fdb_find(key);

	if (i >= 0 && M.fdb[i].slot == slot)
		return 0;
	if (limit && fdb_count(slot) >= limit)
		return -1;
	if (i >= 0) {
		M.fdb[i].slot = slot;
		M.moved++;
		return 1;
	}
	if (M.nfdb == RTE_DIM(M.fdb))
		finding("model fdb overflow");
	M.fdb[M.nfdb++] = (struct fdb_entry){key, slot};
	M.learned++;
	return 0;
}

static void model_learn(int src, const struct mframe *f)
{
	struct mport *s = &M.port[src];
	int r = fdb_learn(mac_key(f->src), src, s->max_learned);

	if (r > 0)
		s->st[ST_MOVED_IN]++;
	else if (r < 0)
		s->st[ST_LEARN_LIMITED]++;
}

static bool model_lock_allows(const struct mport *p, const uint8_t *src)
{
	if (!p->lock || mac_eq(src, p->mac))
		return true;
	for (unsigned i = 0; i < p->nallowed; i++)
		if (p->allowed[i] == mac_key(src))
			return true;
	return false;
}

static void fdb_forget(int slot)
{
	unsigned k = 0;

	for (unsigned i = 0; i < M.nfdb; i++)
		if (M.fdb[i].slot != slot)
			M.fdb[k++] = M.fdb[i];
	M.nfdb = k;
}

/* The reply a listener writes for a frame (shared by the harness and the model). */
#define REPLY_LEN 60
static bool reply_wanted(uint32_t len, uint8_t b14)
{
	return len >= 16 && (b14 & 1);
}

static unsigned reply_count(uint8_t b15)
{
	return b15 & 0x10 ? 2 : 1;
}

static void reply_build(uint8_t *r, const uint8_t *to, const uint8_t *own, uint8_t b15,
			uint64_t hash, unsigned k)
{
	memcpy(r, to, 6);
	if (b15 & 1)
		memcpy(r + 6, own, 6);
	else
		fixed_mac(10 + (b15 >> 1) % 6, r + 6);
	r[12] = 0x88;
	r[13] = 0xb5;
	r[14] = 0; /* replies are not answered */
	r[15] = 0;
	for (unsigned i = 16; i < REPLY_LEN; i++)
		r[i] = (uint8_t)(hash >> (i % 8 * 8)) ^ (uint8_t)(i + k);
}

static void model_forward(int src, const int *frames, unsigned n);

static void model_deliver(int dst, int id);

/* A listener of @slot got frame @id: the model of what the harness listener does. */
static void model_listener(int slot, int id)
{
	const struct mframe *f = &M.frame[id];
	uint8_t r[REPLY_LEN];

	model_log(slot, f);
	if (!reply_wanted(f->len, f->b14) || M.hog > 0)
		return;
	for (unsigned k = 0; k < reply_count(f->b15); k++) {
		reply_build(r, f->src, M.port[slot].mac, f->b15, f->hash, k);
		int rid = frame_from(r, REPLY_LEN, REPLY_LEN, 1);
		model_forward(slot, &rid, 1);
	}
}

static void model_deliver(int dst, int id)
{
	struct mport *p = &M.port[dst];
	struct mframe *f = &M.frame[id];

	if (!M.async && p->listener != L_NONE) {
		p->st[ST_RX_PACKETS]++;
		p->st[ST_RX_BYTES] += f->len;
		M.depth++;
		model_listener(dst, id);
		M.depth--;
		return;
	}
	if (p->rcount == RING) {
		p->st[ST_RING_FULL]++;
		return;
	}
	ring_push(p, id);
	p->st[ST_RX_PACKETS]++;
	p->st[ST_RX_BYTES] += f->len;
}

#define R_FLOOD (-1)
#define R_OWN (-2)
#define R_LOCK (-3)

static int model_route(int src, const struct mframe *f)
{
	if (M.hub || mac_multicast(f->dst))
		return R_FLOOD;
	int i = fdb_find(mac_key(f->dst));
	if (i < 0)
		return R_FLOOD;
	return M.fdb[i].slot == src ? R_OWN : M.fdb[i].slot;
}

/* Route and deliver up to CHUNK frames, grouped in runs of one destination. */
static void model_chunk(int src, const int *frames, unsigned n)
{
	struct mport *s = &M.port[src];
	int ok[CHUNK], route[CHUNK];
	unsigned nok = 0;

	for (unsigned i = 0; i < n; i++) {
		struct mframe *f = &M.frame[frames[i]];

		if (f->len > s->mtu + VNETIF_ETHER_HDR_LEN)
			s->st[ST_OVERSIZE]++;
		else if (f->first < VNETIF_ETHER_HDR_LEN) /* header not in the first segment */
			s->st[ST_RUNT]++;
		else if (mac_multicast(f->src) || mac_zero(f->src))
			s->st[ST_BAD_SRC]++;
		else {
			ok[nok++] = frames[i];
			s->st[ST_TX_PACKETS]++;
			s->st[ST_TX_BYTES] += f->len;
			continue;
		}
		frame_put(frames[i]);
	}
	for (unsigned i = 0; i < nok; i++) {
		if (!model_lock_allows(s, M.frame[ok[i]].src)) {
			route[i] = R_LOCK; /* port security: not shown to the policy */
			continue;
		}
		if (!M.hub)
			model_learn(src, &M.frame[ok[i]]);
		route[i] = model_route(src, &M.frame[ok[i]]);
	}
	for (unsigned start = 0; start < nok;) {
		unsigned end = start + 1;

		while (end < nok && route[end] == route[start])
			end++;
		if (route[start] == R_LOCK) {
			s->st[ST_MAC_LOCK] += end - start;
		} else if (route[start] == R_OWN) {
			s->st[ST_OWN_PORT] += end - start;
		} else if (route[start] >= 0) {
			for (unsigned i = start; i < end; i++)
				model_deliver(route[start], ok[i]);
		} else {
			int dsts[SLOTS], nd = 0;

			for (unsigned l = 0; l < M.max_ports; l++)
				if (M.lib_slot[l] >= 0 && M.lib_slot[l] != src)
					dsts[nd++] = M.lib_slot[l];
			if (nd == 0)
				s->st[ST_NO_ROUTE] += end - start;
			else
				s->st[ST_TX_FLOODED] += end - start;
			for (int d = 0; d < nd; d++)
				for (unsigned i = start; i < end; i++)
					model_deliver(dsts[d], ok[i]);
		}
		for (unsigned i = start; i < end; i++)
			frame_put(ok[i]);
		start = end;
	}
}

static void model_drain(void)
{
	while (M.qhead != M.qtail) {
		int src = M.q[M.qhead % VNETIF_REENTRY_DEPTH].slot, run[CHUNK];
		unsigned n = 0;

		while (M.qhead != M.qtail && n < CHUNK && M.q[M.qhead % VNETIF_REENTRY_DEPTH].slot == src)
			run[n++] = M.q[M.qhead++ % VNETIF_REENTRY_DEPTH].frame;
		model_chunk(src, run, n);
	}
}

/* vnetif_tx_burst() of frames already built (the model's half). */
static void model_forward(int src, const int *frames, unsigned n)
{
	bool outermost = !M.async && !M.have_queue;

	if (outermost) {
		M.have_queue = true;
		M.qhead = M.qtail = 0;
	}
	if (M.depth > 0) {
		for (unsigned i = 0; i < n; i++) {
			if (M.qtail - M.qhead == VNETIF_REENTRY_DEPTH) {
				M.port[src].st[ST_REENTRY]++;
				frame_put(frames[i]);
				continue;
			}
			M.q[M.qtail++ % VNETIF_REENTRY_DEPTH] = (struct deferred){src, frames[i]};
		}
	} else {
		for (unsigned off = 0; off < n; off += CHUNK)
			model_chunk(src, frames + off, n - off < CHUNK ? n - off : CHUNK);
	}
	if (outermost) {
		model_drain();
		M.have_queue = false;
	}
}

static unsigned model_poll(int slot, unsigned budget)
{
	struct mport *p = &M.port[slot];
	unsigned done = 0;

	while (done < budget) {
		unsigned k = budget - done < 32 ? budget - done : 32, batch[32];

		if (k > p->rcount)
			k = p->rcount;
		if (k == 0)
			break;
		for (unsigned i = 0; i < k; i++)
			batch[i] = (unsigned)ring_pop(p);
		for (unsigned i = 0; i < k; i++) {
			model_listener(slot, (int)batch[i]);
			frame_put((int)batch[i]);
		}
		done += k;
	}
	return done;
}

/* ---- the harness listeners --------------------------------------------------------- */

static int slot_of(const vnetif_port *p)
{
	for (int s = 0; s < SLOTS; s++)
		if (H.port[s] == p)
			return s;
	return -1;
}

static void harness_log(int slot, const uint8_t *b, uint32_t len)
{
	if (H.nlog == LOG_MAX)
		finding("harness log overflow");
	H.log[H.nlog++] = (struct event){(uint8_t)slot, len, fnv(FNV0, b, len)};
}

static void harness_listener_common(vnetif_port *port, const uint8_t *b, uint32_t len, bool mbuf)
{
	int slot = slot_of(port);
	uint8_t r[REPLY_LEN], own[6], from[6];
	uint8_t b14 = len >= 16 ? b[14] : 0, b15 = len >= 16 ? b[15] : 0;
	uint64_t hash = fnv(FNV0, b, len);

	if (slot < 0) {
		H.listener_errors++;
		return;
	}
	/* @b may be overwritten by a listener our replies run: copy what we need */
	memcpy(from, b + 6, 6);
	harness_log(slot, b, len);
	if ((b14 & 2) && vnetif_disconnect(port, 0) != -EDEADLK)
		H.listener_errors++; /* a listener must not be able to disconnect */
	if (!reply_wanted(len, b14) || H.nhog > 0)
		return;
	if (vnetif_mac(port, own) != 0) {
		H.listener_errors++;
		return;
	}
	for (unsigned k = 0; k < reply_count(b15); k++) {
		reply_build(r, from, own, b15, hash, k);
		if (!mbuf) {
			if (vnetif_write(port, r, REPLY_LEN) != 0)
				H.listener_errors++;
			continue;
		}
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		if (m == NULL) {
			H.listener_errors++;
			continue;
		}
		memcpy(rte_pktmbuf_append(m, REPLY_LEN), r, REPLY_LEN);
		if (vnetif_tx_burst(port, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			H.listener_errors++;
		}
	}
}

static void copy_listener(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	(void)arg;
	harness_listener_common(port, frame, (uint32_t)len, false);
}

static void mbuf_listener(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	(void)arg;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = pkts[i]->pkt_len;
		const uint8_t *b = rte_pktmbuf_read(pkts[i], 0, len, flat);

		/* flat is shared: a reply re-enters only in async mode, where it is not reused */
		harness_listener_common(port, b, len, true);
		rte_pktmbuf_free(pkts[i]);
	}
}

static void harness_rx(int slot, struct rte_mbuf **pkts, int n)
{
	for (int i = 0; i < n; i++) {
		const uint8_t *b = rte_pktmbuf_read(pkts[i], 0, pkts[i]->pkt_len, flat);

		harness_log(slot, b, pkts[i]->pkt_len);
		rte_pktmbuf_free(pkts[i]);
	}
}

/* ---- comparing --------------------------------------------------------------------- */

static void expect_rc(const char *what, int got, int want)
{
	if (got != want)
		finding("%s returned %d (%s), model says %d (%s)", what, got, vnetif_strerror(got),
			want, vnetif_strerror(want));
}

static const char *const stat_name[ST_N] = {
	"tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "tx_flooded", "tx_learn_limited",
	"macs_moved_in", "tx_drop_oversize", "tx_drop_runt", "tx_drop_bad_src",
	"tx_drop_no_route", "tx_drop_own_port", "tx_drop_pool_empty", "tx_drop_reentry",
	"rx_drop_ring_full", "rx_drop_disconnected", "tx_drop_mac_lock"};

static void stats_array(const struct vnetif_stats *s, uint64_t *a)
{
	const uint64_t v[ST_N] = {s->tx_packets, s->tx_bytes, s->rx_packets, s->rx_bytes,
				  s->tx_flooded, s->tx_learn_limited, s->macs_moved_in,
				  s->tx_drop_oversize, s->tx_drop_runt, s->tx_drop_bad_src,
				  s->tx_drop_no_route, s->tx_drop_own_port, s->tx_drop_pool_empty,
				  s->tx_drop_reentry, s->rx_drop_ring_full, s->rx_drop_disconnected,
				  s->tx_drop_mac_lock};
	memcpy(a, v, sizeof(v));
}

static uint64_t drops_of(const uint64_t *st)
{
	uint64_t d = 0;
	for (int i = ST_OVERSIZE; i < ST_N; i++)
		d += st[i];
	return d;
}

static void compare(void)
{
	struct vnetif_switch_stats ss;
	uint64_t drops = M.retired_drops;

	if (H.listener_errors)
		finding("a listener saw an unexpected result (%d)", H.listener_errors);
	for (int s = 0; s < SLOTS; s++) {
		unsigned ia = 0, im = 0;

		for (;;) {
			while (ia < H.nlog && H.log[ia].slot != s)
				ia++;
			while (im < M.nlog && M.log[im].slot != s)
				im++;
			if (ia == H.nlog && im == M.nlog)
				break;
			if (ia == H.nlog || im == M.nlog)
				finding("slot %d: library delivered %s frames than the model", s,
					ia == H.nlog ? "fewer" : "more");
			if (H.log[ia].len != M.log[im].len || H.log[ia].hash != M.log[im].hash)
				finding("slot %d: library delivered len %u hash %016llx, model len %u "
					"hash %016llx", s, H.log[ia].len,
					(unsigned long long)H.log[ia].hash, M.log[im].len,
					(unsigned long long)M.log[im].hash);
			ia++;
			im++;
		}
	}
	if (trace) {
		fprintf(stderr, "op %u %s: %u deliveries; ports %u fdb %u in_use %u |", op_index,
			op_name, M.nlog, M.nports, M.nfdb, model_in_use());
		for (int s = 0; s < SLOTS; s++)
			if (M.port[s].used)
				fprintf(stderr, " %d%s:tx%llu rx%llu fl%llu dr%llu", s,
					M.port[s].connected ? "" : "(gone)",
					(unsigned long long)M.port[s].st[ST_TX_PACKETS],
					(unsigned long long)M.port[s].st[ST_RX_PACKETS],
					(unsigned long long)M.port[s].st[ST_TX_FLOODED],
					(unsigned long long)drops_of(M.port[s].st));
		fprintf(stderr, "\n");
	}
	H.nlog = M.nlog = 0;
	for (int s = 0; s < SLOTS; s++) {
		struct vnetif_stats st;
		uint64_t a[ST_N];

		if (!M.port[s].used)
			continue;
		drops += drops_of(M.port[s].st);
		if (M.port[s].gone) {
			if (vnetif_stats_get(H.port[s], &st) != -ENOTCONN)
				finding("stats_get of a port whose slot was reused is not -ENOTCONN");
			continue;
		}
		if (vnetif_stats_get(H.port[s], &st) != 0)
			finding("stats_get of slot %d failed", s);
		stats_array(&st, a);
		for (int i = 0; i < ST_N; i++)
			if (a[i] != M.port[s].st[i])
				finding("slot %d %s: library %llu, model %llu", s, stat_name[i],
					(unsigned long long)a[i], (unsigned long long)M.port[s].st[i]);
	}
	if (vnetif_switch_stats_get(H.sw, &ss) != 0)
		finding("switch_stats_get failed");
	if (ss.ports != M.nports || ss.fdb_entries != M.nfdb || ss.fdb_learned != M.learned ||
	    ss.fdb_moved != M.moved || ss.fdb_full != 0 || ss.drops != drops ||
	    ss.pool_in_use != model_in_use())
		finding("switch stats: library ports %u fdb %u/%llu/%llu/%llu drops %llu in_use %llu; "
			"model ports %u fdb %u/%llu/%llu/0 drops %llu in_use %u",
			ss.ports, ss.fdb_entries, (unsigned long long)ss.fdb_learned,
			(unsigned long long)ss.fdb_moved, (unsigned long long)ss.fdb_full,
			(unsigned long long)ss.drops, (unsigned long long)ss.pool_in_use, M.nports,
			M.nfdb, (unsigned long long)M.learned, (unsigned long long)M.moved,
			(unsigned long long)drops, model_in_use());
	if (rte_mempool_avail_count(pool) + model_in_use() != POOL_SIZE)
		finding("pool: %u available, model has %u in use", rte_mempool_avail_count(pool),
			model_in_use());
}

/* ---- frames the program describes ---------------------------------------------------- */

static uint32_t rng_state;

static uint8_t rng8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (uint8_t)rng_state;
}

static void mac_of(unsigned i, uint8_t *mac)
{
	i %= NMACS;
	if (i < SLOTS) {
		if (M.port[i].used)
			memcpy(mac, M.port[i].mac, 6);
		else
			fixed_mac(16 + i % 4, mac);
	} else {
		fixed_mac(i, mac);
	}
}

/* Build a frame into @b from the program; its length. @sender: the slot writing it. */
static uint32_t frame_gen(struct input *in, int sender, uint8_t *b)
{
	uint8_t sel = in_u8(in), d = in_u8(in), s = in_u8(in), prog14 = in_u8(in),
		prog15 = in_u8(in);
	unsigned mtu = M.port[sender].used ? M.port[sender].mtu : 1500;
	uint32_t len;

	switch (sel % 8) {
	case 0: len = sel / 8 % 14; break;                      /* too short */
	case 1: len = 14 + sel / 8; break;                      /* small */
	case 2: len = 60; break;
	case 3: len = 14 + in_u16(in) % 1501; break;
	case 4: len = mtu + VNETIF_ETHER_HDR_LEN; break;        /* the largest allowed */
	case 5: len = mtu + VNETIF_ETHER_HDR_LEN + 1; break;    /* one too many */
	case 6: len = ROOM - 8 + sel / 8 % 16; break;           /* around one mbuf */
	default: len = 14 + in_u16(in) % (VNETIF_MTU_MAX + 2); break;
	}
	if (len > FRAME_MAX)
		len = FRAME_MAX;
	uint8_t hdr[16];
	mac_of(d, hdr);
	mac_of(s < 128 ? (unsigned)sender : s, hdr + 6); /* half the time, its own MAC */
	hdr[12] = 0x88;
	hdr[13] = 0xb5;
	hdr[14] = prog14;
	hdr[15] = prog15;
	rng_state = (uint32_t)(len * 2654435761u) ^ (uint32_t)(prog14 << 8 | prog15) ^ 0x9e3779b9u;
	memcpy(b, hdr, len < 16 ? len : 16);
	for (uint32_t i = 16; i < len; i++)
		b[i] = rng8();
	return len;
}

/* ---- operations ---------------------------------------------------------------------- */

static int pick_slot(struct input *in)
{
	return in_u8(in) % SLOTS;
}

static void op_connect(struct input *in)
{
	uint8_t mb = in_u8(in), mtub = in_u8(in);
	struct vnetif_port_config pc;
	unsigned mtus[] = {0, 0, 0, 68, 1500, 9000, 9600, 67, 9601, 576};
	int slot = -1, want, rc;
	vnetif_port *p = NULL;

	memset(&pc, 0, sizeof(pc));
	if (mb >= 128)
		mac_of(mb, pc.mac);
	pc.mtu = mtus[mtub % RTE_DIM(mtus)];
	for (int s = 0; s < SLOTS && slot < 0; s++)
		if (!M.port[s].connected)
			slot = s;
	rc = vnetif_connect(H.sw, &pc, &p);

	unsigned mtu = pc.mtu ? pc.mtu : M.default_mtu;
	bool in_use = false;
	for (int s = 0; s < SLOTS; s++)
		if (M.port[s].connected && mac_eq(M.port[s].mac, pc.mac))
			in_use = true;
	if (mtu < VNETIF_MTU_MIN || mtu > VNETIF_MTU_MAX || (!mac_zero(pc.mac) && mac_multicast(pc.mac)))
		want = -EINVAL;
	else if (M.nports >= M.max_ports)
		want = -ENOSPC;
	else if (!mac_zero(pc.mac) && in_use)
		want = -EADDRINUSE;
	else
		want = 0;
	expect_rc("connect", rc, want);
	if (rc != 0)
		return;
	if (slot < 0)
		finding("connect succeeded beyond %d ports", SLOTS);
	struct mport *mp = &M.port[slot];
	if (mp->used)
		M.retired_drops += drops_of(mp->st);
	memset(mp, 0, sizeof(*mp));
	mp->used = mp->connected = true;
	mp->mtu = mtu;
	uint32_t gen = ++M.next_gen;
	if (mac_zero(pc.mac)) {
		for (;;) {
			const uint8_t a[6] = {0x02, 0x50, 0, (uint8_t)(gen >> 16), (uint8_t)(gen >> 8),
					      (uint8_t)gen};
			bool used = false;
			for (int s = 0; s < SLOTS; s++)
				if (s != slot && M.port[s].connected && mac_eq(M.port[s].mac, a))
					used = true;
			if (!used) {
				memcpy(mp->mac, a, 6);
				break;
			}
			gen = ++M.next_gen;
		}
	} else {
		memcpy(mp->mac, pc.mac, 6);
	}
	uint8_t got[6];
	if (vnetif_mac(p, got) != 0 || !mac_eq(got, mp->mac))
		finding("connect gave MAC %02x:%02x:%02x:%02x:%02x:%02x, model %02x:..:%02x",
			got[0], got[1], got[2], got[3], got[4], got[5], mp->mac[0], mp->mac[5]);
	int l = M.free_fifo[0];
	memmove(M.free_fifo, M.free_fifo + 1, --M.nfree_slots * sizeof(int));
	for (int o = 0; o < SLOTS; o++) /* the port that had this switch slot is gone */
		if (o != slot && M.port[o].used && !M.port[o].connected && M.port[o].lib_idx == l)
			M.port[o].gone = true;
	M.lib_slot[l] = slot;
	mp->lib_idx = l;
	M.nports++;
	if (!M.hub)
		fdb_learn(mac_key(mp->mac), slot, 0);
	H.port[slot] = p;
}

static void op_disconnect(struct input *in)
{
	int slot = pick_slot(in);
	struct mport *p = &M.port[slot];
	unsigned flush = 0;
	int rc;

	if (!p->used)
		return;
	if (in_u8(in) & 1 && p->rcount == 0)
		flush = 1; /* nothing to wait for: no reader runs here */
	rc = vnetif_disconnect(H.port[slot], flush);
	expect_rc("disconnect", rc, p->connected ? 0 : -ENOTCONN);
	if (rc != 0)
		return;
	p->connected = false;
	M.lib_slot[p->lib_idx] = -1;
	M.free_fifo[M.nfree_slots++] = p->lib_idx;
	M.nports--;
	fdb_forget(slot);
	while (p->rcount > 0) {
		p->st[ST_DISCONNECTED]++;
		frame_put(ring_pop(p));
	}
}

/* The mbufs a copying call builds a frame of @len bytes in. */
static uint16_t model_segs(uint32_t len)
{
	return (uint16_t)((len + ROOM - 1) / ROOM);
}

/* The model's vnetif_gatherv() once the vector is valid: the expected return (a frame
 * built is not counted until it is sent). */
static int model_gather(int slot, uint32_t len)
{
	struct mport *p = &M.port[slot];
	uint16_t segs = model_segs(len);

	if (!p->connected)
		return -ENOTCONN;
	if (len < VNETIF_ETHER_HDR_LEN)
		return -EINVAL;
	if (len > p->mtu + VNETIF_ETHER_HDR_LEN) {
		p->st[ST_OVERSIZE]++;
		return -EMSGSIZE;
	}
	if (model_in_use() + segs > POOL_SIZE) {
		p->st[ST_POOL_EMPTY]++;
		return -ENOBUFS;
	}
	return 0;
}

/* The model's vnetif_writev() once the vector is valid: gatherv, then the frame sent. */
static int model_write(int slot, const uint8_t *b, uint32_t len)
{
	int rc = model_gather(slot, len);

	if (rc == 0) {
		int id = frame_from(b, len, len < ROOM ? len : ROOM, model_segs(len));

		model_forward(slot, &id, 1);
	}
	return rc;
}

static uint8_t frame_buf[FRAME_MAX];

static void op_write(struct input *in)
{
	int slot = pick_slot(in);
	uint32_t len;
	int rc;

	if (!M.port[slot].used)
		return;
	len = frame_gen(in, slot, frame_buf);
	rc = vnetif_write(H.port[slot], frame_buf, len);
	expect_rc("write", rc, model_write(slot, frame_buf, len));
}

static void op_writev(struct input *in)
{
	int slot = pick_slot(in);
	uint8_t cnt = in_u8(in), cuts = in_u8(in), bad = in_u8(in);
	struct iovec iov[66];
	static uint8_t nonnull;
	int n = cnt % 66, rc, want;
	uint32_t len, off = 0;

	if (!M.port[slot].used)
		return;
	len = frame_gen(in, slot, frame_buf);
	/* n pieces: the first n-1 take a length from the program, the last the rest */
	for (int i = 0; i < n; i++) {
		uint32_t take = i == n - 1 ? len - off : (uint32_t)((cuts * (i + 7)) % 23);

		if (take > len - off)
			take = len - off;
		iov[i].iov_base = take ? frame_buf + off : &nonnull;
		if (take == 0 && (bad & 2))
			iov[i].iov_base = NULL;
		iov[i].iov_len = take;
		off += take;
	}
	want = 1;
	if (n < 1 || n > 64) {
		want = -EINVAL;
	} else if (bad % 16 == 1 && len > 0) { /* a piece with bytes and no base */
		iov[n - 1].iov_base = NULL;
		if (iov[n - 1].iov_len == 0)
			iov[n - 1].iov_len = 1;
		want = -EINVAL;
	}
	if (bad & 0x10) { /* the same frame by vnetif_gatherv(), then sent, or freed unsent */
		struct rte_mbuf *m = NULL;
		bool send = !(bad & 0x20);

		rc = vnetif_gatherv(H.port[slot], iov, n, &m);
		if (rc == 0 && send && vnetif_tx_burst(H.port[slot], &m, 1) != 1)
			rc = -EPROTO; /* a connected port takes the whole burst */
		else if (rc == 0 && !send)
			rte_pktmbuf_free(m);
		if (want == 1)
			want = send ? model_write(slot, frame_buf, len) : model_gather(slot, len);
		expect_rc("gatherv", rc, want);
		return;
	}
	rc = vnetif_writev(H.port[slot], iov, n);
	if (want == 1)
		want = model_write(slot, frame_buf, len);
	expect_rc("writev", rc, want);
}

/* tx_burst of up to 64 frames, each chained from 1..6 mbufs; a first segment shorter
 * than 14 bytes splits the header (a runt by the header's promise). */
static void op_tx_burst(struct input *in)
{
	int slot = pick_slot(in);
	unsigned n = in_u8(in) % 65, built = 0, used = 0;
	struct rte_mbuf *pkts[64];
	int ids[64], rc;

	if (!M.port[slot].used)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint8_t split = in_u8(in);
		uint32_t len = frame_gen(in, slot, frame_buf);
		uint32_t first = split % 4 == 0 ? (uint32_t)split / 4 % 20 : ROOM;
		struct rte_mbuf *segs[8];
		unsigned ns;

		if (first > len)
			first = len;
		ns = 1 + (len - first + ROOM - 1) / ROOM;
		if (model_in_use() + used + ns > POOL_SIZE) { /* the pool has no room: stop */
			if (rte_pktmbuf_alloc_bulk(pool, segs, ns) == 0)
				finding("the pool gave %u mbufs the model says it does not have", ns);
			break;
		}
		if (rte_pktmbuf_alloc_bulk(pool, segs, ns) != 0)
			finding("the pool refused %u mbufs the model says it has", ns);
		uint32_t off = 0;
		for (unsigned s = 0; s < ns; s++) {
			uint32_t take = s == 0 ? first : (len - off < ROOM ? len - off : ROOM);

			memcpy(rte_pktmbuf_append(segs[s], (uint16_t)take), frame_buf + off, take);
			off += take;
			if (s > 0 && rte_pktmbuf_chain(segs[0], segs[s]) != 0)
				finding("rte_pktmbuf_chain failed");
		}
		pkts[built] = segs[0];
		ids[built] = frame_from(frame_buf, len, first, (uint16_t)ns);
		built++;
		used += ns;
	}
	rc = vnetif_tx_burst(H.port[slot], built ? pkts : NULL, (uint16_t)built);
	if (!M.port[slot].connected) {
		expect_rc("tx_burst", rc, -ENOTCONN);
		rte_pktmbuf_free_bulk(pkts, built);
		for (unsigned i = 0; i < built; i++)
			frame_put(ids[i]);
		return;
	}
	expect_rc("tx_burst", rc, (int)built);
	model_forward(slot, ids, built);
}

static void op_rx_burst(struct input *in)
{
	int slot = pick_slot(in);
	unsigned n = in_u8(in) % 80;
	struct rte_mbuf *pkts[80];
	struct mport *p = &M.port[slot];
	int rc;

	if (!p->used)
		return;
	rc = vnetif_rx_burst(H.port[slot], pkts, (uint16_t)n);
	if (!p->connected) {
		expect_rc("rx_burst", rc, -ENOTCONN);
		return;
	}
	unsigned k = n < p->rcount ? n : p->rcount;
	expect_rc("rx_burst", rc, (int)k);
	harness_rx(slot, pkts, rc > 0 ? rc : 0);
	for (unsigned i = 0; i < k; i++) {
		int id = ring_pop(p);

		model_log(slot, &M.frame[id]);
		frame_put(id);
	}
}

static int model_poll_rc(int slot, unsigned budget)
{
	struct mport *p = &M.port[slot];

	if (budget == 0)
		return -EINVAL;
	if (!p->connected)
		return -ENOTCONN;
	if (p->listener == L_NONE)
		return -ENOENT;
	return (int)model_poll(slot, budget);
}

static void op_poll(struct input *in)
{
	int slot = pick_slot(in);
	unsigned budget = in_u8(in) % 100;

	if (!M.port[slot].used)
		return;
	int rc = vnetif_poll(H.port[slot], budget);
	expect_rc("poll", rc, model_poll_rc(slot, budget));
}

static void op_switch_poll(struct input *in)
{
	unsigned budget = in_u8(in) % 100;
	int rc = vnetif_switch_poll(H.sw, budget), want = 0;

	if (budget == 0) {
		want = -EINVAL;
	} else {
		for (unsigned l = 0; l < M.max_ports; l++) {
			int s = M.lib_slot[l];

			if (s >= 0 && M.port[s].listener != L_NONE)
				want += model_poll_rc(s, budget);
		}
	}
	expect_rc("switch_poll", rc, want);
}

static void op_listen(struct input *in)
{
	int slot = pick_slot(in), kind = in_u8(in) % 3, rc;
	struct mport *p = &M.port[slot];

	if (!p->used)
		return;
	if (kind == L_MBUF)
		rc = vnetif_listen_mbuf(H.port[slot], mbuf_listener, NULL);
	else
		rc = vnetif_listen(H.port[slot], kind == L_COPY ? copy_listener : NULL, NULL);
	expect_rc("listen", rc, p->connected ? 0 : -ENOTCONN);
	if (rc == 0)
		p->listener = kind;
}

static void op_set_mtu(struct input *in)
{
	int slot = pick_slot(in);
	unsigned mtu = in_u16(in) % (VNETIF_MTU_MAX + 200);
	struct mport *p = &M.port[slot];
	int want;

	if (!p->used)
		return;
	want = !p->connected ? -ENOTCONN
	       : (mtu < VNETIF_MTU_MIN || mtu > VNETIF_MTU_MAX) ? -EINVAL : 0;
	expect_rc("set_mtu", vnetif_set_mtu(H.port[slot], mtu), want);
	if (want == 0)
		p->mtu = mtu;
	expect_rc("mtu", vnetif_mtu(H.port[slot]), p->connected ? (int)p->mtu : -ENOTCONN);
}

static void op_stats_reset(struct input *in)
{
	int slot = pick_slot(in);

	if (!M.port[slot].used)
		return;
	if (!M.port[slot].connected) { /* a port that left: its counters stay as they were */
		expect_rc("stats_reset", vnetif_stats_reset(H.port[slot]), -ENOTCONN);
		return;
	}
	expect_rc("stats_reset", vnetif_stats_reset(H.port[slot]), 0);
	memset(M.port[slot].st, 0, sizeof(M.port[slot].st));
}

/* Port security: lock (own MAC + up to 3 allowed from the MAC table), learning limit. */
static void op_security(struct input *in)
{
	int slot = pick_slot(in);
	uint8_t a = in_u8(in), b = in_u8(in), c = in_u8(in);
	struct vnetif_port_security sec;
	struct mport *p = &M.port[slot];
	int want = 0;

	if (!p->used)
		return;
	memset(&sec, 0, sizeof(sec));
	sec.mac_lock = a & 1;
	sec.n_allowed = (a >> 1) % 4;
	sec.max_learned = b % 8;
	for (unsigned i = 0; i < sec.n_allowed; i++)
		mac_of((unsigned)(c >> (2 * i)) % NMACS, sec.allowed[i]);
	for (unsigned i = 0; i < sec.n_allowed; i++)
		if (mac_multicast(sec.allowed[i]) || mac_zero(sec.allowed[i]))
			want = -EINVAL;
	if (!p->connected)
		want = -ENOTCONN;
	expect_rc("port_security_set", vnetif_port_security_set(H.port[slot], a & 0x80 ? NULL : &sec),
		  a & 0x80 && p->connected ? 0 : want);
	if (a & 0x80 && p->connected) {
		p->lock = false;
		p->nallowed = p->max_learned = 0;
	} else if (want == 0) {
		p->lock = sec.mac_lock;
		p->max_learned = sec.max_learned;
		p->nallowed = sec.n_allowed;
		for (unsigned i = 0; i < sec.n_allowed; i++)
			p->allowed[i] = mac_key(sec.allowed[i]);
	}
	expect_rc("port_learned", vnetif_port_learned(H.port[slot]),
		  p->connected ? (int)fdb_count(slot) : -ENOTCONN);
}

/* Hold all but a few mbufs of the pool (writes then meet an empty pool), or give
 * them back. */
static void op_hog(struct input *in)
{
	uint8_t leave = in_u8(in);

	if (H.nhog > 0) {
		rte_pktmbuf_free_bulk(H.hog, H.nhog);
		H.nhog = 0;
		M.hog = 0;
		return;
	}
	unsigned want = POOL_SIZE - model_in_use();
	want = want > leave % 16u ? want - leave % 16u : 0;
	if (want > 0 && rte_pktmbuf_alloc_bulk(pool, H.hog, want) != 0)
		finding("the pool refused %u mbufs the model says it has", want);
	H.nhog = M.hog = want;
}

/* ---- one input ------------------------------------------------------------------------ */

static void setup(struct input *in)
{
	uint8_t a = in_u8(in), b = in_u8(in);
	const unsigned mtus[] = {1500, 68, 9000, 576};
	struct vnetif_switch_config cfg;
	int rc;

	memset(&M, 0, sizeof(M));
	memset(&H, 0, sizeof(H));
	for (int i = 0; i < MAX_FRAMES; i++)
		M.free_frames[M.nfree++] = MAX_FRAMES - 1 - i;
	for (int i = 0; i < SLOTS; i++)
		M.lib_slot[i] = -1;
	M.async = a & 1;
	M.hub = a & 2;
	M.bp = a & 4;
	M.max_ports = 2 + (a >> 3) % (SLOTS - 1);
	M.default_mtu = mtus[b % 4];

	vnetif_switch_config_init(&cfg);
	cfg.async_readers = M.async;
	cfg.fwd_mode = M.hub ? VNETIF_FWD_HUB : VNETIF_FWD_LEARNING;
	cfg.full_policy = M.bp ? VNETIF_FULL_BACKPRESSURE : VNETIF_FULL_DROP;
	cfg.backpressure_retries = BP_RETRIES;
	cfg.ring_size = RING;
	cfg.max_ports = M.max_ports;
	cfg.fdb_size = 1024;
	cfg.default_mtu = M.default_mtu;
	cfg.pool = pool;
	rc = vnetif_switch_create(&cfg, &H.sw);
	if (rc != 0)
		finding("switch_create: %d (%s)", rc, vnetif_strerror(rc));
	for (unsigned i = 0; i < M.max_ports; i++)
		M.free_fifo[M.nfree_slots++] = (int)i;
}

static void teardown(void)
{
	op_name = "teardown";
	if (H.nhog)
		rte_pktmbuf_free_bulk(H.hog, H.nhog);
	int rc = vnetif_switch_destroy(H.sw);
	if (rc != 0)
		finding("switch_destroy: %d (%s)", rc, vnetif_strerror(rc));
	if (rte_mempool_avail_count(pool) != POOL_SIZE)
		finding("after destroy %u of %u mbufs are back", rte_mempool_avail_count(pool),
			POOL_SIZE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	(void)argc;
	(void)argv;
	trace = getenv("FUZZ_SWITCH_TRACE") != NULL;
	/* the first switch starts EAL; the pool needs it */
	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 511;
	if (vnetif_switch_create(&cfg, &sw) != 0 || vnetif_switch_destroy(sw) != 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzzsw", POOL_SIZE, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL || rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM != ROOM)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	op_index = 0;
	op_name = "setup";
	setup(&in);
	while (in.n > 0 && op_index < MAX_OPS) {
		static void (*const ops[])(struct input *) = {
			op_connect, op_disconnect, op_write, op_writev, op_tx_burst, op_rx_burst,
			op_poll, op_switch_poll, op_listen, op_set_mtu, op_stats_reset, op_hog,
			op_write, op_tx_burst, op_listen, op_security};
		static const char *const names[] = {
			"connect", "disconnect", "write", "writev", "tx_burst", "rx_burst", "poll",
			"switch_poll", "listen", "set_mtu", "stats_reset", "hog", "write",
			"tx_burst", "listen", "security"};
		uint8_t op = in_u8(&in) % RTE_DIM(ops);

		op_name = names[op];
		ops[op](&in);
		compare();
		op_index++;
	}
	teardown();
	return 0;
}
