/* SPDX-License-Identifier: BSD-3-Clause */
/* ethdev ports: pcap round trip, ring loopback, null under load, link and stats,
 * errors that leave the switch unharmed, DPDK's log left alone unless asked.
 * In-process devices only. */
#define _GNU_SOURCE
#include "ethdev_test.h"

Suite *ethdev_suite(void);

#define NFRAMES 300

/* @n frames of varied length (60..1514) from @src to @dst, payloads by sequence. */
static struct et_frame *make_frames(unsigned n, const uint8_t *dst, const uint8_t *src)
{
	struct et_frame *f = calloc(n, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	for (unsigned i = 0; i < n; i++) {
		f[i].len = (uint16_t)(60 + (i * 97u) % (1514 - 60 + 1));
		vt_fill(f[i].data, f[i].len, dst, src, i);
	}
	return f;
}

static void check_same_frames(const struct et_frame *a, const struct et_frame *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		ck_assert_msg(a[i].len == b[i].len, "frame %u: %u bytes, want %u", i, b[i].len,
			      a[i].len);
		ck_assert_msg(memcmp(a[i].data, b[i].data, a[i].len) == 0, "frame %u differs", i);
	}
}

/* pcap in -> switch -> pcap out, polled by the library's threads or by the test. */
static void pcap_round_trip(enum vnetif_ethdev_poll_mode mode)
{
	char in[128], out[128], da[300], n1[32], n2[32];
	struct et_frame *want = make_frames(NFRAMES, VT_FOREIGN(9), VT_FOREIGN(1));
	struct et_frame *got = calloc(NFRAMES + 1, sizeof(*got));
	struct vnetif_ethdev_config cfg;
	struct vnetif_switch_config swcfg;
	vnetif_ethdev *a, *b;

	/* The application's loop goes with async delivery; the threads with sync. */
	vt_config(&swcfg);
	swcfg.async_readers = mode == VNETIF_ETHDEV_APP_POLL;
	vnetif_switch *sw = vt_switch(&swcfg);
	ck_assert_ptr_nonnull(got);
	vnetif_ethdev_config_init(&cfg);
	cfg.poll_mode = mode;
	et_pcap_write(et_path(in, sizeof(in), "in.pcap"), want, NFRAMES);
	et_path(out, sizeof(out), "out.pcap");
	/* The sink first: nothing is lost while the source starts. */
	snprintf(da, sizeof(da), "%s,tx_pcap=%s", et_name(n2, sizeof(n2), "net_pcap"), out);
	b = et_attach_cfg(sw, da, &cfg);
	snprintf(da, sizeof(da), "%s,rx_pcap=%s", et_name(n1, sizeof(n1), "net_pcap"), in);
	a = et_attach_cfg(sw, da, &cfg);
	ck_assert_str_eq(vnetif_ethdev_name(a), n1);
	ck_assert_str_eq(vnetif_ethdev_name(b), n2);

	if (mode == VNETIF_ETHDEV_APP_POLL) {
		ck_assert(VT_WAIT((vnetif_ethdev_poll(a, 64) >= 0 && vnetif_ethdev_poll(b, 64) >= 0 &&
				   et_stats(b).from_switch == NFRAMES)));
	} else {
		ck_assert_int_eq(vnetif_ethdev_poll(a, 64), -EPERM);
		ck_assert(VT_WAIT(et_stats(b).from_switch == NFRAMES));
	}
	struct vnetif_ethdev_stats sa = et_stats(a), sb = et_stats(b);
	ck_assert_uint_eq(sa.to_switch, NFRAMES);
	ck_assert_uint_eq(sa.dev_ipackets, NFRAMES);
	ck_assert_uint_eq(sb.from_switch, NFRAMES);
	ck_assert_uint_eq(sb.tx_drop_dev_full, 0);
	ck_assert_uint_eq(sb.dev_opackets, NFRAMES);
	struct vnetif_stats pa = vt_stats(vnetif_ethdev_port(a)), pb = vt_stats(vnetif_ethdev_port(b));
	ck_assert_uint_eq(pa.tx_packets, NFRAMES);
	ck_assert_uint_eq(pb.rx_packets, NFRAMES);
	ck_assert_uint_eq(vt_drops(&pa) + vt_drops(&pb), 0);

	et_detach(a);
	et_detach(b); /* closes the dumper: the file is complete */
	ck_assert_int_eq(et_pcap_read(out, got, NFRAMES + 1), NFRAMES);
	check_same_frames(want, got, NFRAMES);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 0);
	vt_teardown(sw);
	free(want);
	free(got);
}

