/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's stage: its two impairments (impair.c), the monitor hook and the capture tap;
 * and per switch, the clock thread that releases frames the impairments hold.
 *
 * The datapath calls vnetif_stage_run() only for a port that has a stage, once per burst
 * and direction. Held frames leave through the next burst of the same port direction or
 * through the clock (clock_main), whichever comes first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair.h"
#include "pcapng.h"
#include "stage.h"

#define STAGE_IMPAIR_RX (1u << VNETIF_DIR_RX)
#define STAGE_IMPAIR_TX (1u << VNETIF_DIR_TX)
#define STAGE_MONITOR (1u << 2)
#define STAGE_CAPTURE (1u << 3)

#define CLOCK_MAX_SLEEP_NS 10000000ull

static void vnetif_stage_set_capture(struct vnetif_port *p, struct vnetif_capture *c,
				     uint32_t ifid);
static bool vnetif_stage_in_monitor(void);

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

static void clock_kick(struct vnetif_switch *sw, uint64_t due);

/* ---- monitor and capture ------------------------------------------------------------ */

static void observe(struct vnetif_port *p, struct vnetif_stage *st, unsigned flags,
		    enum vnetif_dir dir, struct rte_mbuf **pkts, uint16_t n)
{
	struct vnetif_capture *cap = atomic_load_explicit(&st->cap, memory_order_acquire);

	if (cap != NULL)
		vnetif_pcapng_frames(cap, st->cap_if, dir, pkts, n);
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

			/* the application sees the port's handle, never the slot */
			st->mon_fn(vnetif_port_handle(p), dir, rte_pktmbuf_read(m, 0, len, flat),
				   len, st->mon_arg);
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
		uint64_t first_due;

		k = vnetif_impair_run(p, &st->dir[dir], in, n, out, &first_due);
		if (first_due != UINT64_MAX)
			clock_kick(p->sw, first_due);
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
		k = vnetif_impair_release(d, now, pkts, VNETIF_CHUNK, next);
		if (k == 0)
			break;
		if (dir == VNETIF_DIR_RX) {
			unsigned flags = atomic_load_explicit(&st->flags, memory_order_acquire);

			if (flags & (STAGE_MONITOR | STAGE_CAPTURE))
				observe(p, st, flags, dir, pkts, (uint16_t)k);
		}
		p->sw->stage_resume(p, dir, pkts, (uint16_t)k);
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
		vnetif_pcapng_free(x->cap);
	for (unsigned i = 0; i < x->nstale; i++)
		vnetif_pcapng_free(x->stale[i]);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
	sw->stage_sw = NULL;
}

/* ---- stage life --------------------------------------------------------------------- */

/* The stage memory belongs to the slot (port.c, "Handles"): allocated on first need,
 * reset by vnetif_stage_reset() when the slot serves a new port, freed with the switch.
 * p->stage publishes it to the datapath; NULL (nothing to do) for a port that never
 * asked for impairments, a monitor or a capture. */
/* ctl held: make sure @p has a stage. */
static struct vnetif_stage *vnetif_stage_get(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage_mem);

	if (st == NULL) {
		st = aligned_alloc(RTE_CACHE_LINE_SIZE,
				   RTE_ALIGN(sizeof(*st), RTE_CACHE_LINE_SIZE));
		if (st == NULL)
			return NULL;
		memset(st, 0, sizeof(*st));
		for (int i = 0; i < 2; i++)
			vnetif_impair_dir_init(&st->dir[i]);
		pthread_mutex_init(&st->mon_lock, NULL);
		atomic_store_explicit(&p->stage_mem, st, memory_order_release);
	}
	if (atomic_load(&p->stage) == NULL)
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

/* ctl held, @p connected or being connected. */
static int impair_set_locked(struct vnetif_port *p, enum vnetif_dir dir,
			     const struct vnetif_impair *im)
{
	struct vnetif_stage *st;
	int rc;

	if (im != NULL && vnetif_impair_holds(im)) {
		rc = clock_start(p->sw);
		if (rc)
			return rc;
	}
	st = vnetif_stage_get(p);
	if (st == NULL)
		return -ENOMEM;
	rc = vnetif_impair_configure(&st->dir[dir], im);
	if (rc == 0)
		set_flag(st, 1u << dir, im != NULL && im->enabled);
	return rc;
}

