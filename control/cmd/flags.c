/* SPDX-License-Identifier: MIT */
/* control/cmd/flags.c - the one flag parser of every devplane command. */
#include "control/cmd/flags.h"
#include "control/cmd/flagdefs.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "control/base/chains.h"
#include "control/base/nodearg.h"
#include "control/dns/dnstree.h"

#define DEFAULT_BASE_PORT  30400
#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_MAX_PEERS  50           /* geth --maxpeers */
#define DEFAULT_MAX_PEND   50           /* geth defaultMaxPendingPeers */
#define MAX_PEERS_LIMIT    100000

_Static_assert(F_COUNT <= 64 * FLAGS_GIVEN_WORDS,
	       "struct flags.given has 64 * FLAGS_GIVEN_WORDS bits");



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

const char *flags_name(enum flag_id id)
{
	return (unsigned)id < F_COUNT ? flag_defs[id].name : "?";
}

bool flags_given(const struct flags *o, enum flag_id id)
{
	return (unsigned)id < F_COUNT &&
	       (o->given[(unsigned)id / 64] >> ((unsigned)id % 64) & 1);
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

/* One number of --head: decimal or 0x-hex, at most INT64_MAX (geth's
 * block numbers are int64), ending at stop. */
static int parse_head_num(uint64_t *out, const char *s, const char *stop)
{
	int base = 10;
	char *end;

	if (stop - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s == stop || !isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	return errno || end != stop || *out > INT64_MAX ? -EINVAL : 0;
}

/* --head NUMBER:TIME[:HASH] (the hash may be left out for block 0). */
static int parse_head(struct flags *o, const char *v)
{
	const char *c1 = strchr(v, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *h;

	memset(o->head_hash, 0, sizeof(o->head_hash));
	if (!c1 || parse_head_num(&o->head_number, v, c1) ||
	    parse_head_num(&o->head_time, c1 + 1,
			   c2 ? c2 : c1 + 1 + strlen(c1 + 1)))
		return -EINVAL;
	if (c2) {
		h = c2 + 1;
		if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
			h += 2;
		if (strlen(h) != 2 * sizeof(o->head_hash) ||
		    hex_decode(o->head_hash, sizeof(o->head_hash), h,
			       strlen(h)) != (ssize_t)sizeof(o->head_hash))
			return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(o->head_hash); i++)
		if (o->head_hash[i])
			return 0;
	return o->head_number ? -ENOENT : 0;
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

int flags_parse_hostport(uint8_t addr[16], uint16_t *port, const char *s)
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

int flags_parse_duration(uint32_t *ms, const char *s)
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

int flags_parse_dataplane(enum flags_dp *dp, const char **attach,
			  const char **backend, const char *v)
{
	if (!strcmp(v, "socket")) {
		*dp = FLAGS_DP_SPAWN;
		*attach = *backend = NULL;
	} else if (!strncmp(v, "xdp:", 4) && v[4] && strlen(v) < 16) {
		*dp = FLAGS_DP_SPAWN;   /* spawned, with the xdp backend */
		*attach = NULL;
		*backend = v;
	} else if ((!strcmp(v, "dpdk") || (!strncmp(v, "dpdk:", 5) && v[5])) &&
		   strlen(v) < 16) {
		*dp = FLAGS_DP_SPAWN;   /* spawned, with the dpdk backend */
		*attach = NULL;
		*backend = v;
	} else if (!strncmp(v, "attach:", 7) && v[7]) {
		*dp = FLAGS_DP_ATTACH;
		*attach = v + 7;
		*backend = NULL;
	} else {
		return -EINVAL;
	}
	return 0;
}

int flags_parse_budget(uint32_t *rate, uint32_t *burst, const char *v)
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
	if (parse_uint(&r, num, UINT32_MAX) ||
	    parse_uint(&b, colon + 1, UINT32_MAX) || !r || !b)
		return -EINVAL;
	*rate = (uint32_t)r;
	*burst = (uint32_t)b;
	return 0;
}

/* A comma- (or space-) separated list of nodes into out[*n..max). Host
 * names are refused: nothing here resolves them. */
static int parse_nodes(struct enode *out, unsigned *n, unsigned max,
		       const char *v, const char *flag, char *err,
		       size_t err_len)
{
	char *copy = strdup(v), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return fail(err, err_len, "out of memory");
	for (tok = strtok_r(copy, ", \t\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\n", &save)) {
		if (*n == max) {
			rc = fail(err, err_len, "--%s: more than %u nodes",
				  flag, max);
			break;
		}
		if (nodearg_parse(&out[*n], tok)) {
			rc = fail(err, err_len, "--%s: invalid node %.60s",
				  flag, tok);
			break;
		}
		if (out[*n].kind == ENODE_HOST_NAME) {
			rc = fail(err, err_len,
				  "--%s: host names are not resolved: %.60s",
				  flag, tok);
			break;
		}
		(*n)++;
	}
	free(copy);
	return rc;
}

/* A comma-separated list of enrtree:// URLs into buf[0..max) and out[],
 * each checked with dnstree_parse_link(). */
static int parse_urls(const char **out, char (*buf)[FLAGS_URL_MAX],
		      unsigned *n, unsigned max, const char *v,
		      const char *flag, char *err, size_t err_len)
{
	const char *p = v;

	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ", ");

		if (len) {
			if (*n == max)
				return fail(err, err_len, "--%s: more than %u URLs",
					    flag, max);
			struct dnstree_link l;

			if (len >= FLAGS_URL_MAX ||
			    dnstree_parse_link(&l, p, len) < 0)
				return fail(err, err_len,
					    "--%s: want enrtree://KEY@DOMAIN, got %.*s",
					    flag, (int)(len > 60 ? 60 : len), p);
			memcpy(buf[*n], p, len);
			buf[*n][len] = '\0';
			out[*n] = buf[*n];
			(*n)++;
		}
		p += len;
		p += strspn(p, ", ");
	}
	return 0;
}

/* geth's nat.Parse(): "mech" or "mech:IP", the mechanism's name in any
 * case; an IP after any mechanism must parse (geth ignores it but for
 * extip and pmp). STUN is not supported. */
static int parse_nat(struct flags *o, const char *v, char *err,
		     size_t err_len)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	char mech[16];
	uint8_t ip[16];
	bool has_ip = false;

	if (n >= sizeof(mech))
		return fail(err, err_len, "--nat: unknown mechanism %.60s", v);
	for (size_t i = 0; i < n; i++)
		mech[i] = (char)tolower((unsigned char)v[i]);
	mech[n] = '\0';
	if (!strcmp(mech, "stun"))
		return fail(err, err_len, "--nat: stun is not supported");
	if (colon) {
		if (parse_ip(ip, colon + 1))
			return fail(err, err_len, "--nat: invalid IP address in %.60s", v);
		has_ip = true;
	}
	o->has_extip = o->has_nat_gw = false;
	if (!strcmp(mech, "") || !strcmp(mech, "none") ||
	    !strcmp(mech, "off")) {
		o->nat = NATMAP_NONE;
	} else if (!strcmp(mech, "any") || !strcmp(mech, "auto") ||
		   !strcmp(mech, "on")) {
		o->nat = NATMAP_ANY;
	} else if (!strcmp(mech, "extip") || !strcmp(mech, "ip")) {
		if (!has_ip)
			return fail(err, err_len, "--nat: extip needs an IP address");
		o->nat = NATMAP_EXTIP;
		o->has_extip = true;
		memcpy(o->extip, ip, 16);
	} else if (!strcmp(mech, "upnp")) {
		o->nat = NATMAP_UPNP;
	} else if (!strcmp(mech, "pmp") || !strcmp(mech, "natpmp") ||
		   !strcmp(mech, "nat-pmp")) {
		if (has_ip && !netutil_addr_is_v4(ip))
			return fail(err, err_len, "--nat: NAT-PMP gateways are IPv4, got %.60s", v);
		o->nat = NATMAP_PMP;
		o->has_nat_gw = has_ip;
		memcpy(o->nat_gw, ip, 16);
	} else {
		return fail(err, err_len, "--nat: unknown mechanism %.60s", v);
	}
	return 0;
}

