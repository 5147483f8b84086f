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

/*
 * A reader's yield rung, timed. Spinning and yielding keep an idle reader awake, so its
 * writers enqueue without a wake-up syscall and the frames are taken at once: worth it
 * while the CPU has nothing else to run. On a crowded CPU (more runnable threads than
 * CPUs: an application with many threads on few cores) the spins take CPU time from the
 * threads that make the frames, and an awake reader is one writers hand their frames to
 * while it waits for a time slice. A yield that returns late says so; the reader then
 * sleeps at once (and counts as not awake: see vnetif_reader_awake()), so writers that
 * can take the frames in themselves do.
 */
static bool reader_yield(struct vnetif_wait *w)
{
	uint64_t t0 = vnetif_now_ns();

	sched_yield();
	w->crowded = vnetif_now_ns() - t0 >= VNETIF_WAIT_CROWDED_NS;
	return w->crowded;
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
	if (w->kind == VNETIF_WAIT_READER && w->crowded && n < VNETIF_WAIT_SPINS) {
		n = VNETIF_WAIT_SPINS; /* a crowded reader goes straight to a (timed) yield */
		w->n = n + 1;
	}
	if (n < VNETIF_WAIT_SPINS) {
		rte_pause();
		return false;
	}
	/* Giving the CPU away a few times before sleeping lets the threads we wait for run. */
	if (n < VNETIF_WAIT_SPINS + VNETIF_WAIT_YIELDS) {
		if (w->kind == VNETIF_WAIT_READER)
			return reader_yield(w);
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
