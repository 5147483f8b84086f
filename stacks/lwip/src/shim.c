/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvnetif-lwip-shim.so: the first object of every lwIP namespace (see ns_abi.h).
 *
 * Being first in the namespace's global scope, its malloc family, mem* functions,
 * pthread_mutex/cond functions and rand()/srand() are the ones liblwip and the
 * namespace's own libc bind to. All but rand()/srand() (its own: see "rand()" below)
 * forward to the main namespace (struct vnl_host), so one heap and one set of locks
 * serve the whole process and the sanitizers of the main program see them.
 *
 * Every block carries a 32-byte header. Blocks allocated from code inside the tracked
 * ranges (liblwip and the glue of the running instance, by return address) are kept on
 * a list, so the instance's leftovers (timers, mailbox, reassembly buffers...) can be
 * swept when it is destroyed; blocks of the namespace's libc are not tracked (libc stays).
 * Before vnl_shim_setup() the namespace's libc may allocate while it initialises: that
 * comes from a small static arena, never freed.
 *
 * Tracked blocks up to CACHE_BLOCK_MAX bytes are sized to a size class (quarter steps
 * between powers of two) and, when lwIP frees them, kept on the class's free list, up to
 * CACHE_BYTES per namespace, for the next allocation of that class. lwIP allocates and
 * frees a pbuf per TCP segment; through the host's malloc that was a call into glibc per
 * segment, and freeing a send buffer's worth at once made glibc give the top of its
 * thread arena back to the kernel (madvise, TLB shootdowns, page faults when it grew
 * again): 4-5 % of the CPU of a TCP stream at MTU 9000. The lists live under track_lock,
 * which a tracked allocation takes anyway; the sweep at the instance's end empties them.
 * Sanitizer builds (VNL_SHIM_CACHE=0) keep nothing, so the host's ASan sees every free.
 *
 * Built with -fno-builtin and without sanitizers; it must not call what it defines.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns_abi.h"

#define SHIM_API __attribute__((visibility("default")))
#define HDR_SIZE 32u
#define MAGIC_PLAIN 0x766e6c50u   /* "vnlP" */
#define MAGIC_TRACKED 0x766e6c54u /* "vnlT" */
#define MAGIC_CLASSED 0x766e6c43u /* "vnlC": tracked, sized to its class (cacheable) */
#define MAGIC_CACHED 0x766e6c46u  /* "vnlF": on a class's free list */
#define MAX_RANGES 4

struct hdr {
	struct hdr *prev, *next; /* tracked list; NULL for plain blocks */
	uint32_t size_lo, size_hi;
	uint32_t offset;         /* from the host block's start to the user pointer */
	uint32_t magic;
};
_Static_assert(sizeof(struct hdr) == HDR_SIZE, "header size");

static const struct vnl_host *H;

/* ---- tracking ------------------------------------------------------------------------ */

static _Atomic unsigned nranges;
static uintptr_t ranges[MAX_RANGES][2];
static pthread_mutex_t track_lock; /* initialised through the host */
static struct hdr track_head = {&track_head, &track_head, 0, 0, 0, 0};
static struct vnl_heap_stats track_st;

static int tracked_caller(uintptr_t ra)
{
	unsigned n = atomic_load_explicit(&nranges, memory_order_acquire);

	for (unsigned i = 0; i < n; i++)
		if (ra >= ranges[i][0] && ra < ranges[i][1])
			return 1;
	return 0;
}

static size_t hdr_size(const struct hdr *h)
{
	return (size_t)h->size_lo | (size_t)h->size_hi << 32;
}

/* ---- the free lists of size classes ----------------------------------------------------- */

#ifndef VNL_SHIM_CACHE
#define VNL_SHIM_CACHE 1
#endif
#define CACHE_BLOCK_MAX 65536u          /* larger blocks go straight back to the host */
#define CACHE_BYTES (8u << 20)          /* per namespace: 16 full 512 KiB send buffers */
#define NCLASS 41                       /* 64, then 4 classes per power of two to 64 KiB */

static struct hdr *cache_list[NCLASS];  /* under track_lock, linked by next */
static uint64_t cache_bytes;            /* under track_lock */

