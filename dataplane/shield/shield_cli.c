/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_cli.c - "devplane-dp shield ..." operator commands
 * for the XDP shield. Flags as every devplane-dp command takes them
 * (getopt_long; --help on stdout, exit 0; a bad line exit 2). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/shield/shield_cli.h"
#include "dataplane/shield/shield_loader.h"

static const char *const counter_names[SHIELD_COUNTER_MAX] = {
	[SHIELD_PASS_OTHER] = "pass-other",
	[SHIELD_DROP_SIZE] = "drop-size",
	[SHIELD_DROP_TYPE] = "drop-type",
	[SHIELD_DROP_RATE_SOURCE] = "drop-rate-source",
	[SHIELD_DROP_RATE_PREFIX] = "drop-rate-prefix",
	[SHIELD_DROP_BLOCKED] = "drop-blocked",
	[SHIELD_DROP_NOT_ALLOWED] = "drop-not-allowed",
	[SHIELD_REDIRECT] = "redirect",
	[SHIELD_PASS_NO_XSK] = "pass-no-xsk",
	[SHIELD_DROP_BUDGET] = "drop-budget",
	[SHIELD_REDIRECT_VERIFIED] = "redirect-verified",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: devplane-dp shield attach --iface IF [--port P] "
		"[--rate R] [--burst B]\n"
		"                   [--prefix-rate R] [--prefix-burst B] "
		"[--mode auto|multi|native|generic]\n"
		"                   [--unknown-rate R] [--unknown-burst B] "
		"[--allow CIDR ...]\n"
		"                   [--discv5 on|off]\n"
		"       devplane-dp shield detach|stats|bans|allows --iface IF\n"
		"       devplane-dp shield ban --iface IF CIDR [--ttl SECONDS]\n"
		"       devplane-dp shield unban|allow|disallow --iface IF CIDR\n"
		"All take [--pin-root DIR] (default " SHIELD_PIN_ROOT ").\n"
		"A rate of 0 disables that bucket; attach on a running shield "
		"re-opens it\nand changes only the settings given. allow and "
		"disallow edit the operator's\nentries; disallow also removes "
		"a --netrestrict one left by a crashed devplane.\nPins need "
		"bpffs: inside a network namespace use\nnsenter "
		"--net=/run/netns/NS (ip netns exec remounts /sys without it).\n");
}

struct args {
	const char *cmd;
	const char *iface;
	const char *pin_root;
	const char *cidr;
	const char *allow[32];
	unsigned n_allow;
	struct shield_cfg cfg;
	uint32_t set;      /* SHIELD_SET_*: the settings given */
	enum shield_mode mode;
	uint64_t ttl_s;
};

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_u32_arg(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = parse_u64(s, max, &v);

	if (!rc)
		*out = (uint32_t)v;
	return rc;
}

static int parse_mode(const char *s, enum shield_mode *out)
{
	for (int m = SHIELD_MODE_AUTO; m <= SHIELD_MODE_GENERIC; m++)
		if (!strcmp(s, shield_mode_name((enum shield_mode)m))) {
			*out = (enum shield_mode)m;
			return 0;
		}
	return -EINVAL;
}

/* parse_args() reads "CMD [options] [CIDR]" (argv[0] is "shield").
 * Returns 0, 1 for --help, or -EINVAL. */
