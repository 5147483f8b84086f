/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL start-up. EAL is process-wide and can start only once, so this is the one place
 * with process-wide state: whether the library started EAL, and the runtime directory
 * to remove at exit.
 *
 * The embedded default (no VNETIF_EAL_ARGS, EAL not started by the application) also
 * chooses hugepages or --no-huge, and removes what crashed processes of the library
 * left behind (see vnetif.h, "EAL", and docs/dpdk-notes.md).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "eal.h"
#include "vnetif.h"

#define EAL_MAX_ARGS 64
/* The embedded default's memory: -m with --no-huge; with hugepages, the free hugepage
 * memory needed to choose them (memory then grows on demand, with no such cap). */
#define EAL_MEM_MB 256
#define EAL_PREFIX "vnetif-"

static pthread_mutex_t eal_lock = PTHREAD_MUTEX_INITIALIZER;
/* Our own rte_eal_init failed. Its half-done work (lcores parsed) makes rte_lcore_count()
 * read as if EAL were up, so after a failure only a successful start counts. */
static bool eal_start_failed;
static char eal_runtime_dir[PATH_MAX];
/* The embedded default's --file-prefix, once it started EAL with it (else ""). */
static char eal_own_prefix[64];

static void hugetlbfs_remove(const char *prefix);

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
	/* The embedded default's hugepage files: EAL keeps the ones still allocated, and
	 * each holds its pages until removed. Mappings stay valid until the process ends. */
	if (eal_own_prefix[0])
		hugetlbfs_remove(eal_own_prefix);
}

/* VNETIF_DEBUG set (non-empty): say what the library chose (eal.h). */
void vnetif_debug(const char *fmt, ...)
{
	const char *env = getenv("VNETIF_DEBUG");
	va_list ap;

	if (!env || !*env)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "vnetif: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* --- crash leftovers ------------------------------------------------------------------ */

/* Where EAL keeps runtime directories: /var/run/dpdk as root, else
 * $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk (as eal_create_runtime_dir() decides). */
static void runtime_base(char *buf, size_t len)
{
	const char *dir = "/var/run", *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() != 0)
		dir = xdg && *xdg ? xdg : "/tmp";
	snprintf(buf, len, "%s/dpdk", dir);
}

/* @name starts with one of the library's own prefixes, vnetif-<pid>-<n>: its pid, and
 * what follows it (a runtime directory: "", a hugepage file: "map_<k>"). */
static bool own_prefix(const char *name, pid_t *pid, const char **rest)
{
	const char *p = name + strlen(EAL_PREFIX);
	long v = 0;

	if (strncmp(name, EAL_PREFIX, strlen(EAL_PREFIX)) != 0 || !isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p) && v < INT_MAX / 10; p++)
		v = v * 10 + (*p - '0');
	if (*p++ != '-' || !isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (v <= 0)
		return false;
	*pid = (pid_t)v;
	*rest = p;
	return true;
}

/* The process of a leftover named @name is gone (ESRCH; EPERM means alive). */
static bool dead_own(const char *name, const char *want_rest)
{
	const char *rest;
	pid_t pid;

	if (!own_prefix(name, &pid, &rest) || pid == getpid())
		return false;
	if (want_rest[0] ? strncmp(rest, want_rest, strlen(want_rest)) != 0 : rest[0] != '\0')
		return false;
	return kill(pid, 0) != 0 && errno == ESRCH;
}

/* A live EAL primary holds a write lock on its config file for its whole life. */
static bool config_locked(const char *dir)
{
	char path[PATH_MAX];
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int fd;
	bool locked;

	if (snprintf(path, sizeof(path), "%s/config", dir) >= (int)sizeof(path))
		return true;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	locked = fcntl(fd, F_GETLK, &lk) != 0 || lk.l_type != F_UNLCK;
	close(fd);
	return locked;
}

/* Remove the runtime directories of the library's own EAL whose process is gone (killed
 * by a signal, it could not remove its own). Never another prefix's, never one whose
 * process exists (also a reused pid: kept) or whose config file is locked. */
