/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's stage: impairments per direction, the monitor hook and the capture tap.
 *
 * The datapath calls vnetif_stage_run() only for a port that has a stage, once per burst
 * and direction. Each direction has its own lock (taken once per burst), PRNG, token
 * bucket, drop-window state and timed queue (a binary heap ordered by release time,
 * then arrival). Frames that are due leave through the next burst of the same port
 * direction or through the switch's clock thread (clock_main), whichever comes first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"

#define STAGE_IMPAIR_RX (1u << VNETIF_DIR_RX)
#define STAGE_IMPAIR_TX (1u << VNETIF_DIR_TX)
#define STAGE_MONITOR (1u << 2)
#define STAGE_CAPTURE (1u << 3)

#define CLOCK_MAX_SLEEP_NS 10000000ull
#define MAX_DELAY_NS (60ull * 1000000000ull)
#define MAX_QUEUE 65536u

enum { CUT_COUNT, CUT_ON, CUT_DONE };

struct held {
	uint64_t due, seq;
	struct rte_mbuf *m;
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
	struct held *heap;
	unsigned nheld, cap;
	uint64_t seq;
	struct vnetif_impair_stats st;
} __rte_cache_aligned;

struct vnetif_stage {
	struct impair_dir dir[2];
	_Atomic unsigned flags;
	pthread_mutex_t mon_lock;
	vnetif_monitor_fn mon_fn;    /* under mon_lock */
	void *mon_arg;
	_Atomic(struct vnetif_capture *) cap;
	uint32_t cap_if;             /* written before cap is published */
};

/* Per switch: the clock that releases held frames, and the capture. */
struct vnetif_stage_sw {
	pthread_t clk;
	bool clk_on;
	_Atomic bool clk_stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	_Atomic uint64_t wake_at;    /* the clock sleeps until then; 0 while it scans */
	_Atomic uint64_t pushes;     /* frames pushed on any timed queue, ever */
	struct vnetif_capture *cap;  /* under ctl */
	bool cap_all;
	struct vnetif_capture *stale[8]; /* stopped with a timeout: freed at destroy */
	unsigned nstale;
};

static __thread const struct vnetif_stage *tls_monitor; /* whose monitor runs here */

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

static void heap_push(struct impair_dir *d, uint64_t due, struct rte_mbuf *m)
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

