/* SPDX-License-Identifier: BSD-3-Clause */
/* The vnetif-switch program: bad arguments, a pcap run stopped by SIGINT/SIGTERM or by
 * --duration, a port that fails. */
#define _GNU_SOURCE
#include "ethdev_test.h"
#include "vnetif_switch_opts.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

Suite *cli_suite(void);

#define N 100

/* Run vnetif-switch with @args (NULL-terminated) to its end; its exit status. */
static int cli(struct et_child *c, const char *const *args, unsigned ms)
{
	char *argv[32] = {VNETIF_SWITCH_BIN};
	unsigned n = 1;

	while (*args && n < 31)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	et_spawn(c, argv);
	return et_reap(c, ms);
}

/* Exit status 2 and @msg in the output. */
static void expect_usage_error(const char *const *args, const char *msg)
{
	struct et_child *c = calloc(1, sizeof(*c));
	int st;

	ck_assert_ptr_nonnull(c);
	st = cli(c, args, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 2, "%s: exit %d:\n%s", args[0], st,
		      et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, msg) != NULL, "'%s' not in:\n%s", msg, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "Try 'vnetif-switch --help'") != NULL, "%s", et_tail(c, 1500));
	free(c);
}

START_TEST(test_bad_arguments)
{
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/no/such/dir/s.sock", et_tmpdir());
	expect_usage_error((const char *[]){NULL}, "no ports: give at least one of --memif");
	expect_usage_error((const char *[]){"--bogus", NULL}, "unknown option '--bogus'");
	expect_usage_error((const char *[]){"--memif", NULL}, "option '--memif' needs a value");
	expect_usage_error((const char *[]){"--memif", missing, NULL}, "No such file or directory");
	expect_usage_error((const char *[]){"--pcap-in", missing, NULL}, "cannot read it");
	expect_usage_error((const char *[]){"--interval", "soon", "--vdev", "net_null0", NULL},
			   "--interval 'soon': not a number of seconds");
	expect_usage_error((const char *[]){"--duration", "0", "--vdev", "net_null0", NULL},
			   "--duration '0': not a number of seconds > 0");
	expect_usage_error((const char *[]){"--tap", "this-name-is-too-long", NULL},
			   "an interface name is 1..15 characters");
	expect_usage_error((const char *[]){"--max-macs", "0", "--vdev", "net_null0", NULL},
			   "--max-macs '0': not a number 1..1000000");
	expect_usage_error((const char *[]){"--vdev", "net_null0", "stray", NULL},
			   "unexpected argument 'stray'");

	struct et_child *c = calloc(1, sizeof(*c));
	int st = cli(c, (const char *[]){"--help", NULL}, 10000);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_ptr_nonnull(strstr(c->log, "Usage: vnetif-switch"));
	free(c);
}
END_TEST

/* Values DPDK's devargs syntax would read as more key=value pairs (a memif server turned
 * into a client), empty values and the same stack address twice: refused, exit 2. */
START_TEST(test_bad_port_values)
{
	char comma[160], equals[160];

	snprintf(comma, sizeof(comma), "%s/x,role=client.sock", et_tmpdir());
	snprintf(equals, sizeof(equals), "%s/x=y.pcap", et_tmpdir());
	/* --duration bounds a run of a program that accepts them */
	expect_usage_error((const char *[]){"--memif", comma, "--duration", "1", NULL},
			   "a path with ',' or '=' cannot be given to DPDK");
	expect_usage_error((const char *[]){"--pcap-out", equals, "--duration", "1", NULL},
			   "a path with ',' or '=' cannot be given to DPDK");
	expect_usage_error((const char *[]){"--memif", "", "--duration", "1", NULL},
			   "--memif: empty value");
	expect_usage_error((const char *[]){"--tap", "", "--duration", "1", NULL},
			   "--tap: empty value");
	expect_usage_error((const char *[]){"--tap", "vn,iface=x", "--duration", "1", NULL},
			   "an interface name is 1..15 characters");
	expect_usage_error((const char *[]){"--stack", "10.200.81.2/24", "--stack",
					    "10.200.81.2/16", "--duration", "1", NULL},
			   "address 10.200.81.2 is given to --stack 10.200.81.2/24 already");
}
END_TEST

