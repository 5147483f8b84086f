/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of the libvnetif libcheck suites.
 *
 * Suites run CK_NOFORK, one process each; the library starts EAL itself on the first
 * vnetif_switch_create(). ck_assert*() may only be called from the test's own thread:
 * worker threads record what they saw in atomics and the test asserts afterwards.
 */
#ifndef VNETIF_TEST_H
#define VNETIF_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vnetif.h"

/* --- constants and MACs ----------------------------------------------------------- */

#define VT_FRAME_MAX (VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN)
#define VT_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define VT_WAIT_MS 10000    /* bound of every wait for asynchronous work */

#define VT_MAC(a, b, c, d, e, f) ((const uint8_t[VNETIF_ETHER_ADDR_LEN]){a, b, c, d, e, f})
#define VT_BCAST VT_MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
#define VT_MCAST4 VT_MAC(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01)
#define VT_MCAST6 VT_MAC(0x33, 0x33, 0x00, 0x00, 0x00, 0x01)
#define VT_ZERO VT_MAC(0, 0, 0, 0, 0, 0)
/* Locally administered unicast addresses no port gets automatically. */
#define VT_FOREIGN(n) VT_MAC(0x02, 0xaa, 0x00, 0x00, 0x00, (uint8_t)(n))

/* A MAC as a number (byte 0 most significant), e.g. to keep one in an atomic; and back. */
static inline uint64_t vt_mac_pack(const uint8_t *m)
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

static inline void vt_mac_unpack(uint64_t v, uint8_t *m)
{
	for (int i = 5; i >= 0; i--, v >>= 8)
		m[i] = (uint8_t)v;
}

static inline bool vt_mac_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, VNETIF_ETHER_ADDR_LEN) == 0;
}

/* --- time, waits, scale ----------------------------------------------------------- */

static inline uint64_t vt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Evaluate @cond until true or VT_WAIT_MS passed; the value of the last evaluation. */
#define VT_WAIT(cond)                                                                  \
	({                                                                             \
		uint64_t vt_deadline_ = vt_now_ms() + VT_WAIT_MS;                      \
		bool vt_ok_;                                                           \
		while (!(vt_ok_ = (cond)) && vt_now_ms() < vt_deadline_)               \
			usleep(200);                                                   \
		vt_ok_;                                                                \
	})

/* VNETIF_TEST_SCALE=tsan: ThreadSanitizer is ~100x slower here; stress runs 100x fewer. */
static inline bool vt_tsan(void)
{
	const char *s = getenv("VNETIF_TEST_SCALE");

	return s != NULL && strcmp(s, "tsan") == 0;
}

/* VNETIF_TEST_VALGRIND=1 (scripts/valgrind.sh): threads run one at a time on valgrind's
 * own scheduler, so what depends on the kernel's (how long a sched_yield() gives the CPU
 * away) is not checked there. */
static inline bool vt_valgrind(void)
{
	const char *s = getenv("VNETIF_TEST_VALGRIND");

	return s != NULL && strcmp(s, "1") == 0;
}

static inline unsigned vt_scale(unsigned n)
{
	if (!vt_tsan())
		return n;
	return n / 100 > 0 ? n / 100 : 1;
}

/* --- switches: creation, registry for cleanup, teardown --------------------------- */

#define VT_MAX_SWITCHES 16
static vnetif_switch *vt_switches[VT_MAX_SWITCHES];

static inline void vt_register(vnetif_switch *sw)
{
	for (unsigned i = 0; i < VT_MAX_SWITCHES; i++) {
		if (vt_switches[i] == NULL) {
			vt_switches[i] = sw;
			return;
		}
	}
	ck_abort_msg("too many switches in one test");
}

static inline void vt_forget(vnetif_switch *sw)
{
	for (unsigned i = 0; i < VT_MAX_SWITCHES; i++)
		if (vt_switches[i] == sw)
			vt_switches[i] = NULL;
}

