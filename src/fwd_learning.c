/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The learning policy: a MAC-learning bridge.
 *
 * The table (the fdb) maps MAC -> (port slot, connect number): an rte_hash in lock-free
 * read/write concurrency mode. Lookups never block. Writers are serialised by a
 * spinlock; the datapath only try-locks it, so learning never makes a writer wait (a
 * frame whose source could not be learned now is learned from a later frame). Deleted
 * key slots are released only after a grace period (reclaim).
 *
 * Per port slot, a cache of the last source learned there makes the common case one
 * compare per frame. It is written only under the lock, and cleared (under the lock)
 * whenever its MAC moves to another port or its port leaves, so "cached" always means
 * "the table maps this MAC to this port" - no version number that could wrap.
 *
 * A chunk is decided as if its frames came one by one: each source is learned before
 * its frame's destination is looked up, and the chunk is cut in segments so that no
 * frame's destination is looked up after a later frame of the chunk learned it. Within
 * a segment the destinations are looked up in one bulk call, one key per run of frames
 * with the same destination.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "vnetif_private.h"

#define CACHED (1ull << 63) /* marks a valid cache entry (keys have 48 bits) */

struct learn_slot {
	_Atomic uint64_t src; /* key | CACHED of the last source learned here; 0: none */
	uint32_t gen;         /* connect number of the slot's port (under the lock) */
	bool live;            /* the port has joined and not left (under the lock) */
} __rte_cache_aligned;

struct learning {
	struct vnetif_switch *sw;
	struct rte_hash *h;
	_Atomic bool wlock;          /* one writer at a time (rte_hash LF, single writer) */
	_Atomic uint64_t learned, moved, full, entries;
	/* Key slots deleted and not yet released: dead[0..ndead) are the last ndead of
	 * the dead_total ever deleted (a monotonic count, so marks stay valid). */
	int32_t *dead;
	unsigned ndead, dead_cap;
	uint64_t dead_total;
	unsigned nslots;
	struct learn_slot slot[];
};

/* The 48-bit key of a MAC, built in registers: bytes 0..5 in bits 0..47. A 4- and a
 * 2-byte load, as a MAC is most often written (memcpy of 6 bytes, a struct
 * rte_ether_addr copy): a frame's header was written just before it was sent, and a
 * load that spans two of the writer's stores still in flight (one 8-byte load over the
 * MAC) cannot take its data from them and waits until they reach the cache - on the
 * hot path that stall cost more than all the switch's other work on the frame. */
static inline uint64_t mac_key(const uint8_t *mac)
{
	uint32_t lo;
	uint16_t hi;

	memcpy(&lo, mac, 4);
	memcpy(&hi, mac + 4, 2);
	return (uint64_t)rte_le_to_cpu_32(lo) | (uint64_t)rte_le_to_cpu_16(hi) << 32;
}

/* The writers' lock: C11 atomics rather than rte_spinlock, whose x86 inline assembly
 * ThreadSanitizer cannot see (it then reports the table writes it orders as races). */
static inline bool table_trylock(struct learning *l)
{
	return !atomic_exchange_explicit(&l->wlock, true, memory_order_acquire);
}

static inline void table_lock(struct learning *l)
{
	while (!table_trylock(l))
		while (atomic_load_explicit(&l->wlock, memory_order_relaxed))
			rte_pause();
}

static inline void table_unlock(struct learning *l)
{
	atomic_store_explicit(&l->wlock, false, memory_order_release);
}

static inline uint32_t port_gen(const struct vnetif_port *p)
{
	return atomic_load_explicit(&p->gen, memory_order_relaxed);
}

/* What the table stores for a port: its slot and connect number, never a pointer or an
 * application handle (port.c, "Handles"). */
static inline uintptr_t fdb_value(const struct vnetif_port *p)
{
	return (uintptr_t)port_gen(p) << 16 | p->idx;
}

/* The port an fdb value names, if it is still the one connected in that slot. A slot
 * struct lives as long as the switch and is republished (new connect number first) only
 * after a grace period, so within a datapath call this answer stays that port. */
static inline struct vnetif_port *value_port(const struct vnetif_switch *sw, uintptr_t v)
{
	struct vnetif_port *p = atomic_load_explicit(&sw->ports[v & 0xffff], memory_order_acquire);

	return p != NULL && port_gen(p) == (uint32_t)(v >> 16) ? p : NULL;
}

