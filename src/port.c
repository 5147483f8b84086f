/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: connect, disconnect, handles, listeners, counters.
 *
 * Handles. A switch owns a table of cfg.max_ports port structs (its slots), allocated
 * with the switch and reused: connect takes the free slot that was freed longest ago,
 * disconnect gives it back after its grace period. Memory therefore does not grow with
 * connects, however many. What an application holds is a handle, not a pointer: the
 * value
 *
 *     bit 63 | connect number mod 2^22 (bits 41..62) | switch address >> 16 | slot (10 bits)
 *
 * (the switch is allocated 64 KiB-aligned below 2^47, so its address fits in 31 bits).
 * A call on a handle finds the switch and the slot, then compares the connect number
 * with the slot's: the handle of a port that left gets -ENOTCONN, also once its slot
 * serves a newer port. Two ports of one switch share handle bits only if their
 * connect numbers are 2^22 (4,194,304) apart and they used the same slot, so a stale
 * handle kept across that many connects could name a newer port. Bit 63 makes handles
 * non-canonical addresses: a port handle given where a switch is expected is refused
 * without being read, and nothing ever dereferences a handle. Handles are invalid once
 * their switch is destroyed.
 *
 * Lifecycle of a slot: CLOSED -> CONNECTED (connect) -> [FLUSHING] -> CLOSING
 * (disconnect) -> CLOSED. A control call that must wait (the flush, the reader thread,
 * a grace period) changes state under the switch's ctl mutex, waits with no lock held,
 * then reclaims under the mutex. While it waits the port is "busy": another control
 * call on it returns -EALREADY, or -EDEADLK if made by the waiting thread itself (from
 * its yield function).
 *
 * A slot's stage (stage.c: impairments, monitor, capture tap) is slot memory too: set
 * up at connect before the port is published, its held frames freed and counted at
 * reclaim, and reset (with the counters) when the slot serves the next port, so a new
 * port never sees the previous port's held frames, counters, monitor or capture.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_malloc.h>

#include "stage.h"
#include "port.h"
#include "portsec.h"
#include "reader.h"
#include "slot.h"
#include "vnetif_private.h"

/* ---- slots ---------------------------------------------------------------------------- */

int vnetif_slots_init(struct vnetif_switch *sw)
{
	unsigned n = sw->cfg.max_ports;

	sw->slot = rte_zmalloc_socket("vnetif_ports", n * sizeof(*sw->slot), RTE_CACHE_LINE_SIZE,
				      (int)rte_socket_id());
	if (sw->slot == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		sw->slot[i].magic = VNETIF_PORT_MAGIC;
		sw->slot[i].idx = (uint16_t)i;
		sw->slot[i].sw = sw;
		sw->slot[i].free_next = (uint16_t)(i + 1);
	}
	sw->free_head = 0;
	sw->free_tail = (uint16_t)(n - 1);
	sw->nfree = (uint16_t)n;
	return 0;
}

static unsigned slot_take(struct vnetif_switch *sw)
{
	unsigned idx = sw->free_head;

	sw->free_head = sw->slot[idx].free_next;
	sw->nfree--;
	return idx;
}

static void slot_give_back(struct vnetif_switch *sw, unsigned idx, bool front)
{
	if (sw->nfree == 0) {
		sw->free_head = sw->free_tail = (uint16_t)idx;
	} else if (front) {
		sw->slot[idx].free_next = sw->free_head;
		sw->free_head = (uint16_t)idx;
	} else {
		sw->slot[sw->free_tail].free_next = (uint16_t)idx;
		sw->free_tail = (uint16_t)idx;
	}
	sw->nfree++;
}

uint64_t vnetif_port_drops(const struct vnetif_port *p)
{
	uint64_t d = 0;

	for (int i = TX_DROP_OVERSIZE; i < TX_NSTATS; i++)
		d += atomic_load_explicit(&p->tx[i], memory_order_acquire);
	d += atomic_load_explicit(&p->rx[RX_DROP_RING_FULL], memory_order_acquire);
	d += atomic_load_explicit(&p->rx[RX_DROP_DISCONNECTED], memory_order_acquire);
	d += atomic_load_explicit(&p->rx[RX_DROP_SEGMENT], memory_order_acquire);
	return d;
}

/* Forget the previous port of a CLOSED slot (ctl held). Its drops move to the switch's
 * total; vnetif_stats_get() on its handle answers -ENOTCONN from now on. */
