/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The impairment of one direction of a port: mirage-tcpip's test backends (size limit,
 * trailing bytes, uniform and small-frame loss, the drop window, on/off) and more
 * (corruption, duplication, a token-bucket rate limit, delay, jitter, reordering).
 *
 * Each direction has its own lock (taken once per burst), PRNG (drawn only for the
 * effects configured, in a fixed order, so a seed replays), token bucket, drop-window
 * state and timed queue: a binary heap ordered by release time, then arrival.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"
#include "impair_flat.h"
#include "stage.h"

#define MAX_DELAY_NS (60ull * 1000000000ull)
#define MAX_QUEUE 65536u

/* ---- PRNG: splitmix64, one stream per port direction ---------------------------------- */

static uint64_t rnd(struct impair_dir *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool chance(struct impair_dir *d, double p)
{
	return (double)(rnd(d) >> 11) * 0x1.0p-53 < p;
}

/* ---- the timed queue --------------------------------------------------------------- */

static bool held_before(const struct held *a, const struct held *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct impair_dir *d, uint64_t due, void *m)
{
	unsigned i = d->nheld++;

	d->heap[i] = (struct held){.due = due, .seq = d->seq++, .m = m};
	while (i > 0) {
		unsigned up = (i - 1) / 2;

		if (!held_before(&d->heap[i], &d->heap[up]))
			break;
		struct held t = d->heap[i];
		d->heap[i] = d->heap[up];
		d->heap[up] = t;
		i = up;
	}
}

static void *heap_pop(struct impair_dir *d)
{
	void *m = d->heap[0].m;
	unsigned i = 0;

	d->heap[0] = d->heap[--d->nheld];
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, min = i;

		if (l < d->nheld && held_before(&d->heap[l], &d->heap[min]))
			min = l;
		if (r < d->nheld && held_before(&d->heap[r], &d->heap[min]))
			min = r;
		if (min == i)
			break;
		struct held t = d->heap[i];
		d->heap[i] = d->heap[min];
		d->heap[min] = t;
		i = min;
	}
	return m;
}

/* Move up to @max frames due at @now into @out. */
static unsigned pop_due(struct impair_dir *d, uint64_t now, void **out, unsigned max)
{
	unsigned k = 0;

	while (k < max && d->nheld > 0 && d->heap[0].due <= now)
		out[k++] = heap_pop(d);
	return k;
}

/* ---- frame edits ------------------------------------------------------------------- */

/* The engine below edits frames only through a struct impair_ops: mbufs of a switch port
 * (mbuf_ops, ctx: the switch's pool) or flat frames of a direct wire (flat_ops). */

/* Where a corruption with random @r flips a bit: past the Ethernet header if any. */
static uint32_t flip_offset(uint32_t len, uint64_t r)
{
	return len > VNETIF_ETHER_HDR_LEN ?
		       VNETIF_ETHER_HDR_LEN + (uint32_t)(r % (len - VNETIF_ETHER_HDR_LEN)) :
		       (uint32_t)(r % len);
}

static uint8_t flip_mask(uint64_t r)
{
	return (uint8_t)(1u << (r >> 61));
}

static uint32_t mbuf_len(void *f)
{
	return ((struct rte_mbuf *)f)->pkt_len;
}

/* @m, or a private copy of it if any segment is shared or indirect; NULL: no mbuf
 * (@m is freed either way when a copy was needed). */
static void *mbuf_writable(void *pool, void *f)
{
	struct rte_mbuf *m = f, *c;

	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (!RTE_MBUF_DIRECT(s) || rte_mbuf_refcnt_read(s) != 1)
			goto copy;
	return m;
copy:
	c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	return c;
}

static void mbuf_flip(void *f, uint64_t r)
{
	struct rte_mbuf *s = f;
	uint32_t off = flip_offset(s->pkt_len, r);

	while (off >= s->data_len) {
		off -= s->data_len;
		s = s->next;
	}
	rte_pktmbuf_mtod(s, uint8_t *)[off] ^= flip_mask(r);
}

static void *mbuf_pad(void *pool, void *f, uint16_t k)
{
	struct rte_mbuf *m = f;
	char *tail = rte_pktmbuf_append(m, k);

	if (tail == NULL) {
		struct rte_mbuf *seg = rte_pktmbuf_alloc(pool);

		if (seg == NULL)
			goto fail;
		tail = rte_pktmbuf_append(seg, k);
		if (tail == NULL || rte_pktmbuf_chain(m, seg) != 0) {
			rte_pktmbuf_free(seg);
			goto fail;
		}
	}
	memset(tail, 0, k);
	return m;
fail:
	rte_pktmbuf_free(m);
	return NULL;
}

