/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vnetif-switch's options: one table, a parser with no side effects, and the checks
 * that need the file system. See vnetif_switch_opts.h.
 */
#define _GNU_SOURCE
#include "vnetif_switch_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define PROG "vnetif-switch"

enum section { PORTS, SWITCH };

struct vs_option {
	const char *name;    /* --name */
	char short_name;     /* -c, or 0 */
	const char *metavar; /* the value's name in --help; NULL: the option takes none */
	enum section section;
	const char *help; /* lines after the first are indented under it */
	/* Applies the option to the config: VS_OK, VS_HELP or VS_BAD (cfg->err set). */
	int (*apply)(struct vs_config *cfg, const struct vs_option *o, const char *value);
	/* Ports that are a DPDK device built around the value ("%s"), numbered per driver;
	 * driver NULL: the value is the whole devargs. */
	const char *driver, *devargs;
	/* A port value that DPDK takes as a path (and so must not carry ',' or '='). */
	bool path;
	/* The value must differ from every other port's of this kind. */
	bool unique;
	/* Checks that need the system (vs_check_ports). */
	int (*check)(struct vs_config *cfg, const struct vs_port *p);
};

static int bad(struct vs_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct vs_config *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->err, sizeof(cfg->err), fmt, ap);
	va_end(ap);
	return VS_BAD;
}

/* --- checks that need the system ------------------------------------------------- */

/* The directory part of @path exists and is a directory. */
static int check_dir_of(struct vs_config *cfg, const struct vs_port *p)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(p->value, '/');
	struct stat st;

	if (!slash || slash == p->value)
		return VS_OK;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p->value), p->value);
	if (stat(dir, &st) != 0)
		return bad(cfg, "--%s %s: directory %s: %s", p->opt->name, p->value, dir,
			   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bad(cfg, "--%s %s: %s is not a directory", p->opt->name, p->value, dir);
	return VS_OK;
}

/* A server socket path (memif, vhost-user): its directory exists; a file there is a
 * stale socket (removed) or a live server (refused). */
static int check_socket(struct vs_config *cfg, const struct vs_port *p, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int rc = check_dir_of(cfg, p), fd, err;

	if (rc)
		return rc;
	if (lstat(p->value, &st) != 0)
		return VS_OK;
	if (!S_ISSOCK(st.st_mode))
		return bad(cfg, "--%s %s: exists and is not a socket", p->opt->name, p->value);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->value); /* length checked */
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return VS_OK;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	err = errno;
	close(fd);
	if (rc == 0)
		return bad(cfg, "--%s %s: a server is listening there already", p->opt->name,
			   p->value);
	if (err == ECONNREFUSED && unlink(p->value) == 0)
		fprintf(stderr, PROG ": removed stale socket %s\n", p->value);
	return VS_OK;
}

static int check_memif(struct vs_config *cfg, const struct vs_port *p)
{
	return check_socket(cfg, p, SOCK_SEQPACKET);
}

static int check_vhost(struct vs_config *cfg, const struct vs_port *p)
{
	return check_socket(cfg, p, SOCK_STREAM);
}

static int check_tap(struct vs_config *cfg, const struct vs_port *p)
{
	if (if_nametoindex(p->value) != 0)
		return bad(cfg, "--tap %s: an interface of that name exists already", p->value);
	return VS_OK;
}

static int check_readable(struct vs_config *cfg, const struct vs_port *p)
{
	if (access(p->value, R_OK) != 0)
		return bad(cfg, "--%s %s: cannot read it: %s", p->opt->name, p->value,
			   strerror(errno));
	return VS_OK;
}

/* --- the options ------------------------------------------------------------------ */

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

/* What a port value must be for its kind; VS_OK or VS_BAD. */
static int check_port_value(struct vs_config *cfg, const struct vs_option *o, const char *v)
{
	struct sockaddr_un sa;
	size_t len = strlen(v);

	if (len == 0)
		return bad(cfg, "--%s: empty value", o->name);
	if (o->path && strpbrk(v, ",="))
		return bad(cfg, "--%s %s: a path with ',' or '=' cannot be given to DPDK", o->name,
			   v);
	if ((o->check == check_memif || o->check == check_vhost) && len >= sizeof(sa.sun_path))
		return bad(cfg, "--%s %s: path longer than %zu bytes", o->name, v,
			   sizeof(sa.sun_path) - 1);
	if (o->check == check_tap && (len >= IFNAMSIZ || strpbrk(v, "/ ,:=")))
		return bad(cfg, "--tap '%s': an interface name is 1..%d characters, "
			   "without '/', ' ', ',', ':' or '='", v, IFNAMSIZ - 1);
	return VS_OK;
}

