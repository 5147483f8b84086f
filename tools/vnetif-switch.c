/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnetif-switch: host a libvnetif switch whose ports are DPDK devices -- memif servers
 * for DPDK programs (Click, testpmd), vhost-user servers for VMs, tap interfaces for
 * Linux hosts, pcap files --, lwIP stacks and a NAT uplink; print per-port counters
 * every second, stop cleanly on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vnetif.h"
#include "vnetif_ethdev.h"
#ifdef VNETIF_SWITCH_WITH_LWIP
#include "vnetif_lwip.h"
#endif
#ifdef VNETIF_SWITCH_WITH_SLIRP
#include "vnetif_slirp.h"
#endif

#include "vnetif_switch_opts.h"

#define PROG "vnetif-switch"

/* A running port: the device and its counters at the last line. */
struct run_port {
	const struct vs_port *arg;
	vnetif_ethdev *e;
	struct vnetif_ethdev_stats last;
};

struct run_stack {
	const struct vs_stack *arg;
#ifdef VNETIF_SWITCH_WITH_LWIP
	vnetif_lwip_stack *s;
#endif
};

static volatile sig_atomic_t stop_signal;
/* Where counters go: stdout, or stderr when the capture streams to stdout. */
static FILE *out;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *rate(double per_s, char *buf, size_t len)
{
	if (per_s >= 1e6)
		snprintf(buf, len, "%.2f Mpps", per_s / 1e6);
	else if (per_s >= 1e3)
		snprintf(buf, len, "%.1f kpps", per_s / 1e3);
	else
		snprintf(buf, len, "%.0f pps", per_s);
	return buf;
}

/* What runs: the switch, its device ports and its stacks. */
struct run {
	const struct vs_config *cfg;
	vnetif_switch *sw;
	struct run_port ports[VS_MAX_PORTS];
	struct run_stack stacks[VS_MAX_PORTS];
#ifdef VNETIF_SWITCH_WITH_SLIRP
	vnetif_slirp *nat;
#endif
	vnetif_capture *cap;
	int cap_fd;
};

/* The switch port of port number @i (device ports first, then stacks, then the NAT). */
static vnetif_port *port_of(const struct run *r, unsigned i)
{
	if (i < r->cfg->nports)
		return r->ports[i].e ? vnetif_ethdev_port(r->ports[i].e) : NULL;
	i -= r->cfg->nports;
#ifdef VNETIF_SWITCH_WITH_LWIP
	if (i < r->cfg->nstacks)
		return r->stacks[i].s ? vnetif_lwip_port(r->stacks[i].s) : NULL;
#endif
	if (i != r->cfg->nstacks)
		return NULL;
#ifdef VNETIF_SWITCH_WITH_SLIRP
	return r->nat ? vnetif_slirp_port(r->nat) : NULL;
#else
	return NULL;
#endif
}

/* One line per impairment of port @i: what it did so far. */
static void print_impairs(const struct run *r, unsigned i)
{
	for (unsigned k = 0; k < r->cfg->nimpairs; k++) {
		const struct vs_impair *im = &r->cfg->impairs[k];
		struct vnetif_impair_stats st;

		if (im->port != i ||
		    vnetif_impair_stats_get(port_of(r, i), im->tx ? VNETIF_DIR_TX : VNETIF_DIR_RX,
					    &st) != 0)
			continue;
		fprintf(out, "           impair %s %s: passed %" PRIu64 " lost %" PRIu64
			" cut %" PRIu64 " oversize %" PRIu64 " queue-full %" PRIu64 " held %" PRIu64
			" delayed %" PRIu64 " reordered %" PRIu64 " dup %" PRIu64 " corrupt %" PRIu64
			" padded %" PRIu64 "\n",
			im->tx ? "tx" : "rx", im->spec, st.passed, st.dropped_loss + st.dropped_small,
			st.dropped_cut + st.dropped_down, st.dropped_oversize, st.dropped_queue_full,
			st.held, st.delayed, st.reordered, st.duplicated, st.corrupted, st.padded);
	}
}

