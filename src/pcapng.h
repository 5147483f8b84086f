/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pcapng writer of a capture (pcapng.c). Below the stage (stage.c), which hands it
 * each tapped port's frames, and the public capture calls (capture.c), which make and
 * stop it; it calls neither.
 */
#ifndef VNETIF_PCAPNG_H
#define VNETIF_PCAPNG_H

#include "vnetif_private.h"

/* A capture of @sw into @fd (@cfg may be NULL): nothing written yet. 0 or -ENOMEM. */
int vnetif_pcapng_open(struct vnetif_switch *sw, int fd, const struct vnetif_capture_config *cfg,
		       struct vnetif_capture **out);
/* Write the section header (first, once). 0 or -EIO. */
int vnetif_pcapng_header(struct vnetif_capture *c);
/* ctl held: give port @p an interface in @c; its id, or -EIO. */
int vnetif_pcapng_add_port(struct vnetif_capture *c, const struct vnetif_port *p);
/* Record frames of the port with interface @ifid in direction @dir (any thread; the
 * frames stay the caller's). A frame the copy pool has no room for is left out; a
 * failed write stops the file (the result says -EIO). */
void vnetif_pcapng_frames(struct vnetif_capture *c, uint32_t ifid, enum vnetif_dir dir,
			  struct rte_mbuf **pkts, uint16_t n);
/* The switch @c was opened on. */
struct vnetif_switch *vnetif_pcapng_switch(const struct vnetif_capture *c);
/* Once nothing writes any more: frames written (at most INT32_MAX), or -EIO if a write
 * failed. */
int vnetif_pcapng_result(const struct vnetif_capture *c);
void vnetif_pcapng_free(struct vnetif_capture *c);

#endif /* VNETIF_PCAPNG_H */
