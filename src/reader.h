/* SPDX-License-Identifier: BSD-3-Clause */
/* Reader threads, for the ports' control calls (port.c; ctl not held). */
#ifndef VNETIF_READER_H
#define VNETIF_READER_H

#include "vnetif_private.h"

/* Stop the reader and wait for it until @deadline_ns: 0, or -ETIMEDOUT (it stays
 * marked running; a later call joins it). */
int vnetif_reader_join(struct vnetif_port *p, uint64_t deadline_ns);

#endif /* VNETIF_READER_H */
