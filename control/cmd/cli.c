/* SPDX-License-Identifier: MIT */
/* control/cmd/cli.c - devplane's command line: flag parsing and subcommands. */
#include "control/cmd/cli.h"
#include "control/host/session.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/enr.h"
#include "common/hex.h"
#include "common/nodekey.h"
#include "common/rlp.h"
#include "common/secp.h"
#include "control/api/admin.h"
#include "control/crawl/crawl.h"
#include "control/crawl/crawl_rlpx.h"
#include "control/rlpx/forkid.h"
#include "control/host/dplink.h"
#include "control/host/loop.h"
#include "control/host/node.h"
#include "control/store/nodedb.h"
#include "control/discv4/v4test.h"

#define DEFAULT_ADDR_PORT  30301        /* geth's bootnode -addr :30301 */
#define DEFAULT_BASE_PORT  30400
#define DEFAULT_TIMEOUT_MS 5000
/* Testnet start-up admission. Starting a node costs a few hundred signed
 * and recovered packets (its first refresh bonds with a few dozen
 * others). Starting a thousand at once, or on a fixed schedule faster than
 * the machine signs and recovers, queues more than a 500 ms reply
 * timeout's worth of secp256k1 work in the socket buffers: replies land
 * after the timeout, every late Pong leaves a pair of nodes unbonded so
 * they ping each other back again, and the network collapses into a
 * storm that sustains itself. So starts are admitted by measured
 * latency: a probe Ping between two running nodes every 100 ms gives the
 * round trip through the whole path (sign, ring, socket, recover, ring,
 * and back), and the number of nodes allowed to be in their first
 * refresh at once grows by one per fast probe and halves on a slow one
 * (AIMD, as TCP's window). */
#define TESTNET_TICK_NS          10000000ull    /* admission check */
#define TESTNET_PROBE_NS         100000000ull   /* probe Ping period */
#define TESTNET_RTT_OK_NS        40000000ull    /* grow the window */
#define TESTNET_RTT_SLOW_NS      120000000ull   /* halve it */
#define TESTNET_WINDOW_MAX       512            /* nodes starting at once */
#define TESTNET_START_MAX_NS     30000000000ull /* a start counts 30 s max */
#define TESTNET_PROGRESS_NS      5000000000ull
#define TESTNET_HEALTHY_MIN      16             /* "healthy": min table */

/* ---- parsing ---------------------------------------------------------- */

static int fail(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int parse_uint(unsigned long *out, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_port(uint16_t *port, const char *s)
{
	unsigned long v;

	if (parse_uint(&v, s, 65535))
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

static int parse_ip(uint8_t addr[16], const char *s)
{
	return netutil_addr_parse(addr, s, strlen(s));
}

int cli_parse_hostport(uint8_t addr[16], uint16_t *port, const char *s)
{
	const char *colon, *host;
	size_t hlen;
	char buf[NETUTIL_ADDRSTRLEN + 1];

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(rb - host);
		colon = rb + 1;
		if (!hlen)
			return -EINVAL;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;         /* bare IPv6 needs brackets */
		host = s;
		hlen = (size_t)(colon - s);
	}
	if (parse_port(port, colon + 1))
		return -EINVAL;
	if (!hlen) {
		/* ":PORT": all interfaces (IPv4 wildcard, as geth's bootnode
		 * listens on udp4 for it). */
		static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };

		memcpy(addr, any4, 16);
		return 0;
	}
	if (hlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	return parse_ip(addr, buf);
}

int cli_parse_duration(uint32_t *ms, const char *s)
{
	double total = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		char *end;
		double v, mul;

		if (*p == '-' || *p == '+' || *p == ' ')
			return -EINVAL;
		v = strtod(p, &end);
		if (end == p)
			return -EINVAL;
		p = end;
		if (!strncmp(p, "ms", 2)) {
			mul = 1;
			p += 2;
		} else if (*p == 's') {
			mul = 1000;
			p++;
		} else if (*p == 'm') {
			mul = 60000;
			p++;
		} else if (*p == 'h') {
			mul = 3600000;
			p++;
		} else {
			return -EINVAL;         /* Go needs a unit */
		}
		total += v * mul;
	}
	if (total < 0 || total > UINT32_MAX)
		return -EINVAL;
	*ms = (uint32_t)total;
	return 0;
}

int cli_parse_node(struct enode *out, const char *s)
{
	struct enr *r;
	uint8_t ip4[4];
	int rc = -EINVAL;

	if (!strncmp(s, "enode://", 8))
		return enode_parse(out, s, strlen(s)) ? -EINVAL : 0;
	if (strncmp(s, "enr:", 4))
		return -EINVAL;
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (enr_decode_text(r, s, strlen(s)) < 0 || enr_verify(r) ||
	    enr_pubkey(out->pub, r))
		goto out;
	if (enr_get_ip(r, ip4) == 0 && enr_get_udp(r, &out->udp) == 0) {
		netutil_addr_from_v4(out->ip, ip4);
		out->kind = ENODE_HOST_IP4;
		if (enr_get_tcp(r, &out->tcp))
			out->tcp = 0;
	} else if (enr_get_ip6(r, out->ip) == 0 &&
		   enr_get_udp6(r, &out->udp) == 0) {
		out->kind = ENODE_HOST_IP6;
		if (enr_get_tcp6(r, &out->tcp))
			out->tcp = 0;
	} else {
		goto out;               /* no UDP endpoint to talk to */
	}
	rc = 0;
out:
	free(r);
	return rc;
}

static int parse_bootnodes(struct cli_opts *o, const char *v, char *err,
			   size_t err_len)
{
	char *copy = strdup(v), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", \t\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\n", &save)) {
		if (o->n_bootnodes == CLI_MAX_BOOTNODES) {
			rc = fail(err, err_len, "--bootnodes: more than %d",
				  CLI_MAX_BOOTNODES);
			break;
		}
		if (cli_parse_node(&o->bootnodes[o->n_bootnodes], tok)) {
			rc = fail(err, err_len, "--bootnodes: invalid node %.60s",
				  tok);
			break;
		}
		if (o->bootnodes[o->n_bootnodes].kind == ENODE_HOST_NAME) {
			rc = fail(err, err_len,
				  "--bootnodes: host names are not resolved: %.60s",
				  tok);
			break;
		}
		o->n_bootnodes++;
	}
	free(copy);
	return rc;
}

int cli_parse_dataplane(enum cli_dp *dp, const char **attach,
			const char **backend, const char *v)
{
	if (!strcmp(v, "socket")) {
		*dp = CLI_DP_SOCKET;
		*attach = *backend = NULL;
	} else if (!strncmp(v, "xdp:", 4) && v[4] && strlen(v) < 16) {
		*dp = CLI_DP_SOCKET;    /* spawned, with the xdp backend */
		*attach = NULL;
		*backend = v;
	} else if ((!strcmp(v, "dpdk") || (!strncmp(v, "dpdk:", 5) && v[5])) &&
		   strlen(v) < 16) {
		*dp = CLI_DP_SOCKET;    /* spawned, with the dpdk backend */
		*attach = NULL;
		*backend = v;
	} else if (!strncmp(v, "attach:", 7) && v[7]) {
		*dp = CLI_DP_ATTACH;
		*attach = v + 7;
		*backend = NULL;
	} else {
		return -EINVAL;
	}
	return 0;
}

int cli_parse_budget(uint32_t *rate, uint32_t *burst, const char *v)
{
	unsigned long r, b;
	const char *colon = strchr(v, ':');
	char num[16];

	if (!strcmp(v, "off")) {
		*rate = *burst = 0;
		return 0;
	}
	if (!colon || (size_t)(colon - v) >= sizeof(num))
		return -EINVAL;
	memcpy(num, v, (size_t)(colon - v));
	num[colon - v] = 0;
	if (parse_uint(&r, num, UINT32_MAX) || parse_uint(&b, colon + 1, UINT32_MAX) ||
	    !r || !b)
		return -EINVAL;
	*rate = (uint32_t)r;
	*burst = (uint32_t)b;
	return 0;
}

int cli_parse_queues(unsigned *n, const char *v)
{
	unsigned long u;

	if (parse_uint(&u, v, DPLINK_MAX_QUEUES) || !u)
		return -EINVAL;
	*n = (unsigned)u;
	return 0;
}

enum flag_id {
	F_NODEKEY, F_NODEKEYHEX, F_ADDR, F_NETRESTRICT, F_NAT, F_BOOTNODES,
	F_DATAPLANE, F_DP_QUEUES, F_METRICS_ADDR, F_DB, F_VERBOSITY,
	F_WRITEADDRESS, F_STATS, F_NODES, F_BASE_PORT, F_TIMEOUT, F_IP, F_TCP,
	F_UDP, F_OUT, F_PARALLEL, F_RLPX, F_NO_RLPX, F_RLPX_PARALLEL,
	F_RLPX_TIMEOUT, F_CHAIN, F_NETWORKID, F_GENESIS, F_FORKS, F_IPCPATH,
	F_BAN_THRESHOLD, F_BAN_WINDOW, F_BAN_DURATION, F_DP_EAL, F_DP_BUDGET,
};

