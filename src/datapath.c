/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch fabric: validate a burst, ask the forwarding policy (fwd.h) where each
 * frame goes - a port, FLOOD or DROP, as netmap VALE's lookup answers - then deliver
 * runs of frames that share a destination, keeping each sender's order. Nothing here
 * blocks: a full ring drops and counts (or retries a bounded number of times in
 * back-pressure mode).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>

#include "stage.h"
#include "datapath.h"
#include "portsec.h"
#include "slot.h"
#include "tso.h"
#include "vnetif_private.h"

/*
 * Sync mode: a listener that writes must not recurse into delivery. The outermost
 * write of a thread owns this queue (on its stack); writes from inside listeners
 * append to it and the outermost delivers them after the listener returns.
 */
struct reentry_q {
	vnetif_port *port[VNETIF_REENTRY_DEPTH]; /* handles: found again when delivered */
	struct rte_mbuf *m[VNETIF_REENTRY_DEPTH];
	unsigned head, tail;
};

static __thread struct reentry_q *tls_q;
static __thread unsigned tls_depth;                      /* sync listeners running */

static void drop_counted(struct rte_mbuf *m, _Atomic uint64_t *counter)
{
	vnetif_count(counter, 1);
	rte_pktmbuf_free(m);
}

/* Bytes of frames not summed yet (deliver_now() adds them up). */
#define BYTES_UNKNOWN UINT64_MAX

static uint64_t sum_len(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	return bytes;
}

/* Copy the frames of @pkts the switch accepts into @ok, in order, and their bytes into
 * *@okbytes; free and count the others. Returns how many were kept. */
static uint16_t validate(struct vnetif_port *src, struct rte_mbuf *const *pkts, unsigned n,
			 struct rte_mbuf **ok, uint64_t *okbytes)
{
	const unsigned mtu = atomic_load_explicit(&src->mtu, memory_order_relaxed);
	const uint32_t max_len = mtu + VNETIF_ETHER_HDR_LEN;
	/* acquire: pairs with vnetif_set_tso(), which set the switch's tso_seen first */
	const bool tso = atomic_load_explicit(&src->tso, memory_order_acquire);
	uint64_t bytes = 0;
	unsigned k = 0, ntso = 0;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eh;

		if (unlikely(m->pkt_len > max_len)) {
			if (!tso || !vnetif_tso_accept(m, mtu)) {
				drop_counted(m, &src->tx[TX_DROP_OVERSIZE]);
				continue;
			}
			ntso++;
		} else {
			vnetif_tso_unmark(m); /* only the switch marks TSO frames */
		}
		if (unlikely(m->data_len < VNETIF_ETHER_HDR_LEN)) {
			drop_counted(m, &src->tx[TX_DROP_RUNT]);
			continue;
		}
		/* small loads, each within one of the writer's stores (see mac_key() in
		 * fwd_learning.c) */
		eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		if (unlikely(!rte_is_valid_assigned_ether_addr(&eh->src_addr))) {
			drop_counted(m, &src->tx[TX_DROP_BAD_SRC]);
			continue;
		}
		bytes += m->pkt_len;
		ok[k++] = m;
	}
	vnetif_count(&src->tx[TX_PACKETS], k);
	vnetif_count(&src->tx[TX_BYTES], bytes);
	if (unlikely(ntso > 0))
		vnetif_count(&src->tx[TX_TSO], ntso);
	*okbytes = bytes;
	return (uint16_t)k;
}

/* Hand frames (off a ring, or from a sync write) to the port's listener. */
static unsigned deliver_to_listener(struct vnetif_port *port, struct vnetif_listener *l,
				    struct rte_mbuf **pkts, uint16_t n)
{
	vnetif_port *p = vnetif_port_handle(port); /* listeners get the handle */

