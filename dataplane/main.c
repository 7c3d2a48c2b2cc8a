/* SPDX-License-Identifier: MIT */
/* dataplane/main.c - devplane-dp: command line of the dataplane process. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataplane/daemon/dpd.h"
#include "dataplane/flood/floodgen.h"
#include "dataplane/io/pktio.h"
#if HAVE_XDP
#include "dataplane/shield/shield_cli.h"
#include "dataplane/shield/shield_loader.h"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: devplane-dp --control-fd N\n"
		"       devplane-dp --shm PATH [--control-socket SOCK] "
		"--listen IP:PORT [--listen ...]\n"
		"                   [--backend socket|xdp|dpdk] [--iface IFNAME] "
		"[--zero-copy|--copy]\n"
		"                   [--eal \"EAL ARGS\"]   (dpdk; also with "
		"--control-fd)\n"
		"                   [--queues N] [--budget RATE:BURST|off] "
		"[--cache N] [--hugepages]\n"
		"                   [--shield-rate R] [--shield-burst B] "
		"[--shield-prefix-rate R]\n"
		"                   [--shield-prefix-burst B] "
		"[--shield-unknown-rate R]\n"
		"                   [--shield-unknown-burst B]\n"
		"       devplane-dp stats --shm PATH | --pid PID\n"
		"       devplane-dp flood --target IP:PORT [--rate PPS] "
		"[--duration S] [--count N]\n"
		"                   [--mix KIND=W,...] (size type hash ping "
		"sig rlp expired short long)\n"
		"                   [--socket] [--junk-src IP[+N] ...] | "
		"--iface IF [--spoof CIDR] [--copy]\n"
		"                   [--keys N [--legit-src IP[+N] ...] "
		"--legit-rate PPS] [--grace-ms MS]\n"
		"                   [--ramp START:FACTOR[:STEP_S] "
		"[--ramp-max PPS] [--threshold F]\n"
		"                    [--ramp-confirm]] (instead of --rate and "
		"--count; needs --keys)\n"
		"Without --control-fd the dataplane runs long-lived on the named "
		"region PATH;\ncontrol attaches with --dataplane attach:PATH "
		"(socket PATH.sock by default).\n"
		"--shield-*: the xdp backend's shield (as `devplane-dp shield "
		"attach --rate ...`);\na shield already pinned on the "
		"interface keeps every setting not given.\n");
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	const char *shm = NULL, *pid_s = NULL;
	uint32_t pid = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shm") && i + 1 < argc) {
			shm = argv[++i];
		} else if (!strcmp(argv[i], "--pid") && i + 1 < argc &&
			   !parse_u32(argv[i + 1], &pid) && pid) {
			pid_s = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!shm == !pid_s) {
		usage(stderr);
		return 2;
	}
	rc = shm ? dpd_stats(stdout, shm) : dpd_stats_pid(stdout, (long)pid);
	if (rc < 0) {
		fprintf(stderr, "devplane-dp stats: %s%s: %s\n",
			shm ? "" : "pid ", shm ? shm : pid_s, strerror(-rc));
		return 1;
	}
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
	fprintf(stderr, "devplane-dp flood: %s\n", why);
	return 2;
}

static int cmd_flood(int argc, char **argv)
{
	static uint8_t legit[FLOODGEN_MAX_LEGIT_SRC][16];
	static uint8_t junk[FLOODGEN_MAX_JUNK_SRC][16];
	struct floodgen_cfg c = { .duration_ms = 10000, .grace_ms = 1000 };
	struct floodramp_cfg ramp = { .threshold_ppm = 990000 };
	static struct floodgen_result r;        /* large: latency histogram */
	struct dplink_listen t;
	bool sock = false, spoof = false, dur = false, rate = false;
	bool ramp_on = false, ramp_opt = false;
	uint32_t v;
	int rc;

	c.mix[FLOODGEN_SIZE] = c.mix[FLOODGEN_TYPE] = 1;
	c.mix[FLOODGEN_HASH] = c.mix[FLOODGEN_PING] = 1;
	memset(&t, 0, sizeof(t));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] :
						NULL;

		if (!strcmp(a, "--copy")) {
			c.copy = true;
			continue;
		}
		if (!strcmp(a, "--socket")) {
			sock = true;
			continue;
		}
		if (!strcmp(a, "--ramp-confirm")) {
			ramp.confirm = ramp_opt = true;
			continue;
		}
		if (!val)
			goto bad;
		i++;
		if (!strcmp(a, "--iface")) {
			c.iface = val;
		} else if (!strcmp(a, "--target")) {
			if (dpd_parse_listen(&t, val) < 0)
				goto bad;
			memcpy(c.dst_addr, t.addr, 16);
			c.dst_port_be = t.port_be;
		} else if (!strcmp(a, "--rate") && !parse_u32(val, &v)) {
			c.rate_pps = v;
			rate = true;
		} else if (!strcmp(a, "--duration") && !parse_u32(val, &v) &&
			   v && v <= 3600) {
			c.duration_ms = v * 1000;
			dur = true;
		} else if (!strcmp(a, "--count") && !parse_u32(val, &v)) {
			c.count = v;
			rate = true;
		} else if (!strcmp(a, "--ramp")) {
			if (floodramp_parse(&ramp, val) < 0)
				goto bad;
			ramp_on = true;
		} else if (!strcmp(a, "--ramp-max") && !parse_u32(val, &v) &&
			   v) {
			ramp.max_pps = v;
			ramp_opt = true;
		} else if (!strcmp(a, "--threshold")) {
			if (floodramp_parse_threshold(&ramp.threshold_ppm,
						      val) < 0)
				goto bad;
			ramp_opt = true;
		} else if (!strcmp(a, "--mix")) {
			if (floodgen_parse_mix(c.mix, val) < 0)
				goto bad;
		} else if (!strcmp(a, "--spoof")) {
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
		} else if (!strcmp(a, "--junk-src")) {
			if (add_src(junk, &c.n_junk_src,
				    FLOODGEN_MAX_JUNK_SRC, val) < 0)
				goto bad;
		} else if (!strcmp(a, "--keys") && !parse_u32(val, &v)) {
			c.n_keys = v;
		} else if (!strcmp(a, "--legit-src")) {
			if (add_src(legit, &c.n_legit_src,
				    FLOODGEN_MAX_LEGIT_SRC, val) < 0)
				goto bad;
		} else if (!strcmp(a, "--legit-rate") &&
			   !parse_u32(val, &v)) {
			c.legit_rate = v;
		} else if (!strcmp(a, "--grace-ms") && !parse_u32(val, &v)) {
			c.grace_ms = v;
		} else {
			goto bad;
		}
	}
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
	if (ramp_opt && !ramp_on)
		return flood_refuse("--ramp-max, --threshold and --ramp-confirm "
				    "go with --ramp");
	if (ramp_on) {
		unsigned wsum = 0;

		for (unsigned k = 0; k < FLOODGEN_KIND_MAX; k++)
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
		fprintf(stderr, "devplane-dp flood: %s\n", strerror(-rc));
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

		for (unsigned k = 0; k < FLOODGEN_KIND_MAX; k++) {
			tot += r.junk_sent[k];
			printf("junk_%s %llu\n", floodgen_kind_name(k),
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

/* shield_opt() records one --shield-* flag (dpd.h, struct
 * dpd_shield_opts); the shield checks rate and burst together. */
static int shield_opt(struct dpd_shield_opts *s, int c, const char *v)
{
#if HAVE_XDP
	static const struct {
		int c;
		size_t off;
		uint32_t bit;
	} f[] = {
		{ 'R', offsetof(struct dpd_shield_opts, src_rate),
		  SHIELD_SET_SRC_RATE },
		{ 'U', offsetof(struct dpd_shield_opts, src_burst),
		  SHIELD_SET_SRC_BURST },
		{ 'P', offsetof(struct dpd_shield_opts, pfx_rate),
		  SHIELD_SET_PFX_RATE },
		{ 'Q', offsetof(struct dpd_shield_opts, pfx_burst),
		  SHIELD_SET_PFX_BURST },
		{ 'K', offsetof(struct dpd_shield_opts, unk_rate),
		  SHIELD_SET_UNK_RATE },
		{ 'L', offsetof(struct dpd_shield_opts, unk_burst),
		  SHIELD_SET_UNK_BURST },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		uint32_t *field = (uint32_t *)((char *)s + f[i].off);

		if (f[i].c != c)
			continue;
		if (parse_u32(v, field) < 0 || *field > SHIELD_MAX_RATE)
			return -EINVAL;
		s->set |= f[i].bit;
		return 0;
	}
	return -EINVAL;
#else
	(void)s;
	(void)c;
	(void)v;
	return -ENOTSUP;        /* no xdp backend, no shield */
#endif
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "control-fd", required_argument, NULL, 'f' },
		{ "shm", required_argument, NULL, 's' },
		{ "control-socket", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "iface", required_argument, NULL, 'i' },
		{ "zero-copy", no_argument, NULL, 'z' },
		{ "copy", no_argument, NULL, 'y' },
		{ "queues", required_argument, NULL, 'q' },
		{ "listen", required_argument, NULL, 'l' },
		{ "budget", required_argument, NULL, 'B' },
		{ "cache", required_argument, NULL, 'C' },
		{ "hugepages", no_argument, NULL, 'H' },
		{ "shield-rate", required_argument, NULL, 'R' },
		{ "shield-burst", required_argument, NULL, 'U' },
		{ "shield-prefix-rate", required_argument, NULL, 'P' },
		{ "shield-prefix-burst", required_argument, NULL, 'Q' },
		{ "shield-unknown-rate", required_argument, NULL, 'K' },
		{ "shield-unknown-burst", required_argument, NULL, 'L' },
		{ "eal", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dpd_opts o = {
		.control_fd = -1,
		.backend = "socket",
		.n_queues = 1,
		.budget_rate = DPD_DEFAULT_BUDGET_RATE,
		.budget_burst = DPD_DEFAULT_BUDGET_BURST,
		.cache_slots = DPD_DEFAULT_CACHE_SLOTS,
	};
	struct dplink_listen *listen = NULL;
	unsigned n_listen = 0;
	uint32_t v;
	int c, rc;

	if (argc > 1 && !strcmp(argv[1], "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "flood"))
		return cmd_flood(argc - 1, argv + 1);
#if HAVE_XDP
	if (argc > 1 && !strcmp(argv[1], "shield"))
		return shield_cli(argc - 1, argv + 1);
#endif
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_u32(optarg, &v) < 0 || v > INT32_MAX)
				goto bad;
			o.control_fd = (int)v;
			break;
		case 's':
			o.shm_path = optarg;
			break;
		case 'c':
			o.sock_path = optarg;
			break;
		case 'b':
			o.backend = optarg;
			break;
		case 'i':
			o.iface = optarg;
			break;
		case 'z':
			o.pktio_flags = (o.pktio_flags & ~PKTIO_F_COPY) |
					PKTIO_F_ZEROCOPY;
			break;
		case 'y':
			o.pktio_flags = (o.pktio_flags & ~PKTIO_F_ZEROCOPY) |
					PKTIO_F_COPY;
			break;
		case 'q':
			if (parse_u32(optarg, &v) < 0 || !v ||
			    v > DPLINK_MAX_QUEUES)
				goto bad;
			o.n_queues = v;
			break;
		case 'l': {
			struct dplink_listen *nl;

			if (n_listen >= DPLINK_MAX_SOCKS)
				goto bad;
			nl = realloc(listen, (n_listen + 1) * sizeof(*nl));
			if (!nl)
				goto bad;
			listen = nl;
			memset(&listen[n_listen], 0, sizeof(*listen));
			if (dpd_parse_listen(&listen[n_listen], optarg) < 0)
				goto bad;
			listen[n_listen].sock_idx = (uint16_t)n_listen;
			n_listen++;
			break;
		}
		case 'B': {
			char *colon = strchr(optarg, ':');

			if (!strcmp(optarg, "off")) {
				o.budget_rate = o.budget_burst = 0;
				break;
			}
			if (!colon)
				goto bad;
			*colon = 0;
			if (parse_u32(optarg, &o.budget_rate) < 0 ||
			    parse_u32(colon + 1, &o.budget_burst) < 0 ||
			    (o.budget_rate && !o.budget_burst))
				goto bad;
			break;
		}
		case 'C':
			if (parse_u32(optarg, &o.cache_slots) < 0)
				goto bad;
			break;
		case 'H':
			o.hugepages = true;
			break;
		case 'R':
		case 'U':
		case 'P':
		case 'Q':
		case 'K':
		case 'L':
			if (shield_opt(&o.shield, c, optarg) < 0)
				goto bad;
			break;
		case 'E':
			o.eal = optarg;
			break;
		case 'h':
			usage(stdout);
			free(listen);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || (o.control_fd < 0 && (!o.shm_path || !n_listen)))
		goto bad;
	o.listen = listen;
	o.n_listen = n_listen;
	rc = dpd_run(&o);
	free(listen);
	if (rc < 0) {
		fprintf(stderr, "devplane-dp: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
bad:
	free(listen);
	usage(stderr);
	return 2;
}