START_TEST(test_pcap_round_trip_thread)
{
	pcap_round_trip(VNETIF_ETHDEV_THREAD);
}
END_TEST

START_TEST(test_pcap_round_trip_app_poll)
{
	pcap_round_trip(VNETIF_ETHDEV_APP_POLL);
}
END_TEST

/* net_ring (one ring, rx = tx): every frame sent to the device comes back. */
START_TEST(test_ring_loopback)
{
	char name[32];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_port *p = vt_connect(sw);
	vnetif_ethdev *e = et_attach(sw, et_name(name, sizeof(name), "net_ring"));
	struct vt_cap *cap = vt_cap_new();
	const unsigned n = 2000;

	ck_assert_int_eq(vnetif_listen(p, vt_cap_listen, cap), 0);
	for (unsigned i = 0; i < n; i++) {
		/* A foreign source: the port's own MAC must not move to the loop. */
		ck_assert_int_eq(vt_write(p, VT_BCAST, VT_FOREIGN(3), 64 + i % 512, i), 0);
		if (i % 256 == 255)
			ck_assert(VT_WAIT(vt_cap_frames(cap) == i + 1));
	}
	ck_assert(VT_WAIT(vt_cap_frames(cap) == n));
	struct vnetif_ethdev_stats st = et_stats(e);
	ck_assert_uint_eq(st.from_switch, n);
	ck_assert_uint_eq(st.to_switch, n);
	ck_assert_uint_eq(st.tx_drop_dev_full, 0);
	ck_assert(vt_frame_ok(cap->rec[5].data, cap->rec[5].len, VT_BCAST, VT_FOREIGN(3), 5));
	et_detach(e);
	ck_assert_int_eq(vnetif_disconnect(p, 0), 0);
	vt_teardown(sw);
	vt_cap_free(cap);
}
END_TEST

/* A VM's path: vhost-user (net_vhost, on switch 1) and a virtio-user client (on switch
 * 2) in one process; two switches, so the pair is no loop. */
START_TEST(test_vhost_virtio_user)
{
	char sock[128], da[300], n1[32], n2[32];
	vnetif_switch *sw1 = vt_switch(NULL), *sw2 = vt_switch(NULL);
	vnetif_port *p1 = vt_connect(sw1), *p2 = vt_connect(sw2);
	struct vt_cap *cap = vt_cap_new();
	struct vnetif_ethdev_link link;
	const unsigned n = 1000;

	ck_assert_int_eq(vnetif_listen(p2, vt_cap_listen, cap), 0);
	et_path(sock, sizeof(sock), "vm.sock");
	snprintf(da, sizeof(da), "%s,iface=%s", et_name(n1, sizeof(n1), "net_vhost"), sock);
	vnetif_ethdev *host = et_attach(sw1, da);
	snprintf(da, sizeof(da), "%s,path=%s", et_name(n2, sizeof(n2), "net_virtio_user"), sock);
	vnetif_ethdev *guest = et_attach(sw2, da);
	ck_assert(VT_WAIT(vnetif_ethdev_link_get(host, &link) == 0 && link.up));
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(vt_write(p1, VT_BCAST, VT_FOREIGN(6), 60 + i % 1400, i), 0);
		if (i % 128 == 127)
			ck_assert(VT_WAIT(vt_cap_frames(cap) == i + 1));
	}
	ck_assert(VT_WAIT(vt_cap_frames(cap) == n));
	ck_assert(vt_frame_ok(cap->rec[9].data, cap->rec[9].len, VT_BCAST, VT_FOREIGN(6), 9));
	ck_assert_uint_eq(et_stats(host).tx_drop_dev_full, 0);
	ck_assert_uint_eq(et_stats(guest).to_switch, n);
	et_detach(guest);
	et_detach(host);
	ck_assert_int_eq(vnetif_disconnect(p1, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(p2, 0), 0);
	vt_teardown(sw1);
	vt_teardown(sw2);
	vt_cap_free(cap);
}
END_TEST