static struct rte_mbuf *heap_pop(struct impair_dir *d)
{
	struct rte_mbuf *m = d->heap[0].m;
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
static unsigned pop_due(struct impair_dir *d, uint64_t now, struct rte_mbuf **out, unsigned max)
{
	unsigned k = 0;

	while (k < max && d->nheld > 0 && d->heap[0].due <= now)
		out[k++] = heap_pop(d);
	return k;
}

/* ---- frame edits ------------------------------------------------------------------- */

/* @m, or a private copy of it if any segment is shared or indirect; NULL: no mbuf
 * (@m is freed either way when a copy was needed). */
static struct rte_mbuf *writable(struct vnetif_port *p, struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	for (struct rte_mbuf *s = m; s != NULL; s = s->next)
		if (!RTE_MBUF_DIRECT(s) || rte_mbuf_refcnt_read(s) != 1)
			goto copy;
	return m;
copy:
	c = rte_pktmbuf_copy(m, p->sw->pool, 0, UINT32_MAX);
	rte_pktmbuf_free(m);
	return c;
}

static void flip_bit(struct rte_mbuf *m, uint64_t r)
{
	uint32_t len = m->pkt_len;
	uint32_t off = len > VNETIF_ETHER_HDR_LEN ?
			       VNETIF_ETHER_HDR_LEN + (uint32_t)(r % (len - VNETIF_ETHER_HDR_LEN)) :
			       (uint32_t)(r % len);
	struct rte_mbuf *s = m;

	while (off >= s->data_len) {
		off -= s->data_len;
		s = s->next;
	}
	rte_pktmbuf_mtod(s, uint8_t *)[off] ^= (uint8_t)(1u << (r >> 61));
}

static int pad(struct vnetif_port *p, struct rte_mbuf *m, uint16_t k)
{
	char *tail = rte_pktmbuf_append(m, k);

	if (tail == NULL) {
		struct rte_mbuf *seg = rte_pktmbuf_alloc(p->sw->pool);

		if (seg == NULL)
			return -ENOMEM;
		tail = rte_pktmbuf_append(seg, k);
		if (tail == NULL || rte_pktmbuf_chain(m, seg) != 0) {
			rte_pktmbuf_free(seg);
			return -ENOMEM;
		}
	}
	memset(tail, 0, k);
	return 0;
}

/* ---- the impairment of one direction ------------------------------------------------ */

static void drop(struct rte_mbuf *m, uint64_t *counter)
{
	rte_pktmbuf_free(m);
	(*counter)++;
}

/* Pass @m on now (if nothing is held before it and it is due) or hold it. */
static unsigned emit(struct impair_dir *d, struct rte_mbuf *m, uint64_t due, uint64_t now,
		     struct rte_mbuf **out, unsigned k)
{
	if (due <= now && d->nheld == 0) {
		out[k++] = m;
		return k;
	}
	if (d->nheld >= d->cfg.queue_limit || d->nheld >= d->cap) {
		drop(m, &d->st.dropped_queue_full);
		return k;
	}
	if (due > now)
		d->st.delayed++;
	heap_push(d, due, m);
	return k;
}

static unsigned impair_one(struct vnetif_port *p, struct impair_dir *d, struct rte_mbuf *m,
			   uint64_t now, struct rte_mbuf **out, unsigned k)
{
	const struct vnetif_impair *c = &d->cfg;
	uint32_t len = m->pkt_len;
	uint64_t due = now;
	bool dup;

	if (c->link_down) {
		drop(m, &d->st.dropped_down);
		return k;
	}
	if (c->max_frame && len > c->max_frame) {
		drop(m, &d->st.dropped_oversize);
		return k;
	}
	if (c->cut_after_bytes) {
		if (d->cut_state == CUT_COUNT && d->cut_bytes >= c->cut_after_bytes) {
			d->cut_state = CUT_ON;
			d->cut_until = now + c->cut_ns;
		}
		if (d->cut_state == CUT_ON) {
			if (now < d->cut_until) {
				drop(m, &d->st.dropped_cut);
				return k;
			}
			d->cut_state = CUT_DONE;
		}
	}
	if (c->loss > 0 && chance(d, c->loss)) {
		drop(m, &d->st.dropped_loss);
		return k;
	}
	if (c->small_loss > 0 && len <= c->small_len && chance(d, c->small_loss)) {
		drop(m, &d->st.dropped_small);
		return k;
	}
	if (c->corrupt > 0 && chance(d, c->corrupt)) {
		uint64_t r = rnd(d);

		m = writable(p, m);
		if (m == NULL) {
			d->st.dropped_nomem++;
			return k;
		}
		flip_bit(m, r);
		d->st.corrupted++;
	}
	if (c->pad_max) {
		uint16_t n = (uint16_t)(rnd(d) % ((uint64_t)c->pad_max + 1));

		if (n > 0) {
			m = writable(p, m);
			if (m == NULL || pad(p, m, n) != 0) {
				if (m != NULL)
					rte_pktmbuf_free(m);
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
		uint64_t cost = (uint64_t)m->pkt_len * 8000000000ull / c->rate_bps;
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
		rte_pktmbuf_refcnt_update(m, 1);
		d->st.duplicated++;
		k = emit(d, m, due, now, out, k);
	}
	return emit(d, m, due, now, out, k);
}

static void clock_kick(struct vnetif_switch *sw, uint64_t due);

static uint16_t impair_run(struct vnetif_port *p, struct impair_dir *d, struct rte_mbuf **in,
			   uint16_t n, struct rte_mbuf **out)
{
	uint64_t now = vnetif_now_ns(), seq0, first_due = UINT64_MAX;
	unsigned k;

	pthread_mutex_lock(&d->lock);
	if (!d->on) {
		/* switched off meanwhile: frames still held go first (the clock or this) */
		k = pop_due(d, now, out, VNETIF_CHUNK);
		memcpy(out + k, in, n * sizeof(*in));
		k += n;
		d->st.passed += k;
		pthread_mutex_unlock(&d->lock);
		return (uint16_t)k;
	}
	k = pop_due(d, now, out, VNETIF_CHUNK);
	seq0 = d->seq;
	for (uint16_t i = 0; i < n; i++)
		k = impair_one(p, d, in[i], now, out, k);
	k += pop_due(d, now, out + k, VNETIF_STAGE_OUT - k);
	d->st.passed += k;
	if (d->seq != seq0 && d->nheld > 0)
		first_due = d->heap[0].due;
	pthread_mutex_unlock(&d->lock);
	if (first_due != UINT64_MAX)
		clock_kick(p->sw, first_due);
	return (uint16_t)k;
}

/* ---- monitor and capture ------------------------------------------------------------ */

static void observe(struct vnetif_port *p, struct vnetif_stage *st, unsigned flags,
		    enum vnetif_dir dir, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_capture *cap = atomic_load_explicit(&st->cap, memory_order_acquire);

	if (cap != NULL)
		vnetif_capture_frames(cap, st->cap_if, dir, pkts, n);
	if (!(flags & STAGE_MONITOR))
		return;
	pthread_mutex_lock(&st->mon_lock);
	if (st->mon_fn != NULL) {
		static __thread uint8_t flat[16384];
		const struct vnetif_stage *prev = tls_monitor;

		tls_monitor = st;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)sizeof(flat));

			st->mon_fn(p, dir, rte_pktmbuf_read(m, 0, len, flat), len, st->mon_arg);
		}
		tls_monitor = prev;
	}
	pthread_mutex_unlock(&st->mon_lock);
}