/* The parser on its own: devargs built from the table, numbered per driver. */
START_TEST(test_parse)
{
	static struct vs_config cfg;
	char *ok[] = {"vnetif-switch", "--memif", "/tmp/a.sock", "--pcap-in=/tmp/in.pcap",
		      "--memif", "/tmp/b.sock", "--pcap-out", "/tmp/out.pcap", "--tap", "vn0",
		      "--vdev", "net_null0,no-rx=1", "--stack", "10.1.2.3/16", "--hub",
		      "--interval", "0.5", "--", NULL};

	ck_assert_int_eq(vs_parse(&cfg, 18, ok), VS_OK);
	ck_assert_uint_eq(cfg.nports, 6);
	ck_assert_str_eq(cfg.ports[0].devargs,
			 "net_memif0,role=server,socket=/tmp/a.sock,socket-abstract=no");
	ck_assert_str_eq(cfg.ports[1].devargs, "net_pcap0,rx_pcap=/tmp/in.pcap");
	ck_assert_str_eq(cfg.ports[2].devargs,
			 "net_memif1,role=server,socket=/tmp/b.sock,socket-abstract=no");
	ck_assert_str_eq(cfg.ports[3].devargs, "net_pcap1,tx_pcap=/tmp/out.pcap");
	ck_assert_str_eq(cfg.ports[4].devargs, "net_tap0,iface=vn0");
	ck_assert_str_eq(cfg.ports[5].devargs, "net_null0,no-rx=1");
	ck_assert_str_eq(vs_port_kind(&cfg.ports[1]), "pcap-in");
	ck_assert_uint_eq(cfg.nstacks, 1);
	ck_assert_str_eq(cfg.stacks[0].ip, "10.1.2.3");
	ck_assert_str_eq(cfg.stacks[0].mask, "255.255.0.0");
	ck_assert(cfg.hub && !cfg.threads && cfg.interval == 0.5 && cfg.duration < 0);

	char *dup[] = {"vnetif-switch", "--memif", "/tmp/a.sock", "--memif", "/tmp/a.sock", NULL};
	ck_assert_int_eq(vs_parse(&cfg, 5, dup), VS_BAD);
	ck_assert_str_eq(cfg.err, "--memif /tmp/a.sock: given twice");
	char *novalue[] = {"vnetif-switch", "--hub=yes", NULL};
	ck_assert_int_eq(vs_parse(&cfg, 2, novalue), VS_BAD);
	ck_assert_str_eq(cfg.err, "option '--hub' takes no value");
	char *helpme[] = {"vnetif-switch", "-h", NULL};
	ck_assert_int_eq(vs_parse(&cfg, 2, helpme), VS_HELP);
	char *many[2 * VS_MAX_PORTS + 3] = {"vnetif-switch"};
	for (int i = 0; i <= VS_MAX_PORTS; i++) {
		many[1 + 2 * i] = "--vdev";
		many[2 + 2 * i] = "net_null0";
	}
	ck_assert_int_eq(vs_parse(&cfg, 2 * VS_MAX_PORTS + 3, many), VS_BAD);
	ck_assert_str_eq(cfg.err, "too many ports and stacks (at most 32)");
}
END_TEST