static const struct {
	const char *name;
	enum flag_id id;
	bool has_value;
} flags[] = {
	{ "nodekey", F_NODEKEY, true },
	{ "nodekeyhex", F_NODEKEYHEX, true },
	{ "addr", F_ADDR, true },
	{ "netrestrict", F_NETRESTRICT, true },
	{ "nat", F_NAT, true },
	{ "bootnodes", F_BOOTNODES, true },
	{ "dataplane", F_DATAPLANE, true },
	{ "dataplane.queues", F_DP_QUEUES, true },
	{ "dataplane.eal", F_DP_EAL, true },
	{ "dataplane.budget", F_DP_BUDGET, true },
	{ "metrics.addr", F_METRICS_ADDR, true },
	{ "db", F_DB, true },
	{ "verbosity", F_VERBOSITY, true },
	{ "writeaddress", F_WRITEADDRESS, false },
	{ "stats", F_STATS, false },
	{ "nodes", F_NODES, true },
	{ "base-port", F_BASE_PORT, true },
	{ "timeout", F_TIMEOUT, true },
	{ "ip", F_IP, true },
	{ "tcp", F_TCP, true },
	{ "udp", F_UDP, true },
	{ "out", F_OUT, true },
	{ "parallel", F_PARALLEL, true },
	{ "rlpx", F_RLPX, false },
	{ "no-rlpx", F_NO_RLPX, false },
	{ "rlpx-parallel", F_RLPX_PARALLEL, true },
	{ "rlpx-timeout", F_RLPX_TIMEOUT, true },
	{ "chain", F_CHAIN, true },
	{ "networkid", F_NETWORKID, true },
	{ "genesis", F_GENESIS, true },
	{ "forks", F_FORKS, true },
	{ "ipcpath", F_IPCPATH, true },
	{ "ban.threshold", F_BAN_THRESHOLD, true },
	{ "ban.window", F_BAN_WINDOW, true },
	{ "ban.duration", F_BAN_DURATION, true },
};

static int apply(struct cli_opts *o, enum flag_id id, const char *v, char *err,
		 size_t err_len)
{
	unsigned long u;
	size_t n;

	switch (id) {
	case F_NODEKEY:
		o->nodekey = v;
		break;
	case F_NODEKEYHEX:
		o->nodekeyhex = v;
		break;
	case F_ADDR:
		if (cli_parse_hostport(o->addr, &o->port, v))
			return fail(err, err_len, "--addr: want IP:PORT, got %.60s", v);
		o->has_addr = true;
		break;
	case F_NETRESTRICT:
		if (netutil_netlist_parse(o->netrestrict, CLI_MAX_NETRESTRICT, &n,
					  v, strlen(v)))
			return fail(err, err_len, "--netrestrict: invalid CIDR list %.60s", v);
		o->n_netrestrict = n;
		break;
	case F_NAT:
		if (!strcmp(v, "none") || !strcmp(v, "any") || !strcmp(v, "")) {
			o->has_extip = false;
		} else if (!strncmp(v, "extip:", 6) && !parse_ip(o->extip, v + 6)) {
			o->has_extip = true;
		} else {
			return fail(err, err_len,
				    "--nat: want extip:IP or none, got %.60s", v);
		}
		break;
	case F_BOOTNODES:
		return parse_bootnodes(o, v, err, err_len);
	case F_DATAPLANE:
		if (cli_parse_dataplane(&o->dp, &o->dp_attach, &o->dp_backend,
					v))
			return fail(err, err_len,
				    "--dataplane: want socket, xdp:IFNAME, dpdk[:IFNAME] or attach:PATH, got %.60s", v);
		break;
	case F_DP_EAL:
		o->dp_eal = v;
		break;
	case F_DP_BUDGET:
		if (cli_parse_budget(&o->budget_rate, &o->budget_burst, v))
			return fail(err, err_len,
				    "--dataplane.budget: want RATE:BURST (BURST > 0) or off, got %.60s", v);
		o->budget_set = true;
		break;
	case F_DP_QUEUES:
		if (cli_parse_queues(&o->queues, v))
			return fail(err, err_len, "--dataplane.queues: 1..%d", DPLINK_MAX_QUEUES);
		break;
	case F_METRICS_ADDR:
		if (cli_parse_hostport(o->metrics_addr, &o->metrics_port, v))
			return fail(err, err_len, "--metrics.addr: want IP:PORT, got %.60s", v);
		o->has_metrics = true;
		break;
	case F_DB:
		o->db = v;
		break;
	case F_VERBOSITY:
		if (parse_uint(&u, v, 5))
			return fail(err, err_len, "--verbosity: 0..5, got %.20s", v);
		o->verbosity = (int)u;
		break;
	case F_WRITEADDRESS:
		o->writeaddress = true;
		break;
	case F_STATS:
		o->stats = true;
		break;
	case F_NODES:
		if (parse_uint(&u, v, DPLINK_MAX_SOCKS) || !u)
			return fail(err, err_len, "--nodes: 1..%d, got %.20s",
				    DPLINK_MAX_SOCKS, v);
		o->nodes = (unsigned)u;
		break;
	case F_BASE_PORT:
		if (parse_port(&o->base_port, v) || !o->base_port)
			return fail(err, err_len, "--base-port: 1..65535, got %.20s", v);
		break;
	case F_TIMEOUT:
		if (cli_parse_duration(&o->timeout_ms, v))
			return fail(err, err_len, "--timeout: want a duration like 5s, got %.20s", v);
		o->has_timeout = true;
		break;
	case F_OUT:
		o->out = v;
		break;
	case F_PARALLEL:
		if (parse_uint(&u, v, 4096) || !u)
			return fail(err, err_len, "--parallel: 1..4096, got %.20s", v);
		o->parallel = (unsigned)u;
		break;
	case F_RLPX:
		o->no_rlpx = false;
		break;
	case F_NO_RLPX:
		o->no_rlpx = true;
		break;
	case F_RLPX_PARALLEL:
		if (parse_uint(&u, v, 4096) || !u)
			return fail(err, err_len, "--rlpx-parallel: 1..4096, got %.20s", v);
		o->rlpx_parallel = (unsigned)u;
		break;
	case F_RLPX_TIMEOUT:
		if (cli_parse_duration(&o->rlpx_timeout_ms, v) ||
		    !o->rlpx_timeout_ms)
			return fail(err, err_len, "--rlpx-timeout: want a duration like 10s, got %.20s", v);
		break;
	case F_CHAIN:
		o->chain = v;
		break;
	case F_NETWORKID: {
		char *end;

		errno = 0;
		o->networkid = strtoull(v, &end, 10);
		if (errno || !*v || *end || *v == '-')
			return fail(err, err_len, "--networkid: want a number, got %.20s", v);
		o->has_networkid = true;
		break;
	}
	case F_GENESIS:
		o->genesis = v;
		break;
	case F_FORKS:
		o->forks = v;
		break;
	case F_IPCPATH:
		o->ipcpath = v;
		break;
	case F_BAN_THRESHOLD:
		if (!strcmp(v, "off")) {
			o->ban_threshold = DPLINK_BAN_OFF;
			break;
		}
		if (parse_uint(&u, v, 1000000) || !u)
			return fail(err, err_len, "--ban.threshold: 1..1000000 or off, got %.20s", v);
		o->ban_threshold = (uint32_t)u;
		break;
	case F_BAN_WINDOW:
	case F_BAN_DURATION: {
		uint32_t ms;

		if (cli_parse_duration(&ms, v) || ms < 1000)
			return fail(err, err_len, "--%s: want a duration of at least 1s, got %.20s",
				    id == F_BAN_WINDOW ? "ban.window" : "ban.duration", v);
		if (id == F_BAN_WINDOW)
			o->ban_window_s = ms / 1000;
		else
			o->ban_secs = ms / 1000;
		break;
	}
	case F_IP:
		if (parse_ip(o->ip, v))
			return fail(err, err_len, "--ip: invalid address %.60s", v);
		o->has_ip = true;
		break;
	case F_TCP:
		if (parse_port(&o->tcp, v))
			return fail(err, err_len, "--tcp: invalid port %.20s", v);
		o->has_tcp = true;
		break;
	case F_UDP:
		if (parse_port(&o->udp, v))
			return fail(err, err_len, "--udp: invalid port %.20s", v);
		o->has_udp = true;
		break;
	}
	return 0;
}

int cli_parse(struct cli_opts *o, int argc, char **argv, char *err,
	      size_t err_len)
{
	memset(o, 0, sizeof(*o));
	o->verbosity = 3;
	o->base_port = DEFAULT_BASE_PORT;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->queues = 1;
	if (err && err_len)
		err[0] = '\0';
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		size_t nlen, k;
		int rc;

		if (a[0] != '-' || !a[1]) {
			if (o->n_pos == CLI_MAX_POS)
				return fail(err, err_len, "too many arguments");
			o->pos[o->n_pos++] = a;
			continue;
		}
		name = a + 1 + (a[1] == '-');
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strlen(flags[k].name) == nlen &&
			    !strncmp(flags[k].name, name, nlen))
				break;
		if (k == sizeof(flags) / sizeof(flags[0]))
			return fail(err, err_len, "unknown flag %.60s", a);
		if (flags[k].has_value) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return fail(err, err_len, "flag --%s needs a value",
					    flags[k].name);
		} else if (eq) {
			/* Go's boolean flags take =true / =false. */
			if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
				return fail(err, err_len, "flag --%s is boolean",
					    flags[k].name);
			if (!strcmp(eq + 1, "false"))
				continue;
		}
		rc = apply(o, flags[k].id, val, err, err_len);
		if (rc)
			return rc;
	}
	if (o->nodekey && o->nodekeyhex)
		return fail(err, err_len, "--nodekey and --nodekeyhex are exclusive");
	/* EAL arguments only mean something to a spawned dpdk dataplane; an
	 * attached one got its own on its command line. */
	if (o->dp_eal && (o->dp != CLI_DP_SOCKET || !o->dp_backend ||
			  strncmp(o->dp_backend, "dpdk", 4)))
		return fail(err, err_len, "--dataplane.eal needs --dataplane dpdk");
	/* An attached dataplane has its own --budget. */
	if (o->budget_set && o->dp == CLI_DP_ATTACH)
		return fail(err, err_len, "--dataplane.budget: an attached "
			    "dataplane takes devplane-dp --budget");
	return 0;
}