static int learning_init(struct vnetif_switch *sw, void **priv)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = sw->cfg.fdb_size,
		.key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct learning *l;

	l = rte_zmalloc_socket("vnetif_learning",
			       sizeof(*l) + sw->cfg.max_ports * sizeof(struct learn_slot),
			       RTE_CACHE_LINE_SIZE, (int)rte_socket_id());
	if (l == NULL)
		return -ENOMEM;
	snprintf(name, sizeof(name), "%s_f", sw->name);
	l->sw = sw;
	l->nslots = sw->cfg.max_ports;
	l->h = rte_hash_create(&hp);
	if (l->h == NULL) {
		int rc = rte_errno == EEXIST ? -EEXIST : -ENOMEM;

		rte_free(l);
		return rc;
	}
	*priv = l;
	return 0;
}

static void learning_fini(void *priv)
{
	struct learning *l = priv;

	rte_hash_free(l->h);
	free(l->dead);
	rte_free(l);
}

/* Learn @key on @p, with the lock held; @join: the port's own MAC as it connects (not
 * limited by port security, not counted as a move). */
static void learn_locked(struct learning *l, const struct vnetif_port *p, uint64_t key,
			 bool join)
{
	struct learn_slot *s = &l->slot[p->idx];
	uintptr_t value = fdb_value(p);
	void *cur;
	int found;

	if (!s->live || s->gen != port_gen(p))
		return; /* a datapath call of a port that left: nothing to learn for it */
	found = rte_hash_lookup_data(l->h, &key, &cur);
	if (found < 0 || (uintptr_t)cur != value) {
		/* port security's learning limit (vnetif_port_security::max_learned) */
		unsigned limit = atomic_load_explicit(&p->sec_max_learned, memory_order_relaxed);
		struct vnetif_port *me = &l->sw->slot[p->idx];

		if (!join && limit && atomic_load_explicit(&me->fdb_entries, memory_order_relaxed) >= limit) {
			vnetif_count(&me->tx[TX_LEARN_LIMITED], 1);
			return; /* not cached: its next frame asks again */
		}
		if (rte_hash_add_key_data(l->h, &key, (void *)value) < 0) {
			atomic_fetch_add_explicit(&l->full, 1, memory_order_relaxed);
			return;
		}
		atomic_fetch_add_explicit(&me->fdb_entries, 1, memory_order_relaxed);
		if (found < 0) {
			atomic_fetch_add_explicit(&l->entries, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&l->learned, 1, memory_order_relaxed);
		} else { /* moved: the old port's cache must not claim it any more */
			struct learn_slot *old = &l->slot[(uintptr_t)cur & 0xffff];
			struct vnetif_port *from = &l->sw->slot[(uintptr_t)cur & 0xffff];

			atomic_fetch_add_explicit(&l->moved, 1, memory_order_relaxed);
			if (atomic_load_explicit(&from->fdb_entries, memory_order_relaxed) > 0)
				atomic_fetch_sub_explicit(&from->fdb_entries, 1, memory_order_relaxed);
			if (!join)
				vnetif_count(&me->tx[TX_MACS_MOVED_IN], 1);
			if (atomic_load_explicit(&old->src, memory_order_relaxed) == (key | CACHED))
				atomic_store_explicit(&old->src, 0, memory_order_relaxed);
		}
	}
	atomic_store_explicit(&s->src, key | CACHED, memory_order_relaxed);
}

/* Datapath: learn unless another writer holds the lock (a later frame will). */
static void learn_try(struct learning *l, const struct vnetif_port *p, uint64_t key)
{
	if (!table_trylock(l))
		return;
	learn_locked(l, p, key, false);
	table_unlock(l);
}

/* The answer for a port an fdb value names: the port it was learned on, FLOOD when
 * unknown (or its port left), DROP(own port) when learned on the sender. */
static inline struct vnetif_port *answer_of(const struct learning *l,
					    const struct vnetif_port *src, bool hit, void *data)
{
	struct vnetif_port *p = hit ? value_port(l->sw, (uintptr_t)data) : NULL;

	if (p == NULL)
		return VNETIF_ROUTE_FLOOD;
	return p == src ? VNETIF_ROUTE_DROP(TX_DROP_OWN_PORT) : p;
}