START_TEST(test_parse_vhost_nat)
{
	static struct vs_config cfg;
	char *ok[] = {"vnetif-switch", "--vhost", "/tmp/v0.sock", "--vhost=/tmp/v1.sock",
		      "--nat", "10.0.2.0/24", "--hostfwd", "tcp:127.0.0.1:8080-10.0.2.15:80",
		      "--hostfwd", "udp::5353-10.0.2.15:53", NULL};

	ck_assert_int_eq(vs_parse(&cfg, 10, ok), VS_OK);
	ck_assert_uint_eq(cfg.nports, 2);
	ck_assert_str_eq(cfg.ports[0].devargs, "net_vhost0,iface=/tmp/v0.sock,queues=1");
	ck_assert_str_eq(cfg.ports[1].devargs, "net_vhost1,iface=/tmp/v1.sock,queues=1");
	ck_assert_str_eq(vs_port_kind(&cfg.ports[0]), "vhost");
	ck_assert_str_eq(cfg.nat, "10.0.2.0/24");
	ck_assert_uint_eq(cfg.nhostfwd, 2);
	ck_assert_str_eq(cfg.hostfwd[1], "udp::5353-10.0.2.15:53");
	char *nat_only[] = {"vnetif-switch", "--nat", "192.168.7.0/24", NULL};
	ck_assert_int_eq(vs_parse(&cfg, 3, nat_only), VS_OK); /* a port on its own */

	static const struct {
		const char *a[5];
		const char *err;
	} bad[] = {
		{{"--hostfwd", "tcp::80-10.0.2.15:80"}, "--hostfwd needs --nat"},
		{{"--nat", "10.0.2.0/24", "--nat", "10.0.3.0/24"}, "--nat: given twice"},
		{{"--nat", "10.0.2.0"}, "--nat '10.0.2.0': give NET/PREFIX"},
		{{"--nat", "10.0.2.0/31"}, "prefix of 8..30"},
		{{"--nat", "10.0.2.0/24", "--hostfwd", "sctp::1-10.0.2.15:1"}, "--hostfwd 'sctp"},
		{{"--vhost", "/tmp/a,b.sock"}, "a path with ',' or '='"},
		{{"--vhost", "/tmp/v.sock", "--vhost", "/tmp/v.sock"}, "--vhost /tmp/v.sock: given twice"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[6] = {"vnetif-switch"};
		int argc = 1;

		while (argc < 5 && bad[i].a[argc - 1])
			argv[argc] = (char *)bad[i].a[argc - 1], argc++;
		ck_assert_int_eq(vs_parse(&cfg, argc, argv), VS_BAD);
		ck_assert_msg(strstr(cfg.err, bad[i].err) != NULL, "'%s' not in '%s'", bad[i].err,
			      cfg.err);
	}
}
END_TEST

/* --vhost: a live vhost-user server at the path is refused; a stale socket replaced. */
START_TEST(test_vhost_socket_checks)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = et_path(sa.sun_path, sizeof(sa.sun_path), "vm.sock");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	expect_usage_error((const char *[]){"--vhost", path, NULL},
			   "a server is listening there already");
	close(fd); /* now stale */
	struct et_child *c = calloc(1, sizeof(*c));
	int st = cli(c, (const char *[]){"--vhost", path, "--duration", "0.5", NULL}, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "removed stale socket") && strstr(c->log, "port 0: vhost"),
		      "%s", et_tail(c, 1500));
	free(c);
}
END_TEST

/* A device the switch cannot attach: exit 1 with the library's explanation. */
START_TEST(test_port_fails)
{
	struct et_child *c = calloc(1, sizeof(*c));
	int st = cli(c, (const char *[]){"--vdev", "net_nosuchdriver0", NULL}, 20000);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit %d:\n%s", st, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "vnetif-switch: --vdev net_nosuchdriver0: bad devargs") != NULL,
		      "%s", et_tail(c, 1500));
	free(c);
}
END_TEST