int vnetif_stage_connect(struct vnetif_port *p, const struct vnetif_port_config *cfg)
{
	struct vnetif_stage_sw *x = p->sw->stage_sw;
	int rc;

	if ((cfg->impair_rx && vnetif_impair_check(cfg->impair_rx)) ||
	    (cfg->impair_tx && vnetif_impair_check(cfg->impair_tx)))
		return -EINVAL;
	if (cfg->impair_rx && (rc = impair_set_locked(p, VNETIF_DIR_RX, cfg->impair_rx)) != 0)
		return rc;
	if (cfg->impair_tx && (rc = impair_set_locked(p, VNETIF_DIR_TX, cfg->impair_tx)) != 0)
		return rc;
	if (x != NULL && x->cap != NULL && x->cap_all) {
		rc = vnetif_pcapng_add_port(x->cap, p);
		if (rc < 0)
			return rc;
		vnetif_stage_set_capture(p, x->cap, (uint32_t)rc);
	}
	return 0;
}

void vnetif_stage_disconnect(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage_mem);

	if (st == NULL)
		return;
	for (int i = 0; i < 2; i++)
		vnetif_impair_flush(&st->dir[i]);
	atomic_store(&st->cap, NULL);
	set_flag(st, STAGE_CAPTURE, false);
}

void vnetif_stage_reset(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage_mem);

	atomic_store(&p->stage, NULL);
	if (st == NULL)
		return;
	atomic_store(&st->flags, 0);
	atomic_store(&st->cap, NULL);
	st->cap_if = 0;
	/* No monitor runs and no vnetif_monitor() is inside (both are read-side sections
	 * and the slot's grace period has passed). Not under mon_lock: that is never taken
	 * with ctl held (see vnetif_monitor). */
	st->mon_fn = NULL;
	st->mon_arg = NULL;
	for (int i = 0; i < 2; i++)
		vnetif_impair_dir_reset(&st->dir[i]);
}

void vnetif_stage_free(struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&p->stage_mem);

	atomic_store(&p->stage, NULL);
	if (st == NULL)
		return;
	for (int i = 0; i < 2; i++)
		vnetif_impair_dir_fini(&st->dir[i]);
	pthread_mutex_destroy(&st->mon_lock);
	free(st);
	atomic_store(&p->stage_mem, NULL);
}

unsigned vnetif_stage_held(const struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&((struct vnetif_port *)p)->stage_mem);

	if (st == NULL)
		return 0;
	return vnetif_impair_held(&st->dir[0]) + vnetif_impair_held(&st->dir[1]);
}

uint64_t vnetif_stage_drops(const struct vnetif_port *p)
{
	struct vnetif_stage *st = atomic_load(&((struct vnetif_port *)p)->stage_mem);

	if (st == NULL)
		return 0;
	return vnetif_impair_drops(&st->dir[0]) + vnetif_impair_drops(&st->dir[1]);
}

/* ctl held: attach (@c) or detach (NULL) a capture to @p. */
static void vnetif_stage_set_capture(struct vnetif_port *p, struct vnetif_capture *c, uint32_t ifid)
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

/* The slot of port handle @h if it is still that port's (ctl held or not: a reused slot
 * has a new connect number). */
static bool same_port(const struct vnetif_port *p, const vnetif_port *h)
{
	return p != NULL && vnetif_port_handle(p) == h;
}

/* A control call that may wait for a monitor (its lock) from inside the datapath of
 * @sw: a listener, a monitor, or the impairment clock releasing frames all run in a
 * read-side section of the switch. */
static bool in_datapath_of(const struct vnetif_switch *sw)
{
	return vnetif_srcu_held(&sw->srcu) || vnetif_stage_in_monitor();
}

VNETIF_API int vnetif_impair_set(vnetif_port *port, enum vnetif_dir dir,
				 const struct vnetif_impair *im)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	int rc;

	if (p == NULL || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	if (im != NULL && vnetif_impair_check(im))
		return -EINVAL;
	pthread_mutex_lock(&p->sw->ctl);
	if (!same_port(p, port) || atomic_load(&p->state) != PORT_CONNECTED)
		rc = -ENOTCONN;
	else
		rc = impair_set_locked(p, dir, im);
	pthread_mutex_unlock(&p->sw->ctl);
	return rc;
}

VNETIF_API int vnetif_impair_get(const vnetif_port *port, enum vnetif_dir dir,
				 struct vnetif_impair *im)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	struct vnetif_stage *st;
	int rc;

	if (p == NULL || im == NULL || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	if (!same_port(p, port) || atomic_load(&p->state) == PORT_CLOSED)
		return -ENOTCONN;
	st = atomic_load(&p->stage_mem);
	if (st == NULL)
		return -ENOENT;
	pthread_mutex_lock(&st->dir[dir].lock);
	rc = st->dir[dir].set ? 0 : -ENOENT;
	if (rc == 0)
		*im = st->dir[dir].cfg;
	pthread_mutex_unlock(&st->dir[dir].lock);
	/* the slot reset (port.c) sets the connect number to 0 before it resets the stage */
	return same_port(p, port) ? rc : -ENOTCONN;
}

/* Like vnetif_stats_get: no read side needed, the slot outlives every handle; the
 * numbers are this port's if its connect number is unchanged after reading them. */
