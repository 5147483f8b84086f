/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lwIP stack instances: configuration, start-up and teardown.
 *
 * Start: connect the link, load a fresh glue into a namespace, start lwIP's tcpip thread
 * (a main-namespace pthread running lwIP's thread function), add and raise the netif,
 * then let frames in.
 * Teardown (lwIP 2.1 has no deinit): refuse new socket calls, reset every TCP connection
 * while the link still carries the RSTs, wake threads still blocked in socket calls and
 * wait for them, close the sockets, cut the link, remove the netif, end the tcpip thread
 * from inside (a callback that longjmps back to the thread's start), then sweep what lwIP
 * still held and unload it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip_private.h"

#define START_TIMEOUT_MS 5000
#define WAKE_TIMEOUT_MS 2000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

VNETIF_LWIP_API const char *vnetif_lwip_strerror(int err)
{
	switch (err) {
	case -EMFILE:
		return "No link-map namespace left for another lwIP stack in this process "
		       "(about 11 by default; start with GLIBC_TUNABLES=glibc.rtld.nns=16 for 15)";
	case -ELIBACC:
		return "Cannot load libvnetif-lwip-shim.so/libvnetif-lwip-glue[-tuned].so "
		       "(set VNETIF_LWIP_LIBDIR to their directory; the tuned one exists only "
		       "when the build could fetch lwIP's source)";
	default:
		return vnetif_strerror(err);
	}
}

VNETIF_LWIP_API void vnetif_lwip_config_init(struct vnetif_lwip_config *cfg)
{
	if (cfg != NULL)
		memset(cfg, 0, sizeof(*cfg));
}

/* ---- configuration ---------------------------------------------------------------- */

static int parse_ip4(const char *txt, uint32_t *out)
{
	struct in_addr a;

	if (txt == NULL || inet_pton(AF_INET, txt, &a) != 1)
		return -EINVAL;
	*out = a.s_addr;
	return 0;
}

/* A host address of a network that has room for two stacks and a broadcast (a
 * contiguous mask of /30 or wider), not loopback, multicast, reserved or 0.0.0.0/8. */
static int check_ipv4(const struct vnetif_lwip_config *cfg, struct vnl_start *st)
{
	uint32_t ip, mask, hip, hmask, host;

	if (parse_ip4(cfg->ipv4, &ip) || parse_ip4(cfg->netmask, &mask))
		return -EINVAL;
	hip = ntohl(ip);
	hmask = ntohl(mask);
	if (hmask == 0 || (~hmask & (~hmask + 1)) != 0 || hmask > 0xfffffffcu)
		return -EINVAL;
	host = hip & ~hmask;
	if ((hip >> 24) == 127 || (hip >> 28) >= 0xe || (hip >> 24) == 0 || host == 0 ||
	    host == ~hmask)
		return -EINVAL;
	st->ip = ip;
	st->netmask = mask;
	return 0;
}

/* No gateway, or another host of the stack's own network. */
static int check_gateway(const struct vnetif_lwip_config *cfg, struct vnl_start *st)
{
	uint32_t gw, hgw, hip = ntohl(st->ip), hmask = ntohl(st->netmask);

	st->gw = 0;
	if (cfg->gateway == NULL || *cfg->gateway == '\0')
		return 0;
	if (parse_ip4(cfg->gateway, &gw))
		return -EINVAL;
	hgw = ntohl(gw);
	if ((hgw & hmask) != (hip & hmask) || (hgw & ~hmask) == 0 ||
	    (hgw & ~hmask) == ~hmask || hgw == hip)
		return -EINVAL;
	st->gw = gw;
	return 0;
}

/* No IPv6 address, or a unicast one. */
static int check_ipv6(const struct vnetif_lwip_config *cfg, struct vnl_start *st)
{
	st->has_ip6 = 0;
	if (cfg->ipv6 == NULL)
		return 0;
	if (inet_pton(AF_INET6, cfg->ipv6, st->ip6) != 1 || st->ip6[0] == 0xff)
		return -EINVAL;
	st->has_ip6 = 1;
	return 0;
}

/* MTU (0: the default; IPv6 needs 1280), a unicast MAC, known modes. */
static int check_link(const struct vnetif_lwip_config *cfg, const struct vnl_start *st)
{
	if (cfg->mtu != 0 && (cfg->mtu < 576 || cfg->mtu > VNETIF_MTU_MAX))
		return -EINVAL;
	if (st->has_ip6 && cfg->mtu != 0 && cfg->mtu < 1280)
		return -EINVAL;
	if (cfg->mac[0] & 1) /* multicast */
		return -EINVAL;
	if ((unsigned)cfg->rx > VNETIF_LWIP_RX_DIRECT ||
	    (unsigned)cfg->checksums > VNETIF_LWIP_CSUM_OFF ||
	    (unsigned)cfg->build > VNETIF_LWIP_BUILD_TUNED ||
	    (unsigned)cfg->tso > VNETIF_LWIP_TSO_OFF)
		return -EINVAL;
	return 0;
}

/* Whether a stack of @build configured with @c uses TCP segmentation offload (on a
 * switch port; a wire needs both ends). */
static bool tso_of(const struct vnetif_lwip_config *c, enum vnetif_lwip_build build)
{
	return c->tso == VNETIF_LWIP_TSO_ON ||
	       (c->tso == VNETIF_LWIP_TSO_AUTO && build == VNETIF_LWIP_BUILD_TUNED);
}

/* lwIP's random seed (ports, ISNs): the configured one, else one no two stacks share. */
static unsigned pick_seed(const struct vnetif_lwip_config *cfg, uint32_t ip)
{
	static _Atomic unsigned counter;
	unsigned seed = cfg->seed;

	if (seed == 0)
		seed = (unsigned)(ntohl(ip) * 2654435761u) ^ (unsigned)now_ns() ^
		       (atomic_fetch_add(&counter, 1) * 40503u) ^ (unsigned)getpid();
	return seed != 0 ? seed : 1;
}

static int check_config(const struct vnetif_lwip_config *cfg, struct vnl_start *st)
{
	int rc;

	if (cfg == NULL)
		return -EINVAL;
	if ((rc = check_ipv4(cfg, st)) || (rc = check_gateway(cfg, st)) ||
	    (rc = check_ipv6(cfg, st)) || (rc = check_link(cfg, st)))
		return rc;
	st->seed = pick_seed(cfg, st->ip);
	return 0;
}

/* The build a stack runs: asked for, else $VNETIF_LWIP_BUILD, else the configured default. */
static int pick_build(enum vnetif_lwip_build asked, enum vnetif_lwip_build *out)
{
	const char *env = getenv("VNETIF_LWIP_BUILD");

	if (asked == VNETIF_LWIP_BUILD_DEFAULT && env != NULL && *env != '\0') {
		if (strcmp(env, "debian") == 0)
			asked = VNETIF_LWIP_BUILD_DEBIAN;
		else if (strcmp(env, "tuned") == 0)
			asked = VNETIF_LWIP_BUILD_TUNED;
		else
			return -EINVAL;
	}
	if (asked == VNETIF_LWIP_BUILD_DEFAULT)
		asked = VNETIF_LWIP_DEFAULT_BUILD;
#ifndef VNETIF_LWIP_HAVE_TUNED
	if (asked == VNETIF_LWIP_BUILD_TUNED)
		return -ELIBACC;
#endif
	*out = asked;
	return 0;
}

/* ---- tcpip thread ----------------------------------------------------------------- */

/* lwIP's tcpip_thread() never returns: the glue ends it with a callback that longjmps
 * back here (glue_internals.c, "end the tcpip thread"). */
static void *tcpip_main(void *arg)
{
	vnetif_lwip_stack *s = arg;

	if (setjmp(s->thread_exit) == 0)
		s->thread_fn(s->thread_arg); /* lwIP's tcpip_thread: never returns */
	return NULL;
}

static int cb_thread_start(void *ctx, void (*fn)(void *), void *arg)
{
	vnetif_lwip_stack *s = ctx;

	s->thread_fn = fn;
	s->thread_arg = arg;
	if (pthread_create(&s->thread, NULL, tcpip_main, s) != 0)
		return -EAGAIN;
	pthread_setname_np(s->thread, "vnetif-lwip");
	s->thread_on = true;
	return 0;
}

static void cb_thread_exit(void *ctx)
{
	vnetif_lwip_stack *s = ctx;

	longjmp(s->thread_exit, 1);
}

static void cb_ready(void *ctx)
{
	vnetif_lwip_stack *s = ctx;

	pthread_mutex_lock(&s->lock);
	s->ready = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int wait_ready(vnetif_lwip_stack *s)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += START_TIMEOUT_MS / 1000;
	pthread_mutex_lock(&s->lock);
	while (!s->ready && rc == 0)
		rc = pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	pthread_mutex_unlock(&s->lock);
	return s->ready ? 0 : -ETIMEDOUT;
}

/* End lwIP's thread from inside and join it. */
static void stop_thread(vnetif_lwip_stack *s)
{
	if (!s->thread_on)
		return;
	while (s->g->stop() == -EAGAIN) /* mailbox full: let the thread drain it */
		usleep(1000);
	pthread_join(s->thread, NULL);
	s->thread_on = false;
	s->g->stopped();
}

/* ---- create / destroy -------------------------------------------------------------- */

/*
 * Handles. A destroyed stack's memory is kept as a tombstone and reused by the next
 * create, like file descriptors, so a thread woken by vnetif_lwip_destroy() that calls
 * once more never touches freed memory. Reuse alone would let the old handle reach the
 * new stack, so a handle is not the pointer: it is the stack's slot in a table (low
 * HANDLE_SLOT_BITS bits, plus one so it is never NULL) and its generation (the rest),
 * bumped at destroy. A stale handle names the right slot but an old generation.
 * Slots and their stacks are never freed; the number of stacks alive at once is bounded
 * by the link-map namespaces (16), the table by MAX_STACKS.
 */
#define HANDLE_SLOT_BITS 8
#define MAX_STACKS ((1u << HANDLE_SLOT_BITS) - 1)

static pthread_mutex_t tomb_lock = PTHREAD_MUTEX_INITIALIZER;
static vnetif_lwip_stack *tombs;
static vnetif_lwip_stack *_Atomic slots[MAX_STACKS];
static unsigned nslots;

static vnetif_lwip_stack *handle_of(vnetif_lwip_stack *s)
{
	uintptr_t gen = atomic_load(&s->gen);

	return (vnetif_lwip_stack *)((gen << HANDLE_SLOT_BITS) | (s->slot + 1));
}

vnetif_lwip_stack *vnl_stack_get(const vnetif_lwip_stack *handle)
{
	uintptr_t h = (uintptr_t)handle, slot = (h & MAX_STACKS) - 1;
	vnetif_lwip_stack *s;

	if ((h & MAX_STACKS) == 0 || slot >= MAX_STACKS)
		return NULL;
	s = atomic_load(&slots[slot]);
	if (s == NULL || atomic_load(&s->magic) != VNL_STACK_MAGIC ||
	    atomic_load(&s->gen) != h >> HANDLE_SLOT_BITS)
		return NULL;
	return s;
}

/* A fresh stack struct in a slot of its own: NULL when out of memory or slots. */
static vnetif_lwip_stack *stack_alloc(void)
{
	vnetif_lwip_stack *s;

	if (nslots >= MAX_STACKS)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_init(&s->fds.lock, NULL);
	s->slot = nslots++;
	atomic_store(&s->gen, 1);
	atomic_store(&slots[s->slot], s);
	return s;
}

static vnetif_lwip_stack *stack_new(void)
{
	vnetif_lwip_stack *s;

	pthread_mutex_lock(&tomb_lock);
	s = tombs;
	if (s != NULL)
		tombs = s->next_tomb;
	else
		s = stack_alloc();
	pthread_mutex_unlock(&tomb_lock);
	if (s == NULL)
		return NULL;
	/* what survives reuse: the slot, the generation, the locks, the fd table's memory,
	 * the inside counter */
	s->ns = NULL;
	s->g = NULL;
	memset(&s->link, 0, sizeof(s->link));
	s->rx_in = VNL_IN_MAILBOX;
	s->start_reader = s->zero_copy = s->tso = s->async = s->poll_peer = false;
	s->sw = NULL;
	atomic_store(&s->poll_self, false);
	s->build = VNETIF_LWIP_BUILD_DEBIAN;
	memset(s->mac, 0, sizeof(s->mac));
	s->mtu = 0;
	memset(&s->start, 0, sizeof(s->start));
	s->thread_on = s->ready = false;
	s->next_tomb = NULL;
	atomic_store(&s->dying, false);
	atomic_store(&s->magic, VNL_STACK_MAGIC);
	return s;
}

static void stack_free(vnetif_lwip_stack *s)
{
	uintptr_t gen = (atomic_load(&s->gen) + 1) & (UINTPTR_MAX >> HANDLE_SLOT_BITS);

	atomic_store(&s->magic, VNL_STACK_DEAD);
	atomic_store(&s->gen, gen != 0 ? gen : 1);
	pthread_mutex_lock(&s->fds.lock);
	if (s->fds.used != NULL)
		memset(s->fds.used, 0, s->fds.cap);
	s->fds.count = 0;
	pthread_mutex_unlock(&s->fds.lock);
	pthread_mutex_lock(&tomb_lock);
	s->next_tomb = tombs;
	tombs = s;
	pthread_mutex_unlock(&tomb_lock);
}

/* Load lwIP for @s (link attached, s->mac/mtu known) and bring its netif up. */
static int stack_boot(vnetif_lwip_stack *s)
{
	int rc = vnl_ns_acquire(&s->ns,
				s->build == VNETIF_LWIP_BUILD_TUNED ? VNL_GLUE_TUNED_SONAME
								    : VNL_GLUE_SONAME,
				&s->g);

	if (rc)
		return rc;
	s->zero_copy = (s->g->features & VNL_FEAT_ZERO_COPY) != 0;
	s->start.abi = VNL_ABI_VERSION;
	s->start.cb.ctx = s;
	s->start.cb.output = vnl_link_output;
	s->start.cb.thread_start = cb_thread_start;
	s->start.cb.thread_exit = cb_thread_exit;
	s->start.cb.ready = cb_ready;
	s->start.cb.free_seg = vnl_link_free_seg;
	s->start.cb.unlocked = vnl_link_unlocked;
	if (s->link.kind == LINK_PORT) { /* a wire sends each frame at once */
		s->start.cb.output_q = vnl_link_output_q;
		s->start.cb.flush = vnl_link_flush;
	}
	memcpy(s->start.mac, s->mac, sizeof(s->mac));
	s->start.mtu = s->mtu;
	/* TCP over IPv4 in segments of the build's MSS, if the wire's MTU gives less */
	s->start.tcp_mtu = s->tso && s->g->tcp_mss + 40 > s->mtu ? s->g->tcp_mss + 40 : 0;
	if (s->tso && !(s->g->features & VNL_FEAT_TSO))
		rc = -EINVAL;
	else
		rc = s->g->start(&s->start);
	if (rc == 0)
		rc = wait_ready(s);
	if (rc == 0)
		rc = s->g->netif_up();
	if (rc) {
		if (s->ready)
			stop_thread(s);
		/* a thread that never got ready cannot be stopped: keep the namespace busy */
		if (!s->thread_on)
			vnl_ns_release(s->ns);
		s->ns = NULL;
	}
	return rc;
}

/* Stop and unload lwIP (link already stopped). */
static void stack_unload(vnetif_lwip_stack *s)
{
	s->g->netif_remove();
	stop_thread(s);
	vnl_ns_release(s->ns);
	s->ns = NULL;
	s->g = NULL;
}

VNETIF_LWIP_API int vnetif_lwip_create(vnetif_switch *sw, const struct vnetif_lwip_config *cfg,
				       vnetif_lwip_stack **out)
{
	struct vnetif_switch_config scfg;
	enum vnetif_lwip_build build;
	vnetif_lwip_stack *s;
	struct vnl_start st;
	int rc;

	if (sw == NULL || out == NULL)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	rc = check_config(cfg, &st);
	if (rc)
		return rc;
	rc = vnetif_switch_config_get(sw, &scfg);
	if (rc)
		return rc;
	/* a sync listener may run inside another stack's core lock: never wait for one there */
	if (cfg->rx == VNETIF_LWIP_RX_LOCKED && !scfg.async_readers)
		return -EINVAL;
	rc = pick_build(cfg->build, &build);
	if (rc)
		return rc;
	/* a switch port may lead to a real wire (tap, memif, pcap...): checksums on unless
	 * the application says every port is an in-process stack without them */
	st.csum_off = cfg->checksums == VNETIF_LWIP_CSUM_OFF;
	if ((st.csum_off || cfg->tso == VNETIF_LWIP_TSO_ON) && build != VNETIF_LWIP_BUILD_TUNED)
		return -EINVAL;
	s = stack_new();
	if (s == NULL)
		return -ENOMEM;
	s->start = st;
	s->build = build;
	s->tso = tso_of(cfg, build);
	s->start_reader = scfg.async_readers && !cfg->no_reader;
	s->async = scfg.async_readers;
	s->poll_peer = scfg.async_readers; /* see link.c, "local peers" */
	s->rx_in = cfg->rx == VNETIF_LWIP_RX_MAILBOX  ? VNL_IN_MAILBOX
		   : cfg->rx == VNETIF_LWIP_RX_LOCKED ? VNL_IN_LOCKED
						      : VNL_IN_DIRECT;
	rc = vnl_link_port_attach(s, sw, cfg->mac, cfg->mtu);
	if (rc)
		goto fail;
	rc = stack_boot(s);
	if (rc) {
		vnl_link_stop(s);
		goto fail_link;
	}
	rc = vnl_link_start(s);
	if (rc) {
		vnl_link_stop(s);
		stack_unload(s);
		goto fail_link;
	}
	*out = handle_of(s);
	return 0;
fail_link:
	vnl_link_free(s);
fail:
	stack_free(s);
	return rc;
}

VNETIF_LWIP_API int vnetif_lwip_create_wired(const struct vnetif_lwip_config *ca,
					     const struct vnetif_lwip_config *cb,
					     enum vnetif_lwip_wire mode,
					     vnetif_lwip_stack **out_a, vnetif_lwip_stack **out_b)
{
	const struct vnetif_lwip_config *cfg[2] = {ca, cb};
	vnetif_lwip_stack *s[2] = {NULL, NULL};
	enum vnetif_lwip_build build[2];
	int rc = 0;

	if (out_a == NULL || out_b == NULL ||
	    (mode != VNETIF_LWIP_WIRE_THREAD && mode != VNETIF_LWIP_WIRE_MAILBOX))
		return -EINVAL;
	for (int i = 0; i < 2 && rc == 0; i++)
		if ((rc = check_config(cfg[i], &(struct vnl_start){0})) == 0)
			rc = pick_build(cfg[i]->build, &build[i]);
	for (int i = 0; i < 2 && rc == 0; i++) {
		struct vnl_start st;
		bool both_tuned = build[0] == VNETIF_LWIP_BUILD_TUNED &&
				  build[1] == VNETIF_LWIP_BUILD_TUNED;

		memset(&st, 0, sizeof(st));
		rc = check_config(cfg[i], &st);
		if (rc)
			break;
		/* a wire's peer is always an in-process stack: no checksums where both agree */
		st.csum_off = cfg[i]->checksums == VNETIF_LWIP_CSUM_OFF ||
			      (cfg[i]->checksums == VNETIF_LWIP_CSUM_AUTO && both_tuned);
		if ((st.csum_off || cfg[i]->tso == VNETIF_LWIP_TSO_ON) &&
		    build[i] != VNETIF_LWIP_BUILD_TUNED) {
			rc = -EINVAL;
			break;
		}
		s[i] = stack_new();
		if (s[i] == NULL) {
			rc = -ENOMEM;
			break;
		}
		s[i]->start = st;
		s[i]->build = build[i];
		/* a wire cuts nothing: segments above the MTU only where both ends take them */
		s[i]->tso = tso_of(cfg[0], build[0]) && tso_of(cfg[1], build[1]);
		s[i]->rx_in = mode == VNETIF_LWIP_WIRE_THREAD ? VNL_IN_LOCKED : VNL_IN_MAILBOX;
		s[i]->mtu = cfg[i]->mtu ? cfg[i]->mtu : 1500;
		memcpy(s[i]->mac, cfg[i]->mac, sizeof(s[i]->mac));
	}
	if (rc == 0)
		rc = vnl_link_wire_pair(s[0], s[1], mode);
	if (rc == 0) {
		int booted = 0;

		while (rc == 0 && booted < 2 && (rc = stack_boot(s[booted])) == 0)
			booted++;
		for (int i = 0; rc == 0 && i < 2; i++)
			rc = vnl_link_start(s[i]);
		if (rc) {
			for (int i = 0; i < booted; i++) {
				vnl_link_stop(s[i]);
				stack_unload(s[i]);
			}
			for (int i = 0; i < 2; i++)
				vnl_link_free(s[i]);
		}
	}
	if (rc) {
		for (int i = 0; i < 2; i++)
			if (s[i] != NULL)
				stack_free(s[i]);
		return rc;
	}
	*out_a = handle_of(s[0]);
	*out_b = handle_of(s[1]);
	return 0;
}

/* Wake every thread blocked in a socket call and wait until none is inside. */
static int drain_callers(vnetif_lwip_stack *s)
{
	uint64_t deadline = now_ns() + WAKE_TIMEOUT_MS * 1000000ull;

	while (atomic_load(&s->inside) > 0) {
		if (now_ns() > deadline)
			return -EBUSY;
		pthread_mutex_lock(&s->fds.lock);
		for (unsigned fd = 0; fd < s->fds.cap; fd++)
			if (s->fds.used[fd])
				s->g->wake((int)fd);
		pthread_mutex_unlock(&s->fds.lock);
		usleep(2000);
	}
	return 0;
}

VNETIF_LWIP_API int vnetif_lwip_destroy(vnetif_lwip_stack *h)
{
	vnetif_lwip_stack *s = vnl_stack_get(h);
	int rc;

	if (s == NULL)
		return -EINVAL;
	if (!atomic_exchange(&s->dying, true))
		s->g->abort_all(); /* RSTs leave while the link is still up */
	rc = drain_callers(s);
	if (rc) {
		atomic_store(&s->dying, false);
		return rc;
	}
	s->g->abort_all(); /* what a call still in progress opened meanwhile */
	pthread_mutex_lock(&s->fds.lock);
	for (unsigned fd = 0; fd < s->fds.cap; fd++)
		if (s->fds.used[fd]) {
			s->g->sock->close((int)fd);
			s->fds.used[fd] = 0;
		}
	s->fds.count = 0;
	pthread_mutex_unlock(&s->fds.lock);
	s->g->link_down();
	rc = vnl_link_stop(s);
	if (rc)
		return rc;
	stack_unload(s);
	vnl_link_free(s);
	stack_free(s);
	return 0;
}

/* ---- accessors ----------------------------------------------------------------------- */

VNETIF_LWIP_API vnetif_port *vnetif_lwip_port(const vnetif_lwip_stack *h)
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	return s != NULL && s->link.kind == LINK_PORT ? s->link.port : NULL;
}

VNETIF_LWIP_API int vnetif_lwip_wire_impair(vnetif_lwip_stack *h, const struct vnetif_impair *im)
{
	vnetif_lwip_stack *s = vnl_stack_get(h);

	if (s == NULL)
		return -EINVAL;
	if (s->link.kind != LINK_WIRE)
		return -ENOTSUP;
	return vnl_wire_impair(s, im);
}

VNETIF_LWIP_API int vnetif_lwip_wire_impair_stats(const vnetif_lwip_stack *h,
						  struct vnetif_impair_stats *st)
{
	vnetif_lwip_stack *s = vnl_stack_get(h);

	if (s == NULL || st == NULL)
		return -EINVAL;
	if (s->link.kind != LINK_WIRE)
		return -ENOTSUP;
	return vnl_wire_impair_stats(s, st);
}

VNETIF_LWIP_API int vnetif_lwip_mac(const vnetif_lwip_stack *h, uint8_t mac[VNETIF_ETHER_ADDR_LEN])
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	if (s == NULL || mac == NULL)
		return -EINVAL;
	memcpy(mac, s->mac, VNETIF_ETHER_ADDR_LEN);
	return 0;
}

