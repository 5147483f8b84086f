/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_mempool.h>

#include "stage.h"
#include "eal.h"
#include "datapath.h"
#include "pool.h"
#include "port.h"
#include "slot.h"
#include "vnetif_private.h"

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
	cfg->pool_order = VNETIF_POOL_LIFO;
	cfg->grace_timeout_ms = 1000;
	cfg->large_pool_size = 1023;
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
	if (c->pool == NULL &&
	    (c->pool_size < VNETIF_POOL_SIZE_MIN || c->pool_size > VNETIF_POOL_SIZE_MAX))
		return -EINVAL;
	if (c->pool && (c->pool->private_data_size < sizeof(struct rte_pktmbuf_pool_private) ||
			rte_pktmbuf_data_room_size(c->pool) <
				RTE_PKTMBUF_HEADROOM + VNETIF_POOL_ROOM_MIN))
		return -EINVAL;
	if (c->pool_order != VNETIF_POOL_LIFO && c->pool_order != VNETIF_POOL_FIFO)
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

	/* Aligned so that port handles can name it in 31 bits (port.c, "Handles"). */
	sw = rte_zmalloc_socket("vnetif_switch", sizeof(*sw), VNETIF_HANDLE_SW_ALIGN,
				(int)rte_socket_id());
	if (sw == NULL)
		return -ENOMEM;
	if ((uintptr_t)sw >> 47) {
		rte_free(sw);
		return -ENOMEM;
	}
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
	rc = vnetif_slots_init(sw);
	if (rc)
		goto fail_free;
	rc = vnetif_fwd_init(&sw->fwd, sw);
	if (rc)
		goto fail_free;
	if (cfg->pool) {
		sw->pool = cfg->pool;
	} else {
		snprintf(pname, sizeof(pname), "%s_pool", sw->name);
		sw->pool = vnetif_pool_create(pname, cfg, cfg->pool_size,
					      RTE_MBUF_DEFAULT_BUF_SIZE - RTE_PKTMBUF_HEADROOM);
		if (sw->pool == NULL) {
			rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
			goto fail_fdb;
		}
		sw->own_pool = true;
		if (cfg->large_pool_size > 0) {
			snprintf(pname, sizeof(pname), "%s_lpool", sw->name);
			sw->large_pool = vnetif_pool_create(
				pname, cfg, RTE_MIN(cfg->large_pool_size, cfg->pool_size),
				VNETIF_LARGE_ROOM);
			if (sw->large_pool == NULL) {
				rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;
				rte_mempool_free(sw->pool);
				goto fail_fdb;
			}
		}
	}
	pthread_mutex_init(&sw->ctl, NULL);
	sw->stage_resume = vnetif_stage_resume;
	sw->magic = VNETIF_SWITCH_MAGIC;
	*out = sw;
	return 0;

fail_fdb:
	vnetif_fwd_fini(&sw->fwd);
fail_free:
	rte_free(sw->slot);
	free(sw->ports);
	rte_free(sw);
	return rc;
}

/* Mbufs of the switch's own pools (both) not in them. */
static unsigned own_pools_out(struct vnetif_switch *sw)
{
	unsigned out = sw->pool->size - rte_mempool_avail_count(sw->pool);

	if (sw->large_pool)
		out += sw->large_pool->size - rte_mempool_avail_count(sw->large_pool);
	return out;
}

/* Mbufs of the switch's own pools that are outside them and outside the switch's rings
 * (ctl held). */
static unsigned pool_held_outside(struct vnetif_switch *sw)
{
	unsigned out = own_pools_out(sw);
	unsigned on_rings = 0;

	for (unsigned i = 0; i < sw->cfg.max_ports; i++)
		if (sw->slot[i].ring)
			on_rings += rte_ring_count(sw->slot[i].ring);
	for (unsigned i = 0; i < sw->cfg.max_ports; i++)
		on_rings += vnetif_stage_held(&sw->slot[i]); /* closed ports hold none */
	return out > on_rings ? out - on_rings : 0;
}

/* -EDEADLK if the calling thread is inside something destroy would wait for or free:
 * a datapath call or listener of @sw, its reader thread, or (from its yield function)
 * a control call of @sw that is waiting. -EBUSY if another thread's control call of
 * @sw is waiting. ctl held. */
static int destroy_blocked(struct vnetif_switch *sw)
{
	if (vnetif_srcu_held(&sw->srcu) || vnetif_reader_is_self(sw, NULL))
		return -EDEADLK;
	if (sw->waiting == 0)
		return 0;
	for (unsigned i = 0; i < sw->cfg.max_ports; i++)
		if (sw->slot[i].is_busy && pthread_equal(sw->slot[i].busy, pthread_self()))
			return -EDEADLK;
	return -EBUSY;
}

