/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What carries a stack's frames: a port of a vnetif switch, or one end of a direct
 * in-memory wire to another stack (wire.c: no switch, the baseline of benchmarks).
 *
 * Port: lwIP's frames are gathered into an mbuf by vnetif_writev(); received mbufs come
 * to port_rx() (a vnetif_listen_mbuf() listener). A shared one (flooded by reference
 * count) or one the glue cannot keep is copied into lwIP's buffers and freed; otherwise
 * its segments are handed to lwIP, which gives each back through vnl_link_free_seg().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "guard.h"
#include "lwip_private.h"

#define RX_CHUNK 32
#define RX_SEGS 512   /* segments of one chunk's frames: a 65535-byte frame in 2 KiB mbufs has 33 */
#define RX_LIN (VNETIF_MTU_MAX + VNETIF_ETHER_HDR_LEN) /* the longest frame but TSO frames */
#define RX_FRAME_MAX 0xffff /* lwIP's pbuf lengths are 16 bits */
#define STOP_TRIES 20

/* ---- port ------------------------------------------------------------------------------ */

/*
 * The input guard on an mbuf: on its first segment alone when that holds every header
 * the guard reads (TCP/IPv4, the frames of a stream: nothing copied), else on the frame
 * linearised into @buf. A frame longer than @buf that is not such a frame (a port with
 * TSO receives TCP/IPv4 frames of up to 65549 bytes, nothing else above its MTU) is
 * dropped.
 */
static bool port_frame_safe(vnetif_lwip_stack *s, const struct rte_mbuf *m, uint8_t *buf)
{
	enum vnl_guard_verdict v =
		vnl_guard_frame_head(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, m->pkt_len);

	if (v == VNL_GUARD_HEAD) {
		const uint8_t *f =
			m->pkt_len <= RX_LIN ? rte_pktmbuf_read(m, 0, m->pkt_len, buf) : NULL;

		if (f == NULL) {
			atomic_fetch_add_explicit(&s->link.rx_drop, 1, memory_order_relaxed);
			return false;
		}
		v = vnl_guard_frame(f, m->pkt_len);
	}
	if (v == VNL_GUARD_OK)
		return true;
	atomic_fetch_add_explicit(&s->link.rx_refused, 1, memory_order_relaxed);
	return false;
}

/* A frame lwIP may keep and write: every segment an mbuf of its own, nobody else's
 * reference (a flooded frame is shared), not attached to another's buffer. */
static bool exclusive(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return false;
	return true;
}

/* Frames go to the glue in chunks of up to RX_CHUNK frames of RX_SEGS segments in all;
 * those not handed over (copied, dropped, refused) are freed after each chunk, up to
 * RX_CHUNK of them. */
static void port_rx(vnetif_port *port, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
	vnetif_lwip_stack *s = arg;
	struct vnl_frame fr[RX_CHUNK];
	struct iovec iov[RX_SEGS];
	uint8_t lin[RX_LIN];
	void *seg[RX_SEGS];
	struct rte_mbuf *copied[RX_CHUNK];

	(void)port;
	for (uint16_t done = 0; done < n;) {
		unsigned k = 0, v = 0, nc = 0;

		for (; done < n && k < RX_CHUNK && nc < RX_CHUNK; done++) {
			struct rte_mbuf *m = pkts[done];
			bool handed;
			unsigned first = v;

			if (m->pkt_len > RX_FRAME_MAX || m->nb_segs > RX_SEGS) {
				atomic_fetch_add_explicit(&s->link.rx_drop, 1, memory_order_relaxed);
				copied[nc++] = m;
				continue;
			}
			if (v + m->nb_segs > RX_SEGS)
				break; /* the first of the next chunk */
			/* every way into lwIP (copied, zero-copy, deferred, mailbox) starts here */
			if (!port_frame_safe(s, m, lin)) {
				copied[nc++] = m;
				continue;
			}
			for (struct rte_mbuf *sg = m; sg != NULL; sg = sg->next) {
				iov[v].iov_base = rte_pktmbuf_mtod(sg, void *);
				iov[v].iov_len = sg->data_len;
				seg[v] = sg;
				v++;
			}
			handed = s->zero_copy && exclusive(m);
			fr[k].iov = &iov[first];
			fr[k].iovcnt = v - first;
			fr[k].len = m->pkt_len;
			fr[k].seg = handed ? &seg[first] : NULL; /* handed: the glue frees them */
			if (!handed)
				copied[nc++] = m;
			k++;
		}
		if (k > 0)
			s->g->input(fr, k, s->rx_in);
		if (nc > 0)
			rte_pktmbuf_free_bulk(copied, nc);
	}
}