static void slot_reset(struct vnetif_switch *sw, struct vnetif_port *p)
{
	atomic_store_explicit(&p->gen, 0, memory_order_relaxed);
	atomic_fetch_add_explicit(&sw->reuse_seq, 1, memory_order_relaxed); /* odd */
	/* Seqlock writer, with release stores rather than a fence (ThreadSanitizer sees
	 * them): a reader whose acquire load sees a changed value sees gen 0 and the odd
	 * sequence number too. */
	atomic_fetch_add_explicit(&sw->gone_drops, vnetif_port_drops(p) + vnetif_stage_drops(p),
				  memory_order_release);
	for (int i = 0; i < TX_NSTATS; i++)
		atomic_store_explicit(&p->tx[i], 0, memory_order_release);
	for (int i = 0; i < RX_NSTATS; i++)
		atomic_store_explicit(&p->rx[i], 0, memory_order_release);
	/* The old port's impairments, monitor, capture and counters: the new port starts
	 * with none (and no stage on its datapath). */
	vnetif_stage_reset(p);
	atomic_fetch_add_explicit(&sw->reuse_seq, 1, memory_order_release); /* even */
	atomic_store_explicit(&p->polling, 0, memory_order_relaxed);
	atomic_store_explicit(&p->reader_on, false, memory_order_relaxed);
	atomic_store_explicit(&p->reader_stop, false, memory_order_relaxed);
	atomic_store_explicit(&p->reader_done, false, memory_order_relaxed);
	atomic_store_explicit(&p->rx_sleeping, 0, memory_order_relaxed);
	atomic_store_explicit(&p->rx_crowded, false, memory_order_relaxed);
	p->is_busy = false;
}

/* ---- connect ------------------------------------------------------------------------- */

static bool mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[VNETIF_ETHER_ADDR_LEN];

	return memcmp(mac, zero, sizeof(zero)) == 0;
}

/* O(max_ports): the slots are the only ports there are. ctl held. */
static bool mac_in_use(struct vnetif_switch *sw, const uint8_t *mac)
{
	unsigned hwm = atomic_load_explicit(&sw->port_hwm, memory_order_relaxed);

	for (unsigned i = 0; i < hwm; i++) {
		const struct vnetif_port *p = &sw->slot[i];

		if (atomic_load_explicit(&p->state, memory_order_relaxed) != PORT_CLOSED &&
		    memcmp(p->mac, mac, VNETIF_ETHER_ADDR_LEN) == 0)
			return true;
	}
	return false;
}

/* 02:50:00:XX:XX:XX, XX = the connect number: locally administered, unicast. */
static void auto_mac(uint8_t *mac, uint32_t gen)
{
	mac[0] = 0x02;
	mac[1] = 0x50;
	mac[2] = 0x00;
	mac[3] = (uint8_t)(gen >> 16);
	mac[4] = (uint8_t)(gen >> 8);
	mac[5] = (uint8_t)gen;
}

/* Next connect number; none is 0 in its handle bits (a slot being reset has gen 0). */
static uint32_t next_gen(struct vnetif_switch *sw)
{
	do
		sw->next_gen++;
	while ((sw->next_gen & VNETIF_HANDLE_GEN_MASK) == 0);
	return sw->next_gen;
}

/* The MAC a new port gets: the caller's, or a fresh locally administered one built from a
 * generation no live port uses. Takes the generation the port will carry. Under sw->ctl. */
static int choose_mac(struct vnetif_switch *sw, const struct vnetif_port_config *cfg,
		      uint8_t mac[VNETIF_ETHER_ADDR_LEN], uint32_t *gen)
{
	if (!mac_is_zero(cfg->mac) && mac_in_use(sw, cfg->mac))
		return -EADDRINUSE;
	*gen = next_gen(sw);
	if (mac_is_zero(cfg->mac)) {
		for (auto_mac(mac, *gen); mac_in_use(sw, mac); auto_mac(mac, *gen))
			*gen = next_gen(sw);
	} else {
		memcpy(mac, cfg->mac, VNETIF_ETHER_ADDR_LEN);
	}
	return 0;
}

/* The port's rx ring. Head/tail sync: writers and readers are application threads, often
 * more than the cores, and a preempted one must not hold the others up (src/pool.c says
 * what the other ring modes did under that load). */