VNETIF_API int vnetif_switch_destroy(vnetif_switch *sw)
{
	struct vnetif_wait w;
	int rc = 0;

	if (!vnetif_switch_ok(sw))
		return -EINVAL;
	pthread_mutex_lock(&sw->ctl);
	rc = destroy_blocked(sw);
	pthread_mutex_unlock(&sw->ctl);
	if (rc)
		return rc;
	/* A thread still inside the datapath (a stuck listener) holds frames too: report
	 * that first, with nothing changed. No lock is held while waiting. */
	w = vnetif_wait_init(sw->cfg.yield, sw->cfg.yield_arg, VNETIF_WAIT_CONTROL);
	if (vnetif_srcu_synchronize(&sw->srcu, vnetif_deadline_ms(sw->cfg.grace_timeout_ms),
				    &w) != 0)
		return -ETIMEDOUT;
	pthread_mutex_lock(&sw->ctl);
	if (sw->own_pool && pool_held_outside(sw) > 0)
		rc = -EBUSY;
	pthread_mutex_unlock(&sw->ctl);
	if (rc)
		return rc;
	for (unsigned i = 0; i < sw->cfg.max_ports; i++) {
		if (atomic_load(&sw->slot[i].state) != PORT_CLOSED) {
			int r = vnetif_port_close(&sw->slot[i], 0);

			if (r == -ETIMEDOUT)
				rc = r;
		}
	}
	if (rc)
		return rc;
	/* The impairment clock stops before ctl is taken: a listener or monitor it runs may
	 * make a control call. Every port is closed, so it has nothing left to release. */
	vnetif_stage_switch_fini(sw); /* impairment clock, captures */
	pthread_mutex_lock(&sw->ctl);
	sw->magic = 0;
	for (unsigned i = 0; i < sw->cfg.max_ports; i++) {
		vnetif_stage_free(&sw->slot[i]);
		sw->slot[i].magic = 0;
	}
	vnetif_fwd_fini(&sw->fwd);
	if (sw->own_pool) {
		rte_mempool_free(sw->pool);
		rte_mempool_free(sw->large_pool);
	}
	pthread_mutex_unlock(&sw->ctl);
	pthread_mutex_destroy(&sw->ctl);
	rte_free(sw->slot);
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

/* Lock-free: a yield function or a listener may call it while control calls wait. */
VNETIF_API int vnetif_switch_stats_get(vnetif_switch *sw, struct vnetif_switch_stats *st)
{
	uint32_t seq;
	uint64_t drops;

	if (!vnetif_switch_ok(sw) || st == NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	do { /* seqlock reader: a slot's counters move to gone_drops when it is reused */
		while ((seq = atomic_load_explicit(&sw->reuse_seq, memory_order_acquire)) & 1u)
			rte_pause();
		unsigned hwm = atomic_load_explicit(&sw->port_hwm, memory_order_acquire);

		/* acquire: a value written by a reset makes the re-check below see it */
		drops = atomic_load_explicit(&sw->gone_drops, memory_order_acquire);
		for (unsigned i = 0; i < hwm; i++) {
			const struct vnetif_port *p = &sw->slot[i];

			drops += vnetif_port_drops(p);
			drops += vnetif_stage_drops(p); /* impairments */
		}
	} while (atomic_load_explicit(&sw->reuse_seq, memory_order_relaxed) != seq);
	st->drops = drops;
	st->ports = atomic_load_explicit(&sw->nports, memory_order_relaxed);
	st->pool_in_use = sw->own_pool ? own_pools_out(sw)
				       : sw->pool->size - rte_mempool_avail_count(sw->pool);
	vnetif_fwd_stats(&sw->fwd, st);
	return 0;
}

VNETIF_API int vnetif_switch_poll(vnetif_switch *sw, unsigned budget)
{
	unsigned hwm, tok, total = 0;

	if (!vnetif_switch_ok(sw) || budget == 0)
		return -EINVAL;
	tok = vnetif_srcu_lock(&sw->srcu);
	hwm = atomic_load_explicit(&sw->port_hwm, memory_order_acquire);
	for (unsigned i = 0; i < hwm; i++) {
		struct vnetif_port *p = &sw->slot[i];
		int state = atomic_load_explicit(&p->state, memory_order_acquire);

		/* Ports flushing at disconnect too: their listener drains the ring. */
		if ((state != PORT_CONNECTED && state != PORT_FLUSHING) ||
		    atomic_load_explicit(&p->reader_on, memory_order_relaxed) ||
		    atomic_load_explicit(&p->listener, memory_order_relaxed) == NULL)
			continue;
		int n = vnetif_poll(vnetif_port_handle(p), budget);
		if (n > 0)
			total += (unsigned)n;
	}
	vnetif_srcu_unlock(&sw->srcu, tok);
	return (int)total;
}