/* ---- shared helpers ---------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: devplane COMMAND [flags]\n"
	      "  bootnode --nodekey FILE | --nodekeyhex HEX [--addr IP:PORT]\n"
	      "           [--netrestrict CIDRS] [--nat extip:IP] [--bootnodes NODES]\n"
	      "           [--dataplane socket|xdp:IF|dpdk[:IF]|attach:PATH]\n"
	      "           [--dataplane.queues N] [--dataplane.eal \"EAL ARGS\"]\n"
	      "           [--dataplane.budget RATE:BURST|off] [--db PATH]\n"
	      "           [--metrics.addr IP:PORT] [--writeaddress] [--verbosity N]\n"
	      "           [--ipcpath PATH]\n"
	      "           [--ban.threshold N|off] [--ban.window DUR] [--ban.duration DUR]\n"
	      "  testnet --nodes N [--base-port P] [--metrics.addr IP:PORT] [--stats]\n"
	      "  crawl --bootnodes NODES [--out nodes.json] [--db PATH]\n"
	      "        [--timeout DUR] [--parallel N] [--rlpx | --no-rlpx]\n"
	      "        [--rlpx-parallel N] [--rlpx-timeout DUR]\n"
	      "        [--chain NAME | --networkid N --genesis HASH [--forks N,...]]\n"
	      "  key generate FILE\n"
	      "  key to-enode FILE [--ip IP] [--tcp P] [--udp P]\n"
	      "  enr dump ENR\n"
	      "  discv4 ping ENODE [--timeout DUR]\n"
	      "  discv4 resolve ENODE [--timeout DUR]\n"
	      "  test discv4 [--tester-addr IP1,IP2] [--filter S] [--wait-ms N] ENODE\n"
	      "  ban list|add|remove [--iface IF] [CIDR] [--for DUR]\n"
	      "  node --nodekey FILE | --nodekeyhex HEX --addr IP:PORT\n"
	      "       [--bootnodes NODES] [--staticnodes NODES] [--trustednodes NODES]\n"
	      "       [--maxpeers N] [--maxpendpeers N] [--nodiscover] [--netrestrict CIDRS]\n"
	      "       (--chain mainnet|sepolia|holesky|hoodi |\n"
	      "        --networkid N --genesis HASH [--forks N,N,...])\n"
	      "       [--ipcpath PATH] [--dataplane socket|xdp:IFNAME|attach:PATH]\n"
	      "       [--dataplane.queues N]\n"
	      "  rlpx ping ENODE [--timeout DUR]\n"
	      "  admin --ipcpath PATH METHOD [PARAMS-JSON | ENODE]\n", f);
}

static int load_key(uint8_t priv[32], const struct cli_opts *o)
{
	int rc;

	if (o->nodekeyhex) {
		rc = nodekey_parse_hex(priv, o->nodekeyhex,
				       strlen(o->nodekeyhex));
		if (rc)
			fprintf(stderr, "devplane: --nodekeyhex: invalid key\n");
		return rc;
	}
	if (o->nodekey) {
		rc = nodekey_load(priv, o->nodekey);
		if (rc)
			fprintf(stderr, "devplane: --nodekey %s: %s\n", o->nodekey,
				rc == -EBADMSG ? "not a node key" : strerror(-rc));
		return rc;
	}
	fprintf(stderr, "devplane: use --nodekey or --nodekeyhex\n");
	return -EINVAL;
}

static void listen_entry(struct dplink_listen *l, const uint8_t addr[16],
			 uint16_t port, uint16_t idx)
{
	memset(l, 0, sizeof(*l));
	memcpy(l->addr, addr, 16);
	l->port_be = htons(port);
	l->sock_idx = idx;
}

static void loop_cfg_from(struct loop_cfg *lc, const struct cli_opts *o,
			  const struct dplink_listen *listen, unsigned n,
			  struct nodedb *db)
{
	memset(lc, 0, sizeof(*lc));
	lc->attach_path = o->dp == CLI_DP_ATTACH ? o->dp_attach : NULL;
	lc->backend = o->dp_backend;
	lc->eal = o->dp_eal;
	lc->n_queues = o->queues;
	lc->budget_set = o->budget_set;
	lc->budget_rate = o->budget_rate;
	lc->budget_burst = o->budget_burst;
	lc->ban_sig_count = o->ban_threshold;
	lc->ban_sig_window_s = o->ban_window_s;
	lc->ban_secs = o->ban_secs;
	lc->netrestrict = o->netrestrict;
	lc->n_netrestrict = o->n_netrestrict;
	lc->listen = listen;
	lc->n_listen = n;
	lc->db = db;
	lc->metrics = o->has_metrics;
	memcpy(lc->metrics_addr, o->metrics_addr, 16);
	lc->metrics_port = o->metrics_port;
	lc->verbosity = o->verbosity;
}

static void print_engine_stats(FILE *f, const char *who,
			       const struct discv4 *d)
{
	const struct discv4_stats *s = discv4_stats(d);

	fprintf(f, "%s: table %zu, bonds %" PRIu64 ", lookups %" PRIu64
		", rx ping/pong/findnode/neighbors/enrreq/enrresp %" PRIu64
		"/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		", tx %" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		"/%" PRIu64 "\n", who, discv4_table_size(d), s->bonds,
		s->lookups, s->rx[1], s->rx[2], s->rx[3], s->rx[4], s->rx[5],
		s->rx[6], s->tx[1], s->tx[2], s->tx[3], s->tx[4], s->tx[5],
		s->tx[6]);
}

static void print_loop_err(const char *what, int rc)
{
	fprintf(stderr, "devplane: %s: %s\n", what, strerror(-rc));
}

/* ---- admin API: the bootnode's provider, the client -------------------- */

struct boot_admin {
	struct node *n;
	const char *url;
	uint8_t laddr[16];
	uint16_t lport;
};

static int boot_node_info(void *user, struct admin_node_info *ni)
{
	struct boot_admin *b = user;
	struct enode e;
	ssize_t n;

	memcpy(ni->pub, b->n->ln.pub, 64);
	p2p_client_id(ni->name, sizeof(ni->name));
	snprintf(ni->enode, sizeof(ni->enode), "%s", b->url);
	if (enode_parse(&e, b->url, strlen(b->url)))
		return -EINVAL;
	memcpy(ni->ip, e.ip, 16);
	ni->discovery = e.udp;
	ni->listener = e.tcp;
	memcpy(ni->listen_ip, b->laddr, 16);
	ni->listen_port = b->lport;
	n = enr_encode_text(ni->enr, sizeof(ni->enr),
			    localnode_record(&b->n->ln));
	return n < 0 ? (int)n : 0;
}

/* `devplane admin --ipcpath PATH METHOD [PARAMS]`: one JSON-RPC call.
 * PARAMS is a JSON array, or any other word taken as the one string
 * parameter (an enode URL). Prints the result, indented; an error goes to
 * stderr with exit status 1. */
