/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwIP stacks over impaired links (mirage-tcpip's test backends, and more): 4 MiB
 * byte-exact through loss, reordering, delay, a rate limit and "drop everything for 1 s
 * after 1 MB" (in both directions of the path; lwIP's retransmission recovers), trailing
 * bytes ignored, a frame over the size limit rejected, and a capture of a TCP session
 * that tshark reads: SYN, data and FIN in order, each on its sender's interface.
 */
#include <fcntl.h>

#include "lwip_test.h"

Suite *lwip_impair_suite(void);

#define SRV "10.0.0.100"
#define CLI "10.0.0.101"

struct pair {
	vnetif_switch *sw;
	vnetif_lwip_stack *srv, *cli;
};

static struct pair pair_make(bool async)
{
	struct vnetif_switch_config c;
	struct vnetif_lwip_config sc = lt_cfg(SRV), cc = lt_cfg(CLI);
	struct pair p;

	vt_config(&c);
	c.async_readers = async;
	p.sw = vt_switch(&c);
	p.srv = lt_stack(p.sw, &sc);
	p.cli = lt_stack(p.sw, &cc);
	return p;
}

static void pair_free(struct pair *p)
{
	lt_destroy(p->cli);
	lt_destroy(p->srv);
	vt_teardown(p->sw);
}

/* The same impairment (seeds differ) on what each stack receives. */
static void impair_both(struct pair *p, const char *spec)
{
	struct vnetif_impair im;

	ck_assert_int_eq(vnetif_impair_parse(spec, &im), 0);
	ck_assert_int_eq(vnetif_impair_set(vnetif_lwip_port(p->srv), VNETIF_DIR_RX, &im), 0);
	im.seed += 1000;
	ck_assert_int_eq(vnetif_impair_set(vnetif_lwip_port(p->cli), VNETIF_DIR_RX, &im), 0);
}

static struct vnetif_impair_stats rx_stats(vnetif_lwip_stack *s)
{
	struct vnetif_impair_stats st;

	ck_assert_int_eq(vnetif_impair_stats_get(vnetif_lwip_port(s), VNETIF_DIR_RX, &st), 0);
	return st;
}

static uint64_t xfer_bytes(void)
{
	return vt_tsan() ? (512u << 10) : (4u << 20);
}

/* Transfer through @spec; returns the server port's RX counters. At least 700 data
 * segments (of the client's MSS: 8960 bytes with TSO), so that an impairment of 1 % hits
 * one of them but for a chance of 0.1 %. */
static struct vnetif_impair_stats through(int async, const char *spec, uint16_t port)
{
	struct pair p = pair_make(async != 0);
	struct vnetif_impair_stats st;
	uint64_t bytes = RTE_MAX(xfer_bytes(), 700ull * lt_mss(p.cli));
	double mbs;

	impair_both(&p, spec);
	mbs = lt_tcp(p.srv, SRV, p.cli, bytes, port);
	st = rx_stats(p.srv);
	printf("%s, %s: TCP %" PRIu64 " KiB verified at %.1f MB/s\n", async ? "async" : "sync",
	       spec, bytes >> 10, mbs);
	pair_free(&p);
	return st;
}

START_TEST(test_tcp_through_loss)
{
	struct vnetif_impair_stats st = through(_i, "loss=0.01,seed=1", 5301);

	ck_assert_uint_gt(st.dropped_loss, 0);
}
END_TEST

START_TEST(test_tcp_through_reordering)
{
	struct vnetif_impair_stats st = through(_i, "reorder=0.02,reorder_delay=1ms,seed=2", 5302);

	ck_assert_uint_gt(st.reordered, 0);
}
END_TEST

START_TEST(test_tcp_through_delay)
{
	struct vnetif_impair_stats st = through(_i, "delay=1ms", 5303);

	ck_assert_uint_gt(st.delayed, 0);
}
END_TEST

START_TEST(test_tcp_through_rate_limit)
{
	struct vnetif_impair_stats st = through(_i, "rate=200mbit,burst=16K,queue=64", 5304);

	ck_assert_uint_gt(st.delayed, 0);
}
END_TEST

/* mirage-tcpip's Drop_1_second_after_1_megabyte. */
START_TEST(test_tcp_through_drop_window)
{
	char spec[64];
	struct vnetif_impair_stats st;

	snprintf(spec, sizeof(spec), "cut_after=%" PRIu64 ",cut=1s", xfer_bytes() / 4);
	st = through(_i, spec, 5305);
	ck_assert_uint_gt(st.dropped_cut, 0);
}
END_TEST

/* ---- the direct wire (vnetif_lwip_wire_impair()): the benchmark baseline, impaired ---- */

static void wire_pair(int mode, vnetif_lwip_stack **srv, vnetif_lwip_stack **cli)
{
	struct vnetif_lwip_config sc = lt_cfg(SRV), cc = lt_cfg(CLI);
	int rc = vnetif_lwip_create_wired(&sc, &cc, mode ? VNETIF_LWIP_WIRE_MAILBOX
							 : VNETIF_LWIP_WIRE_THREAD, srv, cli);

	ck_assert_msg(rc == 0, "vnetif_lwip_create_wired: %d (%s)", rc, vnetif_strerror(rc));
}

static struct vnetif_impair_stats wire_stats(vnetif_lwip_stack *s)
{
	struct vnetif_impair_stats st;

	ck_assert_int_eq(vnetif_lwip_wire_impair_stats(s, &st), 0);
	return st;
}

/* Transfer over a direct wire impaired by @spec both ways; the server end's counters. */
static struct vnetif_impair_stats wire_through(int mode, const char *spec, uint16_t port,
					       struct vnetif_impair_stats *cli_st)
{
	vnetif_lwip_stack *srv, *cli;
	struct vnetif_impair im;
	struct vnetif_impair_stats st;
	uint64_t bytes = 1u << 20; /* also under TSan: ~700 frames, so a fixed seed loses some */
	double mbs;

	wire_pair(mode, &srv, &cli);
	ck_assert_int_eq(vnetif_impair_parse(spec, &im), 0);
	ck_assert_int_eq(vnetif_lwip_wire_impair(srv, &im), 0);
	im.seed += 1000;
	ck_assert_int_eq(vnetif_lwip_wire_impair(cli, &im), 0);
	mbs = lt_tcp(srv, SRV, cli, bytes, port);
	st = wire_stats(srv);
	*cli_st = wire_stats(cli);
	printf("wire %s, %s: TCP %" PRIu64 " KiB verified at %.1f MB/s\n",
	       mode ? "mailbox" : "thread", spec, bytes >> 10, mbs);
	lt_destroy(cli);
	lt_destroy(srv);
	return st;
}

START_TEST(test_wire_tcp_through_loss)
{
	struct vnetif_impair_stats c, st = wire_through(_i, "loss=0.01,seed=1", 5311, &c);

	ck_assert_uint_gt(st.dropped_loss, 0);
	ck_assert_uint_gt(st.passed, 0);
	ck_assert_uint_gt(c.passed, 0); /* the ACKs' direction went through its own engine */
}
END_TEST

START_TEST(test_wire_tcp_through_delay)
{
	struct vnetif_impair_stats c, st = wire_through(_i, "delay=1ms,jitter=200us,seed=3", 5312, &c);

	ck_assert_uint_gt(st.delayed, 0);
	ck_assert_uint_gt(c.delayed, 0);
	ck_assert_uint_eq(st.dropped_queue_full + st.dropped_disconnected, 0);
}
END_TEST

START_TEST(test_wire_tcp_through_loss_and_reorder)
{
	struct vnetif_impair_stats c,
		st = wire_through(_i, "loss=0.01,reorder=0.02,reorder_delay=1ms,dup=0.01,seed=4",
				  5313, &c);

	ck_assert_uint_gt(st.dropped_loss, 0);
	ck_assert_uint_gt(st.reordered, 0);
	ck_assert_uint_gt(st.duplicated, 0);
}
END_TEST

/* Frames held far in the future: the stacks go away at once, nothing leaks (ASan) and
 * the counters say what was held. */
START_TEST(test_wire_held_frames_at_teardown)
{
	vnetif_lwip_stack *srv, *cli;
	struct vnetif_impair im;
	struct sockaddr_in to = lt_addr(SRV, 5314);
	struct vnetif_impair_stats st;
	int fd;

	wire_pair(_i, &srv, &cli);
	vnetif_impair_init(&im);
	im.delay_ns = 30ull * 1000000000ull;
	ck_assert_int_eq(vnetif_lwip_wire_impair(srv, &im), 0);
	fd = vnetif_lwip_socket(cli, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vnetif_lwip_sendto(cli, fd, "x", 1, 0, (struct sockaddr *)&to,
					    sizeof(to)), 1);
	for (int i = 0; i < 2000 && wire_stats(srv).delayed == 0; i++)
		usleep(1000);
	st = wire_stats(srv);
	ck_assert_uint_gt(st.delayed, 0); /* the ARP request, held for 30 s */
	ck_assert_uint_eq(st.passed, 0);
	ck_assert_int_eq(vnetif_lwip_close(cli, fd), 0);
	lt_destroy(srv); /* cuts the end that holds the frame: freed, not waited for */
	lt_destroy(cli);
}
END_TEST

START_TEST(test_wire_impair_errors)
{
	struct pair p = pair_make(false);
	vnetif_lwip_stack *srv, *cli;
	struct vnetif_impair im;
	struct vnetif_impair_stats st;

	vnetif_impair_init(&im);
	ck_assert_int_eq(vnetif_lwip_wire_impair(NULL, &im), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_wire_impair(p.srv, &im), -ENOTSUP);
	ck_assert_int_eq(vnetif_lwip_wire_impair_stats(p.srv, &st), -ENOTSUP);
	ck_assert_int_eq(vnetif_lwip_wire_impair_stats(NULL, &st), -EINVAL);
	pair_free(&p);
	wire_pair(0, &srv, &cli);
	im.loss = 1.5;
	ck_assert_int_eq(vnetif_lwip_wire_impair(srv, &im), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_wire_impair_stats(srv, NULL), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_wire_impair(srv, NULL), 0);
	lt_destroy(cli);
	lt_destroy(srv);
}
END_TEST

START_TEST(test_trailing_bytes_ignored)
{
	struct pair p = pair_make(false);

	impair_both(&p, "pad=32,seed=3");
	ck_assert_int_eq(vnetif_lwip_ping(p.cli, SRV, 2000, NULL), 0);
	lt_udp_echo(p.cli, CLI, p.srv, SRV, 20, 300, 7100);
	lt_tcp(p.srv, SRV, p.cli, 1u << 20, 5306);
	ck_assert_uint_gt(rx_stats(p.srv).padded, 0);
	ck_assert_uint_gt(rx_stats(p.cli).padded, 0);
	pair_free(&p);
}
END_TEST

START_TEST(test_oversize_frame_rejected)
{
	struct pair p = pair_make(false);
	struct sockaddr_storage sa, ca;
	socklen_t sl = lt_sa(SRV, 7200, &sa), cl = lt_sa(CLI, 7200, &ca);
	uint8_t out[1000], in[1001];
	struct vnetif_impair im;
	int fs, fc;

	vnetif_impair_init(&im);
	im.max_frame = 14 + 20 + 8 + 500; /* a UDP datagram of up to 500 bytes */
	ck_assert_int_eq(vnetif_impair_set(vnetif_lwip_port(p.srv), VNETIF_DIR_RX, &im), 0);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(p.cli, SRV, (uint8_t[6]){0}, 2000), 0);
	fs = vnetif_lwip_socket(p.srv, AF_INET, SOCK_DGRAM, 0);
	fc = vnetif_lwip_socket(p.cli, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(vnetif_lwip_bind(p.srv, fs, (struct sockaddr *)&sa, sl), 0);
	ck_assert_int_eq(vnetif_lwip_bind(p.cli, fc, (struct sockaddr *)&ca, cl), 0);
	lt_timeout(p.srv, fs, 300);
	memset(out, 0xab, sizeof(out));
	ck_assert_int_eq(vnetif_lwip_sendto(p.cli, fc, out, 1000, 0, (struct sockaddr *)&sa, sl), 1000);
	ck_assert_int_eq(vnetif_lwip_sendto(p.cli, fc, out, 500, 0, (struct sockaddr *)&sa, sl), 500);
	/* the 1000-byte datagram never arrives (not even cut short): the 500-byte one does */
	ck_assert_int_eq(vnetif_lwip_recv(p.srv, fs, in, sizeof(in), 0), 500);
	ck_assert_int_lt(vnetif_lwip_recv(p.srv, fs, in, sizeof(in), 0), 0);
	ck_assert_uint_eq(rx_stats(p.srv).dropped_oversize, 1);
	vnetif_lwip_close(p.srv, fs);
	vnetif_lwip_close(p.cli, fc);
	pair_free(&p);
}
END_TEST

START_TEST(test_capture_tcp_session_tshark)
{
	struct pair p = pair_make(false);
	struct vnetif_capture_config cc = {.snaplen = 0, .sent_only = true};
	vnetif_capture *cap = NULL;
	char path[] = "/tmp/vnetif-lwcapXXXXXX", cmd[512], line[256];
	int fd = mkstemp(path), syn = -1, data = -1, fin = -1, row = 0;
	FILE *f;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(vnetif_capture_start(p.sw, NULL, fd, &cc, &cap), 0);
	lt_tcp(p.srv, SRV, p.cli, 100000, 5307);
	ck_assert_int_gt(vnetif_capture_stop(cap), 0);
	close(fd);
	/* interfaces: 0 = the server's port (connected first), 1 = the client's */
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -Y 'tcp.port==5307' -T fields -E separator=' ' "
		 "-e frame.interface_id -e ip.src -e tcp.flags.syn -e tcp.flags.ack "
		 "-e tcp.flags.fin -e tcp.len 2>/dev/null",
		 path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned ifid, s, a, fn, len;
		char src[32];

		ck_assert_int_eq(sscanf(line, "%u %31s %u %u %u %u", &ifid, src, &s, &a, &fn, &len), 6);
		/* every frame is on its sender's interface */
		ck_assert_uint_eq(ifid, strcmp(src, SRV) == 0 ? 0 : 1);
		if (s && !a && syn < 0 && ifid == 1)
			syn = row;
		if (len > 0 && data < 0 && ifid == 1)
			data = row;
		if (fn && fin < 0 && ifid == 1)
			fin = row;
		row++;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(syn == 0, "client SYN at row %d", syn);
	ck_assert_msg(data > syn && fin > data, "SYN %d, data %d, FIN %d", syn, data, fin);
	ck_assert_int_gt(row, (int)(100000 / lt_mss(p.cli))); /* a frame per segment at least */
	unlink(path);
	pair_free(&p);
}
END_TEST

Suite *lwip_impair_suite(void)
{
	Suite *s = suite_create("lwip_impair");
	TCase *tc = vt_tcase("tcp");

	/* loop index: 0 sync, 1 async */
	tcase_add_loop_test(tc, test_tcp_through_loss, 0, 2);
	tcase_add_loop_test(tc, test_tcp_through_reordering, 0, 2);
	tcase_add_loop_test(tc, test_tcp_through_delay, 0, 2);
	tcase_add_loop_test(tc, test_tcp_through_rate_limit, 0, 2);
	tcase_add_loop_test(tc, test_tcp_through_drop_window, 0, 1);
	/* the direct wire; loop index: 0 thread, 1 mailbox */
	tcase_add_loop_test(tc, test_wire_tcp_through_loss, 0, 2);
	tcase_add_loop_test(tc, test_wire_tcp_through_delay, 0, 2);
	tcase_add_loop_test(tc, test_wire_tcp_through_loss_and_reorder, 0, 2);
	tcase_add_loop_test(tc, test_wire_held_frames_at_teardown, 0, 2);
	tcase_add_test(tc, test_wire_impair_errors);
	tcase_set_timeout(tc, 300);
	suite_add_tcase(s, tc);

	tc = vt_tcase("frames");
	tcase_add_test(tc, test_trailing_bytes_ignored);
	tcase_add_test(tc, test_oversize_frame_rejected);
	tcase_add_test(tc, test_capture_tcp_session_tshark);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(lwip_impair_suite());
}
