/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp-rr over the kernel's sockets: the same loop as latency's tcp-rr between two lwIP
 * stacks (a 64-byte request, a 64-byte response, one outstanding, TCP_NODELAY on both
 * ends), for the Linux baseline bench/vs-linux.sh runs over a veth pair.
 *
 *   tcp-rr -l PORT                      serve one connection: echo 64-byte messages
 *   tcp-rr -c IPV4 -p PORT [-t SECONDS] transactions per second, one line:
 *                                       "<trans/s>"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_clock.h"

#define MSG 64

static int exact(int fd, char *buf, size_t n, int send_it)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = send_it ? send(fd, buf + done, n - done, MSG_NOSIGNAL)
				    : recv(fd, buf + done, n - done, 0);
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int serve(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, ls = socket(AF_INET, SOCK_STREAM, 0), fd;
	char buf[MSG];

	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("tcp-rr: listen");
		return 1;
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0) {
		perror("tcp-rr: accept");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (exact(fd, buf, sizeof(buf), 0) == 0)
		if (exact(fd, buf, sizeof(buf), 1) < 0)
			break;
	close(fd);
	close(ls);
	return 0;
}

static int client(const char *ip, int port, double seconds)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[MSG] = "request";
	uint64_t n = 0, t0, end;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "tcp-rr: not an IPv4 address: %s\n", ip);
		return 2;
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("tcp-rr: connect");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	while (bench_now_ns() < end) {
		if (exact(fd, buf, sizeof(buf), 1) < 0 || exact(fd, buf, sizeof(buf), 0) < 0) {
			fprintf(stderr, "tcp-rr: connection lost after %llu transactions\n",
				(unsigned long long)n);
			return 1;
		}
		n++;
	}
	printf("%.1f\n", (double)n / ((double)(bench_now_ns() - t0) / 1e9));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *ip = NULL;
	int port = 0, listen_port = 0, c;
	double seconds = 1.0;

	while ((c = getopt(argc, argv, "l:c:p:t:h")) != -1) {
		switch (c) {
		case 'l': listen_port = atoi(optarg); break;
		case 'c': ip = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: tcp-rr -l PORT | tcp-rr -c IPV4 -p PORT [-t SECONDS]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (listen_port > 0 && listen_port < 65536)
		return serve(listen_port);
	if (ip == NULL || port <= 0 || port > 65535 || seconds <= 0) {
		fprintf(stderr, "usage: tcp-rr -l PORT | tcp-rr -c IPV4 -p PORT [-t SECONDS]\n");
		return 2;
	}
	return client(ip, port, seconds);
}