uint16_t vnetif_stage_run(struct vnetif_port *p, enum vnetif_dir dir, struct rte_mbuf **in,
			  uint16_t n, struct rte_mbuf **out)
{
	struct vnetif_stage *st = atomic_load_explicit(&p->stage, memory_order_acquire);
	unsigned flags = atomic_load_explicit(&st->flags, memory_order_acquire);
	uint16_t k;

	if (dir == VNETIF_DIR_TX && (flags & (STAGE_MONITOR | STAGE_CAPTURE)))
		observe(p, st, flags, dir, in, n);
	if (flags & (1u << dir)) {
		k = impair_run(p, &st->dir[dir], in, n, out);
	} else {
		memcpy(out, in, n * sizeof(*in));
		k = n;
	}
	if (dir == VNETIF_DIR_RX && k > 0 && (flags & (STAGE_MONITOR | STAGE_CAPTURE)))
		observe(p, st, flags, dir, out, k);
	return k;
}

/* ---- the clock ---------------------------------------------------------------------- */

/* Release what is due on one port direction; the next due time into *next. */
static void release_port(struct vnetif_port *p, struct vnetif_stage *st, enum vnetif_dir dir,
			 uint64_t now, uint64_t *next)
{
	struct impair_dir *d = &st->dir[dir];
	struct rte_mbuf *pkts[VNETIF_CHUNK];
	unsigned k;

	do {
		pthread_mutex_lock(&d->lock);
		k = pop_due(d, now, pkts, VNETIF_CHUNK);
		d->st.passed += k;
		if (d->nheld > 0 && d->heap[0].due < *next)
			*next = d->heap[0].due;
		pthread_mutex_unlock(&d->lock);
		if (k == 0)
			break;
		if (dir == VNETIF_DIR_RX) {
			unsigned flags = atomic_load_explicit(&st->flags, memory_order_acquire);

			if (flags & (STAGE_MONITOR | STAGE_CAPTURE))
				observe(p, st, flags, dir, pkts, (uint16_t)k);
		}
		vnetif_stage_resume(p, dir, pkts, (uint16_t)k);
	} while (k == VNETIF_CHUNK);
}