/*
 * ThreadSanitizer cannot see DPDK's hand-off of a freed mbuf to its next user: the
 * mempool, and the reference count of a flooded frame, are uninstrumented code (and the
 * last holder's free reads the count with a relaxed load). The default LIFO pool hands
 * a buffer out again within microseconds and TSan reports its two users; the FIFO pool
 * reuses it only after all the others. So multi-threaded suites use the FIFO pool under
 * TSan (test_pool checks the LIFO order; the other builds run everything on LIFO).
 */
static inline void vt_tsan_pool(struct vnetif_switch_config *cfg)
{
#ifdef __SANITIZE_THREAD__
	cfg->pool_order = VNETIF_POOL_FIFO;
#else
	(void)cfg;
#endif
}

/* Defaults plus the given fields, e.g. vt_config(&cfg); cfg.async_readers = true; */
static inline void vt_config(struct vnetif_switch_config *cfg)
{
	const char *grace = getenv("VNETIF_TEST_GRACE_MS");

	vnetif_switch_config_init(cfg);
	cfg->pool_size = 4095; /* several switches fit into the embedded 256 MB EAL */
	vt_tsan_pool(cfg);
	/* scripts/valgrind.sh: every wait is 20-50x slower, so is every grace period */
	if (grace != NULL && atoi(grace) > 0)
		cfg->grace_timeout_ms = (unsigned)atoi(grace);
}

/* Create a switch (cfg NULL: vt_config() defaults); asserts success. */
static inline vnetif_switch *vt_switch(const struct vnetif_switch_config *cfg)
{
	struct vnetif_switch_config def;
	vnetif_switch *sw = NULL;
	int rc;

	if (cfg == NULL) {
		vt_config(&def);
		cfg = &def;
	}
	rc = vnetif_switch_create(cfg, &sw);
	ck_assert_msg(rc == 0, "vnetif_switch_create: %d (%s)", rc, vnetif_strerror(rc));
	ck_assert_ptr_nonnull(sw);
	vt_register(sw);
	return sw;
}

/* The mempool driver of @sw's pool (vnetif.h: it says which order the pool got). */
static inline const char *vt_pool_driver(vnetif_switch *sw)
{
	return rte_mempool_get_ops(vnetif_switch_pool(sw)->ops_index)->name;
}

static inline void vt_pool_full(struct rte_mempool *mp)
{
	ck_assert_ptr_nonnull(mp);
	ck_assert_msg(rte_mempool_avail_count(mp) == mp->size,
		      "pool %s: %u of %u mbufs available", mp->name,
		      rte_mempool_avail_count(mp), mp->size);
}

/*
 * Teardown: every mbuf of the switch's pool is back (by the library's counter and by
 * DPDK's), then destroy succeeds. Frames a test left on rings count as held: drain
 * or disconnect first.
 */
static inline void vt_teardown(vnetif_switch *sw)
{
	struct vnetif_switch_stats st;
	struct rte_mempool *mp = vnetif_switch_pool(sw);
	int rc;

	ck_assert_int_eq(vnetif_switch_stats_get(sw, &st), 0);
	ck_assert_msg(st.pool_in_use == 0, "pool_in_use %" PRIu64 " at teardown", st.pool_in_use);
	vt_pool_full(mp);
	rc = vnetif_switch_destroy(sw);
	ck_assert_msg(rc == 0, "vnetif_switch_destroy: %d (%s)", rc, vnetif_strerror(rc));
	vt_forget(sw);
}

/* Checked-fixture teardown: free what a failed test left behind, best effort. */
static inline void vt_cleanup(void)
{
	for (unsigned i = 0; i < VT_MAX_SWITCHES; i++) {
		vnetif_switch *sw = vt_switches[i];

		if (sw == NULL)
			continue;
		for (int tries = 0; tries < 10 && vnetif_switch_destroy(sw) == -ETIMEDOUT; tries++)
			;
		vt_switches[i] = NULL;
	}
}

/* Make sure EAL runs (tests that create DPDK objects before any switch). */
static inline void vt_eal_up(void)
{
	vnetif_switch *sw = vt_switch(NULL);

	vt_teardown(sw);
}