	if (l->kind == LISTEN_MBUF) {
		l->fn.mbuf(p, pkts, n, l->arg);
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (m->nb_segs == 1) {
			l->fn.copy(p, rte_pktmbuf_mtod(m, const void *), m->pkt_len, l->arg);
		} else if (m->pkt_len <= VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN) {
			uint8_t flat[VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN];

			l->fn.copy(p, rte_pktmbuf_read(m, 0, m->pkt_len, flat), m->pkt_len, l->arg);
		} else { /* a TSO frame (a TSO port): too long for the stack */
			void *flat = malloc(m->pkt_len);

			if (flat != NULL)
				l->fn.copy(p, rte_pktmbuf_read(m, 0, m->pkt_len, flat), m->pkt_len,
					   l->arg);
			else
				vnetif_count(&port->rx[RX_DROP_SEGMENT], 1);
			free(flat);
		}
		rte_pktmbuf_free(m);
	}
	return n;
}

/* Hand @n frames of @bytes bytes (or BYTES_UNKNOWN) to @dst, past its stage: its
 * listener now (sync mode) or its ring. Takes them all. */
static void deliver_now(struct vnetif_switch *sw, struct vnetif_port *dst,
			struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	struct vnetif_listener *l = atomic_load_explicit(&dst->listener, memory_order_acquire);
	unsigned k;

	/* Lengths first: once on the ring, a frame may be taken, freed and reused. */
	if (bytes == BYTES_UNKNOWN)
		bytes = sum_len(pkts, n);
	if (!sw->cfg.async_readers && l != NULL) {
		vnetif_count(&dst->rx[RX_PACKETS], n);
		vnetif_count(&dst->rx[RX_BYTES], bytes);
		tls_depth++;
		deliver_to_listener(dst, l, pkts, n);
		tls_depth--;
		return;
	}

	for (uint16_t i = 0; i < n; i++)
		vnetif_tsan_release(pkts[i]);
	k = rte_ring_enqueue_burst(dst->ring, (void **)pkts, n, NULL);
	if (k < n && sw->cfg.full_policy == VNETIF_FULL_BACKPRESSURE) {
		struct vnetif_wait w = vnetif_wait_init(sw->cfg.yield, sw->cfg.yield_arg,
							VNETIF_WAIT_WRITER);

		for (unsigned r = 0; r < sw->cfg.backpressure_retries && k < n; r++) {
			vnetif_wait_pause(&w);
			k += rte_ring_enqueue_burst(dst->ring, (void **)pkts + k, n - k, NULL);
		}
	}
	for (unsigned i = k; i < n; i++) /* not taken: still ours */
		bytes -= pkts[i]->pkt_len;
	vnetif_count(&dst->rx[RX_PACKETS], k);
	vnetif_count(&dst->rx[RX_BYTES], bytes);
	if (k < n) {
		vnetif_count(&dst->rx[RX_DROP_RING_FULL], n - k);
		rte_pktmbuf_free_bulk(pkts + k, n - k);
	}
	if (k > 0)
		vnetif_port_wake(dst);
}

/* Hand @n frames (@bytes, or BYTES_UNKNOWN) to @dst: through its stage (impairments,
 * monitor, capture) if it has one, then to its listener or ring. Takes them all. */
static void deliver_staged(struct vnetif_switch *sw, struct vnetif_port *dst,
			   struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	if (unlikely(atomic_load_explicit(&dst->stage, memory_order_acquire) != NULL)) {
		struct rte_mbuf *out[VNETIF_STAGE_OUT];
		uint16_t k = vnetif_stage_run(dst, VNETIF_DIR_RX, pkts, n, out);

		for (uint16_t off = 0; off < k; off += VNETIF_CHUNK)
			deliver_now(sw, dst, out + off, RTE_MIN((uint16_t)(k - off), (uint16_t)VNETIF_CHUNK),
				    BYTES_UNKNOWN);
		return;
	}
	deliver_now(sw, dst, pkts, n, bytes);
}

/* Segments of a TSO frame cut on the stack; a frame that makes more gets a heap array. */
#define CUT_ON_STACK 64

