/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch fabric: validate a burst, learn sources, route (lookup answers a port,
 * FLOOD or DROP, as in netmap's VALE), then deliver runs of frames that share a
 * destination, keeping each sender's order. Nothing here blocks: a full ring drops and
 * counts (or retries a bounded number of times in back-pressure mode).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_ether.h>

#include "vnetif_private.h"

/* Routing answer per frame: a destination port, or one of these. */
#define ROUTE_FLOOD ((struct vnetif_port *)1)
#define ROUTE_OWN ((struct vnetif_port *)2)

/*
 * Sync mode: a listener that writes must not recurse into delivery. The outermost
 * write of a thread owns this queue (on its stack); writes from inside listeners
 * append to it and the outermost delivers them after the listener returns.
 */
struct reentry_q {
	struct vnetif_port *port[VNETIF_REENTRY_DEPTH];
	struct rte_mbuf *m[VNETIF_REENTRY_DEPTH];
	unsigned head, tail;
};

static __thread struct reentry_q *tls_q;
static __thread unsigned tls_depth;                      /* sync listeners running */
static __thread const struct vnetif_switch *tls_listener_sw; /* whose listener runs */

bool vnetif_in_listener_on(const struct vnetif_switch *sw)
{
	return tls_listener_sw == sw;
}

static void drop_counted(struct rte_mbuf *m, _Atomic uint64_t *counter)
{
	vnetif_count(counter, 1);
	rte_pktmbuf_free(m);
}

/* Keep the frames the switch accepts, in order; free and count the others. */
static uint16_t validate(struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n)
{
	uint32_t max_len = atomic_load_explicit(&src->mtu, memory_order_relaxed) +
			   VNETIF_ETHER_HDR_LEN;
	bool locked = atomic_load_explicit(&src->sec_on, memory_order_relaxed);
	uint64_t bytes = 0;
	uint16_t ok = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(m->pkt_len > max_len)) {
			drop_counted(m, &src->tx[TX_DROP_OVERSIZE]);
			continue;
		}
		if (unlikely(m->data_len < VNETIF_ETHER_HDR_LEN)) {
			drop_counted(m, &src->tx[TX_DROP_RUNT]);
			continue;
		}
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(!rte_is_valid_assigned_ether_addr(&eh->src_addr))) {
			drop_counted(m, &src->tx[TX_DROP_BAD_SRC]);
			continue;
		}
		if (unlikely(locked) &&
		    !vnetif_portsec_allows(src, vnetif_mac_key(eh->src_addr.addr_bytes))) {
			drop_counted(m, &src->tx[TX_DROP_MAC_LOCK]);
			continue;
		}
		bytes += m->pkt_len;
		pkts[ok++] = m;
	}
	vnetif_count(&src->tx[TX_PACKETS], ok);
	vnetif_count(&src->tx[TX_BYTES], bytes);
	return ok;
}

/* Learn each source MAC on @src; a per-port cache of the last source learned (tagged
 * with the table version) makes the common case one compare per frame. */
static void learn(struct vnetif_switch *sw, struct vnetif_port *src, struct rte_mbuf **pkts,
		  uint16_t n)
{
	uintptr_t value = vnetif_fdb_value(src->idx, src->gen);
	unsigned limit = atomic_load_explicit(&src->sec_max_learned, memory_order_relaxed);

	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
		uint64_t key = vnetif_mac_key(eh->src_addr.addr_bytes);
		uint64_t ver = atomic_load_explicit(&sw->fdb.version, memory_order_acquire);
		uint32_t now;
		bool moved;
		int rc;

		if ((key | (ver & 0xffff) << 48) ==
		    atomic_load_explicit(&src->learned_src, memory_order_relaxed))
			continue;
		rc = vnetif_fdb_learn(&sw->fdb, key, value, false, limit, &now, &moved);
		if (rc == 0)
			atomic_store_explicit(&src->learned_src, key | ((uint64_t)now & 0xffff) << 48,
					      memory_order_relaxed);
		if (moved)
			vnetif_count(&src->tx[TX_MACS_MOVED_IN], 1);
		else if (rc == -EDQUOT)
			vnetif_count(&src->tx[TX_LEARN_LIMITED], 1);
	}
}

