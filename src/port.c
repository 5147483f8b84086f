/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_malloc.h>

#include "vnetif_private.h"

static bool mac_in_use(struct vnetif_switch *sw, const uint8_t *mac)
{
	for (struct vnetif_port *p = sw->all; p; p = p->next)
		if (atomic_load(&p->state) != PORT_CLOSED && memcmp(p->mac, mac, 6) == 0)
			return true;
	return false;
}

static bool mac_is_zero(const uint8_t *mac)
{
	static const uint8_t zero[VNETIF_ETHER_ADDR_LEN];

	return memcmp(mac, zero, sizeof(zero)) == 0;
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

VNETIF_API int vnetif_connect(vnetif_switch *sw, const struct vnetif_port_config *cfg,
			      vnetif_port **out)
{
	struct vnetif_port_config def = {0};
	struct vnetif_port *p;
	char rname[RTE_RING_NAMESIZE];
	unsigned idx, mtu;
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
	if (sw->nports >= sw->cfg.max_ports) {
		rc = -ENOSPC;
		goto unlock;
	}
	for (idx = 0; idx < sw->cfg.max_ports; idx++)
		if (atomic_load(&sw->ports[idx]) == NULL)
			break;
	if (idx == sw->cfg.max_ports) { /* slots still held by ports that are closing */
		rc = -ENOSPC;
		goto unlock;
	}
	if (!mac_is_zero(cfg->mac) && mac_in_use(sw, cfg->mac)) {
		rc = -EADDRINUSE;
		goto unlock;
	}
	p = rte_zmalloc("vnetif_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		rc = -ENOMEM;
		goto unlock;
	}
	p->gen = ++sw->next_gen;
	if (mac_is_zero(cfg->mac)) {
		do
			auto_mac(p->mac, p->gen);
		while (mac_in_use(sw, p->mac) && (p->gen = ++sw->next_gen));
	} else {
		memcpy(p->mac, cfg->mac, sizeof(p->mac));
	}
	snprintf(rname, sizeof(rname), "%s_p%u", sw->name, p->gen);
	/* Head/tail sync, for the reasons given at the pool's creation (switch.c). */
	p->ring = rte_ring_create(rname, sw->cfg.ring_size, (int)rte_socket_id(),
				  RING_F_EXACT_SZ | RING_F_MP_HTS_ENQ | RING_F_MC_HTS_DEQ);
	if (p->ring == NULL) {
		rte_free(p);
		rc = -ENOMEM;
		goto unlock;
	}
	p->magic = VNETIF_PORT_MAGIC;
	p->idx = (uint16_t)idx;
	p->sw = sw;
	atomic_init(&p->mtu, mtu);
	atomic_init(&p->state, PORT_CONNECTED);
	/* The port's own MAC is known from the start; if the table is full, frames for it
	 * flood, which still reaches it. */
	vnetif_fdb_learn(&sw->fdb, vnetif_mac_key(p->mac), vnetif_fdb_value(p->idx, p->gen), true,
			 0, NULL, NULL);
	p->next = sw->all;
	sw->all = p;
	sw->nports++;
	atomic_store_explicit(&sw->ports[idx], p, memory_order_release);
	if (idx + 1 > atomic_load(&sw->port_hwm))
		atomic_store_explicit(&sw->port_hwm, idx + 1, memory_order_release);
	*out = p;
	rc = 0;
unlock:
	pthread_mutex_unlock(&sw->ctl);
	return rc;
}

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

int vnetif_disconnect_locked(struct vnetif_port *p, unsigned flush_timeout_ms)
{
	struct vnetif_switch *sw = p->sw;
	uint64_t deadline;
	unsigned dead;

	if (atomic_load(&p->state) == PORT_CONNECTED) {
		atomic_store(&p->state, PORT_CLOSING);
		atomic_store_explicit(&sw->ports[p->idx], NULL, memory_order_seq_cst);
		vnetif_fdb_forget_port(&sw->fdb, p->idx);
		sw->nports--;
		if (flush_timeout_ms) {
			deadline = vnetif_now_ns() + flush_timeout_ms * 1000000ull;
			while (rte_ring_count(p->ring) > 0 && vnetif_now_ns() < deadline)
				vnetif_wait_pause(sw);
		}
	}
	vnetif_reader_join(p);
	if (atomic_load(&p->reader_on))
		return -ETIMEDOUT;
	dead = sw->fdb.ndead;
	deadline = vnetif_now_ns() + sw->cfg.grace_timeout_ms * 1000000ull;
	if (vnetif_srcu_synchronize(&sw->srcu, deadline, sw->cfg.yield, sw->cfg.yield_arg))
		return -ETIMEDOUT;
	/* No datapath call can see the port now. */
	vnetif_fdb_reclaim(&sw->fdb, dead);
	free_ring_frames(p);
	while (p->retired) { /* no call can be running an old listener now */
		struct vnetif_listener *l = p->retired;

		p->retired = l->retired_next;
		free(l);
	}
	rte_ring_free(p->ring);
	p->ring = NULL;
	atomic_store(&p->state, PORT_CLOSED);
	return 0;
}

VNETIF_API int vnetif_disconnect(vnetif_port *port, unsigned flush_timeout_ms)
{
	int rc;

	if (!vnetif_port_ok(port))
		return -EINVAL;
	if (vnetif_in_listener_on(port->sw))
		return -EDEADLK;
	pthread_mutex_lock(&port->sw->ctl);
	if (atomic_load(&port->state) == PORT_CLOSED)
		rc = -ENOTCONN;
	else
		rc = vnetif_disconnect_locked(port, flush_timeout_ms);
	pthread_mutex_unlock(&port->sw->ctl);
	return rc;
}

VNETIF_API int vnetif_mac(const vnetif_port *port, uint8_t mac[VNETIF_ETHER_ADDR_LEN])
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (mac == NULL)
		return -EINVAL;
	memcpy(mac, port->mac, VNETIF_ETHER_ADDR_LEN);
	return 0;
}

