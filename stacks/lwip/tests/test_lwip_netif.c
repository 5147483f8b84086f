/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The plain netif driver: this program links its own lwIP (the main namespace's single
 * instance), adds a netif with netif_add(..., vnetif_lwip_netif_init, tcpip_input) on a
 * switch port, and talks to a vnetif-lwip stack on the same switch: ARP, ping both ways,
 * TCP both ways (the main lwIP through its own socket API). Sync and async switch modes.
 */
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/tcpip.h"

#include "lt_frames.h"
#include "lwip_test.h"
#include "vnetif_lwip_netif.h"

#define MAIN_IP "10.0.0.200"
#define INST_IP "10.0.0.201"

static sys_sem_t started;
static bool lwip_up;

static void init_done(void *arg)
{
	(void)arg;
	sys_sem_signal(&started);
}

/* The main namespace's lwIP has no deinit: start it once per process. */
static void main_lwip_up(void)
{
	if (lwip_up)
		return;
	ck_assert_int_eq(sys_sem_new(&started, 0), ERR_OK);
	tcpip_init(init_done, NULL);
	sys_sem_wait(&started);
	sys_sem_free(&started);
	lwip_up = true;
}

/* A TCP server on the main lwIP: accept one connection, echo until EOF. */
struct echo_srv {
	int ls;
	_Atomic int done;
	uint64_t echoed;
	int err;
};

static void *echo_main(void *arg)
{
	struct echo_srv *e = arg;
	char buf[4096];
	int c = lwip_accept(e->ls, NULL, NULL);

	if (c < 0) {
		e->err = errno;
	} else {
		for (;;) {
			ssize_t n = lwip_recv(c, buf, sizeof(buf), 0);

			if (n <= 0) {
				if (n < 0)
					e->err = errno;
				break;
			}
			if (lwip_send(c, buf, (size_t)n, 0) != n) {
				e->err = errno;
				break;
			}
			e->echoed += (uint64_t)n;
		}
		lwip_close(c);
	}
	atomic_store(&e->done, 1);
	return NULL;
}

/* The application's lwIP gets a netif on @port, 10.0.@net.200/24, input @input. */
static void netif_up(struct netif *nif, vnetif_port *port, int net, netif_input_fn input)
{
	ip4_addr_t ip, mask, gw;

	memset(nif, 0, sizeof(*nif));
	IP4_ADDR(&ip, 10, 0, net, 200);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 0, 0, 0, 0);
	LOCK_TCPIP_CORE();
	ck_assert_ptr_nonnull(netif_add(nif, &ip, &mask, &gw, port, vnetif_lwip_netif_init, input));
	netif_set_default(nif);
	netif_set_up(nif);
	UNLOCK_TCPIP_CORE();
}

/* Detach: no frame reaches the netif after the disconnect, then remove it. */
static void netif_down(struct netif *nif, vnetif_port *port)
{
	ck_assert_int_eq(vnetif_disconnect(port, 0), 0);
	LOCK_TCPIP_CORE();
	netif_remove(nif);
	UNLOCK_TCPIP_CORE();
}

