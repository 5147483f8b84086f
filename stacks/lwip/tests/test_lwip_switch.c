/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwIP stacks on a vnetif switch, in sync and async mode (loop index 0: sync, 1: async):
 * ARP and ICMP, UDP, a verified TCP transfer, several stacks with every pair talking at
 * once, mixed MTUs, a stack destroyed mid-connection, bad configurations and the
 * instance limit, create/destroy cycles. Every test ends with all mbufs back in the pool.
 */
#define _GNU_SOURCE
#include "lwip_test.h"

#define SRV "10.0.0.100"
#define CLI "10.0.0.101"

static vnetif_switch *sw_mode(int async)
{
	struct vnetif_switch_config c;

	vt_config(&c);
	c.async_readers = async != 0;
	return vt_switch(&c);
}

static vnetif_lwip_stack *stack_on(vnetif_switch *sw, const char *ip, unsigned mtu)
{
	struct vnetif_lwip_config c = lt_cfg(ip);

	c.mtu = mtu;
	return lt_stack(sw, &c);
}

START_TEST(test_arp_ping)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *srv = stack_on(sw, SRV, 0), *cli = stack_on(sw, CLI, 0);
	uint8_t mac[6], port_mac[6];
	unsigned rtt = 0;

	ck_assert_int_eq(vnetif_lwip_rx_mode(cli), VNETIF_LWIP_RX_DIRECT);
	ck_assert_int_eq(vnetif_lwip_arp_resolve(cli, SRV, mac, 2000), 0);
	vt_mac(vnetif_lwip_port(srv), port_mac);
	ck_assert(vt_mac_eq(mac, port_mac));
	ck_assert_int_eq(vnetif_lwip_ping(cli, SRV, 2000, &rtt), 0);
	ck_assert_int_eq(vnetif_lwip_ping(srv, CLI, 2000, NULL), 0);
	ck_assert_int_eq(vnetif_lwip_ping(cli, "10.0.0.200", 100, NULL), -ETIMEDOUT);
	{
		/* the locked path is refused where it could deadlock */
		struct vnetif_lwip_config c = lt_cfg("10.0.0.102");
		vnetif_lwip_stack *x = NULL;

		c.rx = VNETIF_LWIP_RX_LOCKED;
		ck_assert_int_eq(vnetif_lwip_create(sw, &c, &x), _i ? 0 : -EINVAL);
		if (x != NULL) {
			ck_assert_int_eq(vnetif_lwip_rx_mode(x), VNETIF_LWIP_RX_LOCKED);
			ck_assert_int_eq(vnetif_lwip_ping(x, SRV, 2000, NULL), 0);
			lt_destroy(x);
		}
		c.rx = VNETIF_LWIP_RX_MAILBOX;
		x = lt_stack(sw, &c);
		ck_assert_int_eq(vnetif_lwip_rx_mode(x), VNETIF_LWIP_RX_MAILBOX);
		ck_assert_int_eq(vnetif_lwip_ping(x, SRV, 2000, NULL), 0);
		lt_destroy(x);
	}
	lt_destroy(cli);
	lt_destroy(srv);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_udp)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *a = stack_on(sw, SRV, 0), *b = stack_on(sw, CLI, 0);

	lt_udp_echo(a, SRV, b, CLI, vt_tsan() ? 20 : 300, 512, 7000);
	lt_udp_echo(b, CLI, a, SRV, 10, 1472, 7001);
	lt_udp_echo(a, SRV, b, CLI, 10, 6000, 7002); /* fragmented and reassembled */
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_tcp_16m)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *srv = stack_on(sw, SRV, 0), *cli = stack_on(sw, CLI, 0);
	uint64_t bytes = vt_tsan() ? (1u << 20) : (16u << 20);
	struct vnetif_lwip_stats st;
	double mbs = lt_tcp(srv, SRV, cli, bytes, LT_PORT);

	printf("switch %s: TCP %" PRIu64 " MiB verified at %.0f MB/s\n", _i ? "async" : "sync",
	       bytes >> 20, mbs);
	ck_assert_int_eq(vnetif_lwip_stats_get(srv, &st), 0);
	ck_assert_uint_gt(st.rx_frames, bytes / (lt_mss(srv) + 40));
	lt_destroy(cli);
	lt_destroy(srv);
	vt_teardown(sw);
}
END_TEST