static int cmd_admin(int argc, char **argv)
{
	const char *path = NULL, *method = NULL, *params = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	json_t *req, *p = NULL, *resp, *res, *e;
	json_error_t jerr;
	char *txt, *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, status = 1;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--ipcpath") && i + 1 < argc)
			path = argv[++i];
		else if (!strncmp(argv[i], "--ipcpath=", 10))
			path = argv[i] + 10;
		else if (!method && argv[i][0] != '-')
			method = argv[i];
		else if (method && !params)
			params = argv[i];
		else
			method = NULL, i = argc;
	}
	if (!path || !method || strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: devplane admin --ipcpath PATH METHOD [PARAMS-JSON]\n");
		return 2;
	}
	if (params && params[0] == '[') {
		p = json_loads(params, 0, &jerr);
		if (!json_is_array(p)) {
			fprintf(stderr, "devplane admin: PARAMS: not a JSON array\n");
			json_decref(p);
			return 2;
		}
	} else {
		p = json_array();
		if (params)
			json_array_append_new(p, json_string(params));
	}
	req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1,
			"method", method, "params", p);
	txt = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!txt)
		return 1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "devplane admin: %s: %s\n", path, strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write(fd, txt, strlen(txt)) != (ssize_t)strlen(txt) ||
	    write(fd, "\n", 1) != 1) {
		fprintf(stderr, "devplane admin: write: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {              /* one response line */
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);

			if (!nb)
				goto out;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		n = read(fd, buf + len, cap - len);
		if (n <= 0) {
			fprintf(stderr, "devplane admin: no response%s%s\n",
				n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			goto out;
		}
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	resp = json_loadb(buf, len, JSON_DISABLE_EOF_CHECK, &jerr);
	res = json_object_get(resp, "result");
	e = json_object_get(resp, "error");
	if (res) {
		char *out = json_dumps(res, JSON_INDENT(2) | JSON_ENCODE_ANY);

		if (out)
			printf("%s\n", out);
		free(out);
		status = 0;
	} else if (e) {
		fprintf(stderr, "devplane admin: error %" JSON_INTEGER_FORMAT
			": %s\n", json_integer_value(json_object_get(e, "code")),
			json_string_value(json_object_get(e, "message")) ?: "");
	} else {
		fprintf(stderr, "devplane admin: malformed response\n");
	}
	json_decref(resp);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	free(txt);
	return status;
}

/* ---- bootnode ---------------------------------------------------------- */

static int cmd_bootnode(const struct cli_opts *o)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct node_cfg nc;
	struct nodedb *db = NULL;
	struct loop *l = NULL;
	struct node *n;
	char url[ENODE_URL_MAX + 1];
	struct boot_admin ba;
	uint8_t priv[32];
	uint64_t now;
	int rc, status = 1;

	n = calloc(1, sizeof(*n));
	if (!n)
		return 1;
	rc = load_key(priv, o);
	if (rc)
		goto out;
	if (o->writeaddress) {
		struct enode e = { .kind = ENODE_HOST_IP4 };

		/* The address we would announce, without starting anything. */
		if (secp_pub_from_priv(e.pub, priv))
			goto out;
		memcpy(e.ip, o->has_extip ? o->extip : o->addr, 16);
		if (netutil_is_unspecified(e.ip))
			e.ip[12] = 127, e.ip[15] = 1;
		if (!netutil_addr_is_v4(e.ip))
			e.kind = ENODE_HOST_IP6;
		e.udp = o->has_addr ? o->port : DEFAULT_ADDR_PORT;
		if (enode_format(url, sizeof(url), &e) < 0)
			goto out;
		printf("%s\n", url);
		status = 0;
		goto out;
	}
	if (o->db) {
		rc = nodedb_open(&db, o->db);
		if (rc) {
			print_loop_err(o->db, rc);
			goto out;
		}
	}
	listen_entry(&listen, o->has_addr ? o->addr : any4,
		     o->has_addr ? o->port : DEFAULT_ADDR_PORT, 0);
	loop_cfg_from(&lc, o, &listen, 1, db);
	rc = loop_new(&l, &lc);
	if (rc) {
		print_loop_err("dataplane", rc);
		goto out;
	}
	now = loop_now();
	nc = (struct node_cfg){
		.priv = priv, .loop = l, .idx = 0,
		.has_extip = o->has_extip, .netrestrict = o->netrestrict,
		.n_netrestrict = o->n_netrestrict, .db = db,
		.seed = now, .verbosity = o->verbosity,
	};
	memcpy(nc.extip, o->extip, 16);
	rc = node_init(n, &nc, now);
	if (rc) {
		print_loop_err("node", rc);
		goto out;
	}
	for (unsigned i = 0; i < o->n_bootnodes; i++)
		if (node_add_bootnode(n, &o->bootnodes[i]))
			fprintf(stderr, "devplane: bootnode %u refused\n", i);
	if (db) {
		ssize_t k = node_load_seeds(n, now);

		if (o->verbosity >= 3)
			fprintf(stderr, "devplane: %zd seeds from %s\n", k, o->db);
	}
	if (node_enode(n, url, sizeof(url)) < 0)
		goto out;
	if (o->ipcpath) {
		struct admin_provider ap = {
			.user = &ba, .node_info = boot_node_info,
		};

		ba = (struct boot_admin){
			.n = n, .url = url, .lport = loop_listen_port(l, 0),
		};
		memcpy(ba.laddr, o->has_addr ? o->addr : any4, 16);
		rc = loop_admin_listen(l, o->ipcpath, &ap);
		if (rc) {
			print_loop_err(o->ipcpath, rc);
			goto out;
		}
	}
	printf("%s\n", url);
	fflush(stdout);
	if (o->verbosity >= 3) {
		if (loop_metrics_port(l))
			fprintf(stderr, "devplane: metrics on port %u\n",
				loop_metrics_port(l));
		fprintf(stderr, "devplane: dataplane pid %d, rings on %s\n",
			loop_dp_pid(l), loop_dp_pages(l));
	}
	rc = loop_run(l);
	if (rc < 0)
		print_loop_err("event loop", rc);
	else
		status = 0;
	if (o->stats)
		print_engine_stats(stdout, "bootnode", n->d);
out:
	node_fini(n);
	loop_free(l);           /* commits the batch, stops the dataplane */
	nodedb_close(db);
	explicit_bzero(priv, sizeof(priv));
	free(n);
	return status;
}

/* ---- temporary node for one-shot requests ------------------------------ */

struct oneshot {
	struct loop *l;
	struct node n;
	struct discv4_node target;
	struct enode target_enode;
	uint32_t timeout_ms;
	uint64_t t0, deadline;
	unsigned tries;
	int state;
	int status;
	bool printed;
};

static int oneshot_start(struct oneshot *s, const struct cli_opts *o,
			 const char *arg)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct dplink_listen listen;
	struct loop_cfg lc;
	struct node_cfg nc;
	uint8_t priv[32];
	uint64_t now;
	int rc;

	s->status = 1;
	if (cli_parse_node(&s->target_enode, arg) ||
	    node_wire(&s->target, &s->target_enode)) {
		fprintf(stderr, "devplane: invalid node %s\n", arg);
		return -EINVAL;
	}
	/* Ephemeral port; loopback targets get a loopback source so the
	 * relay rules (loopback only from loopback) hold on both sides. */
	listen_entry(&listen,
		     netutil_is_loopback(s->target.ep.ip) ? lo :
		     o->has_addr ? o->addr : any4,
		     o->has_addr ? o->port : 0, 0);
	loop_cfg_from(&lc, o, &listen, 1, NULL);
	rc = loop_new(&s->l, &lc);
	if (rc) {
		print_loop_err("dataplane", rc);
		return rc;
	}
	rc = secp_priv_generate(priv);
	if (rc)
		return rc;
	now = loop_now();
	nc = (struct node_cfg){
		.priv = priv, .loop = s->l, .idx = 0, .no_refresh = true,
		.seed = now, .has_extip = o->has_extip,
		.netrestrict = o->netrestrict,
		.n_netrestrict = o->n_netrestrict, .verbosity = o->verbosity,
	};
	memcpy(nc.extip, o->extip, 16);
	rc = node_init(&s->n, &nc, now);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		print_loop_err("node", rc);
		return rc;
	}
	s->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	s->deadline = now + (uint64_t)s->timeout_ms * 1000000ull;
	return 0;
}

static void oneshot_end(struct oneshot *s)
{
	node_fini(&s->n);
	loop_free(s->l);
}

/* ---- discv4 ping -------------------------------------------------------- */

static void ping_send(struct oneshot *s, uint64_t now);

static void ping_done(void *arg, int err, uint64_t enr_seq)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	if (err == -ECANCELED)
		return;
	if (!err) {
		printf("node responded to ping (RTT %.3fms, enr-seq %" PRIu64
		       ").\n", (double)(now - s->t0) / 1e6, enr_seq);
		s->status = 0;
		loop_stop(s->l, 0);
		return;
	}
	if (now < s->deadline) {
		ping_send(s, now);      /* lost on the way: try again */
		return;
	}
	fprintf(stderr, "devplane: node did not respond to ping after %u "
		"attempt%s (%s)\n", s->tries, s->tries == 1 ? "" : "s",
		strerror(-err));
	loop_stop(s->l, 0);
}

static void ping_send(struct oneshot *s, uint64_t now)
{
	int rc;

	s->tries++;
	s->t0 = now;
	rc = discv4_ping(s->n.d, &s->target, now, ping_done, s);
	if (rc) {
		fprintf(stderr, "devplane: ping: %s\n", strerror(-rc));
		loop_stop(s->l, 0);
	}
	loop_touch(s->l, 0);
}

static void ping_start(void *arg, uint64_t now)
{
	ping_send(arg, now);
}

static int cmd_ping(const struct cli_opts *o, const char *arg)
{
	struct oneshot *s = calloc(1, sizeof(*s));
	int status;

	if (!s)
		return 1;
	if (oneshot_start(s, o, arg) == 0) {
		loop_alarm(s->l, loop_now(), ping_start, s);
		if (loop_run(s->l) > 0)
			fprintf(stderr, "devplane: interrupted\n");
	}
	status = s->status;
	oneshot_end(s);
	free(s);
	return status;
}

/* ---- discv4 resolve ----------------------------------------------------- */

/* geth's Resolve: ask the node itself for its record (after a Ping, so it
 * holds our endpoint proof and answers ENRRequest), and if that fails,
 * look the node id up in the network and ask what the lookup found. */
enum { RS_PING = 0, RS_ENR, RS_LOOKUP, RS_ENR_FOUND };

static void resolve_step(struct oneshot *s, uint64_t now);

static void resolve_print(struct oneshot *s, const struct enr *rec)
{
	char text[ENR_TEXT_MAX], url[ENODE_URL_MAX + 1];
	struct enode e = { 0 };
	uint8_t ip4[4];

	if (enr_encode_text(text, sizeof(text), rec) < 0)
		return;
	printf("%s\n", text);
	memcpy(e.pub, s->target.id, ENODE_PUB_LEN);
	if (enr_get_ip(rec, ip4) == 0) {
		netutil_addr_from_v4(e.ip, ip4);
		e.kind = ENODE_HOST_IP4;
		enr_get_udp(rec, &e.udp);
		enr_get_tcp(rec, &e.tcp);
	} else if (enr_get_ip6(rec, e.ip) == 0) {
		e.kind = ENODE_HOST_IP6;
		enr_get_udp6(rec, &e.udp);
		enr_get_tcp6(rec, &e.tcp);
	}
	if (e.kind && enode_format(url, sizeof(url), &e) > 0)
		printf("%s\n", url);
	s->status = 0;
}

static void resolve_enr_done(void *arg, int err, const struct enr *rec)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	if (err == -ECANCELED)
		return;
	if (!err) {
		resolve_print(s, rec);
		loop_stop(s->l, 0);
		return;
	}
	if (s->state == RS_ENR && s->tries < 3 && now < s->deadline) {
		loop_alarm(s->l, now + 200000000ull,
			   (loop_alarm_fn *)resolve_step, s);
		return;
	}
	if (s->state == RS_ENR) {
		s->state = RS_LOOKUP;
		resolve_step(s, now);
		return;
	}
	fprintf(stderr, "devplane: could not resolve node: %s\n",
		strerror(-err));
	loop_stop(s->l, 0);
}