/* A segment lwIP is done with (vnl_callbacks::free_seg). */
void vnl_link_free_seg(void *ctx, void *seg)
{
	(void)ctx;
	rte_pktmbuf_free_seg(seg);
}

int vnl_link_port_attach(vnetif_lwip_stack *s, vnetif_switch *sw, const uint8_t mac[6],
			 unsigned mtu)
{
	struct vnetif_port_config pc;
	int rc;

	memset(&pc, 0, sizeof(pc));
	memcpy(pc.mac, mac, sizeof(pc.mac));
	pc.mtu = mtu;
	rc = vnetif_connect(sw, &pc, &s->link.port);
	if (rc)
		return rc;
	s->link.kind = LINK_PORT;
	s->sw = sw;
	vnetif_mac(s->link.port, s->mac);
	rc = vnetif_mtu(s->link.port);
	if (rc < 576) {
		vnetif_disconnect(s->link.port, 0);
		s->link.kind = LINK_NONE;
		return rc < 0 ? rc : -EINVAL;
	}
	s->mtu = (unsigned)rc;
	rc = s->tso ? vnetif_set_tso(s->link.port, true) : 0;
	if (rc) {
		vnetif_disconnect(s->link.port, 0);
		s->link.kind = LINK_NONE;
	}
	return rc;
}

/* ---- local peers: an async writer delivers into an idle peer stack itself --------------- *
 *
 * On an async switch a frame for another stack of this process waits on that port's
 * ring for its reader. If that reader sleeps, the sender does not wait for its wake-up:
 * right after its write it polls the destination's port itself (vnetif_poll():
 * exclusive per port, so the listener still never runs in two threads; if the reader is
 * at it, the sender gets 0 and moves on). The listener then takes the frame into lwIP
 * with the try-lock (VNL_IN_DIRECT), so the sender never waits for a lock while it holds
 * its own. It does so for every frame, a TCP data segment as well as an ACK: the thread
 * waiting for an answer gets it without a wake-up (a ping round trip stays at 1-2 us;
 * left to readers it took 18-33 us, as readers woken by the previous exchange were
 * yielding), and a stream's segments cost no hand-off. Leaving data segments to an awake
 * reader (so that the receiving stack's work ran beside the sender's) was the rule until
 * lwIP's per-segment costs came down: then it cost a stream at MTU 9000 a quarter of
 * its rate (0.50-0.66 of the direct wire against 0.73-0.84 in six sittings), the readers
 * spending 40 % of the CPU spinning and being woken.
 * The table maps (switch, MAC) to port for the stacks of this process; an entry is read
 * without a lock under a sequence count, and a port stays valid memory until its switch
 * is destroyed, which cannot happen while a stack of it is still sending.
 */
#define PEERS 32
#define PEER_BUDGET 64
#define TXQ_PEERS 4    /* distinct local peers one burst polls, at most */

struct peer {
	_Atomic unsigned seq; /* odd while being written */
	_Atomic uint64_t mac; /* 48-bit MAC + 1 (0: free) */
	_Atomic(vnetif_switch *) sw;
	_Atomic(vnetif_port *) port;
};

