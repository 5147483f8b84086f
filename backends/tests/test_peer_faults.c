/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer faults: the other end of a port dies or vanishes under traffic, and comes back.
 *   - a memif client (dpdk-testpmd) killed with SIGKILL while it sends, then restarted:
 *     the port comes back both ways;
 *   - a tap interface deleted (ip link del) while the switch sends to it: the switch
 *     counts, the device detaches, nothing leaks;
 *   - vnetif-switch killed with SIGKILL and restarted on the same socket path: a memif
 *     client of it reconnects and its frames flow again.
 * Meanwhile two ordinary ports exchange frames all along: that traffic never stops,
 * and at the end every frame of it was delivered. Every test is bounded (VT_WAIT, child
 * reaping) and uses names made unique by the process id. Skipped (77) without root,
 * /dev/net/tun, ip, dpdk-testpmd or stdbuf.
 */
#define _GNU_SOURCE
#include <net/if.h>

#include "testpmd_test.h"

Suite *peer_faults_suite(void);

static char ip_path[PATH_MAX];

/* --- background traffic between two ports that have nothing to do with the fault -- */

struct background {
	vnetif_switch *sw;
	/* Its own pool: the test's main thread (EAL's main lcore, with a mempool cache) also
	 * writes, and TSan cannot see an mbuf pass from one thread to another through the
	 * switch pool's ring ops (DPDK's uninstrumented library): it would report the
	 * frame copies of the two threads into a reused mbuf as a race. */
	struct rte_mempool *pool;
	vnetif_port *a, *b;
	uint8_t ma[6], mb[6];
	pthread_t t;
	atomic_int stop;
	atomic_uint_fast64_t sent, got, all, errors; /* all: b's frames from anyone */
};

static void bg_listener(vnetif_port *p, const void *f, size_t len, void *arg)
{
	struct background *bg = arg;

	(void)p;
	atomic_fetch_add(&bg->all, 1);
	if (len >= 12 && vt_mac_eq((const uint8_t *)f + 6, bg->ma))
		atomic_fetch_add(&bg->got, 1);
}

static void *bg_main(void *arg)
{
	struct background *bg = arg;
	uint32_t seq = 0;

	while (!atomic_load(&bg->stop)) {
		struct rte_mbuf *m = vt_mbuf_try(bg->pool, bg->mb, bg->ma, (uint16_t)(60 + seq % 500), seq);

		if (m != NULL && vnetif_tx_burst(bg->a, &m, 1) == 1)
			atomic_fetch_add(&bg->sent, 1);
		else if (m != NULL) {
			rte_pktmbuf_free(m);
			atomic_fetch_add(&bg->errors, 1);
		}
		if (++seq % 16 == 0)
			usleep(100);
	}
	return NULL;
}

static void bg_start(struct background *bg, vnetif_switch *sw)
{
	memset(bg, 0, sizeof(*bg));
	bg->sw = sw;
	bg->pool = vt_pool_create(1023, 0, RTE_MBUF_DEFAULT_BUF_SIZE);
	bg->a = vt_connect(sw);
	bg->b = vt_connect(sw);
	vt_mac(bg->a, bg->ma);
	vt_mac(bg->b, bg->mb);
	ck_assert_int_eq(vnetif_listen(bg->b, bg_listener, bg), 0);
	ck_assert_int_eq(pthread_create(&bg->t, NULL, bg_main, bg), 0);
}

/* The background traffic moves on (it never stopped for long). */
static void bg_moving(struct background *bg, const char *when)
{
	uint64_t before = atomic_load(&bg->got);

	ck_assert_msg(VT_WAIT(atomic_load(&bg->got) > before + 100),
		      "background traffic stalled %s", when);
}

/* Stop it: every frame written was delivered (sync mode, a listener: exact). */
static void bg_stop(struct background *bg)
{
	atomic_store(&bg->stop, 1);
	pthread_join(bg->t, NULL);
	ck_assert_uint_eq(atomic_load(&bg->errors), 0);
	ck_assert_uint_gt(atomic_load(&bg->sent), 0);
	ck_assert_uint_eq(atomic_load(&bg->got), atomic_load(&bg->sent));
	struct vnetif_stats sb = vt_stats(bg->b);
	ck_assert_uint_eq(sb.rx_packets, atomic_load(&bg->all));
	ck_assert_uint_eq(vt_drops(&sb), 0);
	ck_assert_int_eq(vnetif_disconnect(bg->a, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(bg->b, 0), 0);
	vt_pool_full(bg->pool);
	rte_mempool_free(bg->pool);
}

/* --- testpmd ---------------------------------------------------------------------- */

/* Start testpmd as a memif client of @sock, with EAL prefix vnetif-pf-<pid>-<n>. */
static void pf_testpmd(struct et_child *c, const char *sock, unsigned n)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "vnetif-pf-%d-%u", (int)getpid(), n);
	tp_start(c, sock, prefix);
}

