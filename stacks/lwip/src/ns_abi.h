/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interface between libvnetif-lwip (main link-map namespace) and the two small
 * objects it loads into every lwIP namespace. Private: never installed.
 *
 * Each lwIP instance lives in its own dlmopen() namespace (see docs/lwip-notes.md):
 *
 *   libvnetif-lwip-shim.so  loaded first, kept for the life of the process. It defines
 *                           malloc/free/..., memcpy/memmove/memset and pthread_mutex/cond
 *                           for everything in the namespace (liblwip and that namespace's
 *                           libc) and forwards them to the main namespace's libc through
 *                           struct vnl_host, so sanitizers and valgrind see lwIP's heap,
 *                           locks and copies. It also tracks every block lwIP allocates so
 *                           an instance's leftovers can be swept at teardown (lwIP 2.1
 *                           has no deinit).
 *   libvnetif-lwip-glue.so  links liblwip; loaded per instance, unloaded at destroy so
 *                           the next instance in this namespace starts from fresh lwIP
 *                           globals. Drives one netif and exports struct vnl_glue_ops.
 *
 * Neither object links libvnetif (each namespace would get its own switch) nor is built
 * with sanitizer flags (an instrumented object cannot be dlmopen'd).
 */
#ifndef VNETIF_LWIP_NS_ABI_H
#define VNETIF_LWIP_NS_ABI_H

#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#define VNL_ABI_VERSION 6u

#define VNL_SHIM_SONAME "libvnetif-lwip-shim.so"
#define VNL_GLUE_SONAME "libvnetif-lwip-glue.so"             /* Debian's liblwip */
#define VNL_GLUE_TUNED_SONAME "libvnetif-lwip-glue-tuned.so" /* the tuned lwIP */
#define VNL_SHIM_SETUP_SYM "vnl_shim_setup"
#define VNL_SHIM_STATS_SYM "vnl_shim_stats"
#define VNL_SHIM_SWEEP_SYM "vnl_shim_sweep"
#define VNL_GLUE_OPS_SYM "vnl_glue_ops"

/* Main-namespace libc entry points, handed to the shim once per namespace. */
struct vnl_host {
	unsigned abi;
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*memcpy)(void *, const void *, size_t);
	void *(*memmove)(void *, const void *, size_t);
	void *(*memset)(void *, int, size_t);
	int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*mutex_destroy)(pthread_mutex_t *);
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*mutexattr_init)(pthread_mutexattr_t *);
	int (*mutexattr_destroy)(pthread_mutexattr_t *);
	int (*mutexattr_settype)(pthread_mutexattr_t *, int);
	int (*cond_init)(pthread_cond_t *, const pthread_condattr_t *);
	int (*cond_destroy)(pthread_cond_t *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_signal)(pthread_cond_t *);
	int (*cond_broadcast)(pthread_cond_t *);
	int (*condattr_init)(pthread_condattr_t *);
	int (*condattr_destroy)(pthread_condattr_t *);
	int (*condattr_setclock)(pthread_condattr_t *, clockid_t);
};

/* Heap of one namespace as the shim sees it (blocks allocated by liblwip or the glue). */
struct vnl_heap_stats {
	uint64_t live_bytes;  /* bytes lwIP holds now */
	uint64_t live_blocks;
	uint64_t peak_bytes;  /* since the instance started */
	uint64_t allocs;      /* allocations since the instance started */
	uint64_t bad_frees;   /* since the instance started: frees of blocks the shim did
			       * not allocate (reported once, ignored) */
	uint64_t cached_bytes; /* freed by lwIP, kept for reuse (not in live_bytes) */
	uint64_t cache_max;    /* the bound of cached_bytes; 0: this shim keeps nothing */
};

typedef int (*vnl_shim_setup_fn)(const struct vnl_host *host);
typedef void (*vnl_shim_stats_fn)(struct vnl_heap_stats *st);
/* Free every block still tracked, stop tracking; returns the stats before the sweep. */
typedef void (*vnl_shim_sweep_fn)(struct vnl_heap_stats *st);

/* The shim's side used by the glue (resolved in the namespace, not by main). */
void vnl_shim_track(const uintptr_t (*ranges)[2], unsigned n);

/* ---- per-instance: main namespace -> glue ------------------------------------------- */