static void *clock_main(void *arg)
{
	struct vnetif_switch *sw = arg;
	struct vnetif_stage_sw *x = sw->stage_sw;

	while (!atomic_load_explicit(&x->clk_stop, memory_order_acquire)) {
		uint64_t now = vnetif_now_ns(), next = now + CLOCK_MAX_SLEEP_NS;
		uint64_t pushes = atomic_load_explicit(&x->pushes, memory_order_seq_cst);
		unsigned tok = vnetif_srcu_lock(&sw->srcu);
		unsigned hwm = atomic_load_explicit(&sw->port_hwm, memory_order_acquire);

		for (unsigned i = 0; i < hwm; i++) {
			struct vnetif_port *p = atomic_load_explicit(&sw->ports[i], memory_order_acquire);
			struct vnetif_stage *st;

			if (p == NULL || (st = atomic_load_explicit(&p->stage, memory_order_acquire)) == NULL)
				continue;
			if (atomic_load_explicit(&p->state, memory_order_acquire) != PORT_CONNECTED)
				continue;
			release_port(p, st, VNETIF_DIR_RX, now, &next);
			release_port(p, st, VNETIF_DIR_TX, now, &next);
		}
		vnetif_srcu_unlock(&sw->srcu, tok);

		pthread_mutex_lock(&x->mu);
		atomic_store_explicit(&x->wake_at, next, memory_order_seq_cst);
		/* A frame pushed after the scan started, by a writer that saw wake_at == 0,
		 * did not signal: scan again instead of sleeping past it. */
		if (atomic_load_explicit(&x->pushes, memory_order_seq_cst) == pushes &&
		    !atomic_load_explicit(&x->clk_stop, memory_order_acquire) &&
		    next > vnetif_now_ns()) {
			struct timespec ts = {.tv_sec = (time_t)(next / 1000000000ull),
					      .tv_nsec = (long)(next % 1000000000ull)};

			pthread_cond_timedwait(&x->cv, &x->mu, &ts);
		}
		atomic_store_explicit(&x->wake_at, 0, memory_order_seq_cst);
		pthread_mutex_unlock(&x->mu);
	}
	return NULL;
}

/* A frame due at @due was held: wake the clock if it sleeps past that. */
static void clock_kick(struct vnetif_switch *sw, uint64_t due)
{
	/* set once under ctl (stage_sw_get) while the datapath may run */
	struct vnetif_stage_sw *x = __atomic_load_n(&sw->stage_sw, __ATOMIC_ACQUIRE);

	if (x == NULL)
		return;
	atomic_fetch_add_explicit(&x->pushes, 1, memory_order_seq_cst);
	if (due < atomic_load_explicit(&x->wake_at, memory_order_seq_cst)) {
		pthread_mutex_lock(&x->mu);
		pthread_cond_signal(&x->cv);
		pthread_mutex_unlock(&x->mu);
	}
}

/* ctl held. */
static struct vnetif_stage_sw *stage_sw_get(struct vnetif_switch *sw)
{
	struct vnetif_stage_sw *x = sw->stage_sw;
	pthread_condattr_t ca;

	if (x != NULL)
		return x;
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	pthread_mutex_init(&x->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->cv, &ca);
	pthread_condattr_destroy(&ca);
	__atomic_store_n(&sw->stage_sw, x, __ATOMIC_RELEASE);
	return x;
}

/* ctl held. */
static int clock_start(struct vnetif_switch *sw)
{
	struct vnetif_stage_sw *x = stage_sw_get(sw);
	char name[16];

	if (x == NULL)
		return -ENOMEM;
	if (x->clk_on)
		return 0;
	atomic_store(&x->clk_stop, false);
	if (pthread_create(&x->clk, NULL, clock_main, sw) != 0)
		return -EAGAIN;
	snprintf(name, sizeof(name), "vnetif-clk");
	pthread_setname_np(x->clk, name);
	x->clk_on = true;
	return 0;
}

