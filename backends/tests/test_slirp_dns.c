/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NAT uplink's DNS (vnetif_slirp): a query an lwIP stack sends to the uplink's DNS
 * address (network + 3) is answered by the host's resolver, which libslirp takes from
 * /etc/resolv.conf. To be hermetic, main() moves the whole process, before any thread
 * exists, into fresh mount and network namespaces, brings their loopback up, makes the
 * mounts private and bind-mounts a file of the test's own over /etc/resolv.conf; a tiny
 * DNS responder thread on 127.0.0.1:53 answers one A record. Nothing leaves the process's
 * own namespaces, and they vanish with it.
 *
 * Needs root (unshare, bind mount, port 53); exits 77 (skipped) without it or when the
 * kernel refuses the namespaces, saying why.
 *
 * libslirp 4.x reads /etc/resolv.conf when a query needs it, not when the NAT is
 * created; the first nameserver it finds is kept in a process-wide cache, re-checked
 * (stat: inode, size, mtime) at most once a second. A file without a nameserver caches
 * nothing, so the next query reads the file again. test_dns_no_server therefore runs
 * first: a cached server from test_dns_answer could outlive its emptied file by a second.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnetif_lwip.h"
#include "vnetif_slirp.h"
#include "vnetif_test.h"

#define TEST_NAME "vnetif-test.example"
#define TEST_ADDR "192.0.2.77"

static char resolv_path[] = "/tmp/vnetif-slirp-dns-XXXXXX";