static void route(struct vnetif_switch *sw, struct vnetif_port *src, struct rte_mbuf **pkts,
		  uint16_t n, struct vnetif_port **dst)
{
	const void *keyp[VNETIF_CHUNK];
	uint64_t keys[VNETIF_CHUNK];
	void *data[VNETIF_CHUNK];
	int16_t slot[VNETIF_CHUNK]; /* frame -> its key's lookup index, -1: flood */
	struct vnetif_port *answer[VNETIF_CHUNK];
	uint64_t hits = 0;
	unsigned nu = 0;

	/* A burst usually goes to one or few MACs: look each run's MAC up once. */
	for (uint16_t i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
		uint64_t key;

		slot[i] = -1;
		if (sw->cfg.fwd_mode == VNETIF_FWD_HUB || rte_is_multicast_ether_addr(&eh->dst_addr))
			continue;
		key = vnetif_mac_key(eh->dst_addr.addr_bytes);
		if (nu == 0 || keys[nu - 1] != key) {
			keys[nu] = key;
			keyp[nu] = &keys[nu];
			nu++;
		}
		slot[i] = (int16_t)(nu - 1);
	}
	if (nu > 0)
		rte_hash_lookup_bulk_data(sw->fdb.h, keyp, nu, &hits, data);
	for (unsigned j = 0; j < nu; j++) {
		answer[j] = ROUTE_FLOOD; /* unknown unicast floods */
		if (!(hits >> j & 1))
			continue;
		uintptr_t v = (uintptr_t)data[j];
		struct vnetif_port *p = atomic_load_explicit(&sw->ports[v & 0xffff],
							     memory_order_acquire);

		if (p == NULL || p->gen != (uint32_t)(v >> 16))
			continue; /* entry of a port that left: flood */
		answer[j] = p == src ? ROUTE_OWN : p;
	}
	for (uint16_t i = 0; i < n; i++)
		dst[i] = slot[i] < 0 ? ROUTE_FLOOD : answer[slot[i]];
}

static void yield_once(const struct vnetif_switch *sw)
{
	if (sw->cfg.yield)
		sw->cfg.yield(sw->cfg.yield_arg);
	else
		sched_yield();
}

unsigned vnetif_deliver_to_listener(struct vnetif_port *p, struct vnetif_listener *l,
				    struct rte_mbuf **pkts, uint16_t n)
{
	if (l->kind == LISTEN_MBUF) {
		l->fn.mbuf(p, pkts, n, l->arg);
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (m->nb_segs == 1) {
			l->fn.copy(p, rte_pktmbuf_mtod(m, const void *), m->pkt_len, l->arg);
		} else {
			uint8_t flat[VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN];
			uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(flat));

			l->fn.copy(p, rte_pktmbuf_read(m, 0, len, flat), len, l->arg);
		}
		rte_pktmbuf_free(m);
	}
	return n;
}

/* Hand @n frames to @dst: its listener now (sync mode) or its ring. Takes them all. */
static void deliver_to(struct vnetif_switch *sw, struct vnetif_port *dst,
		       struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_listener *l = atomic_load_explicit(&dst->listener, memory_order_acquire);
	uint64_t bytes = 0;
	unsigned k;

	if (!sw->cfg.async_readers && l != NULL) {
		const struct vnetif_switch *prev = tls_listener_sw;

		for (uint16_t i = 0; i < n; i++)
			bytes += pkts[i]->pkt_len;
		vnetif_count(&dst->rx[RX_PACKETS], n);
		vnetif_count(&dst->rx[RX_BYTES], bytes);
		tls_depth++;
		tls_listener_sw = sw;
		vnetif_deliver_to_listener(dst, l, pkts, n);
		tls_listener_sw = prev;
		tls_depth--;
		return;
	}

	/* Lengths first: once on the ring, a frame may be taken, freed and reused. */
	uint32_t len[VNETIF_CHUNK];
	for (uint16_t i = 0; i < n; i++) {
		len[i] = pkts[i]->pkt_len;
		vnetif_tsan_release(pkts[i]);
	}
	k = rte_ring_enqueue_burst(dst->ring, (void **)pkts, n, NULL);
	if (k < n && sw->cfg.full_policy == VNETIF_FULL_BACKPRESSURE) {
		for (unsigned r = 0; r < sw->cfg.backpressure_retries && k < n; r++) {
			yield_once(sw);
			k += rte_ring_enqueue_burst(dst->ring, (void **)pkts + k, n - k, NULL);
		}
	}
	for (unsigned i = 0; i < k; i++)
		bytes += len[i];
	vnetif_count(&dst->rx[RX_PACKETS], k);
	vnetif_count(&dst->rx[RX_BYTES], bytes);
	if (k < n) {
		vnetif_count(&dst->rx[RX_DROP_RING_FULL], n - k);
		rte_pktmbuf_free_bulk(pkts + k, n - k);
	}
	if (k > 0)
		vnetif_port_wake(dst);
}