static bool link_up(vnetif_ethdev *e)
{
	struct vnetif_ethdev_link l;

	return vnetif_ethdev_link_get(e, &l) == 0 && l.up;
}

/* Frames the switch writes to the memif port reach testpmd (rxonly): exactly @n. */
static void tp_receives(struct et_child *c, vnetif_port *from, const uint8_t *to, unsigned n)
{
	long long rx, tx;
	uint8_t src[6];

	vt_mac(from, src);
	tp_run(c, "clear port stats all");
	tp_run(c, "set fwd rxonly");
	tp_run(c, "start");
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(vt_write(from, to, src, 60 + i % 100, i), 0);
		if (i % 128 == 127) /* memif's ring holds 1024: stay well below */
			ck_assert_msg(VT_WAIT((tp_stats(c, &rx, &tx), rx == (long long)i + 1)),
				      "testpmd got %lld of %u", rx, i + 1);
	}
	ck_assert_msg(VT_WAIT((tp_stats(c, &rx, &tx), rx == (long long)n)), "testpmd got %lld of %u",
		      rx, n);
	tp_run(c, "stop");
}

START_TEST(test_memif_client_killed_and_restarted)
{
	char sock[128], da[300];
	struct vnetif_switch_config cfg;
	struct background bg;
	struct et_child *c = calloc(1, sizeof(*c));
	long long rx, tx;

	ck_assert_ptr_nonnull(c);
	vt_config(&cfg);
	vnetif_switch *sw = vt_switch(&cfg);
	bg_start(&bg, sw);
	vnetif_port *w = vt_connect(sw); /* writes to testpmd */
	et_path(sock, sizeof(sock), "pf.sock");
	snprintf(da, sizeof(da), "net_memif_pf%d,role=server,socket=%s,socket-abstract=no",
		 (int)getpid() % 100000, sock);
	vnetif_ethdev *e = et_attach(sw, da);
	uint8_t emac[6];
	vt_mac(vnetif_ethdev_port(e), emac);

	pf_testpmd(c, sock, 1);
	ck_assert_msg(VT_WAIT(link_up(e)), "memif link never came up");
	tp_receives(c, w, emac, 512);
	/* testpmd sends as fast as it can; kill it in the middle */
	tp_run(c, "set fwd txonly");
	tp_run(c, "start");
	uint64_t t0 = et_stats(e).to_switch;
	ck_assert_msg(VT_WAIT(et_stats(e).to_switch > t0 + 1000), "testpmd sent nothing");
	kill(c->pid, SIGKILL);
	int st = et_reap(c, 10000);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_msg(VT_WAIT(!link_up(e)), "memif link still up after the client died");
	bg_moving(&bg, "after the memif client was killed");
	/* writes toward the dead peer are taken and counted, never block */
	for (unsigned i = 0; i < 2000; i++)
		ck_assert_int_eq(vt_write(w, emac, (uint8_t[6]){0x02, 0x50, 0, 0, 0, 0x77}, 60, i), 0);
	bg_moving(&bg, "while writing to the dead memif peer");

	/* a new client on the same socket: the port works both ways again */
	memset(c, 0, sizeof(*c));
	pf_testpmd(c, sock, 2);
	ck_assert_msg(VT_WAIT(link_up(e)), "memif link did not come back");
	bg_moving(&bg, "after the memif client came back");
	tp_receives(c, w, emac, 512);
	tp_run(c, "clear port stats all");
	uint64_t before = et_stats(e).to_switch;
	tp_run(c, "set fwd txonly");
	tp_run(c, "start");
	usleep(200 * 1000);
	tp_run(c, "stop");
	tp_stats(c, &rx, &tx);
	ck_assert_msg(tx > 100, "testpmd sent only %lld after the restart", tx);
	ck_assert_msg(VT_WAIT(et_stats(e).to_switch == before + (uint64_t)tx),
		      "switch got %" PRIu64 " of the %lld frames testpmd sent",
		      et_stats(e).to_switch - before, tx);

	et_say(c, "quit\n");
	st = et_reap(c, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "testpmd exit %d:\n%s", st,
		      et_tail(c, 1500));
	bg_stop(&bg);
	et_detach(e);
	ck_assert_int_eq(vnetif_disconnect(w, 0), 0);
	vt_teardown(sw);
	free(c);
}
END_TEST