static struct rte_ring *create_port_ring(struct vnetif_switch *sw, uint32_t gen)
{
	char rname[RTE_RING_NAMESIZE];

	snprintf(rname, sizeof(rname), "%s_p%u", sw->name, gen);
	return rte_ring_create(rname, sw->cfg.ring_size, (int)rte_socket_id(),
			       RING_F_EXACT_SZ | RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ);
}

/* Takes a free slot and fills it for the new port, not yet visible to the datapath: on
 * failure of the stages (impairments, a switch-wide capture) the slot goes back unused and
 * the ring is freed. Returns the slot index or a negative errno. Under sw->ctl. */
static int fill_slot(struct vnetif_switch *sw, const struct vnetif_port_config *cfg,
		     struct rte_ring *ring, const uint8_t mac[VNETIF_ETHER_ADDR_LEN],
		     unsigned mtu, uint32_t gen)
{
	unsigned idx = slot_take(sw);
	struct vnetif_port *p = &sw->slot[idx];
	int rc;

	slot_reset(sw, p);
	vnetif_portsec_reset(p);
	p->ring = ring;
	memcpy(p->mac, mac, VNETIF_ETHER_ADDR_LEN);
	atomic_store_explicit(&p->mtu, mtu, memory_order_relaxed);
	atomic_store_explicit(&p->tso, false, memory_order_relaxed);
	atomic_store_explicit(&p->gen, gen, memory_order_release);
	rc = vnetif_stage_connect(p, cfg);
	if (rc) {
		vnetif_stage_reset(p);
		atomic_store_explicit(&p->gen, 0, memory_order_release);
		p->ring = NULL;
		rte_ring_free(ring);
		slot_give_back(sw, idx, true);
		return rc;
	}
	return (int)idx;
}

/* Makes the filled slot idx a connected port the datapath can see. Under sw->ctl. */
static void publish_port(struct vnetif_switch *sw, unsigned idx)
{
	struct vnetif_port *p = &sw->slot[idx];

	vnetif_fwd_port_join(&sw->fwd, p);
	atomic_store_explicit(&p->state, PORT_CONNECTED, memory_order_release);
	atomic_fetch_add_explicit(&sw->nports, 1, memory_order_relaxed);
	if (idx + 1 > atomic_load(&sw->port_hwm))
		atomic_store_explicit(&sw->port_hwm, idx + 1, memory_order_release);
	atomic_store_explicit(&sw->ports[idx], p, memory_order_release);
}

VNETIF_API int vnetif_connect(vnetif_switch *sw, const struct vnetif_port_config *cfg,
			      vnetif_port **out)
{
	struct vnetif_port_config def = {0};
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	struct rte_ring *ring;
	unsigned mtu;
	uint32_t gen;
	int rc;

	if (!vnetif_switch_ok(sw) || out == NULL)
		return -EINVAL;
	if (cfg == NULL)
		cfg = &def;
	mtu = cfg->mtu ? cfg->mtu : sw->cfg.default_mtu;
	if (mtu < VNETIF_MTU_MIN || mtu > VNETIF_MTU_MAX)
		return -EINVAL;
	if (!mac_is_zero(cfg->mac) && (cfg->mac[0] & 1))
		return -EINVAL; /* multicast or broadcast */

	pthread_mutex_lock(&sw->ctl);
	if (sw->nfree == 0) { /* max_ports connected, or slots of ports still leaving */
		rc = -ENOSPC;
		goto unlock;
	}
	rc = choose_mac(sw, cfg, mac, &gen);
	if (rc)
		goto unlock;
	ring = create_port_ring(sw, gen);
	if (ring == NULL) {
		rc = -ENOMEM;
		goto unlock;
	}
	rc = fill_slot(sw, cfg, ring, mac, mtu, gen);
	if (rc < 0)
		goto unlock;
	publish_port(sw, (unsigned)rc);
	*out = vnetif_port_handle_of(sw, (unsigned)rc, gen);
	rc = 0;
unlock:
	pthread_mutex_unlock(&sw->ctl);
	return rc;
}

/* ---- disconnect ------------------------------------------------------------------------ */

static void free_ring_frames(struct vnetif_port *p)
{
	struct rte_mbuf *pkts[64];
	unsigned n;

	while ((n = rte_ring_dequeue_burst(p->ring, (void **)pkts, RTE_DIM(pkts), NULL)) > 0) {
		for (unsigned i = 0; i < n; i++)
			vnetif_tsan_acquire(pkts[i]);
		vnetif_count(&p->rx[RX_DROP_DISCONNECTED], n);
		rte_pktmbuf_free_bulk(pkts, n);
	}
}

