/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding database: MAC -> (port slot, connect number), an rte_hash in
 * lock-free read/write concurrency mode. Lookups never block. Writers are serialised by
 * a spinlock; the datapath only try-locks it, so learning never makes a writer wait
 * (a frame whose source could not be learned now is learned from a later frame).
 * Deleted key slots are released only after a grace period (vnetif_fdb_reclaim).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include "vnetif_private.h"

int vnetif_fdb_init(struct vnetif_fdb *f, const char *swname, unsigned size)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = size,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	memset(f, 0, sizeof(*f));
	snprintf(name, sizeof(name), "%s_f", swname);
	rte_spinlock_init(&f->wlock);
	f->h = rte_hash_create(&hp);
	if (f->h == NULL)
		return rte_errno == EEXIST ? -EEXIST : -ENOMEM;
	return 0;
}

void vnetif_fdb_fini(struct vnetif_fdb *f)
{
	rte_hash_free(f->h);
	free(f->dead_pos);
	memset(f, 0, sizeof(*f));
}

int vnetif_fdb_learn(struct vnetif_fdb *f, uint64_t key, uintptr_t value, bool wait,
		     unsigned limit, uint32_t *version, bool *moved)
{
	_Atomic uint32_t *mine = &f->per_slot[value & 0xffff];
	void *cur;
	int rc = 0;

	if (moved)
		*moved = false;
	if (wait)
		rte_spinlock_lock(&f->wlock);
	else if (!rte_spinlock_trylock(&f->wlock))
		return -EBUSY;

	int found = rte_hash_lookup_data(f->h, &key, &cur);
	if (found >= 0 && (uintptr_t)cur == value)
		goto out;
	if (limit && atomic_load_explicit(mine, memory_order_relaxed) >= limit) {
		atomic_fetch_add_explicit(&f->limited, 1, memory_order_relaxed);
		rc = -EDQUOT;
		goto out;
	}
	if (rte_hash_add_key_data(f->h, &key, (void *)value) < 0) {
		atomic_fetch_add_explicit(&f->full, 1, memory_order_relaxed);
		rc = -ENOSPC;
		goto out;
	}
	if (found < 0)
		atomic_fetch_add_explicit(&f->entries, 1, memory_order_relaxed);
	else /* the entry leaves its old port (entries of a port that left are gone) */
		atomic_fetch_sub_explicit(&f->per_slot[(uintptr_t)cur & 0xffff], 1,
					  memory_order_relaxed);
	atomic_fetch_add_explicit(mine, 1, memory_order_relaxed);
	if (moved)
		*moved = found >= 0;
	atomic_fetch_add_explicit(found >= 0 ? &f->moved : &f->learned, 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&f->version, 1, memory_order_release);
out:
	if (version)
		*version = atomic_load_explicit(&f->version, memory_order_relaxed);
	rte_spinlock_unlock(&f->wlock);
	return rc;
}

static void remember_dead(struct vnetif_fdb *f, int32_t pos)
{
	if (f->ndead == f->dead_cap) {
		unsigned cap = f->dead_cap ? f->dead_cap * 2 : 64;
		int32_t *n = realloc(f->dead_pos, cap * sizeof(*n));

		if (n == NULL)
			return; /* the slot stays taken: the table is one entry smaller */
		f->dead_pos = n;
		f->dead_cap = cap;
	}
	f->dead_pos[f->ndead++] = pos;
}

void vnetif_fdb_forget_port(struct vnetif_fdb *f, uint16_t idx)
{
	const void *key;
	void *data;
	uint32_t it = 0;
	uint64_t doomed[64];
	unsigned n, deleted = 0;

	rte_spinlock_lock(&f->wlock);
	/* Delete in rounds: deleting while iterating could skip entries. */
	do {
		n = 0;
		it = 0;
		while (n < RTE_DIM(doomed) && rte_hash_iterate(f->h, &key, &data, &it) >= 0) {
			if (((uintptr_t)data & 0xffff) == idx)
				memcpy(&doomed[n++], key, sizeof(uint64_t));
		}
		for (unsigned i = 0; i < n; i++) {
			int32_t pos = rte_hash_del_key(f->h, &doomed[i]);

			if (pos >= 0) {
				remember_dead(f, pos);
				deleted++;
			}
		}
	} while (n == RTE_DIM(doomed));
	atomic_store_explicit(&f->per_slot[idx], 0, memory_order_relaxed);
	if (deleted) {
		atomic_fetch_sub_explicit(&f->entries, deleted, memory_order_relaxed);
		atomic_fetch_add_explicit(&f->version, 1, memory_order_release);
	}
	rte_spinlock_unlock(&f->wlock);
}

void vnetif_fdb_reclaim(struct vnetif_fdb *f, unsigned upto)
{
	rte_spinlock_lock(&f->wlock);
	if (upto > f->ndead)
		upto = f->ndead;
	for (unsigned i = 0; i < upto; i++)
		rte_hash_free_key_with_position(f->h, f->dead_pos[i]);
	memmove(f->dead_pos, f->dead_pos + upto, (f->ndead - upto) * sizeof(*f->dead_pos));
	f->ndead -= upto;
	rte_spinlock_unlock(&f->wlock);
}

unsigned vnetif_fdb_count(const struct vnetif_fdb *f)
{
	/* Not rte_hash_count(): it counts deleted slots not yet reclaimed. */
	return (unsigned)atomic_load_explicit(&f->entries, memory_order_relaxed);
}
