/* SPDX-License-Identifier: MIT */
/* dataplane/main.c - devplane-dp: command line of the dataplane process. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dpd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: devplane-dp --control-fd N\n"
		"       devplane-dp --shm PATH [--control-socket SOCK] "
		"--listen IP:PORT [--listen ...]\n"
		"                   [--backend socket] [--queues N] "
		"[--budget RATE:BURST|off] [--cache N]\n"
		"       devplane-dp stats --shm PATH\n"
		"Without --control-fd the dataplane runs long-lived on the named "
		"region PATH;\ncontrol attaches with --dataplane attach:PATH "
		"(socket PATH.sock by default).\n");
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
	const char *shm = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--shm") && i + 1 < argc) {
			shm = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!shm) {
		usage(stderr);
		return 2;
	}
	rc = dpd_stats(stdout, shm);
	if (rc < 0) {
		fprintf(stderr, "devplane-dp stats: %s: %s\n", shm,
			strerror(-rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "control-fd", required_argument, NULL, 'f' },
		{ "shm", required_argument, NULL, 's' },
		{ "control-socket", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "queues", required_argument, NULL, 'q' },
		{ "listen", required_argument, NULL, 'l' },
		{ "budget", required_argument, NULL, 'B' },
		{ "cache", required_argument, NULL, 'C' },
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