/* Free replaced listeners whose grace period has passed (all of them if @all). ctl held. */
static void reap_listeners(struct vnetif_port *p, bool all)
{
	struct vnetif_listener **pp = &p->retired;

	while (*pp) {
		struct vnetif_listener *l = *pp;

		if (all || vnetif_srcu_done(&p->sw->srcu, l->ticket)) {
			*pp = l->retired_next;
			free(l);
		} else {
			pp = &l->retired_next;
		}
	}
}

/* Claim @p for a control call that will wait (ctl held): 0, -EDEADLK the calling thread
 * is already waiting on it (a yield function calling back), -EALREADY another is. */
static int claim(struct vnetif_port *p)
{
	if (p->is_busy)
		return pthread_equal(p->busy, pthread_self()) ? -EDEADLK : -EALREADY;
	p->is_busy = true;
	p->busy = pthread_self();
	p->sw->waiting++;
	return 0;
}

static void release(struct vnetif_port *p)
{
	p->is_busy = false;
	p->sw->waiting--;
}

/* The waits of a disconnect, with no lock held. */
static int wait_gone(struct vnetif_port *p, unsigned flush_timeout_ms)
{
	struct vnetif_switch *sw = p->sw;
	struct vnetif_wait w = vnetif_wait_init(sw->cfg.yield, sw->cfg.yield_arg,
						VNETIF_WAIT_CONTROL);
	uint64_t deadline;
	int rc;

	if (atomic_load(&p->state) == PORT_FLUSHING) {
		/* The listener (reader thread or vnetif_poll) keeps draining the ring; frames a
		 * poll has taken are delivered once it returns. */
		deadline = vnetif_deadline_ms(flush_timeout_ms);
		while ((rte_ring_count(p->ring) > 0 || atomic_load(&p->polling)) &&
		       vnetif_now_ns() < deadline)
			vnetif_wait_pause(&w);
		/* A poll delivering now stops after its current listener call. */
		atomic_store_explicit(&p->state, PORT_CLOSING, memory_order_seq_cst);
	}
	deadline = vnetif_deadline_ms(sw->cfg.grace_timeout_ms);
	rc = vnetif_reader_join(p, deadline);
	if (rc == 0)
		rc = vnetif_srcu_synchronize(&sw->srcu, deadline, &w);
	return rc;
}

/* After the grace period: nothing can reach the port (ctl held). */
static void reclaim(struct vnetif_port *p)
{
	struct vnetif_switch *sw = p->sw;

	vnetif_fwd_reclaim(&sw->fwd, p->flush_dead);
	free_ring_frames(p);
	/* Frames an impairment still holds (not yet due: the clock and the datapath stop
	 * releasing them once the port leaves CONNECTED): freed, counted in the impairment's
	 * dropped_disconnected. Its counters stay readable through this port's handle until
	 * the slot is reused. */
	vnetif_stage_disconnect(p);
	free(atomic_exchange(&p->listener, NULL));
	reap_listeners(p, true);
	rte_ring_free(p->ring);
	p->ring = NULL;
	atomic_store_explicit(&p->state, PORT_CLOSED, memory_order_release);
	slot_give_back(sw, p->idx, false);
}

