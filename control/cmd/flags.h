/* SPDX-License-Identifier: MIT */
/* control/cmd/flags.h - the one flag parser of every devplane command. */
#ifndef CONTROL_FLAGS_H
#define CONTROL_FLAGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/dplink_proto.h"
#include "common/enode.h"
#include "control/cmd/flagid.h"
#include "control/base/netutil.h"
#include "control/nat/natmap.h"

/*
 * Flags follow geth where the meaning is the same (--nodekey, --nodekeyhex,
 * --addr, --netrestrict, --nat extip:IP, --bootnodes, --metrics.addr,
 * --verbosity, --maxpeers, ...). A flag is "--name value" or "--name=value";
 * a single dash works too, as Go's flag package allows; a boolean flag
 * takes no value or "=true"/"=false". Words that are not flags or flag
 * values are the command's arguments, in any order relative to the flags;
 * "--" ends the flags.
 *
 * Every flag has one meaning across commands and is defined once, in the
 * table in flags.c (name, value name, help line). A command lists the
 * flags it accepts (struct flags_cmd); the parser refuses the others with
 * the command's usage. The usage text is generated from the same table,
 * so --help and the parser cannot disagree.
 *
 * This module is a leaf: it includes only common/ and engine headers
 * (control/base/, control/nat/ for the --nat mechanisms,
 * control/dns/dnstree.h to check enrtree:// URLs).
 */

#define FLAGS_MAX_ARGS        8
#define FLAGS_GIVEN_WORDS     2         /* struct flags.given: 128 flags */
#define FLAGS_MAX_BOOTNODES   64
#define FLAGS_MAX_NETRESTRICT 64
#define FLAGS_MAX_STATIC      64
#define FLAGS_ERR_LEN         256
#define FLAGS_MAX_DNS         8         /* --discovery.dns URLs */
#define FLAGS_MAX_LINKS       16        /* dns build --links URLs */
#define FLAGS_URL_MAX         320       /* an enrtree:// URL + NUL */


enum flags_dp { FLAGS_DP_SPAWN = 0, FLAGS_DP_ATTACH };

/* Every value any command takes; a command reads the ones it accepts. */
struct flags {
	const char *args[FLAGS_MAX_ARGS];       /* arguments, in order */
	unsigned n_args;
	/* bit F_x % 64 of word F_x / 64: the flag was on the line */
	uint64_t given[FLAGS_GIVEN_WORDS];

