/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvnetif-lwip-glue.so: one lwIP instance, loaded into its own link-map namespace.
 *
 * Its globals are the instance's state: the netif, the callbacks of libvnetif-lwip and a
 * few counters. It links liblwip (so each namespace gets its own copy of lwIP's globals)
 * and replaces lwIP's sys_thread_new so the tcpip thread is a main-namespace pthread.
 * Everything is reached through vnl_glue_ops(). See ns_abi.h.
 *
 * Built twice from this one source: against Debian's binary liblwip
 * (libvnetif-lwip-glue.so) and against the tuned lwIP compiled from Debian's source with
 * stacks/lwip/tuned/lwipopts.h (libvnetif-lwip-glue-tuned.so, VNETIF_LWIP_TUNED).
 *
 * Frame ownership: a received frame is either copied into a PBUF_RAM pbuf (never
 * PBUF_POOL: Debian's pool elements are 616 bytes) or, in the tuned build when the
 * caller hands over its segments (struct vnl_frame::seg), wrapped in custom pbufs that
 * give each segment back through cb.free_seg when lwIP frees them. Frames lwIP sends are
 * handed to the output callback as a gather list, borrowed for the call.
 *
 * Input and the core lock: see "the core lock" below.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/opt.h"
/* lwIP's own TCP_MSS, taken before lwip/sockets.h pulls in <netinet/tcp.h>, whose
 * TCP_MSS (512) replaces it */
enum { LWIP_BUILD_TCP_MSS = TCP_MSS };
#if TCP_MSS > 1460
#define GLUE_MSS_ABOVE_1460 1
#else
#define GLUE_MSS_ABOVE_1460 0
#endif
#include "lwip/api.h"
#include "lwip/etharp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ethip6.h"
#include "lwip/ip4_frag.h"
#include "lwip/netbuf.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "glue_lwip.h"
#include "ns_abi.h"

#define GLUE_API __attribute__((visibility("default")))
#define MAX_OUT_SEGS 64

/* TCP segmentation offload (vnl_start::tcp_mtu, see "TCP segmentation offload" below):
 * TCP segments above 1460 bytes need the tuned build's TCP_MSS, and IPv6 its own MTU
 * (netif->mtu6, there with LWIP_ND6_ALLOW_RA_UPDATES); other IPv4 is fragmented to the
 * wire's MTU with ip4_frag(). */
#define GLUE_TSO                                                                          \
	(GLUE_MSS_ABOVE_1460 && LWIP_IPV4 && IP_FRAG && (!LWIP_IPV6 || LWIP_ND6_ALLOW_RA_UPDATES))

static struct vnl_start cfg;
static struct netif nif;
static bool nif_added;
static bool thread_failed;
static _Atomic int link_on;        /* frames may enter and leave (core lock to set) */
static struct sys_thread {
	int unused;
} the_thread;

static _Atomic uint64_t c_rx, c_rx_mbox, c_rx_nomem, c_rx_down, c_tx, c_tx_drop;
static _Atomic uint64_t c_rx_direct, c_rx_deferred, c_rx_posted, c_rx_zerocopy;

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

/* ---- the core lock -------------------------------------------------------------------- *
 *
 * lwIP's core lock with its holder, a try-lock, and input deferred to the holder. Debian's
 * liblwip calls sys_lock_tcpip_core() & co through its PLT and the glue comes first in
 * the namespace, so these definitions replace the port's; the tuned build's lwipopts.h
 * names them and its copy of the port has its own renamed away.
 *
 * A frame for this stack is delivered by whoever has it (a writer's thread in sync mode,
 * a reader in async mode) without ever waiting for the lock (a sync listener must not
 * take a lock a writer may hold): if the try-lock succeeds, the frame goes into lwIP
 * right there; if not, it joins the deferred queue, and the thread holding the lock runs
 * it before it lets go (sys_unlock_tcpip_core). After unlocking, the holder looks at the
 * queue once more and takes the lock again if something arrived meanwhile; a deliverer
 * queues first and tries the lock after, so between the two one always runs the frame.
 * The tcpip thread's mailbox is the fallback when the queue is full.
 */
static _Atomic pthread_t core_holder;
static _Atomic pthread_t tcpip_tid;

#define DEFER_MAX 1024
static pthread_mutex_t defer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pbuf *defer_q[DEFER_MAX];
static unsigned defer_head, defer_n;
static _Atomic unsigned defer_count;

static void input_now(struct pbuf *p);

GLUE_API void sys_lock_tcpip_core(void)
{
	sys_mutex_lock(&lock_tcpip_core);
	atomic_store_explicit(&core_holder, pthread_self(), memory_order_relaxed);
}

static bool core_trylock(void)
{
	if (!vnl_lwip_core_trylock())
		return false;
	atomic_store_explicit(&core_holder, pthread_self(), memory_order_relaxed);
	return true;
}

static struct pbuf *defer_pop(void)
{
	struct pbuf *p = NULL;

	if (atomic_load_explicit(&defer_count, memory_order_relaxed) == 0)
		return NULL;
	pthread_mutex_lock(&defer_lock);
	if (defer_n > 0) {
		p = defer_q[defer_head];
		defer_head = (defer_head + 1) % DEFER_MAX;
		defer_n--;
		atomic_store_explicit(&defer_count, defer_n, memory_order_relaxed);
	}
	pthread_mutex_unlock(&defer_lock);
	return p;
}

static bool defer_push(struct pbuf *p)
{
	bool ok = false;

	pthread_mutex_lock(&defer_lock);
	if (defer_n < DEFER_MAX) {
		defer_q[(defer_head + defer_n) % DEFER_MAX] = p;
		defer_n++;
		atomic_store_explicit(&defer_count, defer_n, memory_order_relaxed);
		ok = true;
	}
	pthread_mutex_unlock(&defer_lock);
	return ok;
}

/* Core lock held: run what others left for the holder. */
static void defer_drain(void)
{
	struct pbuf *p;

	while ((p = defer_pop()) != NULL)
		input_now(p);
}

GLUE_API void sys_unlock_tcpip_core(void)
{
	for (;;) {
		defer_drain();
		if (cfg.cb.flush != NULL)
			cfg.cb.flush(cfg.cb.ctx);
		atomic_store_explicit(&core_holder, (pthread_t)0, memory_order_relaxed);
		sys_mutex_unlock(&lock_tcpip_core);
		atomic_thread_fence(memory_order_seq_cst); /* pairs with deliver_one() */
		if (atomic_load_explicit(&defer_count, memory_order_relaxed) == 0 || !core_trylock())
			break;
	}
	if (cfg.cb.unlocked != NULL)
		cfg.cb.unlocked(cfg.cb.ctx);
}

GLUE_API void sys_mark_tcpip_thread(void)
{
	atomic_store(&tcpip_tid, pthread_self());
}

GLUE_API void sys_check_core_locking(void)
{
	if (atomic_load_explicit(&tcpip_tid, memory_order_relaxed) != 0)
		LWIP_ASSERT("Function called without core lock",
			    atomic_load_explicit(&core_holder, memory_order_relaxed) == pthread_self());
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
	if (cfg.cb.output_q != NULL &&
	    pthread_equal(atomic_load_explicit(&core_holder, memory_order_relaxed), pthread_self()))
		rc = cfg.cb.output_q(cfg.cb.ctx, iov, n, p->tot_len);
	else
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

#if GLUE_TSO
/* ---- TCP segmentation offload ---------------------------------------------------------- *
 *
 * With cfg.tcp_mtu above the wire's MTU (cfg.mtu) the link takes TCP/IPv4 frames longer
 * than its MTU and cuts them where a peer needs MTU-sized ones (vnetif_set_tso()).
 * netif->mtu is then tcp_mtu: lwIP's TCP takes its MSS from it (TCP_CALCULATE_EFF_SEND_MSS:
 * the MSS it advertises and the one it sends, tcp_eff_send_mss_netif()). The rest keeps
 * the wire's MTU:
 * - IPv6 goes by netif->mtu6 (nd6_get_destination_mtu(), ip6_output_if_src(), the MSS of
 *   TCP over IPv6): set to the wire's MTU after netif_add(), which copies mtu into it
 *   (netif_set_link_down() would copy it again; the glue never calls it);
 * - other IPv4 (UDP, ICMP, IGMP, raw): ip4_output_if() fragments only above netif->mtu,
 *   so tso_output() fragments what exceeds the wire's MTU with lwIP's own ip4_frag(),
 *   netif->mtu lowered to the wire's for the call (core lock held: nobody else reads it
 *   meanwhile). ip4_frag() reads netif->mtu for every fragment and hands each to
 *   netif->output, tso_output() again, where it fits and goes on to etharp_output().
 */
static err_t tso_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *dst)
{
	err_t err;

	if (p->tot_len <= cfg.mtu || p->len < IP_HLEN ||
	    IPH_PROTO((const struct ip_hdr *)p->payload) == IP_PROTO_TCP)
		return etharp_output(netif, p, dst);
	netif->mtu = (u16_t)cfg.mtu;
	err = ip4_frag(p, netif, dst);
	netif->mtu = (u16_t)cfg.tcp_mtu;
	return err;
}

/*
 * A peer's MSS option in a received TCP/IPv4 SYN that says no more than the wire's MTU
 * allows (mtu - 40) is raised to what this stack's TCP sends (tcp_mtu - 40): lwIP sends
 * no segment above the peer's MSS, so a stack with TSO would otherwise send 1460-byte
 * segments to every peer without it. The link cuts every segment to the wire's MTU (or
 * less) for such a peer, as a NIC cuts a TSO segment at the MSS, so the peer never gets
 * more than it asked for. A smaller MSS (a peer behind a narrower path, a clamp) is left
 * as it is. @p is this stack's own (copied, or handed over to be written); core lock held.
 */
static void raise_peer_mss(struct pbuf *p)
{
	enum { OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_MSS_LEN = 4 }; /* RFC 9293 3.2 */
	u8_t *f = p->payload, *th, *o, *end;
	const struct ip_hdr *ip = (const struct ip_hdr *)(f + SIZEOF_ETH_HDR);
	size_t hl, thl;

	if (p->len < SIZEOF_ETH_HDR + IP_HLEN + TCP_HLEN || f[12] != 0x08 || f[13] != 0x00 ||
	    IPH_V(ip) != 4 || IPH_PROTO(ip) != IP_PROTO_TCP ||
	    (IPH_OFFSET(ip) & PP_HTONS(IP_OFFMASK | IP_MF)) != 0)
		return;
	hl = IPH_HL_BYTES(ip);
	th = f + SIZEOF_ETH_HDR + hl;
	if (p->len < SIZEOF_ETH_HDR + hl + TCP_HLEN)
		return;
	thl = (size_t)(th[12] >> 4) * 4;
	if (!(th[13] & TCP_SYN) || thl <= TCP_HLEN || p->len < SIZEOF_ETH_HDR + hl + thl)
		return;
	end = th + thl;
	for (o = th + TCP_HLEN; o < end && *o != OPT_EOL;) {
		u16_t was, now;
		u32_t sum;

		if (*o == OPT_NOP) {
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2 || o[1] > end - o)
			return;
		if (*o != OPT_MSS || o[1] != OPT_MSS_LEN) {
			o += o[1];
			continue;
		}
		was = (u16_t)(o[2] << 8 | o[3]);
		now = (u16_t)(cfg.tcp_mtu - 40);
		if (was != cfg.mtu - 40)
			return;
		o[2] = (u8_t)(now >> 8);
		o[3] = (u8_t)now;
		/* RFC 1624: HC' = ~(~HC + ~m + m'); a value at an odd offset of the header
		 * adds to the sum with its bytes swapped */
		if ((o + 2 - th) & 1) {
			was = (u16_t)SWAP_BYTES_IN_WORD(was);
			now = (u16_t)SWAP_BYTES_IN_WORD(now);
		}
		sum = (u32_t)(u16_t) ~(th[16] << 8 | th[17]) + (u16_t)~was + now;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		th[16] = (u8_t)(sum >> 8);
		th[17] = (u8_t)sum;
		return;
	}
}
#endif

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
#if GLUE_TSO
	if (cfg.tcp_mtu > cfg.mtu) {
		netif->mtu = (u16_t)cfg.tcp_mtu;
		netif->output = tso_output;
	}
#endif
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = low_output;
#if LWIP_CHECKSUM_CTRL_PER_NETIF
	/* off only where both ends are in-process stacks (the caller decides, vnetif_lwip.h) */
	NETIF_SET_CHECKSUM_CTRL(netif, cfg.csum_off ? NETIF_CHECKSUM_DISABLE_ALL
						    : NETIF_CHECKSUM_ENABLE_ALL);
#endif
	return ERR_OK;
}

/* Input of a frame, core lock held: drop it once the link is down. The input guard
 * (guard.c) has already passed every frame that gets here: link.c asks it before handing
 * a frame to the glue, on every path. */
static err_t guarded_input(struct pbuf *p, struct netif *netif)
{
	if (!atomic_load_explicit(&link_on, memory_order_relaxed)) {
		count(&c_rx_down, 1);
		pbuf_free(p);
		return ERR_OK;
	}
#if GLUE_TSO
	if (cfg.tcp_mtu > cfg.mtu)
		raise_peer_mss(p);
#endif
	return ethernet_input(p, netif);
}

static void input_now(struct pbuf *p)
{
	guarded_input(p, &nif);
}

/* The mailbox path: a callback message run by the tcpip thread (tcpip_inpkt() would take
 * the core lock itself in the tuned build, LWIP_TCPIP_CORE_LOCKING_INPUT). */
static void input_cb(void *arg)
{
	input_now(arg);
}

static void post(struct pbuf *p)
{
	if (tcpip_try_callback(input_cb, p) != ERR_OK) {
		pbuf_free(p);
		count(&c_rx_mbox, 1);
		return;
	}
	count(&c_rx_posted, 1);
	count(&c_rx, 1);
}

static void deliver(struct pbuf **ps, unsigned n, int mode)
{
	unsigned i = 0;

	if (mode == VNL_IN_MAILBOX) {
		for (; i < n; i++)
			post(ps[i]);
		return;
	}
	if (core_trylock() || (mode == VNL_IN_LOCKED && (sys_lock_tcpip_core(), true))) {
		defer_drain(); /* what others left first: keep the order */
		for (; i < n; i++)
			input_now(ps[i]);
		sys_unlock_tcpip_core();
		count(&c_rx_direct, n);
		count(&c_rx, n);
		return;
	}
	/* VNL_IN_DIRECT and the lock is busy: leave the frames to its holder, never wait */
	for (; i < n; i++) {
		if (defer_push(ps[i])) {
			count(&c_rx_deferred, 1);
			count(&c_rx, 1);
		} else {
			post(ps[i]);
		}
	}
	atomic_thread_fence(memory_order_seq_cst); /* pairs with sys_unlock_tcpip_core() */
	if (core_trylock())
		sys_unlock_tcpip_core(); /* the holder left meanwhile: run them here */
}

#if LWIP_SUPPORT_CUSTOM_PBUF
/* A received segment kept where it is (an mbuf of the main namespace): lwIP frees the
 * pbuf, the segment goes back through cb.free_seg. Live ones are listed so that what an
 * instance still holds at teardown is given back (g_stopped()). */
struct seg_pbuf {
	struct pbuf_custom pc; /* first: lwIP hands the pbuf back */
	void *seg;
	struct seg_pbuf *prev, *next;
};

/* Wrappers are recycled through a free list (one malloc per frame saved); what is on
 * it at teardown is part of the instance's heap, swept with it. */
#define SEG_SPARE_MAX 4096
static pthread_mutex_t seg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seg_pbuf seg_live = {.prev = &seg_live, .next = &seg_live};
static struct seg_pbuf *seg_spare;
static unsigned seg_nspare;

static void seg_release(struct seg_pbuf *sp)
{
	void *seg = sp->seg;

	pthread_mutex_lock(&seg_lock);
	sp->prev->next = sp->next;
	sp->next->prev = sp->prev;
	if (seg_nspare < SEG_SPARE_MAX) {
		sp->next = seg_spare;
		seg_spare = sp;
		seg_nspare++;
		sp = NULL;
	}
	pthread_mutex_unlock(&seg_lock);
	cfg.cb.free_seg(cfg.cb.ctx, seg);
	if (sp != NULL)
		mem_free(sp);
}

static void seg_free(struct pbuf *p)
{
	seg_release((struct seg_pbuf *)(void *)p);
}

/* The frame's segments as a chain of custom pbufs; NULL (every segment given back) when
 * out of memory. */
static struct pbuf *wrap_frame(const struct vnl_frame *f)
{
	struct pbuf *head = NULL;

	for (unsigned s = 0; s < f->iovcnt; s++) {
		struct seg_pbuf *sp;
		struct pbuf *p;

		pthread_mutex_lock(&seg_lock);
		sp = seg_spare;
		if (sp != NULL) {
			seg_spare = sp->next;
			seg_nspare--;
		}
		pthread_mutex_unlock(&seg_lock);
		if (sp == NULL)
			sp = mem_malloc(sizeof(*sp));
		if (sp == NULL) {
			for (; s < f->iovcnt; s++)
				cfg.cb.free_seg(cfg.cb.ctx, f->seg[s]);
			if (head != NULL)
				pbuf_free(head);
			return NULL;
		}
		sp->seg = f->seg[s];
		sp->pc.custom_free_function = seg_free;
		pthread_mutex_lock(&seg_lock);
		sp->next = &seg_live;
		sp->prev = seg_live.prev;
		seg_live.prev->next = sp;
		seg_live.prev = sp;
		pthread_mutex_unlock(&seg_lock);
		p = pbuf_alloced_custom(PBUF_RAW, (u16_t)f->iov[s].iov_len, PBUF_REF, &sp->pc,
					f->iov[s].iov_base, (u16_t)f->iov[s].iov_len);
		if (head == NULL)
			head = p;
		else
			pbuf_cat(head, p);
	}
	return head;
}

/* Teardown (no thread inside lwIP any more): give back every segment lwIP still holds. */
static void seg_release_all(void)
{
	while (seg_live.next != &seg_live)
		seg_release(seg_live.next);
}
#endif

#define BATCH 64

static struct pbuf *copy_frame(const struct vnl_frame *f)
{
	struct pbuf *p = NULL;
	size_t off = 0;

	if (f->len <= 0xffff)
		p = pbuf_alloc(PBUF_RAW, (u16_t)f->len, PBUF_RAM);
	for (unsigned s = 0; p != NULL && s < f->iovcnt; s++) {
		size_t take = f->iov[s].iov_len;

		if (take > f->len - off)
			take = f->len - off;
		memcpy((u8_t *)p->payload + off, f->iov[s].iov_base, take);
		off += take;
	}
	if (f->seg != NULL) /* handed over, but copied: give the segments back now */
		for (unsigned s = 0; s < f->iovcnt; s++)
			cfg.cb.free_seg(cfg.cb.ctx, f->seg[s]);
	return p;
}

static void g_input(const struct vnl_frame *f, unsigned n, int mode)
{
	struct pbuf *ps[BATCH];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pbuf *p;

		if (f[i].len > 0xffff) { /* pbuf lengths are 16 bits (the link drops these) */
			for (unsigned s = 0; f[i].seg != NULL && s < f[i].iovcnt; s++)
				cfg.cb.free_seg(cfg.cb.ctx, f[i].seg[s]);
			count(&c_rx_nomem, 1);
			continue;
		}
#if LWIP_SUPPORT_CUSTOM_PBUF
		if (f[i].seg != NULL) {
			p = wrap_frame(&f[i]);
			if (p != NULL)
				count(&c_rx_zerocopy, 1);
		} else
#endif
			p = copy_frame(&f[i]);
		if (p == NULL) {
			count(&c_rx_nomem, 1);
			continue;
		}
		ps[k++] = p;
		if (k == BATCH) {
			deliver(ps, k, mode);
			k = 0;
		}
	}
	if (k > 0)
		deliver(ps, k, mode);
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

static void g_input_pbufs(void **pbufs, unsigned n, int mode)
{
	deliver((struct pbuf **)pbufs, n, mode);
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
	c->rx_direct = atomic_load(&c_rx_direct);
	c->rx_deferred = atomic_load(&c_rx_deferred);
	c->rx_posted = atomic_load(&c_rx_posted);
	c->rx_zerocopy = atomic_load(&c_rx_zerocopy);
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
	struct range_query lw = {.addr = (uintptr_t)&tcp_new}; /* any of liblwip's functions */
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
	if (c->csum_off && !LWIP_CHECKSUM_CTRL_PER_NETIF)
		return -EINVAL;
	if (c->tcp_mtu != 0 && (!GLUE_TSO || c->tcp_mtu < c->mtu || c->tcp_mtu > 0xffff))
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
#if GLUE_TSO && LWIP_IPV6
		nif.mtu6 = (u16_t)cfg.mtu; /* netif_add() copied tcp_mtu into it */
#endif
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
	vnl_lwip_abort_all_pcbs();
	UNLOCK_TCPIP_CORE();
}

static void g_wake(int fd)
{
	LOCK_TCPIP_CORE();
	vnl_lwip_wake_socket(fd);
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
static void leave_thread(void)
{
	UNLOCK_TCPIP_CORE();
	cfg.cb.thread_exit(cfg.cb.ctx);
}

static int g_stop(void)
{
	return vnl_lwip_end_thread(leave_thread);
}

static void g_stopped(void)
{
	struct pbuf *p;

	while ((p = defer_pop()) != NULL) /* link down: nothing runs them any more */
		pbuf_free(p);
#if LWIP_SUPPORT_CUSTOM_PBUF
	seg_release_all();
#endif
	vnl_lwip_end_thread_done();
}

/* ---- sockets ---------------------------------------------------------------------------- */

static int g_last_errno(void)
{
	return errno; /* this namespace's libc: the errno lwIP's socket layer set */
}

static const struct vnl_lwip_sockets sockets = {
	.socket = lwip_socket,
	.bind = lwip_bind,
	.listen = lwip_listen,
	.accept = lwip_accept,
	.connect = lwip_connect,
	.send = lwip_send,
	.recv = lwip_recv,
	.sendto = lwip_sendto,
	.recvfrom = lwip_recvfrom,
	.writev = lwip_writev,
	.readv = lwip_readv,
	.shutdown = lwip_shutdown,
	.close = lwip_close,
	.setsockopt = lwip_setsockopt,
	.getsockopt = lwip_getsockopt,
	.getsockname = lwip_getsockname,
	.getpeername = lwip_getpeername,
	.poll = lwip_poll,
	.fcntl = lwip_fcntl,
	.ioctl = lwip_ioctl,
};

/* ---- ICMP echo, with lwIP's own header definitions and checksum ------------------------- */

static int g_echo_request(void *buf, size_t len, uint16_t id, uint16_t seq)
{
	struct icmp_echo_hdr *e = buf;

	if (buf == NULL || len < sizeof(*e) || len > 0xffff)
		return -EINVAL;
	for (size_t i = sizeof(*e); i < len; i++)
		((uint8_t *)buf)[i] = (uint8_t)i;
	ICMPH_TYPE_SET(e, ICMP_ECHO);
	ICMPH_CODE_SET(e, 0);
	e->id = lwip_htons(id);
	e->seqno = lwip_htons(seq);
	e->chksum = 0;
	e->chksum = inet_chksum(e, (u16_t)len);
	return 0;
}

static int g_echo_reply(const void *pkt, size_t n, uint32_t from, uint16_t id, uint16_t seq)
{
	const struct ip_hdr *ip = pkt;
	const struct icmp_echo_hdr *e;

	if (pkt == NULL || n < IP_HLEN || n < (size_t)IPH_HL_BYTES(ip) + sizeof(*e) ||
	    ip->src.addr != from)
		return 0;
	e = (const struct icmp_echo_hdr *)((const uint8_t *)pkt + IPH_HL_BYTES(ip));
	return ICMPH_TYPE(e) == ICMP_ER && e->id == lwip_htons(id) && e->seqno == lwip_htons(seq);
}

#define FEATURES                                                                          \
	((LWIP_SUPPORT_CUSTOM_PBUF ? VNL_FEAT_ZERO_COPY : 0u) |                            \
	 (LWIP_CHECKSUM_CTRL_PER_NETIF ? VNL_FEAT_CSUM_CTRL : 0u) |                        \
	 (GLUE_TSO ? VNL_FEAT_TSO : 0u))

static const struct vnl_glue_ops ops = {
	.abi = VNL_ABI_VERSION,
	.features = FEATURES,
	.tcp_mss = LWIP_BUILD_TCP_MSS,
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
	.sock = &sockets,
	.last_errno = g_last_errno,
	.echo_request = g_echo_request,
	.echo_reply = g_echo_reply,
};

GLUE_API const struct vnl_glue_ops *vnl_glue_ops(void)
{
	return &ops;
}
