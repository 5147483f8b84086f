/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports (vnetif_ethdev_attach_vhost()): the path checks, and traffic with
 * DPDK's virtio-user client in the same process (switch 1's vhost port <-> switch 2's
 * virtio-user port), including a client that leaves and a new one that connects to the
 * same port. test_vm.sh does the same with QEMU guests.
 */
#define _GNU_SOURCE
#include "ethdev_test.h"

#include <sys/socket.h>
#include <sys/un.h>

static vnetif_ethdev *vhost(vnetif_switch *sw, const char *path)
{
	vnetif_ethdev *e = NULL;
	int rc = vnetif_ethdev_attach_vhost(sw, path, NULL, &e);

	ck_assert_msg(rc == 0, "attach_vhost %s: %d (%s): %s", path, rc, vnetif_strerror(rc),
		      vnetif_ethdev_last_error());
	return et_track(e);
}

START_TEST(test_path_checks)
{
	vnetif_switch *sw = vt_switch(NULL);
	vnetif_ethdev *e = NULL;
	char p[200], longp[200];

	ck_assert_int_eq(vnetif_ethdev_attach_vhost(NULL, "/tmp/x", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, NULL, NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, "", NULL, &e), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, "/tmp/x", NULL, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, "/nonexistent-dir/v.sock", NULL, &e),
			 -ENOENT);
	ck_assert_str_ne(vnetif_ethdev_last_error(), "");
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, et_path(p, sizeof(p), "a,b"), NULL, &e),
			 -EINVAL);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, longp, NULL, &e), -ENAMETOOLONG);
	/* A regular file is not overwritten. */
	et_path(p, sizeof(p), "file");
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, p, NULL, &e), -EEXIST);
	ck_assert_int_eq(access(p, F_OK), 0);
	ck_assert_int_eq(vt_sw_stats(sw).ports, 0);

	/* A stale socket (bound, nobody listening) is replaced. */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	et_path(sa.sun_path, sizeof(sa.sun_path), "stale.sock");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	vnetif_ethdev *v = vhost(sw, sa.sun_path);
	/* A live server there is refused; the first port is untouched. */
	ck_assert_int_eq(vnetif_ethdev_attach_vhost(sw, sa.sun_path, NULL, &e), -EADDRINUSE);
	ck_assert_int_eq(vt_sw_stats(sw).ports, 1);
	et_detach(v);
	vt_teardown(sw);
}
END_TEST

/* Frames of @seq0..@seq0+@n-1 that @to received (others are freed). */
static unsigned receive(vnetif_port *to, uint32_t seq0, unsigned n)
{
	struct rte_mbuf *pkts[32];
	unsigned got = 0;
	int k;

	while ((k = vnetif_rx_burst(to, pkts, 32)) > 0) {
		for (int i = 0; i < k; i++) {
			uint8_t buf[256];
			size_t len = vt_mbuf_read(pkts[i], buf, sizeof(buf));
			uint32_t s = vt_seq(buf, len);

			got += s >= seq0 && s < seq0 + n;
		}
		rte_pktmbuf_free_bulk(pkts, (unsigned)k);
	}
	return got;
}

/* Send @n frames from @from (to a MAC nobody has: flooded), 32 at a time, each batch
 * once the previous one arrived (no ring or descriptor queue can overflow, whatever the
 * load); how many @to got. */
static unsigned through_wait(vnetif_port *from, vnetif_port *to, unsigned n, uint32_t seq0,
			     unsigned wait_ms)
{
	unsigned got = 0, sent = 0;

	while (sent < n) {
		unsigned batch = RTE_MIN(32u, n - sent);
		uint64_t deadline = vt_now_ms() + wait_ms;

		for (unsigned i = 0; i < batch; i++)
			vt_send(from, VT_FOREIGN(9), 128, seq0 + sent + i);
		sent += batch;
		while (got < sent && vt_now_ms() < deadline) {
			unsigned k = receive(to, seq0, n);

			got += k;
			if (!k)
				usleep(100);
		}
		if (got < sent)
			break;
	}
	return got;
}

static unsigned through(vnetif_port *from, vnetif_port *to, unsigned n, uint32_t seq0)
{
	return through_wait(from, to, n, seq0, VT_WAIT_MS);
}

/* Frames cross once the client has negotiated (until then the device refuses them, and
 * counts them); resend every 50 ms until one does. */
static void wait_link(vnetif_port *from, vnetif_port *to)
{
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;

	while (through_wait(from, to, 1, 0, 50) == 0) {
		if (vt_now_ms() >= deadline) {
			for (unsigned i = 0; i < ET_MAX; i++) {
				struct vnetif_ethdev_stats st;
				if (!et_devs[i] || vnetif_ethdev_stats_get(et_devs[i], &st))
					continue;
				fprintf(stderr, "%s: to_switch %lu from_switch %lu refused %lu "
					"dev in %lu out %lu\n", vnetif_ethdev_name(et_devs[i]),
					st.to_switch, st.from_switch, st.tx_drop_dev_full,
					st.dev_ipackets, st.dev_opackets);
			}
			ck_abort_msg("no frame crossed vhost-user");
		}
	}
	vt_drain(to);
}

START_TEST(test_virtio_user_traffic)
{
	vnetif_switch *sw1 = vt_switch(NULL), *sw2 = vt_switch(NULL);
	char path[160], devargs[220];
	const unsigned n = vt_scale(2000);

	vnetif_port *r1 = vt_connect(sw1), *r2 = vt_connect(sw2);
	et_path(path, sizeof(path), "vm.sock");
	vnetif_ethdev *v = vhost(sw1, path);
	for (int round = 0; round < 2; round++) {
		/* round 1: a new client on the port the first one left */
		snprintf(devargs, sizeof(devargs), "net_virtio_user%d,path=%s,queues=1", round,
			 path);
		vnetif_ethdev *c = et_attach(sw2, devargs);

		wait_link(r1, r2);
		ck_assert_uint_eq(through(r1, r2, n, 1000), n);  /* VM direction: vhost -> client */
		wait_link(r2, r1);
		ck_assert_uint_eq(through(r2, r1, n, 50000), n); /* and back */
		et_detach(c); /* the client leaves: the vhost port stays */
		ck_assert_int_eq(vt_sw_stats(sw1).ports, 2);
	}
	/* What the device refused while no client was there is counted, not lost. */
	struct vnetif_ethdev_stats st = et_stats(v);
	ck_assert_uint_ge(st.from_switch, 2 * n);
	et_detach(v);
	vt_drain(r1);
	vt_drain(r2);
	vt_teardown(sw1);
	vt_teardown(sw2);
}
END_TEST

static Suite *vhost_suite(void)
{
	Suite *s = suite_create("vhost");
	TCase *tc = et_tcase("vhost", 120);

	tcase_add_test(tc, test_path_checks);
	tcase_add_test(tc, test_virtio_user_traffic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* virtio-user writes to its socket without MSG_NOSIGNAL: a server that goes away
	 * would kill the process (vnetif-switch ignores SIGPIPE too). */
	signal(SIGPIPE, SIG_IGN);
	return vt_run(vhost_suite());
}