static void *mbuf_dup(void *pool, void *f)
{
	(void)pool;
	rte_pktmbuf_refcnt_update(f, 1);
	return f;
}

static void mbuf_free(void *f)
{
	rte_pktmbuf_free(f);
}

static const struct impair_ops mbuf_ops = {
	.len = mbuf_len, .writable = mbuf_writable, .flip = mbuf_flip, .pad = mbuf_pad,
	.dup = mbuf_dup, .free = mbuf_free,
};

/* Flat frames (struct vnetif_flat_frame, malloc'd): always writable. */
static uint32_t flat_len(void *f)
{
	return ((struct vnetif_flat_frame *)f)->len;
}

static void *flat_writable(void *ctx, void *f)
{
	(void)ctx;
	return f;
}

static void flat_flip(void *f, uint64_t r)
{
	struct vnetif_flat_frame *x = f;

	x->data[flip_offset(x->len, r)] ^= flip_mask(r);
}

static void *flat_pad(void *ctx, void *f, uint16_t k)
{
	struct vnetif_flat_frame *x = f, *y;

	(void)ctx;
	y = realloc(x, sizeof(*x) + x->len + k);
	if (y == NULL) {
		free(x);
		return NULL;
	}
	memset(y->data + y->len, 0, k);
	y->len += k;
	return y;
}

static void *flat_dup(void *ctx, void *f)
{
	struct vnetif_flat_frame *x = f, *y = malloc(sizeof(*x) + x->len);

	(void)ctx;
	if (y != NULL)
		memcpy(y, x, sizeof(*x) + x->len);
	return y;
}

static const struct impair_ops flat_ops = {
	.len = flat_len, .writable = flat_writable, .flip = flat_flip, .pad = flat_pad,
	.dup = flat_dup, .free = free,
};

/* ---- the impairment of one direction ------------------------------------------------ */

static void drop(struct impair_dir *d, void *m, uint64_t *counter)
{
	d->ops->free(m);
	(*counter)++;
}

/* Pass @m on now (if nothing is held before it and it is due) or hold it. */
static unsigned emit(struct impair_dir *d, void *m, uint64_t due, uint64_t now,
		     void **out, unsigned k)
{
	if (due <= now && d->nheld == 0) {
		out[k++] = m;
		return k;
	}
	if (d->nheld >= d->cfg.queue_limit || d->nheld >= d->cap) {
		drop(d, m, &d->st.dropped_queue_full);
		return k;
	}
	if (due > now)
		d->st.delayed++;
	heap_push(d, due, m);
	return k;
}

static unsigned impair_one(struct impair_dir *d, void *ctx, void *m, uint64_t now, void **out,
			   unsigned k)
{
	const struct vnetif_impair *c = &d->cfg;
	const struct impair_ops *ops = d->ops;
	uint32_t len = ops->len(m);
	uint64_t due = now;
	bool dup;

	if (c->link_down) {
		drop(d, m, &d->st.dropped_down);
		return k;
	}
	if (c->max_frame && len > c->max_frame) {
		drop(d, m, &d->st.dropped_oversize);
		return k;
	}
	if (c->cut_after_bytes) {
		if (d->cut_state == CUT_COUNT && d->cut_bytes >= c->cut_after_bytes) {
			d->cut_state = CUT_ON;
			d->cut_until = now + c->cut_ns;
		}
		if (d->cut_state == CUT_ON) {
			if (now < d->cut_until) {
				drop(d, m, &d->st.dropped_cut);
				return k;
			}
			d->cut_state = CUT_DONE;
		}
	}
	if (c->loss > 0 && chance(d, c->loss)) {
		drop(d, m, &d->st.dropped_loss);
		return k;
	}
	if (c->small_loss > 0 && len <= c->small_len && chance(d, c->small_loss)) {
		drop(d, m, &d->st.dropped_small);
		return k;
	}
	if (c->corrupt > 0 && chance(d, c->corrupt)) {
		uint64_t r = rnd(d);

		m = ops->writable(ctx, m);
		if (m == NULL) {
			d->st.dropped_nomem++;
			return k;
		}
		ops->flip(m, r);
		d->st.corrupted++;
	}
	if (c->pad_max) {
		uint16_t n = (uint16_t)(rnd(d) % ((uint64_t)c->pad_max + 1));

		if (n > 0) {
			m = ops->writable(ctx, m);
			if (m != NULL)
				m = ops->pad(ctx, m, n);
			if (m == NULL) {
				d->st.dropped_nomem++;
				return k;
			}
			d->st.padded++;
			d->st.pad_bytes += n;
		}
	}
	if (d->cut_state == CUT_COUNT)
		d->cut_bytes += len;
	dup = c->duplicate > 0 && chance(d, c->duplicate);
	if (c->rate_bps) {
		uint64_t cost = (uint64_t)ops->len(m) * 8000000000ull / c->rate_bps;
		uint64_t burst = c->burst_bytes ? c->burst_bytes : 1514;
		uint64_t tau = burst * 8000000000ull / c->rate_bps;
		uint64_t dep = d->tat > now + tau ? d->tat - tau : now;

		d->tat = RTE_MAX(d->tat, dep) + cost;
		due = dep;
	}
	due += c->delay_ns;
	if (c->jitter_ns)
		due += rnd(d) % (c->jitter_ns + 1);
	if (c->reorder > 0 && chance(d, c->reorder)) {
		due += c->reorder_ns;
		d->st.reordered++;
	}
	if (dup) {
		void *twin = ops->dup(ctx, m);

		if (twin == NULL) {
			d->st.dropped_nomem++;
		} else {
			d->st.duplicated++;
			k = emit(d, twin, due, now, out, k);
		}
	}
	return emit(d, m, due, now, out, k);
}

