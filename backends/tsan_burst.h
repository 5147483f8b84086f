/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backends hand mbufs between threads where ThreadSanitizer cannot see it (inside DPDK:
 * rte_ring, net_ring, memif): a burst is released by the thread that hands it over and
 * acquired by the one that takes it. Nothing without -DVNETIF_TSAN.
 */
#ifndef VNETIF_TSAN_BURST_H
#define VNETIF_TSAN_BURST_H

#ifdef VNETIF_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tsan_acquire_burst(p, n) for (unsigned i_ = 0; i_ < (n); i_++) __tsan_acquire((p)[i_])
#define tsan_release_burst(p, n) for (unsigned i_ = 0; i_ < (n); i_++) __tsan_release((p)[i_])
#else
#define tsan_acquire_burst(p, n) ((void)(p))
#define tsan_release_burst(p, n) ((void)(p))
#endif

#endif /* VNETIF_TSAN_BURST_H */