static int apply(struct flags *o, enum flag_id id, const char *v, char *err,
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
		if (flags_parse_hostport(o->addr, &o->port, v))
			return fail(err, err_len, "--addr: want IP:PORT, got %.60s", v);
		o->has_addr = true;
		break;
	case F_NETRESTRICT:
		if (netutil_netlist_parse(o->netrestrict, FLAGS_MAX_NETRESTRICT,
					  &n, v, strlen(v)))
			return fail(err, err_len, "--netrestrict: invalid CIDR list %.60s", v);
		o->n_netrestrict = n;
		break;
	case F_NAT:
		return parse_nat(o, v, err, err_len);
	case F_BOOTNODES:
		return parse_nodes(o->bootnodes, &o->n_bootnodes,
				   FLAGS_MAX_BOOTNODES, v, "bootnodes", err,
				   err_len);
	case F_STATICNODES:
		return parse_nodes(o->statics, &o->n_statics, FLAGS_MAX_STATIC,
				   v, "staticnodes", err, err_len);
	case F_TRUSTEDNODES:
		return parse_nodes(o->trusted, &o->n_trusted, FLAGS_MAX_STATIC,
				   v, "trustednodes", err, err_len);
	case F_DATAPLANE:
		if (flags_parse_dataplane(&o->dp, &o->dp_attach, &o->dp_backend,
					  v))
			return fail(err, err_len,
				    "--dataplane: want socket, xdp:IFNAME, dpdk[:IFNAME] or attach:PATH, got %.60s", v);
		break;
	case F_DP_EAL:
		o->dp_eal = v;
		break;
	case F_DP_BUDGET:
		if (flags_parse_budget(&o->budget_rate, &o->budget_burst, v))
			return fail(err, err_len,
				    "--dataplane.budget: want RATE:BURST (BURST > 0) or off, got %.60s", v);
		o->budget_set = true;
		break;
	case F_DP_QUEUES:
		if (parse_uint(&u, v, DPLINK_MAX_QUEUES) || !u)
			return fail(err, err_len, "--dataplane.queues: 1..%d, got %.20s",
				    DPLINK_MAX_QUEUES, v);
		o->queues = (unsigned)u;
		break;
	case F_METRICS_ADDR:
		if (flags_parse_hostport(o->metrics_addr, &o->metrics_port, v))
			return fail(err, err_len, "--metrics.addr: want IP:PORT, got %.60s", v);
		o->has_metrics = true;
		break;
	case F_DB:
		o->db = v;
		break;
	case F_STORE:
		o->store = v;
		break;
	case F_CRAWL_ROUND:
		if (!*v || strlen(v) > 128)
			return fail(err, err_len, "--crawl-round: 1..128 characters, got \"%.60s\"", v);
		o->crawl_round = v;
		break;
	case F_LEASE_TIME:
		if (flags_parse_duration(&o->lease_ms, v) || o->lease_ms < 1000)
			return fail(err, err_len, "--lease-time: want a duration of at least 1s, got %.20s", v);
		break;
	case F_REPORT:
		o->report = v;
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
		if (flags_parse_duration(&o->timeout_ms, v))
			return fail(err, err_len, "--timeout: want a duration like 5s, got %.20s", v);
		break;
	case F_OUT:
		o->out = v;
		break;
	case F_PARALLEL:
		if (parse_uint(&u, v, 4096) || !u)
			return fail(err, err_len, "--parallel: 1..4096, got %.20s", v);
		o->parallel = (unsigned)u;
		break;
	case F_MAX_NODES:
		if (parse_uint(&u, v, UINT32_MAX) || !u)
			return fail(err, err_len, "--max-nodes: 1..4294967295, got %.20s", v);
		o->max_nodes = (unsigned)u;
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
		if (flags_parse_duration(&o->rlpx_timeout_ms, v) ||
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
		if (errno || !*v || *end || *v == '-' || *v == '+')
			return fail(err, err_len, "--networkid: want a number, got %.20s", v);
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
	case F_HEAD:
		switch (parse_head(o, v)) {
		case 0:
			o->has_head = true;
			break;
		case -ENOENT:
			return fail(err, err_len, "--head: block %.20s needs its hash (a zero hash stands for the genesis, block 0)", v);
		default:
			return fail(err, err_len, "--head: want NUMBER:TIME:HASH (numbers decimal or 0x-hex, HASH 64 hex digits), got %.100s", v);
		}
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

		if (flags_parse_duration(&ms, v) || ms < 1000)
			return fail(err, err_len, "--%s: want a duration of at least 1s, got %.20s",
				    flag_defs[id].name, v);
		if (id == F_BAN_WINDOW)
			o->ban_window_s = ms / 1000;
		else
			o->ban_secs = ms / 1000;
		break;
	}
	case F_IP:
		if (strchr(v, '/')) {
			if (netutil_netlist_parse(&o->ip_net, 1, &n, v,
						  strlen(v)) || n != 1)
				return fail(err, err_len, "--ip: invalid CIDR %.60s", v);
			o->has_ip_net = true;
		} else if (parse_ip(o->ip, v)) {
			return fail(err, err_len, "--ip: invalid address %.60s", v);
		}
		break;
	case F_TCP:
		if (parse_port(&o->tcp, v))
			return fail(err, err_len, "--tcp: invalid port %.20s", v);
		break;
	case F_UDP:
		if (parse_port(&o->udp, v))
			return fail(err, err_len, "--udp: invalid port %.20s", v);
		break;
	case F_MAXPEERS:
		if (parse_uint(&u, v, MAX_PEERS_LIMIT))
			return fail(err, err_len, "--maxpeers: 0..%d, got %.20s",
				    MAX_PEERS_LIMIT, v);
		o->max_peers = (unsigned)u;
		break;
	case F_MAXPENDPEERS:
		if (parse_uint(&u, v, MAX_PEERS_LIMIT) || !u)
			return fail(err, err_len, "--maxpendpeers: 1..%d, got %.20s",
				    MAX_PEERS_LIMIT, v);
		o->max_pending = (unsigned)u;
		break;
	case F_NODISCOVER:
		o->nodiscover = true;
		break;
	case F_DISC_V4:
	case F_DISC_V5:                 /* v: NULL, "true" or "false" */
		*(id == F_DISC_V4 ? &o->disc_v4 : &o->disc_v5) =
			!v || strcmp(v, "false");
		break;
	case F_TESTER_ADDR: {
		const char *comma = strchr(v, ',');
		size_t n1 = comma ? (size_t)(comma - v) : 0;

		if (!comma || !n1 ||
		    netutil_addr_parse(o->tester_addr[0], v, n1) ||
		    parse_ip(o->tester_addr[1], comma + 1))
			return fail(err, err_len, "--tester-addr: want IP1,IP2, got %.60s", v);
		break;
	}
	case F_FILTER:
		o->filter = v;
		break;
	case F_WAIT_MS:
		if (parse_uint(&u, v, 60000))
			return fail(err, err_len, "--wait-ms: 0..60000, got %.20s", v);
		o->wait_ms = (uint32_t)u;
		break;
	case F_IFACE:
		o->iface = v;
		break;
	case F_FOR:
		if (flags_parse_duration(&o->for_ms, v) || o->for_ms < 1000)
			return fail(err, err_len, "--for: want a duration of at least 1s, got %.20s", v);
		break;
	case F_DISCOVERY_DNS:
		return parse_urls(o->dns_urls, o->dns_buf, &o->n_dns,
				  FLAGS_MAX_DNS, v, "discovery.dns", err,
				  err_len);
	case F_LINKS:
		return parse_urls(o->links, o->links_buf, &o->n_links,
				  FLAGS_MAX_LINKS, v, "links", err, err_len);
	case F_DNS_SERVER:
		if (flags_parse_hostport(o->dns_server, &o->dns_server_port, v) ||
		    !o->dns_server_port || netutil_is_unspecified(o->dns_server))
			return fail(err, err_len, "--dns.server: want IP:PORT, got %.60s", v);
		o->has_dns_server = true;
		break;
	case F_DRY_RUN:
		o->dry_run = true;
		break;
	case F_DOMAIN:
		o->domain = v;
		break;
	case F_KEY:
		o->key = v;
		break;
	case F_SEQ: {
		char *end;

		errno = 0;
		o->seq = strtoull(v, &end, 10);
		if (errno || !*v || *end || *v == '-' || *v == '+' || *v == ' ')
			return fail(err, err_len, "--seq: want a number, got %.20s", v);
		break;
	}
	case F_ETH_NETWORK:
		if (!chains_by_name(v))
			return fail(err, err_len, "--eth-network: unknown network %.20s", v);
		o->eth_network = v;
		break;
	case F_LIMIT:
		if (parse_uint(&u, v, INT32_MAX))
			return fail(err, err_len, "--limit: want a count, got %.20s", v);
		o->limit = (int)u;
		break;
	case F_MIN_AGE:
		if (flags_parse_duration(&o->min_age_ms, v))
			return fail(err, err_len, "--min-age: want a duration like 24h, got %.20s", v);
		break;
	case F_SNAP:
		o->snap = true;
		break;
	case F_LES_SERVER:
		o->les_server = true;
		break;
	case F_DIALABLE:
		o->dialable = true;
		break;
	case F_LOSS: {
		char *end;
		double p;

		errno = 0;
		p = strtod(v, &end);
		if (*end == '%')
			end++;
		if (errno || end == v || *end || !(p >= 0 && p <= 100))
			return fail(err, err_len, "--loss: a percentage 0..100, got %.20s", v);
		o->loss_ppm = (uint32_t)(p * 10000 + 0.5);
		break;
	}
	case F_DELAY:
	case F_JITTER:
	case F_DURATION: {
		uint32_t *ms = id == F_DELAY ? &o->delay_ms :
			       id == F_JITTER ? &o->jitter_ms : &o->duration_ms;

		if (flags_parse_duration(ms, v) || (id == F_DURATION && *ms < 1000))
			return fail(err, err_len, "--%s: want a duration (--duration: >= 1s), got %.20s", flag_defs[id].name, v);
		break;
	}
	case F_CHURN:
		if (parse_uint(&u, v, 100))
			return fail(err, err_len, "--churn: 0..100, got %.20s", v);
		o->churn_pct = (unsigned)u;
		break;
	case F_PARTITION: {             /* FROM-TO */
		char from[32];
		size_t n1 = strcspn(v, "-");

		if (!v[n1] || n1 >= sizeof(from) ||
		    (memcpy(from, v, n1), from[n1] = 0,
		     flags_parse_duration(&o->part_from_ms, from)) ||
		    flags_parse_duration(&o->part_to_ms, v + n1 + 1) ||
		    o->part_to_ms <= o->part_from_ms)
			return fail(err, err_len, "--partition: want FROM-TO with FROM < TO, got %.40s", v);
		break;
	}
	case F_SEED:
		if (parse_uint(&u, v, (unsigned long)-1))
			return fail(err, err_len, "--seed: want a number, got %.20s", v);
		o->sim_seed = u;
		break;
	case F_V4:
	case F_V5:
		o->sim_v5 = id == F_V5;
		break;
	case F_P2P:
		o->sim_p2p = true;
		break;
	case F_LOOKUPS:
	case F_BROADCASTS:
		if (parse_uint(&u, v, 100000))
			return fail(err, err_len, "--%s: 0..100000, got %.20s",
				    flag_defs[id].name, v);
		*(id == F_LOOKUPS ? &o->lookups : &o->broadcasts) = (unsigned)u;
		break;
	case F_NAT_LEASE:
		if (flags_parse_duration(&o->nat_lease_ms, v) ||
		    o->nat_lease_ms < 5000)
			return fail(err, err_len, "--nat.lease: want a duration of at least 5s, got %.20s", v);
		break;
	case F_COUNT:
	case F_END:
		break;
	}
	return 0;
}

