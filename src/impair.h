/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The impairment of one direction of a port (impair.c): its state, and the calls the
 * port's stage (stage.c) makes. Every call but init/fini takes the direction's lock.
 */
#ifndef VNETIF_IMPAIR_H
#define VNETIF_IMPAIR_H

#include "vnetif_private.h"

enum { CUT_COUNT, CUT_ON, CUT_DONE };

struct held {
	uint64_t due, seq;
	void *m;                 /* a frame, edited through impair_dir::ops */
};

/* How the engine edits the frames of a direction: mbufs (switch ports) or flat frames
 * (impair_flat.h). @ctx is what the caller passes per burst (the switch's pool). */
struct impair_ops {
	uint32_t (*len)(void *f);
	void *(*writable)(void *ctx, void *f);   /* f or a private copy (f freed); NULL: none */
	void (*flip)(void *f, uint64_t r);       /* flip the bit random @r picks */
	void *(*pad)(void *ctx, void *f, uint16_t n); /* n zero bytes more; NULL: f freed */
	void *(*dup)(void *ctx, void *f);        /* a second frame like f; NULL: no memory */
	void (*free)(void *f);
};

struct impair_dir {
	pthread_mutex_t lock;      /* pthread, not rte_spinlock: visible to TSan */
	bool on;                 /* configured and enabled */
	bool set;                /* vnetif_impair_set() was called with a config */
	struct vnetif_impair cfg;
	uint64_t rng;
	int cut_state;
	uint64_t cut_bytes, cut_until;
	uint64_t tat;            /* token bucket as GCRA: theoretical arrival time */
	const struct impair_ops *ops; /* mbufs unless vnetif_flat_impair_new() */
	struct held *heap;
	unsigned nheld, cap;
	uint64_t seq;
	struct vnetif_impair_stats st;
} __rte_cache_aligned;

/* Run @n frames through @d: the frames to go on now (due held ones first) into @out
 * (room for VNETIF_STAGE_OUT); *first_due is the earliest due time of frames held by
 * this call (UINT64_MAX: none), for the clock. */
uint16_t vnetif_impair_run(struct vnetif_port *p, struct impair_dir *d, struct rte_mbuf **in,
			   uint16_t n, struct rte_mbuf **out, uint64_t *first_due);
/* Up to @max held frames due at @now into @out, counted as passed; *next lowered to the
 * next due time of what stays held. */
unsigned vnetif_impair_release(struct impair_dir *d, uint64_t now, struct rte_mbuf **out,
			       unsigned max, uint64_t *next);
/* The same with frames of any kind (d->ops). */
unsigned vnetif_impair_release_frames(struct impair_dir *d, uint64_t now, void **out,
				      unsigned max, uint64_t *next);
/* Replace the config (NULL: off); 0 or -ENOMEM. */
int vnetif_impair_configure(struct impair_dir *d, const struct vnetif_impair *im);
/* Free every held frame, counted as dropped_disconnected. */
void vnetif_impair_flush(struct impair_dir *d);
unsigned vnetif_impair_held(struct impair_dir *d);
uint64_t vnetif_impair_drops(struct impair_dir *d);
/* 0 or -EINVAL: what vnetif_impair_set() refuses. */
int vnetif_impair_check(const struct vnetif_impair *im);
/* True if @im holds frames (delay, jitter, rate, reorder): the switch needs its clock. */
bool vnetif_impair_holds(const struct vnetif_impair *im);
void vnetif_impair_dir_init(struct impair_dir *d);
void vnetif_impair_dir_fini(struct impair_dir *d);
/* Back to the state of vnetif_impair_dir_init (off, counters 0), keeping the memory;
 * frees anything still held (uncounted: call vnetif_impair_flush first). */
void vnetif_impair_dir_reset(struct impair_dir *d);

#endif /* VNETIF_IMPAIR_H */