/* The class of a block of @n bytes, and its size (*cap); -1: not cached. */
static int size_class(size_t n, size_t *cap)
{
	unsigned e;
	size_t q;

	if (!VNL_SHIM_CACHE || n > CACHE_BLOCK_MAX)
		return -1;
	if (n <= 64) {
		*cap = 64;
		return 0;
	}
	e = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); /* 2^e < n <= 2^(e+1) */
	q = (size_t)1 << (e - 2);
	*cap = (n + q - 1) & ~(q - 1);                                 /* 2^e + q .. 2^(e+1) */
	return 1 + (int)(e - 6) * 4 + (int)(*cap >> (e - 2)) - 5;
}

/* Give the block of header @h back to the host's allocator. */
static void give_back(struct hdr *h)
{
	h->magic = 0;
	H->free((unsigned char *)h + HDR_SIZE - h->offset);
}

static void track_link(struct hdr *h, size_t n)
{
	h->next = &track_head;
	h->prev = track_head.prev;
	track_head.prev->next = h;
	track_head.prev = h;
	track_st.live_bytes += n;
	track_st.live_blocks++;
	track_st.allocs++;
	if (track_st.live_bytes > track_st.peak_bytes)
		track_st.peak_bytes = track_st.live_bytes;
}

static void set_size(struct hdr *h, size_t n)
{
	h->size_lo = (uint32_t)n;
	h->size_hi = (uint32_t)((uint64_t)n >> 32);
}

/* A block of class @c (size @cap) from its free list, linked as tracked for @n bytes;
 * NULL if the list is empty. */
static void *cache_take(int c, size_t cap, size_t n)
{
	struct hdr *h;

	H->mutex_lock(&track_lock);
	h = cache_list[c];
	if (h != NULL) {
		cache_list[c] = h->next;
		cache_bytes -= cap;
		set_size(h, n);
		h->magic = MAGIC_CLASSED;
		track_link(h, n);
	}
	H->mutex_unlock(&track_lock);
	return h != NULL ? (unsigned char *)h + HDR_SIZE : NULL;
}

/* ---- bootstrap arena (before setup) ---------------------------------------------------- */

static _Alignas(64) unsigned char arena[256 * 1024];
static _Atomic size_t arena_used;

static int in_arena(const void *p)
{
	return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + sizeof(arena);
}

static void *arena_alloc(size_t n, size_t align)
{
	size_t need, old, start;

	if (align < 16)
		align = 16;
	do {
		old = atomic_load(&arena_used);
		start = (old + sizeof(size_t) + align - 1) & ~(align - 1);
		need = start + n;
		if (need > sizeof(arena) || need < start)
			return NULL;
	} while (!atomic_compare_exchange_weak(&arena_used, &old, need));
	((size_t *)(arena + start))[-1] = n;
	return arena + start;
}

static size_t arena_size(const void *p)
{
	return ((const size_t *)p)[-1];
}

/* ---- allocation ---------------------------------------------------------------------- */