void vnetif_stage_switch_fini(struct vnetif_switch *sw)
{
	struct vnetif_stage_sw *x = sw->stage_sw;

	if (x == NULL)
		return;
	if (x->clk_on) {
		pthread_mutex_lock(&x->mu);
		atomic_store(&x->clk_stop, true);
		pthread_cond_signal(&x->cv);
		pthread_mutex_unlock(&x->mu);
		pthread_join(x->clk, NULL);
	}
	if (x->cap)
		vnetif_capture_free(x->cap);
	for (unsigned i = 0; i < x->nstale; i++)
		vnetif_capture_free(x->stale[i]);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
	sw->stage_sw = NULL;
}

/* ---- stage life --------------------------------------------------------------------- */

struct vnetif_stage *vnetif_stage_get(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage);

	if (st != NULL)
		return st;
	st = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN(sizeof(*st), RTE_CACHE_LINE_SIZE));
	if (st == NULL)
		return NULL;
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < 2; i++) {
		pthread_mutex_init(&st->dir[i].lock, NULL);
		vnetif_impair_init(&st->dir[i].cfg);
	}
	pthread_mutex_init(&st->mon_lock, NULL);
	atomic_store_explicit(&p->stage, st, memory_order_release);
	return st;
}

static void set_flag(struct vnetif_stage *st, unsigned flag, bool on)
{
	if (on)
		atomic_fetch_or(&st->flags, flag);
	else
		atomic_fetch_and(&st->flags, ~flag);
}

static bool prob_ok(double p)
{
	return p >= 0.0 && p <= 1.0; /* false for NaN */
}

static int impair_check(const struct vnetif_impair *im)
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

static bool holds_frames(const struct vnetif_impair *im)
{
	return im->enabled && (im->delay_ns || im->jitter_ns || im->rate_bps ||
			       (im->reorder > 0 && im->reorder_ns));
}

/* ctl held, @p connected or being connected. */
static int impair_set_locked(struct vnetif_port *p, enum vnetif_dir dir,
			     const struct vnetif_impair *im)
{
	struct vnetif_stage *st;
	struct impair_dir *d;
	struct held *heap = NULL, *old = NULL;
	int rc;

	if (im != NULL && holds_frames(im)) {
		rc = clock_start(p->sw);
		if (rc)
			return rc;
	}
	st = vnetif_stage_get(p);
	if (st == NULL)
		return -ENOMEM;
	d = &st->dir[dir];
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
	if (im != NULL) {
		d->cfg = *im;
		d->set = true;
		d->rng = im->seed;
		d->cut_state = CUT_COUNT;
		d->cut_bytes = 0;
		d->tat = 0;
	}
	d->on = im != NULL && im->enabled;
	d->set = im != NULL;
	pthread_mutex_unlock(&d->lock);
	free(old);
	set_flag(st, 1u << dir, im != NULL && im->enabled);
	return 0;
}

int vnetif_stage_connect(struct vnetif_port *p, const struct vnetif_port_config *cfg)
{
	struct vnetif_stage_sw *x = p->sw->stage_sw;
	int rc;

	if ((cfg->impair_rx && impair_check(cfg->impair_rx)) ||
	    (cfg->impair_tx && impair_check(cfg->impair_tx)))
		return -EINVAL;
	if (cfg->impair_rx && (rc = impair_set_locked(p, VNETIF_DIR_RX, cfg->impair_rx)) != 0)
		return rc;
	if (cfg->impair_tx && (rc = impair_set_locked(p, VNETIF_DIR_TX, cfg->impair_tx)) != 0)
		return rc;
	if (x != NULL && x->cap != NULL && x->cap_all) {
		rc = vnetif_capture_add_port(x->cap, p);
		if (rc < 0)
			return rc;
		vnetif_stage_set_capture(p, x->cap, (uint32_t)rc);
	}
	return 0;
}