static void resolve_ping_done(void *arg, int err, uint64_t enr_seq)
{
	struct oneshot *s = arg;
	uint64_t now = loop_now();

	(void)enr_seq;
	if (err == -ECANCELED)
		return;
	if (err && now < s->deadline && s->tries < 3) {
		s->tries++;
		resolve_step(s, now);
		return;
	}
	/* Give the node's ping-back (and our Pong to it) time to land
	 * before the ENRRequest, which it answers only once we are bonded
	 * on its side. */
	s->state = err ? RS_LOOKUP : RS_ENR;
	s->tries = 0;
	loop_alarm(s->l, now + 100000000ull, (loop_alarm_fn *)resolve_step, s);
}

static void resolve_lookup_done(void *arg, int err,
				const struct discv4_node *nodes, unsigned n)
{
	struct oneshot *s = arg;

	if (err == -ECANCELED)
		return;
	for (unsigned i = 0; !err && i < n; i++) {
		if (memcmp(nodes[i].id, s->target.id, DISCV4_PUB_LEN))
			continue;
		/* Found under a possibly newer endpoint: ask it there. */
		s->target = nodes[i];
		s->state = RS_ENR_FOUND;
		resolve_step(s, loop_now());
		return;
	}
	fprintf(stderr, "devplane: could not resolve node: not found by lookup\n");
	loop_stop(s->l, 0);
}

static void resolve_step(struct oneshot *s, uint64_t now)
{
	int rc = 0;

	if (now >= s->deadline) {
		fprintf(stderr, "devplane: could not resolve node: timeout\n");
		loop_stop(s->l, 0);
		return;
	}
	switch (s->state) {
	case RS_PING:
		rc = discv4_ping(s->n.d, &s->target, now, resolve_ping_done, s);
		break;
	case RS_ENR:
	case RS_ENR_FOUND:
		s->tries++;
		rc = discv4_request_enr(s->n.d, &s->target, now,
					resolve_enr_done, s);
		break;
	case RS_LOOKUP:
		rc = discv4_lookup(s->n.d, s->target.id, now,
				   resolve_lookup_done, s);
		break;
	}
	if (rc) {
		fprintf(stderr, "devplane: could not resolve node: %s\n",
			strerror(-rc));
		loop_stop(s->l, 0);
	}
	loop_touch(s->l, 0);
}

static int cmd_resolve(const struct cli_opts *o, const char *arg)
{
	struct oneshot *s = calloc(1, sizeof(*s));
	int status;

	if (!s)
		return 1;
	if (oneshot_start(s, o, arg) == 0) {
		discv4_add_bootnode(s->n.d, &s->target);
		loop_alarm(s->l, loop_now(), (loop_alarm_fn *)resolve_step, s);
		if (loop_run(s->l) > 0)
			fprintf(stderr, "devplane: interrupted\n");
	}
	status = s->status;
	oneshot_end(s);
	free(s);
	return status;
}

/* ---- testnet ----------------------------------------------------------- */

struct testnet {
	struct loop *l;
	struct node *nodes;
	unsigned n;                     /* nodes set up */
	unsigned running;               /* nodes 0..running-1 admitted */
	unsigned oldest;                /* first admitted node maybe starting */
	unsigned window;                /* nodes allowed to be starting */
	uint64_t *admitted;             /* [n] admission times */
	int verbosity;
	uint64_t t0;
	uint64_t next_progress;
	uint64_t all_started;           /* when the last node was admitted */
	uint64_t healthy;               /* first time min table >= 16 */
	/* The latency probe. */
	bool probing;
	uint64_t probe_sent, next_probe, last_halve;
	uint64_t rtt, rtt_max;          /* last, and max since progress */
	uint64_t seed;
};

static void testnet_sizes(const struct testnet *t, size_t *min, size_t *max,
			  double *avg)
{
	size_t sum = 0;

	*min = SIZE_MAX;
	*max = 0;
	for (unsigned i = 0; i < t->n; i++) {
		size_t k = discv4_table_size(t->nodes[i].d);

		sum += k;
		if (k < *min)
			*min = k;
		if (k > *max)
			*max = k;
	}
	*avg = t->n ? (double)sum / t->n : 0;
}

static double cpu_seconds(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* proc_cpu_seconds() reads a live process's user + system time from
 * /proc (getrusage() only sees children once reaped). */
static double proc_cpu_seconds(int pid)
{
	unsigned long ut = 0, st = 0;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the parenthesised name: state is 3rd, utime 14th. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void testnet_progress(struct testnet *t, uint64_t now,
			     unsigned starting)
{
	size_t min, max;
	double avg;
	struct rusage ru;

	testnet_sizes(t, &min, &max, &avg);
	if (!t->healthy && t->running == t->n && min >= TESTNET_HEALTHY_MIN) {
		t->healthy = now;
		if (t->verbosity >= 3)
			fprintf(stderr, "testnet: healthy after %.1fs (every "
				"table >= %u nodes)\n", (double)(now - t->t0) / 1e9,
				TESTNET_HEALTHY_MIN);
	}
	if (t->verbosity < 3)
		return;
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "testnet: %.1fs %u/%u nodes running (%u starting, "
		"window %u), table min %zu avg %.1f max %zu, probe rtt max "
		"%.0f ms, cpu control %.1fs dataplane %.1fs, rss %ld MiB\n",
		(double)(now - t->t0) / 1e9, t->running, t->n, starting,
		t->window, min, avg, max, (double)t->rtt_max / 1e6,
		cpu_seconds(RUSAGE_SELF), proc_cpu_seconds(loop_dp_pid(t->l)),
		ru.ru_maxrss / 1024);
}

static void testnet_window(struct testnet *t, uint64_t rtt, uint64_t now)
{
	t->rtt = rtt;
	if (rtt > t->rtt_max)
		t->rtt_max = rtt;
	if (rtt <= TESTNET_RTT_OK_NS) {
		if (t->window < TESTNET_WINDOW_MAX)
			t->window++;
	} else if (rtt >= TESTNET_RTT_SLOW_NS &&
		   now >= t->last_halve + TESTNET_PROBE_NS * 5) {
		/* Once per few probes: the queue takes a while to drain. */
		t->window = t->window > 2 ? t->window / 2 : 1;
		t->last_halve = now;
	}
}

static void testnet_probe_done(void *arg, int err, uint64_t enr_seq)
{
	struct testnet *t = arg;
	uint64_t now = loop_now();

	(void)enr_seq;
	t->probing = false;
	if (err == -ECANCELED)
		return;
	/* A lost probe (timeout) counts as the slowest answer. */
	testnet_window(t, err ? now - t->probe_sent + TESTNET_RTT_SLOW_NS :
			     now - t->probe_sent, now);
}

static void testnet_probe(struct testnet *t, uint64_t now)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	struct discv4_node dn = { 0 };
	unsigned a, b;

	t->next_probe = now + TESTNET_PROBE_NS;
	if (t->probing || t->running < 2)
		return;
	t->seed = t->seed * 6364136223846793005ull + 1442695040888963407ull;
	a = (unsigned)((t->seed >> 33) % t->running);
	b = (unsigned)((t->seed >> 13) % (t->running - 1));
	if (b >= a)
		b++;
	memcpy(dn.id, t->nodes[b].ln.pub, DISCV4_PUB_LEN);
	memcpy(dn.ep.ip, lo, 16);
	dn.ep.ip_len = 4;
	dn.ep.udp = loop_listen_port(t->l, b);
	if (discv4_ping(t->nodes[a].d, &dn, now, testnet_probe_done, t))
		return;
	t->probing = true;
	t->probe_sent = now;
	loop_touch(t->l, a);
}

/* starting() counts admitted nodes still in their first refresh (all its
 * lookups done, or TESTNET_START_MAX_NS passed, ends it). */
static unsigned testnet_starting(struct testnet *t, uint64_t now)
{
	unsigned k = 0;

	for (unsigned i = t->oldest; i < t->running; i++) {
		const struct discv4_stats *st = discv4_stats(t->nodes[i].d);
		bool done = (st->lookups && st->lookups_done >= st->lookups) ||
			    now - t->admitted[i] >= TESTNET_START_MAX_NS;

		if (done && i == t->oldest)
			t->oldest++;
		else if (!done)
			k++;
	}
	return k;
}

/* testnet_tick() admits nodes while fewer than the window are starting,
 * sends the latency probe, and prints progress every 5 s. */
static void testnet_tick(void *arg, uint64_t now)
{
	struct testnet *t = arg;
	unsigned starting = testnet_starting(t, now);

	if (now >= t->next_probe)
		testnet_probe(t, now);
	while (t->running < t->n && starting < t->window) {
		/* Its engine was attached with no start time: its first
		 * tick (the refresh) is now. */
		t->admitted[t->running] = now;
		loop_touch(t->l, t->running);
		t->running++;
		starting++;
		if (t->running == t->n) {
			t->all_started = now;
			if (t->verbosity >= 3)
				fprintf(stderr, "testnet: all %u nodes started "
					"after %.1fs\n", t->n,
					(double)(now - t->t0) / 1e9);
		}
	}
	if (now >= t->next_progress) {
		testnet_progress(t, now, starting);
		t->rtt_max = 0;
		t->next_progress = now + TESTNET_PROGRESS_NS;
	}
	loop_alarm(t->l, t->running < t->n ? now + TESTNET_TICK_NS :
		   (t->next_probe < t->next_progress ? t->next_probe :
		    t->next_progress), testnet_tick, t);
}

static int raise_nofile(unsigned need)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r))
		return -errno;
	if (r.rlim_cur >= need)
		return 0;
	r.rlim_cur = r.rlim_max < need ? r.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &r))
		return -errno;
	return r.rlim_cur >= need ? 0 : -EMFILE;
}

