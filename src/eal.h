/* SPDX-License-Identifier: BSD-3-Clause */
/* eal.c: bring up DPDK's EAL once per process, for the first switch. */
#ifndef VNETIF_EAL_H
#define VNETIF_EAL_H

/* 0 once the EAL runs (started here or by the application), or a negative errno. */
int vnetif_eal_ensure(void);

/* With VNETIF_DEBUG set (non-empty), print "vnetif: <message>" on stderr: what the
 * library chose (EAL arguments, mempool driver). */
void vnetif_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VNETIF_EAL_H */