static void defaults(struct flags *o)
{
	memset(o, 0, sizeof(*o));
	o->verbosity = 3;
	o->base_port = DEFAULT_BASE_PORT;
	o->timeout_ms = DEFAULT_TIMEOUT_MS;
	o->queues = 1;
	o->max_peers = DEFAULT_MAX_PEERS;
	o->max_pending = DEFAULT_MAX_PEND;
	o->disc_v4 = o->disc_v5 = true;
	o->tcp = o->udp = 30303;
	o->seq = 1;
	o->limit = -1;
	o->delay_ms = 20;
	o->duration_ms = 60000;
	o->sim_seed = 1;
	o->lookups = 100;
	o->broadcasts = 10;
	netutil_addr_parse(o->ip, "127.0.0.1", 9);
	netutil_addr_parse(o->tester_addr[0], "127.0.0.1", 9);
	netutil_addr_parse(o->tester_addr[1], "127.0.0.2", 9);
}

static bool accepts(const struct flags_cmd *cmd, enum flag_id id)
{
	for (const enum flag_id *a = cmd->accept; a && *a != F_END; a++)
		if (*a == id)
			return true;
	return false;
}

/* The cross-flag rules every command shares. */
static int check(const struct flags *o, char *err, size_t err_len)
{
	if (o->nodekey && o->nodekeyhex)
		return fail(err, err_len, "--nodekey and --nodekeyhex are exclusive");
	/* EAL arguments only mean something to a spawned dpdk dataplane; an
	 * attached one got its own on its command line. */
	if (o->dp_eal && (o->dp != FLAGS_DP_SPAWN || !o->dp_backend ||
			  strncmp(o->dp_backend, "dpdk", 4)))
		return fail(err, err_len, "--dataplane.eal needs --dataplane dpdk");
	/* An attached dataplane has its own --budget. */
	if (o->budget_set && o->dp == FLAGS_DP_ATTACH)
		return fail(err, err_len, "--dataplane.budget: an attached "
			    "dataplane takes devplane-dp --budget");
	if (o->chain && (flags_given(o, F_NETWORKID) || o->genesis))
		return fail(err, err_len, "--chain excludes --networkid/--genesis");
	if (flags_given(o, F_NETWORKID) != !!o->genesis)
		return fail(err, err_len, "--networkid and --genesis go together");
	if (o->forks && !o->genesis)
		return fail(err, err_len, "--forks needs --networkid and --genesis");
	if (o->db && o->store)
		return fail(err, err_len, "--db and --store are exclusive");
	if (o->nat_lease_ms && o->nat != NATMAP_UPNP && o->nat != NATMAP_PMP &&
	    o->nat != NATMAP_ANY)
		return fail(err, err_len, "--nat.lease needs --nat upnp, pmp or any");
	return 0;
}