static int add_port(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	struct vs_port *p = &cfg->ports[cfg->nports];
	unsigned idx = 0;
	int rc;

	if (cfg->nports + cfg->nstacks + (cfg->nat != NULL) == VS_MAX_PORTS)
		return bad(cfg, "too many ports and stacks (at most %d)", VS_MAX_PORTS);
	if ((rc = check_port_value(cfg, o, value)) != VS_OK)
		return rc;
	for (unsigned i = 0; i < cfg->nports; i++) {
		const struct vs_option *other = cfg->ports[i].opt;

		if (o->unique && other == o && strcmp(cfg->ports[i].value, value) == 0)
			return bad(cfg, "--%s %s: given twice", o->name, value);
		if (o->driver && other->driver && strcmp(other->driver, o->driver) == 0)
			idx++; /* e.g. pcap-in and pcap-out share net_pcapN */
	}
	p->opt = o;
	p->value = value;
	size_t n = 0, room = sizeof(p->devargs);
	int len = 0;
	if (o->driver)
		n = (size_t)snprintf(p->devargs, room, "%s%u,", o->driver, idx);
	if (n < room) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		len = snprintf(p->devargs + n, room - n, o->driver ? o->devargs : "%s", value);
#pragma GCC diagnostic pop
	}
	if (n >= room || len < 0 || (size_t)len >= room - n)
		return bad(cfg, "--%s: a value of %zu bytes is too long", o->name, strlen(value));
	cfg->nports++;
	return VS_OK;
}

/* IP/PREFIX into dotted address and netmask; an address only once. */
static int add_stack(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	struct vs_stack *st = &cfg->stacks[cfg->nstacks];
	const char *slash = strchr(value, '/');
	char ip[INET_ADDRSTRLEN + 4], *end;
	struct in_addr a, m;
	long prefix;

	(void)o;
	if (cfg->nports + cfg->nstacks + (cfg->nat != NULL) == VS_MAX_PORTS)
		return bad(cfg, "too many ports and stacks (at most %d)", VS_MAX_PORTS);
	if (!slash || (size_t)(slash - value) >= sizeof(ip))
		return bad(cfg, "--stack '%s': give IP/PREFIX, e.g. 10.0.0.2/24", value);
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - value), value);
	if (inet_pton(AF_INET, ip, &a) != 1)
		return bad(cfg, "--stack '%s': '%s' is not an IPv4 address", value, ip);
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || prefix < 1 || prefix > 30)
		return bad(cfg, "--stack '%s': the prefix length must be 1..30", value);
	m.s_addr = htonl(~0u << (32 - prefix));
	inet_ntop(AF_INET, &a, st->ip, sizeof(st->ip));
	inet_ntop(AF_INET, &m, st->mask, sizeof(st->mask));
	for (unsigned i = 0; i < cfg->nstacks; i++)
		if (strcmp(cfg->stacks[i].ip, st->ip) == 0)
			return bad(cfg, "--stack %s: address %s is given to --stack %s already",
				   value, st->ip, cfg->stacks[i].value);
	st->value = value;
	cfg->nstacks++;
	return VS_OK;
}

/* NET/PREFIX (prefix 8..30); the NAT uplink checks the rest when it starts. */
static int set_nat(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	const char *slash = strchr(value, '/');
	char ip[INET_ADDRSTRLEN + 4], *end;
	struct in_addr a;
	long prefix;

	(void)o;
	if (cfg->nat)
		return bad(cfg, "--nat: given twice (one NAT uplink per switch)");
	if (cfg->nports + cfg->nstacks + (cfg->nat != NULL) == VS_MAX_PORTS)
		return bad(cfg, "too many ports and stacks (at most %d)", VS_MAX_PORTS);
	if (!slash || (size_t)(slash - value) >= sizeof(ip))
		return bad(cfg, "--nat '%s': give NET/PREFIX, e.g. 10.0.2.0/24", value);
	snprintf(ip, sizeof(ip), "%.*s", (int)(slash - value), value);
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || errno || end == slash + 1 || *end ||
	    prefix < 8 || prefix > 30)
		return bad(cfg, "--nat '%s': give NET/PREFIX with a prefix of 8..30, e.g. "
			   "10.0.2.0/24", value);
	cfg->nat = value;
	return VS_OK;
}

