/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ports' control path between the modules that connect, wake, read and tear down
 * ports (port.c, reader.c, switch.c, capture.c, portsec.c, datapath.c). The forwarding
 * policy (fwd*.c), the copying calls (copy.c) and the stages (stage.c) need only
 * vnetif_private.h.
 */
#ifndef VNETIF_PORT_H
#define VNETIF_PORT_H

#include "vnetif_private.h"

/* portsec.c: clear a slot's security settings for its next port (ctl held). */
void vnetif_portsec_reset(struct vnetif_port *p);
void vnetif_port_wake(struct vnetif_port *p);

/* reader.c, for the port's control calls (ctl not held). */
/* Stop the reader and wait for it until @deadline_ns: 0, or -ETIMEDOUT (it stays
 * marked running; a later call joins it). */
int vnetif_reader_join(struct vnetif_port *p, uint64_t deadline_ns);
/* True if the calling thread is the reader thread of @p (or, @p NULL, of any port of @sw). */
bool vnetif_reader_is_self(const struct vnetif_switch *sw, const struct vnetif_port *p);

/* port.c, for switch destroy: disconnect a port (no flush), waiting unlocked. */
int vnetif_port_close(struct vnetif_port *p, unsigned flush_timeout_ms);
/* Initialise the slot table and free list of a new switch. */
int vnetif_slots_init(struct vnetif_switch *sw);

#endif /* VNETIF_PORT_H */