/* Every ordered pair of N stacks transfers at once: N*(N-1) connections. */
START_TEST(test_all_pairs)
{
	enum { N = 4 };
	static const char *ips[N] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"};
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *st[N];
	struct lt_xfer *x = calloc(N * N, sizeof(*x));
	uint64_t bytes = vt_tsan() ? (64u << 10) : (2u << 20);

	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < N; i++)
		st[i] = stack_on(sw, ips[i], 0);
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			struct lt_xfer *t = &x[i * N + j];

			if (i == j)
				continue;
			t->srv = st[j];
			t->cli = st[i];
			t->srv_ip = ips[j];
			t->port = (uint16_t)(6000 + i * N + j);
			t->bytes = bytes;
			t->seed = (unsigned)(i * N + j);
			lt_xfer_start(t);
		}
	for (int k = 0; k < N * N; k++)
		if (k / N != k % N)
			lt_xfer_join(&x[k]);
	for (int k = 0; k < N * N; k++)
		if (k / N != k % N)
			lt_xfer_check(&x[k]);
	for (int i = 0; i < N; i++)
		lt_destroy(st[i]);
	free(x);
	vt_teardown(sw);
}
END_TEST

/* Stacks with MTU 1500 and 9000 on one switch: TCP across, jumbo UDP between 9000s. */
START_TEST(test_mtu)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *s1500 = stack_on(sw, "10.0.0.15", 1500);
	vnetif_lwip_stack *j1 = stack_on(sw, "10.0.0.90", 9000);
	vnetif_lwip_stack *j2 = stack_on(sw, "10.0.0.91", 9000);
	struct vnetif_stats ps;
	uint64_t bytes = vt_tsan() ? (256u << 10) : (4u << 20);

	ck_assert_int_eq(vnetif_mtu(vnetif_lwip_port(s1500)), 1500);
	ck_assert_int_eq(vnetif_mtu(vnetif_lwip_port(j1)), 9000);
	lt_tcp(j1, "10.0.0.90", s1500, bytes, 5100);
	lt_tcp(s1500, "10.0.0.15", j2, bytes, 5101);
	lt_tcp(j2, "10.0.0.91", j1, bytes, 5102);
	/* 8000-byte datagrams between the jumbo stacks travel as single frames */
	ck_assert_int_eq(vnetif_stats_reset(vnetif_lwip_port(j2)), 0);
	lt_udp_echo(j1, "10.0.0.90", j2, "10.0.0.91", 10, 8000, 7100);
	ps = vt_stats(vnetif_lwip_port(j2));
	ck_assert_uint_ge(ps.tx_bytes, 10 * 8000);
	ck_assert_uint_le(ps.tx_packets, 14); /* 10 echoes, ARP, a late TCP segment */
	/* from the 1500 stack the same datagrams are fragmented */
	lt_udp_echo(s1500, "10.0.0.15", j1, "10.0.0.90", 5, 8000, 7101);
	lt_destroy(s1500);
	lt_destroy(j1);
	lt_destroy(j2);
	vt_teardown(sw);
}
END_TEST

/* The client stack is destroyed while its thread sends: the server sees a reset (or its
 * receive timeout), the client thread's call fails, nothing leaks. */
