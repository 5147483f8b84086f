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

#include "fwd.h" /* the forwarding policy: fwd.c, fwd_learning.c, fwd_hub.c */
#include "vnetif.h"
#include "srcu.h"
#include "wait.h"

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

/* ---- ports and switches ------------------------------------------------------------- */

/*
 * Port lifecycle. CONNECTED: routed to, may send. FLUSHING (vnetif_disconnect with a
 * flush timeout): no longer routed to and may not send, but its ring still drains to
 * its listener (reader thread or vnetif_poll) and vnetif_rx_burst. CLOSING: the
 * disconnect waits for the reader and a grace period. CLOSED: the slot is free; its
 * struct keeps the final counters until a connect reuses the slot.
 */
enum vnetif_port_state { PORT_CLOSED = 0, PORT_CONNECTED, PORT_FLUSHING, PORT_CLOSING };

/* Counters written by the sending side and by the receiving side, each on its own
 * cache line; struct vnetif_stats is assembled from both. */
/* Drops from TX_DROP_OVERSIZE to the end (the switch's drops sum them). */
enum { TX_PACKETS, TX_BYTES, TX_FLOODED, TX_LEARN_LIMITED, TX_MACS_MOVED_IN, TX_TSO,
       TX_DROP_OVERSIZE, TX_DROP_RUNT, TX_DROP_BAD_SRC, TX_DROP_NO_ROUTE, TX_DROP_OWN_PORT,
       TX_DROP_POOL_EMPTY, TX_DROP_REENTRY, TX_DROP_MAC_LOCK, TX_NSTATS };
enum { RX_PACKETS, RX_BYTES, RX_SEGMENTED, RX_DROP_RING_FULL, RX_DROP_DISCONNECTED,
       RX_DROP_SEGMENT, RX_NSTATS };

enum vnetif_listener_kind { LISTEN_COPY = 1, LISTEN_MBUF };

struct vnetif_listener {
	enum vnetif_listener_kind kind;
	union {
		vnetif_listen_fn copy;
		vnetif_listen_mbuf_fn mbuf;
	} fn;
	void *arg;
	struct vnetif_listener *retired_next;
	uint64_t ticket;             /* retired: freed once this grace period has passed */
};

/*
 * A port's struct lives in its switch's slot table (struct vnetif_switch::slot), one per
 * slot for the switch's whole life, and is reused by the next port connected into that
 * slot: memory does not grow with connects. What the application holds is not a pointer
 * to it but a handle (port.c, "Handles") naming the switch, the slot and the connect
 * number: a call on the handle of a port that left gets -ENOTCONN, also after its slot
 * was reused.
 */
struct vnetif_port {
	uint32_t magic;
	uint16_t idx;                /* slot in the switch's port table */
	_Atomic uint32_t gen;        /* connect number, unique per switch; 0 while being reset */
	struct vnetif_switch *sw;
	struct rte_ring *ring;
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	_Atomic int state;
	_Atomic unsigned mtu;
	_Atomic bool tso;            /* TCP segmentation offload (vnetif_set_tso()) */
	_Atomic(struct vnetif_listener *) listener;
	struct vnetif_listener *retired; /* replaced listeners waiting for a grace period (ctl) */
	_Atomic int polling;         /* vnetif_poll() exclusivity */
	pthread_t busy;              /* thread running a control call that waits (ctl) */
	bool is_busy;
	uint64_t flush_dead;         /* policy reclaim mark (fwd.h) taken when it left (ctl) */

	/* reader thread */
	pthread_t reader;
	_Atomic bool reader_on, reader_stop, reader_done;
	_Atomic uint32_t rx_sleeping; /* futex word: the reader sleeps on it */
	_Atomic bool rx_crowded;      /* the reader's CPU is crowded (wait.h): not "awake" */

	uint16_t free_next;          /* free-slot FIFO (ctl) */

	/* ---- impairments, monitor, capture (stage.c): NULL when the port has none ---- */
	_Atomic(struct vnetif_stage *) stage;
	/* The slot's stage memory, kept across connects (reset when the slot is reused),
	 * freed with the switch; set under ctl. */
	_Atomic(struct vnetif_stage *) stage_mem;

	/* port security (portsec.c): MAC lock settings in two banks under a sequence
	 * count, read lock-free by the datapath; the learning limit, and the table entries
	 * pointing to the port (kept by the learning policy under its lock) */
	_Atomic bool sec_on;         /* locked since it connected: lookups pass portsec */
	_Atomic uint32_t sec_seq;
	struct {
		_Atomic bool lock;
		_Atomic unsigned n;
		_Atomic uint64_t mac[VNETIF_PORT_ALLOWED_MAX]; /* MAC keys */
	} sec_bank[2];
	_Atomic unsigned sec_max_learned;
	_Atomic unsigned fdb_entries;

	_Atomic uint64_t tx[TX_NSTATS] __rte_cache_aligned;
	_Atomic uint64_t rx[RX_NSTATS] __rte_cache_aligned;
};