/* Deliver the marked TSO frame @m to @dst, a port without TSO, cut into segments that fit
 * its MTU. Takes it. */
static void deliver_cut(struct vnetif_switch *sw, struct vnetif_port *dst, struct rte_mbuf *m)
{
	struct rte_mbuf *stack[CUT_ON_STACK], **out = stack;
	const unsigned mtu = atomic_load_explicit(&dst->mtu, memory_order_relaxed);
	int need = vnetif_tso_segments(m, mtu);
	int k;

	if (need > CUT_ON_STACK)
		out = malloc((size_t)need * sizeof(*out));
	if (need < 0 || out == NULL) {
		drop_counted(m, &dst->rx[RX_DROP_SEGMENT]);
		return;
	}
	k = vnetif_tso_cut(sw->pool, m, mtu, out, (uint16_t)RTE_MAX(need, CUT_ON_STACK));
	if (k < 0) {
		vnetif_count(&dst->rx[RX_DROP_SEGMENT], 1);
	} else {
		vnetif_count(&dst->rx[RX_SEGMENTED], 1);
		for (int off = 0; off < k; off += VNETIF_CHUNK)
			deliver_staged(sw, dst, out + off, (uint16_t)RTE_MIN(k - off, VNETIF_CHUNK),
				       BYTES_UNKNOWN);
	}
	if (out != stack)
		free(out);
}

/* Hand @n frames (@bytes, or BYTES_UNKNOWN) to @dst, TSO frames cut into segments if it
 * has no TSO, keeping their order. Takes them all. */
static void deliver_to(struct vnetif_switch *sw, struct vnetif_port *dst,
		       struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	uint16_t start = 0;

	if (likely(!atomic_load_explicit(&sw->tso_seen, memory_order_relaxed)) ||
	    atomic_load_explicit(&dst->tso, memory_order_relaxed) || !vnetif_tso_any(pkts, n)) {
		deliver_staged(sw, dst, pkts, n, bytes);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		if (!(pkts[i]->ol_flags & VNETIF_TSO_MARK))
			continue;
		if (i > start)
			deliver_staged(sw, dst, pkts + start, i - start, BYTES_UNKNOWN);
		deliver_cut(sw, dst, pkts[i]);
		start = i + 1;
	}
	if (n > start)
		deliver_staged(sw, dst, pkts + start, n - start, BYTES_UNKNOWN);
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
		  uint16_t n, uint64_t bytes)
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
		deliver_to(sw, dsts[d], copy, n, bytes);
	}
	deliver_to(sw, dsts[nd - 1], pkts, n, bytes);
}

/* Deliver @n frames (@bytes, or BYTES_UNKNOWN) from @src that have the same answer @dst. */
static void deliver_run(struct vnetif_switch *sw, struct vnetif_port *src,
			struct vnetif_port *dst, struct rte_mbuf **pkts, uint16_t n,
			uint64_t bytes)
{
	if (dst == VNETIF_ROUTE_FLOOD) {
		flood(sw, src, pkts, n, bytes);
	} else if (unlikely(vnetif_route_is_drop(dst))) {
		vnetif_count(&src->tx[vnetif_route_drop_reason(dst)], n);
		rte_pktmbuf_free_bulk(pkts, n);
	} else {
		deliver_to(sw, dst, pkts, n, bytes);
	}
}

/* Route and deliver up to VNETIF_CHUNK valid frames (of @bytes, or BYTES_UNKNOWN)
 * from @src. */
static void forward_chunk(struct vnetif_switch *sw, struct vnetif_port *src,
			  struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	struct vnetif_port *dst[VNETIF_CHUNK];
	uint16_t start = 0;

	if (vnetif_fwd_lookup(&sw->fwd, src, pkts, n, dst)) { /* one answer for all */
		deliver_run(sw, src, dst[0], pkts, n, bytes);
		return;
	}
	while (start < n) {
		uint16_t end = start + 1;

		while (end < n && dst[end] == dst[start])
			end++;
		deliver_run(sw, src, dst[start], pkts + start, end - start, BYTES_UNKNOWN);
		start = end;
	}
}

