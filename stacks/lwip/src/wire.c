/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The direct wire: two lwIP stacks joined without a switch (vnetif_lwip_create_wired()).
 *
 * A BASELINE, not a datapath to build on: it exists so bench/iperf-like can show what the
 * switch costs against the least an in-process link can do (one copy, no mbufs, no
 * forwarding). It has no ports, no capture, no policy; its only extra is the switch's
 * impairment engine, so the baseline can be impaired like the switch path (one flag test
 * per frame while off). Everything real goes through a switch port (link.c). Keep it
 * this small.
 *
 * The sender copies the frame straight into a pbuf of the receiving instance (one copy
 * in all), passes it through the input guard, then either posts it to the receiver's
 * tcpip mailbox (VNETIF_LWIP_WIRE_MAILBOX) or enqueues it on the receiver's rte_ring,
 * drained by a delivery thread that injects under the receiver's core lock
 * (VNETIF_LWIP_WIRE_THREAD; it spins briefly, then sleeps on a condition variable with
 * the "posted" counter handshake below). A sender touches the receiving instance only
 * between enter/leave of the receiver's end; cutting an end waits until no sender is
 * inside.
 *
 * Impairments (vnetif_lwip_wire_impair()): the switch's impairment engine (impair.c,
 * through its flat-frame entry points, impair_flat.h) on what an end delivers. Once an end
 * is impaired, the sender copies each frame into a flat frame, runs it through the end's
 * engine and delivers what comes out now; held frames (delay, jitter, rate, reorder) leave
 * through the next frame on the same direction or the end's thread (the delivery thread,
 * or on a MAILBOX wire a release thread started with the first timed impairment), which
 * sleeps until the earliest release time. Held frames are freed and counted
 * (dropped_disconnected) when the end is cut.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_pause.h>
#include <rte_ring.h>

#include "guard.h"
#include "impair_flat.h"
#include "lwip_private.h"

#define WIRE_RING 1024
#define WIRE_BURST 64
#define WIRE_SPINS 128
#define WIRE_MAX_SLEEP_NS 10000000ull

struct vnl_wire;