/* A received frame described by its segments (an mbuf chain, or one flat buffer).
 * seg NULL: borrowed for the call (copied). Otherwise seg[i] is the handle of segment i,
 * handed over: the glue gives each back through vnl_callbacks::free_seg once lwIP is
 * done with it (only when the glue has VNL_FEAT_ZERO_COPY; the segments are then written
 * by nobody else, and lwIP may write into them). */
struct vnl_frame {
	const struct iovec *iov;
	unsigned iovcnt;
	size_t len;
	void *const *seg;
};

/* How received frames enter lwIP (glue's input calls). */
enum {
	VNL_IN_MAILBOX = 0, /* post to the tcpip thread */
	VNL_IN_LOCKED = 1,  /* under the core lock: try it, else wait for it (reader context) */
	VNL_IN_DIRECT = 2,  /* try the core lock, else leave the frame to its holder; never
			     * waits (a sync listener, possibly inside another stack's lock) */
};

/* What a glue's lwIP build can do (vnl_glue_ops::features). */
#define VNL_FEAT_ZERO_COPY 1u /* custom pbufs over handed-over segments */
#define VNL_FEAT_CSUM_CTRL 2u /* checksums switchable per netif */
#define VNL_FEAT_TSO 4u       /* TCP segments above the wire's MTU (vnl_start::tcp_mtu): an
			       * lwIP whose TCP_MSS exceeds 1460 (the tuned build) */

/* Services of the main namespace for one instance. All run in the caller's thread. */
struct vnl_callbacks {
	void *ctx;
	/* Send one frame (lwIP's linkoutput, called with the instance's core lock held). */
	int (*output)(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len);
	/* Start lwIP's tcpip thread: fn(arg) in a new main-namespace pthread. 0 or -errno. */
	int (*thread_start)(void *ctx, void (*fn)(void *), void *arg);
	/* Leave the tcpip thread now (does not return); called from glue's stop callback. */
	void (*thread_exit)(void *ctx);
	/* tcpip_init() finished in the tcpip thread. */
	void (*ready)(void *ctx);
	/* Give back one handed-over frame segment (struct vnl_frame::seg). Any thread. */
	void (*free_seg)(void *ctx, void *seg);
	/* The core lock was just let go (no lwIP lock held by the caller for this
	 * instance): a chance to take in frames left waiting. Any thread; may be NULL. */
	void (*unlocked)(void *ctx);
	/* As output(), called only by the holder of the core lock: the frame may wait in a
	 * queue that flush() sends before the lock is let go. May be NULL. */
	int (*output_q)(void *ctx, const struct iovec *iov, unsigned iovcnt, size_t len);
	/* Send what output_q() queued; core lock held. May be NULL. */
	void (*flush)(void *ctx);
};

struct vnl_start {
	unsigned abi;
	struct vnl_callbacks cb;
	unsigned seed;
	uint8_t mac[6];
	unsigned mtu;
	uint32_t ip, netmask, gw; /* network byte order; gw 0: none */
	int has_ip6;
	uint8_t ip6[16];          /* global/ULA address when has_ip6 (link-local is added too) */
	int csum_off;             /* no checksums generated or checked (VNL_FEAT_CSUM_CTRL) */
	/* TCP segmentation offload (VNL_FEAT_TSO): the MTU of TCP over IPv4, above mtu (0:
	 * the same as mtu). The link takes TCP/IPv4 frames of up to tcp_mtu + 14 bytes and
	 * cuts them to mtu where a peer needs it (a switch port with vnetif_set_tso(), or a
	 * wire whose peer has the same tcp_mtu); IPv6 and everything else keeps mtu. */
	unsigned tcp_mtu;
};

struct vnl_counters {
	uint64_t rx_frames, rx_drop_mbox, rx_drop_nomem, rx_drop_down;
	uint64_t rx_direct, rx_deferred, rx_posted, rx_zerocopy;
	uint64_t tx_frames, tx_drop;
};

/*
 * lwIP's own socket functions of one instance (lwip_socket() & co), handed over as they
 * are: a table the glue fills at link time, because the tuned lwIP is linked into the
 * glue with hidden symbols (no dlsym could find them). Their types are the system's
 * (the glue builds with LWIP_SOCKET_EXTERNAL_HEADERS). They run in the caller's thread;
 * a failed call's errno is the namespace's errno, read right after with
 * vnl_glue_ops::last_errno() in the same thread.
 */