static int cmd_testnet(const struct cli_opts *o)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	struct testnet t = { .verbosity = o->verbosity };
	struct dplink_listen *listen = NULL;
	struct loop_cfg lc;
	char url[ENODE_URL_MAX + 1];
	unsigned n = o->nodes, started = 0;
	uint64_t now, seed;
	int rc, status = 1;

	if (!n) {
		fprintf(stderr, "devplane: testnet needs --nodes N\n");
		return 2;
	}
	if ((unsigned)o->base_port + n - 1 > 65535) {
		fprintf(stderr, "devplane: ports %u..%u out of range\n",
			o->base_port, o->base_port + n - 1);
		return 2;
	}
	loop_cfg_from(&lc, o, NULL, n, NULL);
	/* Two dataplane workers recover signatures on both cores while
	 * control is idle (the kernel spreads sources over them). */
	if (n >= 100 && lc.n_queues == 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		lc.n_queues = 2;
	/* The dataplane child inherits the limit: a socket per node and
	 * queue. */
	if (raise_nofile(n * lc.n_queues + 256))
		fprintf(stderr, "devplane: cannot raise the fd limit to %u\n",
			n * lc.n_queues + 256);
	listen = calloc(n, sizeof(*listen));
	t.nodes = calloc(n, sizeof(*t.nodes));
	t.admitted = calloc(n, sizeof(*t.admitted));
	t.window = 4;
	if (!listen || !t.nodes || !t.admitted)
		goto out;
	for (unsigned i = 0; i < n; i++)
		listen_entry(&listen[i], lo, (uint16_t)(o->base_port + i),
			     (uint16_t)i);
	lc.listen = listen;
	/* Start-up bursts: every node pings and asks its bootnodes. */
	lc.ring_size = n > 64 ? 8192 : 0;
	lc.n_slots = n > 64 ? 16384 : 0;
	lc.peers_per_ip = n;            /* all on 127.0.0.1 */
	t.t0 = loop_now();
	rc = loop_new(&t.l, &lc);
	if (rc) {
		print_loop_err("dataplane", rc);
		goto out;
	}
	t.n = 0;
	now = loop_now();
	seed = now;
	for (unsigned i = 0; i < n; i++) {
		uint8_t priv[32];

		rc = secp_priv_generate(priv);
		if (!rc)
			rc = node_init(&t.nodes[i], &(struct node_cfg){
				.priv = priv, .loop = t.l, .idx = i,
				.start_ns = UINT64_MAX, /* testnet_tick() */
				.seed = seed + i, .verbosity = o->verbosity,
			}, now);
		explicit_bzero(priv, sizeof(priv));
		if (rc) {
			print_loop_err("node", rc);
			goto out;
		}
		started++;
		t.n = started;
	}
	/* Each node bootstraps from the node started just before it and up
	 * to two random earlier ones (node 0 among the candidates): the
	 * graph is connected and no node is asked by everyone. */
	for (unsigned i = 1; i < n; i++) {
		unsigned picks[3] = { i - 1, i - 1, i - 1 };
		unsigned np = 1;

		for (unsigned k = 0; k < 2 && i > 1; k++) {
			unsigned j = (unsigned)((seed >> (k * 7)) ^
						(i * 2654435761u)) % (i - 1);

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			if (j != picks[0] && j != picks[1])
				picks[np++] = j;
		}
		for (unsigned k = 0; k < np; k++) {
			struct discv4_node dn = { 0 };
			const struct node *b = &t.nodes[picks[k]];

			memcpy(dn.id, b->ln.pub, DISCV4_PUB_LEN);
			memcpy(dn.ep.ip, lo, 16);
			dn.ep.ip_len = 4;
			dn.ep.udp = loop_listen_port(t.l, picks[k]);
			discv4_add_bootnode(t.nodes[i].d, &dn);
		}
	}
	if (node_enode(&t.nodes[0], url, sizeof(url)) < 0)
		goto out;
	printf("%s\n", url);
	fflush(stdout);
	if (o->verbosity >= 3) {
		fprintf(stderr, "testnet: %u nodes on 127.0.0.1:%u..%u set up "
			"in %.2fs, dataplane pid %d\n", n, o->base_port,
			o->base_port + n - 1, (double)(loop_now() - t.t0) / 1e9,
			loop_dp_pid(t.l));
		if (loop_metrics_port(t.l))
			fprintf(stderr, "testnet: metrics on port %u\n",
				loop_metrics_port(t.l));
	}
	t.seed = seed;
	t.next_progress = loop_now() + TESTNET_PROGRESS_NS;
	loop_alarm(t.l, loop_now(), testnet_tick, &t);
	rc = loop_run(t.l);
	if (rc < 0)
		print_loop_err("event loop", rc);
	else
		status = 0;
	if (o->stats) {
		size_t min, max;
		double avg;

		testnet_sizes(&t, &min, &max, &avg);
		printf("testnet: %u nodes, table min %zu avg %.1f max %zu, "
		       "tx drops %" PRIu64 "\n", t.n, min, avg, max,
		       loop_tx_drops(t.l));
		print_engine_stats(stdout, "node0", t.nodes[0].d);
	}
out:
	for (unsigned i = 0; i < started; i++)
		node_fini(&t.nodes[i]);
	loop_free(t.l);
	free(t.nodes);
	free(t.admitted);
	free(listen);
	return status;
}

/* ---- crawl -------------------------------------------------------------- */

struct crawlrun {
	struct loop *l;
	struct node n;
	struct crawl *c;
	struct session_prober *sp;      /* --rlpx (default): probes */
	struct crawl_rlpx *cr;
	struct forkid_chain custom;
};

static void crawl_tick(void *arg, uint64_t now);

/* The crawler's host contract (control/crawl/crawl.h): after every call into the
 * engine and at crawl_next_deadline(), crawl_on_timer(), then re-read the
 * engine's deadline. */
static void crawl_post(void *arg, uint64_t now)
{
	struct crawlrun *r = arg;

	if (!r->c)
		return;                 /* engine ticked before crawl_new() */
	if (!crawl_done(r->c))
		crawl_on_timer(r->c, now);
	if (r->cr)
		crawl_rlpx_on_timer(r->cr, now);
	loop_touch(r->l, 0);
	/* Discovery done; RLPx probes still running report through
	 * crawl_probe_done(), which brings us back here. */
	if (crawl_done(r->c) && (!r->cr || crawl_rlpx_idle(r->cr))) {
		loop_stop(r->l, 0);
		return;
	}
	loop_alarm(r->l, crawl_done(r->c) ? now + 1000000000ull :
		   crawl_next_deadline(r->c), crawl_tick, r);
}

static void crawl_tick(void *arg, uint64_t now)
{
	crawl_post(arg, now);
}

/* The engine's hooks, forwarded to the crawler (NULL-safe until
 * crawl_new()): nodes that ping us are crawled, Pongs prove liveness. */
static void crawl_seen_hook(void *user, const struct discv4_node *dn,
			    uint64_t now)
{
	crawl_on_node_seen(((struct crawlrun *)user)->c, dn, now);
}

static void crawl_bond_hook(void *user, const struct discv4_node *dn,
			    uint64_t now)
{
	crawl_on_bond(((struct crawlrun *)user)->c, dn, now);
}

/* --rlpx: every node learnt with a TCP port is probed once. */
static void crawl_node_hook(void *user, const struct discv4_node *dn)
{
	struct crawlrun *r = user;

	if (r->cr && dn->ep.tcp)
		crawl_rlpx_add(r->cr, dn->id, dn->ep.ip, dn->ep.tcp);
}

static int crawl_probe_start(void *user, const uint8_t pub[64],
			     const uint8_t ip[16], uint16_t tcp,
			     uint64_t timeout_ns, uint64_t now)
{
	return session_probe(((struct crawlrun *)user)->sp, pub, ip, tcp,
			     timeout_ns, now);
}

static void crawl_probe_done(void *user, const struct session_probe_result *res)
{
	struct crawlrun *r = user;

	crawl_rlpx_on_result(r->cr, res);
	loop_alarm(r->l, loop_now(), crawl_tick, r);    /* start the next */
}

/* The chain whose Status the probes send (default mainnet): a remote on
 * another chain still sends its own Status before it drops us. */
static const struct forkid_chain *crawl_chain(struct crawlrun *r,
					      const struct cli_opts *o)
{
	const struct forkid_chain *chain;

	if (o->chain && (o->has_networkid || o->genesis)) {
		fprintf(stderr, "devplane: --chain excludes --networkid/--genesis\n");
		return NULL;
	}
	if (o->has_networkid || o->genesis) {
		if (!o->has_networkid || !o->genesis ||
		    forkid_chain_custom(&r->custom, o->networkid, o->genesis,
					o->forks)) {
			fprintf(stderr, "devplane: crawl: bad --networkid/--genesis/--forks\n");
			return NULL;
		}
		return &r->custom;
	}
	chain = forkid_chain_by_name(o->chain ? o->chain : "mainnet");
	if (!chain)
		fprintf(stderr, "devplane: crawl: unknown chain %s\n", o->chain);
	return chain;
}

/* node_init() for the crawler: the same local node and engine, but with
 * the engine's on_node_seen/on_bond hooks going to the crawler and no
 * node database (node_fini() tears it down). */