/* A caller-owned pktmbuf pool with a unique name. */
static inline struct rte_mempool *vt_pool_create(unsigned n, unsigned cache, uint16_t room)
{
	static atomic_uint seq;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;

	vt_eal_up();
	snprintf(name, sizeof(name), "vtpool%u", atomic_fetch_add(&seq, 1));
	mp = rte_pktmbuf_pool_create(name, n, cache, 0, room, SOCKET_ID_ANY);
	ck_assert_msg(mp != NULL, "rte_pktmbuf_pool_create(%s): %d", name, rte_errno);
	return mp;
}

static inline struct vnetif_switch_stats vt_sw_stats(vnetif_switch *sw)
{
	struct vnetif_switch_stats st;

	ck_assert_int_eq(vnetif_switch_stats_get(sw, &st), 0);
	return st;
}

/* --- ports ------------------------------------------------------------------------ */

static inline vnetif_port *vt_connect(vnetif_switch *sw)
{
	vnetif_port *p = NULL;
	int rc = vnetif_connect(sw, NULL, &p);

	ck_assert_msg(rc == 0, "vnetif_connect: %d (%s)", rc, vnetif_strerror(rc));
	ck_assert_ptr_nonnull(p);
	return p;
}

static inline vnetif_port *vt_connect_mac(vnetif_switch *sw, const uint8_t *mac)
{
	struct vnetif_port_config pc = {.mtu = 0};
	vnetif_port *p = NULL;
	int rc;

	memcpy(pc.mac, mac, VNETIF_ETHER_ADDR_LEN);
	rc = vnetif_connect(sw, &pc, &p);
	ck_assert_msg(rc == 0, "vnetif_connect: %d (%s)", rc, vnetif_strerror(rc));
	return p;
}

/* The port's MAC, in a buffer the caller provides. */
static inline const uint8_t *vt_mac(const vnetif_port *p, uint8_t *mac)
{
	ck_assert_int_eq(vnetif_mac(p, mac), 0);
	return mac;
}

/* A sync switch (vt_config()) on the caller's pool @mp with ports a and b, and their MACs. */
static inline vnetif_switch *vt_pair_on_pool(struct rte_mempool *mp, vnetif_port **a,
					     vnetif_port **b, uint8_t *ma, uint8_t *mb)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;

	vt_config(&cfg);
	cfg.pool = mp;
	sw = vt_switch(&cfg);
	*a = vt_connect(sw);
	*b = vt_connect(sw);
	vt_mac(*a, ma);
	vt_mac(*b, mb);
	return sw;
}

static inline struct vnetif_stats vt_stats(const vnetif_port *p)
{
	struct vnetif_stats st;

	ck_assert_int_eq(vnetif_stats_get(p, &st), 0);
	return st;
}

static inline uint64_t vt_drops(const struct vnetif_stats *s)
{
	return s->tx_drop_oversize + s->tx_drop_runt + s->tx_drop_bad_src + s->tx_drop_no_route +
	       s->tx_drop_own_port + s->tx_drop_pool_empty + s->tx_drop_reentry +
	       s->tx_drop_mac_lock + s->rx_drop_ring_full + s->rx_drop_disconnected +
	       s->rx_drop_segment;
}

/* --- frames ----------------------------------------------------------------------- */

/*
 * A test frame: dst, src, VT_ETHERTYPE, then (if len >= 18) a 32-bit big-endian
 * sequence number, then a pattern that depends on the sequence number and offset.
 */
static inline uint8_t vt_pattern(uint32_t seq, size_t off)
{
	return (uint8_t)(seq * 7u + off * 13u + (off >> 8));
}

static inline void vt_fill(uint8_t *buf, size_t len, const uint8_t *dst, const uint8_t *src,
			   uint32_t seq)
{
	uint8_t hdr[18];

	memcpy(hdr, dst, 6);
	memcpy(hdr + 6, src, 6);
	hdr[12] = VT_ETHERTYPE >> 8;
	hdr[13] = VT_ETHERTYPE & 0xff;
	hdr[14] = (uint8_t)(seq >> 24);
	hdr[15] = (uint8_t)(seq >> 16);
	hdr[16] = (uint8_t)(seq >> 8);
	hdr[17] = (uint8_t)seq;
	memcpy(buf, hdr, len < sizeof(hdr) ? len : sizeof(hdr));
	for (size_t i = sizeof(hdr); i < len; i++)
		buf[i] = vt_pattern(seq, i);
}

