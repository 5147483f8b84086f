/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's stage (stage.c): impairments, monitor and capture of the frames a port sends
 * and receives. The datapath calls it only when the port has one (port->stage != NULL).
 */
#ifndef VNETIF_STAGE_H
#define VNETIF_STAGE_H

#include "vnetif_private.h"

/* Room the caller gives vnetif_stage_run()'s output: released frames + duplicates. */
#define VNETIF_STAGE_OUT (3 * VNETIF_CHUNK)

/* Run @p's stage for direction @dir on @n (<= VNETIF_CHUNK) frames; the frames to go
 * on now (due held ones first, in order) are put in @out; returns how many. Every other
 * frame is held or freed and counted. In a read-side section. */
uint16_t vnetif_stage_run(struct vnetif_port *p, enum vnetif_dir dir, struct rte_mbuf **in,
			  uint16_t n, struct rte_mbuf **out);


/* port.c, ctl held, port not yet published: set the config's impairments and join a
 * switch-wide capture. 0 or -ENOMEM/-EAGAIN (nothing to undo but vnetif_stage_free). */
int vnetif_stage_connect(struct vnetif_port *p, const struct vnetif_port_config *cfg);
/* port.c, after the grace period of a disconnect: free held frames (counted). */
void vnetif_stage_disconnect(struct vnetif_port *p);
/* port.c, ctl held, the slot CLOSED after a grace period, taken by a new port: forget
 * the previous port's impairments, monitor, capture and counters (the memory stays). */
void vnetif_stage_reset(struct vnetif_port *p);
/* switch.c, destroy: the slot's stage memory. */
void vnetif_stage_free(struct vnetif_port *p);
/* Frames the port's stage holds now. */
unsigned vnetif_stage_held(const struct vnetif_port *p);
/* Frames the port's stage dropped, both directions. */
uint64_t vnetif_stage_drops(const struct vnetif_port *p);
/* switch.c, destroy (ctl held, every port closed): stop the clock, free captures. */
void vnetif_stage_switch_fini(struct vnetif_switch *sw);

/* ---- for the capture calls (capture.c); the stage writes through pcapng.h ---- */
/* ctl held: make @c the switch's capture, on port @only or (NULL) every port. */
int vnetif_stage_capture_attach(struct vnetif_switch *sw, struct vnetif_capture *c,
				struct vnetif_port *only);
/* ctl held: unpublish @c; the caller then waits for a grace period with ctl released. */
void vnetif_stage_capture_unpublish(struct vnetif_switch *sw, struct vnetif_capture *c);
/* ctl held: keep @c (its grace period timed out) to free it with the switch. */
bool vnetif_stage_capture_keep(struct vnetif_switch *sw, struct vnetif_capture *c);
/* ctl held: the switch's capture or NULL. */
struct vnetif_capture *vnetif_stage_sw_capture(const struct vnetif_switch *sw);
/* True if a control call on @sw that waits would wait for the calling thread: it is in
 * a listener, a monitor or the impairment clock of @sw (a read-side section). */
bool vnetif_stage_control_blocked(const struct vnetif_switch *sw);

#endif /* VNETIF_STAGE_H */
