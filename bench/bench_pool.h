/* SPDX-License-Identifier: BSD-3-Clause */
/* The benchmarks' --pool lifo|fifo: vnetif_switch_config::pool_order by name. */
#ifndef VNETIF_BENCH_POOL_H
#define VNETIF_BENCH_POOL_H

#include <string.h>

#include "vnetif.h"

static inline const char *bench_pool_name(enum vnetif_pool_order p)
{
	return p == VNETIF_POOL_FIFO ? "fifo" : "lifo";
}

/* The order named @s into *@out; -1 (and *@out untouched) for any other name. */
static inline int bench_pool_parse(const char *s, enum vnetif_pool_order *out)
{
	if (strcmp(s, "lifo") == 0)
		*out = VNETIF_POOL_LIFO;
	else if (strcmp(s, "fifo") == 0)
		*out = VNETIF_POOL_FIFO;
	else
		return -1;
	return 0;
}

#endif /* VNETIF_BENCH_POOL_H */