static inline uint32_t vt_seq(const uint8_t *buf, size_t len)
{
	if (len < 18)
		return 0;
	return (uint32_t)buf[14] << 24 | (uint32_t)buf[15] << 16 | (uint32_t)buf[16] << 8 | buf[17];
}

/* True if @buf is exactly the frame vt_fill(dst, src, seq) of length len. */
static inline bool vt_frame_ok(const uint8_t *buf, size_t len, const uint8_t *dst,
			       const uint8_t *src, uint32_t seq)
{
	if (len < VNETIF_ETHER_HDR_LEN || !vt_mac_eq(buf, dst) || !vt_mac_eq(buf + 6, src))
		return false;
	if (buf[12] != (VT_ETHERTYPE >> 8) || buf[13] != (VT_ETHERTYPE & 0xff))
		return false;
	if (len >= 18 && vt_seq(buf, len) != seq)
		return false;
	for (size_t i = 18; i < len; i++)
		if (buf[i] != vt_pattern(seq, i))
			return false;
	return true;
}

/* vnetif_write() of a test frame; returns its result. */
static inline int vt_write(vnetif_port *p, const uint8_t *dst, const uint8_t *src, size_t len,
			   uint32_t seq)
{
	uint8_t buf[VT_FRAME_MAX + 64];

	if (len > sizeof(buf))
		return -E2BIG;
	vt_fill(buf, len, dst, src, seq);
	return vnetif_write(p, buf, len);
}

/* vt_write() from the port's own MAC, asserting success. */
static inline void vt_send(vnetif_port *p, const uint8_t *dst, size_t len, uint32_t seq)
{
	uint8_t src[6];
	int rc;

	vt_mac(p, src);
	rc = vt_write(p, dst, src, len, seq);
	ck_assert_msg(rc == 0, "vnetif_write: %d (%s)", rc, vnetif_strerror(rc));
}

