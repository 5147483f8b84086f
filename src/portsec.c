/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port security: a port locked to its own MAC (and a short list of allowed ones), and a
 * limit on how many MAC table entries may point to a port. The fabric asks
 * vnetif_portsec_allows() for the source of every frame of a locked port (validate());
 * the table enforces the limit when it learns (vnetif_fdb_learn()). The settings are
 * atomics read without a lock: a frame sent while they change is checked against the
 * old settings, the new ones or a mix of the two (a source passes only if one of them
 * allows it).
 */
#include <errno.h>
#include <string.h>

#include "vnetif_private.h"

bool vnetif_portsec_allows(const struct vnetif_port *p, uint64_t key)
{
	unsigned n = atomic_load_explicit(&p->sec_nallowed, memory_order_acquire);

	if (key == vnetif_mac_key(p->mac))
		return true;
	for (unsigned i = 0; i < n && i < VNETIF_PORT_ALLOWED_MAX; i++)
		if (atomic_load_explicit(&p->sec_allowed[i], memory_order_relaxed) == key)
			return true;
	return false;
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
	pthread_mutex_lock(&port->sw->ctl); /* one writer of the settings at a time */
	/* Shrink the list first, then write the keys, then publish the new length. */
	if (sec->n_allowed < atomic_load(&port->sec_nallowed))
		atomic_store_explicit(&port->sec_nallowed, sec->n_allowed, memory_order_release);
	for (unsigned i = 0; i < sec->n_allowed; i++)
		atomic_store_explicit(&port->sec_allowed[i], vnetif_mac_key(sec->allowed[i]),
				      memory_order_relaxed);
	atomic_store_explicit(&port->sec_nallowed, sec->n_allowed, memory_order_release);
	atomic_store_explicit(&port->sec_max_learned, sec->max_learned, memory_order_relaxed);
	atomic_store_explicit(&port->sec_lock, sec->mac_lock, memory_order_release);
	pthread_mutex_unlock(&port->sw->ctl);
	return 0;
}

VNETIF_API int vnetif_port_security_get(const vnetif_port *port, struct vnetif_port_security *sec)
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	if (sec == NULL)
		return -EINVAL;
	memset(sec, 0, sizeof(*sec));
	sec->mac_lock = atomic_load(&port->sec_lock);
	sec->max_learned = atomic_load(&port->sec_max_learned);
	sec->n_allowed = atomic_load(&port->sec_nallowed);
	for (unsigned i = 0; i < sec->n_allowed; i++) {
		uint64_t k = atomic_load(&port->sec_allowed[i]);

		memcpy(sec->allowed[i], &k, VNETIF_ETHER_ADDR_LEN);
	}
	return 0;
}

VNETIF_API int vnetif_port_learned(const vnetif_port *port)
{
	int rc = vnetif_port_check(port);

	if (rc)
		return rc;
	return (int)atomic_load_explicit(&port->sw->fdb.per_slot[port->idx], memory_order_relaxed);
}