static void print_stack_stats(const struct run *r, unsigned n, unsigned first, double t,
			      bool final)
{
	const struct run_stack *stacks = r->stacks;

#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < n; i++) {
		struct vnetif_stats ps;

		if (vnetif_stats_get(vnetif_lwip_port(stacks[i].s), &ps) != 0)
			continue;
		fprintf(out, "%s%7.1fs port %u %-8s %-24s      in %" PRIu64 " out %" PRIu64 " drops %" PRIu64
		       "\n", final ? "final " : "", t, first + i, "stack", stacks[i].arg->value,
		       ps.tx_packets, ps.rx_packets,
		       ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
			       ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full);
		print_impairs(r, first + i);
	}
#else
	(void)stacks, (void)n, (void)first, (void)t, (void)final;
#endif
}

/* The link column. A tap interface moved into another network namespace cannot be
 * read from here (DPDK reports it down while traffic flows): "netns". */
static const char *link_state(const struct run_port *p)
{
	struct vnetif_ethdev_link link = {.up = false};

	if (vnetif_ethdev_link_get(p->e, &link) != 0)
		return "?";
	if (!link.up && strcmp(vs_port_kind(p->arg), "tap") == 0 &&
	    if_nametoindex(p->arg->value) == 0)
		return "netns";
	return link.up ? "up" : "down";
}

static void print_nat_stats(const struct run *r, unsigned idx, double t, bool final)
{
#ifdef VNETIF_SWITCH_WITH_SLIRP
	const char *value = r->cfg->nat;
	vnetif_slirp *nat = r->nat;
	struct vnetif_slirp_stats ns;
	struct vnetif_stats ps;

	if (!nat || vnetif_slirp_stats_get(nat, &ns) != 0 ||
	    vnetif_stats_get(vnetif_slirp_port(nat), &ps) != 0)
		return;
	fprintf(out, "%s%7.1fs port %u %-8s %-24s      in %" PRIu64 " out %" PRIu64 " drops %" PRIu64
	       "\n", final ? "final " : "", t, idx, "nat", value, ps.tx_packets, ps.rx_packets,
	       ns.rx_drop_queue_full + ns.rx_drop_too_long + ns.tx_drop + ps.tx_drop_oversize +
		       ps.tx_drop_runt + ps.tx_drop_bad_src + ps.tx_drop_no_route +
		       ps.tx_drop_own_port + ps.rx_drop_ring_full);
	print_impairs(r, idx);
#else
	(void)r, (void)idx, (void)t, (void)final;
#endif
}

static void print_stats(struct run *r, unsigned n, double t, double dt, bool final)
{
	for (unsigned i = 0; i < n; i++) {
		struct run_port *p = &r->ports[i];
		struct vnetif_ethdev_stats st;
		struct vnetif_stats ps;
		char r1[32], r2[32];

		if (vnetif_ethdev_stats_get(p->e, &st) != 0 ||
		    vnetif_stats_get(vnetif_ethdev_port(p->e), &ps) != 0)
			continue;
		uint64_t drops = st.tx_drop_dev_full + st.rx_drop_no_port + st.dev_imissed +
				 ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
				 ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full +
				 ps.rx_drop_disconnected;
		int macs = vnetif_port_learned(vnetif_ethdev_port(p->e));

		fprintf(out, "%s%7.1fs port %u %-8s %-24s %-5s in %" PRIu64 " (%s) out %" PRIu64
		       " (%s) drops %" PRIu64 " macs %d\n", final ? "final " : "", t, i,
		       vs_port_kind(p->arg), p->arg->value, link_state(p), st.to_switch,
		       rate(dt > 0 ? (double)(st.to_switch - p->last.to_switch) / dt : 0, r1,
			    sizeof(r1)),
		       st.from_switch,
		       rate(dt > 0 ? (double)(st.from_switch - p->last.from_switch) / dt : 0, r2,
			    sizeof(r2)),
		       drops, macs > 0 ? macs : 0);
		p->last = st;
		print_impairs(r, i);
	}
	fflush(out);
}

/* Start the capture (before any port, so every port gets an interface). */
static int capture_start(struct run *r)
{
	const char *f = r->cfg->capture;
	int rc;

	r->cap_fd = strcmp(f, "-") == 0 ? STDOUT_FILENO
					: open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (r->cap_fd < 0) {
		fprintf(stderr, PROG ": --capture %s: %s\n", f, strerror(errno));
		return 1;
	}
	rc = vnetif_capture_start(r->sw, NULL, r->cap_fd, NULL, &r->cap);
	if (rc) {
		fprintf(stderr, PROG ": --capture %s: %s\n", f, vnetif_strerror(rc));
		return 1;
	}
	return 0;
}