static int parse_args(struct args *a, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "pin-root", required_argument, NULL, 'r' },
		{ "port", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'R' },
		{ "burst", required_argument, NULL, 'B' },
		{ "prefix-rate", required_argument, NULL, 'P' },
		{ "prefix-burst", required_argument, NULL, 'Q' },
		{ "unknown-rate", required_argument, NULL, 'K' },
		{ "unknown-burst", required_argument, NULL, 'L' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ttl", required_argument, NULL, 't' },
		{ "allow", required_argument, NULL, 'a' },
		{ "discv5", required_argument, NULL, '5' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v = 0;
	int c;

	if (argc < 2)
		return -EINVAL;
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return 1;
	a->cmd = argv[1];
	shield_default_cfg(&a->cfg, SHIELD_DEFAULT_PORT);
	/* Options follow the command: parse argv[1..] as its own line. */
	while ((c = getopt_long(argc - 1, argv + 1, "h", lo, NULL)) != -1) {
		const char *val = optarg;
		int rc = 0;

		switch (c) {
		case 'i':
			a->iface = val;
			break;
		case 'r':
			a->pin_root = val;
			break;
		case 'p':
			rc = parse_u32_arg(val, 65535, &v);
			a->cfg.discv4_port_be = htons((uint16_t)v);
			a->set |= SHIELD_SET_PORT;
			break;
		case 'R':
			rc = parse_u32_arg(val, SHIELD_MAX_RATE,
					   &a->cfg.src_rate);
			a->set |= SHIELD_SET_SRC_RATE;
			break;
		case 'B':
			rc = parse_u32_arg(val, SHIELD_MAX_BURST,
					   &a->cfg.src_burst);
			a->set |= SHIELD_SET_SRC_BURST;
			break;
		case 'P':
			rc = parse_u32_arg(val, SHIELD_MAX_RATE,
					   &a->cfg.pfx_rate);
			a->set |= SHIELD_SET_PFX_RATE;
			break;
		case 'Q':
			rc = parse_u32_arg(val, SHIELD_MAX_BURST,
					   &a->cfg.pfx_burst);
			a->set |= SHIELD_SET_PFX_BURST;
			break;
		case 'K':
			rc = parse_u32_arg(val, SHIELD_MAX_RATE,
					   &a->cfg.unk_rate);
			a->set |= SHIELD_SET_UNK_RATE;
			break;
		case 'L':
			rc = parse_u32_arg(val, SHIELD_MAX_BURST,
					   &a->cfg.unk_burst);
			a->set |= SHIELD_SET_UNK_BURST;
			break;
		case '5':       /* discv5 on the port: 63..1280, no type */
			if (strcmp(val, "on") && strcmp(val, "off"))
				return -EINVAL;
			a->cfg.flags = strcmp(val, "on") ? 0 : SHIELD_F_DISCV5;
			a->set |= SHIELD_SET_DISCV5;
			break;
		case 'm':
			rc = parse_mode(val, &a->mode);
			break;
		case 't':
			rc = parse_u64(val, UINT32_MAX, &a->ttl_s);
			break;
		case 'a':
			if (a->n_allow >= sizeof(a->allow) / sizeof(a->allow[0]))
				return -EINVAL;
			a->allow[a->n_allow++] = val;
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
		if (rc < 0)
			return rc;
	}
	/* At most one operand: the CIDR of ban, unban, allow, disallow. */
	if (optind + 1 < argc - 1)
		return -EINVAL;
	if (optind < argc - 1)
		a->cidr = argv[1 + optind];
	return a->iface ? 0 : -EINVAL;
}

static int print_ban(void *arg, const struct shield_lpm_key *key,
		     const struct shield_block_val *val)
{
	uint64_t now = *(const uint64_t *)arg;
	char cidr[64];

	if (shield_cidr_format(cidr, sizeof(cidr), key) < 0)
		return 0;
	if (!val->expires_ns)
		printf("%s\tforever\treason=%u\n", cidr, val->reason);
	else
		printf("%s\t%" PRIu64 "s\treason=%u\n", cidr,
		       val->expires_ns > now ?
			       (uint64_t)((val->expires_ns - now + 999999999) /
					  1000000000) :
			       (uint64_t)0,
		       val->reason);
	return 0;
}

/* print_cfg() prints the running config under the attach flags' names. */
static int print_cfg(struct shield_loader *l)
{
	struct shield_cfg c;
	int rc = shield_loader_get_cfg(l, &c);

	if (rc < 0)
		return rc;
	printf("port\t%u\nrate\t%u\nburst\t%u\nprefix-rate\t%u\n"
	       "prefix-burst\t%u\nunknown-rate\t%u\nunknown-burst\t%u\n"
	       "allowlist\t%s\nbucket-clock\t%s\ndiscv5\t%s\n",
	       ntohs(c.discv4_port_be), c.src_rate, c.src_burst, c.pfx_rate,
	       c.pfx_burst, c.unk_rate, c.unk_burst,
	       c.flags & SHIELD_F_ALLOWLIST ? "on" : "off",
	       c.flags & SHIELD_F_COARSE_CLOCK ? "coarse" : "exact",
	       c.flags & SHIELD_F_DISCV5 ? "on" : "off");
	return 0;
}

static int print_allow(void *arg, const struct shield_lpm_key *key,
		       uint32_t owners)
{
	char cidr[64];

	(void)arg;
	if (shield_cidr_format(cidr, sizeof(cidr), key) < 0)
		return 0;
	printf("%s\t%s%s%s\n", cidr,
	       owners & SHIELD_ALLOW_OPERATOR ? "operator" : "",
	       owners == SHIELD_ALLOW_OWNERS ? "," : "",
	       owners & SHIELD_ALLOW_NETRESTRICT ? "netrestrict" : "");
	return 0;
}

/* disallow() removes the operator's entry for key. An entry held only by
 * --netrestrict belongs to a running devplane, which replaces or removes
 * it itself; the operator may still remove it (one left by a crashed
 * devplane, say), and is told whose it was. */
static int disallow(struct shield_loader *l, const struct shield_lpm_key *key)
{
	struct shield_maps *m = shield_loader_maps(l);
	int rc = shield_maps_disallow(m, key, SHIELD_ALLOW_OPERATOR);

	if (rc != -ENOENT)
		return rc;
	rc = shield_maps_disallow(m, key, SHIELD_ALLOW_NETRESTRICT);
	if (rc == 0)
		fprintf(stderr, "shield disallow: removed a --netrestrict "
				"entry (devplane sets it again when it next "
				"starts with --netrestrict)\n");
	return rc;
}

static int cmd_attach(struct args *a)
{
	struct shield_loader *l;
	struct shield_lpm_key k;
	int rc;

	for (unsigned i = 0; i < a->n_allow; i++)
		if (shield_cidr_parse(&k, a->allow[i]) < 0) {
			fprintf(stderr, "shield: bad CIDR %s\n", a->allow[i]);
			return 2;
		}
	/* A running shield keeps every setting not given here (a fresh one
	 * gets the defaults for them). */
	rc = shield_loader_attach(&l, a->iface, a->pin_root, a->mode, &a->cfg,
				  a->set);
	if (rc < 0) {
		fprintf(stderr, "shield attach %s: %s\n", a->iface,
			strerror(-rc));
		return 1;
	}
	for (unsigned i = 0; rc == 0 && i < a->n_allow; i++) {
		shield_cidr_parse(&k, a->allow[i]);
		rc = shield_maps_allow(shield_loader_maps(l), &k,
				       SHIELD_ALLOW_OPERATOR);
	}
	if (rc < 0)
		fprintf(stderr, "shield allow: %s\n", strerror(-rc));
	else
		printf("shield %s on %s (%s mode)\n",
		       shield_loader_reattached(l) ? "re-opened" : "attached",
		       a->iface, shield_mode_name(shield_loader_mode(l)));
	shield_loader_free(l);
	return rc < 0 ? 1 : 0;
}

static int cmd_on_open(struct args *a)
{
	struct shield_loader *l;
	struct shield_maps *m;
	struct shield_lpm_key k;
	uint64_t c[SHIELD_COUNTER_MAX], now;
	const char *cmd = a->cmd;
	bool want_cidr = !strcmp(cmd, "ban") || !strcmp(cmd, "unban") ||
			 !strcmp(cmd, "allow") || !strcmp(cmd, "disallow");
	int rc;

	if (!want_cidr && strcmp(cmd, "stats") && strcmp(cmd, "bans") &&
	    strcmp(cmd, "allows"))
		return 2; /* unknown command */
	if (want_cidr != !!a->cidr)
		return 2;
	if (a->cidr && shield_cidr_parse(&k, a->cidr) < 0) {
		fprintf(stderr, "shield: bad CIDR %s\n", a->cidr);
		return 2;
	}
	rc = shield_loader_open(&l, a->iface, a->pin_root);
	if (rc < 0) {
		fprintf(stderr, "shield %s %s: %s\n", cmd, a->iface,
			rc == -ENOENT ? "no shield pinned for this interface" :
					strerror(-rc));
		return 1;
	}
	m = shield_loader_maps(l);
	now = shield_loader_now(l);
	if (!strcmp(cmd, "stats")) {
		rc = shield_maps_counters(m, c);
		printf("mode\t%s\n", shield_mode_name(shield_loader_mode(l)));
		for (int i = 0; rc == 0 && i < SHIELD_COUNTER_MAX; i++)
			printf("%s\t%" PRIu64 "\n", counter_names[i], c[i]);
		if (rc == 0) {
			uint64_t nv = 0;

			rc = shield_maps_verified(m, now, &nv);
			printf("verified-sources\t%" PRIu64 "\n", nv);
		}
		if (rc == 0)
			rc = print_cfg(l);
	} else if (!strcmp(cmd, "ban")) {
		rc = shield_maps_ban(m, &k,
				     a->ttl_s ? now + a->ttl_s * 1000000000ull :
						0,
				     SHIELD_BAN_OPERATOR);
	} else if (!strcmp(cmd, "unban")) {
		rc = shield_maps_unban(m, &k);
	} else if (!strcmp(cmd, "allow")) {
		rc = shield_maps_allow(m, &k, SHIELD_ALLOW_OPERATOR);
	} else if (!strcmp(cmd, "disallow")) {
		rc = disallow(l, &k);
	} else if (!strcmp(cmd, "allows")) {
		rc = shield_maps_allows(m, print_allow, NULL);
	} else if (!strcmp(cmd, "bans")) {
		rc = shield_maps_gc(m, now);
		if (rc >= 0)
			rc = shield_maps_bans(m, print_ban, &now);
	} else {
		shield_loader_free(l);
		return 2;
	}
	shield_loader_free(l);
	if (rc < 0) {
		fprintf(stderr, "shield %s: %s\n", cmd, strerror(-rc));
		return 1;
	}
	return 0;
}

int shield_cli(int argc, char **argv)
{
	struct args a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = parse_args(&a, argc, argv);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(a.cmd, "attach")) {
		rc = cmd_attach(&a);
	} else if (!strcmp(a.cmd, "detach")) {
		rc = shield_loader_detach(a.iface, a.pin_root);
		if (rc < 0)
			fprintf(stderr, "shield detach %s: %s\n", a.iface,
				strerror(-rc));
		rc = rc < 0 ? 1 : 0;
	} else {
		rc = cmd_on_open(&a);
	}
	if (rc == 2)
		usage(stderr);
	return rc;
}
