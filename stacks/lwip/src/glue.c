/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvnetif-lwip-glue.so: one lwIP instance, loaded into its own link-map namespace.
 *
 * Its globals are the instance's state: the netif, the callbacks of libvnetif-lwip and a
 * few counters. It links liblwip (so each namespace gets its own copy of lwIP's globals)
 * and replaces lwIP's sys_thread_new so the tcpip thread is a main-namespace pthread.
 * Everything is reached through vnl_glue_ops(). See ns_abi.h.
 *
 * Frame ownership: received frames are copied into PBUF_RAM pbufs (never PBUF_POOL:
 * Debian's pool elements are 616 bytes) that lwIP owns from then on; frames lwIP sends
 * are handed to the output callback as a gather list, borrowed for the call.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netbuf.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/priv/api_msg.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "netif/ethernet.h"

#include "ns_abi.h"

#define GLUE_API __attribute__((visibility("default")))
#define MAX_OUT_SEGS 64

/* The err "messages" lwIP posts to a TCP netconn's mailboxes (api_msg.c). */
extern const u8_t netconn_closed;

static struct vnl_start cfg;
static struct netif nif;
static bool nif_added;
static bool thread_failed;
static _Atomic int link_on;        /* frames may enter and leave (core lock to set) */
static struct tcpip_callback_msg *stop_msg;
static struct sys_thread {
	int unused;
} the_thread;

static _Atomic uint64_t c_rx, c_rx_mbox, c_rx_nomem, c_rx_down, c_tx, c_tx_drop;

static void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- threads: the tcpip thread is created by the main namespace ---------------------- */

GLUE_API sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg,
				     int stacksize, int prio)
{
	(void)name;
	(void)stacksize;
	(void)prio;
	/* tcpip_init() ignores the result: g_start() reports the failure */
	if (cfg.cb.thread_start(cfg.cb.ctx, fn, arg) != 0)
		thread_failed = true;
	return &the_thread;
}

/* ---- a fix of lwIP 2.1.3's netconn layer ---------------------------------------------- */

/*
 * When an application reads EOF from a TCP socket, lwIP shuts the receive side down
 * (tcp_shutdown(pcb, 1, 0): TF_RXCLOSED) and the netconn keeps its pcb. In LAST_ACK (the
 * peer's FIN came first, then the application's) and TIME_WAIT (the other way round)
 * lwIP later frees that pcb without telling the netconn: the final ACK of LAST_ACK calls
 * no err callback once TF_RXCLOSED is set, and the TIME_WAIT timer never calls one.
 * close() then passed the freed pcb to tcp_close(): a double free ("free of a block it
 * did not allocate"), found with both ends doing shutdown(SHUT_WR), read-to-EOF, close().
 *
 * liblwip calls tcp_shutdown() through its PLT, and this object comes before liblwip in
 * the namespace's lookup scope (as with sys_thread_new below), so lwIP's calls land
 * here. In those states there is nothing left for the netconn to receive or send: detach
 * it from the pcb as lwIP's own close does (callbacks off, conn->pcb.tcp = NULL) and let
 * the pcb finish on its own. Every other call goes to lwIP's tcp_shutdown().
 */
GLUE_API err_t tcp_shutdown(struct tcp_pcb *pcb, int shut_rx, int shut_tx)
{
	static err_t (*lwip_tcp_shutdown)(struct tcp_pcb *, int, int);

	if (pcb != NULL && shut_rx && !shut_tx &&
	    (pcb->state == LAST_ACK || pcb->state == TIME_WAIT)) {
		struct netconn *conn = pcb->callback_arg;

		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_poll(pcb, NULL, 0);
		tcp_err(pcb, NULL);
		if (conn != NULL && conn->pcb.tcp == pcb)
			conn->pcb.tcp = NULL;
		return ERR_OK;
	}
	if (lwip_tcp_shutdown == NULL)
		lwip_tcp_shutdown = (err_t(*)(struct tcp_pcb *, int, int))dlsym(RTLD_NEXT, "tcp_shutdown");
	return lwip_tcp_shutdown != NULL ? lwip_tcp_shutdown(pcb, shut_rx, shut_tx) : ERR_ARG;
}

/* ---- netif ---------------------------------------------------------------------------- */

static err_t low_output(struct netif *netif, struct pbuf *p)
{
	struct iovec iov[MAX_OUT_SEGS];
	struct pbuf *flat = NULL, *q;
	unsigned n = 0;
	int rc;

	(void)netif;
	if (!atomic_load_explicit(&link_on, memory_order_relaxed)) {
		count(&c_tx_drop, 1);
		return ERR_IF;
	}
	if (pbuf_clen(p) > MAX_OUT_SEGS) {
		flat = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (flat == NULL) {
			count(&c_tx_drop, 1);
			return ERR_MEM;
		}
		p = flat;
	}
	for (q = p; q != NULL; q = q->next)
		if (q->len > 0) {
			iov[n].iov_base = q->payload;
			iov[n].iov_len = q->len;
			n++;
		}
	rc = cfg.cb.output(cfg.cb.ctx, iov, n, p->tot_len);
	if (flat != NULL)
		pbuf_free(flat);
	if (rc != 0) {
		count(&c_tx_drop, 1);
		/* the socket layer's errno: ENOBUFS, or ENETDOWN for ERR_IF (socket.c) */
		return rc == -ENOBUFS ? ERR_BUF : ERR_IF;
	}
	count(&c_tx, 1);
	return ERR_OK;
}

static err_t nif_init(struct netif *netif)
{
	netif->name[0] = 'v';
	netif->name[1] = 'n';
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, cfg.mac, ETH_HWADDR_LEN);
	netif->mtu = (u16_t)cfg.mtu;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
		       NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = low_output;
	return ERR_OK;
}

