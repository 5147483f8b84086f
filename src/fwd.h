/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The forwarding policy: what the switch fabric (datapath.c) asks about every frame.
 *
 * As in netmap VALE (bdg_ops.lookup), the fabric knows ports, batching and delivery;
 * a policy knows where a frame goes. The fabric makes one call per chunk of up to
 * VNETIF_CHUNK valid frames from one port, lookup(), and a policy answers each frame
 * with a destination port, VNETIF_ROUTE_FLOOD (every other port) or
 * VNETIF_ROUTE_DROP(reason) (free the frame and count it on the sender's tx counter
 * `reason`, a TX_DROP_* index); when every frame of the chunk has the same answer (a
 * burst to one station: the common case), it may give it once. lookup() may learn from
 * the frames it sees, but must decide each frame as if the frames of the chunk had been
 * sent one at a time.
 *
 * Policies: learning (fwd_learning.c: the MAC table, learning, own-port drops) and hub
 * (fwd_hub.c: flood everything). Port security or impairments go beside them (or wrap
 * one), answering DROP with their own reason; the fabric does not change.
 *
 * Ports here are the fabric's slot structs (struct vnetif_port in the switch's slot
 * table, alive as long as the switch), never the handles applications hold; a policy
 * must not keep one across calls. To remember a port (a table entry), keep its slot and
 * connect number (p->idx, p->gen) and find it again through sw->ports[idx], comparing the
 * connect number, inside the datapath call: a slot is reused only after a grace period,
 * so a port answered that way stays the same port until lookup() returns to the fabric.
 *
 * Control-path hooks run with the switch's control mutex held; any of them may be
 * NULL when a policy has nothing to do there.
 */
#ifndef VNETIF_FWD_H
#define VNETIF_FWD_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct vnetif_port;
struct vnetif_switch;
struct vnetif_switch_stats;

/* Answers of lookup() besides a port: small integers no port pointer can be. */
#define VNETIF_ROUTE_FLOOD ((struct vnetif_port *)(uintptr_t)1)
#define VNETIF_ROUTE_DROP_BASE ((uintptr_t)16)
#define VNETIF_ROUTE_DROP(reason) ((struct vnetif_port *)(VNETIF_ROUTE_DROP_BASE + (reason)))

static inline bool vnetif_route_is_drop(const struct vnetif_port *d)
{
	return (uintptr_t)d >= VNETIF_ROUTE_DROP_BASE && (uintptr_t)d < VNETIF_ROUTE_DROP_BASE + 256;
}

static inline unsigned vnetif_route_drop_reason(const struct vnetif_port *d)
{
	return (unsigned)((uintptr_t)d - VNETIF_ROUTE_DROP_BASE);
}

struct vnetif_fwd_ops {
	const char *name;
	/* Set up for @sw (its cfg is final); *priv is handed to every other op. 0 or -E. */
	int (*init)(struct vnetif_switch *sw, void **priv);
	void (*fini)(void *priv);
	/* Datapath: decide @n (1..VNETIF_CHUNK) valid frames sent by @src into dst[].
	 * Returns true when every frame has the answer written to dst[0] (dst[1..n) are
	 * then not written), false when dst[0..n) each hold one. Lock-free, never blocks,
	 * any number of threads at once. */
	bool (*lookup)(void *priv, struct vnetif_port *src, struct rte_mbuf **pkts, uint16_t n,
		       struct vnetif_port **dst);
	/* @p is about to be published / was just unpublished (no new frame will be sent
	 * from it, but datapath calls that saw it may still run). */
	void (*port_join)(void *priv, struct vnetif_port *p);
	void (*port_leave)(void *priv, struct vnetif_port *p);
	/* Deferred freeing: take a mark before a grace period, reclaim what was retired
	 * before the mark once the grace period has passed. */
	uint64_t (*reclaim_mark)(void *priv);
	void (*reclaim)(void *priv, uint64_t mark);
	/* Fill the fdb_* fields of @st. */
	void (*stats)(void *priv, struct vnetif_switch_stats *st);
};

extern const struct vnetif_fwd_ops vnetif_fwd_learning;
extern const struct vnetif_fwd_ops vnetif_fwd_hub;

/* A switch's policy: its ops and their state. */
struct vnetif_fwd {
	const struct vnetif_fwd_ops *ops;
	void *priv;
};

/* The policy of sw->cfg.fwd_mode. 0, -ENOMEM, -EEXIST (a DPDK name in use). */
int vnetif_fwd_init(struct vnetif_fwd *f, struct vnetif_switch *sw);
void vnetif_fwd_fini(struct vnetif_fwd *f);
void vnetif_fwd_port_join(struct vnetif_fwd *f, struct vnetif_port *p);
void vnetif_fwd_port_leave(struct vnetif_fwd *f, struct vnetif_port *p);
uint64_t vnetif_fwd_reclaim_mark(struct vnetif_fwd *f);
void vnetif_fwd_reclaim(struct vnetif_fwd *f, uint64_t mark);
void vnetif_fwd_stats(struct vnetif_fwd *f, struct vnetif_switch_stats *st);

#endif /* VNETIF_FWD_H */