/* The frames of one burst: up to @pre due held frames, then the @n new ones (at most 2
 * each go on now), then more due ones up to @max in all. */
static unsigned impair_frames(struct impair_dir *d, void *ctx, void **in, unsigned n,
			      void **out, unsigned pre, unsigned max, uint64_t *first_due)
{
	uint64_t now = vnetif_now_ns(), seq0;
	unsigned k;

	*first_due = UINT64_MAX;
	pthread_mutex_lock(&d->lock);
	if (!d->on) {
		/* switched off meanwhile: frames still held go first (the clock or this) */
		k = pop_due(d, now, out, pre);
		memcpy(out + k, in, n * sizeof(*in));
		k += n;
		d->st.passed += k;
		pthread_mutex_unlock(&d->lock);
		return k;
	}
	k = pop_due(d, now, out, pre);
	seq0 = d->seq;
	for (unsigned i = 0; i < n; i++)
		k = impair_one(d, ctx, in[i], now, out, k);
	k += pop_due(d, now, out + k, max - k);
	d->st.passed += k;
	if (d->seq != seq0 && d->nheld > 0)
		*first_due = d->heap[0].due;
	pthread_mutex_unlock(&d->lock);
	return k;
}

uint16_t vnetif_impair_run(struct vnetif_port *p, struct impair_dir *d, struct rte_mbuf **in,
			   uint16_t n, struct rte_mbuf **out, uint64_t *first_due)
{
	return (uint16_t)impair_frames(d, p->sw->pool, (void **)in, n, (void **)out, VNETIF_CHUNK,
				       VNETIF_STAGE_OUT, first_due);
}

unsigned vnetif_impair_release(struct impair_dir *d, uint64_t now, struct rte_mbuf **out,
			       unsigned max, uint64_t *next)
{
	return vnetif_impair_release_frames(d, now, (void **)out, max, next);
}

unsigned vnetif_impair_release_frames(struct impair_dir *d, uint64_t now, void **out,
				      unsigned max, uint64_t *next)
{
	unsigned k;

	pthread_mutex_lock(&d->lock);
	k = pop_due(d, now, out, max);
	d->st.passed += k;
	if (d->nheld > 0 && d->heap[0].due < *next)
		*next = d->heap[0].due;
	pthread_mutex_unlock(&d->lock);
	return k;
}

int vnetif_impair_configure(struct impair_dir *d, const struct vnetif_impair *im)
{
	struct held *heap = NULL, *old = NULL;

	if (im != NULL && im->queue_limit > d->cap) {
		heap = calloc(im->queue_limit, sizeof(*heap));
		if (heap == NULL)
			return -ENOMEM;
	}
	pthread_mutex_lock(&d->lock);
	if (heap != NULL) {
		if (d->nheld > 0)
			memcpy(heap, d->heap, d->nheld * sizeof(*heap));
		old = d->heap;
		d->heap = heap;
		d->cap = im->queue_limit;
	}
	if (im != NULL) { /* frames already held keep their release times */
		d->cfg = *im;
		d->rng = im->seed;
		d->cut_state = CUT_COUNT;
		d->cut_bytes = 0;
		d->tat = 0;
	}
	d->on = im != NULL && im->enabled;
	d->set = im != NULL;
	pthread_mutex_unlock(&d->lock);
	free(old);
	return 0;
}

void vnetif_impair_flush(struct impair_dir *d)
{
	pthread_mutex_lock(&d->lock);
	while (d->nheld > 0)
		drop(d, heap_pop(d), &d->st.dropped_disconnected);
	pthread_mutex_unlock(&d->lock);
}

unsigned vnetif_impair_held(struct impair_dir *d)
{
	unsigned n;

	pthread_mutex_lock(&d->lock);
	n = d->nheld;
	pthread_mutex_unlock(&d->lock);
	return n;
}