static void *alloc_block(size_t n, size_t align, uintptr_t ra)
{
	struct hdr *h;
	unsigned char *base, *user;
	size_t extra;

	if (H == NULL)
		return arena_alloc(n, align);
	if (align < 16)
		align = 16;
	int tracked = tracked_caller(ra), c = -1;
	size_t cap = n;

	if (tracked && align == 16) {
		c = size_class(n, &cap);
		if (c >= 0 && (user = cache_take(c, cap, n)) != NULL)
			return user;
	}
	extra = HDR_SIZE + (align > 16 ? align : 0);
	if (cap > SIZE_MAX - extra) {
		errno = ENOMEM;
		return NULL;
	}
	base = H->malloc(cap + extra);
	if (base == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	user = (unsigned char *)(((uintptr_t)base + HDR_SIZE + align - 1) & ~(uintptr_t)(align - 1));
	h = (struct hdr *)(user - HDR_SIZE);
	set_size(h, n);
	h->offset = (uint32_t)(user - base);
	h->prev = h->next = NULL;
	h->magic = MAGIC_PLAIN;
	if (tracked) {
		h->magic = c >= 0 ? MAGIC_CLASSED : MAGIC_TRACKED;
		H->mutex_lock(&track_lock);
		track_link(h, n);
		H->mutex_unlock(&track_lock);
	}
	return user;
}

/*
 * The header of a block this shim allocated; NULL for anything else (a block freed
 * twice, a pointer into the middle of one, a block of another allocator). Such a free
 * is a bug of the caller (lwIP's own: see tcp_shutdown() in glue.c), but one an
 * application can trigger: it is reported once on stderr, counted (vnl_heap_stats.
 * bad_frees) and ignored — the block, if it is one, leaks — never a process abort.
 */
static struct hdr *header_of(void *p)
{
	struct hdr *h = (struct hdr *)((unsigned char *)p - HDR_SIZE);
	static _Atomic int reported;

	if (h->magic == MAGIC_PLAIN || h->magic == MAGIC_TRACKED || h->magic == MAGIC_CLASSED)
		return h;
	if (!atomic_exchange(&reported, 1)) {
		static const char msg[] = "vnetif-lwip shim: free of a block it did not allocate "
					  "(ignored, counted in heap_bad_frees)\n";
		ssize_t r = write(2, msg, sizeof(msg) - 1);
		(void)r;
	}
	H->mutex_lock(&track_lock);
	track_st.bad_frees++;
	H->mutex_unlock(&track_lock);
	return NULL;
}

static void free_block(void *p)
{
	struct hdr *h;

	if (p == NULL || in_arena(p))
		return;
	h = header_of(p);
	if (h == NULL)
		return;
	if (h->magic == MAGIC_TRACKED || h->magic == MAGIC_CLASSED) {
		size_t cap = 0;
		int c = h->magic == MAGIC_CLASSED ? size_class(hdr_size(h), &cap) : -1;

		H->mutex_lock(&track_lock);
		h->prev->next = h->next;
		h->next->prev = h->prev;
		track_st.live_bytes -= hdr_size(h);
		track_st.live_blocks--;
		if (c >= 0 && cache_bytes + cap <= CACHE_BYTES) {
			h->magic = MAGIC_CACHED;
			h->prev = NULL;
			h->next = cache_list[c];
			cache_list[c] = h;
			cache_bytes += cap;
			H->mutex_unlock(&track_lock);
			return;
		}
		H->mutex_unlock(&track_lock);
	}
	give_back(h);
}

static size_t block_size(void *p)
{
	struct hdr *h;

	if (in_arena(p))
		return arena_size(p);
	h = header_of(p);
	return h != NULL ? hdr_size(h) : 0;
}

#define RA() ((uintptr_t)__builtin_return_address(0))

SHIM_API void *malloc(size_t n)
{
	return alloc_block(n, 16, RA());
}

SHIM_API void free(void *p)
{
	free_block(p);
}

static void *zero_alloc(size_t a, size_t b, uintptr_t ra)
{
	size_t n;
	unsigned char *p;

	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	p = alloc_block(n, 16, ra);
	if (p != NULL) {
		if (H != NULL)
			H->memset(p, 0, n);
		else
			for (size_t i = 0; i < n; i++)
				p[i] = 0;
	}
	return p;
}

SHIM_API void *calloc(size_t a, size_t b)
{
	return zero_alloc(a, b, RA());
}

SHIM_API void *realloc(void *p, size_t n)
{
	uintptr_t ra = RA();
	unsigned char *q;
	size_t old;

	if (p == NULL)
		return alloc_block(n, 16, ra);
	if (n == 0) {
		free_block(p);
		return NULL;
	}
	if (!in_arena(p)) {
		struct hdr *h = header_of(p);

		if (h == NULL) { /* not ours: leave it alone */
			errno = ENOMEM;
			return NULL;
		}
		if (h->magic != MAGIC_PLAIN)
			ra = ranges[0][0]; /* keep a tracked block tracked */
	}
	old = block_size(p);
	q = alloc_block(n, 16, ra);
	if (q == NULL)
		return NULL;
	if (H != NULL)
		H->memcpy(q, p, old < n ? old : n);
	else
		for (size_t i = 0; i < (old < n ? old : n); i++)
			q[i] = ((unsigned char *)p)[i];
	free_block(p);
	return q;
}

SHIM_API int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	p = alloc_block(n, align, RA());
	if (p == NULL)
		return ENOMEM;
	*out = p;
	return 0;
}