/* --chain NAME: the preset's bootnodes and DNS trees where the command
 * takes them and the line did not give them (geth's setBootstrapNodes and
 * SetDNSDiscoveryDefaults); --nodiscover wants neither. */
static int apply_chain(struct flags *o, const struct flags_cmd *cmd,
		       char *err, size_t err_len)
{
	const struct chains_preset *p;

	if (!o->chain)
		return 0;
	p = chains_by_name(o->chain);
	if (!p)
		return fail(err, err_len, "--chain: unknown chain %.20s "
			    "(mainnet, sepolia, holesky or hoodi)", o->chain);
	if (o->nodiscover)
		return 0;
	if (accepts(cmd, F_BOOTNODES) && !flags_given(o, F_BOOTNODES)) {
		o->n_bootnodes = 0;
		for (size_t i = 0; i < p->n_bootnodes &&
		     o->n_bootnodes < FLAGS_MAX_BOOTNODES; i++) {
			if (nodearg_parse(&o->bootnodes[o->n_bootnodes],
					  p->bootnodes[i]))
				return fail(err, err_len, "--chain %s: bootnode %zu "
					    "does not parse", p->name, i);
			o->bootnode_text[o->n_bootnodes++] = p->bootnodes[i];
		}
		o->bootnodes_v5 = p->bootnodes_v5;
		o->n_bootnodes_v5 = (unsigned)p->n_bootnodes_v5;
	}
	if (accepts(cmd, F_DISCOVERY_DNS) &&
	    !flags_given(o, F_DISCOVERY_DNS) && p->dns) {
		o->dns_urls[0] = p->dns;
		o->n_dns = 1;
	}
	return 0;
}