VNETIF_API int vnetif_impair_stats_get(const vnetif_port *port, enum vnetif_dir dir,
				       struct vnetif_impair_stats *out)
{
	struct vnetif_port *p = vnetif_port_slot(port);
	struct vnetif_impair_stats s;
	struct vnetif_stage *st;

	if (p == NULL || out == NULL || (dir != VNETIF_DIR_RX && dir != VNETIF_DIR_TX))
		return -EINVAL;
	if (!same_port(p, port))
		return -ENOTCONN;
	memset(&s, 0, sizeof(s));
	st = atomic_load(&p->stage_mem);
	if (st != NULL) {
		pthread_mutex_lock(&st->dir[dir].lock);
		s = st->dir[dir].st;
		s.held = st->dir[dir].nheld;
		pthread_mutex_unlock(&st->dir[dir].lock);
	}
	if (!same_port(p, port))
		return -ENOTCONN; /* the slot was reused while we read */
	*out = s;
	return 0;
}

VNETIF_API int vnetif_monitor(vnetif_port *port, vnetif_monitor_fn fn, void *arg)
{
	struct vnetif_port *p;
	struct vnetif_stage *st;
	unsigned tok;
	int rc;

	if (vnetif_port_slot(port) == NULL)
		return -EINVAL;
	/* It waits for the port's running monitor: from a listener, a monitor or the clock
	 * of this switch that could be the calling thread itself, or one waiting for it. */
	if (in_datapath_of(vnetif_port_slot(port)->sw))
		return -EDEADLK;
	/* The read side keeps the slot this port's (a disconnect's grace period waits for
	 * it). The monitor's lock is never taken under ctl: a monitor may make control
	 * calls that take ctl (vnetif_connect), and runs holding its lock. */
	rc = vnetif_port_enter(port, false, &p, &tok);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->sw->ctl);
	st = vnetif_stage_get(p);
	pthread_mutex_unlock(&p->sw->ctl);
	if (st == NULL) {
		rc = -ENOMEM;
	} else {
		pthread_mutex_lock(&st->mon_lock);
		st->mon_fn = fn;
		st->mon_arg = arg;
		set_flag(st, STAGE_MONITOR, fn != NULL);
		pthread_mutex_unlock(&st->mon_lock);
	}
	vnetif_srcu_unlock(&p->sw->srcu, tok);
	return rc;
}

bool vnetif_stage_control_blocked(const struct vnetif_switch *sw)
{
	return in_datapath_of(sw);
}

/* ---- capture bookkeeping of the switch (capture.c; pcapng.c writes the file) -------- */

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
		for (unsigned i = 0; i < sw->cfg.max_ports; i++)
			if (atomic_load(&sw->slot[i].state) == PORT_CONNECTED)
				ports[np++] = &sw->slot[i];
	}
	/* Interface ids follow connect order: sort newest first (by connect number; the
	 * loop below walks from the end). */
	for (unsigned i = 1; i < np; i++)
		for (unsigned j = i; j > 0 && atomic_load(&ports[j - 1]->gen) <
						      atomic_load(&ports[j]->gen); j--) {
			struct vnetif_port *t = ports[j];

			ports[j] = ports[j - 1];
			ports[j - 1] = t;
		}
	for (unsigned i = np; i-- > 0;) {
		int id = vnetif_pcapng_add_port(c, ports[i]);

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

/* ctl held: unpublish @c (the caller waits for a grace period, unlocked, before it
 * frees it). */
void vnetif_stage_capture_unpublish(struct vnetif_switch *sw, struct vnetif_capture *c)
{
	for (unsigned i = 0; i < sw->cfg.max_ports; i++) {
		struct vnetif_port *p = &sw->slot[i];
		struct vnetif_stage *st = atomic_load(&p->stage_mem);

		if (st != NULL && atomic_load(&st->cap) == c)
			vnetif_stage_set_capture(p, NULL, 0);
	}
	sw->stage_sw->cap = NULL;
}

/* ctl held: @c could not be waited for: free it with the switch. false if there is no
 * room left to keep it (then the caller must not free it either: it leaks). */
bool vnetif_stage_capture_keep(struct vnetif_switch *sw, struct vnetif_capture *c)
{
	struct vnetif_stage_sw *x = sw->stage_sw;

	if (x->nstale >= RTE_DIM(x->stale))
		return false;
	x->stale[x->nstale++] = c;
	return true;
}

/* True while this thread runs a monitor. */
static bool vnetif_stage_in_monitor(void)
{
	return tls_monitor != NULL;
}

struct vnetif_capture *vnetif_stage_sw_capture(const struct vnetif_switch *sw)
{
	return sw->stage_sw ? sw->stage_sw->cap : NULL;
}
