/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The impairment engine (impair.c) on flat frames outside the switch: one direction of a
 * link that is not a switch port, such as libvnetif-lwip's direct wire. Exported from
 * libvnetif for libvnetif-lwip only; NOT public API (no installed header, may change).
 *
 * The same engine as a port direction's (same effects, same PRNG order for a seed, same
 * counters); the frames are malloc'd struct vnetif_flat_frame the engine owns once given
 * to it. Every call is thread-safe (the direction's lock), none blocks.
 */
#ifndef VNETIF_IMPAIR_FLAT_H
#define VNETIF_IMPAIR_FLAT_H

#include <stdbool.h>
#include <stdint.h>

#include <vnetif.h>

struct vnetif_flat_frame {
	uint32_t len;
	uint8_t data[];
};

struct impair_dir;

/* A direction, off; NULL: no memory. */
VNETIF_API struct impair_dir *vnetif_flat_impair_new(void);
/* Free a direction and any frame it still holds (counted as dropped_disconnected first:
 * read the stats before). NULL: nothing. */
VNETIF_API void vnetif_flat_impair_free(struct impair_dir *d);
/* Replace the config (NULL: off; the seed restarts the PRNG). 0, -EINVAL (what
 * vnetif_impair_set() refuses), -ENOMEM. */
VNETIF_API int vnetif_flat_impair_set(struct impair_dir *d, const struct vnetif_impair *im);
/* Run frame @f (owned by the engine from now) through @d: the frames to go on now (due
 * held ones first) into @out, at most @max (>= 3); *first_due: the earliest release time
 * (vnetif_flat_now_ns()) of what @d holds if this call held a frame, else UINT64_MAX. */
VNETIF_API unsigned vnetif_flat_impair_run(struct impair_dir *d, struct vnetif_flat_frame *f,
					   struct vnetif_flat_frame **out, unsigned max,
					   uint64_t *first_due);
/* Up to @max held frames due now into @out; *next lowered to the next release time of
 * what stays held. */
VNETIF_API unsigned vnetif_flat_impair_release(struct impair_dir *d,
					       struct vnetif_flat_frame **out, unsigned max,
					       uint64_t *next);
/* Free every held frame, counted as dropped_disconnected. */
VNETIF_API void vnetif_flat_impair_flush(struct impair_dir *d);
VNETIF_API void vnetif_flat_impair_stats(struct impair_dir *d, struct vnetif_impair_stats *st);
/* True if @im holds frames (delay, jitter, rate, reorder): someone must release them. */
VNETIF_API bool vnetif_flat_impair_holds(const struct vnetif_impair *im);
/* The engine's clock (CLOCK_MONOTONIC), ns. */
VNETIF_API uint64_t vnetif_flat_now_ns(void);

#endif /* VNETIF_IMPAIR_FLAT_H */