static void remove_dead_runtime_dirs(void)
{
	char base[PATH_MAX], dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	runtime_base(base, sizeof(base));
	d = opendir(base);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!dead_own(de->d_name, "") ||
		    snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name) >= (int)sizeof(dir) ||
		    config_locked(dir))
			continue;
		nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		vnetif_debug("EAL: removed %s (its process is gone)", dir);
	}
	closedir(d);
}

/* Remove hugepage files (<prefix>map_<k>) from the hugetlbfs mount @mnt: those of
 * @prefix, or with @prefix NULL those of the library's own dead processes. A file holds
 * its pages until removed. */
static void remove_hugepage_files(const char *mnt, const char *prefix)
{
	char path[PATH_MAX], want[80];
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(mnt);

	if (!d)
		return;
	snprintf(want, sizeof(want), "%smap_", prefix ? prefix : "");
	while ((de = readdir(d)) != NULL) {
		bool match = prefix ? strncmp(de->d_name, want, strlen(want)) == 0
				    : dead_own(de->d_name, "map_");

		if (match && snprintf(path, sizeof(path), "%s/%s", mnt, de->d_name) < (int)sizeof(path) &&
		    unlink(path) == 0)
			n++;
	}
	closedir(d);
	if (n && !prefix)
		vnetif_debug("EAL: removed %u hugepage files of gone processes from %s", n, mnt);
}

/* remove_hugepage_files() in every hugetlbfs mount this process may write. */
static void hugetlbfs_remove(const char *prefix)
{
	struct mntent *m, ment;
	char buf[1024];
	FILE *f = setmntent("/proc/mounts", "r");

	while (f && (m = getmntent_r(f, &ment, buf, sizeof(buf))) != NULL)
		if (strcmp(m->mnt_type, "hugetlbfs") == 0 && access(m->mnt_dir, W_OK) == 0)
			remove_hugepage_files(m->mnt_dir, prefix);
	if (f)
		endmntent(f);
}

/* --- hugepages ------------------------------------------------------------------------ */

/* Free hugepage memory in MB that EAL could use: free pages of each size that a
 * hugetlbfs mount this process may write serves. */
static unsigned long hugepages_free_mb(char *sizes, size_t len)
{
	unsigned long kb[8], default_kb = 0, total_kb = 0;
	unsigned nkb = 0;
	struct mntent *m, ment;
	char line[256], buf[1024];
	FILE *f = fopen("/proc/meminfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Hugepagesize: %lu kB", &default_kb) == 1)
				break;
		fclose(f);
	}
	f = setmntent("/proc/mounts", "r");
	if (!f)
		return 0;
	while (nkb < 8 && (m = getmntent_r(f, &ment, buf, sizeof(buf))) != NULL) {
		unsigned long size = default_kb;
		char *opt = hasmntopt(m, "pagesize");
		char unit = 0;
		bool seen = false;

		if (strcmp(m->mnt_type, "hugetlbfs") != 0 || access(m->mnt_dir, W_OK) != 0)
			continue;
		if (opt && sscanf(opt, "pagesize=%lu%c", &size, &unit) >= 1)
			size *= unit == 'G' ? 1024 * 1024 : unit == 'M' ? 1024 : 1;
		for (unsigned i = 0; i < nkb; i++)
			seen |= kb[i] == size;
		if (size && !seen)
			kb[nkb++] = size;
	}
	endmntent(f);
	sizes[0] = '\0';
	for (unsigned i = 0; i < nkb; i++) {
		unsigned long free_pages = 0;
		size_t off = strlen(sizes);

		snprintf(line, sizeof(line), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages",
			 kb[i]);
		f = fopen(line, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lu", &free_pages) != 1)
			free_pages = 0;
		fclose(f);
		total_kb += free_pages * kb[i];
		snprintf(sizes + off, len - off, "%s%lu x %lu kB", off ? ", " : "", free_pages,
			 kb[i]);
	}
	return total_kb / 1024;
}