/* An mbuf holding a test frame in one segment, or NULL (pool empty); never asserts. */
static inline struct rte_mbuf *vt_mbuf_try(struct rte_mempool *mp, const uint8_t *dst,
					   const uint8_t *src, uint16_t len, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *d;

	if (m == NULL)
		return NULL;
	d = rte_pktmbuf_append(m, len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	vt_fill((uint8_t *)d, len, dst, src, seq);
	return m;
}

static inline struct rte_mbuf *vt_mbuf(struct rte_mempool *mp, const uint8_t *dst,
				       const uint8_t *src, uint16_t len, uint32_t seq)
{
	struct rte_mbuf *m = vt_mbuf_try(mp, dst, src, len, seq);

	ck_assert_msg(m != NULL, "cannot build an mbuf of %u bytes", len);
	return m;
}

/* A test frame in a chain whose first segment holds @first bytes, the rest in
 * segments of at most @seg bytes. */
static inline struct rte_mbuf *vt_mbuf_chain(struct rte_mempool *mp, const uint8_t *dst,
					     const uint8_t *src, uint32_t len, uint16_t first,
					     uint16_t seg, uint32_t seq)
{
	uint8_t *buf = malloc(len);
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	ck_assert_ptr_nonnull(buf);
	vt_fill(buf, len, dst, src, seq);
	while (off < len) {
		uint32_t n = off == 0 ? first : seg;
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		char *d;

		if (n > len - off)
			n = len - off;
		ck_assert_ptr_nonnull(m);
		d = rte_pktmbuf_append(m, (uint16_t)n);
		ck_assert_ptr_nonnull(d);
		memcpy(d, buf + off, n);
		if (head == NULL)
			head = m;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
		off += n;
	}
	free(buf);
	return head;
}

/* Copy a (possibly chained) mbuf's frame into @buf (at least pkt_len bytes). */
static inline size_t vt_mbuf_read(const struct rte_mbuf *m, uint8_t *buf, size_t cap)
{
	size_t len = rte_pktmbuf_pkt_len(m), off = 0;

	if (len > cap)
		return 0;
	for (const struct rte_mbuf *s = m; s != NULL; s = s->next) {
		memcpy(buf + off, rte_pktmbuf_mtod(s, const uint8_t *), s->data_len);
		off += s->data_len;
	}
	return off == len ? len : 0;
}

/* Take and free every frame on the port's ring; how many there were. */
static inline unsigned vt_drain(vnetif_port *p)
{
	struct rte_mbuf *pkts[32];
	unsigned total = 0;
	int n;

	while ((n = vnetif_rx_burst(p, pkts, 32)) > 0) {
		rte_pktmbuf_free_bulk(pkts, (unsigned)n);
		total += (unsigned)n;
	}
	ck_assert_int_ge(n, 0);
	return total;
}

/* Take exactly one frame from the ring (asserts there is one and only one). */
static inline struct rte_mbuf *vt_recv_one(vnetif_port *p)
{
	struct rte_mbuf *pkts[2];
	int n = vnetif_rx_burst(p, pkts, 2);

	ck_assert_int_eq(n, 1);
	return pkts[0];
}

/* --- capturing listener ----------------------------------------------------------- */

#define VT_CAP_FRAMES 64

struct vt_rec {
	size_t len;
	pthread_t thread;
	uint8_t data[VT_FRAME_MAX];
};

/* Records frames handed to a listener (borrowing or mbuf-taking). */
struct vt_cap {
	pthread_mutex_t lock;
	atomic_uint_fast64_t frames; /* frames seen */
	atomic_uint_fast64_t bytes;
	atomic_uint_fast64_t calls;  /* listener invocations (bursts for mbuf listeners) */
	vnetif_port *port;           /* last port argument seen */
	unsigned stored;             /* records filled (first VT_CAP_FRAMES frames) */
	struct vt_rec rec[VT_CAP_FRAMES];
	bool keep_mbufs;             /* mbuf listener: keep (up to VT_CAP_FRAMES) instead of freeing */
	unsigned kept;
	struct rte_mbuf *mbufs[VT_CAP_FRAMES];
};

static inline struct vt_cap *vt_cap_new(void)
{
	struct vt_cap *c = calloc(1, sizeof(*c));

	ck_assert_ptr_nonnull(c);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static inline void vt_cap_record(struct vt_cap *c, vnetif_port *port, const void *frame,
				 size_t len)
{
	pthread_mutex_lock(&c->lock);
	c->port = port;
	if (c->stored < VT_CAP_FRAMES && len <= VT_FRAME_MAX) {
		struct vt_rec *r = &c->rec[c->stored++];

		r->len = len;
		r->thread = pthread_self();
		memcpy(r->data, frame, len);
	}
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->bytes, len);
	atomic_fetch_add(&c->frames, 1);
}

/* vnetif_listen_fn: arg is a struct vt_cap. */
static inline void vt_cap_listen(vnetif_port *port, const void *frame, size_t len, void *arg)
{
	struct vt_cap *c = arg;

	atomic_fetch_add(&c->calls, 1);
	vt_cap_record(c, port, frame, len);
}

/* vnetif_listen_mbuf_fn: arg is a struct vt_cap. */
static inline void vt_cap_listen_mbuf(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n,
				      void *arg)
{
	struct vt_cap *c = arg;
	static __thread uint8_t buf[VT_FRAME_MAX];

	atomic_fetch_add(&c->calls, 1);
	for (uint16_t i = 0; i < n; i++) {
		size_t len = vt_mbuf_read(pkts[i], buf, sizeof(buf));
		bool keep;

		vt_cap_record(c, port, buf, len);
		pthread_mutex_lock(&c->lock);
		keep = c->keep_mbufs && c->kept < VT_CAP_FRAMES;
		if (keep)
			c->mbufs[c->kept++] = pkts[i];
		pthread_mutex_unlock(&c->lock);
		if (!keep)
			rte_pktmbuf_free(pkts[i]);
	}
}

static inline uint64_t vt_cap_frames(struct vt_cap *c)
{
	return atomic_load(&c->frames);
}

static inline void vt_cap_release(struct vt_cap *c)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->kept; i++)
		rte_pktmbuf_free(c->mbufs[i]);
	c->kept = 0;
	pthread_mutex_unlock(&c->lock);
}

