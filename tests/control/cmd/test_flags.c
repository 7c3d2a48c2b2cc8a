/* SPDX-License-Identifier: MIT */
/* tests/control/cmd/test_flags.c - the one flag parser (control/cmd/flags.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control/base/chains.h"
#include "control/cmd/flags.h"

#define PUB "a448f24c6d18e575453db13171562b71999873db5b286df957af199ec94617f7" \
	    "a28beb0b07d7a8bd4df3c3eae4a45e0c2f0c5e6bd2c6f30c88d8b7e3a7a1e2b3"

static struct flags o;
static char err[FLAGS_ERR_LEN];
static enum flag_id every[F_COUNT + 1];

/* A command taking every flag and up to FLAGS_MAX_ARGS arguments: the
 * value parsers without the per-command filter. */
static const struct flags_cmd all_cmd = {
	.path = "all", .max_args = FLAGS_MAX_ARGS, .accept = every,
};

/* parse("ignored-command-word", args..., NULL): the first word stands for
 * the command path and is an argument like the others (the old parser
 * saw the whole line). */
static int parse(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)(uintptr_t)a;
	va_end(ap);
	return flags_parse(&o, &all_cmd, argc, argv, stdout, err, sizeof(err));
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < F_COUNT; i++)
		every[i] = (enum flag_id)i;
	every[F_COUNT] = F_END;
	return 0;
}