VNETIF_LWIP_API int vnetif_lwip_rx_mode(const vnetif_lwip_stack *h)
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	if (s == NULL)
		return -EINVAL;
	return s->rx_in == VNL_IN_DIRECT   ? VNETIF_LWIP_RX_DIRECT
	       : s->rx_in == VNL_IN_LOCKED ? VNETIF_LWIP_RX_LOCKED
					   : VNETIF_LWIP_RX_MAILBOX;
}

VNETIF_LWIP_API int vnetif_lwip_build(const vnetif_lwip_stack *h)
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	return s != NULL ? (int)s->build : -EINVAL;
}

VNETIF_LWIP_API int vnetif_lwip_checksums(const vnetif_lwip_stack *h)
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	return s != NULL ? !s->start.csum_off : -EINVAL;
}

VNETIF_LWIP_API int vnetif_lwip_tso(const vnetif_lwip_stack *h)
{
	const vnetif_lwip_stack *s = vnl_stack_get(h);

	return s != NULL ? s->tso : -EINVAL;
}

VNETIF_LWIP_API int vnetif_lwip_stats_get(const vnetif_lwip_stack *handle,
					   struct vnetif_lwip_stats *st)
{
	struct vnl_counters c;
	struct vnl_heap_stats h;
	vnetif_lwip_stack *s;

