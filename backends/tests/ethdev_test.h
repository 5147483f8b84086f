/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the ethdev suites: attach/detach with cleanup, a scratch directory,
 * pcap files, child processes (testpmd, vnetif-switch) driven over pipes.
 * Builds on tests/vnetif_test.h.
 */
#ifndef ETHDEV_TEST_H
#define ETHDEV_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include "vnetif_ethdev.h"
#include "vnetif_test.h"

/* ctest reports a suite that exits with this as skipped (SKIP_RETURN_CODE). */
#define ET_SKIP 77

/* --- attachments, cleaned up after each test ------------------------------------- */

#define ET_MAX 16
static vnetif_ethdev *et_devs[ET_MAX];

/* Remember attachment @e for the fixture's teardown; returns it. */
static inline vnetif_ethdev *et_track(vnetif_ethdev *e)
{
	for (unsigned i = 0; i < ET_MAX; i++) {
		if (!et_devs[i]) {
			et_devs[i] = e;
			return e;
		}
	}
	ck_abort_msg("too many attachments");
	return NULL;
}

static inline vnetif_ethdev *et_attach_cfg(vnetif_switch *sw, const char *devargs,
					   const struct vnetif_ethdev_config *cfg)
{
	vnetif_ethdev *e = NULL;
	int rc = vnetif_ethdev_attach(sw, devargs, cfg, &e);

	ck_assert_msg(rc == 0, "attach %s: %d (%s): %s", devargs, rc, vnetif_strerror(rc),
		      vnetif_ethdev_last_error());
	return et_track(e);
}

static inline vnetif_ethdev *et_attach(vnetif_switch *sw, const char *devargs)
{
	return et_attach_cfg(sw, devargs, NULL);
}

static inline void et_forget(vnetif_ethdev *e)
{
	for (unsigned i = 0; i < ET_MAX; i++)
		if (et_devs[i] == e)
			et_devs[i] = NULL;
}

static inline void et_detach(vnetif_ethdev *e)
{
	int rc = vnetif_ethdev_detach(e);

	ck_assert_msg(rc == 0, "detach: %d (%s): %s", rc, vnetif_strerror(rc),
		      vnetif_ethdev_last_error());
	et_forget(e);
}

static inline struct vnetif_ethdev_stats et_stats(const vnetif_ethdev *e)
{
	struct vnetif_ethdev_stats st;

	ck_assert_int_eq(vnetif_ethdev_stats_get(e, &st), 0);
	return st;
}

/* --- scratch directory ----------------------------------------------------------- */

static char et_dir[64];

