/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-side protection of the switch's port table, rings, listeners and MAC table.
 *
 * The scheme is Linux's SRCU: readers increment a counter for the current epoch parity
 * on their own cache line (a stripe picked per thread) on entry and decrement it on
 * exit. Nothing has to be registered, which matters because datapath threads are the
 * application's (lwIP's tcpip threads, Click's lcores, plain pthreads).
 *
 * An updater first unpublishes (stores NULL / deletes), then waits for a grace period:
 * flip the parity and wait for the old parity's readers to drain, then flip again and
 * wait for the other parity too. Waiting on both parities closes the classic race in
 * which a reader read the parity, stalled, and incremented the old counter only after
 * the updater had checked it: whichever parity such a reader counted itself in, one of
 * the two waits covers it, because its increment (seq_cst) precedes its first load of
 * anything the updater unpublished. Readers that start after the grace period began see
 * the unpublished state and need not be waited for.
 *
 * Grace periods are numbered as Linux's rcu_seq: gp_seq = completed << 2 | phase. A
 * caller takes a ticket (the gp_seq at which a grace period that starts after its call
 * has completed) and then helps: whoever holds the "stepping" flag moves the phases on
 * as far as the counters allow, never pausing while holding it. So any number of
 * control calls may wait at once, none holds a lock while it pauses, and one that
 * pauses inside a yield function that waits again (a nested control call) simply does
 * the work itself.
 */
#define _GNU_SOURCE /* gettid() */
#include <errno.h>
#include <unistd.h>

#include "srcu.h"

#define NEST_MAX 16 /* read-side sections a thread remembers; beyond, held() says yes */

static __thread struct {
	unsigned stripe; /* 0: not chosen yet; else stripe + 1 */
	unsigned depth;
	const struct vnetif_srcu *held[NEST_MAX];
} tls;

static unsigned stripe_of_thread(void)
{
	if (unlikely(tls.stripe == 0)) {
		/* By thread id: threads started one after another have consecutive ids, so
		 * up to VNETIF_SRCU_STRIPES of them each have their own stripe (two datapath
		 * threads then never write one cache line at every call, as they could
		 * with stripes picked by a hash). */
		tls.stripe = (unsigned)gettid() % VNETIF_SRCU_STRIPES + 1;
	}
	return tls.stripe - 1;
}

unsigned vnetif_srcu_lock(struct vnetif_srcu *s)
{
	unsigned stripe = stripe_of_thread();
	unsigned parity = atomic_load_explicit(&s->epoch, memory_order_relaxed) & 1u;

	if (tls.depth < NEST_MAX)
		tls.held[tls.depth] = s;
	tls.depth++;
	/* seq_cst: the increment is ordered before every load the section makes. */
	atomic_fetch_add_explicit(&s->stripe[stripe].readers[parity], 1, memory_order_seq_cst);
	return stripe << 1 | parity;
}

void vnetif_srcu_unlock(struct vnetif_srcu *s, unsigned token)
{
	atomic_fetch_sub_explicit(&s->stripe[token >> 1].readers[token & 1u], 1,
				  memory_order_release);
	tls.depth--; /* sections end in the reverse order of their start */
}

bool vnetif_srcu_held(const struct vnetif_srcu *s)
{
	if (tls.depth > NEST_MAX)
		return true; /* cannot tell: the caller must not wait */
	for (unsigned i = 0; i < tls.depth; i++)
		if (tls.held[i] == s)
			return true;
	return false;
}

static uint64_t readers_of(struct vnetif_srcu *s, unsigned parity)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < VNETIF_SRCU_STRIPES; i++)
		sum += atomic_load_explicit(&s->stripe[i].readers[parity], memory_order_seq_cst);
	return sum;
}

/* Move the grace-period phases on as far as the read-side counters allow. */
static void advance(struct vnetif_srcu *s)
{
	bool expect = false;

	if (!atomic_compare_exchange_strong_explicit(&s->stepping, &expect, true,
						     memory_order_acquire, memory_order_relaxed))
		return; /* another thread is stepping: it does the same work */
	for (;;) {
		uint64_t seq = atomic_load_explicit(&s->gp_seq, memory_order_relaxed);

		if ((seq & 3) == 0) {
			if (atomic_load_explicit(&s->gp_want, memory_order_acquire) <= seq)
				break; /* nobody waits */
		} else if (readers_of(s, s->waiting) != 0) {
			break;
		}
		if ((seq & 3) == 2) { /* both parities drained: complete */
			atomic_store_explicit(&s->gp_seq, (seq | 3) + 1, memory_order_release);
			continue;
		}
		/* phase 0 -> 1 and 1 -> 2: flip, then wait for the parity just left */
		s->waiting = atomic_fetch_add_explicit(&s->epoch, 1, memory_order_seq_cst) & 1u;
		atomic_store_explicit(&s->gp_seq, seq + 1, memory_order_release);
	}
	atomic_store_explicit(&s->stepping, false, memory_order_release);
}

uint64_t vnetif_srcu_ticket(struct vnetif_srcu *s)
{
	/* seq_cst: ordered after the caller's unpublishing stores. */
	uint64_t seq = atomic_load_explicit(&s->gp_seq, memory_order_seq_cst);
	uint64_t want = (seq + 7) & ~(uint64_t)3; /* a whole grace period after this one */
	uint64_t cur = atomic_load_explicit(&s->gp_want, memory_order_relaxed);

	while (cur < want && !atomic_compare_exchange_weak_explicit(
				    &s->gp_want, &cur, want, memory_order_release,
				    memory_order_relaxed))
		;
	return want;
}

bool vnetif_srcu_done(struct vnetif_srcu *s, uint64_t ticket)
{
	if (atomic_load_explicit(&s->gp_seq, memory_order_acquire) >= ticket)
		return true;
	advance(s);
	return atomic_load_explicit(&s->gp_seq, memory_order_acquire) >= ticket;
}

int vnetif_srcu_synchronize(struct vnetif_srcu *s, uint64_t deadline_ns, struct vnetif_wait *w)
{
	uint64_t ticket;

	if (vnetif_srcu_held(s))
		return -EDEADLK;
	ticket = vnetif_srcu_ticket(s);
	while (!vnetif_srcu_done(s, ticket)) {
		if (vnetif_now_ns() >= deadline_ns)
			return -ETIMEDOUT;
		vnetif_wait_pause(w);
	}
	return 0;
}
