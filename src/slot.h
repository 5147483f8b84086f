/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every module needs of a port slot, below the modules that use it (datapath,
 * stages, capture, port security, reader, ports): resolving a handle and entering the
 * port's read side (declared in vnetif_private.h), waking its reader, and telling
 * whether the calling thread is a reader thread.
 */
#ifndef VNETIF_SLOT_H
#define VNETIF_SLOT_H

#include "vnetif_private.h"

/* Writer side: wake the port's reader thread if it sleeps. */
void vnetif_port_wake(struct vnetif_port *p);
/* True if the calling thread is the reader thread of @p (or, @p NULL, of any port of @sw). */
bool vnetif_reader_is_self(const struct vnetif_switch *sw, const struct vnetif_port *p);
/* reader.c: the calling thread reads @p from now on (NULL: no longer). */
void vnetif_reader_mark_self(const struct vnetif_port *p);

#endif /* VNETIF_SLOT_H */
