/* SPDX-License-Identifier: BSD-3-Clause */
/* What the switch (switch.c) needs of port.c: closing ports at destroy, the slot table. */
#ifndef VNETIF_PORT_H
#define VNETIF_PORT_H

#include "vnetif_private.h"

/* Disconnect a port (no flush), waiting unlocked. */
int vnetif_port_close(struct vnetif_port *p, unsigned flush_timeout_ms);
/* Initialise the slot table and free list of a new switch. */
int vnetif_slots_init(struct vnetif_switch *sw);

#endif /* VNETIF_PORT_H */
