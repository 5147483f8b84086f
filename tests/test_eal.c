/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The embedded EAL default, each case in fresh child processes (this process never
 * starts EAL: EAL starts once per process):
 * - crash leftovers: a process killed with SIGKILL leaves its runtime directory; the
 *   next start of the embedded default removes it, and never a live process's, another
 *   prefix's, one whose EAL config is still locked, nor anything when VNETIF_EAL_ARGS
 *   replaces the default;
 * - hugepages when a hugetlbfs mount has 256 MB free, else --no-huge, said with
 *   VNETIF_DEBUG;
 * - after a failed start, EAL does not read as running: no call answers 0 unless EAL
 *   really started;
 * - without hugepages, the default 256 MB hold three default switches, not four.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_eal.h>

#include "vnetif.h"
#include "vnetif_test.h" /* vt_run() only: this process never starts EAL */

Suite *eal_suite(void);

enum child_end { END_KILL, END_WAIT, END_EXIT };

struct child {
	pid_t pid;
	int go;            /* END_WAIT: close to let the child exit */
	char dir[PATH_MAX]; /* its EAL runtime directory */
	int huge;          /* rte_eal_has_hugepages() */
	char log[4096];    /* its stderr (END_EXIT and END_KILL) */
};

/* In the child: start EAL through a switch, report, then end as told. */
static void child_main(int report, int go, int end)
{
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	char msg[PATH_MAX + 16];
	int rc;

	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 1023;
	rc = vnetif_switch_create(&cfg, &sw);
	snprintf(msg, sizeof(msg), "%d %d %s", rc, rc ? 0 : rte_eal_has_hugepages(),
		 rc ? "-" : rte_eal_get_runtime_dir());
	if (write(report, msg, strlen(msg) + 1) < 0)
		_exit(3);
	close(report);
	if (rc)
		_exit(2);
	if (end == END_KILL)
		raise(SIGKILL);
	if (end == END_WAIT) {
		char c;

		while (read(go, &c, 1) > 0)
			;
	}
	vnetif_switch_destroy(sw);
	exit(0); /* atexit: the library removes its runtime directory */
}

/* Fork a child that starts EAL and ends as told; wait for its report. With @env_args,
 * VNETIF_EAL_ARGS is set in the child. */
