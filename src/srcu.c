/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-side protection of the switch's port table, rings and MAC table.
 *
 * The scheme is Linux's SRCU: readers increment a counter for the current epoch parity
 * on their own cache line (a stripe picked per thread) on entry and decrement it on
 * exit. Nothing has to be registered, which matters because datapath threads are the
 * application's (lwIP's tcpip threads, Click's lcores, plain pthreads).
 *
 * An updater first unpublishes (stores NULL / deletes), then calls
 * vnetif_srcu_synchronize(): flip the parity and wait for the old parity's readers to
 * drain, then flip again and wait for the other parity too. Waiting on both parities
 * closes the classic race in which a reader read the parity, stalled, and incremented
 * the old counter only after the updater had checked it: whichever parity such a
 * reader counted itself in, one of the two waits covers it, because its increment
 * (seq_cst) precedes its first load of anything the updater unpublished. Readers that
 * start after the call began see the unpublished state and need not be waited for.
 */
#include <errno.h>
#include <sched.h>

#include "vnetif_private.h"

unsigned vnetif_srcu_stripe_of_thread(void)
{
	static __thread unsigned stripe = ~0u;

	if (unlikely(stripe == ~0u)) {
		/* Spread threads by the address of their TLS block (distinct per thread). */
		uint64_t h = (uint64_t)(uintptr_t)&stripe * 0x9e3779b97f4a7c15ull;
		stripe = (unsigned)(h >> 60) % VNETIF_SRCU_STRIPES;
	}
	return stripe;
}

static uint64_t readers_of(struct vnetif_srcu *s, unsigned parity)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < VNETIF_SRCU_STRIPES; i++)
		sum += atomic_load_explicit(&s->stripe[i].readers[parity], memory_order_seq_cst);
	return sum;
}

static int wait_parity(struct vnetif_srcu *s, unsigned parity, uint64_t deadline_ns,
		       vnetif_yield_fn yield, void *yield_arg)
{
	unsigned spins = 0;

	while (readers_of(s, parity) != 0) {
		if (vnetif_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		if (++spins < 64)
			rte_pause();
		else if (yield)
			yield(yield_arg);
		else
			sched_yield();
	}
	return 0;
}

int vnetif_srcu_synchronize(struct vnetif_srcu *s, uint64_t deadline_ns,
			    vnetif_yield_fn yield, void *yield_arg)
{
	for (int phase = 0; phase < 2; phase++) {
		uint32_t old = atomic_fetch_add_explicit(&s->epoch, 1, memory_order_seq_cst);
		int rc = wait_parity(s, old & 1u, deadline_ns, yield, yield_arg);

		if (rc)
			return rc;
	}
	return 0;
}