/* Every connected port but @src, into @out; returns how many. */
static unsigned flood_set(struct vnetif_switch *sw, const struct vnetif_port *src,
			  struct vnetif_port **out)
{
	unsigned hwm = atomic_load_explicit(&sw->port_hwm, memory_order_acquire), n = 0;

	for (unsigned i = 0; i < hwm; i++) {
		struct vnetif_port *p = atomic_load_explicit(&sw->ports[i], memory_order_acquire);

		if (p != NULL && p != src)
			out[n++] = p;
	}
	return n;
}

static void flood(struct vnetif_switch *sw, struct vnetif_port *src, struct rte_mbuf **pkts,
		  uint16_t n)
{
	struct vnetif_port *dsts[VNETIF_MAX_PORTS];
	unsigned nd = flood_set(sw, src, dsts);

	if (nd == 0) {
		vnetif_count(&src->tx[TX_DROP_NO_ROUTE], n);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	vnetif_count(&src->tx[TX_FLOODED], n);
	/* Every destination but the last gets its own reference; the last takes ours. */
	for (unsigned d = 0; d + 1 < nd; d++) {
		struct rte_mbuf *copy[VNETIF_CHUNK];

		for (uint16_t i = 0; i < n; i++) {
			rte_pktmbuf_refcnt_update(pkts[i], 1);
			copy[i] = pkts[i];
		}
		deliver_to(sw, dsts[d], copy, n);
	}
	deliver_to(sw, dsts[nd - 1], pkts, n);
}

/* Route and deliver up to VNETIF_CHUNK valid frames from @src. */
static void forward_chunk(struct vnetif_switch *sw, struct vnetif_port *src,
			  struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_port *dst[VNETIF_CHUNK];
	uint16_t start = 0;

	if (sw->cfg.fwd_mode == VNETIF_FWD_LEARNING)
		learn(sw, src, pkts, n);
	route(sw, src, pkts, n, dst);
	while (start < n) {
		uint16_t end = start + 1;

		while (end < n && dst[end] == dst[start])
			end++;
		if (dst[start] == ROUTE_FLOOD) {
			flood(sw, src, pkts + start, end - start);
		} else if (dst[start] == ROUTE_OWN) {
			vnetif_count(&src->tx[TX_DROP_OWN_PORT], end - start);
			rte_pktmbuf_free_bulk(pkts + start, end - start);
		} else {
			deliver_to(sw, dst[start], pkts + start, end - start);
		}
		start = end;
	}
}

static void forward(struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_switch *sw = src->sw;

	for (uint16_t off = 0; off < n; off += VNETIF_CHUNK) {
		struct rte_mbuf *chunk[VNETIF_CHUNK];
		uint16_t cnt = RTE_MIN((uint16_t)(n - off), (uint16_t)VNETIF_CHUNK);

		memcpy(chunk, pkts + off, cnt * sizeof(*chunk));
		cnt = validate(src, chunk, cnt);
		if (cnt)
			forward_chunk(sw, src, chunk, cnt);
	}
}

static void defer(struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n)
{
	struct reentry_q *q = tls_q;

	for (uint16_t i = 0; i < n; i++) {
		if (q->tail - q->head == VNETIF_REENTRY_DEPTH) {
			drop_counted(pkts[i], &src->tx[TX_DROP_REENTRY]);
			continue;
		}
		q->port[q->tail % VNETIF_REENTRY_DEPTH] = src;
		q->m[q->tail % VNETIF_REENTRY_DEPTH] = pkts[i];
		q->tail++;
	}
}

/* Deliver what listeners wrote, in order, a run of one sender's frames at a time. */
static void drain_deferred(struct reentry_q *q)
{
	while (q->head != q->tail) {
		struct vnetif_port *src = q->port[q->head % VNETIF_REENTRY_DEPTH];
		struct rte_mbuf *run[VNETIF_CHUNK];
		uint16_t n = 0;

		while (q->head != q->tail && n < VNETIF_CHUNK &&
		       q->port[q->head % VNETIF_REENTRY_DEPTH] == src)
			run[n++] = q->m[q->head++ % VNETIF_REENTRY_DEPTH];

		unsigned tok = vnetif_srcu_lock(&src->sw->srcu);
		if (atomic_load_explicit(&src->state, memory_order_acquire) == PORT_CONNECTED) {
			forward(src, run, n);
		} else { /* the sender disconnected since its listener wrote */
			vnetif_count(&src->tx[TX_DROP_NO_ROUTE], n);
			rte_pktmbuf_free_bulk(run, n);
		}
		vnetif_srcu_unlock(&src->sw->srcu, tok);
	}
}

/* Enter the switch's read side for a datapath call on @port; -ENOTCONN (and not
 * entered) if the port is no longer connected. */
static int enter_connected(struct vnetif_port *port, unsigned *tok)
{
	*tok = vnetif_srcu_lock(&port->sw->srcu);
	if (atomic_load_explicit(&port->state, memory_order_acquire) == PORT_CONNECTED)
		return 0;
	vnetif_srcu_unlock(&port->sw->srcu, *tok);
	return -ENOTCONN;
}

VNETIF_API int vnetif_tx_burst(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	struct reentry_q q;
	bool outermost_sync;
	unsigned tok;
	int rc;

	if (!vnetif_port_ok(port) || (n > 0 && pkts == NULL))
		return -EINVAL;
	rc = enter_connected(port, &tok);
	if (rc)
		return rc;
	/* The outermost write of a thread on a sync switch owns the re-entry queue. */
	outermost_sync = !port->sw->cfg.async_readers && tls_q == NULL;
	if (outermost_sync) {
		q.head = q.tail = 0;
		tls_q = &q;
	}
	if (tls_depth > 0) /* inside a sync listener: queue for the outermost write */
		defer(port, pkts, n);
	else
		forward(port, pkts, n);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	if (outermost_sync) {
		drain_deferred(&q);
		tls_q = NULL;
	}
	return n;
}

VNETIF_API int vnetif_rx_burst(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned tok, k = 0;
	int rc;

	if (!vnetif_port_ok(port) || (n > 0 && pkts == NULL))
		return -EINVAL;
	rc = enter_connected(port, &tok);
	if (rc)
		return rc;
	if (n > 0)
		k = rte_ring_dequeue_burst(port->ring, (void **)pkts, n, NULL);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	for (unsigned i = 0; i < k; i++)
		vnetif_tsan_acquire(pkts[i]);
	return (int)k;
}

VNETIF_API int vnetif_poll(vnetif_port *port, unsigned budget)
{
	struct vnetif_switch *sw;
	struct vnetif_listener *l;
	unsigned tok, done = 0;
	int expect = 0;

	if (!vnetif_port_ok(port) || budget == 0)
		return -EINVAL;
	sw = port->sw;
	if (enter_connected(port, &tok))
		return -ENOTCONN;
	l = atomic_load_explicit(&port->listener, memory_order_acquire);
	if (l == NULL) {
		vnetif_srcu_unlock(&sw->srcu, tok);
		return -ENOENT;
	}
	if (!atomic_compare_exchange_strong_explicit(&port->polling, &expect, 1,
						     memory_order_acquire, memory_order_relaxed)) {
		vnetif_srcu_unlock(&sw->srcu, tok);
		return 0;
	}
	const struct vnetif_switch *prev = tls_listener_sw;
	tls_listener_sw = sw;
	while (done < budget) {
		struct rte_mbuf *pkts[32];
		unsigned k = rte_ring_dequeue_burst(port->ring, (void **)pkts,
						    RTE_MIN(budget - done, 32u), NULL);
		if (k == 0)
			break;
		for (unsigned i = 0; i < k; i++)
			vnetif_tsan_acquire(pkts[i]);
		vnetif_deliver_to_listener(port, l, pkts, (uint16_t)k);
		done += k;
	}
	tls_listener_sw = prev;
	atomic_store_explicit(&port->polling, 0, memory_order_release);
	vnetif_srcu_unlock(&sw->srcu, tok);
	return (int)done;
}
