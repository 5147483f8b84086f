/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * loopback: mirage-vnetif's "connect" example in C.
 *
 * One program, one in-memory switch, two independent lwIP TCP/IP stacks on it: a server
 * (10.0.0.100) listening on TCP port 80 and a client (10.0.0.101). The client resolves
 * the server by ARP, pings it, connects, sends a message and reads the reply. Every frame
 * crosses the switch. No hugepages, no NIC, no root:
 *
 *     ./loopback
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vnetif.h"
#include "vnetif_lwip.h"

#define SERVER_IP "10.0.0.100"
#define CLIENT_IP "10.0.0.101"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "loopback: %s: %s\n", what, vnetif_lwip_strerror(err < 0 ? err : -err));
	return EXIT_FAILURE;
}

static vnetif_lwip_stack *make_stack(vnetif_switch *sw, const char *ip)
{
	struct vnetif_lwip_config cfg;
	vnetif_lwip_stack *s;
	int rc;

	vnetif_lwip_config_init(&cfg);
	cfg.ipv4 = ip;
	cfg.netmask = "255.255.255.0";
	cfg.gateway = "10.0.0.1";
	rc = vnetif_lwip_create(sw, &cfg, &s);
	if (rc) {
		fail(ip, rc);
		exit(EXIT_FAILURE);
	}
	return s;
}

static void print_mac(const char *label, const uint8_t m[6])
{
	printf("%s%02x:%02x:%02x:%02x:%02x:%02x\n", label, m[0], m[1], m[2], m[3], m[4], m[5]);
}

int main(void)
{
	struct vnetif_switch_config scfg;
	vnetif_switch *sw;
	vnetif_lwip_stack *server, *client;
	struct sockaddr_in addr;
	uint8_t mac[6];
	char buf[128], peer[INET_ADDRSTRLEN];
	socklen_t alen = sizeof(addr);
	unsigned rtt;
	int rc, lfd, cfd, sfd;
	ssize_t n;
	double t0 = now_s();

	/* the switch: mirage's Basic_backend.create ~use_async_readers:true */
	vnetif_switch_config_init(&scfg);
	scfg.async_readers = true;
	rc = vnetif_switch_create(&scfg, &sw);
	if (rc)
		return fail("switch", rc);

	server = make_stack(sw, SERVER_IP);
	client = make_stack(sw, CLIENT_IP);
	vnetif_lwip_mac(server, mac);
	print_mac("server " SERVER_IP " up, MAC ", mac);
	vnetif_lwip_mac(client, mac);
	print_mac("client " CLIENT_IP " up, MAC ", mac);

	/* server: listen on TCP port 80 */
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(80);
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = vnetif_lwip_socket(server, AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || vnetif_lwip_bind(server, lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    vnetif_lwip_listen(server, lfd, 1) < 0)
		return fail("server listen", errno);
	printf("server: listening on TCP port 80\n");

	/* client: ARP, ping, connect */
	rc = vnetif_lwip_arp_resolve(client, SERVER_IP, mac, 1000);
	if (rc)
		return fail("ARP", rc);
	print_mac("client: ARP says " SERVER_IP " is at ", mac);
	rc = vnetif_lwip_ping(client, SERVER_IP, 1000, &rtt);
	if (rc)
		return fail("ping", rc);
	printf("client: ping " SERVER_IP ": reply in %u us\n", rtt);

	inet_pton(AF_INET, SERVER_IP, &addr.sin_addr);
	cfd = vnetif_lwip_socket(client, AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || vnetif_lwip_connect(client, cfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return fail("connect", errno);
	printf("client: connected to " SERVER_IP ":80\n");

	sfd = vnetif_lwip_accept(server, lfd, (struct sockaddr *)&addr, &alen);
	if (sfd < 0)
		return fail("accept", errno);
	inet_ntop(AF_INET, &addr.sin_addr, peer, sizeof(peer));
	printf("server: accepted a connection from %s:%u\n", peer, ntohs(addr.sin_port));

	/* client -> server -> client */
	if (vnetif_lwip_send(client, cfd, "hello from " CLIENT_IP, strlen("hello from " CLIENT_IP), 0) < 0)
		return fail("client send", errno);
	n = vnetif_lwip_recv(server, sfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return fail("server recv", n < 0 ? errno : EPIPE);
	buf[n] = '\0';
	printf("server: got \"%s\"\n", buf);
	if (vnetif_lwip_send(server, sfd, "hello back from " SERVER_IP,
			     strlen("hello back from " SERVER_IP), 0) < 0)
		return fail("server send", errno);
	n = vnetif_lwip_recv(client, cfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return fail("client recv", n < 0 ? errno : EPIPE);
	buf[n] = '\0';
	printf("client: reply \"%s\"\n", buf);

	vnetif_lwip_close(client, cfd);
	vnetif_lwip_close(server, sfd);
	vnetif_lwip_close(server, lfd);
	vnetif_lwip_destroy(client);
	vnetif_lwip_destroy(server);
	rc = vnetif_switch_destroy(sw);
	if (rc)
		return fail("switch destroy", rc);
	printf("done in %.0f ms\n", (now_s() - t0) * 1000);
	return EXIT_SUCCESS;
}