	const char *nodekey;            /* --nodekey FILE */
	const char *nodekeyhex;         /* --nodekeyhex HEX */
	bool has_addr;                  /* --addr IP:PORT (":PORT": wildcard) */
	uint8_t addr[16];
	uint16_t port;
	struct netutil_prefix netrestrict[FLAGS_MAX_NETRESTRICT];
	size_t n_netrestrict;
	/* --nat, as geth parses it: none (default), extip:IP, upnp,
	 * pmp[:GATEWAY] or any. */
	enum natmap_mech nat;
	bool has_extip;                 /* extip:IP */
	uint8_t extip[16];
	bool has_nat_gw;                /* pmp:GATEWAY (IPv4-mapped) */
	uint8_t nat_gw[16];
	uint32_t nat_lease_ms;          /* --nat.lease DUR (0: 10 min) */
	struct enode bootnodes[FLAGS_MAX_BOOTNODES];
	unsigned n_bootnodes;
	/* --chain's bootnodes as the preset writes them (NULL for those of
	 * --bootnodes), and its discv5 bootnodes (not used yet: shown by
	 * --dry-run). */
	const char *bootnode_text[FLAGS_MAX_BOOTNODES];
	const char *const *bootnodes_v5;
	unsigned n_bootnodes_v5;
	/* --discovery.dns URLS (comma-separated, "" for none) or the --chain
	 * preset's tree; the --discovery.dns URLs live in dns_buf. */
	const char *dns_urls[FLAGS_MAX_DNS];
	unsigned n_dns;
	char dns_buf[FLAGS_MAX_DNS][FLAGS_URL_MAX];
	bool has_dns_server;            /* --dns.server IP:PORT */
	uint8_t dns_server[16];
	uint16_t dns_server_port;
	bool dry_run;                   /* --dry-run */
	struct enode statics[FLAGS_MAX_STATIC];         /* --staticnodes */
	unsigned n_statics;
	struct enode trusted[FLAGS_MAX_STATIC];         /* --trustednodes */
	unsigned n_trusted;
	enum flags_dp dp;               /* --dataplane socket|xdp:IF|dpdk|attach: */
	const char *dp_attach;          /* attach:PATH */
	const char *dp_backend;         /* spawned xdp:IFNAME or dpdk[:IFNAME] */
	const char *dp_eal;             /* --dataplane.eal ARGS (dpdk) */
	bool budget_set;                /* --dataplane.budget RATE:BURST|off */
	uint32_t budget_rate, budget_burst;     /* 0: off */
	unsigned queues;                /* --dataplane.queues N (default 1) */
	bool has_metrics;               /* --metrics.addr IP:PORT */
	uint8_t metrics_addr[16];
	uint16_t metrics_port;
	const char *db;                 /* --db PATH */
	const char *store;              /* crawl --store PATH|postgres://... */
	const char *crawl_round;        /* --crawl-round NAME */
	uint32_t lease_ms;              /* --lease-time DUR (0: default) */
	const char *report;             /* crawl --report FILE */
	int verbosity;                  /* --verbosity 0..5 (default 3) */
	bool writeaddress;              /* --writeaddress */
	bool stats;                     /* --stats: summary on exit */
	unsigned nodes;                 /* testnet --nodes N */
	uint16_t base_port;             /* testnet --base-port P */
	uint32_t timeout_ms;            /* --timeout DUR */
	const char *out;                /* crawl --out nodes.json */
	unsigned parallel;              /* crawl --parallel N (0: default) */
	unsigned max_nodes;             /* crawl --max-nodes N (0: default) */
	bool no_rlpx;                   /* crawl --no-rlpx (--rlpx: default) */
	unsigned rlpx_parallel;         /* crawl --rlpx-parallel N (0: 16) */
	uint32_t rlpx_timeout_ms;       /* crawl --rlpx-timeout DUR (0: 10 s) */
	const char *chain;              /* --chain NAME */
	uint64_t networkid;             /* --networkid N --genesis HASH */
	const char *genesis;
	const char *forks;              /* --forks N,N,... */
	bool has_head;                  /* --head NUMBER:TIME:HASH */
	uint64_t head_number, head_time;
	uint8_t head_hash[32];          /* all-zero: the genesis (block 0) */
	uint8_t ip[16];                 /* key to-enode --ip --tcp --udp */
	uint16_t tcp, udp;
	const char *ipcpath;            /* --ipcpath PATH (admin API) */
	/* --ban.threshold N|off --ban.window DUR --ban.duration DUR: the xdp
	 * dataplane's ban policy (0: its defaults; DPLINK_BAN_OFF: off). */
	uint32_t ban_threshold, ban_window_s, ban_secs;
	unsigned max_peers;             /* --maxpeers N */
	unsigned max_pending;           /* --maxpendpeers N */
	bool nodiscover;                /* --nodiscover */
	bool disc_v4, disc_v5;          /* --discovery.v4/.v5[=false] (true) */
	uint8_t tester_addr[2][16];     /* test discv4 --tester-addr IP1,IP2 */
	const char *filter;             /* test --filter S */
	uint32_t wait_ms;               /* test --wait-ms N */
	const char *iface;              /* ban --iface IF */
	uint32_t for_ms;                /* ban add --for DUR */
	/* dns build --domain D --key FILE --links URLS --seq N */
	const char *domain;
	const char *key;
	const char *links[FLAGS_MAX_LINKS];
	unsigned n_links;
	char links_buf[FLAGS_MAX_LINKS][FLAGS_URL_MAX];
	uint64_t seq;                   /* default 1 */
	/* nodeset filter: geth's -eth-network, -limit (-1: none), -min-age,
	 * -snap, -les-server, -dialable, -ip CIDR (--ip with a prefix) */
	const char *eth_network;
	int limit;
	uint32_t min_age_ms;
	bool snap, les_server, dialable;
	bool has_ip_net;
	struct netutil_prefix ip_net;
	/* sim: --loss P (percent, as parts per million), --delay DUR,
	 * --jitter DUR, --churn PCT, --partition FROM-TO, --duration DUR,
	 * --seed N, --v4|--v5, --lookups N, --broadcasts N */
	uint32_t loss_ppm;
	uint32_t delay_ms, jitter_ms, duration_ms, part_from_ms, part_to_ms;
	unsigned churn_pct, lookups, broadcasts;
	uint64_t sim_seed;
	bool sim_v5, sim_p2p;
};