	if (st == NULL || (s = vnl_stack_enter(handle)) == NULL)
		return -EINVAL;
	s->g->counters(&c);
	vnl_ns_heap(s->ns, &h);
	memset(st, 0, sizeof(*st));
	st->rx_frames = c.rx_frames;
	st->rx_drop = c.rx_drop_mbox + c.rx_drop_nomem + c.rx_drop_down +
		      atomic_load(&s->link.rx_drop);
	st->rx_refused = atomic_load(&s->link.rx_refused);
	st->rx_direct = c.rx_direct;
	st->rx_deferred = c.rx_deferred;
	st->rx_mailbox = c.rx_posted;
	st->rx_zero_copy = c.rx_zerocopy;
	st->tx_frames = c.tx_frames;
	st->tx_drop = c.tx_drop + atomic_load(&s->link.tx_drop);
	st->heap_bytes = h.live_bytes;
	st->heap_blocks = h.live_blocks;
	st->heap_peak_bytes = h.peak_bytes;
	st->heap_bad_frees = h.bad_frees;
	st->heap_cached_bytes = h.cached_bytes;
	pthread_mutex_lock(&s->fds.lock);
	st->sockets = s->fds.count;
	pthread_mutex_unlock(&s->fds.lock);
	vnl_stack_leave(s);
	return 0;
}