void vnetif_stage_disconnect(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage);

	if (st == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		struct impair_dir *d = &st->dir[i];

		pthread_mutex_lock(&d->lock);
		while (d->nheld > 0)
			drop(heap_pop(d), &d->st.dropped_disconnected);
		pthread_mutex_unlock(&d->lock);
	}
	atomic_store(&st->cap, NULL);
	set_flag(st, STAGE_CAPTURE, false);
}

void vnetif_stage_free(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage);

	if (st == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		free(st->dir[i].heap);
		pthread_mutex_destroy(&st->dir[i].lock);
	}
	pthread_mutex_destroy(&st->mon_lock);
	free(st);
	atomic_store(&p->stage, NULL);
}

unsigned vnetif_stage_held(const struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&((struct vnetif_port *)p)->stage);
	unsigned n = 0;

	if (st == NULL)
		return 0;
	for (int i = 0; i < 2; i++) {
		pthread_mutex_lock(&st->dir[i].lock);
		n += st->dir[i].nheld;
		pthread_mutex_unlock(&st->dir[i].lock);
	}
	return n;
}

uint64_t vnetif_stage_drops(const struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&((struct vnetif_port *)p)->stage);
	uint64_t n = 0;

	if (st == NULL)
		return 0;
	for (int i = 0; i < 2; i++) {
		const struct vnetif_impair_stats *s = &st->dir[i].st;

		pthread_mutex_lock(&st->dir[i].lock);
		n += s->dropped_down + s->dropped_oversize + s->dropped_cut + s->dropped_loss +
		     s->dropped_small + s->dropped_queue_full + s->dropped_nomem +
		     s->dropped_disconnected;
		pthread_mutex_unlock(&st->dir[i].lock);
	}
	return n;
}

void vnetif_stage_set_capture(struct vnetif_port *p, struct vnetif_capture *c, uint32_t ifid)
{
	struct vnetif_stage *st = vnetif_stage_get(p);

	if (st == NULL)
		return;
	if (c != NULL)
		st->cap_if = ifid;
	atomic_store_explicit(&st->cap, c, memory_order_release);
	set_flag(st, STAGE_CAPTURE, c != NULL);
}

/* ---- public calls ------------------------------------------------------------------- */

VNETIF_API void vnetif_impair_init(struct vnetif_impair *im)
{
	if (im == NULL)
		return;
	memset(im, 0, sizeof(*im));
	im->enabled = true;
	im->reorder_ns = 1000000;
	im->queue_limit = 1024;
}

