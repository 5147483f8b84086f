/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port security: a port locked to its own MAC (and a short list of allowed ones), and a
 * limit on how many MAC table entries may point to a port.
 *
 * The lock is a stage in front of the forwarding policy (fwd.h): for a locked port,
 * vnetif_portsec_lookup() answers DROP(TX_DROP_MAC_LOCK) for every frame whose source
 * the port may not use and hands only the others to the policy, which so never learns
 * from a spoofed source. The learning limit is the learning policy's (fwd_learning.c):
 * it counts the entries pointing to each port and refuses a new one beyond the limit.
 * A frame sent while the settings change is checked against the old ones or the new
 * ones, never a mix.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "portsec.h"
#include "vnetif_private.h"

static uint64_t vnetif_mac_key(const uint8_t *mac)
{
	uint64_t k = 0;

	memcpy(&k, mac, VNETIF_ETHER_ADDR_LEN);
	return k;
}

/*
 * The lock settings live in two banks. A writer (one at a time: the switch's control
 * mutex) marks the sequence odd, fills the bank not in use, then makes the sequence
 * even: the filled bank is the one in use. A reader takes the bank of the sequence it
 * saw and, afterwards, checks that no writer has begun to refill that bank meanwhile;
 * if one has, it reads again. A reader never waits for a writer, and always sees one
 * whole set of settings, old or new.
 */
static unsigned bank_of(uint32_t seq)
{
	return (seq >> 1) & 1u;
}

/* Was the bank read under @seq refilled since? (Even: the next update writes the other
 * bank, the one after ours; odd: an update is writing the other bank, the next ours.)
 * The bank's fields are stored with release and loaded with acquire (no fences, which
 * TSan cannot follow): a reader that saw a value of a refill sees its odd mark here. */
static bool bank_reused(const struct vnetif_port *p, uint32_t seq)
{
	return atomic_load_explicit(&p->sec_seq, memory_order_relaxed) - seq > (seq & 1u ? 1u : 2u);
}

static bool portsec_allows(const struct vnetif_port *p, uint64_t key)
{
	bool ok;
	uint32_t seq;

	if (key == vnetif_mac_key(p->mac))
		return true;
	do {
		seq = atomic_load_explicit(&p->sec_seq, memory_order_acquire);
		const typeof(p->sec_bank[0]) *b = &p->sec_bank[bank_of(seq)];
		unsigned n = atomic_load_explicit(&b->n, memory_order_acquire);

		ok = !atomic_load_explicit(&b->lock, memory_order_acquire);
		for (unsigned i = 0; !ok && i < n && i < VNETIF_PORT_ALLOWED_MAX; i++)
			ok = atomic_load_explicit(&b->mac[i], memory_order_acquire) == key;
	} while (bank_reused(p, seq));
	return ok;
}

bool vnetif_portsec_lookup(struct vnetif_fwd *f, struct vnetif_port *src,
			   struct rte_mbuf **pkts, uint16_t n, struct vnetif_port **dst)
{
	struct rte_mbuf *pass[VNETIF_CHUNK];
	struct vnetif_port *answer[VNETIF_CHUNK];
	uint16_t np = 0;

	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *eh = rte_pktmbuf_mtod(pkts[i], const uint8_t *);

		if (portsec_allows(src, vnetif_mac_key(eh + 6))) {
			pass[np++] = pkts[i];
			dst[i] = NULL;
		} else {
			dst[i] = VNETIF_ROUTE_DROP(TX_DROP_MAC_LOCK);
		}
	}
	if (np == n) /* all pass: the policy's answer as it is */
		return f->ops->lookup(f->priv, src, pkts, n, dst);
	if (np > 0 && f->ops->lookup(f->priv, src, pass, np, answer))
		for (uint16_t k = 1; k < np; k++)
			answer[k] = answer[0];
	for (uint16_t i = 0, k = 0; i < n; i++)
		if (dst[i] == NULL)
			dst[i] = answer[k++];
	return false;
}