/* QEMU's hostfwd syntax, PROTO:[HOSTADDR]:HOSTPORT-GUESTADDR:GUESTPORT; the NAT uplink
 * parses it when it starts. */
static int add_hostfwd(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o;
	if (cfg->nhostfwd == VS_MAX_PORTS)
		return bad(cfg, "too many --hostfwd (at most %d)", VS_MAX_PORTS);
	if ((strncmp(value, "tcp:", 4) && strncmp(value, "udp:", 4)) || !strchr(value, '-'))
		return bad(cfg, "--hostfwd '%s': give tcp:[HOSTADDR]:PORT-GUESTADDR:PORT (or "
			   "udp:...), e.g. tcp:127.0.0.1:8080-10.0.2.15:80", value);
	cfg->hostfwd[cfg->nhostfwd++] = value;
	return VS_OK;
}

static int set_hub(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o, (void)value;
	cfg->hub = true;
	return VS_OK;
}

static int set_threads(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o, (void)value;
	cfg->threads = true;
	return VS_OK;
}

static int set_max_macs(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	char *end;
	unsigned long v;

	(void)o;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || v < 1 || v > 1000000)
		return bad(cfg, "--max-macs '%s': not a number 1..1000000", value);
	cfg->max_macs = (unsigned)v;
	return VS_OK;
}

static int set_interval(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o;
	if (!parse_seconds(value, &cfg->interval))
		return bad(cfg, "--interval '%s': not a number of seconds >= 0", value);
	return VS_OK;
}

static int set_duration(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o;
	if (!parse_seconds(value, &cfg->duration) || cfg->duration == 0)
		return bad(cfg, "--duration '%s': not a number of seconds > 0", value);
	return VS_OK;
}

static int set_capture(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)o;
	if (cfg->capture)
		return bad(cfg, "--capture %s: given twice", value);
	if (*value == '\0')
		return bad(cfg, "--capture: empty value");
	cfg->capture = value;
	return VS_OK;
}

/* PORT[/rx|/tx]:SPEC */
static int add_impair(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	struct vs_impair *im = &cfg->impairs[cfg->nimpairs];
	const char *colon = strchr(value, ':');
	char *end;
	unsigned long port;

	(void)o;
	if (cfg->nimpairs == sizeof(cfg->impairs) / sizeof(cfg->impairs[0]))
		return bad(cfg, "--impair: too many");
	errno = 0;
	port = strtoul(value, &end, 10);
	if (errno || end == value || value[0] == '-' || port >= VS_MAX_PORTS || !colon)
		return bad(cfg, "--impair '%s': give PORT[/rx|/tx]:SPEC, e.g. 0:loss=0.01,delay=1ms",
			   value);
	im->tx = false;
	if (strncmp(end, "/tx:", 4) == 0)
		im->tx = true;
	else if (strncmp(end, "/rx:", 4) != 0 && *end != ':')
		return bad(cfg, "--impair '%s': after the port number comes ':', '/rx:' or '/tx:'",
			   value);
	if (colon[1] == '\0')
		return bad(cfg, "--impair '%s': empty SPEC", value);
	for (unsigned i = 0; i < cfg->nimpairs; i++)
		if (cfg->impairs[i].port == port && cfg->impairs[i].tx == im->tx)
			return bad(cfg, "--impair %s: port %lu %s is impaired already", value, port,
				   im->tx ? "tx" : "rx");
	im->value = value;
	im->port = (unsigned)port;
	im->spec = colon + 1;
	cfg->nimpairs++;
	return VS_OK;
}

static int help(struct vs_config *cfg, const struct vs_option *o, const char *value)
{
	(void)cfg, (void)o, (void)value;
	return VS_HELP;
}