/* --- tap ---------------------------------------------------------------------------- */

struct flood {
	vnetif_port *p;
	atomic_int stop;
	atomic_uint_fast64_t sent, errors;
	pthread_t t;
};

static void *flood_main(void *arg)
{
	struct flood *f = arg;
	uint8_t src[6];
	uint32_t seq = 0;

	vnetif_mac(f->p, src);
	while (!atomic_load(&f->stop)) {
		int rc = vt_write(f->p, VT_BCAST, src, 60 + seq % 1400, seq);

		if (rc == 0)
			atomic_fetch_add(&f->sent, 1);
		else if (rc != -ENOBUFS)
			atomic_fetch_add(&f->errors, 1);
		if (++seq % 32 == 0)
			usleep(200);
	}
	return NULL;
}

START_TEST(test_tap_deleted_under_traffic)
{
	char ifname[IFNAMSIZ], da[128], name[32];
	struct vnetif_ethdev_config ec;
	struct background bg;
	struct flood fl = {0};
	vnetif_switch *sw = vt_switch(NULL);

	bg_start(&bg, sw);
	vnetif_ethdev_config_init(&ec);
	ec.nb_rxd = 256;
	snprintf(ifname, sizeof(ifname), "vpf%d", (int)getpid() % 1000000);
	snprintf(da, sizeof(da), "%s,iface=%s", et_name(name, sizeof(name), "net_tap"), ifname);
	vnetif_ethdev *e = et_attach_cfg(sw, da, &ec);
	ck_assert_int_eq(et_sh("%s link set %s up", ip_path, ifname), 0);
	fl.p = vt_connect(sw);
	ck_assert_int_eq(pthread_create(&fl.t, NULL, flood_main, &fl), 0);
	ck_assert_msg(VT_WAIT(et_stats(e).dev_opackets > 200), "the tap sent nothing");

	ck_assert_int_eq(et_sh("%s link del %s", ip_path, ifname), 0);
	uint64_t from0 = et_stats(e).from_switch;
	/* the switch goes on sending to the device, which fails; nothing stops */
	ck_assert_msg(VT_WAIT(et_stats(e).from_switch > from0 + 500),
		      "the switch stopped handing frames to the deleted tap");
	bg_moving(&bg, "after the tap interface was deleted");
	atomic_store(&fl.stop, 1);
	pthread_join(fl.t, NULL);
	ck_assert_uint_eq(atomic_load(&fl.errors), 0);
	struct vnetif_ethdev_stats es = et_stats(e);
	printf("tap deleted: %" PRIu64 " frames to the device, %" PRIu64 " sent by it, %" PRIu64
	       " refused (tx_drop_dev_full), %" PRIu64 " oerrors\n", es.from_switch,
	       es.dev_opackets, es.tx_drop_dev_full, es.dev_oerrors);
	/* the port's frames: handed to the device or still counted by the switch */
	et_detach(e); /* the interface is gone: stop and close must still work */
	ck_assert_int_ne(et_sh("%s link show %s >/dev/null 2>&1", ip_path, ifname), 0);
	bg_stop(&bg);
	ck_assert_int_eq(vnetif_disconnect(fl.p, 0), 0);
	vt_teardown(sw); /* every mbuf back: none stuck in the dead device */
}
END_TEST

/* --- vnetif-switch killed and restarted ----------------------------------------------- */

/* The "in" count of vnetif-switch's port 0 in its latest counters line, -1 if none. */
static long long vs_in(struct et_child *c)
{
	const char *p = c->log, *last = NULL;

	et_expect(c, et_pos(c), NULL, 50);
	while ((p = strstr(p, " port 0 memif")) != NULL)
		last = p++;
	if (!last || !(last = strstr(last, " in ")))
		return -1;
	return strtoll(last + 4, NULL, 10);
}

