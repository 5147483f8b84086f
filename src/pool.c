/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch's own pool. Its datapath threads are mostly the application's, without
 * mempool caches and often more than the cores, so the mempool driver must not let a
 * preempted thread hold the others up: with the classic MP/MC ring the stress suite
 * crawled (>300 s, every thread spinning behind a preempted one); RTS lost objects under
 * the same load in DPDK 22.11 (a pool came back 1728 mbufs short). Both drivers used
 * here are safe there:
 * - LIFO, lf_stack (DPDK's lock-free stack, a 128-bit CAS): a stack's threads allocate a
 *   frame in one thread and free it in another, uncached; from a ring every buffer then
 *   goes round the whole pool (32 MB of buffers by default) and is cold each time, while
 *   the stack hands the one just freed back out. DPDK's mempool guide recommends a stack
 *   for pipelines that allocate and free on different threads for that reason.
 * - FIFO, ring_mt_hts (head/tail sync): cheaper bulk operations (a stack walks its list
 *   to pop n), which a producer/consumer pipeline whose threads all have caches feels.
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "eal.h"
#include "pool.h"

/* Per-lcore cache: 256 mbufs (DPDK's usual), but at most 1/16 of the pool, since DPDK
 * refuses a cache above 2/3 of the pool (a 256 cache needs >= 384) and mbufs cached by
 * one lcore are out of reach of the others. */
static unsigned pool_cache_size(unsigned pool_size)
{
	return RTE_MIN(256u, pool_size / 16);
}

static const char *const driver[] = {[VNETIF_POOL_LIFO] = "lf_stack",
				     [VNETIF_POOL_FIFO] = "ring_mt_hts"};

static struct rte_mempool *create(const char *name, unsigned n, uint16_t room,
				  enum vnetif_pool_order order)
{
	return rte_pktmbuf_pool_create_by_ops(name, n, pool_cache_size(n), 0,
					      (uint16_t)(RTE_PKTMBUF_HEADROOM + room),
					      (int)rte_socket_id(), driver[order]);
}

struct rte_mempool *vnetif_pool_create(const char *name, const struct vnetif_switch_config *cfg,
				       unsigned n, uint16_t room)
{
	enum vnetif_pool_order order = cfg->pool_order;
	struct rte_mempool *mp = create(name, n, room, order);

	if (mp == NULL && order == VNETIF_POOL_LIFO && rte_errno != EEXIST) {
		/* DPDK without the stack driver (EINVAL), a CPU without the 128-bit CAS
		 * (ENOTSUP), or too little memory (ENOMEM: the ring will say so too) */
		vnetif_debug("switch pool %s: mempool driver %s failed (%s), trying %s", name,
			     driver[order], rte_strerror(rte_errno), driver[VNETIF_POOL_FIFO]);
		order = VNETIF_POOL_FIFO;
		mp = create(name, n, room, order);
	}
	if (mp != NULL)
		vnetif_debug("switch pool %s: %u mbufs of %u bytes, mempool driver %s", name, n,
			     room, driver[order]);
	return mp;
}