int flags_parse(struct flags *o, const struct flags_cmd *cmd, int argc,
		char **argv, FILE *out, char *err, size_t err_len)
{
	bool flags_done = false;
	int rc;

	defaults(o);
	if (err && err_len)
		err[0] = '\0';
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		size_t nlen;
		int k;

		if (flags_done || a[0] != '-' || !a[1]) {
			if (o->n_args == FLAGS_MAX_ARGS)
				return fail(err, err_len, "too many arguments");
			o->args[o->n_args++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			flags_done = true;
			continue;
		}
		name = a + 1 + (a[1] == '-');
		if (!strcmp(name, "help") || !strcmp(name, "h")) {
			flags_usage(out, cmd);
			return FLAGS_HELP;
		}
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < F_COUNT; k++)
			if (strlen(flag_defs[k].name) == nlen &&
			    !strncmp(flag_defs[k].name, name, nlen))
				break;
		if (k == F_COUNT)
			return fail(err, err_len, "unknown flag %.60s", a);
		if (!accepts(cmd, (enum flag_id)k))
			return fail(err, err_len, "devplane %s does not take --%s",
				    cmd->path, flag_defs[k].name);
		if (flag_defs[k].metavar) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return fail(err, err_len, "flag --%s needs a value",
					    flag_defs[k].name);
		} else if (eq) {
			/* Go's boolean flags take =true / =false. */
			if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false"))
				return fail(err, err_len, "flag --%s is boolean",
					    flag_defs[k].name);
			val = eq + 1;
			/* =false is "not given", but for the flags that
			 * default to true. */
			if (!strcmp(val, "false") && k != F_DISC_V4 &&
			    k != F_DISC_V5)
				continue;
		}
		rc = apply(o, (enum flag_id)k, val, err, err_len);
		if (rc)
			return rc;
		o->given[k / 64] |= 1ull << (k % 64);
	}
	if (o->n_args < cmd->min_args)
		return fail(err, err_len, "devplane %s: missing %s", cmd->path,
			    cmd->synopsis ? cmd->synopsis : "arguments");
	if (o->n_args > cmd->max_args)
		return fail(err, err_len, "devplane %s: unexpected argument %.60s",
			    cmd->path, o->args[cmd->max_args]);
	rc = check(o, err, err_len);
	return rc ? rc : apply_chain(o, cmd, err, err_len);
}

void flags_usage(FILE *f, const struct flags_cmd *cmd)
{
	bool any = cmd->accept && *cmd->accept != F_END;

	fprintf(f, "usage: devplane %s%s%s%s\n", cmd->path,
		any ? " [flags]" : "", cmd->synopsis ? " " : "",
		cmd->synopsis ? cmd->synopsis : "");
	if (cmd->summary)
		fprintf(f, "\n%s\n", cmd->summary);
	if (any)
		fputs("\nflags:\n", f);
	for (const enum flag_id *a = cmd->accept; a && *a != F_END; a++) {
		const struct flag_def *d = &flag_defs[*a];
		char left[64];
		int w;

		w = snprintf(left, sizeof(left), "  --%s%s%s", d->name,
			     d->metavar ? " " : "",
			     d->metavar ? d->metavar : "");
		if (w < 30)
			fprintf(f, "%-30s %s\n", left, d->help);
		else
			fprintf(f, "%s\n%-30s %s\n", left, "", d->help);
	}
	fprintf(f, "%-30s %s\n", "  --help, -h", "this text");
	if (cmd->notes)
		fprintf(f, "\n%s\n", cmd->notes);
}