static void vs_start(struct et_child *c, const char *sock)
{
	char *argv[] = {VNETIF_SWITCH_BIN, "--memif", (char *)sock, "--interval", "0.1", NULL};
	char rundir[128], prefix[64];

	memset(c, 0, sizeof(*c));
	et_spawn(c, argv);
	snprintf(prefix, sizeof(prefix), "vnetif-%d-0", (int)c->pid);
	et_rundir(rundir, sizeof(rundir), prefix);
	ck_assert_msg(et_expect(c, 0, "switching (", 20000), "vnetif-switch did not start:\n%s",
		      et_tail(c, 1500));
}

START_TEST(test_vnetif_switch_killed_and_restarted)
{
	char sock[128], da[300];
	struct background bg;
	struct et_child *c = calloc(1, sizeof(*c));
	vnetif_switch *sw = vt_switch(NULL);

	ck_assert_ptr_nonnull(c);
	bg_start(&bg, sw);
	et_path(sock, sizeof(sock), "vs.sock");
	vs_start(c, sock);
	snprintf(da, sizeof(da), "net_memif_vc%d,role=client,socket=%s,socket-abstract=no",
		 (int)getpid() % 100000, sock);
	vnetif_ethdev *e = et_attach(sw, da);
	vnetif_port *w = vt_connect(sw);
	uint8_t src[6];
	vt_mac(w, src);
	ck_assert_msg(VT_WAIT(link_up(e)), "memif link to vnetif-switch never came up");
	for (unsigned i = 0; i < 300; i++)
		ck_assert_int_eq(vt_write(w, VT_BCAST, src, 100, i), 0);
	ck_assert_msg(VT_WAIT(vs_in(c) == 300), "vnetif-switch got %lld of 300:\n%s", vs_in(c),
		      et_tail(c, 600));

	kill(c->pid, SIGKILL);
	int st = et_reap(c, 10000);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_msg(VT_WAIT(!link_up(e)), "memif link still up after vnetif-switch died");
	for (unsigned i = 0; i < 300; i++) /* into the void: taken and counted */
		ck_assert_int_eq(vt_write(w, VT_BCAST, src, 100, i), 0);
	bg_moving(&bg, "after vnetif-switch was killed");
	ck_assert_int_eq(access(sock, F_OK), 0); /* the dead server's socket file is left */

	vs_start(c, sock); /* same path: it removes the stale socket */
	ck_assert_ptr_nonnull(strstr(c->log, "removed stale socket"));
	/* DPDK's memif client connects when its port starts and does not retry once the
	 * server is gone: the client's recovery is to restart its port (here: detach and
	 * attach again; in testpmd "port stop 0" / "port start 0"). */
	et_detach(e);
	e = et_attach(sw, da);
	ck_assert_msg(VT_WAIT(link_up(e)), "the client did not connect to the new vnetif-switch");
	bg_moving(&bg, "after vnetif-switch came back");
	ck_assert_msg(VT_WAIT(vs_in(c) >= 0), "no counters from the new vnetif-switch");
	for (unsigned i = 0; i < 300; i++)
		ck_assert_int_eq(vt_write(w, VT_BCAST, src, 100, i), 0);
	ck_assert_msg(VT_WAIT(vs_in(c) == 300), "the new vnetif-switch got %lld of 300:\n%s",
		      vs_in(c), et_tail(c, 600));

	kill(c->pid, SIGTERM);
	st = et_reap(c, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	bg_stop(&bg);
	et_detach(e);
	ck_assert_int_eq(vnetif_disconnect(w, 0), 0);
	vt_teardown(sw);
	free(c);
}
END_TEST

Suite *peer_faults_suite(void)
{
	Suite *s = suite_create("peer_faults");
	TCase *tc = et_tcase("faults", 120);

	tcase_add_test(tc, test_memif_client_killed_and_restarted);
	tcase_add_test(tc, test_tap_deleted_under_traffic);
	tcase_add_test(tc, test_vnetif_switch_killed_and_restarted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0 ||
	    !et_which("ip", ip_path, sizeof(ip_path)) ||
	    !tp_found()) {
		printf("SKIP: needs root, /dev/net/tun, ip, dpdk-testpmd and stdbuf\n");
		return ET_SKIP;
	}
	return vt_run(peer_faults_suite());
}
