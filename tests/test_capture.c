/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture: pcapng that tshark reads, one interface per port in connect order (ports that
 * connect later included), direction flags, snap length, the order the switch moved the
 * frames, a port-only capture, streaming into a pipe, start/stop while running, errors.
 */
#include <fcntl.h>
#include <signal.h>

#include "vnetif_test.h"

Suite *capture_suite(void);

#define LINE_MAX_ 512

static int tmp_fd(char *path)
{
	int fd;

	strcpy(path, "/tmp/vnetif-capXXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Run tshark on @path and read one line per frame: "ifid len caplen dir seq". */
struct row {
	unsigned ifid, len, caplen, dir;
	double epoch;
	char ifname[32];
	uint32_t seq;
};

static unsigned tshark(const char *path, struct row *rows, unsigned max)
{
	char cmd[512], line[LINE_MAX_];
	unsigned n = 0;
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -T fields -E separator=' ' -e frame.interface_id "
		 "-e frame.len -e frame.cap_len -e frame.packet_flags_direction -e frame.time_epoch "
		 "-e frame.interface_name -e data.data 2>/dev/null",
		 path);
	f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "cannot run tshark");
	while (fgets(line, sizeof(line), f) != NULL && n < max) {
		struct row *r = &rows[n];
		char data[LINE_MAX_] = "";
		unsigned dir = 0;

		ck_assert_msg(sscanf(line, "%u %u %u %x %lf %31s %511s", &r->ifid, &r->len, &r->caplen,
				     &dir, &r->epoch, r->ifname, data) >= 6,
			      "tshark line: %s", line);
		r->dir = dir;
		/* payload after the ethertype starts with the 32-bit sequence number */
		r->seq = (uint32_t)strtoul(strlen(data) >= 8 ? (data[8] = '\0', data) : "0", NULL, 16);
		n++;
	}
	st = pclose(f);
	ck_assert_msg(st == 0, "tshark failed (%d): is it installed? (Debian package tshark)", st);
	return n;
}

static vnetif_switch *sw_make(void)
{
	struct vnetif_switch_config cfg;

	vt_config(&cfg);
	cfg.name = "capsw";
	return vt_switch(&cfg);
}