static struct peer peers[PEERS];
static pthread_mutex_t peers_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mac_key(const uint8_t *m)
{
	return ((uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 | (uint64_t)m[2] << 24 |
		(uint64_t)m[3] << 16 | (uint64_t)m[4] << 8 | m[5]) + 1;
}

static void peer_set(struct peer *p, uint64_t mac, vnetif_switch *sw, vnetif_port *port)
{
	atomic_fetch_add(&p->seq, 1);
	atomic_store(&p->mac, mac);
	atomic_store(&p->sw, sw);
	atomic_store(&p->port, port);
	atomic_fetch_add(&p->seq, 1);
}

static void peer_add(vnetif_lwip_stack *s)
{
	pthread_mutex_lock(&peers_lock);
	for (int i = 0; i < PEERS; i++)
		if (atomic_load(&peers[i].mac) == 0) {
			peer_set(&peers[i], mac_key(s->mac), vnetif_port_switch(s->link.port),
				 s->link.port);
			break;
		}
	pthread_mutex_unlock(&peers_lock);
}

static void peer_del(vnetif_lwip_stack *s)
{
	pthread_mutex_lock(&peers_lock);
	for (int i = 0; i < PEERS; i++)
		if (atomic_load(&peers[i].port) == s->link.port)
			peer_set(&peers[i], 0, NULL, NULL);
	pthread_mutex_unlock(&peers_lock);
}

static vnetif_port *peer_find(vnetif_switch *sw, const uint8_t *dst)
{
	uint64_t key = mac_key(dst);

	for (int i = 0; i < PEERS; i++) {
		struct peer *p = &peers[i];
		unsigned s1 = atomic_load(&p->seq);
		vnetif_port *port;

		if (atomic_load_explicit(&p->mac, memory_order_relaxed) != key)
			continue;
		port = atomic_load(&p->port);
		if (atomic_load(&p->sw) == sw && (s1 & 1) == 0 && atomic_load(&p->seq) == s1)
			return port;
	}
	return NULL;
}

/* The port of the local peer stack a frame to @dst goes to: NULL for a group address, a
 * MAC no stack of this process has, or this stack's own port. */
static vnetif_port *local_peer(const vnetif_lwip_stack *s, const uint8_t *dst)
{
	vnetif_port *p;

	if (dst[0] & 1)
		return NULL;
	p = peer_find(s->sw, dst);
	return p == s->link.port ? NULL : p;
}

/*
 * The other half: a poll of a busy port returns at once (another thread is polling it),
 * so a frame enqueued just as that poller finishes waits for the port's reader (or the
 * application's loop). Each time the stack's core lock is let go, the thread that let
 * go polls the stack's own port too, unless the port's reader is awake to do it: a
 * sender about to wait for window space, or a receiver about to wait for data, takes in
 * what is waiting for it instead of waiting for a wake-up.
 */
void vnl_link_unlocked(void *ctx)
{
	vnetif_lwip_stack *s = ctx;

	if (atomic_load_explicit(&s->poll_self, memory_order_acquire) &&
	    vnetif_reader_awake(s->link.port) == 0)
		vnetif_poll(s->link.port, PEER_BUDGET);
}

/* ---- common ------------------------------------------------------------------------------ */

int vnl_link_output(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len)
{
	vnetif_lwip_stack *s = ctx;
	int rc;

	if (s->link.kind == LINK_PORT) {
		vnetif_port *dst = NULL;

		if (s->poll_peer && iov[0].iov_len >= 6)
			dst = local_peer(s, iov[0].iov_base);
		rc = vnetif_writev(s->link.port, iov, (int)iovcnt);
		if (rc == 0 && dst != NULL)
			vnetif_poll(dst, PEER_BUDGET);
	} else
		rc = vnl_wire_output(s, iov, iovcnt, len);
	if (rc < 0)
		atomic_fetch_add_explicit(&s->link.tx_drop, 1, memory_order_relaxed);
	return rc < 0 ? rc : 0;
}

/* ---- sending in bursts ------------------------------------------------------------------ *
 *
 * lwIP emits frames one at a time, most of them while one thread holds the stack's core
 * lock (a tcp_output() of a window's worth of segments, the ACKs of a burst of input, a
 * timer's retransmissions). On a port, the frames a holder emits are built into mbufs
 * (vnetif_gatherv()) and queued; they leave in one vnetif_tx_burst() when the queue is
 * full and before the lock is let go (vnl_link_flush(), from the glue's unlock), so no
 * frame waits longer than the lock hold that made it. The switch's work per call (the
 * port's read-side section, its counters, the ring's claim, the reader's wake-up) is
 * then paid once per burst, and the receiver's reader gets bursts to take in under one
 * lock. Frames of one stack keep their order: one queue per stack, under its core lock.
 */

/* The local peer stacks' ports the queued frames go to: the ones to poll after the burst
 * (see "local peers" above). Read before the burst, which hands the frames over. */
static unsigned peers_to_poll(vnetif_lwip_stack *s, vnetif_port **poll)
{
	const uint8_t *last = NULL; /* the destination MAC of the frame before */
	unsigned np = 0;

	for (unsigned i = 0; i < s->link.ntxq; i++) {
		const struct rte_mbuf *m = s->link.txq[i];
		const uint8_t *eh = rte_pktmbuf_mtod(m, const uint8_t *);
		vnetif_port *dst;
		unsigned k;

		if (last != NULL && memcmp(eh, last, 6) == 0)
			continue; /* the same destination as the frame before */
		dst = local_peer(s, eh);
		last = eh;
		if (dst == NULL)
			continue;
		for (k = 0; k < np && poll[k] != dst; k++)
			;
		if (k == np && np < TXQ_PEERS)
			poll[np++] = dst;
	}
	return np;
}

void vnl_link_flush(void *ctx)
{
	vnetif_lwip_stack *s = ctx;
	vnetif_port *poll[TXQ_PEERS];
	unsigned n = s->link.ntxq, np = 0;
	int rc;

	if (n == 0)
		return;
	if (s->poll_peer)
		np = peers_to_poll(s, poll);
	s->link.ntxq = 0;
	rc = vnetif_tx_burst(s->link.port, s->link.txq, (uint16_t)n);
	if (rc < 0) { /* the port is gone: the frames are ours to free, and lost */
		atomic_fetch_add_explicit(&s->link.tx_drop, n, memory_order_relaxed);
		rte_pktmbuf_free_bulk(s->link.txq, n);
		return;
	}
	for (unsigned k = 0; k < np; k++)
		vnetif_poll(poll[k], PEER_BUDGET);
}

int vnl_link_output_q(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len)
{
	vnetif_lwip_stack *s = ctx;
	int rc;

	(void)len; /* gatherv sums the vector itself */
	/* only port stacks get this callback (stack_boot()) */
	rc = vnetif_gatherv(s->link.port, iov, (int)iovcnt, &s->link.txq[s->link.ntxq]);
	if (rc < 0) {
		atomic_fetch_add_explicit(&s->link.tx_drop, 1, memory_order_relaxed);
		return rc;
	}
	if (++s->link.ntxq == VNL_TXQ)
		vnl_link_flush(s);
	return 0;
}

int vnl_link_start(vnetif_lwip_stack *s)
{
	int rc;

	if (s->link.kind == LINK_PORT) {
		rc = vnetif_listen_mbuf(s->link.port, port_rx, s);
		if (rc == 0 && s->start_reader)
			rc = vnetif_reader_start(s->link.port);
		/* senders may poll this port only if its listener never waits for a lock */
		if (rc == 0 && s->async && s->rx_in == VNL_IN_DIRECT) {
			peer_add(s);
			atomic_store_explicit(&s->poll_self, true, memory_order_release);
		}
		return rc;
	}
	if (s->link.kind == LINK_WIRE)
		return vnl_wire_start(s);
	return -EINVAL;
}

int vnl_link_stop(vnetif_lwip_stack *s)
{
	int rc = 0;

	if (s->link.kind == LINK_PORT) {
		atomic_store(&s->poll_self, false);
		peer_del(s);
		for (int i = 0; i < STOP_TRIES; i++) {
			rc = vnetif_disconnect(s->link.port, 0);
			if (rc != -ETIMEDOUT)
				break;
		}
		if (rc == -ENOTCONN)
			rc = 0;
		return rc;
	}
	if (s->link.kind == LINK_WIRE)
		vnl_wire_stop(s);
	return 0;
}

void vnl_link_free(vnetif_lwip_stack *s)
{
	if (s->link.kind == LINK_WIRE)
		vnl_wire_free(s);
	/* a port stays valid memory until its switch is destroyed */
	s->link.kind = LINK_NONE;
}
