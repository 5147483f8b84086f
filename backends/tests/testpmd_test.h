/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk-testpmd (Debian package dpdk) as a memif client of a switch, in its own process,
 * driven over stdin in interactive mode: start it, run a command, read its port
 * counters. Builds on ethdev_test.h (child processes, runtime directories).
 */
#ifndef TESTPMD_TEST_H
#define TESTPMD_TEST_H

#include "ethdev_test.h"

#define TP_PROMPT "testpmd> "

static char tp_testpmd_path[PATH_MAX], tp_stdbuf_path[PATH_MAX];

/* True if dpdk-testpmd and stdbuf (coreutils) are on the PATH; call before tp_start(). */
static inline bool tp_found(void)
{
	return et_which("dpdk-testpmd", tp_testpmd_path, sizeof(tp_testpmd_path)) &&
	       et_which("stdbuf", tp_stdbuf_path, sizeof(tp_stdbuf_path));
}

/* Start testpmd as a memif client of the socket file @sock, with EAL file prefix
 * @prefix (unique: its runtime directory is removed by et_cleanup()); waits for its
 * prompt. */
static inline void tp_start(struct et_child *c, const char *sock, const char *prefix)
{
	char file_prefix[96], vdev[300], rundir[128];

	snprintf(file_prefix, sizeof(file_prefix), "--file-prefix=%s", prefix);
	et_rundir(rundir, sizeof(rundir), prefix);
	snprintf(vdev, sizeof(vdev), "--vdev=net_memif0,role=client,socket=%s,socket-abstract=no",
		 sock);
	/* stdbuf: testpmd's printf output is block-buffered on a pipe */
	char *argv[] = {tp_stdbuf_path, "-oL", tp_testpmd_path, "-l", "0-1", "--no-huge",
			"-m", "512", "--no-pci", file_prefix, vdev, "--log-level=lib.eal:warning",
			"--", "-i", "--total-num-mbufs=16384", "--port-topology=loop", NULL};
	et_spawn(c, argv);
	ck_assert_msg(et_expect(c, 0, TP_PROMPT, 20000), "testpmd did not start:\n%s",
		      et_tail(c, 1500));
}

/* Run @cmd and wait for the prompt after it; the offset where its output starts. */
static inline size_t tp_run(struct et_child *c, const char *cmd)
{
	size_t from = et_pos(c);
	char line[128];

	snprintf(line, sizeof(line), "%s\n", cmd);
	et_say(c, line);
	ck_assert_msg(et_expect(c, from, TP_PROMPT, 10000), "testpmd: no prompt after '%s':\n%s",
		      cmd, et_tail(c, 1500));
	return from;
}

/* The number after @key in the child's output after offset @from (-1 if absent). */
static inline long long tp_number(const struct et_child *c, size_t from, const char *key)
{
	const char *p = strstr(et_since(c, from), key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* testpmd's port 0 counters ("show port stats 0"). */
static inline void tp_stats(struct et_child *c, long long *rx, long long *tx)
{
	size_t from = tp_run(c, "show port stats 0");

	*rx = tp_number(c, from, "RX-packets:");
	*tx = tp_number(c, from, "TX-packets:");
	ck_assert_msg(*rx >= 0 && *tx >= 0, "cannot read testpmd's stats:\n%s", et_tail(c, 1500));
}

#endif /* TESTPMD_TEST_H */