uint64_t vnetif_impair_drops(struct impair_dir *d)
{
	const struct vnetif_impair_stats *s = &d->st;
	uint64_t n;

	pthread_mutex_lock(&d->lock);
	n = s->dropped_down + s->dropped_oversize + s->dropped_cut + s->dropped_loss +
	    s->dropped_small + s->dropped_queue_full + s->dropped_nomem + s->dropped_disconnected;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void vnetif_impair_dir_init(struct impair_dir *d)
{
	pthread_mutex_init(&d->lock, NULL);
	vnetif_impair_init(&d->cfg);
	d->ops = &mbuf_ops;
}

void vnetif_impair_dir_reset(struct impair_dir *d)
{
	pthread_mutex_lock(&d->lock);
	while (d->nheld > 0)
		d->ops->free(heap_pop(d));
	d->on = false;
	d->set = false;
	vnetif_impair_init(&d->cfg);
	d->rng = 0;
	d->cut_state = CUT_COUNT;
	d->cut_bytes = d->cut_until = d->tat = d->seq = 0;
	memset(&d->st, 0, sizeof(d->st));
	pthread_mutex_unlock(&d->lock);
}

void vnetif_impair_dir_fini(struct impair_dir *d)
{
	free(d->heap);
	pthread_mutex_destroy(&d->lock);
}

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0; /* false for NaN */
}

int vnetif_impair_check(const struct vnetif_impair *im)
{
	if (!prob_ok(im->loss) || !prob_ok(im->small_loss) || !prob_ok(im->corrupt) ||
	    !prob_ok(im->duplicate) || !prob_ok(im->reorder))
		return -EINVAL;
	if (im->queue_limit == 0 || im->queue_limit > MAX_QUEUE)
		return -EINVAL;
	if (im->delay_ns > MAX_DELAY_NS || im->jitter_ns > MAX_DELAY_NS ||
	    im->reorder_ns > MAX_DELAY_NS || im->cut_ns > 3600 * 1000000000ull)
		return -EINVAL;
	if (im->pad_max > 4096)
		return -EINVAL;
	return 0;
}

bool vnetif_impair_holds(const struct vnetif_impair *im)
{
	return im->enabled && (im->delay_ns || im->jitter_ns || im->rate_bps ||
			       (im->reorder > 0 && im->reorder_ns));
}

VNETIF_API void vnetif_impair_init(struct vnetif_impair *im)
{
	if (im == NULL)
		return;
	memset(im, 0, sizeof(*im));
	im->enabled = true;
	im->reorder_ns = 1000000;
	im->queue_limit = 1024;
}


/* ---- flat frames outside the switch (impair_flat.h) -------------------------------- */

VNETIF_API struct impair_dir *vnetif_flat_impair_new(void)
{
	struct impair_dir *d = aligned_alloc(RTE_CACHE_LINE_SIZE,
					     RTE_ALIGN_CEIL(sizeof(*d), RTE_CACHE_LINE_SIZE));

	if (d == NULL)
		return NULL;
	memset(d, 0, sizeof(*d));
	vnetif_impair_dir_init(d);
	d->ops = &flat_ops;
	return d;
}

VNETIF_API void vnetif_flat_impair_free(struct impair_dir *d)
{
	if (d == NULL)
		return;
	vnetif_impair_flush(d);
	vnetif_impair_dir_fini(d);
	free(d);
}

VNETIF_API int vnetif_flat_impair_set(struct impair_dir *d, const struct vnetif_impair *im)
{
	if (d == NULL || (im != NULL && vnetif_impair_check(im)))
		return -EINVAL;
	return vnetif_impair_configure(d, im);
}

VNETIF_API unsigned vnetif_flat_impair_run(struct impair_dir *d, struct vnetif_flat_frame *f,
					   struct vnetif_flat_frame **out, unsigned max,
					   uint64_t *first_due)
{
	void *in = f;

	return impair_frames(d, NULL, &in, 1, (void **)out, max - 2, max, first_due);
}

VNETIF_API unsigned vnetif_flat_impair_release(struct impair_dir *d,
					       struct vnetif_flat_frame **out, unsigned max,
					       uint64_t *next)
{
	return vnetif_impair_release_frames(d, vnetif_now_ns(), (void **)out, max, next);
}

VNETIF_API void vnetif_flat_impair_flush(struct impair_dir *d)
{
	vnetif_impair_flush(d);
}

VNETIF_API void vnetif_flat_impair_stats(struct impair_dir *d, struct vnetif_impair_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}

VNETIF_API bool vnetif_flat_impair_holds(const struct vnetif_impair *im)
{
	return im != NULL && vnetif_impair_holds(im);
}

VNETIF_API uint64_t vnetif_flat_now_ns(void)
{
	return vnetif_now_ns();
}