/* The fabric's entry for frames a stage releases later (datapath.h). */
typedef void (*vnetif_resume_fn)(struct vnetif_port *p, enum vnetif_dir dir,
				 struct rte_mbuf **pkts, uint16_t n);

struct vnetif_switch {
	uint32_t magic;
	vnetif_resume_fn stage_resume; /* set at create: vnetif_stage_resume (datapath.c) */
	char name[16];
	struct vnetif_switch_config cfg;
	struct rte_mempool *pool;
	struct rte_mempool *large_pool; /* own pool only: frames longer than a pool mbuf */
	bool own_pool;
	struct vnetif_fwd fwd;       /* forwarding policy (fwd.h) */
	struct vnetif_srcu srcu;
	_Atomic(struct vnetif_port *) *ports; /* routing: connected ports, cfg.max_ports slots */
	_Atomic unsigned port_hwm;   /* slots [0, hwm) may be in use */
	_Atomic bool tso_seen;       /* a port turned TSO on once: frames may carry the mark */
	pthread_mutex_t ctl;         /* serialises control calls; never held while waiting */
	uint32_t next_gen;
	_Atomic unsigned nports;
	unsigned waiting;            /* control calls waiting unlocked (ctl) */
	uint16_t free_head, free_tail, nfree; /* free slots, least recently freed first */
	_Atomic uint64_t gone_drops; /* drops of ports whose slot was reused */
	_Atomic uint32_t reuse_seq;  /* odd while a slot's counters move to gone_drops */
	struct vnetif_port *slot;    /* cfg.max_ports structs, see struct vnetif_port */

	/* ---- impairment clock and captures (stage.c, capture.c); under ctl ---- */
	struct vnetif_stage_sw *stage_sw;
};

static inline void vnetif_count(_Atomic uint64_t *c, uint64_t v)
{
	if (v)
		atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static inline bool vnetif_switch_ok(const struct vnetif_switch *sw)
{
	/* Port handles have the top bit set (port.c): never read through one. */
	return sw != NULL && !((uintptr_t)sw >> 63) && sw->magic == VNETIF_SWITCH_MAGIC;
}

/* Port handles (port.c, "Handles"): bit 63 set, the connect number's low 22 bits, the
 * switch's address >> 16 (31 bits), the slot (10 bits). */
#define VNETIF_HANDLE_TAG (1ull << 63)
#define VNETIF_HANDLE_GEN_SHIFT 41
#define VNETIF_HANDLE_GEN_MASK ((1u << 22) - 1)
#define VNETIF_HANDLE_SW_ALIGN (1u << 16)
#define VNETIF_HANDLE_SW_BITS 31
#define VNETIF_HANDLE_IDX_BITS 10

static inline vnetif_port *vnetif_port_handle_of(const struct vnetif_switch *sw, unsigned idx,
						 uint32_t gen)
{
	return (vnetif_port *)(uintptr_t)(VNETIF_HANDLE_TAG |
					  (uint64_t)(gen & VNETIF_HANDLE_GEN_MASK)
						  << VNETIF_HANDLE_GEN_SHIFT |
					  (uint64_t)((uintptr_t)sw / VNETIF_HANDLE_SW_ALIGN)
						  << VNETIF_HANDLE_IDX_BITS |
					  idx);
}

/* The handle of the port now in @p's slot (what its listener is given). */
static inline vnetif_port *vnetif_port_handle(const struct vnetif_port *p)
{
	return vnetif_port_handle_of(p->sw, p->idx,
				     atomic_load_explicit(&p->gen, memory_order_relaxed));
}

/* The slot a port handle names, or NULL if @h is not a port handle. */
static inline uint32_t vnetif_handle_gen(const vnetif_port *h)
{
	return (uint32_t)((uintptr_t)h >> VNETIF_HANDLE_GEN_SHIFT) & VNETIF_HANDLE_GEN_MASK;
}

static inline bool vnetif_handle_is_current(const struct vnetif_port *p, const vnetif_port *h)
{
	return (atomic_load_explicit(&p->gen, memory_order_acquire) & VNETIF_HANDLE_GEN_MASK) ==
	       vnetif_handle_gen(h);
}

struct vnetif_port *vnetif_port_slot(const vnetif_port *h);

/*
 * Enter @sw's read side for a call on port handle @h and find its port: 0 (*out set,
 * give *tok back with vnetif_srcu_unlock(&(*out)->sw->srcu, *tok)); -EINVAL not a port
 * handle; -ENOTCONN the port left, or is disconnecting and @draining is false. With
 * @draining, a port that is flushing its ring counts as connected (vnetif_poll,
 * vnetif_rx_burst).
 */
int vnetif_port_enter(const vnetif_port *h, bool draining, struct vnetif_port **out,
		      unsigned *tok);

/* The drops counted on @p's own counters (tx_drop_*, rx_drop_*; not its impairments'). */
uint64_t vnetif_port_drops(const struct vnetif_port *p);

#endif /* VNETIF_PRIVATE_H */