/* ---- socket-call bookkeeping --------------------------------------------------------- */

vnetif_lwip_stack *vnl_stack_enter(const vnetif_lwip_stack *handle)
{
	vnetif_lwip_stack *s = vnl_stack_get(handle);

	if (s == NULL)
		return NULL;
	atomic_fetch_add(&s->inside, 1);
	/* again after counting in: destroy (and a reuse) may have come in between */
	if (atomic_load(&s->dying) || vnl_stack_get(handle) != s) {
		atomic_fetch_sub(&s->inside, 1);
		return NULL;
	}
	return s;
}

void vnl_stack_leave(vnetif_lwip_stack *s)
{
	atomic_fetch_sub(&s->inside, 1);
}

void vnl_fd_add(vnetif_lwip_stack *s, int fd, bool stream)
{
	struct vnl_fdset *f = &s->fds;

	if (fd < 0)
		return;
	pthread_mutex_lock(&f->lock);
	if ((unsigned)fd >= f->cap) {
		unsigned cap = f->cap ? f->cap : 64;
		uint8_t *u;

		while (cap <= (unsigned)fd)
			cap *= 2;
		u = realloc(f->used, cap);
		if (u != NULL) {
			memset(u + f->cap, 0, cap - f->cap);
			f->used = u;
			f->cap = cap;
		}
	}
	if ((unsigned)fd < f->cap) {
		if (!f->used[fd])
			f->count++;
		f->used[fd] = (uint8_t)(VNL_FD_OPEN | (stream ? VNL_FD_STREAM : 0));
	}
	pthread_mutex_unlock(&f->lock);
}

unsigned vnl_fd_flags(vnetif_lwip_stack *s, int fd, unsigned set)
{
	struct vnl_fdset *f = &s->fds;
	unsigned flags = 0;

	pthread_mutex_lock(&f->lock);
	if (fd >= 0 && (unsigned)fd < f->cap && f->used[fd]) {
		f->used[fd] = (uint8_t)(f->used[fd] | set);
		flags = f->used[fd];
	}
	pthread_mutex_unlock(&f->lock);
	return flags;
}

void vnl_fd_del(vnetif_lwip_stack *s, int fd)
{
	struct vnl_fdset *f = &s->fds;

	pthread_mutex_lock(&f->lock);
	if (fd >= 0 && (unsigned)fd < f->cap && f->used[fd]) {
		f->used[fd] = 0;
		f->count--;
	}
	pthread_mutex_unlock(&f->lock);
}
