/* SPDX-License-Identifier: MIT */
/* dataplane/main.c - devplane-dp: command line of the dataplane process. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataplane/daemon/dpd.h"
#include "dataplane/daemon/dpstats.h"
#include "dataplane/io/pktio.h"
#include "dataplane/stage/rlpx_stage.h"
#include "buildinfo.h"                  /* generated: git commit */
#if HAVE_XDP
#include "dataplane/shield/shield_cli.h"
#include "dataplane/shield/shield_loader.h"
#endif

/*
 * One flag style for every devplane-dp command: getopt_long, -h/--help
 * prints that command's usage on stdout and exits 0, anything it does not
 * know prints the usage on stderr and exits 2; a failure of the work
 * itself exits 1.
 */

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
		"                   [--v5-handshakes RATE:BURST|off] "
		"[--whoareyou RATE:BURST|off]\n"
		"                   [--rlpx-mem-session SIZE] "
		"[--rlpx-mem-worker SIZE]   (also with --control-fd)\n"
		"       devplane-dp stats --shm PATH | --pid PID\n"
		"       devplane-dp shield attach|detach|stats|ban|unban|bans|"
		"allow|disallow|allows ...\n"
		"       devplane-dp version\n"
		"Without --control-fd the dataplane runs long-lived on the named "
		"region PATH;\ncontrol attaches with --dataplane attach:PATH "
		"(socket PATH.sock by default).\n"
		"--shield-*: the xdp backend's shield (as `devplane-dp shield "
		"attach --rate ...`);\na shield already pinned on the "
		"interface keeps every setting not given.\n"
		"--v5-handshakes: discv5 handshake packets per source (default "
		"10:20);\n--whoareyou: the WHOAREYOUs sent per destination "
		"(default 10:20).\n"
		"--rlpx-mem-*: the RLPx stage's memory budgets, per session "
		"(default 40M, at least\n256K) and per worker (default 256M, "
		"at least the session's); SIZE in bytes or\nwith a K, M or G "
		"suffix. A peer over its budget is not read, and closed if "
		"it\nstays over for 5 s.\n"
		"Each command takes --help. The flood generator is its own "
		"program, devplane-flood.\n");
}

static void usage_stats(FILE *f)
{
	fprintf(f,
		"usage: devplane-dp stats --shm PATH | --pid PID\n"
		"Prints the counters of a running dataplane: an attach-mode one "
		"by its region\nPATH, one that devplane spawned by the pid of "
		"either process.\n");
}

static void usage_version(FILE *f)
{
	fprintf(f, "usage: devplane-dp version\n"
		   "Prints the version, the git commit and the build "
		   "options.\n");
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

/* parse_size() reads "N", "NK", "NM" or "NG" (powers of 1024). */
static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-')
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || v > (SIZE_MAX >> shift) || !v)
		return -EINVAL;
	*out = (size_t)(v << shift);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "shm", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *shm = NULL, *pid_s = NULL;
	uint32_t pid = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			shm = optarg;
			break;
		case 'p':
			if (parse_u32(optarg, &pid) < 0 || !pid)
				goto bad;
			pid_s = optarg;
			break;
		case 'h':
			usage_stats(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !shm == !pid_s)
		goto bad;
	rc = shm ? dpd_stats(stdout, shm) : dpd_stats_pid(stdout, (long)pid);
	if (rc < 0) {
		fprintf(stderr, "devplane-dp stats: %s%s: %s\n",
			shm ? "" : "pid ", shm ? shm : pid_s, strerror(-rc));
		return 1;
	}
	return 0;
bad:
	usage_stats(stderr);
	return 2;
}

static void print_version(void)
{
	printf("devplane-dp %s\n"
	       "commit %s\n"
	       "xdp %s\n"
	       "dpdk %s\n"
	       "buildtype %s\n"
	       "optimization %s\n"
	       "sanitizers %s\n"
	       "fuzz %s\n"
	       "compiler %s\n",
	       DEVPLANE_VERSION, DEVPLANE_GIT_COMMIT, HAVE_XDP ? "on" : "off",
	       HAVE_DPDK ? "on" : "off", DEVPLANE_BUILDTYPE, DEVPLANE_OPTIMIZATION,
	       DEVPLANE_SANITIZE, DEVPLANE_FUZZ ? "on" : "off",
	       DEVPLANE_CC);
}

