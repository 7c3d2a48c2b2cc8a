/* SPDX-License-Identifier: MIT */
/* dataplane/flood/flood_main.c - devplane-flood: the discv4 flood generator's
 * command line, a program of its own (no part of the privileged
 * devplane-dp). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataplane/flood/floodgen.h"
#include "dataplane/io/pktio.h"

/*
 * Socket mode needs no privileges at all. AF_XDP mode (--iface) needs
 * what AF_XDP TX needs: CAP_NET_RAW and CAP_NET_ADMIN (the socket and its
 * UMEM) and CAP_BPF (the XSK map); nothing else the dataplane holds.
 */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: devplane-flood --target IP:PORT [--rate PPS] "
		"[--duration S] [--count N]\n"
		"                      [--mix KIND=W,...] (size type hash "
		"ping sig rlp expired short long\n"
		"                       v5junk v5proto v5hdr v5hs v5msg) "
		"[--v5-id HEX]\n"
		"                      [--socket] [--junk-src IP[+N] ...] | "
		"--iface IF [--spoof CIDR] [--copy]\n"
		"                      [--keys N [--legit-src IP[+N] ...] "
		"--legit-rate PPS] [--grace-ms MS]\n"
		"                      [--ramp START:FACTOR[:STEP_S] "
		"[--ramp-max PPS] [--threshold F]\n"
		"                       [--ramp-confirm]] (instead of --rate "
		"and --count; needs --keys)\n"
		"Socket mode (no --iface) needs no privileges; AF_XDP mode "
		"(--iface) needs\nCAP_NET_RAW, CAP_NET_ADMIN and CAP_BPF.\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX || s[0] == '-')
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static volatile bool flood_stop;

static void on_flood_signal(int sig)
{
	(void)sig;
	flood_stop = true;
}

/* add_src() takes "IP" or "IP+N" (N consecutive IPv4 addresses) into
 * src[*n..], at most max in all. */