static const struct vs_option options[] = {
	{.name = "memif", .metavar = "PATH", .section = PORTS, .apply = add_port,
	 .driver = "net_memif", .devargs = "role=server,socket=%s,socket-abstract=no",
	 .path = true, .unique = true, .check = check_memif,
	 .help = "memif server listening on socket file PATH; a DPDK program\n"
		 "attaches with\n"
		 "--vdev=net_memif0,role=client,socket=PATH,socket-abstract=no"},
	{.name = "tap", .metavar = "IFNAME", .section = PORTS, .apply = add_port,
	 .driver = "net_tap", .devargs = "iface=%s", .unique = true, .check = check_tap,
	 .help = "tap interface IFNAME for the Linux host (needs CAP_NET_ADMIN)"},
	{.name = "pcap-in", .metavar = "FILE", .section = PORTS, .apply = add_port,
	 .driver = "net_pcap", .devargs = "rx_pcap=%s", .path = true, .check = check_readable,
	 .help = "a port that replays the frames of FILE into the switch, once"},
	{.name = "pcap-out", .metavar = "FILE", .section = PORTS, .apply = add_port,
	 .driver = "net_pcap", .devargs = "tx_pcap=%s", .path = true, .unique = true,
	 .check = check_dir_of, .help = "a port that writes every frame it receives to FILE"},
	{.name = "vhost", .metavar = "PATH", .section = PORTS, .apply = add_port,
	 .driver = "net_vhost", .devargs = "iface=%s,queues=1", .path = true, .unique = true,
	 .check = check_vhost,
	 .help = "vhost-user server on socket file PATH, for a VM (QEMU:\n"
		 "-chardev socket,id=c,path=PATH -netdev vhost-user,id=n,chardev=c\n"
		 "-device virtio-net-pci,netdev=n and shared guest memory) or\n"
		 "a DPDK program (--vdev=net_virtio_user0,path=PATH)"},
	{.name = "nat", .metavar = "NET/PREFIX", .section = PORTS, .apply = set_nat,
	 .help = "a NAT uplink (user-mode networking, as QEMU's -netdev user):\n"
		 "gateway at NET+2 (stands for the host), DNS at NET+3, DHCP\n"
		 "from NET+15, outbound TCP/UDP over host sockets; no root\n"
		 "(when built with libslirp), e.g. 10.0.2.0/24"},
	{.name = "hostfwd", .metavar = "SPEC", .section = PORTS, .apply = add_hostfwd,
	 .help = "forward a host port into the NAT's network, e.g.\n"
		 "tcp:127.0.0.1:8080-10.0.2.15:80 (needs --nat)"},
	{.name = "vdev", .metavar = "DEVARGS", .section = PORTS, .apply = add_port,
	 .help = "any DPDK device, e.g. net_null0 or net_vhost0,iface=PATH"},
	{.name = "stack", .metavar = "IP/PREFIX", .section = PORTS, .apply = add_stack,
	 .help = "an lwIP TCP/IP stack on the switch at IP (answers ARP and\n"
		 "ping), e.g. 10.0.0.2/24 (when built with stacks/lwip)"},
	{.name = "hub", .section = SWITCH, .apply = set_hub,
	 .help = "deliver every frame to every other port (default: MAC learning)"},
	{.name = "threads", .section = SWITCH, .apply = set_threads,
	 .help = "one polling thread per port (default: one loop polls all)"},
	{.name = "max-macs", .metavar = "N", .section = SWITCH, .apply = set_max_macs,
	 .help = "port security: each port may have at most N MAC addresses in the\n"
		 "table, its own included (a port sending from many source MACs\n"
		 "cannot fill it); default: no limit"},
	{.name = "interval", .metavar = "SEC", .section = SWITCH, .apply = set_interval,
	 .help = "seconds between counter lines (default 1; 0: none)"},
	{.name = "duration", .metavar = "SEC", .section = SWITCH, .apply = set_duration,
	 .help = "stop after SEC seconds (default: run until a signal)"},
	{.name = "capture", .metavar = "FILE", .section = SWITCH, .apply = set_capture,
	 .help = "write every port's frames to FILE as pcapng (Wireshark);\n"
		 "'-' streams to stdout (counters then go to stderr):\n"
		 "--capture - | tshark -r -"},
	{.name = "impair", .metavar = "PORT[/tx]:SPEC", .section = SWITCH, .apply = add_impair,
	 .help = "impair what port PORT receives (/tx: what it sends), e.g.\n"
		 "0:loss=0.01,delay=1ms,seed=7; keys: loss small_loss small_len\n"
		 "max_frame pad cut_after cut corrupt dup rate burst delay\n"
		 "jitter reorder reorder_delay queue seed down off\n"
		 "(see vnetif_impair_parse() in vnetif.h)"},
	{.name = "help", .short_name = 'h', .section = SWITCH, .apply = help,
	 .help = "this text"},
};
#define NOPTIONS (sizeof(options) / sizeof(options[0]))

const char *vs_port_kind(const struct vs_port *p)
{
	return p->opt->name;
}