/* --nat as geth's nat.Parse() takes it. */
static void test_flags_nat_mechanisms(void **state)
{
	static const struct {
		const char *v;
		int rc;
		enum natmap_mech mech;
		bool extip, gw;
	} rows[] = {
		{ "none", 0, NATMAP_NONE, false, false },
		{ "off", 0, NATMAP_NONE, false, false },
		{ "", 0, NATMAP_NONE, false, false },
		{ "any", 0, NATMAP_ANY, false, false },
		{ "auto", 0, NATMAP_ANY, false, false },
		{ "ON", 0, NATMAP_ANY, false, false },
		{ "upnp", 0, NATMAP_UPNP, false, false },
		{ "UPnP", 0, NATMAP_UPNP, false, false },
		{ "pmp", 0, NATMAP_PMP, false, false },
		{ "natpmp", 0, NATMAP_PMP, false, false },
		{ "nat-pmp", 0, NATMAP_PMP, false, false },
		{ "pmp:192.168.0.1", 0, NATMAP_PMP, false, true },
		{ "extip:1.2.3.4", 0, NATMAP_EXTIP, true, false },
		{ "ip:1.2.3.4", 0, NATMAP_EXTIP, true, false },
		{ "extip:2001:db8::1", 0, NATMAP_EXTIP, true, false },
		{ "extip", -EINVAL, NATMAP_NONE, false, false },
		{ "extip:", -EINVAL, NATMAP_NONE, false, false },
		{ "pmp:gateway", -EINVAL, NATMAP_NONE, false, false },
		{ "pmp:2001:db8::1", -EINVAL, NATMAP_NONE, false, false },
		{ "stun", -EINVAL, NATMAP_NONE, false, false },
		{ "bogus", -EINVAL, NATMAP_NONE, false, false },
		{ "averyveryverylongmechanism", -EINVAL, NATMAP_NONE, false, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = parse("bootnode", "--nat", rows[i].v, NULL);

		if (rc != rows[i].rc)
			fail_msg("--nat %s: %d, want %d", rows[i].v, rc, rows[i].rc);
		if (rc)
			continue;
		assert_int_equal(o.nat, rows[i].mech);
		assert_int_equal(o.has_extip, rows[i].extip);
		assert_int_equal(o.has_nat_gw, rows[i].gw);
	}
	assert_int_equal(parse("bootnode", "--nat", "pmp:10.78.0.1", NULL), 0);
	assert_int_equal(o.nat_gw[12], 10);
	assert_int_equal(o.nat_gw[15], 1);
	assert_int_equal(parse("bootnode", "--nat", "extip:1.2.3.4", NULL), 0);
	assert_int_equal(o.extip[15], 4);
	/* The last --nat wins. */
	assert_int_equal(parse("bootnode", "--nat", "extip:1.2.3.4", "--nat",
			       "upnp", NULL), 0);
	assert_int_equal(o.nat, NATMAP_UPNP);
	assert_false(o.has_extip);
	/* --nat.lease: at least 5 s, only with a mapping mechanism. */
	assert_int_equal(parse("bootnode", "--nat", "upnp", "--nat.lease", "8s",
			       NULL), 0);
	assert_int_equal(o.nat_lease_ms, 8000);
	assert_int_equal(parse("bootnode", "--nat.lease", "1m", "--nat", "any",
			       NULL), 0);
	assert_int_equal(parse("bootnode", "--nat", "upnp", "--nat.lease", "4s",
			       NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--nat.lease", "10m", NULL), -EINVAL);
	assert_non_null(strstr(err, "--nat.lease needs"));
	assert_int_equal(parse("bootnode", "--nat", "extip:1.2.3.4",
			       "--nat.lease", "10m", NULL), -EINVAL);
}

static void test_flags_bootnode_flags(void **state)
{
	(void)state;
	assert_int_equal(parse("bootnode", "--nodekeyhex",
			       "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291",
			       "--addr", "127.0.0.1:30301", "--netrestrict",
			       "10.0.0.0/8, 192.168.0.0/16", "--nat=extip:1.2.3.4",
			       "--db", "/tmp/x.db", "-verbosity", "4",
			       "--metrics.addr", "127.0.0.1:6060", NULL), 0);
	assert_int_equal(o.n_args, 1);
	assert_string_equal(o.args[0], "bootnode");
	assert_non_null(o.nodekeyhex);
	assert_true(o.has_addr);
	assert_int_equal(o.port, 30301);
	assert_int_equal(o.addr[12], 127);
	assert_int_equal(o.addr[10], 0xff);
	assert_int_equal(o.n_netrestrict, 2);
	assert_int_equal(o.netrestrict[1].bits, 16);
	assert_true(o.has_extip);
	assert_int_equal(o.extip[15], 4);
	assert_string_equal(o.db, "/tmp/x.db");
	assert_int_equal(o.verbosity, 4);
	assert_true(o.has_metrics);
	assert_int_equal(o.metrics_port, 6060);
	assert_int_equal(o.dp, FLAGS_DP_SPAWN);
}

static void test_flags_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse("testnet", "--nodes", "50", NULL), 0);
	assert_int_equal(o.nodes, 50);
	assert_int_equal(o.base_port, 30400);
	assert_int_equal(o.verbosity, 3);
	assert_false(o.has_metrics);
	assert_false(o.has_addr);
	assert_int_equal(o.queues, 1);
	assert_int_equal(parse("testnet", "--nodes=1000", "--base-port=40000",
			       "--stats", NULL), 0);
	assert_int_equal(o.nodes, 1000);
	assert_int_equal(o.base_port, 40000);
	assert_true(o.stats);
}

static void test_flags_dataplane(void **state)
{
	(void)state;
	assert_int_equal(parse("bootnode", "--dataplane", "attach:/run/dp", NULL), 0);
	assert_int_equal(o.dp, FLAGS_DP_ATTACH);
	assert_string_equal(o.dp_attach, "/run/dp");
	assert_int_equal(parse("bootnode", "--dataplane", "socket", NULL), 0);
	assert_int_equal(o.dp, FLAGS_DP_SPAWN);
	assert_int_equal(parse("bootnode", "--dataplane", "xdp", NULL), -EINVAL);
	assert_non_null(strstr(err, "--dataplane"));
	assert_int_equal(parse("bootnode", "--dataplane", "attach:", NULL), -EINVAL);
	/* dpdk: spawned, its EAL arguments go to devplane-dp as one string */
	assert_int_equal(parse("bootnode", "--dataplane", "dpdk", "--dataplane.eal",
			       "--no-huge --vdev net_af_packet0,iface=v0", NULL), 0);
	assert_int_equal(o.dp, FLAGS_DP_SPAWN);
	assert_string_equal(o.dp_backend, "dpdk");
	assert_string_equal(o.dp_eal, "--no-huge --vdev net_af_packet0,iface=v0");
	assert_int_equal(parse("bootnode", "--dataplane.eal=--vdev net_af_xdp0,iface=v0",
			       "--dataplane", "dpdk:veth0", NULL), 0);
	assert_string_equal(o.dp_backend, "dpdk:veth0");
	assert_string_equal(o.dp_eal, "--vdev net_af_xdp0,iface=v0");
	assert_int_equal(parse("bootnode", "--dataplane", "dpdk:", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--dataplane", "dpdk:a-very-long-name", NULL),
			 -EINVAL);
	assert_int_equal(parse("bootnode", "--dataplane.eal", "--no-huge", NULL), -EINVAL);
	assert_non_null(strstr(err, "--dataplane.eal"));
	assert_int_equal(parse("bootnode", "--dataplane", "attach:/run/dp",
			       "--dataplane.eal", "--no-huge", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--dataplane", "xdp:eth0",
			       "--dataplane.eal", "--no-huge", NULL), -EINVAL);
	/* the spawned dataplane's per-source budget */
	assert_int_equal(parse("crawl", NULL), 0);
	assert_false(o.budget_set);
	assert_int_equal(parse("crawl", "--dataplane.budget", "off", NULL), 0);
	assert_true(o.budget_set);
	assert_int_equal(o.budget_rate, 0);
	assert_int_equal(o.budget_burst, 0);
	assert_int_equal(parse("crawl", "--dataplane.budget=20000:40000", NULL), 0);
	assert_int_equal(o.budget_rate, 20000);
	assert_int_equal(o.budget_burst, 40000);
	assert_int_equal(parse("crawl", "--dataplane.budget", "100:0", NULL), -EINVAL);
	assert_non_null(strstr(err, "--dataplane.budget"));
	assert_int_equal(parse("crawl", "--dataplane.budget", "100", NULL), -EINVAL);
	assert_int_equal(parse("crawl", "--dataplane.budget", "x:1", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--dataplane", "attach:/run/dp",
			       "--dataplane.budget", "off", NULL), -EINVAL);
	assert_non_null(strstr(err, "devplane-dp --budget"));
	/* the crawler's node set cap */
	assert_int_equal(parse("crawl", NULL), 0);
	assert_int_equal(o.max_nodes, 0);
	assert_int_equal(parse("crawl", "--max-nodes", "5000", NULL), 0);
	assert_int_equal(o.max_nodes, 5000);
	assert_int_equal(parse("crawl", "--max-nodes", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "--max-nodes"));
	assert_int_equal(parse("crawl", "--max-nodes", "4294967296", NULL),
			 -EINVAL);
}

static void test_flags_bootnodes(void **state)
{
	(void)state;
	assert_int_equal(parse("bootnode", "--bootnodes",
			       "enode://" PUB "@10.0.0.1:30303,"
			       "enode://" PUB "@[::1]:30303?discport=30301", NULL),
			 -EINVAL);      /* PUB is not on the curve */
	assert_non_null(strstr(err, "--bootnodes"));
}

static void test_flags_bootnodes_valid(void **state)
{
	/* enr.md's example record and its key. */
	static const char *rec =
		"enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjz"
		"CBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQ"
		"PKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";
	char arg[600];

	(void)state;
	snprintf(arg, sizeof(arg), "%s,enode://ca634cae0d49acb401d8a4c6b6fe"
		 "8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c"
		 "44e9e6d569fc56be00812904767bf5ccd1fc7f@127.0.0.1:30303?discport=30301",
		 rec);
	assert_int_equal(parse("bootnode", "--bootnodes", arg, NULL), 0);
	assert_int_equal(o.n_bootnodes, 2);
	assert_int_equal(o.bootnodes[0].udp, 30303);
	assert_int_equal(o.bootnodes[0].ip[12], 127);
	assert_memory_equal(o.bootnodes[0].pub, o.bootnodes[1].pub, 64);
	assert_int_equal(o.bootnodes[1].udp, 30301);
	assert_int_equal(o.bootnodes[1].tcp, 30303);
	/* A tampered record does not verify. */
	snprintf(arg, sizeof(arg), "%s", rec);
	arg[20] = arg[20] == 'A' ? 'B' : 'A';
	assert_int_equal(parse("bootnode", "--bootnodes", arg, NULL), -EINVAL);
}

static void test_flags_rejects(void **state)
{
	(void)state;
	assert_int_equal(parse("bootnode", "--bogus", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown flag"));
	assert_int_equal(parse("bootnode", "--addr", NULL), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));
	assert_int_equal(parse("bootnode", "--addr", "1.2.3.4", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--addr", "1.2.3.4:70000", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--addr", "::1:30303", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--addr", "1.2.3:1", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--nat", "upnpx", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--nat", "extip:1.2.3", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--netrestrict", "10.0.0.0/33", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--verbosity", "6", NULL), -EINVAL);
	assert_int_equal(parse("testnet", "--nodes", "0", NULL), -EINVAL);
	assert_int_equal(parse("testnet", "--nodes", "-3", NULL), -EINVAL);
	assert_int_equal(parse("testnet", "--base-port", "0", NULL), -EINVAL);
	assert_int_equal(parse("testnet", "--stats=yes", NULL), -EINVAL);
	assert_int_equal(parse("bootnode", "--nodekey", "a", "--nodekeyhex",
			       "b", NULL), -EINVAL);
	assert_non_null(strstr(err, "exclusive"));
}

static void test_flags_hostport(void **state)
{
	uint8_t a[16];
	uint16_t p;

	(void)state;
	assert_int_equal(flags_parse_hostport(a, &p, "[::1]:30303"), 0);
	assert_int_equal(p, 30303);
	assert_int_equal(a[15], 1);
	assert_int_equal(a[10], 0);
	assert_int_equal(flags_parse_hostport(a, &p, ":30301"), 0);
	assert_int_equal(p, 30301);
	assert_int_equal(a[10], 0xff);          /* IPv4 wildcard, mapped */
	assert_int_equal(a[12], 0);
	assert_int_equal(flags_parse_hostport(a, &p, "10.1.2.3:0"), 0);
	assert_int_equal(p, 0);
	assert_int_equal(flags_parse_hostport(a, &p, "[]:1"), -EINVAL);
	assert_int_equal(flags_parse_hostport(a, &p, "[::1]30303"), -EINVAL);
	assert_int_equal(flags_parse_hostport(a, &p, "1.2.3.4:"), -EINVAL);
	assert_int_equal(flags_parse_hostport(a, &p, "1.2.3.4:+5"), -EINVAL);
	assert_int_equal(flags_parse_hostport(a, &p, ""), -EINVAL);
}

static void test_flags_duration(void **state)
{
	uint32_t ms;

	(void)state;
	assert_int_equal(flags_parse_duration(&ms, "500ms"), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(flags_parse_duration(&ms, "1.5s"), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(flags_parse_duration(&ms, "1m30s"), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(flags_parse_duration(&ms, "0"), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(flags_parse_duration(&ms, "5"), -EINVAL);
	assert_int_equal(flags_parse_duration(&ms, "-1s"), -EINVAL);
	assert_int_equal(flags_parse_duration(&ms, "s"), -EINVAL);
	assert_int_equal(flags_parse_duration(&ms, "3x"), -EINVAL);
}

static void test_flags_positional_order(void **state)
{
	(void)state;
	assert_int_equal(parse("key", "to-enode", "--ip", "10.0.0.2", "k.txt",
			       "--tcp", "1", "--udp=2", NULL), 0);
	assert_int_equal(o.n_args, 3);
	assert_string_equal(o.args[2], "k.txt");
	assert_true(flags_given(&o, F_IP) && flags_given(&o, F_TCP) &&
		    flags_given(&o, F_UDP));
	assert_int_equal(o.tcp, 1);
	assert_int_equal(o.udp, 2);
	assert_int_equal(parse("discv4", "ping", "--timeout", "2s", "x", NULL), 0);
	assert_int_equal(o.timeout_ms, 2000);
	assert_string_equal(o.args[1], "ping");
}

/* A command refuses what it does not take, and counts its arguments. */
static void test_flags_per_command(void **state)
{
	static const enum flag_id takes[] = { F_TIMEOUT, F_END };
	static const struct flags_cmd ping = {
		.path = "discv4 ping", .synopsis = "ENODE", .min_args = 1,
		.max_args = 1, .accept = takes,
	};
	char *a1[] = { (char *)"--timeout", (char *)"2s", (char *)"x" };
	char *a2[] = { (char *)"x", (char *)"--db", (char *)"f" };
	char *a3[] = { (char *)"--timeout=1s" };
	char *a4[] = { (char *)"x", (char *)"y" };
	char *a5[] = { (char *)"--", (char *)"-x" };

	(void)state;
	assert_int_equal(flags_parse(&o, &ping, 3, a1, stdout, err,
				     sizeof(err)), 0);
	assert_int_equal(o.timeout_ms, 2000);
	assert_true(flags_given(&o, F_TIMEOUT));
	assert_false(flags_given(&o, F_DB));
	assert_int_equal(flags_parse(&o, &ping, 3, a2, stdout, err,
				     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not take --db"));
	assert_int_equal(flags_parse(&o, &ping, 1, a3, stdout, err,
				     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "missing ENODE"));
	assert_int_equal(flags_parse(&o, &ping, 2, a4, stdout, err,
				     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unexpected argument y"));
	/* "--" ends the flags: "-x" is an argument. */
	assert_int_equal(flags_parse(&o, &ping, 2, a5, stdout, err,
				     sizeof(err)), 0);
	assert_string_equal(o.args[0], "-x");
}

/* --help and -h print the command's usage, generated from the table. */
static void test_flags_help(void **state)
{
	static const enum flag_id takes[] = { F_NODEKEY, F_NAT, F_END };
	static const struct flags_cmd c = {
		.path = "bootnode", .summary = "Run a bootnode.",
		.accept = takes, .notes = "Some notes.",
	};
	char *h1[] = { (char *)"--nodekey", (char *)"k", (char *)"--help" };
	char *h2[] = { (char *)"-h" };
	char *h3[] = { (char *)"--bogus", (char *)"--help" };
	char buf[2048];
	FILE *f;

	(void)state;
	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_non_null(f);
	assert_int_equal(flags_parse(&o, &c, 3, h1, f, err, sizeof(err)),
			 FLAGS_HELP);
	fclose(f);
	assert_non_null(strstr(buf, "usage: devplane bootnode [flags]"));
	assert_non_null(strstr(buf, "--nodekey FILE"));
	assert_non_null(strstr(buf, "--nat none|extip:IP|upnp|pmp[:GW]|any"));
	assert_non_null(strstr(buf, "Run a bootnode."));
	assert_non_null(strstr(buf, "Some notes."));
	assert_null(strstr(buf, "--db"));
	assert_int_equal(flags_parse(&o, &c, 1, h2, stdout, err, sizeof(err)),
			 FLAGS_HELP);
	/* An error before --help is still an error. */
	assert_int_equal(flags_parse(&o, &c, 2, h3, stdout, err, sizeof(err)),
			 -EINVAL);
}

/* The node's flags: geth's names and defaults. */

#define URL1 "enrtree://AKA3AM6LPBYEUDMVNU3BSVQJ5AD45Y7YPOHJLEF6W26QOE4VTUDPE@a.example.org"
#define URL2 "enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@n"

/* --chain fills the bootnodes and the DNS tree from the preset; the
 * flags given on the line win; "" disables; --nodiscover wants none;
 * a command that does not take them gets none. */
static void test_flags_chain_presets(void **state)
{
	const struct chains_preset *m = chains_by_name("mainnet");
	static const enum flag_id chain_only[] = { F_CHAIN, F_END };
	static const struct flags_cmd status_cmd = {
		.path = "status", .accept = chain_only,
	};
	char *argv[] = { "--chain", "hoodi" };

	(void)state;
	assert_int_equal(parse("crawl", "--chain", "mainnet", NULL), 0);
	assert_int_equal(o.n_bootnodes, m->n_bootnodes);
	for (unsigned i = 0; i < o.n_bootnodes; i++)
		assert_string_equal(o.bootnode_text[i], m->bootnodes[i]);
	assert_int_equal(o.n_bootnodes_v5, m->n_bootnodes_v5);
	assert_int_equal(o.n_dns, 1);
	assert_string_equal(o.dns_urls[0], m->dns);
	assert_false(o.has_dns_server);

	/* --bootnodes replaces the preset's, DNS stays. */
	assert_int_equal(parse("crawl", "--chain", "sepolia", "--bootnodes",
			       "enode://ca634cae0d49acb401d8a4c6b6fe8c55b70d115b"
			       "f400769cc1400f3258cd31387574077f301b421bc84df72"
			       "66c44e9e6d569fc56be00812904767bf5ccd1fc7f@127.0.0."
			       "1:30303", NULL), 0);
	assert_int_equal(o.n_bootnodes, 1);
	assert_null(o.bootnode_text[0]);
	assert_int_equal(o.n_bootnodes_v5, 0);
	assert_string_equal(o.dns_urls[0], chains_by_name("sepolia")->dns);

	/* --discovery.dns replaces the tree; "" means none; bootnodes stay. */
	assert_int_equal(parse("node", "--chain", "hoodi", "--discovery.dns",
			       URL1 "," URL2, "--dns.server", "127.0.0.1:5353",
			       NULL), 0);
	assert_int_equal(o.n_dns, 2);
	assert_string_equal(o.dns_urls[0], URL1);
	assert_string_equal(o.dns_urls[1], URL2);
	assert_int_equal(o.n_bootnodes, chains_by_name("hoodi")->n_bootnodes);
	assert_true(o.has_dns_server);
	assert_int_equal(o.dns_server_port, 5353);
	assert_int_equal(o.dns_server[12], 127);
	assert_int_equal(parse("node", "--chain", "hoodi", "--bootnodes", "",
			       "--discovery.dns=", NULL), 0);
	assert_int_equal(o.n_bootnodes, 0);
	assert_int_equal(o.n_dns, 0);

	/* --nodiscover: neither; no --chain: neither. */
	assert_int_equal(parse("node", "--chain", "mainnet", "--nodiscover",
			       NULL), 0);
	assert_int_equal(o.n_bootnodes, 0);
	assert_int_equal(o.n_dns, 0);
	assert_int_equal(parse("node", NULL), 0);
	assert_int_equal(o.n_bootnodes, 0);
	assert_int_equal(o.n_dns, 0);
	assert_int_equal(parse("node", "--discovery.dns", URL2, NULL), 0);
	assert_int_equal(o.n_dns, 1);
	assert_int_equal(o.n_bootnodes, 0);

	/* A command taking --chain alone gets no bootnodes or trees. */
	assert_int_equal(flags_parse(&o, &status_cmd, 2, argv, stdout, err,
				     sizeof(err)), 0);
	assert_int_equal(o.n_bootnodes, 0);
	assert_int_equal(o.n_dns, 0);

	/* Refused: an unknown chain, bad URLs, a bad server. */
	assert_int_equal(parse("node", "--chain", "goerli", NULL), -EINVAL);
	assert_non_null(strstr(err, "unknown chain"));
	assert_int_equal(parse("node", "--discovery.dns", "enrtree://x@y",
			       NULL), -EINVAL);
	assert_int_equal(parse("node", "--discovery.dns", "https://x", NULL),
			 -EINVAL);
	assert_int_equal(parse("node", "--dns.server", "127.0.0.1", NULL),
			 -EINVAL);
	assert_int_equal(parse("node", "--dns.server", "127.0.0.1:0", NULL),
			 -EINVAL);
	assert_int_equal(parse("node", "--dns.server", ":53", NULL), -EINVAL);
	assert_int_equal(parse("node", "--dry-run", NULL), 0);
	assert_true(o.dry_run);
}

/* dns build and nodeset filter flags; geth's single-dash spelling. */
static void test_flags_dns_and_nodeset(void **state)
{
	(void)state;
	assert_int_equal(parse("dns", "--domain", "a.example.org", "--key",
			       "k", "--links", URL1 ", " URL2, "--seq", "42",
			       NULL), 0);
	assert_string_equal(o.domain, "a.example.org");
	assert_string_equal(o.key, "k");
	assert_int_equal(o.n_links, 2);
	assert_string_equal(o.links[1], URL2);
	assert_int_equal(o.seq, 42);
	assert_int_equal(parse("dns", NULL), 0);
	assert_int_equal(o.seq, 1);
	assert_int_equal(o.limit, -1);
	assert_int_equal(parse("dns", "--seq", "-1", NULL), -EINVAL);
	assert_int_equal(parse("dns", "--links", "x", NULL), -EINVAL);

	assert_int_equal(parse("nodeset", "-eth-network", "sepolia", "-limit",
			       "10", "-min-age", "24h", "-snap", "-dialable",
			       "-les-server", "-ip", "10.0.0.0/8", NULL), 0);
	assert_string_equal(o.eth_network, "sepolia");
	assert_int_equal(o.limit, 10);
	assert_int_equal(o.min_age_ms, 24u * 3600 * 1000);
	assert_true(o.snap && o.dialable && o.les_server);
	assert_true(o.has_ip_net);
	assert_int_equal(o.ip_net.bits, 8);
	assert_int_equal(parse("nodeset", "-eth-network", "goerli", NULL),
			 -EINVAL);
	assert_int_equal(parse("nodeset", "-limit", "x", NULL), -EINVAL);
	assert_int_equal(parse("nodeset", "-ip", "10.0.0.0/33", NULL), -EINVAL);
	/* --ip without a prefix is still key to-enode's address. */
	assert_int_equal(parse("key", "--ip", "10.1.2.3", NULL), 0);
	assert_false(o.has_ip_net);
	assert_int_equal(o.ip[15], 3);
}

static void test_flags_node(void **state)
{
	(void)state;
	assert_int_equal(parse("node", NULL), 0);
	assert_int_equal(o.max_peers, 50);
	assert_int_equal(o.max_pending, 50);
	assert_false(o.nodiscover);
	assert_int_equal(parse("node", "--maxpeers", "0", "--maxpendpeers=7",
			       "--nodiscover", "--chain", "sepolia", NULL), 0);
	assert_int_equal(o.max_peers, 0);
	assert_int_equal(o.max_pending, 7);
	assert_true(o.nodiscover);
	assert_string_equal(o.chain, "sepolia");
	assert_int_equal(parse("node", "--maxpendpeers", "0", NULL), -EINVAL);
	assert_int_equal(parse("node", "--chain", "sepolia", "--networkid",
			       "5", "--genesis", "0x00", NULL), -EINVAL);
	assert_non_null(strstr(err, "excludes"));
	assert_int_equal(parse("node", "--networkid", "5", NULL), -EINVAL);
	assert_non_null(strstr(err, "go together"));
	assert_int_equal(parse("node", "--staticnodes", "enode://" PUB
			       "@10.0.0.1:30303", NULL), -EINVAL);
	assert_int_equal(parse("test", "--tester-addr", "10.0.0.1,10.0.0.2",
			       "--wait-ms", "700", "--filter", "Ping", NULL), 0);
	assert_int_equal(o.tester_addr[1][15], 2);
	assert_int_equal(o.wait_ms, 700);
	assert_int_equal(parse("test", "--tester-addr", "10.0.0.1", NULL),
			 -EINVAL);
	assert_int_equal(parse("ban", "--for", "500ms", NULL), -EINVAL);
	assert_int_equal(parse("ban", "--for", "1h", NULL), 0);
	assert_int_equal(o.for_ms, 3600000);
}

/* geth's --discovery.v4 / --discovery.v5: booleans that default to true,
 * turned off with =false; given twice, the last wins. */
static void test_flags_discovery(void **state)
{
	(void)state;
	assert_int_equal(parse("node", NULL), 0);
	assert_true(o.disc_v4);
	assert_true(o.disc_v5);
	assert_int_equal(parse("node", "--discovery.v5=false", NULL), 0);
	assert_true(o.disc_v4);
	assert_false(o.disc_v5);
	assert_int_equal(parse("node", "--discovery.v4=false",
			       "-discovery.v5=true", NULL), 0);
	assert_false(o.disc_v4);
	assert_true(o.disc_v5);
	assert_int_equal(parse("node", "--discovery.v5=false",
			       "--discovery.v5", NULL), 0);
	assert_true(o.disc_v5);
	assert_int_equal(parse("node", "--discovery.v5=no", NULL), -EINVAL);
	assert_non_null(strstr(err, "boolean"));
	/* The other booleans keep "=false: not given". */
	assert_int_equal(parse("node", "--stats=false", "--nodiscover=false",
			       NULL), 0);
	assert_false(o.stats);
	assert_false(o.nodiscover);
}

/* The crawl store's flags: a SQLite path or a PostgreSQL URL, a round
 * name, a lease time of at least a second, and --db excluding --store. */
static void test_flags_crawl_store(void **state)
{
	(void)state;
	assert_int_equal(parse("crawl", "--store", "postgres://h/db",
			       "--crawl-round", "r1", "--lease-time", "5s",
			       "--report", "r.html", NULL), 0);
	assert_string_equal(o.store, "postgres://h/db");
	assert_string_equal(o.crawl_round, "r1");
	assert_int_equal(o.lease_ms, 5000);
	assert_string_equal(o.report, "r.html");
	assert_true(flags_given(&o, F_LEASE_TIME));
	assert_int_equal(parse("crawl", "--lease-time", "500ms", NULL), -EINVAL);
	assert_non_null(strstr(err, "--lease-time"));
	assert_int_equal(parse("crawl", "--crawl-round", "", NULL), -EINVAL);
	assert_int_equal(parse("crawl", "--db", "a", "--store", "b", NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "exclusive"));
	assert_int_equal(parse("crawl", NULL), 0);
	assert_int_equal(o.lease_ms, 0);
	assert_null(o.store);
}

/* --head NUMBER:TIME:HASH: decimal or 0x-hex numbers, the hash with or
 * without 0x; a zero hash only for block 0. */
static void test_flags_head(void **state)
{
	(void)state;
	assert_int_equal(parse("node", NULL), 0);
	assert_false(o.has_head);
	assert_int_equal(parse("node", "--head", "1735373:1677557088:0x"
			       "bb04050600000000000000000000000000000000"
			       "00000000000000000000000b", NULL), 0);
	assert_true(o.has_head);
	assert_int_equal(o.head_number, 1735373);
	assert_int_equal(o.head_time, 1677557088);
	assert_int_equal(o.head_hash[0], 0xbb);
	assert_int_equal(o.head_hash[31], 0x0b);
	assert_int_equal(parse("node", "--head", "0x1a7acd:0x63fc6e20:"
			       "bb04050600000000000000000000000000000000"
			       "00000000000000000000000b", NULL), 0);
	assert_int_equal(o.head_number, 1735373);
	assert_int_equal(o.head_time, 1677487648);
	assert_int_equal(parse("node", "--head", "0:0", NULL), 0);
	assert_true(o.has_head);
	assert_int_equal(o.head_number, 0);
	assert_int_equal(parse("node", "--head", "5:0", NULL), -EINVAL);
	assert_non_null(strstr(err, "needs its hash"));
	assert_int_equal(parse("node", "--head", "5:0:0x00000000000000000000"
			       "00000000000000000000000000000000000000000000",
			       NULL), -EINVAL);
	assert_non_null(strstr(err, "needs its hash"));
	assert_int_equal(parse("node", "--head", "5", NULL), -EINVAL);
	assert_int_equal(parse("node", "--head", "-5:0:0xbb", NULL), -EINVAL);
	assert_int_equal(parse("node", "--head", "5:x:0xbb", NULL), -EINVAL);
	assert_int_equal(parse("node", "--head", "5:1:0xbb", NULL), -EINVAL);
	assert_int_equal(parse("node", "--head", "9223372036854775808:1:", NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_discovery),
		cmocka_unit_test(test_flags_bootnode_flags),
		cmocka_unit_test(test_flags_nat_mechanisms),
		cmocka_unit_test(test_flags_defaults),
		cmocka_unit_test(test_flags_dataplane),
		cmocka_unit_test(test_flags_bootnodes),
		cmocka_unit_test(test_flags_bootnodes_valid),
		cmocka_unit_test(test_flags_rejects),
		cmocka_unit_test(test_flags_hostport),
		cmocka_unit_test(test_flags_duration),
		cmocka_unit_test(test_flags_positional_order),
		cmocka_unit_test(test_flags_per_command),
		cmocka_unit_test(test_flags_help),
		cmocka_unit_test(test_flags_node),
		cmocka_unit_test(test_flags_chain_presets),
		cmocka_unit_test(test_flags_dns_and_nodeset),
		cmocka_unit_test(test_flags_crawl_store),
		cmocka_unit_test(test_flags_head),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
