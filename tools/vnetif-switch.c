/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnetif-switch: host a libvnetif switch whose ports are DPDK devices -- memif servers
 * for DPDK programs (Click, testpmd), tap interfaces for Linux hosts, pcap files --
 * print per-port counters every second, stop cleanly on SIGINT/SIGTERM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "vnetif.h"
#include "vnetif_ethdev.h"
#ifdef VNETIF_SWITCH_WITH_LWIP
#include "vnetif_lwip.h"
#endif

#define MAX_PORTS 32
#define PROG "vnetif-switch"

struct port_arg {
	const char *kind;  /* "memif", "tap", "pcap-in", "pcap-out", "vdev" */
	const char *value; /* path, interface or devargs */
	char devargs[PATH_MAX + 128];
	vnetif_ethdev *e;
	struct vnetif_ethdev_stats last;
};

/* --stack IP/PREFIX: an lwIP stack on the switch (answers ARP and ping). */
struct stack_arg {
	const char *value;
	char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN];
#ifdef VNETIF_SWITCH_WITH_LWIP
	vnetif_lwip_stack *s;
#endif
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [OPTION]...\n"
		"Host a libvnetif switch whose ports are DPDK devices; print per-port counters\n"
		"every second; stop on SIGINT or SIGTERM.\n"
		"\n"
		"Ports (each option may repeat; give at least one):\n"
		"  --memif PATH     memif server listening on socket file PATH; a DPDK program\n"
		"                   attaches with\n"
		"                   --vdev=net_memif0,role=client,socket=PATH,socket-abstract=no\n"
		"  --tap IFNAME     tap interface IFNAME for the Linux host (needs CAP_NET_ADMIN)\n"
		"  --pcap-in FILE   a port that replays the frames of FILE into the switch, once\n"
		"  --pcap-out FILE  a port that writes every frame it receives to FILE\n"
		"  --vdev DEVARGS   any DPDK device, e.g. net_null0 or net_vhost0,iface=PATH\n"
		"  --stack IP/PREFIX  an lwIP TCP/IP stack on the switch at IP (answers ARP and\n"
		"                   ping), e.g. 10.0.0.2/24 (when built with stacks/lwip)\n"
		"\n"
		"Switch:\n"
		"  --hub            deliver every frame to every other port (default: MAC learning)\n"
		"  --threads        one polling thread per port (default: one loop polls all)\n"
		"  --interval SEC   seconds between counter lines (default 1; 0: none)\n"
		"  --duration SEC   stop after SEC seconds (default: run until a signal)\n"
		"  -h, --help       this text\n"
		"\n"
		"Counter line per port: frames in (device to switch) and out (switch to device),\n"
		"with rates, and drops (device refused + switch drops on the port).\n"
		"EAL arguments: the environment variable VNETIF_EAL_ARGS replaces the default\n"
		"(--no-huge --no-pci -m 256 --file-prefix=vnetif-<pid>-0).\n"
		"Exit status: 0 stopped cleanly, 1 a port or the switch failed, 2 bad arguments.\n");
}

static int bad_arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_arg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return 2;
}

/* A number of seconds >= 0 (fractions allowed). */
static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 1e9)
		return false;
	*out = v;
	return true;
}