static int crawl_engine_init(struct crawlrun *r, const struct cli_opts *o,
			     const uint8_t priv[32], uint64_t now)
{
	static const uint8_t lo[16] = { [10] = 0xff, [11] = 0xff, [12] = 127,
					[15] = 1 };
	struct discv4_config dc = { 0 };
	struct node *n = &r->n;
	uint8_t addr[16];
	uint16_t port;
	int rc;

	memset(n, 0, sizeof(*n));
	port = loop_listen_port(r->l, 0);
	if (!port)
		return -EINVAL;
	n->loop = r->l;
	n->verbosity = o->verbosity;
	rc = localnode_init(&n->ln, priv, 0, port, 0);
	if (rc)
		return rc;
	loop_listen_addr(r->l, 0, addr);
	localnode_set_fallback_ip(&n->ln,
				  netutil_is_unspecified(addr) ? lo : addr);
	if (o->has_extip)
		localnode_set_static_ip(&n->ln, o->extip);
	dc.ln = &n->ln;
	dc.send = loop_send;
	dc.send_user = loop_port(r->l, 0);
	dc.on_bond = crawl_bond_hook;
	dc.on_node_seen = crawl_seen_hook;
	dc.hook_user = r;
	dc.netrestrict = o->netrestrict;
	dc.n_netrestrict = o->n_netrestrict;
	dc.seed = now;
	dc.no_refresh = true;
	rc = discv4_new(&n->d, &dc, now);
	if (rc)
		goto out_fini;
	rc = loop_attach(r->l, 0, n->d, 0, crawl_post, r);
	if (rc)
		goto out_free;
	return 0;
out_free:
	discv4_free(n->d);
	n->d = NULL;
out_fini:
	localnode_fini(&n->ln);
	return rc;
}

static void crawl_progress_line(void *user, const char *line)
{
	(void)user;
	fprintf(stderr, "%s\n", line);
}

static int cmd_crawl(const struct cli_opts *o)
{
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff };
	struct crawlrun *r = calloc(1, sizeof(*r));
	struct crawl_config cc = { 0 };
	struct dplink_listen listen;
	struct nodedb *db = NULL;
	struct loop_cfg lc;
	const struct forkid_chain *chain = NULL;
	char *text = NULL;
	uint8_t priv[32];
	uint64_t now;
	int rc, status = 1;

	if (!r)
		return 1;
	if (!o->n_bootnodes) {
		fprintf(stderr, "devplane: crawl needs --bootnodes\n");
		free(r);
		return 2;
	}
	if (!o->no_rlpx && !(chain = crawl_chain(r, o))) {
		free(r);
		return 2;
	}
	if (o->db) {
		rc = nodedb_open(&db, o->db);
		if (rc) {
			print_loop_err(o->db, rc);
			goto out;
		}
	}
	listen_entry(&listen, o->has_addr ? o->addr : any4,
		     o->has_addr ? o->port : 0, 0);
	/* The crawler commits its own batches: no loop batch on db. */
	loop_cfg_from(&lc, o, &listen, 1, NULL);
	rc = loop_new(&r->l, &lc);
	if (rc) {
		print_loop_err("dataplane", rc);
		goto out;
	}
	if (o->nodekey || o->nodekeyhex)
		rc = load_key(priv, o);
	else
		rc = secp_priv_generate(priv);
	if (rc)
		goto out;
	now = loop_now();
	rc = crawl_engine_init(r, o, priv, now);
	if (!rc && !o->no_rlpx) {
		struct crawl_rlpx_config rc_cfg = {
			.parallel = o->rlpx_parallel,
			.timeout_ns = (uint64_t)o->rlpx_timeout_ms * 1000000ull,
			.db = db, .start = crawl_probe_start, .start_user = r,
		};

		rc = session_prober_new(&r->sp, r->l, priv, chain,
					crawl_probe_done, r);
		if (!rc)
			rc = crawl_rlpx_new(&r->cr, &rc_cfg);
	}
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		print_loop_err("node", rc);
		goto out;
	}
	cc.parallel = o->parallel;
	cc.timeout_ns = o->has_timeout ? (uint64_t)o->timeout_ms * 1000000ull : 0;
	cc.out_path = o->out;
	cc.db = db;
	cc.flush_ns = 1000000000ull;
	cc.progress = o->verbosity >= 3 ? crawl_progress_line : NULL;
	cc.on_node = crawl_node_hook;
	cc.node_user = r;
	rc = crawl_new(&r->c, r->n.d, &cc, now);
	if (rc) {
		print_loop_err("crawl", rc);
		goto out;
	}
	for (unsigned i = 0; i < o->n_bootnodes; i++) {
		struct discv4_node dn;

		if (node_wire(&dn, &o->bootnodes[i]) ||
		    crawl_add_seed(r->c, &dn) == -EINVAL)
			fprintf(stderr, "devplane: bootnode %u refused\n", i);
	}
	loop_alarm(r->l, now, crawl_tick, r);
	rc = loop_run(r->l);
	if (rc < 0)
		print_loop_err("event loop", rc);
	now = loop_now();
	if (crawl_flush(r->c, now))
		fprintf(stderr, "devplane: crawl output not fully written\n");
	text = malloc(4096);
	if (text) {
		crawl_format_summary(r->c, now, text, 4096);
		printf("%s\n", text);
		if (r->cr) {
			crawl_rlpx_format_summary(r->cr, text, 4096);
			printf("%s\n", text);
		}
	}
	status = rc < 0 ? 1 : 0;
out:
	session_prober_free(r->sp);     /* probes in flight: not reported */
	node_fini(&r->n);       /* pending crawl callbacks get -ECANCELED */
	crawl_free(r->c);
	crawl_rlpx_free(r->cr);
	loop_free(r->l);
	nodedb_close(db);
	free(text);
	free(r);
	return status;
}

/* ---- key and enr -------------------------------------------------------- */

static int cmd_key_generate(const char *file)
{
	uint8_t priv[32], pub[64];
	char hex[129];
	int rc;

	if (access(file, F_OK) == 0) {
		fprintf(stderr, "devplane: %s already exists\n", file);
		return 1;
	}
	rc = secp_priv_generate(priv);
	if (!rc)
		rc = nodekey_save(file, priv);
	if (!rc)
		rc = secp_pub_from_priv(pub, priv);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", file, strerror(-rc));
		return 1;
	}
	printf("%s\n", hex_encode(hex, pub, sizeof(pub)));
	return 0;
}

static int cmd_key_to_enode(const struct cli_opts *o, const char *file)
{
	struct enode e = { .kind = ENODE_HOST_IP4 };
	char url[ENODE_URL_MAX + 1];
	uint8_t priv[32];
	int rc;

	rc = nodekey_load(priv, file);
	if (!rc)
		rc = secp_pub_from_priv(e.pub, priv);
	explicit_bzero(priv, sizeof(priv));
	if (rc) {
		fprintf(stderr, "devplane: %s: %s\n", file,
			rc == -EBADMSG ? "not a node key" : strerror(-rc));
		return 1;
	}
	/* geth's devp2p key to-enode defaults: 127.0.0.1, 30303/30303. */
	if (o->has_ip)
		memcpy(e.ip, o->ip, 16);
	else
		netutil_addr_parse(e.ip, "127.0.0.1", 9);
	if (!netutil_addr_is_v4(e.ip))
		e.kind = ENODE_HOST_IP6;
	e.tcp = o->has_tcp ? o->tcp : 30303;
	e.udp = o->has_udp ? o->udp : 30303;
	if (enode_format(url, sizeof(url), &e) < 0)
		return 1;
	printf("%s\n", url);
	return 0;
}

/* One value of enr dump, geth's devp2p enrdump style: known keys decoded,
 * everything else as the raw RLP in hex. */
static void dump_value(const struct enr *r, const struct enr_pair *p,
		       const char *key)
{
	const uint8_t *v = r->kv + p->val_off;
	struct rlp_item it;
	char hex[2 * ENR_MAX_SIZE + 1];
	char ip[NETUTIL_ADDRSTRLEN];
	uint8_t a[16];
	uint16_t port;

	if (!strcmp(key, "id") && rlp_next(&it, v, p->val_len) > 0 &&
	    !it.is_list) {
		printf("\"%.*s\"", (int)it.len, (const char *)it.p);
	} else if ((!strcmp(key, "ip") && enr_get_ip(r, a + 12) == 0) ||
		   (!strcmp(key, "ip6") && enr_get_ip6(r, a) == 0)) {
		if (!strcmp(key, "ip"))
			netutil_addr_from_v4(a, a + 12);
		printf("%s", netutil_addr_format(ip, a));
	} else if ((!strcmp(key, "tcp") && !enr_get_tcp(r, &port)) ||
		   (!strcmp(key, "udp") && !enr_get_udp(r, &port)) ||
		   (!strcmp(key, "tcp6") && !enr_get_tcp6(r, &port)) ||
		   (!strcmp(key, "udp6") && !enr_get_udp6(r, &port))) {
		printf("%u", port);
	} else if (!strcmp(key, "secp256k1") &&
		   rlp_next(&it, v, p->val_len) > 0 && !it.is_list) {
		printf("%s", hex_encode(hex, it.p, it.len));
	} else {
		printf("(raw) %s", hex_encode(hex, v, p->val_len));
	}
	printf("\n");
}

