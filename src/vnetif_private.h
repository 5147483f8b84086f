/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal structures of libvnetif. Never included by applications. */
#ifndef VNETIF_PRIVATE_H
#define VNETIF_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "vnetif.h"

#define VNETIF_SWITCH_MAGIC 0x56535743u /* "VSWC" */
#define VNETIF_PORT_MAGIC 0x56505254u   /* "VPRT" */
#define VNETIF_NAME_MAX 12
#define VNETIF_CHUNK 64 /* frames routed per pass of the forwarding loop */

#ifdef VNETIF_TSAN
/* rte_ring hands mbufs between threads with plain loads/stores TSan cannot see. */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define vnetif_tsan_release(p) __tsan_release(p)
#define vnetif_tsan_acquire(p) __tsan_acquire(p)
#else
#define vnetif_tsan_release(p) ((void)(p))
#define vnetif_tsan_acquire(p) ((void)(p))
#endif

/* ---- SRCU-style read-side protection (srcu.c) -------------------------------------- */

#define VNETIF_SRCU_STRIPES 16

struct vnetif_srcu_stripe {
	_Atomic uint64_t readers[2];
} __rte_cache_aligned;

struct vnetif_srcu {
	_Atomic uint32_t epoch;
	struct vnetif_srcu_stripe stripe[VNETIF_SRCU_STRIPES];
};

unsigned vnetif_srcu_stripe_of_thread(void);

/* Enter a read-side section; returns the token to give back to vnetif_srcu_unlock(). */
static inline unsigned vnetif_srcu_lock(struct vnetif_srcu *s)
{
	unsigned stripe = vnetif_srcu_stripe_of_thread();
	unsigned parity = atomic_load_explicit(&s->epoch, memory_order_relaxed) & 1u;
	/* seq_cst: the increment is ordered before every load the section makes. */
	atomic_fetch_add_explicit(&s->stripe[stripe].readers[parity], 1, memory_order_seq_cst);
	return stripe << 1 | parity;
}

static inline void vnetif_srcu_unlock(struct vnetif_srcu *s, unsigned token)
{
	atomic_fetch_sub_explicit(&s->stripe[token >> 1].readers[token & 1u], 1,
				  memory_order_release);
}

/* Wait until every read-side section that began before this call has ended, at most
 * until @deadline_ns (CLOCK_MONOTONIC). 0 or -ETIMEDOUT. */
int vnetif_srcu_synchronize(struct vnetif_srcu *s, uint64_t deadline_ns,
			    vnetif_yield_fn yield, void *yield_arg);

/* ---- forwarding database (fdb.c) ----------------------------------------------------- */

struct vnetif_fdb {
	struct rte_hash *h;
	rte_spinlock_t wlock;        /* one writer at a time (rte_hash LF, single writer) */
	_Atomic uint32_t version;    /* bumped by every change */
	_Atomic uint64_t learned, moved, full, entries, limited;
	_Atomic uint32_t per_slot[VNETIF_MAX_PORTS]; /* entries pointing to each port slot */
	int32_t *dead_pos;           /* deleted key slots, freed after a grace period */
	unsigned ndead, dead_cap;
};

/* Value stored for a MAC: the port's slot and connect number. */
static inline uintptr_t vnetif_fdb_value(uint16_t idx, uint32_t gen)
{
	return (uintptr_t)gen << 16 | idx;
}

static inline uint64_t vnetif_mac_key(const uint8_t *mac)
{
	uint64_t k = 0;
	memcpy(&k, mac, 6);
	return k;
}

int vnetif_fdb_init(struct vnetif_fdb *f, const char *swname, unsigned size);
void vnetif_fdb_fini(struct vnetif_fdb *f);
/* Learn @key -> @value. @wait: take the lock even if contended (control path); else give
 * up when another writer holds it (datapath: the next frame learns). @limit: if not 0,
 * the most entries the port (slot of @value) may have (port security). Returns 0 when
 * the table holds the mapping (*version, if not NULL, is the table's version then;
 * *moved, if not NULL, says whether the key moved here from another port), -EBUSY when
 * skipped, -ENOSPC when full, -EDQUOT when the port has @limit entries already. */
int vnetif_fdb_learn(struct vnetif_fdb *f, uint64_t key, uintptr_t value, bool wait,
		     unsigned limit, uint32_t *version, bool *moved);
/* Forget every entry of slot @idx (control path). */
void vnetif_fdb_forget_port(struct vnetif_fdb *f, uint16_t idx);
/* After a grace period: release key slots deleted before it started. */
void vnetif_fdb_reclaim(struct vnetif_fdb *f, unsigned upto);
unsigned vnetif_fdb_count(const struct vnetif_fdb *f);

/* ---- ports and switches ------------------------------------------------------------- */

enum vnetif_port_state { PORT_CONNECTED = 1, PORT_CLOSING, PORT_CLOSED };

/* Counters written by the sending side and by the receiving side, each on its own
 * cache line; struct vnetif_stats is assembled from both. */