START_TEST(test_destroy_midconn)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *srv = stack_on(sw, SRV, 0), *cli = stack_on(sw, CLI, 0);
	struct lt_xfer x;

	memset(&x, 0, sizeof(x));
	x.srv = srv;
	x.cli = cli;
	x.srv_ip = SRV;
	x.port = 5200;
	x.bytes = 1ull << 40; /* never ends by itself */
	lt_xfer_start(&x);
	ck_assert_msg(VT_WAIT(__atomic_load_n(&x.received, __ATOMIC_RELAXED) > (256u << 10)),
		      "no data flowed");
	lt_destroy(cli);
	lt_xfer_join(&x);
	ck_assert_msg(x.srv_err == ECONNRESET || x.srv_err == ECONNABORTED ||
			      x.srv_err == EAGAIN || x.srv_err == ETIMEDOUT,
		      "server saw %d (%s)", x.srv_err, strerror(x.srv_err));
	ck_assert_int_ne(x.cli_err, 0);
	ck_assert_uint_lt(x.received, x.bytes);
	/* a later call with the dead handle fails cleanly */
	ck_assert_int_eq(vnetif_lwip_socket(cli, AF_INET, SOCK_STREAM, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(vnetif_lwip_destroy(cli), -EINVAL);
	/* the server stack is fine: a new client talks to it */
	cli = stack_on(sw, CLI, 0);
	lt_tcp(srv, SRV, cli, 64u << 10, 5201);
	lt_destroy(cli);

	/* and the server side destroyed with a connection and a listener open */
	memset(&x, 0, sizeof(x));
	cli = stack_on(sw, CLI, 0);
	x.srv = srv;
	x.cli = cli;
	x.srv_ip = SRV;
	x.port = 5202;
	x.bytes = 1ull << 40;
	lt_xfer_start(&x);
	ck_assert(VT_WAIT(__atomic_load_n(&x.received, __ATOMIC_RELAXED) > (256u << 10)));
	lt_destroy(srv);
	lt_xfer_join(&x);
	ck_assert_msg(x.cli_err == ECONNRESET || x.cli_err == ECONNABORTED || x.cli_err == EAGAIN ||
			      x.cli_err == ETIMEDOUT,
		      "client saw %d (%s)", x.cli_err, strerror(x.cli_err));
	lt_destroy(cli);
	vt_teardown(sw);
}
END_TEST

/* Threads blocked in accept(), UDP recvfrom() and poll() on a stack being destroyed are
 * woken, their calls fail or return, and destroy completes. */
struct blocked {
	vnetif_lwip_stack *s;
	int fd, kind; /* 0 accept, 1 recvfrom, 2 poll */
	_Atomic int state; /* 1 about to block, 2 returned */
	long ret;
	int err;
};

static void *block_main(void *arg)
{
	struct blocked *b = arg;
	char buf[64];
	struct pollfd pfd = {.fd = b->fd, .events = POLLIN};

	atomic_store(&b->state, 1);
	if (b->kind == 0)
		b->ret = vnetif_lwip_accept(b->s, b->fd, NULL, NULL);
	else if (b->kind == 1)
		b->ret = vnetif_lwip_recvfrom(b->s, b->fd, buf, sizeof(buf), 0, NULL, NULL);
	else
		b->ret = vnetif_lwip_poll(b->s, &pfd, 1, -1);
	b->err = errno;
	atomic_store(&b->state, 2);
	return NULL;
}

START_TEST(test_destroy_blocked)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *s = stack_on(sw, SRV, 0);
	struct sockaddr_in a = lt_addr("0.0.0.0", 9000), u = lt_addr("0.0.0.0", 9001);
	struct blocked b[3];
	pthread_t t[3];
	int ls = vnetif_lwip_socket(s, AF_INET, SOCK_STREAM, 0);
	int us = vnetif_lwip_socket(s, AF_INET, SOCK_DGRAM, 0);
	int ps = vnetif_lwip_socket(s, AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(ls, 0);
	ck_assert_int_ge(us, 0);
	ck_assert_int_ge(ps, 0);
	ck_assert_int_eq(vnetif_lwip_bind(s, ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(s, ls, 4), 0);
	ck_assert_int_eq(vnetif_lwip_bind(s, us, (struct sockaddr *)&u, sizeof(u)), 0);
	for (int i = 0; i < 3; i++) {
		b[i] = (struct blocked){.s = s, .fd = i == 0 ? ls : i == 1 ? us : ps, .kind = i};
		ck_assert_int_eq(pthread_create(&t[i], NULL, block_main, &b[i]), 0);
		ck_assert(VT_WAIT(atomic_load(&b[i].state) == 1));
	}
	usleep(50000); /* let them block */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(atomic_load(&b[i].state), 1);
	lt_destroy(s); /* -EBUSY (after 2 s) if a thread were not woken */
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(atomic_load(&b[i].state), 2);
	}
	/* accept fails; recvfrom gets an empty datagram or an error; poll returns (or, if
	 * its thread was slow to get there, the call was refused with EBADF) */
	ck_assert_int_eq(b[0].ret, -1);
	ck_assert_int_le(b[1].ret, 0);
	ck_assert(b[2].ret >= 0 || b[2].err == EBADF);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_bad_config)
{
	static const struct {
		const char *ip, *mask, *gw, *ip6;
		unsigned mtu;
	} bad[] = {
		{NULL, "255.255.255.0", NULL, NULL, 0},
		{"10.0.0.300", "255.255.255.0", NULL, NULL, 0},
		{"ten.zero", "255.255.255.0", NULL, NULL, 0},
		{"0.0.0.0", "255.255.255.0", NULL, NULL, 0},
		{"127.0.0.1", "255.0.0.0", NULL, NULL, 0},
		{"224.0.0.5", "255.255.255.0", NULL, NULL, 0},
		{"255.255.255.255", "255.255.255.0", NULL, NULL, 0},
		{"10.0.0.0", "255.255.255.0", NULL, NULL, 0},   /* network address */
		{"10.0.0.255", "255.255.255.0", NULL, NULL, 0}, /* broadcast address */
		{"10.0.0.1", NULL, NULL, NULL, 0},
		{"10.0.0.1", "0.0.0.0", NULL, NULL, 0},         /* zero netmask */
		{"10.0.0.1", "255.0.255.0", NULL, NULL, 0},     /* not contiguous */
		{"10.0.0.1", "255.255.255.255", NULL, NULL, 0},
		{"10.0.0.1", "255.255.255.0", "10.0.1.1", NULL, 0}, /* gateway elsewhere */
		{"10.0.0.1", "255.255.255.0", "10.0.0.1", NULL, 0}, /* gateway = self */
		{"10.0.0.1", "255.255.255.0", "bogus", NULL, 0},
		{"10.0.0.1", "255.255.255.0", NULL, "fd00::zz", 0},
		{"10.0.0.1", "255.255.255.0", NULL, NULL, 100},
		{"10.0.0.1", "255.255.255.0", NULL, NULL, 20000},
	};
	vnetif_switch *sw = sw_mode(0);
	struct vnetif_lwip_config c;
	vnetif_lwip_stack *s = NULL, *s2 = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = lt_cfg(bad[i].ip);
		c.netmask = bad[i].mask;
		c.gateway = bad[i].gw;
		c.ipv6 = bad[i].ip6;
		c.mtu = bad[i].mtu;
		ck_assert_msg(vnetif_lwip_create(sw, &c, &s) == -EINVAL, "case %zu accepted", i);
		ck_assert_ptr_null(s);
	}
	c = lt_cfg("10.0.0.1");
	c.mac[0] = 0x01; /* multicast MAC */
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create(NULL, &c, &s), -EINVAL);
	ck_assert_int_eq(vnetif_lwip_create(sw, NULL, &s), -EINVAL);
	/* a MAC already on the switch */
	c = lt_cfg("10.0.0.1");
	s = lt_stack(sw, &c);
	c = lt_cfg("10.0.0.2");
	ck_assert_int_eq(vnetif_lwip_mac(s, c.mac), 0);
	ck_assert_int_eq(vnetif_lwip_create(sw, &c, &s2), -EADDRINUSE);
	/* a good config with a gateway and IPv6 works */
	c = lt_cfg("10.0.0.3");
	c.gateway = "10.0.0.254";
	c.ipv6 = "fd00::3";
	s2 = lt_stack(sw, &c);
	lt_destroy(s2);
	lt_destroy(s);
	ck_assert_int_eq(vnetif_lwip_destroy(NULL), -EINVAL);
	vt_teardown(sw);
}
END_TEST

