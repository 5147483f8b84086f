/* SPDX-License-Identifier: BSD-3-Clause */
/* Read-side protection (SRCU-style), bottom layer beside wait.h. See srcu.c. */
#ifndef VNETIF_SRCU_H
#define VNETIF_SRCU_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "wait.h"

#define VNETIF_SRCU_STRIPES 16

struct vnetif_srcu_stripe {
	_Atomic uint64_t readers[2];
} __rte_cache_aligned;

struct vnetif_srcu {
	_Atomic uint32_t epoch;      /* its parity: the counter new readers increment */
	_Atomic uint64_t gp_seq;     /* grace periods: completed << 2 | phase (0 idle, 1, 2) */
	_Atomic uint64_t gp_want;    /* the highest gp_seq some caller waits for */
	_Atomic bool stepping;       /* one thread advances the phases at a time */
	unsigned waiting;            /* phase 1, 2: the parity that must drain */
	struct vnetif_srcu_stripe stripe[VNETIF_SRCU_STRIPES];
};

/* Enter a read-side section; returns the token to give back to vnetif_srcu_unlock().
 * Sections nest, also across different srcu structs; the calling thread remembers which
 * it is in (vnetif_srcu_held()). */
unsigned vnetif_srcu_lock(struct vnetif_srcu *s);
void vnetif_srcu_unlock(struct vnetif_srcu *s, unsigned token);

/* True if the calling thread is inside a read-side section of @s: a grace period of @s
 * would wait for the caller itself. */
bool vnetif_srcu_held(const struct vnetif_srcu *s);

/* Wait until every read-side section that began before this call has ended, at most
 * until @deadline_ns (CLOCK_MONOTONIC), pausing through @w. 0; -ETIMEDOUT; -EDEADLK the
 * caller is inside a read-side section of @s. Any number of threads may call it at once
 * (they share grace periods); no lock is held while it pauses. */
int vnetif_srcu_synchronize(struct vnetif_srcu *s, uint64_t deadline_ns, struct vnetif_wait *w);

/* Non-blocking form: ask for a grace period and return its ticket; later,
 * vnetif_srcu_done() (which also moves the grace period on if it can) says whether it
 * has passed. */
uint64_t vnetif_srcu_ticket(struct vnetif_srcu *s);
bool vnetif_srcu_done(struct vnetif_srcu *s, uint64_t ticket);

#endif /* VNETIF_SRCU_H */