static void spawn(struct child *c, enum child_end end, const char *env_args)
{
	int rep[2], go[2], err[2];
	char msg[PATH_MAX + 16] = "";
	ssize_t n, got = 0;

	memset(c, 0, sizeof(*c));
	ck_assert(pipe(rep) == 0 && pipe(go) == 0 && pipe(err) == 0);
	fflush(NULL);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		close(rep[0]);
		close(go[1]);
		close(err[0]);
		dup2(err[1], STDERR_FILENO);
		setenv("VNETIF_DEBUG", "1", 1);
		if (env_args)
			setenv("VNETIF_EAL_ARGS", env_args, 1);
		else
			unsetenv("VNETIF_EAL_ARGS");
		child_main(rep[1], go[0], end);
	}
	close(rep[1]);
	close(go[0]);
	close(err[1]);
	while ((n = read(rep[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0)
		got += n;
	close(rep[0]);
	c->go = go[1];
	ck_assert_msg(sscanf(msg, "%*d %d %4095s", &c->huge, c->dir) == 2 && atoi(msg) == 0,
		      "child: '%s'", msg);
	if (end != END_WAIT) {
		int st;

		got = 0;
		while ((n = read(err[0], c->log + got, sizeof(c->log) - 1 - (size_t)got)) > 0)
			got += n;
		ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
		ck_assert_msg(end == END_KILL ? WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL
					      : WIFEXITED(st) && WEXITSTATUS(st) == 0,
			      "child status %d:\n%s", st, c->log);
	}
	close(err[0]);
}

static void reap(struct child *c)
{
	int st;

	close(c->go);
	ck_assert_int_eq(waitpid(c->pid, &st, 0), c->pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void make_dir(char *path, size_t len, const char *base, const char *name, bool config)
{
	char file[PATH_MAX + 16];

	snprintf(path, len, "%s/%s", base, name);
	ck_assert_msg(mkdir(path, 0700) == 0, "mkdir %s: %s", path, strerror(errno));
	if (config) {
		snprintf(file, sizeof(file), "%s/config", path);
		int fd = open(file, O_CREAT | O_WRONLY, 0600);
		ck_assert_int_ge(fd, 0);
		close(fd);
	}
}

/* A directory of files (a look-alike, or an EAL runtime directory) and the directory. */
static void remove_dir(const char *path)
{
	char file[PATH_MAX + 260];
	DIR *d;
	struct dirent *de;

	if (!path[0])
		return;
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		unlink(file);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* The look-alike directories, removed after the test also when it fails. */
static char foreign[PATH_MAX], suffixed[PATH_MAX], locked[PATH_MAX], stale[PATH_MAX];

static void remove_lookalikes(void)
{
	remove_dir(foreign);
	remove_dir(suffixed);
	remove_dir(locked);
	remove_dir(stale);
}

/* Hugepage files of @prefix ("<prefix>map_<k>") in the hugetlbfs mounts. */
static unsigned huge_files(const char *prefix)
{
	char want[128];
	unsigned n = 0;
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");

	snprintf(want, sizeof(want), "%smap_", prefix);
	while (f && (m = getmntent(f)) != NULL) {
		DIR *d = strcmp(m->mnt_type, "hugetlbfs") == 0 ? opendir(m->mnt_dir) : NULL;
		struct dirent *de;

		while (d && (de = readdir(d)) != NULL)
			n += strncmp(de->d_name, want, strlen(want)) == 0;
		if (d)
			closedir(d);
	}
	if (f)
		endmntent(f);
	return n;
}

START_TEST(test_crash_leftovers)
{
	struct child dead, live, other, next;
	char base[PATH_MAX], name[64], lockfile[PATH_MAX + 16];

	/* A live process of the library (started first: a start cleans up). */
	spawn(&live, END_WAIT, NULL);
	ck_assert(exists(live.dir));

	/* A process of the library dies by SIGKILL: its runtime directory (and hugepage
	 * files) stay behind -- until a start of the embedded default, this test's or one
	 * in any other process running this library at the same time (ctest -j): so
	 * what is checked is what is left after our start, not who removed it. */
	spawn(&dead, END_KILL, NULL);
	snprintf(base, sizeof(base), "%s", dead.dir);
	*strrchr(base, '/') = '\0';
	const char *dead_prefix = strrchr(dead.dir, '/') + 1;

	/* Look-alikes of the dead pid: another prefix, a name that is not vnetif-<pid>-<n>,
	 * and one whose EAL config is locked (by this process: a live primary holds it).
	 * A stale one with an unlocked config goes like the real one. */
	snprintf(name, sizeof(name), "vnetiftest-%d-0", (int)dead.pid);
	make_dir(foreign, sizeof(foreign), base, name, false);
	snprintf(name, sizeof(name), "vnetif-%d-0x", (int)dead.pid);
	make_dir(suffixed, sizeof(suffixed), base, name, false);
	snprintf(name, sizeof(name), "vnetif-%d-77", (int)dead.pid);
	make_dir(locked, sizeof(locked), base, name, true);
	snprintf(name, sizeof(name), "vnetif-%d-78", (int)dead.pid);
	make_dir(stale, sizeof(stale), base, name, true);
	snprintf(lockfile, sizeof(lockfile), "%s/config", locked);
	int lfd = open(lockfile, O_RDWR);
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	ck_assert(lfd >= 0 && fcntl(lfd, F_SETLK, &lk) == 0);

	/* VNETIF_EAL_ARGS replaces the default: nothing is cleaned. */
	snprintf(name, sizeof(name), "vnetiftest-args-%d", (int)getpid());
	char args[256];
	snprintf(args, sizeof(args), "--no-huge --no-pci -m 64 --no-telemetry --file-prefix=%s",
		 name);
	spawn(&other, END_EXIT, args);
	ck_assert_msg(strstr(other.log, "EAL: VNETIF_EAL_ARGS=") && !strstr(other.log, "removed"),
		      "VNETIF_EAL_ARGS: %s", other.log);

	/* The next start of the embedded default removes the dead process's directories. */
	spawn(&next, END_EXIT, NULL);
	ck_assert_msg(!exists(dead.dir), "%s still there:\n%s", dead.dir, next.log);
	ck_assert_msg(huge_files(dead_prefix) == 0, "hugepage files of %s still there:\n%s",
		      dead_prefix, next.log);
	ck_assert_msg(!exists(stale), "%s still there", stale);
	ck_assert_msg(exists(live.dir), "a live process's %s was removed", live.dir);
	ck_assert_msg(exists(foreign) && exists(suffixed) && exists(locked),
		      "a directory that is not a dead process's of the library was removed");
	ck_assert_msg(!exists(next.dir), "%s not removed at exit", next.dir);

	reap(&live);
	ck_assert_msg(!exists(live.dir), "%s not removed at exit", live.dir);
	close(lfd);
}
END_TEST

/* Free hugepage MB of the default size behind a hugetlbfs mount this process may write
 * (computed apart from the library's code). */
static unsigned long free_huge_mb(void)
{
	unsigned long free_pages = 0, kb = 0;
	bool mounted = false;
	struct mntent *m;
	char line[256];
	FILE *f = setmntent("/proc/mounts", "r");

	while (f && (m = getmntent(f)) != NULL)
		mounted |= strcmp(m->mnt_type, "hugetlbfs") == 0 && access(m->mnt_dir, W_OK) == 0;
	if (f)
		endmntent(f);
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %lu", &free_pages);
		sscanf(line, "Hugepagesize: %lu kB", &kb);
	}
	if (f)
		fclose(f);
	return mounted ? free_pages * kb / 1024 : 0;
}

START_TEST(test_hugepages_or_not)
{
	struct child c;
	unsigned long free_mb = free_huge_mb();
	bool want = free_mb >= 256;

	spawn(&c, END_EXIT, NULL);
	ck_assert_msg(c.huge == want, "%lu MB of hugepages free: EAL %s hugepages\n%s", free_mb,
		      c.huge ? "uses" : "does not use", c.log);
	ck_assert_msg(strstr(c.log, want ? "vnetif: EAL: hugepages" : "vnetif: EAL: --no-huge"),
		      "VNETIF_DEBUG did not say it:\n%s", c.log);
	/* the default pool order, LIFO, is DPDK's lock-free stack driver, shipped with DPDK */
	ck_assert_msg(strstr(c.log, "mempool driver lf_stack"),
		      "VNETIF_DEBUG did not name the LIFO pool's driver:\n%s", c.log);
	printf("test_hugepages_or_not: %lu MB of hugepages free: %s\n", free_mb,
	       want ? "hugepages" : "--no-huge");
}
END_TEST

/* Run @fn in a forked child, which may write a report to the descriptor it is given: the
 * report into @msg (empty if none), and the child's wait status. */
static int run_child(int (*fn)(int report), char *msg, size_t cap)
{
	int rep[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	ck_assert(pipe(rep) == 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(rep[0]);
		_exit(fn(rep[1]));
	}
	close(rep[1]);
	while (got + 1 < cap && (n = read(rep[0], msg + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	msg[got] = '\0';
	close(rep[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* In a child: EAL refuses the arguments; what the library answers afterwards. Exit 0 when
 * every answer is true, else the number of the first false one. If the retry started EAL,
 * its runtime directory goes to @report, for the parent to remove. */
static int failed_start_child(int report)
{
	char a0[] = "failed-start", a1[] = "--no-such-eal-option";
	char b0[] = "failed-start", b1[] = "--no-huge", b2[] = "-m", b3[] = "64", b4[] = "--no-pci",
	     b5[64];
	char *bad[] = {a0, a1, NULL};
	char *good[] = {b0, b1, b2, b3, b4, b5, NULL};
	struct vnetif_switch_config cfg;
	vnetif_switch *sw;
	vnetif_port *a, *b;
	int rc, devnull = open("/dev/null", O_WRONLY);

	if (devnull >= 0) /* EAL's complaint about the bad option is expected */
		dup2(devnull, STDERR_FILENO);
	snprintf(b5, sizeof(b5), "--file-prefix=vt-failed-start-%d", (int)getpid());
	if (vnetif_eal_init(2, bad) >= 0)
		return 1;
	/* the same bad arguments again: still an error, never "running" */
	if (vnetif_eal_init(2, bad) >= 0)
		return 2;
	/* EAL may accept a retry, or say it cannot be retried: never a false 0 */
	rc = vnetif_eal_init(6, good);
	if (rc != 0 && rc != -EALREADY)
		return 3;
	if (rc == 0 && write(report, rte_eal_get_runtime_dir(),
			     strlen(rte_eal_get_runtime_dir()) + 1) < 0)
		return 8;
	vnetif_switch_config_init(&cfg);
	cfg.pool_size = 511;
	rc = vnetif_switch_create(&cfg, &sw);
	if (rc == -EALREADY)
		return 0;
	if (rc != 0)
		return 4;
	/* 0 was the truth: the switch works */
	if (vnetif_connect(sw, NULL, &a) || vnetif_connect(sw, NULL, &b))
		return 5;
	{
		uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x50, 0, 0, 0, 1};
		struct vnetif_stats st;

		if (vnetif_write(a, frame, sizeof(frame)) || vnetif_stats_get(b, &st) ||
		    st.rx_packets != 1)
			return 6;
	}
	return vnetif_switch_destroy(sw) == 0 ? 0 : 7;
}

START_TEST(test_failed_start_is_not_running)
{
	char dir[PATH_MAX]; /* empty: EAL did not start again */
	int st = run_child(failed_start_child, dir, sizeof(dir));

	remove_dir(dir); /* explicit EAL arguments: the library leaves EAL's directory alone */
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "after a failed EAL start: false answer #%d (status %d)",
		      WIFEXITED(st) ? WEXITSTATUS(st) : -1, st);
}
END_TEST

/* In a child, EAL as the embedded default starts it without hugepages (its arguments in
 * VNETIF_EAL_ARGS, with a file prefix of this process): how many switches with the
 * default config fit, and what the next one answers, to @report. */
static int default_switches_child(int report)
{
	vnetif_switch *sw[8];
	char msg[PATH_MAX + 32], args[128];
	int n = 0, rc = 0;

	/* the embedded default's arguments on a machine without free hugepages */
	snprintf(args, sizeof(args), "--no-huge -m 256 --no-pci --file-prefix=vt-eal3-%d",
		 (int)getpid());
	setenv("VNETIF_EAL_ARGS", args, 1);

	while (n < 8) {
		struct vnetif_switch_config cfg;

		vnetif_switch_config_init(&cfg);
		rc = vnetif_switch_create(&cfg, &sw[n]);
		if (rc)
			break;
		n++;
	}
	snprintf(msg, sizeof(msg), "%d %d %s", n, rc, n > 0 ? rte_eal_get_runtime_dir() : "-");
	if (write(report, msg, strlen(msg) + 1) < 0)
		return 3;
	while (n > 0)
		if (vnetif_switch_destroy(sw[--n]) != 0)
			return 4;
	return 0;
}

/* vnetif.h, "EAL": "256 MB hold three switches with the default pool_size (the fourth
 * fails with -ENOMEM)". */
START_TEST(test_no_huge_default_holds_three_switches)
{
	char msg[PATH_MAX + 32], dir[PATH_MAX] = "";
	int n = -1, rc = 0, st = run_child(default_switches_child, msg, sizeof(msg));

	ck_assert_msg(msg[0] != '\0', "the child reported nothing");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	ck_assert_int_eq(sscanf(msg, "%d %d %4095s", &n, &rc, dir), 3);
	remove_dir(dir); /* VNETIF_EAL_ARGS: the library leaves EAL's directory alone */
	ck_assert_msg(n == 3 && rc == -ENOMEM, "%d switches fit, then %d (%s)", n, rc,
		      vnetif_strerror(rc));
}
END_TEST

Suite *eal_suite(void)
{
	Suite *s = suite_create("eal");
	TCase *tc = tcase_create("embedded_default");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, NULL, remove_lookalikes);
	tcase_add_test(tc, test_crash_leftovers);
	tcase_add_test(tc, test_hugepages_or_not);
	tcase_add_test(tc, test_failed_start_is_not_running);
	tcase_add_test(tc, test_no_huge_default_holds_three_switches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(eal_suite());
}
