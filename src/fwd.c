/* SPDX-License-Identifier: BSD-3-Clause */
/* Choosing a switch's forwarding policy, and calling its optional control hooks. */
#include <errno.h>

#include "vnetif_private.h"

int vnetif_fwd_init(struct vnetif_fwd *f, struct vnetif_switch *sw)
{
	const struct vnetif_fwd_ops *ops;

	switch (sw->cfg.fwd_mode) {
	case VNETIF_FWD_LEARNING:
		ops = &vnetif_fwd_learning;
		break;
	case VNETIF_FWD_HUB:
		ops = &vnetif_fwd_hub;
		break;
	default:
		return -EINVAL;
	}
	f->ops = ops;
	f->priv = NULL;
	return ops->init ? ops->init(sw, &f->priv) : 0;
}

void vnetif_fwd_fini(struct vnetif_fwd *f)
{
	if (f->ops && f->ops->fini)
		f->ops->fini(f->priv);
	f->ops = NULL;
	f->priv = NULL;
}

void vnetif_fwd_port_join(struct vnetif_fwd *f, struct vnetif_port *p)
{
	if (f->ops->port_join)
		f->ops->port_join(f->priv, p);
}

void vnetif_fwd_port_leave(struct vnetif_fwd *f, struct vnetif_port *p)
{
	if (f->ops->port_leave)
		f->ops->port_leave(f->priv, p);
}

uint64_t vnetif_fwd_reclaim_mark(struct vnetif_fwd *f)
{
	return f->ops->reclaim_mark ? f->ops->reclaim_mark(f->priv) : 0;
}

void vnetif_fwd_reclaim(struct vnetif_fwd *f, uint64_t mark)
{
	if (f->ops->reclaim)
		f->ops->reclaim(f->priv, mark);
}

void vnetif_fwd_stats(struct vnetif_fwd *f, struct vnetif_switch_stats *st)
{
	if (f->ops->stats)
		f->ops->stats(f->priv, st);
}
