/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The direct wire: two lwIP stacks joined without a switch (vnetif_lwip_create_wired()).
 *
 * A BASELINE, not a datapath to build on: it exists so bench/iperf-like can show what the
 * switch costs against the least an in-process link can do (one copy, no mbufs, no
 * forwarding). It has no ports, no drops counters beyond the stack's, no capture, no
 * policy; everything real goes through a switch port (link.c). Keep it this small.
 *
 * The sender copies the frame straight into a pbuf of the receiving instance (one copy
 * in all), passes it through the input guard, then either posts it to the receiver's
 * tcpip mailbox (VNETIF_LWIP_WIRE_MAILBOX) or enqueues it on the receiver's rte_ring,
 * drained by a delivery thread that injects under the receiver's core lock
 * (VNETIF_LWIP_WIRE_THREAD; it spins briefly, then sleeps on a condition variable with
 * the "posted" counter handshake below). A sender touches the receiving instance only
 * between enter/leave of the receiver's end; cutting an end waits until no sender is
 * inside.
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
#include "lwip_private.h"

#define WIRE_RING 1024
#define WIRE_BURST 64
#define WIRE_SPINS 128

struct wire_end {
	vnetif_lwip_stack *stack;   /* the stack this end delivers to */
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

		e->stack = s[i];
		pthread_mutex_init(&e->lock, NULL);
		pthread_cond_init(&e->cond, NULL);
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

int vnl_wire_output(vnetif_lwip_stack *s, const struct iovec *iov, unsigned iovcnt,
		    size_t len)
{
	struct vnl_wire *w = s->link.wire;
	struct wire_end *peer = &w->end[s->link.side ^ 1u];
	const struct vnl_glue_ops *g;
	void *pb, *payload;
	size_t off = 0;

	if (!end_enter(peer))
		return -ENOTCONN;
	g = peer->stack->g;
	pb = g->alloc_pbuf(len, &payload);
	if (pb == NULL) {
		end_leave(peer);
		return -ENOBUFS;
	}
	for (unsigned i = 0; i < iovcnt; i++) {
		memcpy((uint8_t *)payload + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (vnl_guard_frame(payload, len) != VNL_GUARD_OK) {
		/* refused for the receiver: the sender's link took it */
		g->free_pbuf(pb);
		atomic_fetch_add_explicit(&peer->stack->link.rx_refused, 1, memory_order_relaxed);
		end_leave(peer);
		return 0;
	}
	if (w->mode == VNETIF_LWIP_WIRE_MAILBOX) {
		g->input_pbufs(&pb, 1, VNL_IN_MAILBOX);
	} else {
		vnl_tsan_release(pb);
		if (rte_ring_enqueue(peer->ring, pb) != 0) {
			g->free_pbuf(pb);
			end_leave(peer);
			return -ENOBUFS;
		}
		wire_wake(peer);
	}
	end_leave(peer);
	return 0;
}

static void *wire_thread(void *arg)
{
	struct wire_end *e = arg;
	void *pbufs[WIRE_BURST];
	unsigned spins = 0;

	while (!atomic_load_explicit(&e->stop, memory_order_acquire)) {
		uint64_t seen = atomic_load(&e->posted);
		unsigned n = rte_ring_dequeue_burst(e->ring, pbufs, WIRE_BURST, NULL);

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
		pthread_mutex_lock(&e->lock);
		atomic_store(&e->sleeping, true);
		if (atomic_load(&e->posted) == seen && !atomic_load(&e->stop)) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 10 * 1000000L;
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

int vnl_wire_start(vnetif_lwip_stack *s)
{
	struct vnl_wire *w = s->link.wire;
	struct wire_end *e = &w->end[s->link.side];

	if (w->mode == VNETIF_LWIP_WIRE_THREAD) {
		atomic_store(&e->stop, false);
		if (pthread_create(&e->thread, NULL, wire_thread, e) != 0)
			return -EAGAIN;
		pthread_setname_np(e->thread, "vnetif-wire");
		e->thread_on = true;
	}
	atomic_store(&e->attached, true);
	return 0;
}

void vnl_wire_stop(vnetif_lwip_stack *s)
{
	struct wire_end *e = &s->link.wire->end[s->link.side];
	void *pb;

	atomic_store(&e->attached, false);
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
}

void vnl_wire_free(vnetif_lwip_stack *s)
{
	struct vnl_wire *w = s->link.wire;

	if (atomic_fetch_sub(&w->refs, 1) == 1)
		wire_free(w);
}