/* Disconnect @p (the port of handle @h, or NULL: whatever port the slot holds). */
static int close_port(struct vnetif_port *p, const vnetif_port *h, unsigned flush_timeout_ms)
{
	struct vnetif_switch *sw = p->sw;
	int rc;

	pthread_mutex_lock(&sw->ctl);
	if ((h && !vnetif_handle_is_current(p, h)) || atomic_load(&p->state) == PORT_CLOSED) {
		pthread_mutex_unlock(&sw->ctl);
		return -ENOTCONN;
	}
	rc = claim(p);
	if (rc) {
		pthread_mutex_unlock(&sw->ctl);
		return rc;
	}
	if (atomic_load(&p->state) == PORT_CONNECTED) {
		/* New frames stop now; those queued drain during the flush. */
		atomic_store(&p->state, flush_timeout_ms ? PORT_FLUSHING : PORT_CLOSING);
		atomic_store_explicit(&sw->ports[p->idx], NULL, memory_order_seq_cst);
		vnetif_fwd_port_leave(&sw->fwd, p);
		/* Marks count every deletion ever made: disconnects waiting at the same time
		 * each release what was deleted before their own grace period began. */
		p->flush_dead = vnetif_fwd_reclaim_mark(&sw->fwd);
		atomic_fetch_sub_explicit(&sw->nports, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&sw->ctl);

	rc = wait_gone(p, flush_timeout_ms);

	pthread_mutex_lock(&sw->ctl);
	if (rc == 0)
		reclaim(p);
	release(p);
	pthread_mutex_unlock(&sw->ctl);
	return rc;
}

int vnetif_port_close(struct vnetif_port *p, unsigned flush_timeout_ms)
{
	return close_port(p, NULL, flush_timeout_ms);
}

/* A control call on @p that would wait for the calling thread itself: -EDEADLK. */
static int deadlock_check(const struct vnetif_port *p)
{
	if (vnetif_srcu_held(&p->sw->srcu) || vnetif_reader_is_self(p->sw, p))
		return -EDEADLK;
	return 0;
}

VNETIF_API int vnetif_disconnect(vnetif_port *port, unsigned flush_timeout_ms)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	int rc;

	if (p == NULL)
		return -EINVAL;
	rc = deadlock_check(p);
	if (rc)
		return rc;
	return close_port(p, port, flush_timeout_ms);
}

VNETIF_API int vnetif_reader_stop(vnetif_port *port)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	struct vnetif_switch *sw;
	int rc;

	if (p == NULL)
		return -EINVAL;
	sw = p->sw;
	rc = deadlock_check(p);
	if (rc)
		return rc;
	pthread_mutex_lock(&sw->ctl);
	if (!vnetif_handle_is_current(p, port) || atomic_load(&p->state) != PORT_CONNECTED)
		rc = -ENOTCONN;
	else if (p->is_busy)
		rc = claim(p);
	else if (!atomic_load(&p->reader_on))
		rc = -ENOENT;
	else
		rc = claim(p);
	pthread_mutex_unlock(&sw->ctl);
	if (rc)
		return rc;
	rc = vnetif_reader_join(p, vnetif_deadline_ms(sw->cfg.grace_timeout_ms));
	pthread_mutex_lock(&sw->ctl);
	release(p);
	pthread_mutex_unlock(&sw->ctl);
	return rc;
}

/* ---- per-port calls ------------------------------------------------------------------ */

VNETIF_API int vnetif_mac(const vnetif_port *port, uint8_t mac[VNETIF_ETHER_ADDR_LEN])
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	if (mac)
		memcpy(mac, p->mac, VNETIF_ETHER_ADDR_LEN);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return mac ? 0 : -EINVAL;
}

VNETIF_API int vnetif_mtu(const vnetif_port *port)
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	rc = (int)atomic_load_explicit(&p->mtu, memory_order_relaxed);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return rc;
}

VNETIF_API int vnetif_set_mtu(vnetif_port *port, unsigned mtu)
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	if (mtu < VNETIF_MTU_MIN || mtu > VNETIF_MTU_MAX)
		rc = -EINVAL;
	else
		atomic_store_explicit(&p->mtu, mtu, memory_order_relaxed);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return rc;
}

VNETIF_API int vnetif_tso(const vnetif_port *port)
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	rc = atomic_load_explicit(&p->tso, memory_order_relaxed) ? 1 : 0;
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return rc;
}

VNETIF_API int vnetif_set_tso(vnetif_port *port, bool on)
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	if (on) /* first: a writer that sees the port's TSO on sees this too */
		atomic_store_explicit(&p->sw->tso_seen, true, memory_order_relaxed);
	atomic_store_explicit(&p->tso, on, memory_order_release);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return 0;
}

VNETIF_API vnetif_switch *vnetif_port_switch(const vnetif_port *port)
{
	struct vnetif_port *p;
	struct vnetif_switch *sw;
	unsigned tok;

	if (vnetif_port_enter(port, false, &p, &tok))
		return NULL;
	sw = p->sw;
	vnetif_srcu_unlock(&sw->srcu, tok);
	return sw;
}

/* No read side needed: the slot outlives every handle. A seqlock on the connect number
 * (slot_reset) makes sure the numbers are this port's. */