static inline int et_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void et_rmtree(const char *path)
{
	nftw(path, et_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* A fresh directory for this test's files; removed by et_cleanup(). */
static inline const char *et_tmpdir(void)
{
	if (!et_dir[0]) {
		snprintf(et_dir, sizeof(et_dir), "/tmp/vnetif-eth-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(et_dir));
	}
	return et_dir;
}

/* et_tmpdir()/@name in @buf. */
static inline const char *et_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", et_tmpdir(), name);
	return buf;
}

static inline void et_kill_children(void);

/* Checked-fixture teardown: kill children a failed test left, detach, remove files and
 * runtime directories, destroy switches. */
static inline void et_cleanup(void)
{
	et_kill_children();
	for (unsigned i = 0; i < ET_MAX; i++) {
		if (et_devs[i]) {
			vnetif_ethdev_detach(et_devs[i]);
			et_devs[i] = NULL;
		}
	}
	if (et_dir[0]) {
		et_rmtree(et_dir);
		et_dir[0] = '\0';
	}
	vt_cleanup();
}

static inline TCase *et_tcase(const char *name, int timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, et_cleanup);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

/* A device name unique in the process: @drv followed by a number. */
static inline const char *et_name(char *buf, size_t len, const char *drv)
{
	static unsigned seq;

	snprintf(buf, len, "%s%u", drv, seq++);
	return buf;
}

/* --- pcap files ------------------------------------------------------------------ */

struct et_frame {
	uint16_t len;
	uint8_t data[VT_FRAME_MAX];
};

/* Write @n frames as a classic pcap file (microseconds, Ethernet). */
static inline void et_pcap_write(const char *path, const struct et_frame *f, unsigned n)
{
	uint32_t hdr[6] = {0xa1b2c3d4u, 2u | 4u << 16, 0, 0, 65535, 1};
	FILE *fp = fopen(path, "wb");

	ck_assert_msg(fp != NULL, "cannot write %s", path);
	fwrite(hdr, sizeof(hdr), 1, fp);
	for (unsigned i = 0; i < n; i++) {
		uint32_t rec[4] = {1700000000u + i, i, f[i].len, f[i].len};

		fwrite(rec, sizeof(rec), 1, fp);
		fwrite(f[i].data, f[i].len, 1, fp);
	}
	ck_assert_int_eq(fclose(fp), 0);
}

/* Read up to @max frames of a pcap file (either timestamp precision); the count, or -1
 * if the file is not a little-endian Ethernet pcap. */
static inline int et_pcap_read(const char *path, struct et_frame *f, unsigned max)
{
	uint32_t hdr[6], rec[4];
	FILE *fp = fopen(path, "rb");
	unsigned n = 0;

	if (!fp)
		return -1;
	if (fread(hdr, sizeof(hdr), 1, fp) != 1 ||
	    (hdr[0] != 0xa1b2c3d4u && hdr[0] != 0xa1b23c4du) || hdr[5] != 1) {
		fclose(fp);
		return -1;
	}
	while (n < max && fread(rec, sizeof(rec), 1, fp) == 1) {
		if (rec[2] > VT_FRAME_MAX || rec[2] != rec[3] ||
		    fread(f[n].data, rec[2], 1, fp) != 1) {
			fclose(fp);
			return -1;
		}
		f[n++].len = (uint16_t)rec[2];
	}
	fclose(fp);
	return (int)n;
}

/* The Internet checksum of @len bytes. */
static inline uint16_t et_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* --- child processes ------------------------------------------------------------- */

struct et_child {
	pid_t pid;
	int in;   /* its stdin (write end), -1 if closed */
	int out;  /* its stdout and stderr (read end) */
	char log[65536]; /* what it printed, the oldest dropped when full */
	size_t len;      /* bytes in log */
	size_t base;     /* how many bytes were dropped: log[0] is output byte @base */
	bool exited;     /* reaped: status is valid */
	int status;
};

/* True once the child has exited (reaps it, without blocking). */
static inline bool et_exited(struct et_child *c)
{
	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = true;
	return c->exited;
}

/* Run a shell command (printf-style); its exit status, -1 if it did not exit. */
static inline int et_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int et_sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#define ET_MAX_CHILDREN 4
static struct et_child *et_children[ET_MAX_CHILDREN];
static char et_rundirs[ET_MAX_CHILDREN][128];

/* The EAL runtime directory of a DPDK process with --file-prefix=@prefix; removed by
 * et_cleanup(). */
static inline const char *et_rundir(char *buf, size_t len, const char *prefix)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(buf, len, "/var/run/dpdk/%s", prefix);
	else
		snprintf(buf, len, "%s/dpdk/%s", xdg ? xdg : "/tmp", prefix);
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		if (!et_rundirs[i][0]) {
			snprintf(et_rundirs[i], sizeof(et_rundirs[i]), "%s", buf);
			break;
		}
	}
	return buf;
}

/* Start @argv[0] (a path) with stdin and stdout/stderr on pipes; et_cleanup() kills it
 * if the test does not reap it. */
static inline void et_spawn(struct et_child *c, char *const argv[])
{
	int in[2], out[2];

	memset(c, 0, sizeof(*c));
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		if (!et_children[i]) {
			et_children[i] = c;
			break;
		}
	}
	c->in = in[1];
	c->out = out[0];
	fcntl(c->out, F_SETFL, O_NONBLOCK);
}