struct wire_end {
	struct vnl_wire *w;
	vnetif_lwip_stack *stack;   /* the stack this end delivers to */
	struct impair_dir *imp;     /* impairment of what this end delivers */
	_Atomic bool impaired;      /* imp was configured once: frames go through it */
	pthread_mutex_t ctl;        /* starting the thread, configuring imp */
	_Atomic bool attached;      /* senders may deliver to the stack */
	_Atomic int users;          /* senders inside */
	struct rte_ring *ring;      /* WIRE_THREAD: frames for the stack */
	pthread_t thread;
	bool thread_on;
	_Atomic bool stop;
	_Atomic bool sleeping;
	_Atomic uint64_t posted;    /* frames enqueued so far (the wake-up handshake) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

struct vnl_wire {
	enum vnetif_lwip_wire mode;
	_Atomic int refs;
	struct wire_end end[2];
};

static void wire_free(struct vnl_wire *w)
{
	for (int i = 0; i < 2; i++) {
		free(w->end[i].ring);
		vnetif_flat_impair_free(w->end[i].imp);
		pthread_mutex_destroy(&w->end[i].ctl);
		pthread_mutex_destroy(&w->end[i].lock);
		pthread_cond_destroy(&w->end[i].cond);
	}
	free(w);
}

int vnl_link_wire_pair(vnetif_lwip_stack *a, vnetif_lwip_stack *b, enum vnetif_lwip_wire mode)
{
	struct vnl_wire *w = calloc(1, sizeof(*w));
	vnetif_lwip_stack *s[2] = {a, b};
	static _Atomic unsigned wire_no;
	unsigned no = atomic_fetch_add(&wire_no, 1);

	if (w == NULL)
		return -ENOMEM;
	w->mode = mode;
	atomic_store(&w->refs, 2);
	for (int i = 0; i < 2; i++) {
		struct wire_end *e = &w->end[i];

		e->w = w;
		e->stack = s[i];
		pthread_mutex_init(&e->ctl, NULL);
		pthread_mutex_init(&e->lock, NULL);
		pthread_cond_init(&e->cond, NULL);
		e->imp = vnetif_flat_impair_new();
		if (e->imp == NULL) {
			wire_free(w);
			return -ENOMEM;
		}
		if (mode == VNETIF_LWIP_WIRE_THREAD) {
			char name[RTE_RING_NAMESIZE];
			ssize_t sz = rte_ring_get_memsize(WIRE_RING);

			e->ring = sz > 0 ? aligned_alloc(RTE_CACHE_LINE_SIZE,
							 RTE_ALIGN_CEIL((size_t)sz, RTE_CACHE_LINE_SIZE))
					 : NULL;
			snprintf(name, sizeof(name), "vnlw%u.%d", no, i);
			if (e->ring == NULL ||
			    rte_ring_init(e->ring, name, WIRE_RING, RING_F_SC_DEQ) != 0) {
				wire_free(w);
				return -ENOMEM;
			}
		}
		/* a wire has no switch to assign MACs: 02:4c (locally administered) + 4 bytes */
		if (!(s[i]->mac[0] | s[i]->mac[1] | s[i]->mac[2] | s[i]->mac[3] | s[i]->mac[4] |
		      s[i]->mac[5])) {
			uint32_t x = no * 2u + (uint32_t)i + 1u;

			s[i]->mac[0] = 0x02;
			s[i]->mac[1] = 0x4c;
			s[i]->mac[2] = (uint8_t)(x >> 24);
			s[i]->mac[3] = (uint8_t)(x >> 16);
			s[i]->mac[4] = (uint8_t)(x >> 8);
			s[i]->mac[5] = (uint8_t)x;
		}
	}
	if (memcmp(a->mac, b->mac, 6) == 0) {
		wire_free(w);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		s[i]->link.kind = LINK_WIRE;
		s[i]->link.wire = w;
		s[i]->link.side = (unsigned)i;
	}
	return 0;
}

static bool end_enter(struct wire_end *e)
{
	atomic_fetch_add(&e->users, 1); /* seq_cst: pairs with cut()'s store then load */
	if (!atomic_load(&e->attached)) {
		atomic_fetch_sub(&e->users, 1);
		return false;
	}
	return true;
}

static void end_leave(struct wire_end *e)
{
	atomic_fetch_sub_explicit(&e->users, 1, memory_order_release);
}

/* After an enqueue. Sleeping thread: store sleeping, then re-read posted; this thread:
 * bump posted, then read sleeping. Both seq_cst, so one of the two sees the other. */
static void wire_wake(struct wire_end *e)
{
	atomic_fetch_add(&e->posted, 1);
	if (atomic_load(&e->sleeping)) {
		pthread_mutex_lock(&e->lock);
		pthread_cond_signal(&e->cond);
		pthread_mutex_unlock(&e->lock);
	}
}

/* Copy a frame into a pbuf of @peer's stack and hand it over: from @peer's own thread
 * straight into lwIP, else as the wire's mode says. The caller is inside @peer (or is its
 * thread). */