VNETIF_API int vnetif_mtu(const vnetif_port *port)
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	return (int)atomic_load_explicit(&port->mtu, memory_order_relaxed);
}

VNETIF_API int vnetif_set_mtu(vnetif_port *port, unsigned mtu)
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (mtu < VNETIF_MTU_MIN || mtu > VNETIF_MTU_MAX)
		return -EINVAL;
	atomic_store_explicit(&port->mtu, mtu, memory_order_relaxed);
	return 0;
}

VNETIF_API vnetif_switch *vnetif_port_switch(const vnetif_port *port)
{
	return vnetif_port_ok(port) ? port->sw : NULL;
}

VNETIF_API int vnetif_stats_get(const vnetif_port *port, struct vnetif_stats *st)
{
	if (!vnetif_port_ok(port) || st == NULL)
		return -EINVAL;
#define TX(i) atomic_load_explicit(&port->tx[i], memory_order_relaxed)
#define RX(i) atomic_load_explicit(&port->rx[i], memory_order_relaxed)
	*st = (struct vnetif_stats){
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
	};
#undef TX
#undef RX
	return 0;
}

VNETIF_API int vnetif_stats_reset(vnetif_port *port)
{
	if (!vnetif_port_ok(port))
		return -EINVAL;
	for (int i = 0; i < TX_NSTATS; i++)
		atomic_store_explicit(&port->tx[i], 0, memory_order_relaxed);
	for (int i = 0; i < RX_NSTATS; i++)
		atomic_store_explicit(&port->rx[i], 0, memory_order_relaxed);
	return 0;
}

static int set_listener(struct vnetif_port *port, enum vnetif_listener_kind kind,
			void *fn, void *arg)
{
	struct vnetif_listener *l = NULL, *old;
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (fn) {
		l = calloc(1, sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		l->kind = kind;
		if (kind == LISTEN_COPY)
			l->fn.copy = (vnetif_listen_fn)fn;
		else
			l->fn.mbuf = (vnetif_listen_mbuf_fn)fn;
		l->arg = arg;
	}
	pthread_mutex_lock(&port->sw->ctl);
	old = atomic_exchange_explicit(&port->listener, l, memory_order_acq_rel);
	if (old) { /* a datapath call may still be using it: keep it until the port goes */
		old->retired_next = port->retired;
		port->retired = old;
	}
	pthread_mutex_unlock(&port->sw->ctl);
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