/* Input of a frame in the tcpip thread (mailbox path): drop it once the link is down. */
static err_t guarded_input(struct pbuf *p, struct netif *netif)
{
	if (!atomic_load_explicit(&link_on, memory_order_relaxed)) {
		count(&c_rx_down, 1);
		pbuf_free(p);
		return ERR_OK;
	}
	return ethernet_input(p, netif);
}

static void deliver(struct pbuf **ps, unsigned n, int locked)
{
	if (locked) {
		LOCK_TCPIP_CORE();
		for (unsigned i = 0; i < n; i++)
			guarded_input(ps[i], &nif);
		UNLOCK_TCPIP_CORE();
		count(&c_rx, n);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		if (tcpip_inpkt(ps[i], &nif, guarded_input) != ERR_OK) {
			pbuf_free(ps[i]);
			count(&c_rx_mbox, 1);
		} else {
			count(&c_rx, 1);
		}
	}
}

#define BATCH 64

static void g_input(const struct vnl_frame *f, unsigned n, int locked)
{
	struct pbuf *ps[BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pbuf *p = NULL;
		size_t off = 0;

		if (f[i].len <= 0xffff)
			p = pbuf_alloc(PBUF_RAW, (u16_t)f[i].len, PBUF_RAM);
		if (p == NULL) {
			count(&c_rx_nomem, 1);
			continue;
		}
		for (unsigned s = 0; s < f[i].iovcnt; s++) {
			size_t take = f[i].iov[s].iov_len;

			if (take > f[i].len - off)
				take = f[i].len - off;
			memcpy((u8_t *)p->payload + off, f[i].iov[s].iov_base, take);
			off += take;
		}
		ps[k++] = p;
		if (k == BATCH) {
			deliver(ps, k, locked);
			k = 0;
		}
	}
	if (k > 0)
		deliver(ps, k, locked);
}

static void *g_alloc_pbuf(size_t len, void **payload)
{
	struct pbuf *p;

	if (len > 0xffff)
		return NULL;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (p == NULL) {
		count(&c_rx_nomem, 1);
		return NULL;
	}
	*payload = p->payload;
	return p;
}