/* Answer each of @nu distinct unicast keys. One key (a burst to one station, the
 * common case) takes the single lookup, which costs a fraction of the bulk one. */
static void resolve(struct learning *l, const struct vnetif_port *src, const void **keyp,
		    unsigned nu, struct vnetif_port **answer)
{
	void *data[VNETIF_CHUNK];
	uint64_t hits = 0;

	if (nu == 1) {
		int pos = rte_hash_lookup_data(l->h, keyp[0], &data[0]);

		answer[0] = answer_of(l, src, pos >= 0, data[0]);
		return;
	}
	rte_hash_lookup_bulk_data(l->h, keyp, nu, &hits, data);
	for (unsigned j = 0; j < nu; j++)
		answer[j] = answer_of(l, src, hits >> j & 1, data[j]);
}

static bool learning_lookup(void *priv, struct vnetif_port *src, struct rte_mbuf **pkts,
			    uint16_t n, struct vnetif_port **dst)
{
	struct learning *l = priv;
	struct learn_slot *slot = &l->slot[src->idx];
	uint64_t cached = atomic_load_explicit(&slot->src, memory_order_relaxed);
	uint64_t ukey[VNETIF_CHUNK];      /* destinations to look up, one per run */
	const void *ukeyp[VNETIF_CHUNK];
	uint8_t which[VNETIF_CHUNK];      /* frame -> its ukey, FLOOD_ME: multicast */
	struct vnetif_port *answer[VNETIF_CHUNK];
	enum { FLOOD_ME = 0xff };
	uint16_t i = 0;

	while (i < n) {
		uint16_t start = i;
		unsigned nu = 0, checked = 0;
		uint64_t last_src = 0, last_dst = 0;
		bool repeat_ok = false, group = false;
		uint8_t w = 0;

		for (; i < n; i++) {
			const uint8_t *eh = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
			uint64_t d = mac_key(eh), s = mac_key(eh + 6);

			/* The addresses of the frame before, whose source is learned on this
			 * port: nothing to learn, no new key, the same answer. */
			if (likely(repeat_ok && d == last_dst && s == last_src)) {
				which[i] = w;
				continue;
			}
			/* A frame whose source an earlier frame of this segment is sent to
			 * starts the next segment: that frame's lookup must not see it. */
			if (s != last_src) {
				last_src = s;
				checked = 0;
			}
			for (; checked < nu; checked++)
				if (ukey[checked] == s)
					goto cut;
			if ((s | CACHED) != cached) {
				learn_try(l, src, s);
				cached = atomic_load_explicit(&slot->src, memory_order_relaxed);
			}
			last_dst = d;
			repeat_ok = (s | CACHED) == cached;
			if (d & 1) { /* group bit: broadcast or multicast */
				w = FLOOD_ME;
				group = true;
			} else {
				if (nu == 0 || ukey[nu - 1] != d) {
					ukey[nu] = d;
					ukeyp[nu] = &ukey[nu];
					nu++;
				}
				w = (uint8_t)(nu - 1);
			}
			which[i] = w;
		}
cut:
		if (nu > 0)
			resolve(l, src, ukeyp, nu, answer);
		/* One answer for the whole chunk (a burst to one station, or flooded): say so
		 * rather than write it n times. */
		if (start == 0 && i == n && nu + group == 1) {
			dst[0] = group ? VNETIF_ROUTE_FLOOD : answer[0];
			return true;
		}
		for (uint16_t k = start; k < i; k++)
			dst[k] = which[k] == FLOOD_ME ? VNETIF_ROUTE_FLOOD : answer[which[k]];
	}
	return false;
}

static void learning_port_join(void *priv, struct vnetif_port *p)
{
	struct learning *l = priv;
	struct learn_slot *s = &l->slot[p->idx];

	table_lock(l);
	s->gen = port_gen(p);
	s->live = true;
	atomic_store_explicit(&s->src, 0, memory_order_relaxed);
	atomic_store_explicit(&l->sw->slot[p->idx].fdb_entries, 0, memory_order_relaxed);
	/* The port's own MAC is known from the start; if the table is full, frames for
	 * it flood, which still reaches it. */
	learn_locked(l, p, mac_key(p->mac), true);
	table_unlock(l);
}