void vnetif_portsec_reset(struct vnetif_port *p)
{
	atomic_store_explicit(&p->sec_on, false, memory_order_relaxed);
	atomic_store_explicit(&p->sec_max_learned, 0, memory_order_relaxed);
	for (int b = 0; b < 2; b++) {
		atomic_store_explicit(&p->sec_bank[b].lock, false, memory_order_relaxed);
		atomic_store_explicit(&p->sec_bank[b].n, 0, memory_order_relaxed);
	}
}

static bool mac_ok(const uint8_t *m)
{
	static const uint8_t zero[VNETIF_ETHER_ADDR_LEN];

	return !(m[0] & 1) && memcmp(m, zero, sizeof(zero)) != 0;
}

VNETIF_API int vnetif_port_security_set(vnetif_port *handle, const struct vnetif_port_security *sec)
{
	static const struct vnetif_port_security off;
	struct vnetif_port *port;
	unsigned tok;
	uint32_t seq;
	int rc;

	if (sec == NULL)
		sec = &off;
	rc = vnetif_port_enter(handle, false, &port, &tok);
	if (rc)
		return rc;
	if (sec->n_allowed > VNETIF_PORT_ALLOWED_MAX)
		rc = -EINVAL;
	for (unsigned i = 0; rc == 0 && i < sec->n_allowed; i++)
		if (!mac_ok(sec->allowed[i]))
			rc = -EINVAL;
	if (rc) {
		vnetif_srcu_unlock(&port->sw->srcu, tok);
		return rc;
	}
	/* One writer at a time: claim the sequence by making it odd. */
	do {
		seq = atomic_load_explicit(&port->sec_seq, memory_order_relaxed);
		if (seq & 1u)
			continue;
	} while (!atomic_compare_exchange_weak_explicit(&port->sec_seq, &seq, seq + 1,
							memory_order_relaxed,
							memory_order_relaxed));
	typeof(port->sec_bank[0]) *b = &port->sec_bank[bank_of(seq) ^ 1u];

	atomic_store_explicit(&b->lock, sec->mac_lock, memory_order_release);
	atomic_store_explicit(&b->n, sec->n_allowed, memory_order_release);
	for (unsigned i = 0; i < sec->n_allowed; i++)
		atomic_store_explicit(&b->mac[i], vnetif_mac_key(sec->allowed[i]),
				      memory_order_release);
	atomic_store_explicit(&port->sec_seq, seq + 2, memory_order_release);
	if (sec->mac_lock)
		atomic_store_explicit(&port->sec_on, true, memory_order_release);
	atomic_store_explicit(&port->sec_max_learned, sec->max_learned, memory_order_relaxed);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	return 0;
}

VNETIF_API int vnetif_port_security_get(const vnetif_port *handle, struct vnetif_port_security *sec)
{
	struct vnetif_port *port;
	unsigned tok;
	uint32_t seq;
	int rc = vnetif_port_enter(handle, false, &port, &tok);

	if (rc)
		return rc;
	if (sec == NULL) {
		vnetif_srcu_unlock(&port->sw->srcu, tok);
		return -EINVAL;
	}
	do {
		seq = atomic_load_explicit(&port->sec_seq, memory_order_acquire);
		const typeof(port->sec_bank[0]) *b = &port->sec_bank[bank_of(seq)];

		memset(sec, 0, sizeof(*sec));
		sec->mac_lock = atomic_load_explicit(&b->lock, memory_order_acquire);
		sec->n_allowed = atomic_load_explicit(&b->n, memory_order_acquire);
		for (unsigned i = 0; i < sec->n_allowed && i < VNETIF_PORT_ALLOWED_MAX; i++) {
			uint64_t k = atomic_load_explicit(&b->mac[i], memory_order_acquire);

			memcpy(sec->allowed[i], &k, VNETIF_ETHER_ADDR_LEN);
		}
	} while (bank_reused(port, seq));
	sec->max_learned = atomic_load(&port->sec_max_learned);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	return 0;
}

VNETIF_API int vnetif_port_learned(const vnetif_port *handle)
{
	struct vnetif_port *port;
	unsigned tok;
	int rc = vnetif_port_enter(handle, false, &port, &tok);

	if (rc)
		return rc;
	rc = (int)atomic_load_explicit(&port->fdb_entries, memory_order_relaxed);
	vnetif_srcu_unlock(&port->sw->srcu, tok);
	return rc;
}