static void g_input_pbufs(void **pbufs, unsigned n, int locked)
{
	deliver((struct pbuf **)pbufs, n, locked);
}

static void g_free_pbuf(void *p)
{
	pbuf_free(p);
}

static void g_counters(struct vnl_counters *c)
{
	c->rx_frames = atomic_load(&c_rx);
	c->rx_drop_mbox = atomic_load(&c_rx_mbox);
	c->rx_drop_nomem = atomic_load(&c_rx_nomem);
	c->rx_drop_down = atomic_load(&c_rx_down);
	c->tx_frames = atomic_load(&c_tx);
	c->tx_drop = atomic_load(&c_tx_drop);
}

static int g_arp_lookup(uint32_t ip, uint8_t mac[6], int send_request)
{
	ip4_addr_t a;
	struct eth_addr *eth;
	const ip4_addr_t *ipr;
	int rc = -ENOENT;

	a.addr = ip;
	LOCK_TCPIP_CORE();
	if (etharp_find_addr(&nif, &a, &eth, &ipr) >= 0) {
		memcpy(mac, eth->addr, ETH_HWADDR_LEN);
		rc = 0;
	} else if (send_request) {
		etharp_request(&nif, &a);
	}
	UNLOCK_TCPIP_CORE();
	return rc;
}

/* ---- start ----------------------------------------------------------------------------- */

struct range_query {
	uintptr_t addr;
	uintptr_t lo, hi;
};

