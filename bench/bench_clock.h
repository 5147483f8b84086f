/* SPDX-License-Identifier: BSD-3-Clause */
/* What the benchmarks share: the monotonic clock, the process's CPU time, and sorting
 * samples. */
#ifndef VNETIF_BENCH_CLOCK_H
#define VNETIF_BENCH_CLOCK_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

/* CPU time of the whole process (every thread, user and system), in seconds. */
static inline double bench_cpu_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* qsort() order of uint64_t samples. */
static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* qsort() order of doubles. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define BENCH_MEDIAN_MAX 16 /* values bench_median() takes (the benches' rounds, at most 15) */

/* The median of @n values (1..BENCH_MEDIAN_MAX; the mean of the middle two for an even
 * @n); @v keeps its order. */
static inline double bench_median(const double *v, int n)
{
	double s[BENCH_MEDIAN_MAX];

	if (n > BENCH_MEDIAN_MAX)
		n = BENCH_MEDIAN_MAX;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

#endif /* VNETIF_BENCH_CLOCK_H */