/* The directory part of @path exists and is a directory. */
static int check_dir_of(const char *opt, const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		return 0;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (!dir[0])
		return 0;
	if (stat(dir, &st) != 0)
		return bad_arg("%s %s: directory %s: %s", opt, path, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bad_arg("%s %s: %s is not a directory", opt, path, dir);
	return 0;
}

/* A memif socket path: its directory exists; a file there is a stale socket (removed)
 * or a live server (refused). */
static int check_memif_path(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int rc = check_dir_of("--memif", path);

	if (rc)
		return rc;
	if (strlen(path) >= sizeof(sa.sun_path))
		return bad_arg("--memif %s: path longer than %zu bytes", path,
			       sizeof(sa.sun_path) - 1);
	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return bad_arg("--memif %s: exists and is not a socket", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int err = errno;
	close(fd);
	if (rc == 0)
		return bad_arg("--memif %s: a server is listening there already", path);
	if (err == ECONNREFUSED) {
		if (unlink(path) == 0)
			fprintf(stderr, PROG ": removed stale socket %s\n", path);
		return 0;
	}
	return 0;
}

/* Validate one port option and build its devargs. */
static int make_port(struct port_arg *p, unsigned idx)
{
	int rc;

	if (strcmp(p->kind, "memif") == 0) {
		if ((rc = check_memif_path(p->value)) != 0)
			return rc;
		snprintf(p->devargs, sizeof(p->devargs),
			 "net_memif%u,role=server,socket=%s,socket-abstract=no", idx, p->value);
	} else if (strcmp(p->kind, "tap") == 0) {
		size_t len = strlen(p->value);

		if (len == 0 || len >= IFNAMSIZ || strpbrk(p->value, "/ ,:="))
			return bad_arg("--tap '%s': an interface name is 1..%d characters, "
				       "without '/', ' ', ',', ':' or '='", p->value, IFNAMSIZ - 1);
		if (if_nametoindex(p->value) != 0)
			return bad_arg("--tap %s: an interface of that name exists already",
				       p->value);
		snprintf(p->devargs, sizeof(p->devargs), "net_tap%u,iface=%s", idx, p->value);
	} else if (strcmp(p->kind, "pcap-in") == 0) {
		if (access(p->value, R_OK) != 0)
			return bad_arg("--pcap-in %s: cannot read it: %s", p->value,
				       strerror(errno));
		if (strchr(p->value, ','))
			return bad_arg("--pcap-in %s: a file name with ',' cannot be given to "
				       "DPDK", p->value);
		snprintf(p->devargs, sizeof(p->devargs), "net_pcap%u,rx_pcap=%s", idx, p->value);
	} else if (strcmp(p->kind, "pcap-out") == 0) {
		if ((rc = check_dir_of("--pcap-out", p->value)) != 0)
			return rc;
		if (strchr(p->value, ','))
			return bad_arg("--pcap-out %s: a file name with ',' cannot be given to "
				       "DPDK", p->value);
		snprintf(p->devargs, sizeof(p->devargs), "net_pcap%u,tx_pcap=%s", idx, p->value);
	} else {
		if (!p->value[0])
			return bad_arg("--vdev: empty devargs");
		snprintf(p->devargs, sizeof(p->devargs), "%s", p->value);
	}
	return 0;
}

/* IP/PREFIX into dotted address and netmask. */
static int make_stack(struct stack_arg *st)
{
	struct in_addr a;
	char ip[INET_ADDRSTRLEN + 4];
	const char *slash = strchr(st->value, '/');
	char *end;
	long prefix;

	if (!slash || (size_t)(slash - st->value) >= sizeof(ip))
		return bad_arg("--stack '%s': give IP/PREFIX, e.g. 10.0.0.2/24", st->value);
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - st->value), st->value);
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1)
		return bad_arg("--stack '%s': '%s' is not an IPv4 address", st->value, ip);
	if (end == slash + 1 || *end || prefix < 1 || prefix > 30)
		return bad_arg("--stack '%s': the prefix length must be 1..30", st->value);
	struct in_addr m = {.s_addr = htonl(~0u << (32 - prefix))};
	inet_ntop(AF_INET, &a, st->ip, sizeof(st->ip));
	inet_ntop(AF_INET, &m, st->mask, sizeof(st->mask));
#ifndef VNETIF_SWITCH_WITH_LWIP
	return bad_arg("--stack: this vnetif-switch was built without the lwIP adapter "
		       "(stacks/lwip, CMake option VNETIF_WITH_LWIP)");
#else
	return 0;
#endif
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

static void print_stack_stats(struct stack_arg *stacks, unsigned n, unsigned first, double t,
			      bool final)
{
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < n; i++) {
		struct vnetif_stats ps;

		if (vnetif_stats_get(vnetif_lwip_port(stacks[i].s), &ps) != 0)
			continue;
		printf("%s%7.1fs port %u %-8s %-24s      in %" PRIu64 " out %" PRIu64 " drops %" PRIu64
		       "\n", final ? "final " : "", t, first + i, "stack", stacks[i].value,
		       ps.tx_packets, ps.rx_packets,
		       ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
			       ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full);
	}
#else
	(void)stacks, (void)n, (void)first, (void)t, (void)final;
#endif
}