static inline void vt_cap_free(struct vt_cap *c)
{
	if (c == NULL)
		return;
	vt_cap_release(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* --- a gate a listener can wait at (bounded) -------------------------------------- */

struct vt_gate {
	atomic_int entered;
	atomic_int open;
};

/* Count the arrival, then wait until opened (at most VT_WAIT_MS). */
static inline void vt_gate_pass(struct vt_gate *g)
{
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;

	atomic_fetch_add(&g->entered, 1);
	while (!atomic_load(&g->open) && vt_now_ms() < deadline)
		usleep(200);
}

/* --- the rig: a switch with ports, MACs and recorders, up and down in one call ---- */

#define VT_RIG_PORTS 8

/*
 * What most tests start from. r = vt_rig_up(cfg, "-cm") makes a switch (cfg NULL:
 * vt_config() defaults) and connects one port per character, in order: port i is
 * r.port[i] with MAC r.mac[i] and a recorder r.cap[i] (struct vt_cap, always there), and
 * its character says what listens on it: '-' nothing (frames wait on its ring), 'c' the
 * recorder as a copying listener (vt_cap_listen), 'm' the recorder as an mbuf listener
 * (vt_cap_listen_mbuf). vt_rig_down() frees the recorders (and the mbufs they kept),
 * then vt_teardown(): every mbuf is back in the pool, the switch destroys.
 */
struct vt_rig {
	vnetif_switch *sw;
	unsigned n;
	vnetif_port *port[VT_RIG_PORTS];
	uint8_t mac[VT_RIG_PORTS][VNETIF_ETHER_ADDR_LEN];
	struct vt_cap *cap[VT_RIG_PORTS];
};

static inline struct vt_rig vt_rig_up(const struct vnetif_switch_config *cfg, const char *ports)
{
	struct vt_rig rig = {0}, *r = &rig;

	r->n = (unsigned)strlen(ports);
	ck_assert_uint_le(r->n, VT_RIG_PORTS);
	r->sw = vt_switch(cfg);
	for (unsigned i = 0; i < r->n; i++) {
		r->port[i] = vt_connect(r->sw);
		vt_mac(r->port[i], r->mac[i]);
		r->cap[i] = vt_cap_new();
	}
	for (unsigned i = 0; i < r->n; i++) {
		switch (ports[i]) {
		case '-':
			break;
		case 'c':
			ck_assert_int_eq(vnetif_listen(r->port[i], vt_cap_listen, r->cap[i]), 0);
			break;
		case 'm':
			ck_assert_int_eq(
				vnetif_listen_mbuf(r->port[i], vt_cap_listen_mbuf, r->cap[i]), 0);
			break;
		default:
			ck_abort_msg("vt_rig_up: port kind '%c' is not one of - c m", ports[i]);
		}
	}
	return rig;
}

/* vt_rig_up() on a switch of vt_config() defaults with sync or (@async) async delivery. */
static inline struct vt_rig vt_rig_async(bool async, const char *ports)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.async_readers = async;
	return vt_rig_up(&cfg, ports);
}

static inline void vt_rig_down(struct vt_rig *r)
{
	for (unsigned i = 0; i < r->n; i++)
		vt_cap_free(r->cap[i]);
	vt_teardown(r->sw);
	memset(r, 0, sizeof(*r));
}

/* Every port's ring is empty (a frame left names its port), then vt_rig_down(). */
static inline void vt_rig_down_empty(struct vt_rig *r)
{
	for (unsigned i = 0; i < r->n; i++)
		ck_assert_msg(vt_drain(r->port[i]) == 0, "port %u has frames left", i);
	vt_rig_down(r);
}

/* --- running a suite -------------------------------------------------------------- */

/* A test case whose tests get vt_cleanup() after them (also after a failure). */
static inline TCase *vt_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, vt_cleanup);
	return tc;
}

static inline int vt_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif /* VNETIF_TEST_H */