struct vnl_lwip_sockets {
	int (*socket)(int domain, int type, int protocol);
	int (*bind)(int s, const struct sockaddr *a, socklen_t l);
	int (*listen)(int s, int backlog);
	int (*accept)(int s, struct sockaddr *a, socklen_t *l);
	int (*connect)(int s, const struct sockaddr *a, socklen_t l);
	ssize_t (*send)(int s, const void *b, size_t n, int flags);
	ssize_t (*recv)(int s, void *b, size_t n, int flags);
	ssize_t (*sendto)(int s, const void *b, size_t n, int flags, const struct sockaddr *a,
			  socklen_t l);
	ssize_t (*recvfrom)(int s, void *b, size_t n, int flags, struct sockaddr *a,
			    socklen_t *l);
	ssize_t (*writev)(int s, const struct iovec *iov, int cnt);
	ssize_t (*readv)(int s, const struct iovec *iov, int cnt);
	int (*shutdown)(int s, int how);
	int (*close)(int s);
	int (*setsockopt)(int s, int level, int name, const void *v, socklen_t l);
	int (*getsockopt)(int s, int level, int name, void *v, socklen_t *l);
	int (*getsockname)(int s, struct sockaddr *a, socklen_t *l);
	int (*getpeername)(int s, struct sockaddr *a, socklen_t *l);
	int (*poll)(struct pollfd *fds, nfds_t n, int timeout);
	int (*fcntl)(int s, int cmd, int val);
	int (*ioctl)(int s, long cmd, void *argp);
};

/* Entry points of the glue. */
struct vnl_glue_ops {
	unsigned abi;
	unsigned features;        /* VNL_FEAT_* */
	unsigned tcp_mss;         /* the lwIP build's TCP_MSS */
	/* Start lwIP (tcpip thread); returns once the thread runs (ready() was called). */
	int (*start)(const struct vnl_start *cfg);
	/* Add the netif and bring it up (after ready). */
	int (*netif_up)(void);

	/* Received frames (copied, or wrapped when handed over) into lwIP; mode VNL_IN_*. */
	void (*input)(const struct vnl_frame *f, unsigned n, int mode);
	/* A frame buffer owned by this instance (a pbuf) for a direct wire: alloc, fill
	 * through *payload, then input_pbufs() or free_pbuf(). Any thread. */
	void *(*alloc_pbuf)(size_t len, void **payload);
	void (*input_pbufs)(void **pbufs, unsigned n, int mode);
	void (*free_pbuf)(void *pbuf);

	void (*counters)(struct vnl_counters *c);
	/* ARP cache lookup; send_request: also send a request. 0 found, -ENOENT not (yet). */
	int (*arp_lookup)(uint32_t ip, uint8_t mac[6], int send_request);

	/* Teardown, in this order: */
	void (*abort_all)(void);          /* RST every TCP connection (core lock) */
	void (*wake)(int fd);             /* wake threads blocked on fd (core lock) */
	void (*link_down)(void);          /* no more input or output */
	void (*netif_remove)(void);
	int (*stop)(void);                /* end the tcpip thread (it calls thread_exit) */
	void (*stopped)(void);            /* after the thread was joined */

	/* lwIP's socket calls, and the errno of the last one that failed in this thread */
	const struct vnl_lwip_sockets *sock;
	int (*last_errno)(void);

	/* ICMP echo for ping, built and read with lwIP's definitions: an echo request of
	 * @len bytes (8-byte header, then a pattern) into @buf (0, -EINVAL); whether @pkt,
	 * an IPv4 packet as a SOCK_RAW socket reads it, is the echo reply from @from
	 * (network byte order) to (@id, @seq). Any thread, no lock. */
	int (*echo_request)(void *buf, size_t len, uint16_t id, uint16_t seq);
	int (*echo_reply)(const void *pkt, size_t n, uint32_t from, uint16_t id, uint16_t seq);
};

typedef const struct vnl_glue_ops *(*vnl_glue_ops_fn)(void);

#endif /* VNETIF_LWIP_NS_ABI_H */
