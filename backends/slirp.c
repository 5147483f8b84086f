/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A user-mode NAT uplink port (libslirp). One thread per uplink owns the Slirp state:
 *
 *   switch -> port listener -> ring + eventfd -> thread: slirp_input()
 *   thread: poll(libslirp's sockets, eventfd, timers) -> slirp_pollfds_poll()
 *   libslirp send_packet (on the thread) -> vnetif_write(port)
 *
 * Every libslirp call runs under n->lock: the thread holds it except while it sleeps in
 * poll(), so vnetif_slirp_hostfwd_add() from another thread kicks the eventfd and
 * takes the lock. Built on the public API of libvnetif only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <slirp/libslirp.h>

#include "vnetif_slirp.h"

/* Frames go from the listener's thread to the uplink's through an rte_ring: released
 * on enqueue, acquired on dequeue. */
#include "tsan_burst.h"

#define SLIRP_MAGIC 0x534c4952u /* "SLIR" */
#define BURST 32
#define FRAME_MAX (VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN)

struct timer {
	struct timer *next;
	SlirpTimerCb cb;      /* timer_new() timers */
	void *cb_opaque;
	bool by_id;           /* timer_new_opaque() timers: slirp_handle_timer(id) */
	SlirpTimerId id;
	int64_t expire_ms;    /* -1: not armed */
};

struct vnetif_slirp {
	uint32_t magic;
	vnetif_port *port;
	Slirp *slirp;
	struct rte_ring *queue;  /* frames from the switch, for the thread */
	int efd;                 /* wakes the thread */
	pthread_t thread;
	bool thread_on;
	_Atomic bool stop;
	pthread_mutex_t lock;    /* every libslirp call */
	struct timer *timers;
	struct pollfd *pfd;      /* libslirp's sockets of this round, then the eventfd */
	unsigned npfd, pfd_cap;
	uint32_t net, mask;      /* host order */
	unsigned hostfwds;
	_Atomic uint64_t rx_frames, rx_drop_queue_full, rx_drop_too_long, rx_drop_stopped;
	_Atomic uint64_t tx_frames, tx_drop;
	uint8_t frame[FRAME_MAX];
};

static void count(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static bool slirp_ok(const struct vnetif_slirp *n)
{
	return n && n->magic == SLIRP_MAGIC;
}

static void kick(struct vnetif_slirp *n)
{
	uint64_t one = 1;

	(void)!write(n->efd, &one, sizeof(one));
}

static int64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- libslirp callbacks (all on the thread or under n->lock) -------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct vnetif_slirp *n = opaque;

	if (vnetif_write(n->port, buf, len) == 0)
		count(&n->tx_frames, 1);
	else
		count(&n->tx_drop, 1); /* the port counted why (pool empty, oversize...) */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)msg, (void)opaque; /* a malformed frame from a stack: libslirp dropped it */
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return clock_ns();
}

static struct timer *timer_add(struct vnetif_slirp *n)
{
	struct timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->expire_ms = -1;
	t->next = n->timers;
	n->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct timer *t = timer_add(opaque);