void vs_config_init(struct vs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->interval = 1;
	cfg->duration = -1;
}

/* The option @arg names ("--name", "--name=value" with *value set, or "-c"). */
static const struct vs_option *find_option(const char *arg, const char **value)
{
	*value = NULL;
	if (arg[0] == '-' && arg[1] != '-' && arg[1] && !arg[2]) {
		for (size_t i = 0; i < NOPTIONS; i++)
			if (options[i].short_name == arg[1])
				return &options[i];
		return NULL;
	}
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	arg += 2;
	size_t len = strcspn(arg, "=");
	for (size_t i = 0; i < NOPTIONS; i++) {
		if (strlen(options[i].name) == len && strncmp(options[i].name, arg, len) == 0) {
			if (arg[len] == '=')
				*value = arg + len + 1;
			return &options[i];
		}
	}
	return NULL;
}

int vs_parse(struct vs_config *cfg, int argc, char *const argv[])
{
	int i, rc;

	vs_config_init(cfg);
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct vs_option *o;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (arg[0] != '-' || !arg[1])
			break;
		o = find_option(arg, &value);
		if (!o)
			return bad(cfg, "unknown option '%s'", arg);
		if (o->metavar && !value) {
			if (i + 1 == argc)
				return bad(cfg, "option '%s' needs a value", arg);
			value = argv[++i];
		} else if (!o->metavar && value) {
			return bad(cfg, "option '--%s' takes no value", o->name);
		}
		if ((rc = o->apply(cfg, o, value)) != VS_OK)
			return rc;
	}
	if (i < argc)
		return bad(cfg, "unexpected argument '%s'", argv[i]);
	if (cfg->nhostfwd && !cfg->nat)
		return bad(cfg, "--hostfwd needs --nat");
	if (cfg->nports + cfg->nstacks + (cfg->nat != NULL) == 0)
		return bad(cfg, "no ports: give at least one of --memif, --vhost, --tap, "
			   "--pcap-in, --pcap-out, --vdev, --stack, --nat");
	unsigned nall = cfg->nports + cfg->nstacks + (cfg->nat != NULL);
	for (unsigned k = 0; k < cfg->nimpairs; k++)
		if (cfg->impairs[k].port >= nall)
			return bad(cfg, "--impair %s: there is no port %u (ports are 0..%u)",
				   cfg->impairs[k].value, cfg->impairs[k].port, nall - 1);
	return VS_OK;
}

int vs_check_ports(struct vs_config *cfg)
{
	for (unsigned i = 0; i < cfg->nports; i++) {
		const struct vs_port *p = &cfg->ports[i];
		int rc = p->opt->check ? p->opt->check(cfg, p) : VS_OK;

		if (rc != VS_OK)
			return rc;
	}
	return VS_OK;
}

static void print_section(FILE *f, enum section s)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct vs_option *o = &options[i];
		char head[64];
		int n;

		if (o->section != s)
			continue;
		if (o->short_name)
			n = snprintf(head, sizeof(head), "  -%c, --%s", o->short_name, o->name);
		else
			n = snprintf(head, sizeof(head), "  --%s%s%s", o->name, o->metavar ? " " : "",
				     o->metavar ? o->metavar : "");
		fprintf(f, "%-*s", n < 17 ? 19 : n + 2, head);
		for (const char *line = o->help; *line;) {
			int len = (int)strcspn(line, "\n");

			fprintf(f, "%.*s\n", len, line);
			line += len;
			if (*line == '\n') {
				line++;
				fprintf(f, "%19s", "");
			}
		}
	}
}

void vs_usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [OPTION]...\n"
		   "Host a libvnetif switch whose ports are DPDK devices; print per-port counters\n"
		   "every second; stop on SIGINT or SIGTERM.\n"
		   "\n"
		   "Ports (each option may repeat; give at least one):\n");
	print_section(f, PORTS);
	fprintf(f, "\nSwitch:\n");
	print_section(f, SWITCH);
	fprintf(f, "\n"
		   "Counter line per port: frames in (device to switch) and out (switch to device),\n"
		   "with rates, and drops (device refused + switch drops on the port).\n"
		   "EAL arguments: the environment variable VNETIF_EAL_ARGS replaces the library's\n"
		   "default (see vnetif_eal_init() in vnetif.h).\n"
		   "Exit status: 0 stopped cleanly, 1 a port or the switch failed, 2 bad arguments.\n");
}