/* pcap in -> vnetif-switch -> pcap out, stopped by @sig (0: by --duration). */
static void pcap_run(int sig)
{
	char in[160], out[160], interval[] = "0.2";
	struct et_frame *f = calloc(N, sizeof(*f)), *got = calloc(N + 1, sizeof(*got));
	struct et_child *c = calloc(1, sizeof(*c));

	ck_assert(f && got && c);
	for (unsigned i = 0; i < N; i++) {
		f[i].len = (uint16_t)(64 + i * 13);
		vt_fill(f[i].data, f[i].len, VT_FOREIGN(2), VT_FOREIGN(1), i);
	}
	et_pcap_write(et_path(in, sizeof(in), "in.pcap"), f, N);
	et_path(out, sizeof(out), "out.pcap");
	char *argv[] = {VNETIF_SWITCH_BIN, "--pcap-out", out, "--pcap-in", in, "--interval",
			interval, sig ? NULL : "--duration", "1.5", NULL};
	et_spawn(c, argv);
	/* Every frame has reached the output port (its counters say so), then stop. */
	ck_assert_msg(et_expect(c, 0, "pcap-out", 10000) && et_expect(c, 0, " out 100 (", 10000),
		      "no counters:\n%s", et_tail(c, 1500));
	if (sig)
		kill(c->pid, sig);
	int st = et_reap(c, 10000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	ck_assert_ptr_nonnull(strstr(c->log, "port 0: pcap-out"));
	ck_assert_ptr_nonnull(strstr(c->log, "port 1: pcap-in"));
	if (sig == SIGINT)
		ck_assert_ptr_nonnull(strstr(c->log, "stopping on SIGINT"));
	if (sig == SIGTERM)
		ck_assert_ptr_nonnull(strstr(c->log, "stopping on SIGTERM"));
	ck_assert_msg(strstr(c->log, "port 0 pcap-out") && strstr(c->log, "port 1 pcap-in"),
		      "%s", et_tail(c, 1500));
	const char *fin = strstr(c->log, "final");
	ck_assert_msg(fin && strstr(fin, " in 100 (") && strstr(fin, " out 100 (") &&
		      strstr(fin, "drops 0"), "%s", et_tail(c, 1500));
	ck_assert_int_eq(et_pcap_read(out, got, N + 1), N);
	for (unsigned i = 0; i < N; i++)
		ck_assert(got[i].len == f[i].len && memcmp(got[i].data, f[i].data, f[i].len) == 0);
	free(f);
	free(got);
	free(c);
}

START_TEST(test_pcap_sigint)
{
	pcap_run(SIGINT);
}
END_TEST

START_TEST(test_pcap_sigterm)
{
	pcap_run(SIGTERM);
}
END_TEST

START_TEST(test_pcap_duration)
{
	pcap_run(0);
}
END_TEST

/* --max-macs: a pcap port replaying frames from 100 source MACs has at most that many
 * table entries (its own MAC included); every frame is still forwarded. Without the
 * flag it has all 101. */
static void max_macs_run(const char *limit, const char *want)
{
	char in[160], out[160];
	struct et_frame *f = calloc(N, sizeof(*f));
	struct et_child *c = calloc(1, sizeof(*c));

	ck_assert(f && c);
	for (unsigned i = 0; i < N; i++) {
		const uint8_t src[6] = {0x06, 0xcc, 0, 0, 0, (uint8_t)i};

		f[i].len = 64;
		vt_fill(f[i].data, f[i].len, VT_FOREIGN(2), src, i);
	}
	et_pcap_write(et_path(in, sizeof(in), "macs.pcap"), f, N);
	et_path(out, sizeof(out), "macs-out.pcap");
	int st = cli(c, limit ? (const char *[]){"--max-macs", limit, "--pcap-out", out, "--pcap-in",
						 in, "--duration", "1.5", NULL}
			      : (const char *[]){"--pcap-out", out, "--pcap-in", in, "--duration",
						 "1.5", NULL}, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	const char *fin = strstr(c->log, "final");
	ck_assert_msg(fin && (fin = strstr(fin, "port 1 pcap-in")) && strstr(fin, " in 100 (") &&
		      strstr(fin, want), "%s", et_tail(c, 1500));
	if (limit)
		ck_assert_ptr_nonnull(strstr(c->log, "at most 4 MACs per port"));
	ck_assert_int_eq(et_pcap_read(out, f, N), N); /* all forwarded */
	free(f);
	free(c);
}

START_TEST(test_max_macs)
{
	max_macs_run(NULL, "macs 101");
	max_macs_run("4", "macs 4");
}
END_TEST

#ifdef VNETIF_ETHDEV_TEST_LWIP
/* --stack: an lwIP stack on the switch answers the ARP request and the ping replayed
 * from a pcap file; in hub mode the answers also reach the pcap output. */
/* An ARP request from VT_FOREIGN(1) (@ip_me) for @ip_target, broadcast: the first 42
 * bytes of @a. */
static void arp_who_has(uint8_t *a, const uint8_t ip_me[4], const uint8_t ip_target[4])
{
	memcpy(a, VT_BCAST, 6);
	memcpy(a + 6, VT_FOREIGN(1), 6);
	memcpy(a + 12, (uint8_t[]){0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1}, 10);
	memcpy(a + 22, VT_FOREIGN(1), 6);
	memcpy(a + 28, ip_me, 4);
	memcpy(a + 38, ip_target, 4);
}

START_TEST(test_stack_answers)
{
	static const uint8_t ip_me[4] = {10, 200, 80, 1}, ip_stack[4] = {10, 200, 80, 2};
	char in[160], out[160];
	struct et_frame *f = calloc(2, sizeof(*f)), *got = calloc(16, sizeof(*got));
	struct et_child *c = calloc(1, sizeof(*c));
	uint8_t *a, *e;

	ck_assert(f && got && c);
	/* ARP request: who has 10.200.80.2? tell 10.200.80.1 */
	a = f[0].data;
	f[0].len = 60;
	arp_who_has(a, ip_me, ip_stack);
	/* ICMP echo request, 32 bytes of payload, to the stack's MAC unknown: broadcast */
	e = f[1].data;
	f[1].len = 14 + 20 + 8 + 32;
	memcpy(e, VT_BCAST, 6);
	memcpy(e + 6, VT_FOREIGN(1), 6);
	e[12] = 0x08;
	uint8_t *ip = e + 14, *icmp = ip + 20;
	memcpy(ip, (uint8_t[]){0x45, 0, 0, 60, 0, 1, 0, 0, 64, 1, 0, 0}, 12);
	memcpy(ip + 12, ip_me, 4);
	memcpy(ip + 16, ip_stack, 4);
	uint16_t ck = et_csum(ip, 20);
	ip[10] = (uint8_t)(ck >> 8);
	ip[11] = (uint8_t)ck;
	memcpy(icmp, (uint8_t[]){8, 0, 0, 0, 0x12, 0x34, 0, 1}, 8);
	for (int i = 0; i < 32; i++)
		icmp[8 + i] = (uint8_t)i;
	ck = et_csum(icmp, 40);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;

	et_pcap_write(et_path(in, sizeof(in), "ping.pcap"), f, 2);
	et_path(out, sizeof(out), "out.pcap");
	int st = cli(c, (const char *[]){"--hub", "--pcap-out", out, "--stack", "10.200.80.2/24",
					 "--pcap-in", in, "--duration", "2", NULL}, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "port 2: stack 10.200.80.2/24") != NULL, "%s",
		      et_tail(c, 1500));
	int n = et_pcap_read(out, got, 16);
	bool arp_reply = false, echo_reply = false;
	for (int i = 0; i < n; i++) {
		const uint8_t *g = got[i].data;

		if (got[i].len >= 42 && g[12] == 0x08 && g[13] == 0x06 && g[21] == 2 &&
		    memcmp(g + 28, ip_stack, 4) == 0 && vt_mac_eq(g + 32, VT_FOREIGN(1)))
			arp_reply = true;
		if (got[i].len >= 74 && g[12] == 0x08 && g[13] == 0 && g[23] == 1 && g[34] == 0 &&
		    memcmp(g + 26, ip_stack, 4) == 0 && memcmp(g + 42, icmp + 8, 32) == 0)
			echo_reply = true;
	}
	ck_assert_msg(arp_reply && echo_reply, "%d frames out: ARP reply %d, echo reply %d", n,
		      arp_reply, echo_reply);
	free(f);
	free(got);
	free(c);
}
END_TEST

/* --capture and --impair: an impairment that rejects frames over 60 bytes lets the ARP
 * request reach the stack and not the ping; the capture has the stack's ARP reply on the
 * stack's interface (2); the counters line shows the rejected frame. */
START_TEST(test_capture_and_impair)
{
	static const uint8_t ip_me[4] = {10, 200, 81, 1}, ip_stack[4] = {10, 200, 81, 2};
	char in[160], out[160], cap[160], cmd[512], line[128];
	struct et_frame *f = calloc(2, sizeof(*f));
	struct et_child *c = calloc(1, sizeof(*c));
	unsigned arp_replies = 0, frames = 0;
	FILE *t;

	ck_assert(f && c);
	for (int i = 0; i < 2; i++) { /* an ARP request (60 bytes), then the same padded to 100 */
		uint8_t *a = f[i].data;

		f[i].len = i ? 100 : 60;
		arp_who_has(a, ip_me, ip_stack);
	}
	et_pcap_write(et_path(in, sizeof(in), "arp.pcap"), f, 2);
	et_path(cap, sizeof(cap), "cap.pcapng");
	et_path(out, sizeof(out), "cap-out.pcap");
	int st = cli(c, (const char *[]){"--pcap-out", out, "--pcap-in", in, "--stack",
					 "10.200.81.2/24", "--capture", cap, "--impair",
					 "2:max_frame=60", "--duration", "2", NULL}, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 1500));
	ck_assert_msg(strstr(c->log, "impair rx max_frame=60: passed 1 lost 0 cut 0 oversize 1") !=
			      NULL, "%s", et_tail(c, 1500));
	snprintf(cmd, sizeof(cmd),
		 "tshark -n -r %s -T fields -e frame.interface_id -e arp.opcode 2>/dev/null", cap);
	t = popen(cmd, "r");
	ck_assert_ptr_nonnull(t);
	while (fgets(line, sizeof(line), t)) {
		unsigned ifid = 9, op = 0;

		frames++;
		if (sscanf(line, "%u %u", &ifid, &op) == 2 && ifid == 2 && op == 2)
			arp_replies++;
	}
	ck_assert_int_eq(pclose(t), 0);
	ck_assert_msg(arp_replies == 1, "%u ARP replies on interface 2 in %u frames", arp_replies,
		      frames);
	free(f);
	free(c);
}
END_TEST
#endif

