/* SPDX-License-Identifier: BSD-3-Clause */
/* What the benchmarks share: the monotonic clock, and sorting samples. */
#ifndef VNETIF_BENCH_CLOCK_H
#define VNETIF_BENCH_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static inline double bench_now_s(void)
{
	return (double)bench_now_ns() * 1e-9;
}

/* qsort() order of uint64_t samples. */
static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#endif /* VNETIF_BENCH_CLOCK_H */
