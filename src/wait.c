/* SPDX-License-Identifier: BSD-3-Clause */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_pause.h>

#include "wait.h"

uint64_t vnetif_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool vnetif_wait_pause(struct vnetif_wait *w)
{
	unsigned n = w->n++;

	if (w->yield) {
		w->yield(w->arg);
		return false;
	}
	if (w->kind == VNETIF_WAIT_WRITER) {
		sched_yield();
		return false;
	}
	if (n < VNETIF_WAIT_SPINS) {
		rte_pause();
		return false;
	}
	/* Giving the CPU away a few times before sleeping lets the threads we wait for run,
	 * and costs a reader's writers no wake-up syscall. */
	if (n < VNETIF_WAIT_SPINS + VNETIF_WAIT_YIELDS) {
		sched_yield();
		return false;
	}
	if (w->kind == VNETIF_WAIT_READER)
		return true;
	usleep(VNETIF_WAIT_SLEEP_US);
	return false;
}

void vnetif_futex_wait(_Atomic uint32_t *word, uint32_t val, long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};

	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

void vnetif_futex_wake(_Atomic uint32_t *word)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