static int deliver(struct wire_end *peer, const struct iovec *iov, unsigned iovcnt, size_t len,
		   bool own_thread)
{
	struct vnl_wire *w = peer->w;
	const struct vnl_glue_ops *g = peer->stack->g;
	void *pb, *payload;
	size_t off = 0;

	pb = g->alloc_pbuf(len, &payload);
	if (pb == NULL)
		return -ENOBUFS;
	for (unsigned i = 0; i < iovcnt; i++) {
		memcpy((uint8_t *)payload + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (vnl_guard_frame(payload, len) != VNL_GUARD_OK) {
		/* refused for the receiver: the sender's link took it */
		g->free_pbuf(pb);
		atomic_fetch_add_explicit(&peer->stack->link.rx_refused, 1, memory_order_relaxed);
		return 0;
	}
	if (w->mode == VNETIF_LWIP_WIRE_MAILBOX) {
		g->input_pbufs(&pb, 1, VNL_IN_MAILBOX);
	} else if (own_thread) {
		g->input_pbufs(&pb, 1, VNL_IN_LOCKED);
	} else {
		vnl_tsan_release(pb);
		if (rte_ring_enqueue(peer->ring, pb) != 0) {
			g->free_pbuf(pb);
			return -ENOBUFS;
		}
		wire_wake(peer);
	}
	return 0;
}

static int deliver_flat(struct wire_end *peer, struct vnetif_flat_frame *f, bool own_thread)
{
	struct iovec v = {.iov_base = f->data, .iov_len = f->len};
	int rc = deliver(peer, &v, 1, f->len, own_thread);

	if (rc < 0)
		atomic_fetch_add_explicit(&peer->stack->link.rx_drop, 1, memory_order_relaxed);
	free(f);
	return rc;
}

/* Through @peer's impairment: what goes on now is delivered, a held frame wakes
 * @peer's thread to release it in time. */
static int output_impaired(struct wire_end *peer, const struct iovec *iov, unsigned iovcnt,
			   size_t len)
{
	struct vnetif_flat_frame *f = malloc(sizeof(*f) + len), *out[WIRE_BURST];
	uint64_t first_due;
	size_t off = 0;
	unsigned n;

	if (f == NULL)
		return -ENOBUFS;
	f->len = (uint32_t)len;
	for (unsigned i = 0; i < iovcnt; i++) {
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	n = vnetif_flat_impair_run(peer->imp, f, out, WIRE_BURST, &first_due);
	for (unsigned i = 0; i < n; i++)
		deliver_flat(peer, out[i], false);
	if (first_due != UINT64_MAX)
		wire_wake(peer);
	return 0;
}

int vnl_wire_output(vnetif_lwip_stack *s, const struct iovec *iov, unsigned iovcnt,
		    size_t len)
{
	struct vnl_wire *w = s->link.wire;
	struct wire_end *peer = &w->end[s->link.side ^ 1u];
	int rc;

	if (!end_enter(peer))
		return -ENOTCONN;
	if (atomic_load_explicit(&peer->impaired, memory_order_acquire))
		rc = output_impaired(peer, iov, iovcnt, len);
	else
		rc = deliver(peer, iov, iovcnt, len, false);
	end_leave(peer);
	return rc;
}

/* The end's thread: deliver the held frames that are due; *next: the earliest release
 * time of what stays held. */
static unsigned release_held(struct wire_end *e, uint64_t *next)
{
	struct vnetif_flat_frame *out[WIRE_BURST];
	unsigned n, all = 0;

	do {
		n = vnetif_flat_impair_release(e->imp, out, WIRE_BURST, next);
		for (unsigned i = 0; i < n; i++)
			deliver_flat(e, out[i], true);
		all += n;
	} while (n == WIRE_BURST);
	return all;
}

static void *wire_thread(void *arg)
{
	struct wire_end *e = arg;
	void *pbufs[WIRE_BURST];
	unsigned spins = 0;

	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		uint64_t seen = atomic_load(&e->posted), next = UINT64_MAX, wait_ns;
		unsigned n = 0;

		if (atomic_load_explicit(&e->impaired, memory_order_acquire) &&
		    release_held(e, &next) > 0) {
			spins = 0;
			continue;
		}
		if (e->ring != NULL)
			n = rte_ring_dequeue_burst(e->ring, pbufs, WIRE_BURST, NULL);
		if (n > 0) {
			for (unsigned i = 0; i < n; i++)
				vnl_tsan_acquire(pbufs[i]);
			e->stack->g->input_pbufs(pbufs, n, VNL_IN_LOCKED);
			spins = 0;
			continue;
		}
		if (++spins < WIRE_SPINS) {
			rte_pause();
			continue;
		}
		spins = 0;
		wait_ns = WIRE_MAX_SLEEP_NS;
		if (next != UINT64_MAX) {
			uint64_t now = vnetif_flat_now_ns();

			if (next <= now)
				continue;
			wait_ns = RTE_MIN(wait_ns, next - now);
		}
		pthread_mutex_lock(&e->lock);
		atomic_store(&e->sleeping, true);
		if (atomic_load(&e->posted) == seen && !atomic_load(&e->stop)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)wait_ns;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
		}
		atomic_store(&e->sleeping, false);
		pthread_mutex_unlock(&e->lock);
	}
	return NULL;
}

/* e->ctl held. */
static int thread_start(struct wire_end *e)
{
	atomic_store(&e->stop, false);
	if (pthread_create(&e->thread, NULL, wire_thread, e) != 0)
		return -EAGAIN;
	pthread_setname_np(e->thread, "vnetif-wire");
	e->thread_on = true;
	return 0;
}

int vnl_wire_start(vnetif_lwip_stack *s)
{
	struct vnl_wire *w = s->link.wire;
	struct wire_end *e = &w->end[s->link.side];
	int rc = 0;

	pthread_mutex_lock(&e->ctl);
	if (w->mode == VNETIF_LWIP_WIRE_THREAD)
		rc = thread_start(e);
	if (rc == 0)
		atomic_store(&e->attached, true);
	pthread_mutex_unlock(&e->ctl);
	return rc;
}

int vnl_wire_impair(vnetif_lwip_stack *s, const struct vnetif_impair *im)
{
	struct wire_end *e = &s->link.wire->end[s->link.side];
	int rc = 0;

	pthread_mutex_lock(&e->ctl);
	if (!atomic_load(&e->attached)) {
		rc = -ENOTCONN;
		goto out;
	}
	/* a MAILBOX wire has no thread of its own: one releases held frames from now on */
	if (!e->thread_on && vnetif_flat_impair_holds(im))
		rc = thread_start(e);
	if (rc == 0)
		rc = vnetif_flat_impair_set(e->imp, im);
	if (rc == 0 && im != NULL)
		atomic_store_explicit(&e->impaired, true, memory_order_release);
out:
	pthread_mutex_unlock(&e->ctl);
	return rc;
}

int vnl_wire_impair_stats(vnetif_lwip_stack *s, struct vnetif_impair_stats *st)
{
	vnetif_flat_impair_stats(s->link.wire->end[s->link.side].imp, st);
	return 0;
}

void vnl_wire_stop(vnetif_lwip_stack *s)
{
	struct wire_end *e = &s->link.wire->end[s->link.side];
	void *pb;

	pthread_mutex_lock(&e->ctl);
	atomic_store(&e->attached, false);
	pthread_mutex_unlock(&e->ctl);
	while (atomic_load(&e->users) > 0)
		sched_yield();
	if (e->thread_on) {
		atomic_store(&e->stop, true);
		pthread_mutex_lock(&e->lock);
		pthread_cond_signal(&e->cond);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->thread, NULL);
		e->thread_on = false;
	}
	while (e->ring != NULL && rte_ring_dequeue(e->ring, &pb) == 0) {
		vnl_tsan_acquire(pb);
		s->g->free_pbuf(pb);
		atomic_fetch_add_explicit(&s->link.rx_drop, 1, memory_order_relaxed);
	}
	vnetif_flat_impair_flush(e->imp); /* counted: dropped_disconnected */
}

void vnl_wire_free(vnetif_lwip_stack *s)
{
	struct vnl_wire *w = s->link.wire;

	if (atomic_fetch_sub(&w->refs, 1) == 1)
		wire_free(w);
}
