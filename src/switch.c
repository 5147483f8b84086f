/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "stage.h"
#include "vnetif_private.h"

uint64_t vnetif_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One pause of a control-path wait: the switch's yield, else 50 µs of sleep. */
void vnetif_wait_pause(const struct vnetif_switch *sw)
{
	if (sw->cfg.yield)
		sw->cfg.yield(sw->cfg.yield_arg);
	else
		usleep(50);
}

VNETIF_API void vnetif_switch_config_init(struct vnetif_switch_config *cfg)
{
	if (cfg == NULL)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->fwd_mode = VNETIF_FWD_LEARNING;
	cfg->full_policy = VNETIF_FULL_DROP;
	cfg->backpressure_retries = 1000;
	cfg->ring_size = 1024;
	cfg->max_ports = 64;
	cfg->fdb_size = 4096;
	cfg->default_mtu = 1500;
	cfg->pool_size = 16383;
	cfg->grace_timeout_ms = 1000;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VNETIF_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int config_check(const struct vnetif_switch_config *c)
{
	if (c->name && !name_ok(c->name))
		return -EINVAL;
	if (c->fwd_mode != VNETIF_FWD_LEARNING && c->fwd_mode != VNETIF_FWD_HUB)
		return -EINVAL;
	if (c->full_policy != VNETIF_FULL_DROP && c->full_policy != VNETIF_FULL_BACKPRESSURE)
		return -EINVAL;
	if (c->ring_size < 64 || c->ring_size > 65536 || !rte_is_power_of_2(c->ring_size))
		return -EINVAL;
	if (c->max_ports < 2 || c->max_ports > VNETIF_MAX_PORTS)
		return -EINVAL;
	if (c->fdb_size < 64 || c->fdb_size > (1u << 24))
		return -EINVAL;
	if (c->default_mtu < VNETIF_MTU_MIN || c->default_mtu > VNETIF_MTU_MAX)
		return -EINVAL;
	if (c->pool == NULL && (c->pool_size < 64 || c->pool_size > (1u << 24)))
		return -EINVAL;
	if (c->pool && rte_pktmbuf_data_room_size(c->pool) <= RTE_PKTMBUF_HEADROOM)
		return -EINVAL;
	if (c->grace_timeout_ms == 0 || c->grace_timeout_ms > 3600u * 1000u)
		return -EINVAL;
	return 0;
}

VNETIF_API int vnetif_switch_create(const struct vnetif_switch_config *cfg,
				    vnetif_switch **out)
{
	struct vnetif_switch *sw;
	char pname[RTE_MEMPOOL_NAMESIZE];
	int rc;

	if (cfg == NULL || out == NULL)
		return -EINVAL;
	rc = config_check(cfg);
	if (rc)
		return rc;
	rc = vnetif_eal_ensure();
	if (rc)
		return rc;

	sw = rte_zmalloc_socket("vnetif_switch", sizeof(*sw), RTE_CACHE_LINE_SIZE,
				(int)rte_socket_id());
	if (sw == NULL)
		return -ENOMEM;
	sw->cfg = *cfg;
	if (cfg->name)
		snprintf(sw->name, sizeof(sw->name), "%s", cfg->name);
	else /* unique while the switch lives, and no process-wide counter needed */
		snprintf(sw->name, sizeof(sw->name), "vs%lx",
			 (unsigned long)((uintptr_t)sw >> 6) & 0xffffffffffful);
	sw->cfg.name = sw->name;
	sw->ports = calloc(cfg->max_ports, sizeof(*sw->ports));
	if (sw->ports == NULL) {
		rc = -ENOMEM;
		goto fail_free;
	}
	rc = vnetif_fdb_init(&sw->fdb, sw->name, cfg->fdb_size);
	if (rc)
		goto fail_free;
	if (cfg->pool) {
		sw->pool = cfg->pool;
	} else {
		snprintf(pname, sizeof(pname), "%s_pool", sw->name);
		/* HTS ring ops. Datapath threads are application threads, without mempool
		 * caches and often more than the cores: with the classic MP/MC ring, the
		 * stress suite crawled (>300 s, every thread spinning behind a preempted
		 * one); with HTS it takes ~5 s. RTS lost objects under the same load in
		 * DPDK 22.11 (a pool came back 1728 mbufs short). */
		sw->pool = rte_pktmbuf_pool_create_by_ops(pname, cfg->pool_size, 256, 0,
							  RTE_MBUF_DEFAULT_BUF_SIZE,
							  (int)rte_socket_id(), "ring_mt_hts");
		if (sw->pool == NULL) {
			rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
			goto fail_fdb;
		}
		sw->own_pool = true;
	}
	pthread_mutex_init(&sw->ctl, NULL);
	sw->magic = VNETIF_SWITCH_MAGIC;
	*out = sw;
	return 0;

fail_fdb:
	vnetif_fdb_fini(&sw->fdb);
fail_free:
	free(sw->ports);
	rte_free(sw);
	return rc;
}

/* Mbufs of the switch's own pool that are outside it and outside the switch's rings. */
static unsigned pool_held_outside(struct vnetif_switch *sw)
{
	unsigned out = sw->pool->size - rte_mempool_avail_count(sw->pool);
	unsigned on_rings = 0;

	for (struct vnetif_port *p = sw->all; p; p = p->next)
		if (p->ring)
			on_rings += rte_ring_count(p->ring) + vnetif_stage_held(p);
	return out > on_rings ? out - on_rings : 0;
}

VNETIF_API int vnetif_switch_destroy(vnetif_switch *sw)
{
	int rc = 0;

	if (!vnetif_switch_ok(sw))
		return -EINVAL;
	if (vnetif_in_listener_on(sw))
		return -EDEADLK;
	pthread_mutex_lock(&sw->ctl);
	/* A thread still inside the datapath (a stuck listener) holds frames too: report
	 * that first, with nothing changed. */
	if (vnetif_srcu_synchronize(&sw->srcu,
				    vnetif_now_ns() + sw->cfg.grace_timeout_ms * 1000000ull,
				    sw->cfg.yield, sw->cfg.yield_arg) != 0) {
		pthread_mutex_unlock(&sw->ctl);
		return -ETIMEDOUT;
	}
	if (sw->own_pool && pool_held_outside(sw) > 0) {
		pthread_mutex_unlock(&sw->ctl);
		return -EBUSY;
	}
	for (struct vnetif_port *p = sw->all; p; p = p->next) {
		int st = atomic_load(&p->state);

		if (st == PORT_CONNECTED || st == PORT_CLOSING) {
			int r = vnetif_disconnect_locked(p, 0);

			if (r == -ETIMEDOUT)
				rc = r;
		}
	}
	if (rc) {
		pthread_mutex_unlock(&sw->ctl);
		return rc;
	}
	vnetif_stage_switch_fini(sw); /* impairment clock, captures */
	sw->magic = 0;
	while (sw->all) {
		struct vnetif_port *p = sw->all;

		sw->all = p->next;
		/* every port is closed now: disconnect freed its retired listeners */
		free(atomic_load(&p->listener));
		vnetif_stage_free(p);
		p->magic = 0;
		rte_free(p);
	}
	vnetif_fdb_fini(&sw->fdb);
	if (sw->own_pool)
		rte_mempool_free(sw->pool);
	pthread_mutex_unlock(&sw->ctl);
	pthread_mutex_destroy(&sw->ctl);
	free(sw->ports);
	rte_free(sw);
	return 0;
}

VNETIF_API int vnetif_switch_config_get(vnetif_switch *sw, struct vnetif_switch_config *cfg)
{
	if (!vnetif_switch_ok(sw) || cfg == NULL)
		return -EINVAL;
	*cfg = sw->cfg;
	cfg->pool = sw->pool;
	return 0;
}

VNETIF_API struct rte_mempool *vnetif_switch_pool(vnetif_switch *sw)
{
	return vnetif_switch_ok(sw) ? sw->pool : NULL;
}

VNETIF_API int vnetif_switch_stats_get(vnetif_switch *sw, struct vnetif_switch_stats *st)
{
	if (!vnetif_switch_ok(sw) || st == NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&sw->ctl);
	st->ports = sw->nports;
	for (struct vnetif_port *p = sw->all; p; p = p->next) {
		for (int i = TX_DROP_OVERSIZE; i < TX_NSTATS; i++)
			st->drops += atomic_load_explicit(&p->tx[i], memory_order_relaxed);
		st->drops += atomic_load_explicit(&p->rx[RX_DROP_RING_FULL], memory_order_relaxed);
		st->drops += atomic_load_explicit(&p->rx[RX_DROP_DISCONNECTED], memory_order_relaxed);
		st->drops += vnetif_stage_drops(p);
	}
	st->pool_in_use = sw->pool->size - rte_mempool_avail_count(sw->pool);
	pthread_mutex_unlock(&sw->ctl);
	st->fdb_entries = vnetif_fdb_count(&sw->fdb);
	st->fdb_learned = atomic_load_explicit(&sw->fdb.learned, memory_order_relaxed);
	st->fdb_moved = atomic_load_explicit(&sw->fdb.moved, memory_order_relaxed);
	st->fdb_full = atomic_load_explicit(&sw->fdb.full, memory_order_relaxed);
	return 0;
}

VNETIF_API int vnetif_switch_poll(vnetif_switch *sw, unsigned budget)
{
	unsigned hwm, total = 0;

	if (!vnetif_switch_ok(sw) || budget == 0)
		return -EINVAL;
	hwm = atomic_load_explicit(&sw->port_hwm, memory_order_acquire);
	for (unsigned i = 0; i < hwm; i++) {
		struct vnetif_port *p = atomic_load_explicit(&sw->ports[i], memory_order_acquire);

		if (p == NULL || atomic_load_explicit(&p->reader_on, memory_order_relaxed) ||
		    atomic_load_explicit(&p->listener, memory_order_relaxed) == NULL)
			continue;
		int n = vnetif_poll(p, budget);
		if (n > 0)
			total += (unsigned)n;
	}
	return (int)total;
}