static int impairs_apply(struct run *r)
{
	for (unsigned k = 0; k < r->cfg->nimpairs; k++) {
		const struct vs_impair *im = &r->cfg->impairs[k];
		struct vnetif_impair spec;
		char buf[256];
		int rc = vnetif_impair_parse(im->spec, &spec);

		if (rc) {
			fprintf(stderr, PROG ": --impair %s: bad SPEC (see --help)\n", im->value);
			return 2;
		}
		rc = vnetif_impair_set(port_of(r, im->port), im->tx ? VNETIF_DIR_TX : VNETIF_DIR_RX,
				       &spec);
		if (rc) {
			fprintf(stderr, PROG ": --impair %s: %s\n", im->value, vnetif_strerror(rc));
			return 1;
		}
		vnetif_impair_format(&spec, buf, sizeof(buf));
		fprintf(out, "port %u %s impaired: %s\n", im->port, im->tx ? "tx" : "rx", buf);
	}
	return 0;
}

/* --max-macs: port security's learning limit on a port. */
static int limit_macs(vnetif_port *p, unsigned n)
{
	struct vnetif_port_security sec = {.max_learned = n};

	return vnetif_port_security_set(p, &sec);
}

/* The NAT's gateway (NET + 2) into @gw if --nat was given and @ip is in its network. */
static bool nat_gateway(const struct vs_config *cfg, const char *ip, char gw[INET_ADDRSTRLEN])
{
	struct in_addr net, a;
	char buf[INET_ADDRSTRLEN];
	const char *slash = cfg->nat ? strchr(cfg->nat, '/') : NULL;

	if (!slash || (size_t)(slash - cfg->nat) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - cfg->nat), cfg->nat);
	uint32_t mask = ~0u << (32 - atoi(slash + 1)); /* prefix 8..30: checked by vs_parse */
	if (inet_pton(AF_INET, buf, &net) != 1 || inet_pton(AF_INET, ip, &a) != 1 ||
	    (ntohl(a.s_addr) & mask) != (ntohl(net.s_addr) & mask))
		return false;
	net.s_addr = htonl((ntohl(net.s_addr) & mask) + 2);
	return inet_ntop(AF_INET, &net, gw, INET_ADDRSTRLEN) != NULL;
}

/* Create the switch, attach the ports, create the stacks: 0 or 1 (said on stderr; what
 * was made is undone by run_stop). */