/* Drops from TX_DROP_OVERSIZE to the end (the switch's drops sum them). */
enum { TX_PACKETS, TX_BYTES, TX_FLOODED, TX_LEARN_LIMITED, TX_MACS_MOVED_IN,
       TX_DROP_OVERSIZE, TX_DROP_RUNT, TX_DROP_BAD_SRC, TX_DROP_NO_ROUTE, TX_DROP_OWN_PORT,
       TX_DROP_POOL_EMPTY, TX_DROP_REENTRY, TX_DROP_MAC_LOCK, TX_NSTATS };
enum { RX_PACKETS, RX_BYTES, RX_DROP_RING_FULL, RX_DROP_DISCONNECTED, RX_NSTATS };

enum vnetif_listener_kind { LISTEN_COPY = 1, LISTEN_MBUF };

struct vnetif_listener {
	enum vnetif_listener_kind kind;
	union {
		vnetif_listen_fn copy;
		vnetif_listen_mbuf_fn mbuf;
	} fn;
	void *arg;
	struct vnetif_listener *retired_next;
};

struct vnetif_port {
	uint32_t magic;
	uint16_t idx;                /* slot in the switch's port table */
	uint32_t gen;                /* connect number, unique per switch */
	struct vnetif_switch *sw;
	struct rte_ring *ring;
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	_Atomic int state;
	_Atomic unsigned mtu;
	_Atomic(struct vnetif_listener *) listener;
	struct vnetif_listener *retired; /* old listeners, freed with the port (under ctl) */
	/* MAC key | low 16 bits of fdb version << 48 of the last source learned here. */
	_Atomic uint64_t learned_src;
	_Atomic int polling;         /* vnetif_poll() exclusivity */

	/* port security (portsec.c): MAC lock settings in two banks under a sequence
	 * count, read lock-free by the datapath; the learning limit on its own */
	_Atomic bool sec_on;         /* ever locked: the datapath asks portsec */
	_Atomic uint32_t sec_seq;
	struct {
		_Atomic bool lock;
		_Atomic unsigned n;
		_Atomic uint64_t mac[VNETIF_PORT_ALLOWED_MAX]; /* MAC keys */
	} sec_bank[2];
	_Atomic unsigned sec_max_learned;

	/* reader thread */
	pthread_t reader;
	_Atomic bool reader_on, reader_stop, reader_done;
	_Atomic uint32_t rx_sleeping; /* futex word: the reader sleeps on it */

	struct vnetif_port *next;    /* every port ever connected, for destroy */

	_Atomic uint64_t tx[TX_NSTATS] __rte_cache_aligned;
	_Atomic uint64_t rx[RX_NSTATS] __rte_cache_aligned;
};

struct vnetif_switch {
	uint32_t magic;
	char name[16];
	struct vnetif_switch_config cfg;
	struct rte_mempool *pool;
	bool own_pool;
	struct vnetif_fdb fdb;
	struct vnetif_srcu srcu;
	_Atomic(struct vnetif_port *) *ports; /* cfg.max_ports slots */
	_Atomic unsigned port_hwm;   /* slots [0, hwm) may be in use */
	pthread_mutex_t ctl;         /* serialises control calls */
	uint32_t next_gen;
	unsigned nports;
	struct vnetif_port *all;
};

static inline void vnetif_count(_Atomic uint64_t *c, uint64_t v)
{
	if (v)
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline bool vnetif_switch_ok(const struct vnetif_switch *sw)
{
	return sw != NULL && sw->magic == VNETIF_SWITCH_MAGIC;
}

static inline bool vnetif_port_ok(const struct vnetif_port *p)
{
	return p != NULL && p->magic == VNETIF_PORT_MAGIC;
}

/* Validate a port handle for a datapath or control call: 0, -EINVAL or -ENOTCONN. */
static inline int vnetif_port_check(const struct vnetif_port *p)
{
	if (!vnetif_port_ok(p))
		return -EINVAL;
	if (atomic_load_explicit(&p->state, memory_order_acquire) != PORT_CONNECTED)
		return -ENOTCONN;
	return 0;
}

uint64_t vnetif_now_ns(void);
void vnetif_wait_pause(const struct vnetif_switch *sw);

int vnetif_eal_ensure(void);
/* Deliver frames already taken off @p's ring to its listener (vnetif_poll, reader). */
unsigned vnetif_deliver_to_listener(struct vnetif_port *p, struct vnetif_listener *l,
				    struct rte_mbuf **pkts, uint16_t n);
/* Disconnect with ctl held. */
int vnetif_disconnect_locked(struct vnetif_port *p, unsigned flush_timeout_ms);
void vnetif_port_wake(struct vnetif_port *p);
/* True while this thread runs a listener of a port of @sw. */
bool vnetif_in_listener_on(const struct vnetif_switch *sw);
void vnetif_reader_join(struct vnetif_port *p);
/* Port security: may @p send with source MAC key @key? (Its own, or an allowed one.) */
bool vnetif_portsec_allows(const struct vnetif_port *p, uint64_t key);

#endif /* VNETIF_PRIVATE_H */