static void remember_dead(struct learning *l, int32_t pos)
{
	if (l->ndead == l->dead_cap) {
		unsigned cap = l->dead_cap ? l->dead_cap * 2 : 64;
		int32_t *n = realloc(l->dead, cap * sizeof(*n));

		if (n == NULL)
			return; /* the slot stays taken: the table is one entry smaller */
		l->dead = n;
		l->dead_cap = cap;
	}
	l->dead[l->ndead++] = pos;
	l->dead_total++;
}

/*
 * Collect the keys learned on slot @idx in one walk of the table, then delete them: linear in the
 * table's size (deleting while iterating could skip entries). If memory for the keys
 * runs out, delete what was collected and walk again.
 */
static unsigned forget_slot(struct learning *l, uint16_t idx)
{
	uint64_t local[64], *keys = local;
	size_t cap = RTE_DIM(local), n;
	unsigned deleted = 0;
	bool again;

	do {
		const void *key;
		void *data;
		uint32_t it = 0;

		n = 0;
		again = false;
		while (rte_hash_iterate(l->h, &key, &data, &it) >= 0) {
			if (((uintptr_t)data & 0xffff) != idx)
				continue;
			if (n == cap) {
				uint64_t *bigger = malloc(2 * cap * sizeof(*bigger));

				if (bigger == NULL) {
					again = true;
					break;
				}
				memcpy(bigger, keys, n * sizeof(*keys));
				if (keys != local)
					free(keys);
				keys = bigger;
				cap *= 2;
			}
			memcpy(&keys[n++], key, sizeof(uint64_t));
		}
		for (size_t i = 0; i < n; i++) {
			int32_t pos = rte_hash_del_key(l->h, &keys[i]);

			if (pos >= 0) {
				remember_dead(l, pos);
				deleted++;
			}
		}
	} while (again);
	if (keys != local)
		free(keys);
	return deleted;
}

static void learning_port_leave(void *priv, struct vnetif_port *p)
{
	struct learning *l = priv;
	struct learn_slot *s = &l->slot[p->idx];
	unsigned deleted;

	table_lock(l);
	s->live = false;
	atomic_store_explicit(&s->src, 0, memory_order_relaxed);
	deleted = forget_slot(l, p->idx);
	atomic_fetch_sub_explicit(&l->entries, deleted, memory_order_relaxed);
	atomic_store_explicit(&l->sw->slot[p->idx].fdb_entries, 0, memory_order_relaxed);
	table_unlock(l);
}

static uint64_t learning_reclaim_mark(void *priv)
{
	struct learning *l = priv;
	uint64_t mark;

	table_lock(l);
	mark = l->dead_total;
	table_unlock(l);
	return mark;
}

static void learning_reclaim(void *priv, uint64_t mark)
{
	struct learning *l = priv;
	uint64_t first; /* number of dead[0] in the count of all deletions */
	unsigned k;

	table_lock(l);
	first = l->dead_total - l->ndead;
	k = mark > first ? (unsigned)RTE_MIN(mark - first, (uint64_t)l->ndead) : 0;
	for (unsigned i = 0; i < k; i++)
		rte_hash_free_key_with_position(l->h, l->dead[i]);
	if (k > 0 && k < l->ndead)
		memmove(l->dead, l->dead + k, (l->ndead - k) * sizeof(*l->dead));
	l->ndead -= k;
	table_unlock(l);
}

static void learning_stats(void *priv, struct vnetif_switch_stats *st)
{
	struct learning *l = priv;

	/* Not rte_hash_count(): it counts deleted slots not yet reclaimed. */
	st->fdb_entries = (unsigned)atomic_load_explicit(&l->entries, memory_order_relaxed);
	st->fdb_learned = atomic_load_explicit(&l->learned, memory_order_relaxed);
	st->fdb_moved = atomic_load_explicit(&l->moved, memory_order_relaxed);
	st->fdb_full = atomic_load_explicit(&l->full, memory_order_relaxed);
}

const struct vnetif_fwd_ops vnetif_fwd_learning = {
	.name = "learning",
	.init = learning_init,
	.fini = learning_fini,
	.lookup = learning_lookup,
	.port_join = learning_port_join,
	.port_leave = learning_port_leave,
	.reclaim_mark = learning_reclaim_mark,
	.reclaim = learning_reclaim,
	.stats = learning_stats,
};
