/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port security: a port locked to its own MAC (and a short list of allowed ones), and a
 * limit on how many MAC table entries may point to a port. The fabric asks
 * vnetif_portsec_allows() for the source of every frame of a locked port (validate());
 * the table enforces the limit when it learns (vnetif_fdb_learn()). A frame sent while
 * the settings change is checked against the old ones or the new ones, never a mix.
 */
#include <errno.h>
#include <string.h>

#include "vnetif_private.h"

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

bool vnetif_portsec_allows(const struct vnetif_port *p, uint64_t key)
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

static bool mac_ok(const uint8_t *m)
{
	static const uint8_t zero[VNETIF_ETHER_ADDR_LEN];

	return !(m[0] & 1) && memcmp(m, zero, sizeof(zero)) != 0;
}

VNETIF_API int vnetif_port_security_set(vnetif_port *port, const struct vnetif_port_security *sec)
{
	static const struct vnetif_port_security off;
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (sec == NULL)
		sec = &off;
	if (sec->n_allowed > VNETIF_PORT_ALLOWED_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < sec->n_allowed; i++)
		if (!mac_ok(sec->allowed[i]))
			return -EINVAL;
	pthread_mutex_lock(&port->sw->ctl); /* one writer at a time */
	uint32_t seq = atomic_load_explicit(&port->sec_seq, memory_order_relaxed);
	typeof(port->sec_bank[0]) *b = &port->sec_bank[bank_of(seq) ^ 1u];

	atomic_store_explicit(&port->sec_seq, seq + 1, memory_order_relaxed); /* odd: writing */
	atomic_store_explicit(&b->lock, sec->mac_lock, memory_order_release);
	atomic_store_explicit(&b->n, sec->n_allowed, memory_order_release);
	for (unsigned i = 0; i < sec->n_allowed; i++)
		atomic_store_explicit(&b->mac[i], vnetif_mac_key(sec->allowed[i]),
				      memory_order_release);
	atomic_store_explicit(&port->sec_seq, seq + 2, memory_order_release);
	if (sec->mac_lock)
		atomic_store_explicit(&port->sec_on, true, memory_order_release);
	atomic_store_explicit(&port->sec_max_learned, sec->max_learned, memory_order_relaxed);
	pthread_mutex_unlock(&port->sw->ctl);
	return 0;
}

VNETIF_API int vnetif_port_security_get(const vnetif_port *port, struct vnetif_port_security *sec)
{
	uint32_t seq;
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (sec == NULL)
		return -EINVAL;
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
	return 0;
}

VNETIF_API int vnetif_port_learned(const vnetif_port *port)
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	return (int)atomic_load_explicit(&port->sw->fdb.per_slot[port->idx], memory_order_relaxed);
}
