/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port slot as every module sees it: a handle resolved to its slot and checked
 * against the slot's connect number (the encoding is described in port.c, "Handles"),
 * the port's read side entered, its reader woken, the reader thread known by itself.
 * Kept apart from port.c (connect, disconnect, listeners) so that the datapath, the
 * stages and port security use ports without depending on their life cycle.
 */
#include <errno.h>

#include "slot.h"
#include "wait.h"

static inline struct vnetif_port *slot_of(const vnetif_port *h)
{
	uintptr_t v = (uintptr_t)h;
	struct vnetif_switch *sw;
	unsigned idx;

	if (!(v & VNETIF_HANDLE_TAG))
		return NULL;
	sw = (struct vnetif_switch *)(uintptr_t)(((v >> VNETIF_HANDLE_IDX_BITS) &
						  ((1ull << VNETIF_HANDLE_SW_BITS) - 1)) *
						 VNETIF_HANDLE_SW_ALIGN);
	idx = v & ((1u << VNETIF_HANDLE_IDX_BITS) - 1);
	if (!vnetif_switch_ok(sw) || idx >= sw->cfg.max_ports)
		return NULL;
	return &sw->slot[idx];
}

struct vnetif_port *vnetif_port_slot(const vnetif_port *h)
{
	return slot_of(h);
}

int vnetif_port_enter(const vnetif_port *h, bool draining, struct vnetif_port **out,
		      unsigned *tok)
{
	struct vnetif_port *p = slot_of(h);
	int st;

	if (p == NULL)
		return -EINVAL;
	*tok = vnetif_srcu_lock(&p->sw->srcu);
	/* State first: a slot is reused (new number, then CONNECTED) only after a grace
	 * period, so a CONNECTED seen here with a matching number is this handle's port. */
	st = atomic_load_explicit(&p->state, memory_order_acquire);
	if ((st == PORT_CONNECTED || (draining && st == PORT_FLUSHING)) &&
	    vnetif_handle_is_current(p, h)) {
		*out = p;
		return 0;
	}
	vnetif_srcu_unlock(&p->sw->srcu, *tok);
	return -ENOTCONN;
}

static __thread const struct vnetif_port *tls_reader; /* the port this thread reads */

void vnetif_reader_mark_self(const struct vnetif_port *p)
{
	tls_reader = p;
}

bool vnetif_reader_is_self(const struct vnetif_switch *sw, const struct vnetif_port *p)
{
	return tls_reader != NULL && (p ? tls_reader == p : tls_reader->sw == sw);
}

/*
 * Writer side: wake the port's reader if it sleeps. Store-load ordering on both sides:
 * the reader (set sleeping; check ring) and the writer (fill ring; check sleeping) each
 * use a seq_cst read-modify-write of the futex word (a full barrier, and unlike a fence
 * visible to ThreadSanitizer), so one of the two sees the other's write.
 */
void vnetif_port_wake(struct vnetif_port *p)
{
	if (!atomic_load_explicit(&p->reader_on, memory_order_relaxed))
		return;
	if (atomic_fetch_or_explicit(&p->rx_sleeping, 0, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&p->rx_sleeping, 0, memory_order_relaxed))
		vnetif_futex_wake(&p->rx_sleeping);
}