static void print_stats(struct port_arg *ports, unsigned n, double t, double dt, bool final)
{
	for (unsigned i = 0; i < n; i++) {
		struct port_arg *p = &ports[i];
		struct vnetif_ethdev_stats st;
		struct vnetif_ethdev_link link = {.up = false};
		struct vnetif_stats ps;
		char r1[32], r2[32];

		if (vnetif_ethdev_stats_get(p->e, &st) != 0 ||
		    vnetif_stats_get(vnetif_ethdev_port(p->e), &ps) != 0)
			continue;
		vnetif_ethdev_link_get(p->e, &link);
		uint64_t drops = st.tx_drop_dev_full + st.rx_drop_no_port + st.dev_imissed +
				 ps.tx_drop_oversize + ps.tx_drop_runt + ps.tx_drop_bad_src +
				 ps.tx_drop_no_route + ps.tx_drop_own_port + ps.rx_drop_ring_full +
				 ps.rx_drop_disconnected;
		printf("%s%7.1fs port %u %-8s %-24s %-4s in %" PRIu64 " (%s) out %" PRIu64
		       " (%s) drops %" PRIu64 "\n", final ? "final " : "", t, i, p->kind, p->value,
		       link.up ? "up" : "down", st.to_switch,
		       rate(dt > 0 ? (double)(st.to_switch - p->last.to_switch) / dt : 0, r1,
			    sizeof(r1)),
		       st.from_switch,
		       rate(dt > 0 ? (double)(st.from_switch - p->last.from_switch) / dt : 0, r2,
			    sizeof(r2)),
		       drops);
		p->last = st;
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"memif", required_argument, NULL, 'm'},   {"tap", required_argument, NULL, 't'},
		{"pcap-in", required_argument, NULL, 'i'}, {"pcap-out", required_argument, NULL, 'o'},
		{"vdev", required_argument, NULL, 'v'},    {"hub", no_argument, NULL, 'H'},
		{"threads", no_argument, NULL, 'T'},       {"interval", required_argument, NULL, 'I'},
		{"duration", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
		{"stack", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0}};
	static struct port_arg ports[MAX_PORTS];
	static struct stack_arg stacks[MAX_PORTS];
	struct vnetif_switch_config swcfg;
	struct vnetif_ethdev_config ecfg;
	double interval = 1, duration = -1;
	bool threads = false;
	unsigned nports = 0, nstacks = 0, counts[5] = {0};
	vnetif_switch *sw = NULL;
	int c, rc, status = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	vnetif_switch_config_init(&swcfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		const char *kind = NULL;

		switch (c) {
		case 'm': kind = "memif"; break;
		case 't': kind = "tap"; break;
		case 'i': kind = "pcap-in"; break;
		case 'o': kind = "pcap-out"; break;
		case 'v': kind = "vdev"; break;
		case 'H': swcfg.fwd_mode = VNETIF_FWD_HUB; break;
		case 'T': threads = true; break;
		case 'S':
			if (nstacks == MAX_PORTS)
				return bad_arg("too many stacks (at most %d)", MAX_PORTS);
			stacks[nstacks].value = optarg;
			if ((rc = make_stack(&stacks[nstacks++])) != 0)
				return rc;
			break;
		case 'I':
			if (!parse_seconds(optarg, &interval))
				return bad_arg("--interval '%s': not a number of seconds >= 0", optarg);
			break;
		case 'D':
			if (!parse_seconds(optarg, &duration) || duration == 0)
				return bad_arg("--duration '%s': not a number of seconds > 0", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return bad_arg("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return bad_arg("unknown option '-%c'", optopt);
			return bad_arg("unknown option '%s'", argv[optind - 1]);
		}
		if (kind) {
			if (nports == MAX_PORTS)
				return bad_arg("too many ports (at most %d)", MAX_PORTS);
			ports[nports].kind = kind;
			ports[nports++].value = optarg;
		}
	}
	if (optind < argc)
		return bad_arg("unexpected argument '%s'", argv[optind]);
	if (nports + nstacks == 0)
		return bad_arg("no ports: give at least one of --memif, --tap, --pcap-in, "
			       "--pcap-out, --vdev, --stack");
	if (nports + nstacks > MAX_PORTS)
		return bad_arg("too many ports and stacks (at most %d)", MAX_PORTS);
	for (unsigned i = 0; i < nports; i++) {
		static const char *kinds[] = {"memif", "tap", "pcap-in", "pcap-out", "vdev"};
		unsigned k = 0;

		while (strcmp(kinds[k], ports[i].kind) != 0)
			k++;
		/* pcap-in and pcap-out share the net_pcap numbering */
		unsigned idx = k == 3 ? counts[2]++ : counts[k]++;
		if ((rc = make_port(&ports[i], idx)) != 0)
			return rc;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	rc = vnetif_switch_create(&swcfg, &sw);
	if (rc) {
		fprintf(stderr, PROG ": cannot create the switch: %s\n", vnetif_strerror(rc));
		return 1;
	}
	vnetif_ethdev_config_init(&ecfg);
	ecfg.poll_mode = threads ? VNETIF_ETHDEV_THREAD : VNETIF_ETHDEV_APP_POLL;
	for (unsigned i = 0; i < nports; i++) {
		rc = vnetif_ethdev_attach(sw, ports[i].devargs, &ecfg, &ports[i].e);
		if (rc) {
			fprintf(stderr, PROG ": --%s %s: %s\n", ports[i].kind, ports[i].value,
				vnetif_ethdev_last_error());
			status = 1;
			goto out;
		}
		printf("port %u: %s %s (%s)\n", i, ports[i].kind, ports[i].value,
		       vnetif_ethdev_name(ports[i].e));
		if (strcmp(ports[i].kind, "memif") == 0)
			printf("  clients attach with --vdev=net_memif0,role=client,socket=%s,"
			       "socket-abstract=no\n", ports[i].value);
	}
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < nstacks; i++) {
		struct vnetif_lwip_config lc;

		vnetif_lwip_config_init(&lc);
		lc.ipv4 = stacks[i].ip;
		lc.netmask = stacks[i].mask;
		rc = vnetif_lwip_create(sw, &lc, &stacks[i].s);
		if (rc) {
			fprintf(stderr, PROG ": --stack %s: %s\n", stacks[i].value,
				vnetif_lwip_strerror(rc));
			status = 1;
			goto out;
		}
		printf("port %u: stack %s (lwIP, netmask %s)\n", nports + i, stacks[i].value,
		       stacks[i].mask);
	}
#endif
	printf("switching (%s, %s); stop with Ctrl-C\n",
	       swcfg.fwd_mode == VNETIF_FWD_HUB ? "hub" : "MAC learning",
	       threads ? "a thread per port" : "one polling loop");

	double t0 = now_s(), last = t0, next = interval > 0 ? t0 + interval : -1;
	unsigned idle = 0;
	while (!stop_signal) {
		unsigned moved = 0;

		if (!threads) {
			for (unsigned i = 0; i < nports; i++) {
				int n = vnetif_ethdev_poll(ports[i].e, 256);

				moved += n > 0 ? (unsigned)n : 0;
			}
		}
		if (moved)
			idle = 0;
		else if (threads || ++idle > 1000)
			usleep(threads ? 10000 : 100); /* idle: spin a while, then nap */
		double now = now_s();
		if (next > 0 && now >= next) {
			print_stats(ports, nports, now - t0, now - last, false);
			print_stack_stats(stacks, nstacks, nports, now - t0, false);
			last = now;
			next += interval;
			if (next < now)
				next = now + interval;
		}
		if (duration > 0 && now - t0 >= duration)
			break;
	}
	if (stop_signal)
		printf("stopping on %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
	print_stats(ports, nports, now_s() - t0, now_s() - last, true);
	print_stack_stats(stacks, nstacks, nports, now_s() - t0, true);

out:
#ifdef VNETIF_SWITCH_WITH_LWIP
	for (unsigned i = 0; i < nstacks; i++) {
		if (stacks[i].s && (rc = vnetif_lwip_destroy(stacks[i].s)) != 0) {
			fprintf(stderr, PROG ": destroying stack %s: %s\n", stacks[i].value,
				vnetif_lwip_strerror(rc));
			status = 1;
		}
	}
#endif
	for (unsigned i = 0; i < nports; i++) {
		if (!ports[i].e)
			continue;
		rc = vnetif_ethdev_detach(ports[i].e);
		if (rc) {
			fprintf(stderr, PROG ": detach %s: %s\n", ports[i].value,
				vnetif_ethdev_last_error());
			status = 1;
		}
	}
	rc = vnetif_switch_destroy(sw);
	if (rc) {
		fprintf(stderr, PROG ": destroying the switch: %s\n", vnetif_strerror(rc));
		status = 1;
	}
	return status;
}