/* Replace the content of the file bind-mounted over /etc/resolv.conf (same inode). */
static void resolv_write(const char *text)
{
	int fd = open(resolv_path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* ---- a DNS responder on 127.0.0.1:53 --------------------------------------------------- */

struct responder {
	bool running;
	int fd;
	atomic_bool stop;
	atomic_uint queries;    /* queries received */
	atomic_uint answers;    /* of which for TEST_NAME, answered with TEST_ADDR */
	pthread_t t;
};

/* The QNAME of TEST_NAME in wire format (length-prefixed labels). */
static size_t qname(uint8_t *o)
{
	const char *name = TEST_NAME;
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		o[n++] = (uint8_t)l;
		memcpy(o + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	o[n++] = 0;
	return n;
}

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	uint8_t q[512], a[512], name[64];
	size_t nlen = qname(name);

	while (!atomic_load(&r->stop)) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);

		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t len = recvfrom(r->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fl);
		if (len < 12)
			continue;
		atomic_fetch_add(&r->queries, 1);
		/* One question, QNAME TEST_NAME, QTYPE A, QCLASS IN: else REFUSED. */
		bool ours = q[4] == 0 && q[5] == 1 && (size_t)len >= 12 + nlen + 4 &&
			    strncasecmp((char *)q + 12, (char *)name, nlen) == 0 &&
			    q[12 + nlen] == 0 && q[13 + nlen] == 1 &&
			    q[14 + nlen] == 0 && q[15 + nlen] == 1;
		size_t qlen = ours ? 12 + nlen + 4 : 12;
		memcpy(a, q, qlen);
		a[2] = 0x80 | (q[2] & 0x01) | 0x04;       /* QR, RD copied, AA */
		a[3] = ours ? 0x00 : 0x05;                /* NOERROR / REFUSED */
		a[4] = 0, a[5] = ours ? 1 : 0;            /* QDCOUNT */
		a[6] = 0, a[7] = ours ? 1 : 0;            /* ANCOUNT */
		memset(a + 8, 0, 4);                      /* NSCOUNT, ARCOUNT */
		size_t n = qlen;
		if (ours) {
			static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
			memcpy(a + n, rr, sizeof(rr));     /* pointer to QNAME, A, IN, TTL 60 */
			n += sizeof(rr);
			inet_pton(AF_INET, TEST_ADDR, a + n);
			n += 4;
			atomic_fetch_add(&r->answers, 1);
		}
		(void)sendto(r->fd, a, n, 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

static void responder_start(struct responder *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_msg(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "bind 127.0.0.1:53: %s", strerror(errno));
	ck_assert_int_eq(pthread_create(&r->t, NULL, responder_main, r), 0);
	r->running = true;
}

static struct responder resp; /* file-wide: stopped after a failed test too */

static void responder_stop(struct responder *r)
{
	if (!r->running)
		return;
	r->running = false;
	atomic_store(&r->stop, true);
	pthread_join(r->t, NULL);
	close(r->fd);
}

static void responder_cleanup(void)
{
	responder_stop(&resp);
}

/* ---- the client: an lwIP stack on the NAT network -------------------------------------- */

struct client {
	vnetif_switch *sw;
	vnetif_slirp *nat;
	vnetif_lwip_stack *s;
	int fd;
};

static void client_open(struct client *c)
{
	struct vnetif_slirp_config nc;
	struct vnetif_lwip_config lc;
	int rc;

	c->sw = vt_switch(NULL);
	vnetif_slirp_config_init(&nc);
	rc = vnetif_slirp_create(c->sw, &nc, &c->nat);
	ck_assert_msg(rc == 0, "vnetif_slirp_create: %d (%s)", rc, vnetif_strerror(rc));
	vnetif_lwip_config_init(&lc);
	lc.ipv4 = "10.0.2.15";
	lc.netmask = "255.255.255.0";
	lc.gateway = "10.0.2.2";
	ck_assert_int_eq(vnetif_lwip_create(c->sw, &lc, &c->s), 0);
	c->fd = vnetif_lwip_socket(c->s, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(c->fd, 0);
	struct timeval tv = {.tv_sec = 2};
	ck_assert_int_eq(vnetif_lwip_setsockopt(c->s, c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
						sizeof(tv)), 0);
}

static void client_close(struct client *c)
{
	struct vnetif_slirp_stats ns;

	vnetif_lwip_close(c->s, c->fd);
	ck_assert_int_eq(vnetif_slirp_stats_get(c->nat, &ns), 0);
	ck_assert_uint_eq(ns.rx_drop_queue_full + ns.rx_drop_too_long + ns.tx_drop, 0);
	ck_assert_int_eq(vnetif_lwip_destroy(c->s), 0);
	ck_assert_int_eq(vnetif_slirp_destroy(c->nat), 0);
	vt_teardown(c->sw);
}

/*
 * Ask the uplink's DNS address (10.0.2.3:53) for TEST_NAME's A record. Returns the
 * answer's length (0: no answer within the timeout); the answer must match the query id.
 */
static size_t dns_ask(struct client *c, uint16_t id, uint8_t *ans, size_t cap)
{
	uint8_t q[128];
	size_t n = 12;
	struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};

	memset(q, 0, sizeof(q));
	q[0] = (uint8_t)(id >> 8), q[1] = (uint8_t)id;
	q[2] = 0x01;                                      /* RD */
	q[5] = 1;                                         /* QDCOUNT 1 */
	n += qname(q + n);
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1;   /* A, IN */
	inet_pton(AF_INET, "10.0.2.3", &dns.sin_addr);
	ck_assert_int_eq(vnetif_lwip_sendto(c->s, c->fd, q, n, 0, (struct sockaddr *)&dns,
					    sizeof(dns)), (ssize_t)n);
	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = vnetif_lwip_recvfrom(c->s, c->fd, ans, cap, 0,
						 (struct sockaddr *)&from, &fl);
		if (r < 0) {
			ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "recvfrom: %s",
				      strerror(errno));
			return 0;
		}
		/* The answer comes from the DNS address the query went to. */
		ck_assert_uint_eq(from.sin_addr.s_addr, dns.sin_addr.s_addr);
		ck_assert_uint_eq(ntohs(from.sin_port), 53);
		if (r >= 12 && ans[0] == (uint8_t)(id >> 8) && ans[1] == (uint8_t)id)
			return (size_t)r;
	}
}

/* The answer to dns_ask() carries TEST_ADDR as its one A record. */
static void check_answer(const uint8_t *a, size_t len)
{
	uint8_t want[4];
	char got[INET_ADDRSTRLEN];

	ck_assert_uint_ge(len, 12);
	ck_assert_msg(a[2] & 0x80, "not a response");
	ck_assert_uint_eq(a[3] & 0x0f, 0);                /* RCODE NOERROR */
	ck_assert_uint_eq(a[6] << 8 | a[7], 1);           /* ANCOUNT */
	ck_assert_uint_ge(len, 16);
	inet_pton(AF_INET, TEST_ADDR, want);
	ck_assert_msg(memcmp(a + len - 4, want, 4) == 0, "answer ends with %s, not " TEST_ADDR,
		      inet_ntop(AF_INET, a + len - 4, got, sizeof(got)));
	ck_assert_uint_eq(a[len - 6] << 8 | a[len - 5], 4); /* RDLENGTH of an A record */
}

/* ---- tests ----------------------------------------------------------------------------- */

/* resolv.conf names no server: the uplink drops the query (libslirp answers it with an
 * ICMP network unreachable, which lwIP's UDP ignores), reaches no resolver, and stays
 * up; once the file names one, the next query on the same uplink is answered. */
START_TEST(test_dns_no_server)
{
	struct responder *r = &resp;
	struct client c;
	uint8_t ans[512];

	resolv_write("# no nameserver\nsearch example\n");
	responder_start(r);
	client_open(&c);
	ck_assert_uint_eq(dns_ask(&c, 0x0101, ans, sizeof(ans)), 0);
	ck_assert_uint_eq(atomic_load(&r->queries), 0);

	resolv_write("nameserver 127.0.0.1\n");
	size_t len = dns_ask(&c, 0x0102, ans, sizeof(ans));
	ck_assert_msg(len > 0, "no answer after resolv.conf named a server");
	check_answer(ans, len);
	ck_assert_uint_eq(atomic_load(&r->answers), 1);
	client_close(&c);
	responder_stop(r);
}
END_TEST

/* resolv.conf names 127.0.0.1: a query to 10.0.2.3 reaches the responder there, and its
 * A record comes back to the stack. */
START_TEST(test_dns_answer)
{
	struct responder *r = &resp;
	struct client c;
	uint8_t ans[512];

	resolv_write("nameserver 127.0.0.1\n");
	responder_start(r);
	client_open(&c);
	size_t len = dns_ask(&c, 0x4242, ans, sizeof(ans));
	ck_assert_msg(len > 0, "no DNS answer from 10.0.2.3");
	check_answer(ans, len);
	ck_assert_uint_eq(atomic_load(&r->queries), 1);
	ck_assert_uint_eq(atomic_load(&r->answers), 1);
	client_close(&c);
	responder_stop(r);
}
END_TEST

static Suite *slirp_dns_suite(void)
{
	Suite *s = suite_create("slirp_dns");
	TCase *tc = vt_tcase("dns");

	tcase_add_checked_fixture(tc, NULL, responder_cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dns_no_server); /* first: see the file comment */
	tcase_add_test(tc, test_dns_answer);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- the namespaces ------------------------------------------------------------------- */

static int skip(const char *why, int err)
{
	printf("test_slirp_dns: skipped: %s%s%s\n", why, err ? ": " : "", err ? strerror(err) : "");
	return 77;
}

/* Enter fresh mount + network namespaces with lo up and our own /etc/resolv.conf.
 * Must run before any thread exists (unshare(CLONE_NEWNS) refuses a shared fs). Returns
 * 0, 77 to skip, or 1 on an unexpected failure. */
static int enter_namespaces(void)
{
	struct ifreq ifr = {0};
	int fd, s;

	if (geteuid() != 0)
		return skip("needs root (unshare, bind mount over /etc/resolv.conf)", 0);
	if (unshare(CLONE_NEWNS | CLONE_NEWNET) != 0)
		return skip("unshare(CLONE_NEWNS|CLONE_NEWNET) refused", errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return skip("making the mounts private refused", errno);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return perror("lo flags"), 1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		return perror("lo up"), 1;
	close(s);
	fd = mkstemp(resolv_path);
	if (fd < 0)
		return perror("mkstemp"), 1;
	close(fd);
	if (mount(resolv_path, "/etc/resolv.conf", NULL, MS_BIND, NULL) != 0) {
		int err = errno;
		unlink(resolv_path);
		return skip("bind mount over /etc/resolv.conf refused", err);
	}
	return 0;
}

int main(void)
{
	int rc = enter_namespaces();

	if (rc != 0)
		return rc;
	rc = vt_run(slirp_dns_suite());
	umount("/etc/resolv.conf");
	unlink(resolv_path);
	return rc;
}