static void forward(struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_switch *sw = src->sw;

	for (uint16_t off = 0; off < n; off += VNETIF_CHUNK) {
		struct rte_mbuf *chunk[VNETIF_CHUNK];
		uint16_t cnt = RTE_MIN((uint16_t)(n - off), (uint16_t)VNETIF_CHUNK);
		uint64_t bytes;

		cnt = validate(src, pkts + off, cnt, chunk, &bytes);
		if (cnt == 0)
			continue;
		if (unlikely(atomic_load_explicit(&src->stage, memory_order_acquire) != NULL)) {
			struct rte_mbuf *out[VNETIF_STAGE_OUT];
			uint16_t k = vnetif_stage_run(src, VNETIF_DIR_TX, chunk, cnt, out);

			for (uint16_t o = 0; o < k; o += VNETIF_CHUNK)
				forward_chunk(sw, src, out + o,
					      RTE_MIN((uint16_t)(k - o), (uint16_t)VNETIF_CHUNK),
					      BYTES_UNKNOWN);
			continue;
		}
		forward_chunk(sw, src, chunk, cnt, bytes);
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
		q->port[q->tail % VNETIF_REENTRY_DEPTH] = vnetif_port_handle(src);
		q->m[q->tail % VNETIF_REENTRY_DEPTH] = pkts[i];
		q->tail++;
	}
}

/* Deliver what listeners wrote, in order, a run of one sender's frames at a time. */
static void drain_deferred(struct reentry_q *q)
{
	while (q->head != q->tail) {
		vnetif_port *h = q->port[q->head % VNETIF_REENTRY_DEPTH];
		struct rte_mbuf *run[VNETIF_CHUNK];
		struct vnetif_port *src;
		uint16_t n = 0;
		unsigned tok;

		while (q->head != q->tail && n < VNETIF_CHUNK &&
		       q->port[q->head % VNETIF_REENTRY_DEPTH] == h)
			run[n++] = q->m[q->head++ % VNETIF_REENTRY_DEPTH];

		if (vnetif_port_enter(h, false, &src, &tok) == 0) {
			forward(src, run, n);
			vnetif_srcu_unlock(&src->sw->srcu, tok);
		} else { /* the sender disconnected since its listener wrote */
			struct vnetif_port *p = vnetif_port_slot(h);

			/* ctl: its slot is not reused while we count (rare path) */
			pthread_mutex_lock(&p->sw->ctl);
			if ((atomic_load(&p->gen) & VNETIF_HANDLE_GEN_MASK) ==
			    (((uintptr_t)h >> VNETIF_HANDLE_GEN_SHIFT) & VNETIF_HANDLE_GEN_MASK))
				vnetif_count(&p->tx[TX_DROP_NO_ROUTE], n);
			else
				vnetif_count(&p->sw->gone_drops, n);
			pthread_mutex_unlock(&p->sw->ctl);
			rte_pktmbuf_free_bulk(run, n);
		}
	}
}

void vnetif_stage_resume(struct vnetif_port *p, enum vnetif_dir dir, struct rte_mbuf **pkts,
			 uint16_t n)
{
	static __thread struct reentry_q q; /* only the outermost call of a thread uses it */
	bool outermost_sync = !p->sw->cfg.async_readers && tls_q == NULL;

	if (outermost_sync) {
		q.head = q.tail = 0;
		tls_q = &q;
	}
	for (uint16_t off = 0; off < n; off += VNETIF_CHUNK) {
		uint16_t cnt = RTE_MIN((uint16_t)(n - off), (uint16_t)VNETIF_CHUNK);

		if (dir == VNETIF_DIR_RX)
			deliver_now(p->sw, p, pkts + off, cnt, BYTES_UNKNOWN);
		else
			forward_chunk(p->sw, p, pkts + off, cnt, BYTES_UNKNOWN);
	}
	if (outermost_sync) {
		drain_deferred(&q);
		tls_q = NULL;
	}
}