static int run_start(struct run *r)
{
	const struct vs_config *cfg = r->cfg;
	struct vnetif_switch_config swcfg;
	struct vnetif_ethdev_config ecfg;
	int rc;

	vnetif_switch_config_init(&swcfg);
	if (cfg->hub)
		swcfg.fwd_mode = VNETIF_FWD_HUB;
	rc = vnetif_switch_create(&swcfg, &r->sw);
	if (rc) {
		fprintf(stderr, PROG ": cannot create the switch: %s\n", vnetif_strerror(rc));
		return 1;
	}
	if (cfg->capture && capture_start(r))
		return 1;
	vnetif_ethdev_config_init(&ecfg);
	ecfg.poll_mode = cfg->threads ? VNETIF_ETHDEV_THREAD : VNETIF_ETHDEV_APP_POLL;
	ecfg.driver_log = true; /* errors quote the driver; the log is the program's own */
	for (unsigned i = 0; i < cfg->nports; i++) {
		const struct vs_port *p = &cfg->ports[i];

		r->ports[i].arg = p;
		rc = vnetif_ethdev_attach(r->sw, p->devargs, &ecfg, &r->ports[i].e);
		if (rc) {
			fprintf(stderr, PROG ": --%s %s: %s\n", vs_port_kind(p), p->value,
				vnetif_ethdev_last_error());
			return 1;
		}
		if (cfg->max_macs && (rc = limit_macs(vnetif_ethdev_port(r->ports[i].e),
						      cfg->max_macs)) != 0) {
			fprintf(stderr, PROG ": --max-macs: %s\n", vnetif_strerror(rc));
			return 1;
		}
		fprintf(out, "port %u: %s %s (%s)\n", i, vs_port_kind(p), p->value,
		       vnetif_ethdev_name(r->ports[i].e));
		if (strcmp(vs_port_kind(p), "memif") == 0)
			fprintf(out, "  clients attach with --vdev=net_memif0,role=client,socket=%s,"
			       "socket-abstract=no\n", p->value);
	}
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < cfg->nstacks; i++) {
		const struct vs_stack *st = &cfg->stacks[i];
		struct vnetif_lwip_config lc;

		r->stacks[i].arg = st;
		vnetif_lwip_config_init(&lc);
		lc.ipv4 = st->ip;
		lc.netmask = st->mask;
		char gw[INET_ADDRSTRLEN];
		if (nat_gateway(cfg, st->ip, gw))
			lc.gateway = gw; /* a stack in the NAT's network routes through it */
		rc = vnetif_lwip_create(r->sw, &lc, &r->stacks[i].s);
		if (rc) {
			fprintf(stderr, PROG ": --stack %s: %s\n", st->value, vnetif_lwip_strerror(rc));
			return 1;
		}
		if (cfg->max_macs && (rc = limit_macs(vnetif_lwip_port(r->stacks[i].s),
						      cfg->max_macs)) != 0) {
			fprintf(stderr, PROG ": --max-macs: %s\n", vnetif_strerror(rc));
			return 1;
		}
		fprintf(out, "port %u: stack %s (lwIP, netmask %s)\n", cfg->nports + i, st->value,
		       st->mask);
	}
#endif
#ifdef VNETIF_SWITCH_WITH_SLIRP
	if (cfg->nat) {
		struct vnetif_slirp_config nc;

		vnetif_slirp_config_init(&nc);
		nc.network = cfg->nat;
		rc = vnetif_slirp_create(r->sw, &nc, &r->nat);
		if (rc) {
			fprintf(stderr, PROG ": --nat %s: %s\n", cfg->nat, rc == -EINVAL ?
				"not a usable network (NET/PREFIX, prefix 8..30)" :
				vnetif_strerror(rc));
			return 1;
		}
		fprintf(out, "port %u: nat %s (user-mode NAT uplink: gateway .2, DNS .3, DHCP from .15)\n",
		       cfg->nports + cfg->nstacks, cfg->nat);
		for (unsigned i = 0; i < cfg->nhostfwd; i++) {
			rc = vnetif_slirp_hostfwd(r->nat, cfg->hostfwd[i]);
			if (rc) {
				fprintf(stderr, PROG ": --hostfwd %s: %s\n", cfg->hostfwd[i],
					rc == -EADDRINUSE ? "cannot bind the host port (in use?)" :
					"bad forward (tcp:[HOSTADDR]:PORT-GUESTADDR:PORT with "
					"GUESTADDR in the --nat network)");
				return 1;
			}
			fprintf(out, "  forward %s\n", cfg->hostfwd[i]);
		}
	}
#endif
	return impairs_apply(r);
}

/* Poll (or let the poller threads work) and print counters until a signal or the
 * duration. */
