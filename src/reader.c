/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reader threads (async mode): one per port that asks for it, running the port's
 * listener. When idle it calls the switch's yield function; without one it spins a
 * little, yields the CPU a few times, then sleeps on a futex that writers wake after
 * enqueueing for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "vnetif_private.h"

#define READER_BURST 64
#define READER_SPINS 256  /* empty polls with a pause between them */
#define READER_YIELDS 64  /* then empty polls with sched_yield() between them */
#define READER_SLEEP_NS 10000000L /* re-check for a stop at least this often */

static void futex_wait(_Atomic uint32_t *word, uint32_t val, long ns)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ns};

	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Writer side: wake the port's reader if it sleeps. Store-load ordering on both sides:
 * the reader (set sleeping; check ring) and the writer (fill ring; check sleeping) each
 * use a seq_cst read-modify-write of the futex word (a full barrier, and unlike a fence
 * visible to ThreadSanitizer), so one of the two sees the other's write.
 */
void vnetif_port_wake(struct vnetif_port *p)
{
	if (!atomic_load_explicit(&p->reader_on, memory_order_relaxed))
		return;
	if (atomic_fetch_or_explicit(&p->rx_sleeping, 0, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&p->rx_sleeping, 0, memory_order_relaxed))
		futex_wake(&p->rx_sleeping);
}

static void reader_idle(struct vnetif_port *p, unsigned *spins)
{
	const struct vnetif_switch *sw = p->sw;

	if (sw->cfg.yield) {
		sw->cfg.yield(sw->cfg.yield_arg);
		return;
	}
	if (++*spins < READER_SPINS) {
		rte_pause();
		return;
	}
	/* Giving the CPU away a few times before sleeping costs no wake-up syscall for the
	 * writer and lets the threads that will produce the next frames run. */
	if (*spins < READER_SPINS + READER_YIELDS) {
		sched_yield();
		return;
	}
	*spins = 0;
	atomic_exchange_explicit(&p->rx_sleeping, 1, memory_order_seq_cst);
	if (rte_ring_count(p->ring) == 0 &&
	    !atomic_load_explicit(&p->reader_stop, memory_order_relaxed))
		futex_wait(&p->rx_sleeping, 1, READER_SLEEP_NS);
	atomic_store_explicit(&p->rx_sleeping, 0, memory_order_relaxed);
}

static void *reader_main(void *arg)
{
	struct vnetif_port *p = arg;
	unsigned spins = 0;

	while (!atomic_load_explicit(&p->reader_stop, memory_order_acquire)) {
		int n = vnetif_poll(p, READER_BURST);

		if (n > 0)
			spins = 0;
		else if (n == 0 || n == -ENOENT)
			reader_idle(p, &spins);
		else
			break; /* disconnected */
	}
	atomic_store_explicit(&p->reader_done, true, memory_order_release);
	return NULL;
}

VNETIF_API int vnetif_reader_start(vnetif_port *port)
{
	char name[16];
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	pthread_mutex_lock(&port->sw->ctl);
	if (atomic_load(&port->reader_on)) {
		rc = -EALREADY;
	} else if (atomic_load(&port->listener) == NULL) {
		rc = -ENOENT;
	} else {
		atomic_store(&port->reader_stop, false);
		atomic_store(&port->reader_done, false);
		atomic_store(&port->reader_on, true);
		if (pthread_create(&port->reader, NULL, reader_main, port) != 0) {
			atomic_store(&port->reader_on, false);
			rc = -EAGAIN;
		} else {
			snprintf(name, sizeof(name), "vnetif-rd%u", port->gen);
			pthread_setname_np(port->reader, name);
		}
	}
	pthread_mutex_unlock(&port->sw->ctl);
	return rc;
}

/* Stop and join the reader, waiting at most grace_timeout_ms (ctl held). If it does not
 * finish in time, reader_on stays set and a later call joins it. */
void vnetif_reader_join(struct vnetif_port *p)
{
	uint64_t deadline;

	if (!atomic_load(&p->reader_on))
		return;
	atomic_store_explicit(&p->reader_stop, true, memory_order_release);
	atomic_store_explicit(&p->rx_sleeping, 0, memory_order_relaxed);
	futex_wake(&p->rx_sleeping);
	deadline = vnetif_now_ns() + p->sw->cfg.grace_timeout_ms * 1000000ull;
	while (!atomic_load_explicit(&p->reader_done, memory_order_acquire)) {
		if (vnetif_now_ns() >= deadline)
			return;
		vnetif_wait_pause(p->sw);
	}
	pthread_join(p->reader, NULL);
	atomic_store(&p->reader_on, false);
}

VNETIF_API int vnetif_reader_stop(vnetif_port *port)
{
	int rc = 0;

	if (!vnetif_port_ok(port))
		return -EINVAL;
	if (vnetif_in_listener_on(port->sw))
		return -EDEADLK;
	pthread_mutex_lock(&port->sw->ctl);
	if (atomic_load(&port->state) == PORT_CLOSED) {
		rc = -ENOTCONN;
	} else if (!atomic_load(&port->reader_on)) {
		rc = -ENOENT;
	} else {
		vnetif_reader_join(port);
		if (atomic_load(&port->reader_on))
			rc = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&port->sw->ctl);
	return rc;
}
