/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-thread mbuf caches for threads EAL did not start.
 *
 * DPDK gives each lcore a cache in every mempool; a thread without an lcore id (any
 * pthread the application or the library creates) has none, so each of its mbuf
 * allocations and frees goes to the pool's shared store (stack or ring).
 * vnetif_thread_register() gives the calling thread an lcore id as an EAL "non-lcore"
 * thread (rte_thread_register), so every mempool call it makes from then on - in the
 * library and in application code, frees of mbufs other threads allocated included -
 * uses that lcore's caches.
 *
 * Why registration rather than a cache the library keeps per thread
 * (rte_mempool_cache_create): frames are freed mostly by application code (after
 * vnetif_rx_burst) and by the stacks' glue, which call rte_pktmbuf_free(); only the
 * lcore cache is found by those calls. The costs, as documented in vnetif.h:
 * - RTE_MAX_LCORE ids for the whole process: past that, registration fails (-ENOSPC)
 *   and the thread keeps working uncached;
 * - a thread that never exits (nor unregisters) keeps its id;
 * - the lcore cache outlives the thread, so unregistering (by call, or at thread exit
 *   through a thread-specific-data destructor) first flushes this lcore's cache of every
 *   mempool back to its ring: a pool is whole again once its threads are gone;
 * - mbufs sitting in a live thread's cache count as available in the pool
 *   (rte_mempool_avail_count), so they never make vnetif_switch_destroy() fail.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include "eal.h"
#include "vnetif_private.h"

/* Orders one thread's use of an lcore id's caches before the next owner's: DPDK's own
 * lcore lock is invisible to ThreadSanitizer (DPDK is not instrumented). */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static bool key_ok;
static __thread bool tls_registered; /* by vnetif_thread_register() */

static void flush_lcore_cache(struct rte_mempool *mp, void *arg)
{
	struct rte_mempool_cache *c = rte_mempool_default_cache(mp, *(unsigned *)arg);

	if (c != NULL)
		rte_mempool_cache_flush(c, mp);
}

static void unregister_self(void)
{
	unsigned lcore = rte_lcore_id();

	pthread_mutex_lock(&reg_lock);
	rte_mempool_walk(flush_lcore_cache, &lcore);
	rte_thread_unregister();
	pthread_mutex_unlock(&reg_lock);
	tls_registered = false;
}

static void at_thread_exit(void *unused)
{
	(void)unused;
	if (tls_registered)
		unregister_self();
}

static void make_key(void)
{
	key_ok = pthread_key_create(&exit_key, at_thread_exit) == 0;
}

VNETIF_API int vnetif_thread_register(void)
{
	int rc;

	if (rte_lcore_id() != LCORE_ID_ANY)
		return 0; /* an EAL lcore, or registered already: it has its caches */
	rc = vnetif_eal_ensure();
	if (rc)
		return rc;
	pthread_once(&key_once, make_key);
	/* the destructor runs only for a non-NULL value: set it first, so that a thread
	 * registered below is always unregistered at exit */
	if (!key_ok || pthread_setspecific(exit_key, (void *)1) != 0)
		return -ENOMEM;
	pthread_mutex_lock(&reg_lock);
	rc = rte_thread_register();
	pthread_mutex_unlock(&reg_lock);
	if (rc != 0)
		return rte_errno == ENOMEM ? -ENOSPC : -ENOTSUP;
	tls_registered = true;
	return 0;
}

VNETIF_API int vnetif_thread_unregister(void)
{
	if (!tls_registered)
		return -ENOENT;
	unregister_self();
	return 0;
}