static bool eal_running(void)
{
	/* The application (or an earlier call of ours) started it. */
	return !eal_start_failed && rte_lcore_count() > 0;
}

static int eal_start(int argc, char **argv)
{
	if (eal_running())
		return 0;
	if (rte_eal_init(argc, argv) < 0) {
		int err = rte_errno;

		eal_start_failed = true;
		/* rte_eal_init reports EALREADY when it cannot be tried again. */
		return err == EALREADY ? -EALREADY : -(err ? err : EINVAL);
	}
	eal_start_failed = false;
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

/* Buffers of the embedded default's arguments. */
struct default_args {
	char name[40], prefix[64], lcores[600], cpus[512], sizes[256], mem[16];
};

/* The embedded default into argv: its argc, or a negative errno. Removes crash
 * leftovers first. */
static int default_args(char **argv, struct default_args *b)
{
	static unsigned attempt;
	unsigned long free_mb;
	int argc = 0, rc = cpu_list(b->cpus, sizeof(b->cpus));

	if (rc)
		return rc;
	/* One lcore that may run on every CPU the process may: the library must not pin the
	 * application's thread. */
	snprintf(b->lcores, sizeof(b->lcores), "--lcores=0@(%s)", b->cpus);
	snprintf(b->name, sizeof(b->name), EAL_PREFIX "%d-%u", (int)getpid(), attempt++);
	snprintf(b->prefix, sizeof(b->prefix), "--file-prefix=%s", b->name);
	snprintf(b->mem, sizeof(b->mem), "%d", EAL_MEM_MB);
	remove_dead_runtime_dirs();
	hugetlbfs_remove(NULL);
	argv[argc++] = "vnetif";
	argv[argc++] = "--no-pci";
	free_mb = hugepages_free_mb(b->sizes, sizeof(b->sizes));
	if (free_mb >= EAL_MEM_MB) {
		/* Not --huge-unlink: virtio-user (vhost-user) needs the files; and few of
		 * them (vhost-user takes at most 8 memory regions): one file per memseg
		 * list. They are removed at exit, and after a crash by the next start. */
		argv[argc++] = "--single-file-segments";
		vnetif_debug("EAL: hugepages, memory on demand (%lu MB free: %s)", free_mb, b->sizes);
	} else {
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = b->mem;
		vnetif_debug("EAL: --no-huge -m %s (free hugepages: %lu MB%s%s; %d MB needed)", b->mem,
			     free_mb, b->sizes[0] ? ": " : ", no hugetlbfs mount this process may write",
			     b->sizes, EAL_MEM_MB);
	}
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level=lib.eal:warning";
	argv[argc++] = b->lcores;
	argv[argc++] = b->prefix;
	argv[argc] = NULL;
	return argc;
}

int vnetif_eal_ensure(void)
{
	char *argv[EAL_MAX_ARGS], envbuf[1024];
	struct default_args b;
	const char *env = getenv("VNETIF_EAL_ARGS");
	int argc, rc;

	pthread_mutex_lock(&eal_lock);
	if (eal_running()) {
		pthread_mutex_unlock(&eal_lock);
		return 0;
	}
	if (env && *env) {
		snprintf(envbuf, sizeof(envbuf), "%s", env);
		argc = env_args(envbuf, argv);
		vnetif_debug("EAL: VNETIF_EAL_ARGS=%s", env);
	} else {
		argc = default_args(argv, &b);
	}
	if (argc < 0) {
		pthread_mutex_unlock(&eal_lock);
		return argc;
	}
	rc = eal_start(argc, argv);
	if (rc == 1) {
		snprintf(eal_runtime_dir, sizeof(eal_runtime_dir), "%s", rte_eal_get_runtime_dir());
		if (!(env && *env))
			snprintf(eal_own_prefix, sizeof(eal_own_prefix), "%s", b.name);
		atexit(eal_remove_runtime_dir);
	}
	pthread_mutex_unlock(&eal_lock);
	return rc < 0 ? rc : 0;
}