struct writer {
	vnetif_port *port;
	atomic_bool stop;
	atomic_uint_fast64_t sent;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint32_t seq = 0;

	while (!atomic_load(&w->stop)) {
		if (vt_write(w->port, VT_BCAST, VT_FOREIGN(4), 128, seq++) == 0)
			atomic_fetch_add(&w->sent, 1);
	}
	return NULL;
}

/*
 * net_null receives into a pool of its own (vnetif_ethdev_config::pool): its frames are
 * whatever the mbufs held before, and mbufs the writer thread reuses through a shared
 * pool would be a hand-over ThreadSanitizer cannot see.
 */
static struct rte_mempool *null_pool(struct vnetif_ethdev_config *cfg)
{
	vnetif_ethdev_config_init(cfg);
	cfg->pool = vt_pool_create(2047, 32, RTE_MBUF_DEFAULT_BUF_SIZE);
	return cfg->pool;
}

/* Attach and detach net_null (an endless source and a sink) while a thread floods it:
 * detach is bounded, nothing leaks. */
START_TEST(test_detach_under_traffic)
{
	char name[32];
	struct vnetif_ethdev_config cfg;
	struct rte_mempool *mp = null_pool(&cfg);
	vnetif_switch *sw = vt_switch(NULL);
	struct writer w = {.port = vt_connect(sw)};
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
	for (int round = 0; round < 5; round++) {
		vnetif_ethdev *e = et_attach_cfg(sw, et_name(name, sizeof(name), "net_null"), &cfg);

		ck_assert(VT_WAIT(et_stats(e).from_switch > 1000 && et_stats(e).to_switch > 1000));
		uint64_t t0 = vt_now_ms();
		et_detach(e);
		ck_assert_uint_lt(vt_now_ms() - t0, 1000);
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	ck_assert_uint_gt(atomic_load(&w.sent), 0);
	vt_drain(w.port);
	ck_assert_int_eq(vnetif_disconnect(w.port, 0), 0);
	vt_teardown(sw);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

/* The same with the application's own poll loop, which detaches the device itself
 * (the application's loop is the poller: it detaches, or stops polling first). */
struct app_loop {
	vnetif_ethdev *e;
	atomic_int detach_rc;
	atomic_uint_fast64_t moved;
};

static void *app_loop_main(void *arg)
{
	struct app_loop *l = arg;

	while (atomic_load(&l->moved) < 20000) {
		int rc = vnetif_ethdev_poll(l->e, 64);

		if (rc < 0) {
			atomic_store(&l->detach_rc, rc);
			return NULL;
		}
		atomic_fetch_add(&l->moved, (unsigned)rc);
	}
	atomic_store(&l->detach_rc, vnetif_ethdev_detach(l->e));
	return NULL;
}

START_TEST(test_detach_from_app_loop)
{
	char name[32];
	struct vnetif_ethdev_config cfg;
	struct rte_mempool *mp = null_pool(&cfg);
	vnetif_switch *sw = vt_switch(NULL);
	struct writer w = {.port = vt_connect(sw)};
	struct app_loop l = {.detach_rc = 1};
	pthread_t tw, tl;

	cfg.poll_mode = VNETIF_ETHDEV_APP_POLL;
	l.e = et_attach_cfg(sw, et_name(name, sizeof(name), "net_null"), &cfg);
	et_forget(l.e); /* the loop detaches it */
	ck_assert_int_eq(pthread_create(&tw, NULL, writer_main, &w), 0);
	ck_assert_int_eq(pthread_create(&tl, NULL, app_loop_main, &l), 0);
	pthread_join(tl, NULL);
	ck_assert_int_eq(atomic_load(&l.detach_rc), 0);
	ck_assert_uint_ge(atomic_load(&l.moved), 20000);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, 1);
	atomic_store(&w.stop, true);
	pthread_join(tw, NULL);
	vt_drain(w.port);
	ck_assert_int_eq(vnetif_disconnect(w.port, 0), 0);
	vt_teardown(sw);
	vt_pool_full(mp);
	rte_mempool_free(mp);
}
END_TEST

START_TEST(test_link_and_stats)
{
	char name[32];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_ethdev *e = et_attach(sw, et_name(name, sizeof(name), "net_null"));
	struct vnetif_ethdev_link link;
	struct vnetif_ethdev_stats st;

	ck_assert(VT_WAIT(vnetif_ethdev_link_get(e, &link) == 0 && link.up));
	ck_assert(link.full_duplex);
	ck_assert_uint_gt(link.speed_mbps, 0);
	ck_assert_int_ge(vnetif_ethdev_port_id(e), 0);
	ck_assert_ptr_eq(vnetif_port_switch(vnetif_ethdev_port(e)), sw);
	ck_assert_int_eq(vnetif_ethdev_view_port_id(e), -EINVAL);
	/* null's frames carry garbage source MACs: whatever the switch did, it counted. */
	ck_assert(VT_WAIT(et_stats(e).to_switch > 0));
	ck_assert_int_eq(vnetif_ethdev_stats_get(e, &st), 0);
	ck_assert_uint_ge(st.dev_ipackets, st.to_switch);
	ck_assert_int_eq(vnetif_ethdev_stats_get(NULL, &st), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_stats_get(e, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_link_get(NULL, &link), -EINVAL);
	ck_assert_ptr_null(vnetif_ethdev_port(NULL));
	ck_assert_str_eq(vnetif_ethdev_name(NULL), "");
	et_detach(e);
	vt_teardown(sw);
}
END_TEST

/* Attach (quoting the driver: driver_log) must fail with @want, quoting @why, and
 * change nothing. */
static void expect_fail(vnetif_switch *sw, const char *devargs, int want, const char *why)
{
	vnetif_ethdev *e = (vnetif_ethdev *)(uintptr_t)1;
	unsigned ports = vt_sw_stats(sw).ports;
	struct vnetif_ethdev_config cfg;
	int rc;

	vnetif_ethdev_config_init(&cfg);
	cfg.driver_log = true;
	rc = vnetif_ethdev_attach(sw, devargs, &cfg, &e);

	if (rc == 0)
		vnetif_ethdev_detach(e);
	ck_assert_msg(rc == want, "attach '%s': %d (%s), want %d; %s", devargs, rc,
		      vnetif_strerror(rc), want, vnetif_ethdev_last_error());
	ck_assert_ptr_eq(e, (vnetif_ethdev *)(uintptr_t)1);
	ck_assert_msg(strstr(vnetif_ethdev_last_error(), why) != NULL,
		      "attach '%s': message '%s' lacks '%s'", devargs, vnetif_ethdev_last_error(), why);
	ck_assert_uint_eq(vt_sw_stats(sw).ports, ports);
}

/* The switch still forwards between two fresh ports and its pool is whole. */
static void expect_unharmed(vnetif_switch *sw)
{
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	uint8_t mb[6];
	struct rte_mbuf *m;
	uint8_t buf[100];

	vt_send(a, vt_mac(b, mb), 80, 42);
	m = vt_recv_one(b);
	ck_assert_uint_eq(vt_mbuf_read(m, buf, sizeof(buf)), 80);
	rte_pktmbuf_free(m);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_int_eq(vnetif_disconnect(b, 0), 0);
}

START_TEST(test_errors)
{
	char da[600], path[128], name[32];
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_ethdev *e = NULL;
	struct vnetif_ethdev_config cfg;

	/* arguments */
	ck_assert_int_eq(vnetif_ethdev_attach(NULL, "net_null0", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach(sw, NULL, NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach(sw, "net_null0", NULL, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach((vnetif_switch *)vt_connect(sw), "net_null0", NULL,
					      &e), -EINVAL);
	expect_fail(sw, "", -EINVAL, "empty devargs");
	vnetif_ethdev_config_init(&cfg);
	cfg.burst = 0;
	ck_assert_int_eq(vnetif_ethdev_attach(sw, "net_null0", &cfg, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vnetif_ethdev_last_error(), "burst"));
	cfg.burst = 32;
	cfg.poll_mode = 7;
	ck_assert_int_eq(vnetif_ethdev_attach(sw, "net_null0", &cfg, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_detach(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_poll(NULL, 1), -EINVAL);

	/* unknown driver, bad values */
	expect_fail(sw, "net_nosuchdriver0", -ENODEV, "no bus or driver");
	expect_fail(sw, "nonsense", -ENODEV, "no bus or driver");
	snprintf(da, sizeof(da), "%s,role=bogus", et_name(name, sizeof(name), "net_memif"));
	expect_fail(sw, da, -EINVAL, "Unknown role");
	/* a memif socket that cannot be created: its directory does not exist */
	snprintf(da, sizeof(da), "%s,role=server,socket=%s/no/such/dir/s.sock,socket-abstract=no",
		 et_name(name, sizeof(name), "net_memif"), et_tmpdir());
	expect_fail(sw, da, -EINVAL, "Invalid socket directory");
	/* a stale socket file */
	int fd = open(et_path(path, sizeof(path), "stale.sock"), O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(da, sizeof(da), "%s,role=server,socket=%s,socket-abstract=no",
		 et_name(name, sizeof(name), "net_memif"), path);
	expect_fail(sw, da, -EADDRINUSE, "Address already in use");
	/* a pcap file that does not exist */
	snprintf(da, sizeof(da), "%s,rx_pcap=%s/missing.pcap", et_name(name, sizeof(name),
		 "net_pcap"), et_tmpdir());
	expect_fail(sw, da, -ENOENT, "No such file");

	/* duplicate name; already attached */
	e = et_attach(sw, et_name(name, sizeof(name), "net_null"));
	expect_fail(sw, name, -EEXIST, "exists already");
	vnetif_ethdev *e2 = NULL;
	ck_assert_int_eq(vnetif_ethdev_attach_port(sw, (uint16_t)vnetif_ethdev_port_id(e), NULL,
						   &e2), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vnetif_ethdev_last_error(), "owned"));
	ck_assert_int_eq(vnetif_ethdev_attach_port(sw, RTE_MAX_ETHPORTS - 1, NULL, &e2), -ENODEV);
	et_detach(e);

	/* a device that fails to start: a pcap port whose output directory went away after
	 * its first run (pcap reopens its output file on every start) */
	char sub[160], in[160], out[200];
	struct et_frame *one = make_frames(1, VT_BCAST, VT_FOREIGN(1));
	struct rte_eth_conf conf;
	uint16_t pid;

	snprintf(sub, sizeof(sub), "%s/gone", et_tmpdir());
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	et_pcap_write(et_path(in, sizeof(in), "one.pcap"), one, 1);
	free(one);
	snprintf(out, sizeof(out), "%s/out.pcap", sub);
	snprintf(da, sizeof(da), "%s,rx_pcap=%s,tx_pcap=%s", et_name(name, sizeof(name),
		 "net_pcap"), in, out);
	ck_assert_int_eq(rte_dev_probe(da), 0);
	ck_assert_int_eq(rte_eth_dev_get_port_by_name(name, &pid), 0);
	memset(&conf, 0, sizeof(conf));
	ck_assert_int_eq(rte_eth_dev_configure(pid, 1, 1, &conf), 0);
	ck_assert_int_eq(rte_eth_rx_queue_setup(pid, 0, 64, SOCKET_ID_ANY, NULL,
						vnetif_switch_pool(sw)), 0);
	ck_assert_int_eq(rte_eth_tx_queue_setup(pid, 0, 64, SOCKET_ID_ANY, NULL), 0);
	ck_assert_int_eq(rte_eth_dev_start(pid), 0);
	/* started by the application: attach refuses it */
	ck_assert_int_eq(vnetif_ethdev_attach_port(sw, pid, NULL, &e2), -EBUSY);
	ck_assert_ptr_nonnull(strstr(vnetif_ethdev_last_error(), "stop it"));
	ck_assert_int_eq(rte_eth_dev_stop(pid), 0);
	unlink(out);
	ck_assert_int_eq(rmdir(sub), 0);
	unsigned ports = vt_sw_stats(sw).ports;
	vnetif_ethdev_config_init(&cfg);
	cfg.driver_log = true;
	int rc = vnetif_ethdev_attach_port(sw, pid, &cfg, &e2);
	ck_assert_msg(rc == -EIO, "attach of a device that cannot start: %d", rc);
	ck_assert_msg(strstr(vnetif_ethdev_last_error(), "failed to start") != NULL &&
		      strstr(vnetif_ethdev_last_error(), "Couldn't open") != NULL, "%s",
		      vnetif_ethdev_last_error());
	ck_assert_uint_eq(vt_sw_stats(sw).ports, ports);
	/* the device is the application's again: it can still remove it */
	struct rte_eth_dev_info info;
	ck_assert_int_eq(rte_eth_dev_info_get(pid, &info), 0);
	ck_assert_int_eq(rte_eth_dev_close(pid), 0);
	ck_assert_int_eq(rte_dev_remove(info.device), 0);

	expect_unharmed(sw);
	vt_teardown(sw);
}
END_TEST

/* The DPDK log stays the process's own unless a call asks for driver_log: the driver's
 * line goes to the application's stream, not into the error. */
START_TEST(test_driver_log_opt_in)
{
	char da[300], name[32], *logbuf = NULL;
	size_t loglen = 0;
	vnetif_switch *sw = vt_switch(NULL);
	FILE *mine = open_memstream(&logbuf, &loglen), *before = rte_log_get_stream();
	vnetif_ethdev *e = NULL;
	struct vnetif_ethdev_config cfg;

	ck_assert_ptr_nonnull(mine);
	rte_openlog_stream(mine);
	snprintf(da, sizeof(da), "%s,role=bogus", et_name(name, sizeof(name), "net_memif"));
	ck_assert_int_eq(vnetif_ethdev_attach(sw, da, NULL, &e), -EINVAL);
	ck_assert_ptr_null(strstr(vnetif_ethdev_last_error(), "Unknown role"));
	ck_assert_ptr_nonnull(strstr(vnetif_ethdev_last_error(), "refused"));
	vnetif_ethdev_config_init(&cfg);
	ck_assert(!cfg.driver_log);
	ck_assert_int_eq(vnetif_ethdev_attach(sw, da, &cfg, &e), -EINVAL);
	ck_assert_ptr_null(strstr(vnetif_ethdev_last_error(), "Unknown role"));
	ck_assert_ptr_eq(rte_log_get_stream(), mine);
	/* asked for: quoted, and the application's stream still got the line */
	cfg.driver_log = true;
	ck_assert_int_eq(vnetif_ethdev_attach(sw, da, &cfg, &e), -EINVAL);
	ck_assert_ptr_nonnull(strstr(vnetif_ethdev_last_error(), "Unknown role"));
	ck_assert_ptr_eq(rte_log_get_stream(), mine);
	fflush(mine);
	char *first = strstr(logbuf, "Unknown role");
	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_nonnull(strstr(first + 1, "Unknown role"));
	ck_assert_ptr_nonnull(strstr(strstr(first + 1, "Unknown role") + 1, "Unknown role"));
	rte_openlog_stream(before);
	fclose(mine);
	free(logbuf);
	vt_teardown(sw);
}
END_TEST

Suite *ethdev_suite(void)
{
	Suite *s = suite_create("ethdev");
	TCase *tc = et_tcase("pcap", 60);

	tcase_add_test(tc, test_pcap_round_trip_thread);
	tcase_add_test(tc, test_pcap_round_trip_app_poll);
	suite_add_tcase(s, tc);
	tc = et_tcase("devices", 60);
	tcase_add_test(tc, test_ring_loopback);
	tcase_add_test(tc, test_vhost_virtio_user);
	tcase_add_test(tc, test_detach_under_traffic);
	tcase_add_test(tc, test_detach_from_app_loop);
	tcase_add_test(tc, test_link_and_stats);
	suite_add_tcase(s, tc);
	tc = et_tcase("errors", 60);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_driver_log_opt_in);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(ethdev_suite());
}
