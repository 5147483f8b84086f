/* SPDX-License-Identifier: BSD-3-Clause */
/* pool.c: the switch's own mbuf pool. */
#ifndef VNETIF_POOL_H
#define VNETIF_POOL_H

#include <rte_mempool.h>

#include "vnetif.h"

/* A pktmbuf pool of @n mbufs of @room bytes of data room (after the headroom) in
 * cfg->pool_order, named @name; NULL with rte_errno set (EEXIST: the name is taken). */
struct rte_mempool *vnetif_pool_create(const char *name, const struct vnetif_switch_config *cfg,
				       unsigned n, uint16_t room);

#endif /* VNETIF_POOL_H */
