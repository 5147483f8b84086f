/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up. EAL is process-wide and can start only once, so this is the one place
 * with process-wide state: whether the library started EAL, and the runtime directory
 * to remove at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "vnetif_private.h"

#define EAL_MAX_ARGS 64

static pthread_mutex_t eal_lock = PTHREAD_MUTEX_INITIALIZER;
static char eal_runtime_dir[PATH_MAX];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path); /* best effort: a file already gone is fine */
	return 0;
}

/* Leave no runtime directory behind. EAL itself is not torn down: application threads
 * (readers, lwIP) may still touch DPDK memory while the process exits. */
static void eal_remove_runtime_dir(void)
{
	if (eal_runtime_dir[0])
		nftw(eal_runtime_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int eal_start(int argc, char **argv)
{
	if (rte_lcore_count() > 0)
		return 0; /* the application (or an earlier call) started it */
	if (rte_eal_init(argc, argv) < 0) {
		int err = rte_errno;

		/* rte_eal_init reports EALREADY for a second initialisation attempt. */
		return err == EALREADY ? -EALREADY : -(err ? err : EINVAL);
	}
	return 1;
}

VNETIF_API int vnetif_eal_init(int argc, char **argv)
{
	int rc;

	if (argc < 1 || argv == NULL)
		return -EINVAL;
	pthread_mutex_lock(&eal_lock);
	rc = eal_start(argc, argv);
	pthread_mutex_unlock(&eal_lock);
	return rc < 0 ? rc : 0;
}

static int cpu_list(char *buf, size_t len)
{
	cpu_set_t set;
	size_t off = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -errno;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && c < RTE_MAX_LCORE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		int n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
		if (n < 0 || (size_t)n >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)n;
	}
	return off ? 0 : -EINVAL;
}

/* Split VNETIF_EAL_ARGS on spaces into argv (argv[0] = "vnetif"). */
static int env_args(char *buf, char **argv)
{
	int argc = 0;

	argv[argc++] = "vnetif";
	for (char *save = NULL, *tok = strtok_r(buf, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (argc == EAL_MAX_ARGS - 1)
			return -E2BIG;
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	return argc;
}

int vnetif_eal_ensure(void)
{
	static unsigned attempt;
	char *argv[EAL_MAX_ARGS];
	char prefix[64], lcores[600], cpus[512], envbuf[1024];
	const char *env = getenv("VNETIF_EAL_ARGS");
	int argc = 0, rc;

	pthread_mutex_lock(&eal_lock);
	if (rte_lcore_count() > 0) {
		pthread_mutex_unlock(&eal_lock);
		return 0;
	}
	if (env && *env) {
		snprintf(envbuf, sizeof(envbuf), "%s", env);
		argc = env_args(envbuf, argv);
		if (argc < 0) {
			pthread_mutex_unlock(&eal_lock);
			return argc;
		}
	} else {
		rc = cpu_list(cpus, sizeof(cpus));
		if (rc) {
			pthread_mutex_unlock(&eal_lock);
			return rc;
		}
		/* One lcore that may run on every CPU the process may: the library must not
		 * pin the application's thread. */
		snprintf(lcores, sizeof(lcores), "--lcores=0@(%s)", cpus);
		snprintf(prefix, sizeof(prefix), "--file-prefix=vnetif-%d-%u", (int)getpid(),
			 attempt++);
		argv[argc++] = "vnetif";
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-pci";
		argv[argc++] = "-m";
		argv[argc++] = "256";
		argv[argc++] = "--no-telemetry";
		argv[argc++] = "--log-level=lib.eal:warning";
		argv[argc++] = lcores;
		argv[argc++] = prefix;
		argv[argc] = NULL;
	}
	rc = eal_start(argc, argv);
	if (rc == 1) {
		snprintf(eal_runtime_dir, sizeof(eal_runtime_dir), "%s", rte_eal_get_runtime_dir());
		atexit(eal_remove_runtime_dir);
	}
	pthread_mutex_unlock(&eal_lock);
	return rc < 0 ? rc : 0;
}
