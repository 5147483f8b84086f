/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Every reach of the glue into lwIP 2.1's internals, in one place (glue_lwip.h guards
 * the version). Each is here because lwIP's public API has no way to do it:
 *
 *  - abort every TCP connection at destroy: the pcb lists (lwip/priv/tcp_priv.h). lwIP
 *    has no "reset all"; the peers must get their RSTs while the link is still up.
 *  - wake threads blocked in socket calls at destroy: the socket's netconn
 *    (lwip/priv/sockets_priv.h) and its mailboxes, into which we post lwIP's own
 *    "closed" message (netconn_closed, api_msg.c). lwIP has no way to interrupt a
 *    blocked recv/accept from outside; close() from another thread is not safe in 2.1.
 *  - the core lock's try-lock: the port's sys_mutex is a struct whose one member is a
 *    pthread_mutex_t (Debian's port/sys_arch.c); the port has no sys_mutex_trylock.
 *  - end the tcpip thread: tcpip_thread() never returns, so a callback message runs in
 *    it, lets go of the core lock and longjmps back to the thread's start (the setjmp is
 *    the main namespace's, stack.c: tcpip_main()). Nothing on that thread's stack holds
 *    memory lwIP would miss: the heap is swept after (shim.c).
 *  - tcp_shutdown() replaced: a fix of 2.1.3's double free, below.
 *
 * The other replacements (sys_thread_new, sys_lock_tcpip_core & co) are lwIP's port
 * interface, not internals: glue.c.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/netbuf.h"
#include "lwip/sockets.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#include "lwip/priv/api_msg.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"

#include "glue_lwip.h"

#define GLUE_API __attribute__((visibility("default")))

/* The err "messages" lwIP posts to a TCP netconn's mailboxes (api_msg.c). */
extern const u8_t netconn_closed;

void vnl_lwip_abort_all_pcbs(void)
{
	while (tcp_active_pcbs != NULL)
		tcp_abort(tcp_active_pcbs);
	while (tcp_tw_pcbs != NULL)
		tcp_abort(tcp_tw_pcbs);
}

/* TCP mailboxes get lwIP's own "closed" message; UDP/raw ones an empty datagram (they
 * would misread the message); poll() waiters an event. Best effort: a full mailbox
 * means nobody waits on it. */
void vnl_lwip_wake_socket(int fd)
{
	struct lwip_sock *sock = lwip_socket_dbg_get_socket(fd);
	struct netconn *c = sock != NULL ? sock->conn : NULL;

	if (c == NULL)
		return;
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

extern sys_mutex_t lock_tcpip_core;

struct port_mutex {
	pthread_mutex_t m; /* Debian's port/sys_arch.c: struct sys_mutex */
};

bool vnl_lwip_core_trylock(void)
{
	return lock_tcpip_core != NULL &&
	       pthread_mutex_trylock(&((struct port_mutex *)lock_tcpip_core)->m) == 0;
}

static struct tcpip_callback_msg *end_msg;
static void (*end_leave)(void);

static void end_cb(void *arg)
{
	(void)arg;
	end_leave(); /* core lock held; lets go of it and longjmps out of tcpip_thread() */
}

int vnl_lwip_end_thread(void (*leave)(void))
{
	end_leave = leave;
	if (end_msg == NULL)
		end_msg = tcpip_callbackmsg_new(end_cb, NULL);
	if (end_msg == NULL)
		return -ENOMEM;
	return tcpip_callbackmsg_trycallback(end_msg) == ERR_OK ? 0 : -EAGAIN;
}

void vnl_lwip_end_thread_done(void)
{
	if (end_msg != NULL)
		tcpip_callbackmsg_delete(end_msg);
	end_msg = NULL;
}

/*
 * When an application reads EOF from a TCP socket, lwIP shuts the receive side down
 * (tcp_shutdown(pcb, 1, 0): TF_RXCLOSED) and the netconn keeps its pcb. In LAST_ACK (the
 * peer's FIN came first, then the application's) and TIME_WAIT (the other way round)
 * lwIP later frees that pcb without telling the netconn: the final ACK of LAST_ACK calls
 * no err callback once TF_RXCLOSED is set, and the TIME_WAIT timer never calls one.
 * close() then passed the freed pcb to tcp_close(): a double free ("free of a block it
 * did not allocate"), found with both ends doing shutdown(SHUT_WR), read-to-EOF, close().
 *
 * Debian's liblwip calls tcp_shutdown() through its PLT, and this object comes before
 * liblwip in the namespace's lookup scope (as with sys_thread_new in glue.c), so lwIP's calls
 * land here. The tuned lwIP is linked into this object: cmake/LwipSource.cmake renames
 * its definition (tcp.c) to vnl_lwip_tcp_shutdown, so its netconn layer calls this one.
 * In those states there is nothing left for the netconn to receive or send: detach
 * it from the pcb as lwIP's own close does (callbacks off, conn->pcb.tcp = NULL) and let
 * the pcb finish on its own. Every other call goes to lwIP's tcp_shutdown().
 */
#ifdef VNETIF_LWIP_TUNED
err_t vnl_lwip_tcp_shutdown(struct tcp_pcb *pcb, int shut_rx, int shut_tx);
#endif

GLUE_API err_t tcp_shutdown(struct tcp_pcb *pcb, int shut_rx, int shut_tx)
{
#ifdef VNETIF_LWIP_TUNED
	err_t (*const lwip_tcp_shutdown)(struct tcp_pcb *, int, int) = vnl_lwip_tcp_shutdown;
#else
	static err_t (*lwip_tcp_shutdown)(struct tcp_pcb *, int, int);
#endif

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
#ifndef VNETIF_LWIP_TUNED
	if (lwip_tcp_shutdown == NULL)
		lwip_tcp_shutdown = (err_t(*)(struct tcp_pcb *, int, int))dlsym(RTLD_NEXT, "tcp_shutdown");
#endif
	return lwip_tcp_shutdown != NULL ? lwip_tcp_shutdown(pcb, shut_rx, shut_tx) : ERR_ARG;
}
