/* SPDX-License-Identifier: BSD-3-Clause */
/* What the switch needs of the fabric (datapath.c) besides the public burst calls. */
#ifndef VNETIF_DATAPATH_H
#define VNETIF_DATAPATH_H

#include "vnetif_private.h"

/* Frames a stage released later (the impairment clock) go on from where the stage left
 * them. In a read-side section, @p connected. The switch hands it to its stages as
 * vnetif_switch::stage_resume, so the stages need not call up into the fabric. */
void vnetif_stage_resume(struct vnetif_port *p, enum vnetif_dir dir, struct rte_mbuf **pkts,
			 uint16_t n);

/* vnetif_tx_burst() for a caller already in the read-side section (@tok) of @port: the
 * copying writes gather into an mbuf and send it in one section. Leaves the section;
 * returns @n (the frames are the switch's). */
int vnetif_tx_entered(struct vnetif_port *port, unsigned tok, struct rte_mbuf **pkts,
		      uint16_t n);

#endif /* VNETIF_DATAPATH_H */