/* One command: its path ("discv4 ping"), its arguments' synopsis
 * ("ENODE"), how many arguments it takes, a one-line summary, the flags it
 * accepts (ending with F_END) and a paragraph of notes for --help (NULL:
 * none). */
struct flags_cmd {
	const char *path;
	const char *synopsis;
	unsigned min_args, max_args;
	const char *summary;
	const enum flag_id *accept;
	const char *notes;
};

#define FLAGS_HELP 1                    /* flags_parse(): --help was given */

/* flags_parse() parses argv[0..argc) (the words after the command path)
 * into *o for cmd, defaults first. --chain NAME then fills the bootnodes
 * (when cmd takes --bootnodes and it was not given) and the DNS trees
 * (when cmd takes --discovery.dns and it was not given) from the chain's
 * preset (control/base/chains.h), except with --nodiscover; without
 * --chain no preset applies (the chain is still mainnet where one is
 * needed), so nothing leaves the machine unless asked to. Returns 0 (run the command),
 * FLAGS_HELP after printing cmd's usage on out (exit status 0), or
 * -EINVAL with a one-line reason in err[0..err_len) (an unknown flag, a
 * flag cmd does not take, a missing or bad value, a wrong number of
 * arguments: the caller prints it with the usage, exit status 2). */
int flags_parse(struct flags *o, const struct flags_cmd *cmd, int argc,
		char **argv, FILE *out, char *err, size_t err_len);

/* flags_usage() prints cmd's usage: synopsis, summary, one line per flag
 * it accepts, its notes. */
void flags_usage(FILE *f, const struct flags_cmd *cmd);

/* flags_given() is true when flag id was on the command line. */
bool flags_given(const struct flags *o, enum flag_id id);

/* flags_name() is flag id's name without dashes ("dataplane.queues"). */
const char *flags_name(enum flag_id id);

/* flags_parse_hostport() parses "IP:PORT", "[IPv6]:PORT" or ":PORT" (the
 * IPv4 wildcard) from s. Returns 0 or -EINVAL. */
int flags_parse_hostport(uint8_t addr[16], uint16_t *port, const char *s);

/* flags_parse_duration() parses a Go-style duration ("500ms", "2s", "1m",
 * "1.5s", "1m30s", or "0") into milliseconds. Returns 0 or -EINVAL. */
int flags_parse_duration(uint32_t *ms, const char *s);

/* flags_parse_dataplane() parses a --dataplane value: "socket" (spawned
 * child, socket backend), "xdp:IFNAME" or "dpdk[:IFNAME]" (spawned child,
 * xdp or dpdk backend: *backend = v) or "attach:PATH" (a running
 * `devplane-dp --shm PATH`: *attach = PATH). The pointers point into v.
 * Returns 0 or -EINVAL (nothing changed). */
int flags_parse_dataplane(enum flags_dp *dp, const char **attach,
			  const char **backend, const char *v);

/* flags_parse_budget() parses a --dataplane.budget value: "RATE:BURST"
 * (packets/s and burst per source IP, both > 0) or "off" (0:0). Returns 0
 * or -EINVAL (nothing changed). */
int flags_parse_budget(uint32_t *rate, uint32_t *burst, const char *v);

#endif /* CONTROL_FLAGS_H */