	if (t) {
		t->cb = cb;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct timer *t = timer_add(opaque);

	if (t) {
		t->by_id = true;
		t->id = id;
		t->cb_opaque = cb_opaque;
	}
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct vnetif_slirp *n = opaque;

	for (struct timer **p = &n->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd, (void)opaque; /* the poll set is rebuilt every round */
}

static void cb_notify(void *opaque)
{
	kick(opaque);
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct vnetif_slirp *n = opaque;
	short ev = 0;

	if (n->npfd == n->pfd_cap) {
		unsigned cap = n->pfd_cap ? 2 * n->pfd_cap : 64;
		struct pollfd *p = realloc(n->pfd, cap * sizeof(*p));

		if (!p)
			return -1; /* libslirp then does not poll this socket this round */
		n->pfd = p;
		n->pfd_cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	n->pfd[n->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)n->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct vnetif_slirp *n = opaque;
	short re;
	int out = 0;

	if (idx < 0 || (unsigned)idx >= n->npfd)
		return 0;
	re = n->pfd[idx].revents;
	if (re & POLLIN)
		out |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		out |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

static const SlirpCb callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_register_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the switch side ----------------------------------------------------------------- */

/* The port's listener: queue and wake. Runs in the writer's thread (sync switch) or the
 * port's reader (async): no lock, no libslirp call. */
static void on_frames(vnetif_port *port, struct rte_mbuf **pkts, uint16_t nb, void *arg)
{
	struct vnetif_slirp *n = arg;
	unsigned q;

	(void)port;
	tsan_release_burst(pkts, nb);
	q = rte_ring_enqueue_burst(n->queue, (void **)pkts, nb, NULL);
	if (q < nb) {
		rte_pktmbuf_free_bulk(pkts + q, nb - q);
		count(&n->rx_drop_queue_full, nb - q);
	}
	if (q)
		kick(n);
}

/* Give the queued frames to libslirp (under n->lock). */
static void input_frames(struct vnetif_slirp *n)
{
	struct rte_mbuf *pkts[BURST];
	unsigned got;

	while ((got = rte_ring_dequeue_burst(n->queue, (void **)pkts, BURST, NULL)) > 0) {
		tsan_acquire_burst(pkts, got);
		for (unsigned i = 0; i < got; i++) {
			uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
			const void *p = len <= FRAME_MAX ?
				rte_pktmbuf_read(pkts[i], 0, len, n->frame) : NULL;

			if (p) {
				slirp_input(n->slirp, p, (int)len);
				count(&n->rx_frames, 1);
			} else {
				count(&n->rx_drop_too_long, 1);
			}
		}
		rte_pktmbuf_free_bulk(pkts, got);
	}
}

static void run_timers(struct vnetif_slirp *n, int64_t now_ms)
{
	bool fired = true;

	/* A callback may free or re-arm timers: start over after each one. */
	while (fired) {
		fired = false;
		for (struct timer *t = n->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now_ms)
				continue;
			t->expire_ms = -1;
			if (t->by_id)
				slirp_handle_timer(n->slirp, t->id, t->cb_opaque);
			else
				t->cb(t->cb_opaque);
			fired = true;
			break;
		}
	}
}

static void *uplink_main(void *arg)
{
	struct vnetif_slirp *n = arg;

	pthread_mutex_lock(&n->lock);
	while (!atomic_load_explicit(&n->stop, memory_order_acquire)) {
		uint32_t timeout = 1000;
		int64_t now_ms = clock_ns() / 1000000;
		uint64_t v;

		n->npfd = 0;
		slirp_pollfds_fill(n->slirp, &timeout, cb_add_poll, n);
		for (struct timer *t = n->timers; t; t = t->next)
			if (t->expire_ms >= 0)
				timeout = (uint32_t)RTE_MIN((int64_t)timeout,
							    RTE_MAX(t->expire_ms - now_ms, 0));
		if (cb_add_poll(n->efd, SLIRP_POLL_IN, n) < 0) {
			timeout = 1; /* out of memory: poll the queue instead */
		}
		pthread_mutex_unlock(&n->lock);
		int rc = poll(n->pfd, n->npfd, (int)timeout);
		pthread_mutex_lock(&n->lock);
		if (read(n->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			break;
		input_frames(n);
		slirp_pollfds_poll(n->slirp, rc < 0, cb_get_revents, n);
		run_timers(n, clock_ns() / 1000000);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* ---- configuration ------------------------------------------------------------------- */

VNETIF_API void vnetif_slirp_config_init(struct vnetif_slirp_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	cfg->network = "10.0.2.0/24";
	cfg->queue_size = 1024;
}

/* "A.B.C.D/P" into network and mask (host order). */
static int parse_network(const char *s, uint32_t *net, uint32_t *mask)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = s ? strchr(s, '/') : NULL;
	struct in_addr a;
	char *end;
	long p;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return -EINVAL;
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - s), s);
	errno = 0;
	p = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || end == slash + 1 || *end || errno || p < 8 ||
	    p > 30)
		return -EINVAL;
	*mask = ~0u << (32 - p);
	*net = ntohl(a.s_addr) & *mask;
	return 0;
}

/* @s (or, if NULL, network + @dflt) as an address inside the network, not its network
 * or broadcast address. */
static int pick_addr(const char *s, uint32_t net, uint32_t mask, uint32_t dflt,
		     struct in_addr *out)
{
	uint32_t h;

	if (s) {
		if (inet_pton(AF_INET, s, out) != 1)
			return -EINVAL;
		h = ntohl(out->s_addr);
	} else {
		h = net + dflt;
	}
	if ((h & mask) != net || h == net || h == (net | ~mask))
		return -EINVAL;
	out->s_addr = htonl(h);
	return 0;
}

VNETIF_API int vnetif_slirp_create(vnetif_switch *sw, const struct vnetif_slirp_config *cfg,
				   vnetif_slirp **out)
{
	static _Atomic unsigned seq;
	struct vnetif_switch_config swc;
	struct in_addr gw, dns, dhcp;
	uint32_t net, mask;
	SlirpConfig sc;
	char rname[RTE_RING_NAMESIZE];
	struct vnetif_slirp *n;
	int rc, mtu;

	if (!sw || !cfg || !out || vnetif_switch_config_get(sw, &swc) != 0)
		return -EINVAL;
	if (parse_network(cfg->network, &net, &mask) ||
	    pick_addr(cfg->gateway, net, mask, 2, &gw) ||
	    pick_addr(cfg->dns, net, mask, 3, &dns) ||
	    pick_addr(cfg->dhcp_start, net, mask, 15, &dhcp) || gw.s_addr == dns.s_addr ||
	    gw.s_addr == dhcp.s_addr || dns.s_addr == dhcp.s_addr)
		return -EINVAL;
	if (cfg->queue_size < 64 || cfg->queue_size > 65536 ||
	    (cfg->queue_size & (cfg->queue_size - 1)))
		return -EINVAL;
	if (cfg->port.mtu && cfg->port.mtu < 576)
		return -EINVAL; /* libslirp's smallest; vnetif_connect() checks the rest */

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->magic = SLIRP_MAGIC;
	n->net = net;
	n->mask = mask;
	n->efd = -1;
	pthread_mutex_init(&n->lock, NULL);
	rc = vnetif_connect(sw, &cfg->port, &n->port);
	if (rc)
		goto fail;
	mtu = vnetif_mtu(n->port);
	snprintf(rname, sizeof(rname), "vsl%u_%d", atomic_fetch_add(&seq, 1), getpid());
	n->queue = rte_ring_create(rname, cfg->queue_size, SOCKET_ID_ANY, RING_F_SC_DEQ);
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!n->queue || n->efd < 0) {
		rc = -ENOMEM;
		goto fail;
	}

	memset(&sc, 0, sizeof(sc));
	sc.version = 4;
	sc.restricted = cfg->restricted;
	sc.in_enabled = true;
	sc.vnetwork.s_addr = htonl(net);
	sc.vnetmask.s_addr = htonl(mask);
	sc.vhost = gw;
	sc.vdhcp_start = dhcp;
	sc.vnameserver = dns;
	sc.if_mtu = (size_t)mtu;
	sc.if_mru = (size_t)mtu;
	sc.disable_host_loopback = cfg->no_host_loopback;
	n->slirp = slirp_new(&sc, &callbacks, n);
	if (!n->slirp) {
		rc = -EIO;
		goto fail;
	}
	rc = vnetif_listen_mbuf(n->port, on_frames, n);
	if (rc == 0 && swc.async_readers)
		rc = vnetif_reader_start(n->port);
	if (rc)
		goto fail;
	rc = pthread_create(&n->thread, NULL, uplink_main, n);
	if (rc) {
		rc = -EAGAIN;
		goto fail;
	}
	n->thread_on = true;
	pthread_setname_np(n->thread, "vnetif-slirp");
	*out = n;
	return 0;

fail:
	if (n->port)
		vnetif_disconnect(n->port, 0); /* stops a reader; no frame queued after it */
	if (n->slirp)
		slirp_cleanup(n->slirp);
	if (n->queue) {
		struct rte_mbuf *m;

		while (rte_ring_dequeue(n->queue, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(n->queue);
	}
	if (n->efd >= 0)
		close(n->efd);
	while (n->timers)
		cb_timer_free(n->timers, n);
	pthread_mutex_destroy(&n->lock);
	free(n);
	return rc;
}

/* ---- port forwards ------------------------------------------------------------------- */

VNETIF_API int vnetif_slirp_hostfwd_add(vnetif_slirp *n, bool udp, const char *host_addr,
					uint16_t host_port, const char *guest_addr,
					uint16_t guest_port)
{
	struct in_addr h = {.s_addr = htonl(INADDR_ANY)}, g;
	int rc;

	if (!slirp_ok(n) || !guest_addr || guest_port == 0)
		return -EINVAL;
	if (host_addr && *host_addr && inet_pton(AF_INET, host_addr, &h) != 1)
		return -EINVAL;
	if (inet_pton(AF_INET, guest_addr, &g) != 1 || (ntohl(g.s_addr) & n->mask) != n->net)
		return -EINVAL;
	kick(n); /* out of poll(), so the lock comes free */
	pthread_mutex_lock(&n->lock);
	rc = slirp_add_hostfwd(n->slirp, udp, h, host_port, g, guest_port);
	if (rc == 0)
		n->hostfwds++;
	pthread_mutex_unlock(&n->lock);
	kick(n); /* poll the new socket */
	return rc == 0 ? 0 : -EADDRINUSE;
}

VNETIF_API int vnetif_slirp_hostfwd(vnetif_slirp *n, const char *spec)
{
	char proto[4], host[INET_ADDRSTRLEN], guest[INET_ADDRSTRLEN];
	unsigned hp, gp;
	int used = 0;

	if (!slirp_ok(n) || !spec)
		return -EINVAL;
	host[0] = '\0';
	/* tcp:HOST:PORT-GUEST:PORT, HOST may be empty */
	if (sscanf(spec, "%3[a-z]:%n", proto, &used) != 1 || !used)
		return -EINVAL;
	spec += used;
	used = 0;
	if (*spec != ':' && (sscanf(spec, "%15[0-9.]%n", host, &used) != 1 || !used))
		return -EINVAL;
	spec += used;
	used = 0;
	if (sscanf(spec, ":%5u-%15[0-9.]:%5u%n", &hp, guest, &gp, &used) != 3 || spec[used] ||
	    hp > 65535 || gp > 65535)
		return -EINVAL;
	if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
		return -EINVAL;
	return vnetif_slirp_hostfwd_add(n, proto[0] == 'u', host, (uint16_t)hp, guest,
					(uint16_t)gp);
}

/* ---- accessors, destroy -------------------------------------------------------------- */

VNETIF_API vnetif_port *vnetif_slirp_port(const vnetif_slirp *n)
{
	return slirp_ok(n) ? n->port : NULL;
}

VNETIF_API int vnetif_slirp_stats_get(const vnetif_slirp *n, struct vnetif_slirp_stats *st)
{
	if (!slirp_ok(n) || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->rx_frames = atomic_load(&n->rx_frames);
	st->rx_drop_queue_full = atomic_load(&n->rx_drop_queue_full);
	st->rx_drop_too_long = atomic_load(&n->rx_drop_too_long);
	st->rx_drop_stopped = atomic_load(&n->rx_drop_stopped);
	st->tx_frames = atomic_load(&n->tx_frames);
	st->tx_drop = atomic_load(&n->tx_drop);
	st->hostfwds = n->hostfwds;
	return 0;
}

VNETIF_API int vnetif_slirp_destroy(vnetif_slirp *n)
{
	struct rte_mbuf *m;
	int rc;

	if (!slirp_ok(n))
		return -EINVAL;
	if (n->thread_on && pthread_equal(pthread_self(), n->thread))
		return -EDEADLK;
	/* The thread first (joined: everything it did happens before what follows), then
	 * the port: no listener call, and so no enqueue, after vnetif_disconnect(). A
	 * listener running meanwhile only queues (freed below) and kicks the eventfd. */
	if (n->thread_on) {
		atomic_store_explicit(&n->stop, true, memory_order_release);
		kick(n);
		pthread_join(n->thread, NULL);
		n->thread_on = false;
	}
	rc = vnetif_disconnect(n->port, 0);
	if (rc && rc != -ENOTCONN)
		return rc; /* the thread is stopped: the uplink is inert; call again */
	while (rte_ring_dequeue(n->queue, (void **)&m) == 0) {
		tsan_acquire_burst(&m, 1);
		rte_pktmbuf_free(m);
		count(&n->rx_drop_stopped, 1);
	}
	slirp_cleanup(n->slirp);
	while (n->timers)
		cb_timer_free(n->timers, n);
	rte_ring_free(n->queue);
	close(n->efd);
	free(n->pfd);
	pthread_mutex_destroy(&n->lock);
	n->magic = 0;
	free(n);
	return 0;
}