START_TEST(test_netif_driver)
{
	struct vnetif_switch_config sc;
	vnetif_switch *sw;
	vnetif_port *port;
	/* static: lwIP keeps a pointer to the netif (and the echo thread to its context) in
	 * its own threads; a failed check leaves the test without netif_remove(), and a
	 * netif on a dead stack frame would turn that failure into memory errors */
	static struct netif nif;
	static struct echo_srv e;
	struct vnetif_lwip_config c = lt_cfg(INST_IP);
	vnetif_lwip_stack *inst;
	uint8_t mac[6], pmac[6];
	pthread_t t;
	struct sockaddr_in la = lt_addr("0.0.0.0", 8080), sa = lt_addr(INST_IP, 8081);
	int fd, one = 1;
	char out[3000], in[3000];

	memset(&e, 0, sizeof(e));
	vt_config(&sc);
	sc.async_readers = _i != 0;
	sw = vt_switch(&sc);
	main_lwip_up();
	port = vt_connect(sw);
	netif_up(&nif, port, 0, tcpip_input);
	if (_i) /* async switch: somebody runs the port's listener */
		ck_assert_int_eq(vnetif_reader_start(port), 0);
	ck_assert_int_eq(nif.mtu, 1500);
	vt_mac(port, pmac);
	ck_assert(vt_mac_eq(nif.hwaddr, pmac));

	inst = lt_stack(sw, &c);
	/* ARP and ICMP: the instance resolves and pings the application's lwIP */
	ck_assert_int_eq(vnetif_lwip_arp_resolve(inst, MAIN_IP, mac, 2000), 0);
	ck_assert(vt_mac_eq(mac, pmac));
	ck_assert_int_eq(vnetif_lwip_ping(inst, MAIN_IP, 2000, NULL), 0);

	/* the driver's input guard: UDP-Lite datagrams whose checksum coverage lwIP would
	 * trust (and abort on) are refused and counted; the netif still answers */
	{
		static const unsigned cov[] = {0xffff, 33, 1, 2, 3, 4, 5, 6, 7};
		vnetif_port *raw = vt_connect(sw);
		uint64_t before = vnetif_lwip_netif_rx_refused();
		uint8_t f[128], rmac[6];

		vt_mac(raw, rmac);
		for (size_t k = 0; k < sizeof(cov) / sizeof(cov[0]); k++) {
			size_t n = ltf_eth(f, pmac, rmac, 0x0800);

			memset(f + n + 20, 0x5a, 32);
			ltf_put16(f + n + 20, 40000);
			ltf_put16(f + n + 22, 9);
			ltf_put16(f + n + 24, cov[k]);
			n += ltf_ip4(f + n, 0x0a0000deu, 0x0a0000c8u, 136, NULL, 0, 32, 1, 0);
			ck_assert_int_eq(vnetif_write(raw, f, n), 0);
		}
		ck_assert_msg(VT_WAIT(vnetif_lwip_netif_rx_refused() == before + 9), "refused %" PRIu64,
			      vnetif_lwip_netif_rx_refused() - before);
		ck_assert_int_eq(vnetif_lwip_ping(inst, MAIN_IP, 2000, NULL), 0);
		ck_assert_int_eq(vnetif_disconnect(raw, 0), 0);
	}

	/* TCP: instance -> application's lwIP (echo server on its socket API) */
	e.ls = lwip_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(e.ls, 0);
	lwip_setsockopt(e.ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ck_assert_int_eq(lwip_bind(e.ls, (struct sockaddr *)&la, sizeof(la)), 0);
	ck_assert_int_eq(lwip_listen(e.ls, 1), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, echo_main, &e), 0);
	{
		struct sockaddr_in ma = lt_addr(MAIN_IP, 8080);
		int cfd = vnetif_lwip_socket(inst, AF_INET, SOCK_STREAM, 0);
		size_t got = 0;

		ck_assert_int_ge(cfd, 0);
		lt_timeout(inst, cfd, 5000);
		ck_assert_int_eq(vnetif_lwip_connect(inst, cfd, (struct sockaddr *)&ma, sizeof(ma)), 0);
		for (size_t k = 0; k < sizeof(out); k++)
			out[k] = (char)lt_byte(k, 3);
		ck_assert_int_eq(vnetif_lwip_send(inst, cfd, out, sizeof(out), 0), (ssize_t)sizeof(out));
		while (got < sizeof(in)) {
			ssize_t n = vnetif_lwip_recv(inst, cfd, in + got, sizeof(in) - got, 0);

			ck_assert_int_gt(n, 0);
			got += (size_t)n;
		}
		ck_assert(memcmp(in, out, sizeof(in)) == 0);
		vnetif_lwip_close(inst, cfd);
	}
	pthread_join(t, NULL);
	ck_assert_int_eq(e.err, 0);
	ck_assert_uint_eq(e.echoed, sizeof(out));
	lwip_close(e.ls);

	/* TCP: application's lwIP -> instance */
	{
		int ls = vnetif_lwip_socket(inst, AF_INET, SOCK_STREAM, 0), a;
		struct sockaddr_in any = lt_addr("0.0.0.0", 8081);
		size_t got = 0;

		ck_assert_int_ge(ls, 0);
		ck_assert_int_eq(vnetif_lwip_bind(inst, ls, (struct sockaddr *)&any, sizeof(any)), 0);
		ck_assert_int_eq(vnetif_lwip_listen(inst, ls, 1), 0);
		fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(lwip_connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		a = vnetif_lwip_accept(inst, ls, NULL, NULL);
		ck_assert_int_ge(a, 0);
		ck_assert_int_eq(lwip_send(fd, out, sizeof(out), 0), (ssize_t)sizeof(out));
		lt_timeout(inst, a, 5000);
		while (got < sizeof(in)) {
			ssize_t n = vnetif_lwip_recv(inst, a, in + got, sizeof(in) - got, 0);

			ck_assert_int_gt(n, 0);
			got += (size_t)n;
		}
		ck_assert(memcmp(in, out, sizeof(in)) == 0);
		lwip_close(fd);
		vnetif_lwip_close(inst, a);
		vnetif_lwip_close(inst, ls);
	}

	lt_destroy(inst);
	netif_down(&nif, port);
	vt_teardown(sw);
}
END_TEST

/* An input function that refuses every frame, as tcpip_input does with a full mailbox. */
static err_t refusing_input(struct pbuf *p, struct netif *inp)
{
	(void)p;
	(void)inp;
	return ERR_MEM;
}

/* Every frame the driver's listener receives reaches netif->input or is counted: here
 * netif->input refuses them all, and each is counted as dropped (the pbufs freed, the
 * mbufs back in the pool: vt_teardown checks). */
START_TEST(test_netif_input_refused_is_counted)
{
	struct vnetif_switch_config sc;
	static struct netif nif;
	vnetif_switch *sw;
	vnetif_port *port, *raw;
	uint8_t f[64], pmac[6], rmac[6];
	uint64_t before;

	vt_config(&sc);
	sw = vt_switch(&sc);
	main_lwip_up();
	port = vt_connect(sw);
	raw = vt_connect(sw);
	netif_up(&nif, port, 1, refusing_input);
	vt_mac(port, pmac);
	vt_mac(raw, rmac);
	before = vnetif_lwip_netif_rx_dropped();
	for (int k = 0; k < 10; k++) {
		size_t n = ltf_eth(f, pmac, rmac, 0x0806);

		memset(f + n, k, sizeof(f) - n);
		ck_assert_int_eq(vnetif_write(raw, f, sizeof(f)), 0);
	}
	ck_assert_msg(VT_WAIT(vnetif_lwip_netif_rx_dropped() == before + 10), "dropped %" PRIu64,
		      vnetif_lwip_netif_rx_dropped() - before);
	netif_down(&nif, port);
	ck_assert_int_eq(vnetif_disconnect(raw, 0), 0); /* frees lwIP's ARP announcements */
	vt_teardown(sw);
}
END_TEST

static Suite *netif_suite(void)
{
	Suite *s = suite_create("lwip_netif");
	TCase *tc = tcase_create("netif");

	tcase_set_timeout(tc, 300);
	tcase_add_checked_fixture(tc, NULL, vt_cleanup);
	tcase_add_loop_test(tc, test_netif_driver, 0, 2);
	tcase_add_test(tc, test_netif_input_refused_is_counted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return vt_run(netif_suite());
}