/* Stacks until the process has no namespace left: a clear -EMFILE, then reuse works. */
START_TEST(test_too_many)
{
	struct vnetif_switch_config sc;
	vnetif_lwip_stack *st[32];
	vnetif_switch *sw;
	char ip[32][16];
	int n = 0, rc = 0;

	vt_config(&sc);
	sc.async_readers = true;
	sw = vt_switch(&sc);
	while (n < 32) {
		struct vnetif_lwip_config c;

		snprintf(ip[n], sizeof(ip[n]), "10.0.0.%d", n + 1);
		c = lt_cfg(ip[n]);
		rc = vnetif_lwip_create(sw, &c, &st[n]);
		if (rc)
			break;
		n++;
	}
	printf("stacks per process: %d (then %d: %s)\n", n, rc, vnetif_lwip_strerror(rc));
	ck_assert_int_eq(rc, -EMFILE);
	ck_assert_int_ge(n, 8);
	/* all of them work at once */
	ck_assert_int_eq(vnetif_lwip_ping(st[0], ip[n - 1], 2000, NULL), 0);
	ck_assert_int_eq(vnetif_lwip_ping(st[n - 1], ip[n / 2], 2000, NULL), 0);
	/* a destroyed stack's namespace serves the next one */
	lt_destroy(st[n - 1]);
	st[n - 1] = stack_on(sw, ip[n - 1], 0);
	ck_assert_int_eq(vnetif_lwip_ping(st[n - 1], ip[0], 2000, NULL), 0);
	for (int i = 0; i < n; i++)
		lt_destroy(st[i]);
	vt_teardown(sw);
}
END_TEST