static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct range_query *q = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && q->addr >= lo &&
		    q->addr < lo + ph->p_memsz) {
			q->lo = lo;
			q->hi = lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* Ask the shim to track every block allocated from liblwip's or this object's code. */
static void track_instance_heap(void)
{
	struct range_query lw = {.addr = (uintptr_t)&tcp_input};
	struct range_query gl = {.addr = (uintptr_t)&find_text};
	uintptr_t r[2][2];

	dl_iterate_phdr(find_text, &lw);
	dl_iterate_phdr(find_text, &gl);
	r[0][0] = lw.lo;
	r[0][1] = lw.hi;
	r[1][0] = gl.lo;
	r[1][1] = gl.hi;
	vnl_shim_track((const uintptr_t(*)[2])r, 2);
}

static void init_done(void *arg)
{
	(void)arg;
	cfg.cb.ready(cfg.cb.ctx);
}

static int g_start(const struct vnl_start *c)
{
	if (c == NULL || c->abi != VNL_ABI_VERSION)
		return -EINVAL;
	cfg = *c;
	track_instance_heap();
	srand(cfg.seed);
	tcpip_init(init_done, NULL);
	return thread_failed ? -EAGAIN : 0;
}

static int g_netif_up(void)
{
	ip4_addr_t ip, mask, gw;
	int rc = 0;

	ip.addr = cfg.ip;
	mask.addr = cfg.netmask;
	gw.addr = cfg.gw;
	LOCK_TCPIP_CORE();
	atomic_store(&link_on, 1);
	if (netif_add(&nif, &ip, &mask, &gw, NULL, nif_init, tcpip_input) == NULL) {
		rc = -EINVAL;
	} else {
		nif_added = true;
		netif_set_default(&nif);
		if (cfg.has_ip6) {
			ip6_addr_t a6;
			s8_t idx;

			memcpy(a6.addr, cfg.ip6, 16);
			ip6_addr_clear_zone(&a6);
			netif_create_ip6_linklocal_address(&nif, 1);
			netif_ip6_addr_set_state(&nif, 0, IP6_ADDR_PREFERRED);
			if (netif_add_ip6_address(&nif, &a6, &idx) != ERR_OK)
				rc = -EINVAL;
			else
				netif_ip6_addr_set_state(&nif, idx, IP6_ADDR_PREFERRED);
		}
		netif_set_link_up(&nif);
		netif_set_up(&nif);
	}
	UNLOCK_TCPIP_CORE();
	return rc;
}

/* ---- teardown -------------------------------------------------------------------------- */

static void g_abort_all(void)
{
	LOCK_TCPIP_CORE();
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
	UNLOCK_TCPIP_CORE();
}

/* Wake threads blocked on socket @fd: TCP mailboxes get lwIP's own "closed" message;
 * UDP/raw ones an empty datagram (they would misread the message); poll() waiters an
 * event. Best effort: a full mailbox means nobody waits on it. */
static void g_wake(int fd)
{
	struct lwip_sock *sock;
	struct netconn *c;

	LOCK_TCPIP_CORE();
	sock = lwip_socket_dbg_get_socket(fd);
	c = sock != NULL ? sock->conn : NULL;
	if (c != NULL) {
		if (NETCONNTYPE_GROUP(netconn_type(c)) == NETCONN_TCP) {
			if (sys_mbox_valid(&c->recvmbox))
				sys_mbox_trypost(&c->recvmbox, (void *)(uintptr_t)&netconn_closed);
			if (sys_mbox_valid(&c->acceptmbox))
				sys_mbox_trypost(&c->acceptmbox, (void *)(uintptr_t)&netconn_closed);
		} else if (sys_mbox_valid(&c->recvmbox)) {
			struct netbuf *nb = netbuf_new();

			if (nb != NULL && netbuf_alloc(nb, 0) == NULL) {
				netbuf_delete(nb);
				nb = NULL;
			}
			if (nb != NULL && sys_mbox_trypost(&c->recvmbox, nb) != ERR_OK)
				netbuf_delete(nb);
		}
		if (c->callback != NULL) {
			c->callback(c, NETCONN_EVT_RCVPLUS, 0);
			c->callback(c, NETCONN_EVT_ERROR, 0);
		}
	}
	UNLOCK_TCPIP_CORE();
}

static void g_link_down(void)
{
	LOCK_TCPIP_CORE();
	atomic_store(&link_on, 0);
	UNLOCK_TCPIP_CORE();
}

static void g_netif_remove(void)
{
	LOCK_TCPIP_CORE();
	if (nif_added) {
		netif_set_down(&nif);
		netif_remove(&nif);
		nif_added = false;
	}
	UNLOCK_TCPIP_CORE();
}

/* Runs in the tcpip thread, core lock held: release it and leave the thread. */
static void exit_cb(void *arg)
{
	(void)arg;
	UNLOCK_TCPIP_CORE();
	cfg.cb.thread_exit(cfg.cb.ctx);
}

static int g_stop(void)
{
	if (stop_msg == NULL)
		stop_msg = tcpip_callbackmsg_new(exit_cb, NULL);
	if (stop_msg == NULL)
		return -ENOMEM;
	return tcpip_callbackmsg_trycallback(stop_msg) == ERR_OK ? 0 : -EAGAIN;
}

static void g_stopped(void)
{
	if (stop_msg != NULL)
		tcpip_callbackmsg_delete(stop_msg);
	stop_msg = NULL;
}

/* ---- sockets ---------------------------------------------------------------------------- */

#define RET_ERR(expr)                                                                       \
	do {                                                                                \
		__typeof__(expr) r_ = (expr);                                               \
		if (r_ < 0)                                                                 \
			*err = errno;                                                       \
		return r_;                                                                  \
	} while (0)

static int g_socket(int d, int t, int p, int *err)
{
	RET_ERR(lwip_socket(d, t, p));
}

static int g_bind(int s, const struct sockaddr *a, socklen_t l, int *err)
{
	RET_ERR(lwip_bind(s, a, l));
}

static int g_listen(int s, int backlog, int *err)
{
	RET_ERR(lwip_listen(s, backlog));
}

static int g_accept(int s, struct sockaddr *a, socklen_t *l, int *err)
{
	RET_ERR(lwip_accept(s, a, l));
}

static int g_connect(int s, const struct sockaddr *a, socklen_t l, int *err)
{
	RET_ERR(lwip_connect(s, a, l));
}

static ssize_t g_send(int s, const void *b, size_t n, int flags, int *err)
{
	RET_ERR(lwip_send(s, b, n, flags));
}

static ssize_t g_recv(int s, void *b, size_t n, int flags, int *err)
{
	RET_ERR(lwip_recv(s, b, n, flags));
}

static ssize_t g_sendto(int s, const void *b, size_t n, int flags, const struct sockaddr *a,
			socklen_t l, int *err)
{
	RET_ERR(lwip_sendto(s, b, n, flags, a, l));
}

static ssize_t g_recvfrom(int s, void *b, size_t n, int flags, struct sockaddr *a,
			  socklen_t *l, int *err)
{
	RET_ERR(lwip_recvfrom(s, b, n, flags, a, l));
}

static ssize_t g_writev(int s, const struct iovec *iov, int cnt, int *err)
{
	RET_ERR(lwip_writev(s, iov, cnt));
}

static ssize_t g_readv(int s, const struct iovec *iov, int cnt, int *err)
{
	RET_ERR(lwip_readv(s, iov, cnt));
}

static int g_shutdown(int s, int how, int *err)
{
	RET_ERR(lwip_shutdown(s, how));
}

static int g_close(int s, int *err)
{
	RET_ERR(lwip_close(s));
}

static int g_setsockopt(int s, int level, int name, const void *v, socklen_t l, int *err)
{
	RET_ERR(lwip_setsockopt(s, level, name, v, l));
}

static int g_getsockopt(int s, int level, int name, void *v, socklen_t *l, int *err)
{
	RET_ERR(lwip_getsockopt(s, level, name, v, l));
}

static int g_getsockname(int s, struct sockaddr *a, socklen_t *l, int *err)
{
	RET_ERR(lwip_getsockname(s, a, l));
}

static int g_getpeername(int s, struct sockaddr *a, socklen_t *l, int *err)
{
	RET_ERR(lwip_getpeername(s, a, l));
}

static int g_poll(struct pollfd *fds, nfds_t n, int timeout, int *err)
{
	RET_ERR(lwip_poll(fds, n, timeout));
}

static int g_fcntl(int s, int cmd, int val, int *err)
{
	RET_ERR(lwip_fcntl(s, cmd, val));
}

static int g_ioctl(int s, long cmd, void *argp, int *err)
{
	RET_ERR(lwip_ioctl(s, cmd, argp));
}

static const struct vnl_glue_ops ops = {
	.abi = VNL_ABI_VERSION,
	.start = g_start,
	.netif_up = g_netif_up,
	.input = g_input,
	.alloc_pbuf = g_alloc_pbuf,
	.input_pbufs = g_input_pbufs,
	.free_pbuf = g_free_pbuf,
	.counters = g_counters,
	.arp_lookup = g_arp_lookup,
	.abort_all = g_abort_all,
	.wake = g_wake,
	.link_down = g_link_down,
	.netif_remove = g_netif_remove,
	.stop = g_stop,
	.stopped = g_stopped,
	.socket = g_socket,
	.bind = g_bind,
	.listen = g_listen,
	.accept = g_accept,
	.connect = g_connect,
	.send = g_send,
	.recv = g_recv,
	.sendto = g_sendto,
	.recvfrom = g_recvfrom,
	.writev = g_writev,
	.readv = g_readv,
	.shutdown = g_shutdown,
	.close = g_close,
	.setsockopt = g_setsockopt,
	.getsockopt = g_getsockopt,
	.getsockname = g_getsockname,
	.getpeername = g_getpeername,
	.poll = g_poll,
	.fcntl = g_fcntl,
	.ioctl = g_ioctl,
};

GLUE_API const struct vnl_glue_ops *vnl_glue_ops(void)
{
	return &ops;
}