/* Positions in the output are absolute: et_pos() is where the next byte will be. */
static inline size_t et_pos(const struct et_child *c)
{
	return c->base + c->len;
}

/* The output from absolute position @from on (or what is left of it). */
static inline const char *et_since(const struct et_child *c, size_t from)
{
	return c->log + (from > c->base ? from - c->base : 0);
}

/* One read() of the child's output; drops the older half of the log when it is full.
 * What read() returned. */
static inline ssize_t et_read_some(struct et_child *c)
{
	if (sizeof(c->log) - 1 - c->len < 4096) {
		size_t half = c->len / 2;

		memmove(c->log, c->log + half, c->len - half);
		c->base += half;
		c->len -= half;
	}
	ssize_t n = read(c->out, c->log + c->len, sizeof(c->log) - 1 - c->len);
	if (n > 0)
		c->len += (size_t)n;
	c->log[c->len] = '\0';
	return n;
}

/* Read what the child printed for up to @ms milliseconds, or until @needle appears in
 * the output after absolute position @from. True if it appeared. */
static inline bool et_expect(struct et_child *c, size_t from, const char *needle, unsigned ms)
{
	uint64_t deadline = vt_now_ms() + ms;

	for (;;) {
		if (needle && strstr(et_since(c, from), needle))
			return true;
		uint64_t now = vt_now_ms();
		if (now >= deadline)
			return false;
		struct pollfd p = {.fd = c->out, .events = POLLIN};
		if (poll(&p, 1, (int)(deadline - now)) <= 0)
			continue;
		if (et_read_some(c) == 0)
			return needle && strstr(et_since(c, from), needle); /* EOF */
	}
}

/* The last @n characters the child printed (failure messages must stay short). */
static inline const char *et_tail(const struct et_child *c, size_t n)
{
	return c->log + (c->len > n ? c->len - n : 0);
}

/* Send a line to the child's stdin. */
static inline void et_say(struct et_child *c, const char *line)
{
	size_t len = strlen(line);

	ck_assert_msg(write(c->in, line, len) == (ssize_t)len, "write to child failed");
}

/* Wait for the child to exit (at most @ms, then SIGKILL); its exit status as
 * waitpid() gives it. */
static inline int et_reap(struct et_child *c, unsigned ms)
{
	uint64_t deadline = vt_now_ms() + ms;

	if (c->in >= 0) {
		close(c->in);
		c->in = -1;
	}
	while (!et_exited(c)) {
		if (vt_now_ms() >= deadline) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &c->status, 0);
			c->exited = true;
			break;
		}
		et_expect(c, et_pos(c), NULL, 20);
	}
	/* The child is gone: read what is left up to EOF (grandchildren holding the pipe
	 * are not waited for). */
	for (;;) {
		struct pollfd p = {.fd = c->out, .events = POLLIN};

		if (poll(&p, 1, 100) <= 0 || et_read_some(c) <= 0)
			break;
	}
	close(c->out);
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++)
		if (et_children[i] == c)
			et_children[i] = NULL;
	return c->status;
}

static inline void et_kill_children(void)
{
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		struct et_child *c = et_children[i];

		if (c) {
			kill(c->pid, SIGKILL);
			et_reap(c, 5000);
		}
	}
	for (unsigned i = 0; i < ET_MAX_CHILDREN; i++) {
		if (et_rundirs[i][0]) {
			et_rmtree(et_rundirs[i]);
			et_rundirs[i][0] = '\0';
		}
	}
}

/* Path of an executable in PATH (or absolute), or NULL. */
static inline const char *et_which(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? name : NULL;
	if (!path)
		path = "/usr/bin:/bin:/usr/sbin:/sbin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, len, "%.*s/%s", (int)n, path, name);
		if (access(buf, X_OK) == 0)
			return buf;
		path += n + (path[n] == ':');
	}
	return NULL;
}

#endif /* ETHDEV_TEST_H */