#ifdef VNETIF_ETHDEV_TEST_SLIRP
/* --nat with a forward from the host into the --stack: the host's connection reaches the
 * stack (which has no listener on the port and resets it), counted on the NAT port;
 * SIGTERM stops it cleanly. */
START_TEST(test_nat_hostfwd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char fwd[80];

	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd); /* a free port */
	snprintf(fwd, sizeof(fwd), "tcp:127.0.0.1:%u-10.0.2.15:7", ntohs(sa.sin_port));

	struct et_child *c = calloc(1, sizeof(*c));
	char *argv[] = {VNETIF_SWITCH_BIN, "--nat", "10.0.2.0/24", "--stack", "10.0.2.15/24",
			"--hostfwd", fwd, "--interval", "0.2", NULL};
	et_spawn(c, argv);
	ck_assert_msg(et_expect(c, 0, "switching", 20000), "%s", et_tail(c, 4000));
	ck_assert_msg(strstr(c->log, "port 1: nat 10.0.2.0/24") && strstr(c->log, "forward tcp:"),
		      "%s", et_tail(c, 4000));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	char b;
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The stack refuses port 7: the NAT closes the host side (EOF or reset). */
	ssize_t r = read(fd, &b, 1);
	ck_assert_msg(r == 0 || (r < 0 && errno == ECONNRESET), "read %zd: %s", r, strerror(errno));
	close(fd);
	size_t from = et_pos(c);
	ck_assert_msg(et_expect(c, from, "nat      10.0.2.0/24", 5000), "%s", et_tail(c, 4000));
	kill(c->pid, SIGTERM);
	int st = et_reap(c, 20000);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, et_tail(c, 4000));
	const char *fin = strstr(c->log, "final");
	fin = fin ? strstr(fin, "nat      10.0.2.0/24") : NULL;
	unsigned long in = 0, out = 0;
	ck_assert_msg(fin && sscanf(fin, "nat 10.0.2.0/24 in %lu out %lu", &in, &out) == 2,
		      "%s", et_tail(c, 4000));
	ck_assert_msg(in > 0 && out > 0, "nat in %lu out %lu", in, out); /* SYN out, RST back */
	free(c);
}
END_TEST
#endif

