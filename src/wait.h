/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time and waiting: the one place that decides how libvnetif waits (bottom layer, uses
 * nothing else of the library). Every wait is a loop "check; pause" and every pause goes
 * through vnetif_wait_pause(): the switch's yield function if it has one, else the
 * ladder below. include/vnetif.h, "The yield function", describes the same rules.
 */
#ifndef VNETIF_WAIT_H
#define VNETIF_WAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vnetif.h"

#define VNETIF_WAIT_SPINS 256       /* first pauses of a wait: a CPU pause each */
#define VNETIF_WAIT_YIELDS 64       /* then: sched_yield() each */
#define VNETIF_WAIT_SLEEP_US 50     /* then, control waits: sleep this long each */
#define VNETIF_WAIT_READER_SLEEP_MS 10 /* then, readers: futex sleep at most this long */
/* A reader's sched_yield() that lasted this long gave its CPU to other threads for a good
 * part of a time slice: the CPU is crowded (more runnable threads than CPUs), so the
 * reader sleeps at once and skips the spins until a yield returns sooner. */
#define VNETIF_WAIT_CROWDED_NS 500000

/* Who waits: decides the last rung of the ladder. */
enum vnetif_wait_kind {
	VNETIF_WAIT_CONTROL, /* disconnect flush, grace periods, reader stop: ends in sleeps */
	VNETIF_WAIT_READER,  /* a reader thread with nothing to read: ends in a futex sleep */
	VNETIF_WAIT_WRITER,  /* a back-pressured writer: sched_yield() every time */
};

struct vnetif_wait {
	vnetif_yield_fn yield;
	void *arg;
	enum vnetif_wait_kind kind;
	unsigned n;   /* pauses so far */
	bool crowded; /* a reader's last sched_yield() lasted VNETIF_WAIT_CROWDED_NS or more */
};

static inline struct vnetif_wait vnetif_wait_init(vnetif_yield_fn yield, void *arg,
						  enum vnetif_wait_kind kind)
{
	return (struct vnetif_wait){.yield = yield, .arg = arg, .kind = kind, .n = 0,
				    .crowded = false};
}

uint64_t vnetif_now_ns(void);

/* CLOCK_MONOTONIC deadline @ms milliseconds from now. */
static inline uint64_t vnetif_deadline_ms(unsigned ms)
{
	return vnetif_now_ns() + (uint64_t)ms * 1000000ull;
}

/*
 * One pause. Returns true when a reader has reached its sleeping rung: the caller then
 * sleeps on its futex (it alone knows what wakes it) and calls vnetif_wait_reset().
 * A reader (without a yield function) times its sched_yield() calls: one that lasts
 * VNETIF_WAIT_CROWDED_NS sets w->crowded and is its sleeping rung; while crowded, its
 * waits start at the yields (no spins); a shorter yield clears it. A reset keeps it.
 */
bool vnetif_wait_pause(struct vnetif_wait *w);

/* A reader's sleep: wait on @word while it holds @val, at most @ns; and its wake-up. */
void vnetif_futex_wait(_Atomic uint32_t *word, uint32_t val, long ns);
void vnetif_futex_wake(_Atomic uint32_t *word);

static inline void vnetif_wait_reset(struct vnetif_wait *w)
{
	w->n = 0; /* w->crowded stays: it describes the CPU, not this wait */
}

#endif /* VNETIF_WAIT_H */
