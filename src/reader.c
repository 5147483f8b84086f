/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reader threads (async mode): one per port that asks for it, running the port's
 * listener through vnetif_poll(). When idle it pauses as every wait of the library does
 * (wait.h: the switch's yield function, else spin, sched_yield, then sleep); its last
 * rung is a futex that writers wake after enqueueing for it. Without a yield function
 * it also learns whether its CPU is crowded (wait.h) and says so in rx_crowded, which
 * vnetif_reader_awake() reports as not awake.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "reader.h"
#include "slot.h"
#include "vnetif_private.h"

#define READER_BURST 64

static void reader_sleep(struct vnetif_port *p)
{
	atomic_exchange_explicit(&p->rx_sleeping, 1, memory_order_seq_cst);
	if (rte_ring_count(p->ring) == 0 &&
	    !atomic_load_explicit(&p->reader_stop, memory_order_relaxed))
		vnetif_futex_wait(&p->rx_sleeping, 1, VNETIF_WAIT_READER_SLEEP_MS * 1000000L);
	atomic_store_explicit(&p->rx_sleeping, 0, memory_order_relaxed);
}

static void *reader_main(void *arg)
{
	struct vnetif_port *p = arg;
	vnetif_port *h = vnetif_port_handle(p); /* the slot is not reused before we are joined */
	struct vnetif_wait w = vnetif_wait_init(p->sw->cfg.yield, p->sw->cfg.yield_arg,
						VNETIF_WAIT_READER);

	vnetif_reader_mark_self(p);
	/* best effort: an lcore id gives this thread mbuf caches (mcache.c); without one
	 * (all RTE_MAX_LCORE taken) it works the same, uncached */
	bool cached = vnetif_thread_register() == 0;
	while (!atomic_load_explicit(&p->reader_stop, memory_order_acquire)) {
		int n = vnetif_poll(h, READER_BURST);

		if (n > 0) {
			vnetif_wait_reset(&w);
		} else if (n == 0 || n == -ENOENT) {
			bool sleep = vnetif_wait_pause(&w);

			if (w.crowded != atomic_load_explicit(&p->rx_crowded, memory_order_relaxed))
				atomic_store_explicit(&p->rx_crowded, w.crowded, memory_order_relaxed);
			if (sleep) {
				reader_sleep(p);
				vnetif_wait_reset(&w);
			}
		} else {
			break; /* disconnected */
		}
	}
	if (cached)
		vnetif_thread_unregister(); /* flushes the caches: the pool is whole again */
	vnetif_reader_mark_self(NULL);
	atomic_store_explicit(&p->rx_crowded, false, memory_order_relaxed);
	atomic_store_explicit(&p->reader_done, true, memory_order_release);
	return NULL;
}

/* Start @port's reader, on the CPUs of @set when not NULL. */
static int reader_start(vnetif_port *port, const cpu_set_t *set)
{
	struct vnetif_port *p;
	pthread_attr_t attr;
	char name[16];
	unsigned tok;
	int rc = vnetif_port_enter(port, false, &p, &tok);

	if (rc)
		return rc;
	if (pthread_attr_init(&attr) != 0) {
		vnetif_srcu_unlock(&p->sw->srcu, tok);
		return -ENOMEM;
	}
	if (set != NULL && pthread_attr_setaffinity_np(&attr, sizeof(*set), set) != 0) {
		pthread_attr_destroy(&attr);
		vnetif_srcu_unlock(&p->sw->srcu, tok);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->sw->ctl);
	if (atomic_load(&p->reader_on) || p->is_busy) {
		rc = -EALREADY;
	} else if (atomic_load(&p->listener) == NULL) {
		rc = -ENOENT;
	} else {
		atomic_store(&p->reader_stop, false);
		atomic_store(&p->reader_done, false);
		atomic_store(&p->reader_on, true);
		rc = pthread_create(&p->reader, &attr, reader_main, p);
		if (rc != 0) {
			atomic_store(&p->reader_on, false);
			/* EINVAL: the affinity names no CPU this process may use */
			rc = rc == EINVAL && set != NULL ? -EINVAL : -EAGAIN;
		} else {
			snprintf(name, sizeof(name), "vnetif-rd%u", atomic_load(&p->gen));
			pthread_setname_np(p->reader, name);
		}
	}
	pthread_mutex_unlock(&p->sw->ctl);
	pthread_attr_destroy(&attr);
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return rc;
}

VNETIF_API int vnetif_reader_start(vnetif_port *port)
{
	return reader_start(port, NULL);
}

VNETIF_API int vnetif_reader_start_on(vnetif_port *port, const unsigned *cpus, unsigned ncpus)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	cpu_set_t set;

	if (cpus == NULL || ncpus == 0)
		return -EINVAL;
	CPU_ZERO(&set);
	for (unsigned i = 0; i < ncpus; i++) {
		if (cpus[i] >= CPU_SETSIZE || (ncpu > 0 && cpus[i] >= (unsigned long)ncpu))
			return -EINVAL; /* not a CPU of this machine */
		CPU_SET(cpus[i], &set);
	}
	return reader_start(port, &set);
}

int vnetif_reader_join(struct vnetif_port *p, uint64_t deadline_ns)
{
	struct vnetif_wait w = vnetif_wait_init(p->sw->cfg.yield, p->sw->cfg.yield_arg,
						VNETIF_WAIT_CONTROL);

	if (!atomic_load(&p->reader_on))
		return 0;
	atomic_store_explicit(&p->reader_stop, true, memory_order_release);
	atomic_store_explicit(&p->rx_sleeping, 0, memory_order_relaxed);
	vnetif_futex_wake(&p->rx_sleeping);
	while (!atomic_load_explicit(&p->reader_done, memory_order_acquire)) {
		if (vnetif_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		vnetif_wait_pause(&w);
	}
	pthread_join(p->reader, NULL);
	atomic_store(&p->reader_on, false);
	return 0;
}

VNETIF_API int vnetif_reader_awake(const vnetif_port *port)
{
	/* No read side needed (a hint, read on every frame by some writers): the slot
	 * outlives every handle, and the state says whether it is this handle's port. */
	struct vnetif_port *p = vnetif_port_slot(port);

	if (p == NULL)
		return -EINVAL;
	if (atomic_load_explicit(&p->state, memory_order_acquire) != PORT_CONNECTED ||
	    !vnetif_handle_is_current(p, port))
		return -ENOTCONN;
	return atomic_load_explicit(&p->reader_on, memory_order_relaxed) &&
	       !atomic_load_explicit(&p->reader_done, memory_order_relaxed) &&
	       !atomic_load_explicit(&p->rx_sleeping, memory_order_relaxed) &&
	       !atomic_load_explicit(&p->rx_crowded, memory_order_relaxed);
}