START_TEST(test_switch_capture_interfaces_order_direction)
{
	vnetif_switch *sw = sw_make();
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw), *c;
	struct row rows[32];
	vnetif_capture *cap = NULL;
	char path[64];
	uint8_t ma[6], mb[6], mc[6];
	int fd = tmp_fd(path);
	unsigned n;

	ck_assert_int_eq(vnetif_capture_start(sw, NULL, fd, NULL, &cap), 0);
	vt_send(a, vt_mac(b, mb), 60, 1);
	vt_send(b, vt_mac(a, ma), 70, 2);
	c = vt_connect(sw); /* joins the running capture as interface 2 */
	vt_send(c, vt_mac(a, ma), 80, 3);
	vt_send(a, vt_mac(c, mc), 90, 4);
	ck_assert_int_eq(vnetif_capture_stop(cap), 8);
	vt_send(a, mb, 60, 5); /* not recorded */
	close(fd);

	n = tshark(path, rows, 32);
	ck_assert_uint_eq(n, 8);
	/* each frame: outbound on its sender, then inbound on its receiver */
	const unsigned ifid[8] = {0, 1, 1, 0, 2, 0, 0, 2};
	const unsigned dir[8] = {2, 1, 2, 1, 2, 1, 2, 1};
	const unsigned seq[8] = {1, 1, 2, 2, 3, 3, 4, 4};
	for (unsigned i = 0; i < n; i++) {
		ck_assert_msg(rows[i].ifid == ifid[i], "frame %u on interface %u", i, rows[i].ifid);
		ck_assert_uint_eq(rows[i].dir, dir[i]);
		ck_assert_uint_eq(rows[i].seq, seq[i]);
		ck_assert_uint_eq(rows[i].len, 60 + 10 * (seq[i] - 1));
		ck_assert_uint_eq(rows[i].caplen, rows[i].len);
	}
	ck_assert_str_eq(rows[0].ifname, "capsw:1");
	/* wall-clock timestamps, in order */
	ck_assert(rows[0].epoch > (double)time(NULL) - 60 && rows[0].epoch <= (double)time(NULL) + 1);
	for (unsigned i = 1; i < n; i++)
		ck_assert(rows[i].epoch >= rows[i - 1].epoch);
	ck_assert_str_eq(rows[4].ifname, "capsw:3");
	unlink(path);
	vt_drain(a);
	vt_drain(b);
	vt_drain(c);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_port_capture_snaplen_sent_only)
{
	vnetif_switch *sw = sw_make();
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	struct vnetif_capture_config cc = {.snaplen = 64, .sent_only = true};
	struct row rows[8];
	vnetif_capture *cap = NULL;
	char path[64];
	uint8_t ma[6], mb[6];
	int fd = tmp_fd(path);

	ck_assert_int_eq(vnetif_capture_start(sw, b, fd, &cc, &cap), 0);
	vt_send(a, vt_mac(b, mb), 1000, 1); /* a is not captured */
	vt_send(b, vt_mac(a, ma), 1000, 2);
	vt_send(b, ma, 100, 3);
	ck_assert_int_eq(vnetif_capture_stop(cap), 2);
	close(fd);
	ck_assert_uint_eq(tshark(path, rows, 8), 2);
	ck_assert_uint_eq(rows[0].ifid, 0);
	ck_assert_uint_eq(rows[0].len, 1000);
	ck_assert_uint_eq(rows[0].caplen, 64);
	ck_assert_uint_eq(rows[0].seq, 2);
	ck_assert_uint_eq(rows[1].seq, 3);
	unlink(path);
	vt_drain(a);
	vt_drain(b);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_capture_streams_into_a_pipe)
{
	vnetif_switch *sw = sw_make();
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	struct row rows[8];
	vnetif_capture *cap = NULL;
	char path[64], cmd[128];
	uint8_t mb[6];
	FILE *f;
	int fd = tmp_fd(path);

	close(fd);
	snprintf(cmd, sizeof(cmd), "tshark -n -r - -w %s 2>/dev/null", path);
	f = popen(cmd, "w"); /* what `vnetif-switch --capture - | tshark -r -` does */
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, fileno(f), NULL, &cap), 0);
	for (uint32_t i = 0; i < 3; i++)
		vt_send(a, vt_mac(b, mb), 64, i);
	ck_assert_int_eq(vnetif_capture_stop(cap), 6);
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_uint_eq(tshark(path, rows, 8), 6);
	ck_assert_uint_eq(rows[5].seq, 2);
	unlink(path);
	vt_drain(b);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_capture_errors_and_restart)
{
	vnetif_switch *sw = sw_make();
	vnetif_switch *other = vt_switch(NULL);
	vnetif_port *a = vt_connect(sw), *x = vt_connect(other);
	vnetif_capture *cap = NULL, *cap2 = NULL;
	char path[64];
	int fd = tmp_fd(path);

	ck_assert_int_eq(vnetif_capture_start(NULL, NULL, fd, NULL, &cap), -EINVAL);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, -1, NULL, &cap), -EINVAL);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, 999, NULL, &cap), -EINVAL);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, fd, NULL, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_capture_start(sw, x, fd, NULL, &cap), -EINVAL);
	ck_assert_int_eq(vnetif_capture_stop(NULL), -EINVAL);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, fd, NULL, &cap), 0);
	ck_assert_int_eq(vnetif_capture_start(sw, a, fd, NULL, &cap2), -EBUSY);
	ck_assert_int_eq(vnetif_capture_stop(cap), 0);
	ck_assert_int_eq(vnetif_capture_start(sw, a, fd, NULL, &cap2), 0);
	ck_assert_int_eq(vnetif_capture_stop(cap2), 0);
	ck_assert_int_eq(vnetif_disconnect(a, 0), 0);
	ck_assert_int_eq(vnetif_capture_start(sw, a, fd, NULL, &cap2), -ENOTCONN);
	/* a capture still running at destroy goes with the switch */
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, fd, NULL, &cap2), 0);
	close(fd);
	unlink(path);
	vt_teardown(sw);
	vt_teardown(other);
}
END_TEST

/* A reader that goes away: -EIO at stop, traffic unaffected. */
START_TEST(test_capture_write_error)
{
	vnetif_switch *sw = sw_make();
	vnetif_port *a = vt_connect(sw), *b = vt_connect(sw);
	vnetif_capture *cap = NULL;
	uint8_t mb[6];
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(vnetif_capture_start(sw, NULL, p[1], NULL, &cap), 0);
	close(p[0]);
	for (uint32_t i = 0; i < 3; i++)
		vt_send(a, vt_mac(b, mb), 64, i);
	ck_assert_uint_eq(vt_drain(b), 3);
	ck_assert_int_eq(vnetif_capture_stop(cap), -EIO);
	close(p[1]);
	vt_teardown(sw);
}
END_TEST

Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = vt_tcase("pcapng");

	tcase_add_test(tc, test_switch_capture_interfaces_order_direction);
	tcase_add_test(tc, test_port_capture_snaplen_sent_only);
	tcase_add_test(tc, test_capture_streams_into_a_pipe);
	tcase_add_test(tc, test_capture_errors_and_restart);
	tcase_add_test(tc, test_capture_write_error);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(capture_suite());
}