static int cmd_enr_dump(const char *text)
{
	struct enr *r = malloc(sizeof(*r));
	char hex[2 * ENR_MAX_SIZE + 1], url[ENODE_URL_MAX + 1];
	uint8_t id[ENR_ID_LEN];
	struct enode e;
	const char *sig;
	int rc, status = 1;

	if (!r)
		return 1;
	while (*text == ' ' || *text == '\n')
		text++;
	if (enr_decode_text(r, text, strcspn(text, " \n\r")) < 0) {
		fprintf(stderr, "devplane: invalid ENR\n");
		goto out;
	}
	rc = enr_verify(r);
	sig = rc == 0 ? "valid" : rc == -EPROTONOSUPPORT ? "unknown scheme" :
		"INVALID";
	if (enr_node_id(id, r) == 0)
		printf("Node ID: %s\n", hex_encode(hex, id, sizeof(id)));
	else
		printf("Node ID: (no secp256k1 key)\n");
	if (cli_parse_node(&e, text) == 0 &&
	    enode_format(url, sizeof(url), &e) > 0)
		printf("URLv4:   %s\n", url);
	printf("Signature: %s (%s)\n", sig, hex_encode(hex, r->raw + r->sig_off,
							r->sig_len));
	printf("Record has sequence number %" PRIu64 " and %u key/value pairs.\n",
	       r->seq, r->n);
	for (unsigned i = 0; i < r->n; i++) {
		const struct enr_pair *p = &r->pairs[i];
		char key[64];
		size_t kl = p->key_len < sizeof(key) - 1 ? p->key_len :
			    sizeof(key) - 1;

		memcpy(key, r->kv + p->key_off, kl);
		key[kl] = '\0';
		printf("  %-12s", key[0] ? key : "\"\"");
		dump_value(r, p, key);
	}
	status = rc == 0 ? 0 : 1;
out:
	free(r);
	return status;
}

/* test discv4 [--tester-addr IP1,IP2] [--filter S] [--wait-ms N] ENODE: the
 * conformance suite (control/discv4/v4test.h) against any node, with geth's 500 ms
 * wait per read. The testers bind IP1 and IP2 (default 127.0.0.1 and
 * 127.0.0.2); both must be local addresses from which the node is
 * reachable (e.g. two addresses on the other end of a veth pair). Parses
 * its own flags, like node and rlpx ping. */
static int cmd_test_discv4(int argc, char **argv)
{
	const char *node = NULL, *testers = NULL;
	struct v4test_cfg cfg;
	unsigned long wait = 0;
	const char *filter = NULL;
	struct enode e;
	int i, rc;

	for (i = 3; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--tester-addr") && i + 1 < argc)
			testers = argv[++i];
		else if (!strcmp(a, "--filter") && i + 1 < argc)
			filter = argv[++i];
		else if (!strcmp(a, "--wait-ms") && i + 1 < argc) {
			if (parse_uint(&wait, argv[++i], 60000)) {
				fprintf(stderr, "devplane: bad --wait-ms\n");
				return 2;
			}
		} else if (a[0] != '-' && !node)
			node = a;
		else {
			fprintf(stderr, "usage: devplane test discv4 "
				"[--tester-addr IP1,IP2] [--filter S] "
				"[--wait-ms N] ENODE\n");
			return 2;
		}
	}
	if (!node) {
		fprintf(stderr, "usage: devplane test discv4 "
			"[--tester-addr IP1,IP2] [--filter S] [--wait-ms N] "
			"ENODE\n");
		return 2;
	}
	if (secp_init())
		return 1;
	if (cli_parse_node(&e, node)) {
		fprintf(stderr, "devplane: invalid node %s\n", node);
		return 2;
	}
	v4test_cfg_default(&cfg, &e);
	if (testers) {
		const char *comma = strchr(testers, ',');
		char a1[NETUTIL_ADDRSTRLEN + 1];
		size_t n1 = comma ? (size_t)(comma - testers) : 0;

		if (!comma || !n1 || n1 >= sizeof(a1) ||
		    netutil_addr_parse(cfg.l1, testers, n1) ||
		    parse_ip(cfg.l2, comma + 1)) {
			fprintf(stderr, "devplane: --tester-addr wants "
				"IP1,IP2\n");
			return 2;
		}
	}
	cfg.filter = filter;
	cfg.wait_ms = (uint32_t)wait;
	rc = v4test_run(&cfg, stdout);
	if (rc < 0)
		fprintf(stderr, "devplane: test discv4: %s\n", strerror(-rc));
	return rc == 0 ? 0 : 1;
}

/*
 * ban list|add|remove [--iface IF] [CIDR] [--for DUR]: the operator's view
 * of the XDP shield's blocklist. It execs devplane-dp's shield commands on
 * the maps pinned under /sys/fs/bpf/devplane/IF rather than asking the
 * running node over its control socket: control stays unprivileged and
 * holds no BPF map fds (the pins need CAP_BPF, which whoever bans has),
 * bans keep working while no node runs (the pinned shield keeps
 * dropping), and the blocklist code lives once, in devplane-dp. Without
 * --iface the only shield pinned is used.
 */
static int cmd_ban(int argc, char **argv)
{
	static const char *const sub[][2] = {
		{ "list", "bans" }, { "add", "ban" }, { "remove", "unban" },
	};
	const char *dsub = NULL, *dur = NULL;
	char *iface = NULL, *cidr = NULL;
	char bin[PATH_MAX], ifbuf[64], ttl[16], cmd[8];
	char *av[12];
	unsigned n = 0;
	uint32_t ms = 0;

	for (unsigned i = 0; argc >= 3 && i < 3; i++)
		if (!strcmp(argv[2], sub[i][0]))
			dsub = sub[i][1];
	for (int i = 3; dsub && i < argc; i++) {
		if (!strcmp(argv[i], "--iface") && i + 1 < argc)
			iface = argv[++i];
		else if (!strcmp(argv[i], "--for") && i + 1 < argc)
			dur = argv[++i];
		else if (argv[i][0] != '-' && !cidr)
			cidr = argv[i];
		else
			dsub = NULL;
	}
	if (!dsub || !strcmp(dsub, "bans") != !cidr ||
	    (dur && strcmp(dsub, "ban")) ||
	    (dur && (cli_parse_duration(&ms, dur) || ms < 1000))) {
		fprintf(stderr, "usage: devplane ban list|add|remove "
			"[--iface IF] [CIDR] [--for DUR (>= 1s)]\n");
		return 2;
	}
	if (!iface) {
		DIR *d = opendir("/sys/fs/bpf/devplane");
		struct dirent *e;
		unsigned found = 0;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' &&
			    strlen(e->d_name) < sizeof(ifbuf)) {
				snprintf(ifbuf, sizeof(ifbuf), "%s",
					 e->d_name);
				found++;
			}
		if (d)
			closedir(d);
		if (found != 1) {
			fprintf(stderr, "devplane: ban: %s; use --iface\n",
				found ? "several shields pinned" :
					"no shield pinned");
			return 1;
		}
		iface = ifbuf;
	}
	dplink_find_binary(bin, sizeof(bin), NULL);
	av[n++] = bin;
	av[n++] = "shield";
	snprintf(cmd, sizeof(cmd), "%s", dsub);
	av[n++] = cmd;
	av[n++] = "--iface";
	av[n++] = iface;
	if (cidr)
		av[n++] = cidr;
	if (dur) {
		snprintf(ttl, sizeof(ttl), "%u", ms / 1000);
		av[n++] = "--ttl";
		av[n++] = ttl;
	}
	av[n] = NULL;
	fflush(stdout);
	execvp(bin, av);
	fprintf(stderr, "devplane: ban: exec %s: %s\n", bin, strerror(errno));
	return 1;
}

/* ---- dispatch ---------------------------------------------------------- */

static bool is(const struct cli_opts *o, unsigned i, const char *w)
{
	return o->n_pos > i && !strcmp(o->pos[i], w);
}

int cli_main(int argc, char **argv)
{
	struct cli_opts *o = malloc(sizeof(*o));
	char err[CLI_ERR_LEN];
	int status = 2;

	if (!o)
		return 1;
	/* RLPx commands parse their own flags (control/host/session.c). */
	if (argc >= 2 && !strcmp(argv[1], "node")) {
		free(o);
		return session_node_main(argc, argv);
	}
	if (argc >= 3 && !strcmp(argv[1], "rlpx") && !strcmp(argv[2], "ping")) {
		free(o);
		return session_rlpx_ping_main(argc, argv);
	}
	if (argc >= 3 && !strcmp(argv[1], "test") &&
	    !strcmp(argv[2], "discv4")) {
		free(o);
		return cmd_test_discv4(argc, argv);
	}
	if (argc >= 2 && !strcmp(argv[1], "ban")) {
		free(o);
		return cmd_ban(argc, argv);
	}
	if (argc >= 2 && !strcmp(argv[1], "admin")) {
		free(o);
		return cmd_admin(argc, argv);
	}
	if (cli_parse(o, argc, argv, err, sizeof(err))) {
		fprintf(stderr, "devplane: %s\n", err);
		usage(stderr);
		goto out;
	}
	if (secp_init()) {
		status = 1;
		goto out;
	}
	if (is(o, 0, "bootnode") && o->n_pos == 1)
		status = cmd_bootnode(o);
	else if (is(o, 0, "crawl") && o->n_pos == 1)
		status = cmd_crawl(o);
	else if (is(o, 0, "testnet") && o->n_pos == 1)
		status = cmd_testnet(o);
	else if (is(o, 0, "key") && is(o, 1, "generate") && o->n_pos == 3)
		status = cmd_key_generate(o->pos[2]);
	else if (is(o, 0, "key") && is(o, 1, "to-enode") && o->n_pos == 3)
		status = cmd_key_to_enode(o, o->pos[2]);
	else if (is(o, 0, "enr") && is(o, 1, "dump") && o->n_pos == 3)
		status = cmd_enr_dump(o->pos[2]);
	else if (is(o, 0, "discv4") && is(o, 1, "ping") && o->n_pos == 3)
		status = cmd_ping(o, o->pos[2]);
	else if (is(o, 0, "discv4") && is(o, 1, "resolve") && o->n_pos == 3)
		status = cmd_resolve(o, o->pos[2]);
	else if (is(o, 0, "help") || o->n_pos == 0) {
		usage(o->n_pos ? stdout : stderr);
		status = o->n_pos ? 0 : 2;
	} else {
		fprintf(stderr, "devplane: unknown command or wrong arguments\n");
		usage(stderr);
	}
out:
	free(o);
	return status;
}