VNETIF_API int vnetif_stats_get(const vnetif_port *port, struct vnetif_stats *st)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	struct vnetif_stats s;
	uint32_t gen;

	if (p == NULL || st == NULL)
		return -EINVAL;
	gen = atomic_load_explicit(&p->gen, memory_order_acquire);
	if ((gen & VNETIF_HANDLE_GEN_MASK) != vnetif_handle_gen(port))
		return -ENOTCONN;
#define TX(i) atomic_load_explicit(&p->tx[i], memory_order_acquire)
#define RX(i) atomic_load_explicit(&p->rx[i], memory_order_acquire)
	s = (struct vnetif_stats){
		.tx_packets = TX(TX_PACKETS),
		.tx_bytes = TX(TX_BYTES),
		.rx_packets = RX(RX_PACKETS),
		.rx_bytes = RX(RX_BYTES),
		.tx_flooded = TX(TX_FLOODED),
		.tx_learn_limited = TX(TX_LEARN_LIMITED),
		.macs_moved_in = TX(TX_MACS_MOVED_IN),
		.tx_drop_mac_lock = TX(TX_DROP_MAC_LOCK),
		.tx_drop_oversize = TX(TX_DROP_OVERSIZE),
		.tx_drop_runt = TX(TX_DROP_RUNT),
		.tx_drop_bad_src = TX(TX_DROP_BAD_SRC),
		.tx_drop_no_route = TX(TX_DROP_NO_ROUTE),
		.tx_drop_own_port = TX(TX_DROP_OWN_PORT),
		.tx_drop_pool_empty = TX(TX_DROP_POOL_EMPTY),
		.tx_drop_reentry = TX(TX_DROP_REENTRY),
		.rx_drop_ring_full = RX(RX_DROP_RING_FULL),
		.rx_drop_disconnected = RX(RX_DROP_DISCONNECTED),
		.tx_tso = TX(TX_TSO),
		.rx_segmented = RX(RX_SEGMENTED),
		.rx_drop_segment = RX(RX_DROP_SEGMENT),
	};
#undef TX
#undef RX
	if (atomic_load_explicit(&p->gen, memory_order_relaxed) != gen)
		return -ENOTCONN; /* the slot was reused while we read */
	*st = s;
	return 0;
}

VNETIF_API int vnetif_stats_reset(vnetif_port *port)
{
	struct vnetif_port *p;
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	for (int i = 0; i < TX_NSTATS; i++)
		atomic_store_explicit(&p->tx[i], 0, memory_order_relaxed);
	for (int i = 0; i < RX_NSTATS; i++)
		atomic_store_explicit(&p->rx[i], 0, memory_order_relaxed);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return 0;
}

/* ---- listeners ------------------------------------------------------------------------- */

static int set_listener(vnetif_port *port, enum vnetif_listener_kind kind, void *fn, void *arg)
{
	struct vnetif_listener *l = NULL, *old;
	struct vnetif_port *p;
	unsigned tok;
	int rc;

	if (fn) {
		l = calloc(1, sizeof(*l));
		if (l == NULL)
			return vnetif_port_slot(port) ? -ENOMEM : -EINVAL;
		l->kind = kind;
		if (kind == LISTEN_COPY)
			l->fn.copy = (vnetif_listen_fn)fn;
		else
			l->fn.mbuf = (vnetif_listen_mbuf_fn)fn;
		l->arg = arg;
	}
	rc = vnetif_port_enter(port, false, &p, &tok);
	if (rc) {
		free(l);
		return rc;
	}
	pthread_mutex_lock(&p->sw->ctl);
	old = atomic_exchange_explicit(&p->listener, l, memory_order_seq_cst);
	if (old) { /* a datapath call may still be running it: free after a grace period */
		old->ticket = vnetif_srcu_ticket(&p->sw->srcu);
		old->retired_next = p->retired;
		p->retired = old;
	}
	reap_listeners(p, false);
	pthread_mutex_unlock(&p->sw->ctl);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return 0;
}

VNETIF_API int vnetif_listen(vnetif_port *port, vnetif_listen_fn fn, void *arg)
{
	return set_listener(port, LISTEN_COPY, (void *)fn, arg);
}

VNETIF_API int vnetif_listen_mbuf(vnetif_port *port, vnetif_listen_mbuf_fn fn, void *arg)
{
	return set_listener(port, LISTEN_MBUF, (void *)fn, arg);
}