/* cmd_version() prints what this binary is: the release, the commit it
 * was built from ("unknown" from a tree without git) and how. */
static int cmd_version(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			usage_version(stdout);
			return 0;
		}
		usage_version(stderr);
		return 2;
	}
	if (optind != argc) {
		usage_version(stderr);
		return 2;
	}
	print_version();
	return 0;
}


#if !HAVE_XDP
static int shield_cli(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "devplane-dp shield: this build has no xdp backend "
			"(meson -Dxdp=disabled), so no shield\n");
	return 2;
}
#endif

/* run_cmd() runs subcommand argv[0]; argc - 1 arguments follow it.
 * Returns the exit status, or -1 when argv[0] names no subcommand. */
static int run_cmd(int argc, char **argv)
{
	if (!strcmp(argv[0], "stats"))
		return cmd_stats(argc, argv);
	if (!strcmp(argv[0], "version"))
		return cmd_version(argc, argv);
	if (!strcmp(argv[0], "shield"))
		return shield_cli(argc, argv);
	if (!strcmp(argv[0], "flood")) {
		fprintf(stderr, "devplane-dp: the flood generator is its own "
				"program now: devplane-flood (same flags)\n");
		return 2;
	}
	return -1;
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

/* parse_limit() takes "RATE:BURST" (both above 0) or "off" (rate
 * DPLINK_V5_OFF: struct dplink_msg_config's "no limit"). */
static int parse_limit(uint32_t *rate, uint32_t *burst, const char *s)
{
	const char *colon = strchr(s, ':');
	char num[16];

	if (!strcmp(s, "off")) {
		*rate = DPLINK_V5_OFF;
		*burst = 0;
		return 0;
	}
	if (!colon || (size_t)(colon - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(colon - s));
	num[colon - s] = 0;
	if (parse_u32(num, rate) < 0 || parse_u32(colon + 1, burst) < 0 ||
	    !*rate || !*burst || *rate == DPLINK_V5_OFF)
		return -EINVAL;
	return 0;
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
		{ "rlpx-mem-session", required_argument, NULL, 'S' },
		{ "rlpx-mem-worker", required_argument, NULL, 'W' },
		{ "v5-handshakes", required_argument, NULL, '5' },
		{ "whoareyou", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
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

	if (argc > 1 && argv[1][0] != '-') {
		rc = run_cmd(argc - 1, argv + 1);
		if (rc >= 0)
			return rc;
		goto bad;               /* not a subcommand */
	}
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
			if (pktio_parse_listen(&listen[n_listen], optarg) < 0)
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
		case '5':
		case 'w':
			if (parse_limit(c == '5' ? &o.v5_hs_rate :
					&o.v5_way_rate, c == '5' ?
					&o.v5_hs_burst : &o.v5_way_burst,
					optarg) < 0)
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
		case 'S':
			if (parse_size(optarg, &o.rlpx_sess_mem) < 0)
				goto bad;
			break;
		case 'W':
			if (parse_size(optarg, &o.rlpx_mem) < 0)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			free(listen);
			return 0;
		case 'V':
			print_version();
			free(listen);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || (o.control_fd < 0 && (!o.shm_path || !n_listen)))
		goto bad;
	/* The budgets as the stage will take them (0: its default). */
	if ((o.rlpx_sess_mem && o.rlpx_sess_mem < RLPX_STAGE_MEM_MIN) ||
	    (o.rlpx_mem ? o.rlpx_mem : RLPX_STAGE_MEM) <
		    (o.rlpx_sess_mem ? o.rlpx_sess_mem : RLPX_STAGE_SESS_MEM)) {
		fprintf(stderr, "devplane-dp: --rlpx-mem-session must be at "
				"least 256K and at most --rlpx-mem-worker\n");
		goto bad;
	}
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
