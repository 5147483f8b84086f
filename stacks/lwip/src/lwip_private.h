/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of libvnetif-lwip (main namespace). Never included by applications. */
#ifndef VNETIF_LWIP_PRIVATE_H
#define VNETIF_LWIP_PRIVATE_H

#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "ns_abi.h"
#include "vnetif_lwip.h"

#define VNL_STACK_MAGIC 0x564c5753u /* "VLWS" */
#define VNL_STACK_DEAD 0x564c5744u  /* "VLWD": a tombstone (see stack.c) */

#ifdef VNETIF_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define vnl_tsan_release(p) __tsan_release(p)
#define vnl_tsan_acquire(p) __tsan_acquire(p)
#else
#define vnl_tsan_release(p) ((void)(p))
#define vnl_tsan_acquire(p) ((void)(p))
#endif

/* ---- namespaces (namespace.c) --------------------------------------------------------- */

struct vnl_ns; /* one dlmopen() namespace: the shim stays, the glue comes and goes */

/* Load a fresh glue (@glue: its soname) into a free (or new) namespace. 0, -EMFILE,
 * -ELIBACC, -ENOMEM. */
int vnl_ns_acquire(struct vnl_ns **out, const char *glue, const struct vnl_glue_ops **ops);
void vnl_ns_heap(struct vnl_ns *ns, struct vnl_heap_stats *st);
/* Free what the instance's lwIP still holds (its threads must be gone), unload the glue
 * and make the namespace available again. */
void vnl_ns_release(struct vnl_ns *ns);

/* ---- links (link.c): what carries a stack's frames ------------------------------------- */

enum vnl_link_kind { LINK_NONE = 0, LINK_PORT, LINK_WIRE };

struct vnl_wire;

struct rte_mbuf;

#define VNL_TXQ 64 /* frames a stack sends in one burst, at most: the switch routes 64 per pass */

struct vnl_link {
	enum vnl_link_kind kind;
	vnetif_port *port;       /* LINK_PORT */
	struct vnl_wire *wire;   /* LINK_WIRE */
	unsigned side;           /* LINK_WIRE: 0 or 1 */
	_Atomic uint64_t tx_drop, rx_drop;
	_Atomic uint64_t rx_refused; /* frames the input guard refused (guard.h) */
	struct rte_mbuf *txq[VNL_TXQ]; /* LINK_PORT: frames queued by the core lock's holder,
					* sent before it lets go (link.c, "sending in bursts") */
	unsigned ntxq;
};

/* ---- stacks (stack.c) ---------------------------------------------------------------- */

/* used[fd] flags */
#define VNL_FD_OPEN 1u   /* an open socket of this stack */
#define VNL_FD_STREAM 2u /* SOCK_STREAM */
#define VNL_FD_EOF 4u    /* reading has reached the end (recv returned 0, or SHUT_RD) */

struct vnl_fdset {
	pthread_mutex_t lock;
	uint8_t *used; /* used[fd]: VNL_FD_* flags, 0 if fd is not an open socket */
	unsigned cap, count;
};

struct vnetif_lwip_stack {
	_Atomic uint32_t magic;
	unsigned slot;           /* index in the handle table (stack.c) */
	_Atomic uintptr_t gen;   /* generation: bumped when the stack is destroyed */
	struct vnetif_lwip_stack *next_tomb;
	struct vnl_ns *ns;
	const struct vnl_glue_ops *g;
	struct vnl_link link;
	int rx_in;               /* VNL_IN_*: how received frames enter lwIP */
	enum vnetif_lwip_build build; /* DEBIAN or TUNED */
	bool zero_copy;          /* hand unshared mbufs to lwIP (glue has VNL_FEAT_ZERO_COPY) */
	bool tso;                /* TCP segmentation offload: the port's, or both wire ends' */
	bool async;              /* on an async switch */
	bool poll_peer;          /* after a write, poll the destination's port (link.c) */
	_Atomic bool poll_self;  /* after the core lock is let go, poll the own port (link.c) */
	vnetif_switch *sw;       /* LINK_PORT */
	bool start_reader;
	uint8_t mac[VNETIF_ETHER_ADDR_LEN];
	unsigned mtu;
	struct vnl_start start;

	/* tcpip thread */
	pthread_t thread;
	bool thread_on;
	void (*thread_fn)(void *);
	void *thread_arg;
	jmp_buf thread_exit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;

	/* socket calls in progress; dying refuses new ones */
	_Atomic int inside;
	_Atomic bool dying;
	struct vnl_fdset fds;
};

/*
 * Public handles are not pointers: a handle names a slot of the handle table and the
 * generation of the stack in it (stack.c), so the handle of a destroyed stack never
 * reaches the stack that reuses its memory. vnl_stack_get() answers the stack a handle
 * names, NULL for a stale or invalid one.
 */
vnetif_lwip_stack *vnl_stack_get(const vnetif_lwip_stack *handle);
/* Enter/leave a socket call on the stack @handle names; NULL: the stack is being
 * destroyed (or the handle is stale or not a stack). */
vnetif_lwip_stack *vnl_stack_enter(const vnetif_lwip_stack *handle);
void vnl_stack_leave(vnetif_lwip_stack *s);
void vnl_fd_add(vnetif_lwip_stack *s, int fd, bool stream);
void vnl_fd_del(vnetif_lwip_stack *s, int fd);
/* The VNL_FD_* flags of @fd (0: not open); add @set to them if it is open. */
unsigned vnl_fd_flags(vnetif_lwip_stack *s, int fd, unsigned set);

/* Link operations (link.c). */
/* Connect a port (with vnetif_set_tso() if s->tso); s->mac and s->mtu set from it. */
int vnl_link_port_attach(vnetif_lwip_stack *s, vnetif_switch *sw, const uint8_t mac[6],
			 unsigned mtu);
/* Start delivering received frames (after lwIP is up). */
int vnl_link_start(vnetif_lwip_stack *s);
/* Stop delivering and detach: no listener or wire thread runs into the stack after
 * this returns 0 (-ETIMEDOUT: call again). */
int vnl_link_stop(vnetif_lwip_stack *s);
/* Free what the link holds (after stop). */
void vnl_link_free(vnetif_lwip_stack *s);
/* The core lock was let go (vnl_callbacks::unlocked). */
void vnl_link_unlocked(void *ctx);
int vnl_link_output_q(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len);
void vnl_link_flush(void *ctx);
/* Give back a received mbuf segment lwIP kept (vnl_callbacks::free_seg). */
void vnl_link_free_seg(void *ctx, void *seg);
/* lwIP's linkoutput (core lock held). */
int vnl_link_output(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len);

/* The direct wire (wire.c), the benchmarks' baseline: join two stacks (before boot),
 * then start, send, stop and free one end as the link calls above do. */
int vnl_link_wire_pair(vnetif_lwip_stack *a, vnetif_lwip_stack *b, enum vnetif_lwip_wire mode);
int vnl_wire_start(vnetif_lwip_stack *s);
int vnl_wire_output(vnetif_lwip_stack *s, const struct iovec *iov, unsigned iovcnt, size_t len);
void vnl_wire_stop(vnetif_lwip_stack *s);
/* vnetif_lwip_wire_impair() / _stats() of a stack on a wire (checked by the caller). */
int vnl_wire_impair(vnetif_lwip_stack *s, const struct vnetif_impair *im);
int vnl_wire_impair_stats(vnetif_lwip_stack *s, struct vnetif_impair_stats *st);
void vnl_wire_free(vnetif_lwip_stack *s);

#endif /* VNETIF_LWIP_PRIVATE_H */