VNETIF_API int vnetif_impair_set(vnetif_port *port, enum vnetif_dir dir,
				 const struct vnetif_impair *im)
{
	int rc;

	if (!vnetif_port_ok(port) || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	if (im != NULL && impair_check(im))
		return -EINVAL;
	pthread_mutex_lock(&port->sw->ctl);
	if (atomic_load(&port->state) != PORT_CONNECTED)
		rc = -ENOTCONN;
	else
		rc = impair_set_locked(port, dir, im);
	pthread_mutex_unlock(&port->sw->ctl);
	return rc;
}

VNETIF_API int vnetif_impair_get(const vnetif_port *port, enum vnetif_dir dir,
				 struct vnetif_impair *im)
{
	struct vnetif_stage *st;
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (im == NULL || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	st = atomic_load(&((struct vnetif_port *)port)->stage);
	if (st == NULL)
		return -ENOENT;
	pthread_mutex_lock(&st->dir[dir].lock);
	rc = st->dir[dir].set ? 0 : -ENOENT;
	if (rc == 0)
		*im = st->dir[dir].cfg;
	pthread_mutex_unlock(&st->dir[dir].lock);
	return rc;
}

VNETIF_API int vnetif_impair_stats_get(const vnetif_port *port, enum vnetif_dir dir,
				       struct vnetif_impair_stats *out)
{
	struct vnetif_stage *st;

	if (!vnetif_port_ok(port) || out == NULL || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	st = atomic_load(&((struct vnetif_port *)port)->stage);
	if (st == NULL)
		return 0;
	pthread_mutex_lock(&st->dir[dir].lock);
	*out = st->dir[dir].st;
	out->held = st->dir[dir].nheld;
	pthread_mutex_unlock(&st->dir[dir].lock);
	return 0;
}

VNETIF_API int vnetif_monitor(vnetif_port *port, vnetif_monitor_fn fn, void *arg)
{
	struct vnetif_stage *st;
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	st = atomic_load(&port->stage);
	if (st != NULL && tls_monitor == st)
		return -EDEADLK;
	pthread_mutex_lock(&port->sw->ctl);
	st = vnetif_stage_get(port);
	if (st == NULL) {
		pthread_mutex_unlock(&port->sw->ctl);
		return -ENOMEM;
	}
	pthread_mutex_lock(&st->mon_lock);
	st->mon_fn = fn;
	st->mon_arg = arg;
	set_flag(st, STAGE_MONITOR, fn != NULL);
	pthread_mutex_unlock(&st->mon_lock);
	pthread_mutex_unlock(&port->sw->ctl);
	return 0;
}

/* ---- capture bookkeeping of the switch (capture.c writes the file) ------------------ */

/* ctl held: make @c the switch's capture and give it every port (or @only). */
int vnetif_stage_capture_attach(struct vnetif_switch *sw, struct vnetif_capture *c,
				struct vnetif_port *only)
{
	struct vnetif_stage_sw *x = stage_sw_get(sw);
	struct vnetif_port *ports[VNETIF_MAX_PORTS];
	unsigned np = 0;

	if (x == NULL)
		return -ENOMEM;
	if (x->cap != NULL)
		return -EBUSY;
	if (only != NULL) {
		ports[np++] = only;
	} else {
		for (struct vnetif_port *p = sw->all; p; p = p->next)
			if (atomic_load(&p->state) == PORT_CONNECTED)
				ports[np++] = p;
	}
	/* Oldest port first: interface ids follow connect order. */
	for (unsigned i = np; i-- > 0;) {
		int id = vnetif_capture_add_port(c, ports[i]);

		if (id < 0 || vnetif_stage_get(ports[i]) == NULL) {
			for (unsigned j = np; j-- > i + 1;)
				vnetif_stage_set_capture(ports[j], NULL, 0);
			return id < 0 ? id : -ENOMEM;
		}
		vnetif_stage_set_capture(ports[i], c, (uint32_t)id);
	}
	x->cap = c;
	x->cap_all = only == NULL;
	return 0;
}

/* ctl held: unpublish @c and wait for the datapath to leave it. 0, or -ETIMEDOUT (then
 * @c is kept and freed with the switch). */
int vnetif_stage_capture_detach(struct vnetif_switch *sw, struct vnetif_capture *c)
{
	struct vnetif_stage_sw *x = sw->stage_sw;

	for (struct vnetif_port *p = sw->all; p; p = p->next) {
		struct vnetif_stage *st = atomic_load(&p->stage);

		if (st != NULL && atomic_load(&st->cap) == c)
			vnetif_stage_set_capture(p, NULL, 0);
	}
	x->cap = NULL;
	if (vnetif_srcu_synchronize(&sw->srcu,
				    vnetif_now_ns() + sw->cfg.grace_timeout_ms * 1000000ull,
				    sw->cfg.yield, sw->cfg.yield_arg) != 0) {
		if (x->nstale < RTE_DIM(x->stale))
			x->stale[x->nstale++] = c;
		return -ETIMEDOUT;
	}
	return 0;
}

bool vnetif_stage_in_monitor(void)
{
	return tls_monitor != NULL;
}

struct vnetif_capture *vnetif_stage_sw_capture(const struct vnetif_switch *sw)
{
	return sw->stage_sw ? sw->stage_sw->cap : NULL;
}