START_TEST(test_cycles)
{
	vnetif_switch *sw = sw_mode(_i);
	vnetif_lwip_stack *srv = stack_on(sw, SRV, 0);
	unsigned cycles = vt_tsan() ? 20 : 200;
	struct sockaddr_in la = lt_addr("0.0.0.0", 80), sa = lt_addr(SRV, 80);
	int ls = vnetif_lwip_socket(srv, AF_INET, SOCK_STREAM, 0);

	/* a listener that never accepts: connections complete into its backlog */
	ck_assert_int_ge(ls, 0);
	ck_assert_int_eq(vnetif_lwip_bind(srv, ls, (struct sockaddr *)&la, sizeof(la)), 0);
	ck_assert_int_eq(vnetif_lwip_listen(srv, ls, 64), 0);
	for (unsigned i = 0; i < cycles; i++) {
		vnetif_lwip_stack *cli = stack_on(sw, CLI, 0);

		/* every 10th cycle: a connection left open at destroy */
		if (i % 10 == 0) {
			int fd = vnetif_lwip_socket(cli, AF_INET, SOCK_STREAM, 0);

			ck_assert_int_ge(fd, 0);
			ck_assert_int_eq(vnetif_lwip_connect(cli, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
			ck_assert_int_eq(vnetif_lwip_send(cli, fd, "hello", 5, 0), 5);
			ck_assert_int_eq(vnetif_lwip_ping(cli, SRV, 2000, NULL), 0);
		}
		lt_destroy(cli);
	}
	lt_destroy(srv); /* with the listener and its backlog open */
	vt_teardown(sw);
}
END_TEST

/* IPv6 beside IPv4: neighbour discovery, UDP and a verified TCP transfer over AF_INET6. */
START_TEST(test_ipv6)
{
	vnetif_switch *sw = sw_mode(_i);
	struct vnetif_lwip_config ca = lt_cfg(SRV), cb = lt_cfg(CLI);
	vnetif_lwip_stack *a, *b;

	ca.ipv6 = "fd00::100";
	cb.ipv6 = "fd00::101";
	a = lt_stack(sw, &ca);
	b = lt_stack(sw, &cb);
	lt_udp_echo(a, "fd00::100", b, "fd00::101", 20, 1000, 7300);
	lt_tcp(a, "fd00::100", b, vt_tsan() ? (256u << 10) : (4u << 20), 5300);
	lt_tcp(a, SRV, b, 256u << 10, 5301); /* and IPv4 still */
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(sw);
}
END_TEST

/* Async switch without reader threads: the application polls the switch itself. */
struct poller {
	vnetif_switch *sw;
	_Atomic bool stop;
	_Atomic uint64_t frames;
};

static void *poll_main(void *arg)
{
	struct poller *p = arg;

	while (!atomic_load(&p->stop)) {
		int n = vnetif_switch_poll(p->sw, 64);

		if (n > 0)
			atomic_fetch_add(&p->frames, (uint64_t)n);
		else
			usleep(20);
	}
	return NULL;
}

START_TEST(test_app_polls)
{
	struct poller p = {.sw = sw_mode(1)};
	struct vnetif_lwip_config ca = lt_cfg(SRV), cb = lt_cfg(CLI);
	vnetif_lwip_stack *a, *b;
	pthread_t t;

	ca.no_reader = cb.no_reader = true;
	a = lt_stack(p.sw, &ca);
	b = lt_stack(p.sw, &cb);
	ck_assert_int_eq(vnetif_lwip_rx_mode(a), VNETIF_LWIP_RX_DIRECT);
	ck_assert_int_eq(pthread_create(&t, NULL, poll_main, &p), 0);
	ck_assert_int_eq(vnetif_lwip_ping(b, SRV, 2000, NULL), 0);
	lt_tcp(a, SRV, b, vt_tsan() ? (256u << 10) : (4u << 20), 5400);
	/* senders deliver most frames into idle peers themselves (vnetif_lwip.h, "Receive
	 * path"); broadcasts (ARP) are always left to the application's loop */
	ck_assert_uint_gt(atomic_load(&p.frames), 0);
	atomic_store(&p.stop, true);
	pthread_join(t, NULL);
	lt_destroy(a);
	lt_destroy(b);
	vt_teardown(p.sw);
}
END_TEST

/* A yield function that holds reader threads while `held` is set: they stay awake
 * (vnetif_reader_awake() says 1) but take nothing in. */
static _Atomic bool held;

static void hold_readers(void *arg)
{
	char name[16];

	(void)arg;
	if (atomic_load(&held) && pthread_getname_np(pthread_self(), name, sizeof(name)) == 0 &&
	    strncmp(name, "vnetif-rd", 9) == 0) {
		while (atomic_load(&held))
			usleep(1000);
		return;
	}
	sched_yield();
}

/* On an async switch a stack carries the frames it sends to another stack of the
 * process through that stack itself (vnetif_lwip.h, "Receive path"): a stream's data
 * segments too, also while the receiver's reader is awake. Here both readers are awake
 * and take nothing in, and a transfer still completes. */
START_TEST(test_sender_carries_stream)
{
	struct vnetif_switch_config c;
	vnetif_switch *sw;
	vnetif_lwip_stack *srv, *cli;
	struct vnetif_lwip_stats st;
	uint64_t before, bytes = vt_tsan() ? (256u << 10) : (4u << 20);

	vt_config(&c);
	c.async_readers = true;
	c.yield = hold_readers;
	sw = vt_switch(&c);
	srv = stack_on(sw, SRV, 0);
	cli = stack_on(sw, CLI, 0);
	ck_assert_int_eq(vnetif_lwip_ping(cli, SRV, 2000, NULL), 0); /* ARP: readers' work */
	atomic_store(&held, true);
	for (int i = 0; i < 2000 && (vnetif_reader_awake(vnetif_lwip_port(srv)) != 1 ||
				     vnetif_reader_awake(vnetif_lwip_port(cli)) != 1); i++)
		usleep(1000);
	ck_assert_int_eq(vnetif_reader_awake(vnetif_lwip_port(srv)), 1);
	ck_assert_int_eq(vnetif_reader_awake(vnetif_lwip_port(cli)), 1);
	ck_assert_int_eq(vnetif_lwip_stats_get(srv, &st), 0);
	before = st.rx_frames;
	lt_tcp(srv, SRV, cli, bytes, 5450);
	ck_assert_int_eq(vnetif_lwip_stats_get(srv, &st), 0);
	ck_assert_uint_gt(st.rx_frames - before, bytes / lt_mss(cli)); /* every segment */
	atomic_store(&held, false);
	lt_destroy(cli);
	lt_destroy(srv);
	vt_teardown(sw);
}
END_TEST

/* Every instance seeds its rand() differently: ephemeral ports differ. */
START_TEST(test_seeds)
{
	enum { N = 4 };
	vnetif_switch *sw = sw_mode(0);
	vnetif_lwip_stack *st[N];
	unsigned short port[N];
	char ip[N][16];
	int distinct = 0;

	for (int i = 0; i < N; i++) {
		struct sockaddr_in any = lt_addr("0.0.0.0", 0), got;
		socklen_t gl = sizeof(got);
		int fd;

		snprintf(ip[i], sizeof(ip[i]), "10.0.0.%d", 10 + i);
		st[i] = stack_on(sw, ip[i], 0);
		fd = vnetif_lwip_socket(st[i], AF_INET, SOCK_DGRAM, 0);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(vnetif_lwip_bind(st[i], fd, (struct sockaddr *)&any, sizeof(any)), 0);
		ck_assert_int_eq(vnetif_lwip_getsockname(st[i], fd, (struct sockaddr *)&got, &gl), 0);
		port[i] = ntohs(got.sin_port);
		ck_assert_uint_ge(port[i], 0xc000);
		vnetif_lwip_close(st[i], fd);
	}
	for (int i = 0; i < N; i++) {
		bool dup = false;

		for (int j = 0; j < i; j++)
			dup |= port[j] == port[i];
		distinct += !dup;
	}
	ck_assert_msg(distinct >= N - 1, "ephemeral ports %u %u %u %u", port[0], port[1], port[2],
		      port[3]);
	for (int i = 0; i < N; i++)
		lt_destroy(st[i]);
	vt_teardown(sw);
}
END_TEST

static Suite *switch_suite(void)
{
	Suite *s = suite_create("lwip_switch");
	TCase *tc = tcase_create("switch");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, NULL, vt_cleanup);
	tcase_add_loop_test(tc, test_arp_ping, 0, 2);
	tcase_add_loop_test(tc, test_udp, 0, 2);
	tcase_add_loop_test(tc, test_tcp_16m, 0, 2);
	tcase_add_loop_test(tc, test_all_pairs, 0, 2);
	tcase_add_loop_test(tc, test_mtu, 0, 2);
	tcase_add_loop_test(tc, test_destroy_midconn, 0, 2);
	tcase_add_loop_test(tc, test_destroy_blocked, 0, 2);
	tcase_add_loop_test(tc, test_ipv6, 0, 2);
	tcase_add_test(tc, test_app_polls);
	tcase_add_test(tc, test_sender_carries_stream);
	tcase_add_test(tc, test_seeds);
	tcase_add_test(tc, test_bad_config);
	tcase_add_test(tc, test_too_many);
	tcase_add_loop_test(tc, test_cycles, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(switch_suite());
}