static void run_loop(struct run *r)
{
	const struct vs_config *cfg = r->cfg;
	double t0 = now_s(), last = t0, next = cfg->interval > 0 ? t0 + cfg->interval : -1;
	unsigned idle = 0;

	fprintf(out, "switching (%s, %s", cfg->hub ? "hub" : "MAC learning",
	       cfg->threads ? "a thread per port" : "one polling loop");
	if (cfg->max_macs)
		fprintf(out, ", at most %u MACs per port", cfg->max_macs);
	fprintf(out, "); stop with Ctrl-C\n");
	while (!stop_signal) {
		unsigned moved = 0;

		if (!cfg->threads) {
			for (unsigned i = 0; i < cfg->nports; i++) {
				int n = vnetif_ethdev_poll(r->ports[i].e, 256);

				moved += n > 0 ? (unsigned)n : 0;
			}
		}
		if (moved)
			idle = 0;
		else if (cfg->threads || ++idle > 1000)
			usleep(cfg->threads ? 10000 : 100); /* idle: spin a while, then nap */
		double now = now_s();
		if (next > 0 && now >= next) {
			print_stats(r, cfg->nports, now - t0, now - last, false);
			print_stack_stats(r, cfg->nstacks, cfg->nports, now - t0, false);
			print_nat_stats(r, cfg->nports + cfg->nstacks, now - t0, false);
			last = now;
			next += cfg->interval;
			if (next < now)
				next = now + cfg->interval;
		}
		if (cfg->duration > 0 && now - t0 >= cfg->duration)
			break;
	}
	if (stop_signal)
		fprintf(out, "stopping on %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	print_stats(r, cfg->nports, now_s() - t0, now_s() - last, true);
	print_stack_stats(r, cfg->nstacks, cfg->nports, now_s() - t0, true);
	print_nat_stats(r, cfg->nports + cfg->nstacks, now_s() - t0, true);
}

/* Undo what run_start made: 0, or 1 if anything failed (said on stderr). */
static int run_stop(struct run *r)
{
	int rc, status = 0;

#ifdef VNETIF_SWITCH_WITH_SLIRP
	if (r->nat && (rc = vnetif_slirp_destroy(r->nat)) != 0) {
		fprintf(stderr, PROG ": stopping the NAT uplink: %s\n", vnetif_strerror(rc));
		status = 1;
	}
#endif
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < r->cfg->nstacks; i++) {
		if (r->stacks[i].s && (rc = vnetif_lwip_destroy(r->stacks[i].s)) != 0) {
			fprintf(stderr, PROG ": destroying stack %s: %s\n", r->stacks[i].arg->value,
				vnetif_lwip_strerror(rc));
			status = 1;
		}
	}
#endif
	for (unsigned i = 0; i < r->cfg->nports; i++) {
		if (r->ports[i].e && (rc = vnetif_ethdev_detach(r->ports[i].e)) != 0) {
			fprintf(stderr, PROG ": detach %s: %s\n", r->ports[i].arg->value,
				vnetif_ethdev_last_error());
			status = 1;
		}
	}
	if (r->cap) {
		rc = vnetif_capture_stop(r->cap);
		if (rc < 0) {
			fprintf(stderr, PROG ": --capture %s: %s\n", r->cfg->capture, vnetif_strerror(rc));
			status = 1;
		} else {
			fprintf(stderr, PROG ": --capture %s: %d frames\n", r->cfg->capture, rc);
		}
		if (r->cap_fd != STDOUT_FILENO)
			close(r->cap_fd);
	}
	if (r->sw && (rc = vnetif_switch_destroy(r->sw)) != 0) {
		fprintf(stderr, PROG ": destroying the switch: %s\n", vnetif_strerror(rc));
		status = 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct vs_config cfg;
	static struct run r = {.cfg = &cfg};
	int rc = vs_parse(&cfg, argc, argv);

	out = rc == VS_OK && cfg.capture && strcmp(cfg.capture, "-") == 0 ? stderr : stdout;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (rc == VS_HELP) {
		vs_usage(stdout);
		return 0;
	}
#ifndef VNETIF_SWITCH_WITH_LWIP
	if (rc == VS_OK && cfg.nstacks) {
		snprintf(cfg.err, sizeof(cfg.err), "--stack: this vnetif-switch was built without "
			 "the lwIP adapter (stacks/lwip, CMake option VNETIF_WITH_LWIP)");
		rc = VS_BAD;
	}
#endif
#ifndef VNETIF_SWITCH_WITH_SLIRP
	if (rc == VS_OK && cfg.nat) {
		snprintf(cfg.err, sizeof(cfg.err), "--nat: this vnetif-switch was built without "
			 "libslirp (apt-get install libslirp-dev, then rebuild)");
		rc = VS_BAD;
	}
#endif
	if (rc == VS_OK)
		rc = vs_check_ports(&cfg);
	if (rc != VS_OK) {
		fprintf(stderr, PROG ": %s\nTry '" PROG " --help'.\n", cfg.err);
		return VS_BAD;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	rc = run_start(&r);
	if (rc == 0)
		run_loop(&r);
	return run_stop(&r) ? 1 : rc;
}