int vnetif_tx_entered(struct vnetif_port *port, unsigned tok, struct rte_mbuf **pkts,
		      uint16_t n)
{
	struct reentry_q q;
	bool outermost_sync;

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
		if (q.head != q.tail)
			drain_deferred(&q);
		tls_q = NULL;
	}
	return n;
}

VNETIF_API int vnetif_tx_burst(vnetif_port *h, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_port *port;
	unsigned tok;
	int rc;

	if (n > 0 && pkts == NULL)
		return -EINVAL;
	rc = vnetif_port_enter(h, false, &port, &tok);
	if (rc)
		return rc;
	return vnetif_tx_entered(port, tok, pkts, n);
}

VNETIF_API int vnetif_rx_burst(vnetif_port *h, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_port *port;
	unsigned tok, k = 0;
	int rc;

	if (n > 0 && pkts == NULL)
		return -EINVAL;
	rc = vnetif_port_enter(h, true, &port, &tok);
	if (rc)
		return rc;
	if (n > 0)
		k = rte_ring_dequeue_burst(port->ring, (void **)pkts, n, NULL);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	for (unsigned i = 0; i < k; i++)
		vnetif_tsan_acquire(pkts[i]);
	return (int)k;
}

/*
 * Deliver up to @budget frames from @port's ring to @l. Between listener calls it looks
 * at the port's state: once a disconnect's flush has timed out (CLOSING) it stops after
 * at most one more listener call, freeing and counting frames it took but did not
 * deliver (rx_drop_disconnected, as if left on the ring).
 */
static unsigned poll_ring(struct vnetif_port *port, struct vnetif_listener *l, unsigned budget)
{
	unsigned done = 0;

	while (done < budget) {
		struct rte_mbuf *pkts[32];
		unsigned k, i = 0;

		if (atomic_load_explicit(&port->state, memory_order_acquire) == PORT_CLOSING)
			break;
		k = rte_ring_dequeue_burst(port->ring, (void **)pkts, RTE_MIN(budget - done, 32u),
					   NULL);
		if (k == 0)
			break;
		for (unsigned j = 0; j < k; j++)
			vnetif_tsan_acquire(pkts[j]);
		if (l->kind == LISTEN_MBUF) {
			deliver_to_listener(port, l, pkts, (uint16_t)k);
			i = k;
		} else {
			for (; i < k; i++) {
				if (i > 0 && atomic_load_explicit(&port->state, memory_order_acquire) ==
						     PORT_CLOSING)
					break;
				deliver_to_listener(port, l, pkts + i, 1);
			}
		}
		done += i;
		if (i < k) {
			vnetif_count(&port->rx[RX_DROP_DISCONNECTED], k - i);
			rte_pktmbuf_free_bulk(pkts + i, k - i);
			break;
		}
	}
	return done;
}

VNETIF_API int vnetif_poll(vnetif_port *h, unsigned budget)
{
	struct vnetif_port *port;
	struct vnetif_listener *l;
	unsigned tok, done;
	int expect = 0, rc;

	if (budget == 0)
		return -EINVAL;
	rc = vnetif_port_enter(h, true, &port, &tok);
	if (rc)
		return rc;
	l = atomic_load_explicit(&port->listener, memory_order_acquire);
	if (l == NULL) {
		vnetif_srcu_unlock(&port->sw->srcu, tok);
		return -ENOENT;
	}
	if (!atomic_compare_exchange_strong_explicit(&port->polling, &expect, 1,
						     memory_order_acquire, memory_order_relaxed)) {
		vnetif_srcu_unlock(&port->sw->srcu, tok);
		return 0;
	}
	done = poll_ring(port, l, budget);
	atomic_store_explicit(&port->polling, 0, memory_order_release);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	return (int)done;
}