SHIM_API void *aligned_alloc(size_t align, size_t n)
{
	if (align == 0 || (align & (align - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_block(n, align, RA());
}

SHIM_API void *memalign(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

SHIM_API void *valloc(size_t n)
{
	return alloc_block(n, 4096, RA());
}

SHIM_API void *pvalloc(size_t n)
{
	return alloc_block((n + 4095) & ~(size_t)4095, 4096, RA());
}

SHIM_API size_t malloc_usable_size(void *p)
{
	return p == NULL ? 0 : block_size(p);
}

/* ---- rand() -------------------------------------------------------------------------- *
 *
 * lwIP's LWIP_RAND() is rand() in both builds, seeded by the glue with the instance's
 * seed (vnetif_lwip_config.seed). This rand() never returns a value whose low 14 bits are
 * all ones. lwIP 2.1.3's tcp_init() takes its first ephemeral port as 0xc000 plus those 14
 * bits, and tcp_new_port() steps from 0xffff to port 0, which it returns as "no port":
 * the instance's first connect (or bind to port 0) then failed with ENOBUFS, one seed in
 * 16384 (seed 8069 with glibc's rand(), for one). The generator is a 64-bit LCG, the upper
 * 31 bits of its state returned: each seed still gives one fixed sequence.
 */
static _Atomic uint64_t rand_state = 1;

SHIM_API void srand(unsigned seed)
{
	atomic_store_explicit(&rand_state, seed, memory_order_relaxed);
}

SHIM_API int rand(void)
{
	uint64_t old = atomic_load_explicit(&rand_state, memory_order_relaxed), next;
	uint32_t r;

	do
		next = old * 6364136223846793005ull + 1442695040888963407ull;
	while (!atomic_compare_exchange_weak_explicit(&rand_state, &old, next, memory_order_relaxed,
						      memory_order_relaxed));
	r = (uint32_t)(next >> 33);
	if ((r & 0x3fffu) == 0x3fffu)
		r ^= 1u;
	return (int)r;
}

/* ---- memory functions ---------------------------------------------------------------- */

SHIM_API void *memcpy(void *d, const void *s, size_t n)
{
	if (H != NULL)
		return H->memcpy(d, s, n);
	for (size_t i = 0; i < n; i++)
		((unsigned char *)d)[i] = ((const unsigned char *)s)[i];
	return d;
}

SHIM_API void *__memcpy_chk(void *d, const void *s, size_t n, size_t dlen)
{
	if (n > dlen)
		abort();
	return memcpy(d, s, n);
}

SHIM_API void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (H != NULL)
		return H->memmove(d, s, n);
	if (dp < sp)
		for (size_t i = 0; i < n; i++)
			dp[i] = sp[i];
	else
		for (size_t i = n; i > 0; i--)
			dp[i - 1] = sp[i - 1];
	return d;
}

SHIM_API void *memset(void *d, int c, size_t n)
{
	if (H != NULL)
		return H->memset(d, c, n);
	for (size_t i = 0; i < n; i++)
		((unsigned char *)d)[i] = (unsigned char)c;
	return d;
}

/* ---- locks ---------------------------------------------------------------------------- */

/* Before setup only the namespace's libc runs, and it calls its own locks internally;
 * a call through these before setup would be a bug, so use the namespace's libc then. */
static void *next_sym(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		abort();
	return f;
}

#define FWD(ret, name, field, params, args)                                                  \
	SHIM_API ret name params                                                             \
	{                                                                                    \
		static ret(*next) params;                                                    \
		if (H != NULL)                                                               \
			return H->field args;                                                \
		if (next == NULL)                                                            \
			next = (ret(*) params)next_sym(#name);                               \
		return next args;                                                            \
	}

FWD(int, pthread_mutex_init, mutex_init, (pthread_mutex_t * m, const pthread_mutexattr_t *a), (m, a))
FWD(int, pthread_mutex_destroy, mutex_destroy, (pthread_mutex_t * m), (m))
FWD(int, pthread_mutex_lock, mutex_lock, (pthread_mutex_t * m), (m))
FWD(int, pthread_mutex_trylock, mutex_trylock, (pthread_mutex_t * m), (m))
FWD(int, pthread_mutex_unlock, mutex_unlock, (pthread_mutex_t * m), (m))
FWD(int, pthread_mutexattr_init, mutexattr_init, (pthread_mutexattr_t * a), (a))
FWD(int, pthread_mutexattr_destroy, mutexattr_destroy, (pthread_mutexattr_t * a), (a))
FWD(int, pthread_mutexattr_settype, mutexattr_settype, (pthread_mutexattr_t * a, int t), (a, t))
FWD(int, pthread_cond_init, cond_init, (pthread_cond_t * c, const pthread_condattr_t *a), (c, a))
FWD(int, pthread_cond_destroy, cond_destroy, (pthread_cond_t * c), (c))
FWD(int, pthread_cond_wait, cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
FWD(int, pthread_cond_timedwait, cond_timedwait,
    (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *t), (c, m, t))
FWD(int, pthread_cond_signal, cond_signal, (pthread_cond_t * c), (c))
FWD(int, pthread_cond_broadcast, cond_broadcast, (pthread_cond_t * c), (c))
FWD(int, pthread_condattr_init, condattr_init, (pthread_condattr_t * a), (a))
FWD(int, pthread_condattr_destroy, condattr_destroy, (pthread_condattr_t * a), (a))
FWD(int, pthread_condattr_setclock, condattr_setclock, (pthread_condattr_t * a, clockid_t c), (a, c))

/* ---- control (called by libvnetif-lwip and the glue) ----------------------------------- */

SHIM_API int vnl_shim_setup(const struct vnl_host *host)
{
	if (host == NULL || host->abi != VNL_ABI_VERSION)
		return -EINVAL;
	if (H != NULL)
		return 0;
	host->mutex_init(&track_lock, NULL);
	H = host;
	return 0;
}

SHIM_API void vnl_shim_track(const uintptr_t (*r)[2], unsigned n)
{
	if (n > MAX_RANGES)
		n = MAX_RANGES;
	H->mutex_lock(&track_lock);
	for (unsigned i = 0; i < n; i++) {
		ranges[i][0] = r[i][0];
		ranges[i][1] = r[i][1];
	}
	track_st.peak_bytes = track_st.live_bytes;
	track_st.allocs = 0;
	track_st.bad_frees = 0;
	H->mutex_unlock(&track_lock);
	atomic_store_explicit(&nranges, n, memory_order_release);
}

/* The stats as they stand; track_lock held. */
static void stats_locked(struct vnl_heap_stats *st)
{
	*st = track_st;
	st->cached_bytes = cache_bytes;
	st->cache_max = VNL_SHIM_CACHE ? CACHE_BYTES : 0;
}

SHIM_API void vnl_shim_stats(struct vnl_heap_stats *st)
{
	H->mutex_lock(&track_lock);
	stats_locked(st);
	H->mutex_unlock(&track_lock);
}

SHIM_API void vnl_shim_sweep(struct vnl_heap_stats *st)
{
	struct hdr *h, *next;

	atomic_store_explicit(&nranges, 0, memory_order_release);
	H->mutex_lock(&track_lock);
	if (st != NULL)
		stats_locked(st);
	for (h = track_head.next; h != &track_head; h = next) {
		next = h->next;
		give_back(h);
	}
	for (int c = 0; c < NCLASS; c++) {
		for (h = cache_list[c]; h != NULL; h = next) {
			next = h->next;
			give_back(h);
		}
		cache_list[c] = NULL;
	}
	cache_bytes = 0;
	track_head.next = track_head.prev = &track_head;
	track_st.live_bytes = track_st.live_blocks = 0;
	H->mutex_unlock(&track_lock);
}