static int add_src(uint8_t (*src)[16], unsigned *n, unsigned max,
		   const char *s)
{
	char host[64];
	const char *plus = strchr(s, '+');
	uint32_t cnt = 1, a;
	size_t hl = plus ? (size_t)(plus - s) : strlen(s);

	if (hl >= sizeof(host) || (plus && parse_u32(plus + 1, &cnt) < 0))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = 0;
	if (*n + cnt > max || !cnt)
		return -EINVAL;
	memset(src[*n], 0, 16);
	if (inet_pton(AF_INET6, host, src[*n]) == 1 && !plus) {
		(*n)++;
		return 0;
	}
	if (inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	for (uint32_t i = 0; i < cnt; i++) {
		uint32_t v = htonl(ntohl(a) + i);

		memset(src[*n], 0, 16);
		src[*n][10] = src[*n][11] = 0xff;
		memcpy(src[*n] + 12, &v, 4);
		(*n)++;
	}
	return 0;
}

/* flood_step() prints a ramp step's line as soon as it is judged. */
static void flood_step(void *arg, const struct floodramp *r, unsigned k,
		       const struct floodramp_step *s,
		       enum floodramp_verdict v)
{
	char line[512];

	(void)arg;
	if (floodramp_format_step(line, sizeof(line), r, k, s, v) > 0) {
		printf("%s\n", line);
		fflush(stdout);
	}
}

/* print_ms() prints a latency line of the plain report. */
static void print_ms(const char *name, const struct floodramp_lat *h,
		     uint32_t ppm)
{
	uint64_t ns;

	if (floodramp_lat_quantile(h, &ns, ppm))
		printf("%s %llu.%03llu\n", name,
		       (unsigned long long)(ns / 1000000),
		       (unsigned long long)(ns / 1000 % 1000));
	else
		printf("%s none\n", name);
}

/* flood_refuse() says why a flood command line cannot run. */
static int flood_refuse(const char *why)
{
	fprintf(stderr, "devplane-flood: %s\n", why);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "mix", required_argument, NULL, 'm' },
		{ "socket", no_argument, NULL, 'S' },
		{ "junk-src", required_argument, NULL, 'j' },
		{ "iface", required_argument, NULL, 'i' },
		{ "spoof", required_argument, NULL, 's' },
		{ "copy", no_argument, NULL, 'y' },
		{ "keys", required_argument, NULL, 'k' },
		{ "legit-src", required_argument, NULL, 'l' },
		{ "legit-rate", required_argument, NULL, 'L' },
		{ "grace-ms", required_argument, NULL, 'g' },
		{ "ramp", required_argument, NULL, 'R' },
		{ "ramp-max", required_argument, NULL, 'M' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "ramp-confirm", no_argument, NULL, 'C' },
		{ "v5-id", required_argument, NULL, '5' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t legit[FLOODGEN_MAX_LEGIT_SRC][16];
	static uint8_t junk[FLOODGEN_MAX_JUNK_SRC][16];
	struct floodgen_cfg c = { .duration_ms = 10000, .grace_ms = 1000 };
	struct floodramp_cfg ramp = { .threshold_ppm = 990000 };
	static struct floodgen_result r;        /* large: latency histogram */
	struct dplink_listen t;
	bool sock = false, spoof = false, dur = false, rate = false;
	bool ramp_on = false, ramp_opt = false;
	uint32_t v;
	int o, rc;

	c.mix[FLOODPAY_SIZE] = c.mix[FLOODPAY_TYPE] = 1;
	c.mix[FLOODPAY_HASH] = c.mix[FLOODPAY_PING] = 1;
	memset(&t, 0, sizeof(t));
	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		const char *val = optarg;

		switch (o) {
		case 'y':
			c.copy = true;
			break;
		case 'S':
			sock = true;
			break;
		case 'C':
			ramp.confirm = ramp_opt = true;
			break;
		case 'i':
			c.iface = val;
			break;
		case 't':
			if (pktio_parse_listen(&t, val) < 0)
				goto bad;
			memcpy(c.dst_addr, t.addr, 16);
			c.dst_port_be = t.port_be;
			break;
		case 'r':
			if (parse_u32(val, &v) < 0)
				goto bad;
			c.rate_pps = v;
			rate = true;
			break;
		case 'd':
			if (parse_u32(val, &v) < 0 || !v || v > 3600)
				goto bad;
			c.duration_ms = v * 1000;
			dur = true;
			break;
		case 'n':
			if (parse_u32(val, &v) < 0)
				goto bad;
			c.count = v;
			rate = true;
			break;
		case 'R':
			if (floodramp_parse(&ramp, val) < 0)
				goto bad;
			ramp_on = true;
			break;
		case 'M':
			if (parse_u32(val, &v) < 0 || !v)
				goto bad;
			ramp.max_pps = v;
			ramp_opt = true;
			break;
		case 'T':
			if (floodramp_parse_threshold(&ramp.threshold_ppm,
						      val) < 0)
				goto bad;
			ramp_opt = true;
			break;
		case 'm':
			if (floodpay_parse_mix(c.mix, val) < 0)
				goto bad;
			break;
		case '5':       /* the target's node id: 64 hex digits */
			if (strlen(val) != 64 ||
			    strspn(val, "0123456789abcdefABCDEF") != 64)
				goto bad;
			for (unsigned i = 0; i < 32; i++) {
				unsigned b;

				if (sscanf(val + 2 * i, "%2x", &b) != 1)
					goto bad;
				c.v5_id[i] = (uint8_t)b;
			}
			c.has_v5_id = true;
			break;
		case 's': {
			char host[32];
			const char *sl = strchr(val, '/');

			if (!sl || (size_t)(sl - val) >= sizeof(host) ||
			    parse_u32(sl + 1, &v) < 0 || v < 8 || v > 32)
				goto bad;
			memcpy(host, val, (size_t)(sl - val));
			host[sl - val] = 0;
			if (inet_pton(AF_INET, host, c.spoof_addr) != 1)
				goto bad;
			c.spoof_plen = v;
			spoof = true;
			break;
		}
		case 'j':
			if (add_src(junk, &c.n_junk_src,
				    FLOODGEN_MAX_JUNK_SRC, val) < 0)
				goto bad;
			break;
		case 'k':
			if (parse_u32(val, &v) < 0)
				goto bad;
			c.n_keys = v;
			break;
		case 'l':
			if (add_src(legit, &c.n_legit_src,
				    FLOODGEN_MAX_LEGIT_SRC, val) < 0)
				goto bad;
			break;
		case 'L':
			if (parse_u32(val, &v) < 0)
				goto bad;
			c.legit_rate = v;
			break;
		case 'g':
			if (parse_u32(val, &v) < 0)
				goto bad;
			c.grace_ms = v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!c.dst_port_be)
		goto bad;
	if (sock && c.iface)
		return flood_refuse("--socket and --iface exclude each other");
	if (c.iface) {
#if HAVE_XDP
		if (c.n_junk_src)
			return flood_refuse("--junk-src is for socket mode; "
					    "over AF_XDP (--iface) the "
					    "sources come from --spoof");
		if (!spoof) {           /* 10.200.0.0/16 */
			c.spoof_addr[0] = 10;
			c.spoof_addr[1] = 200;
			c.spoof_plen = 16;
		}
#else
		return flood_refuse("--iface sends over AF_XDP, which this "
				    "build lacks (meson -Dxdp=disabled); "
				    "leave it out to send from sockets");
#endif
	} else {
		if (spoof)
			return flood_refuse("--spoof needs --iface (AF_XDP): "
					    "sockets send from local "
					    "addresses only (--junk-src IP)");
		if (c.copy)
			return flood_refuse("--copy is an AF_XDP mode; it "
					    "needs --iface");
	}
	if (!c.has_v5_id && (c.mix[FLOODPAY_V5HDR] || c.mix[FLOODPAY_V5HS] ||
			      c.mix[FLOODPAY_V5MSG]))
		return flood_refuse("the v5hdr, v5hs and v5msg kinds are "
				    "masked for the target: give its node id "
				    "(--v5-id)");
	if (ramp_opt && !ramp_on)
		return flood_refuse("--ramp-max, --threshold and --ramp-confirm "
				    "go with --ramp");
	if (ramp_on) {
		unsigned wsum = 0;

		for (unsigned k = 0; k < FLOODPAY_KIND_MAX; k++)
			wsum += c.mix[k];
		if (rate)
			return flood_refuse("--ramp sets the junk rate step by "
					    "step: leave out --rate and "
					    "--count");
		if (!wsum)
			return flood_refuse("--ramp needs junk: a --mix with "
					    "a weight above 0");
		if (!c.n_keys || !c.legit_rate)
			return flood_refuse("--ramp judges each step by "
					    "legitimate pings: it needs --keys "
					    "N and --legit-rate PPS");
		if ((uint64_t)c.legit_rate * ramp.step_ms < 10 * 1000)
			return flood_refuse("--ramp: fewer than 10 legitimate "
					    "pings per step (--legit-rate "
					    "times the step's seconds)");
		if (ramp.max_pps && ramp.max_pps < ramp.start_pps)
			return flood_refuse("--ramp-max is below the ramp's "
					    "START");
		if (!dur)               /* the ramp's own length */
			c.duration_ms = 0;
		c.ramp = &ramp;
		c.on_step = flood_step;
	}
	if (c.n_keys && !c.n_legit_src) {
		/* The unspecified address (0.0.0.0 or ::, the target's
		 * family): the route's source. */
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
						      0, 0, 0xff, 0xff };

		memset(legit[0], 0, 16);
		if (!memcmp(c.dst_addr, v4mapped, 12))
			memcpy(legit[0], v4mapped, 12);
		c.n_legit_src = 1;
	}
	c.legit_src = (const uint8_t (*)[16])legit;
	c.junk_src = (const uint8_t (*)[16])junk;
	signal(SIGINT, on_flood_signal);
	signal(SIGTERM, on_flood_signal);
	rc = floodgen_run(&r, &c, &flood_stop);
	if (rc < 0) {
		fprintf(stderr, "devplane-flood: %s\n", strerror(-rc));
		return 1;
	}
	if (ramp_on) {
		char line[512];

		if (floodramp_format_end(line, sizeof(line), &r.ramp,
					 r.legit_late) < 0)
			return 1;
		printf("%s\n", line);
		return 0;
	}
	{
		uint64_t tot = 0;
		double secs = r.elapsed_ns ? r.elapsed_ns / 1e9 : 0;

		for (unsigned k = 0; k < FLOODPAY_KIND_MAX; k++) {
			tot += r.junk_sent[k];
			printf("junk_%s %llu\n", floodpay_kind_name(k),
			       (unsigned long long)r.junk_sent[k]);
		}
		printf("junk_total %llu\njunk_tx_err %llu\n"
		       "junk_seconds %.3f\njunk_pps %.0f\nzero_copy %d\n"
		       "legit_sent %llu\nlegit_answered %llu\n"
		       "legit_first_sent %llu\nlegit_first_answered %llu\n"
		       "legit_pongs_sent %llu\n",
		       (unsigned long long)tot,
		       (unsigned long long)r.junk_tx_err, secs,
		       secs > 0 ? tot / secs : 0.0, r.zero_copy,
		       (unsigned long long)r.legit_sent,
		       (unsigned long long)r.legit_answered,
		       (unsigned long long)r.legit_first_sent,
		       (unsigned long long)r.legit_first_answered,
		       (unsigned long long)r.legit_pongs);
		print_ms("legit_p50_ms", &r.legit_lat, 500000);
		print_ms("legit_p99_ms", &r.legit_lat, 990000);
	}
	return 0;
bad:
	usage(stderr);
	return 2;
}