START_TEST(test_parse_capture_impair)
{
	struct vs_config *cfg = calloc(1, sizeof(*cfg));
	char *ok[] = {"vs", "--vdev", "net_null0", "--stack", "10.0.0.1/24", "--capture", "-",
		      "--impair", "1:loss=0.01,delay=1ms,seed=7", "--impair", "0/tx:rate=1mbit",
		      "--impair", "1/rx:pad=4"};

	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(vs_parse(cfg, 13, ok), VS_BAD); /* 1/rx is 1 again */
	ck_assert_ptr_nonnull(strstr(cfg->err, "port 1 rx is impaired already"));
	ck_assert_int_eq(vs_parse(cfg, 11, ok), VS_OK);
	ck_assert_str_eq(cfg->capture, "-");
	ck_assert_uint_eq(cfg->nimpairs, 2);
	ck_assert_uint_eq(cfg->impairs[0].port, 1);
	ck_assert(!cfg->impairs[0].tx);
	ck_assert_str_eq(cfg->impairs[0].spec, "loss=0.01,delay=1ms,seed=7");
	ck_assert(cfg->impairs[1].tx);
	char *noport[] = {"vs", "--vdev", "net_null0", "--impair", "1:loss=1"};
	ck_assert_int_eq(vs_parse(cfg, 5, noport), VS_BAD);
	ck_assert_ptr_nonnull(strstr(cfg->err, "there is no port 1"));
	char *nocolon[] = {"vs", "--vdev", "net_null0", "--impair", "0"};
	ck_assert_int_eq(vs_parse(cfg, 5, nocolon), VS_BAD);
	char *nospec[] = {"vs", "--vdev", "net_null0", "--impair", "0/tx:"};
	ck_assert_int_eq(vs_parse(cfg, 5, nospec), VS_BAD);
	char *baddir[] = {"vs", "--vdev", "net_null0", "--impair", "0/up:loss=1"};
	ck_assert_int_eq(vs_parse(cfg, 5, baddir), VS_BAD);
	char *twice[] = {"vs", "--vdev", "net_null0", "--capture", "a", "--capture", "b"};
	ck_assert_int_eq(vs_parse(cfg, 7, twice), VS_BAD);
	/* the --nat port is numbered after the stacks, and can be impaired */
	char *nat[] = {"vs", "--stack", "10.0.2.15/24", "--nat", "10.0.2.0/24", "--impair",
		       "1:loss=0.5"};
	ck_assert_int_eq(vs_parse(cfg, 7, nat), VS_OK);
	ck_assert_uint_eq(cfg->impairs[0].port, 1);
	char *nat2[] = {"vs", "--stack", "10.0.2.15/24", "--nat", "10.0.2.0/24", "--impair",
			"2:loss=0.5"};
	ck_assert_int_eq(vs_parse(cfg, 7, nat2), VS_BAD);
	ck_assert_ptr_nonnull(strstr(cfg->err, "there is no port 2 (ports are 0..1)"));
	free(cfg);
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("vnetif_switch");
	TCase *tc = et_tcase("cli", 60);

	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_bad_port_values);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_vhost_nat);
	tcase_add_test(tc, test_vhost_socket_checks);
	tcase_add_test(tc, test_parse_capture_impair);
	tcase_add_test(tc, test_port_fails);
	tcase_add_test(tc, test_pcap_sigint);
	tcase_add_test(tc, test_pcap_sigterm);
	tcase_add_test(tc, test_pcap_duration);
	tcase_add_test(tc, test_max_macs);
#ifdef VNETIF_ETHDEV_TEST_LWIP
	tcase_add_test(tc, test_stack_answers);
	tcase_add_test(tc, test_capture_and_impair);
#endif
#ifdef VNETIF_ETHDEV_TEST_SLIRP
	tcase_add_test(tc, test_nat_hostfwd);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(cli_suite());
}
