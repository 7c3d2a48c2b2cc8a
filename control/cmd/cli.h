/* SPDX-License-Identifier: MIT */
/* control/cmd/cli.h - devplane's command line: flag parsing and subcommands. */
#ifndef CONTROL_CLI_H
#define CONTROL_CLI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/enode.h"
#include "control/base/netutil.h"

/*
 * Flags follow geth where the meaning is the same (--nodekey, --nodekeyhex,
 * --addr, --netrestrict, --nat extip:IP, --bootnodes, --metrics.addr,
 * --verbosity). A flag is "--name value" or "--name=value"; a single dash
 * works too, as Go's flag package allows. Words that are not flags or
 * flag values are positional: the command path ("discv4 ping") and its
 * arguments, in any order relative to the flags.
 */

#define CLI_MAX_POS        8
#define CLI_MAX_BOOTNODES  64
#define CLI_MAX_NETRESTRICT 64
#define CLI_ERR_LEN        256

enum cli_dp { CLI_DP_SOCKET = 0, CLI_DP_ATTACH };

struct cli_opts {
	const char *pos[CLI_MAX_POS];   /* positional words, in order */
	unsigned n_pos;

	const char *nodekey;            /* --nodekey FILE */
	const char *nodekeyhex;         /* --nodekeyhex HEX */
	bool has_addr;                  /* --addr IP:PORT (":PORT": wildcard) */
	uint8_t addr[16];
	uint16_t port;
	struct netutil_prefix netrestrict[CLI_MAX_NETRESTRICT];
	size_t n_netrestrict;
	bool has_extip;                 /* --nat extip:IP ("none"/"any": unset) */
	uint8_t extip[16];
	struct enode bootnodes[CLI_MAX_BOOTNODES];
	unsigned n_bootnodes;
	enum cli_dp dp;                 /* --dataplane socket|xdp:IF|attach:PATH */
	const char *dp_attach;
	const char *dp_backend;         /* --dataplane xdp:IFNAME or
					 * dpdk[:IFNAME] (spawned) */
	const char *dp_eal;             /* --dataplane.eal ARGS (dpdk) */
	bool budget_set;                /* --dataplane.budget RATE:BURST|off */
	uint32_t budget_rate, budget_burst;     /* 0: off */
	bool has_metrics;               /* --metrics.addr IP:PORT */
	uint8_t metrics_addr[16];
	uint16_t metrics_port;
	const char *db;                 /* --db PATH */
	int verbosity;                  /* --verbosity 0..5 (default 3) */
	bool writeaddress;              /* --writeaddress */
	bool stats;                     /* --stats: summary on exit */
	unsigned nodes;                 /* testnet --nodes N */
	uint16_t base_port;             /* testnet --base-port P */
	uint32_t timeout_ms;            /* --timeout DUR (ping/resolve/crawl) */
	bool has_timeout;
	const char *out;                /* crawl --out nodes.json */
	unsigned parallel;              /* crawl --parallel N (0: default) */
	bool no_rlpx;                   /* crawl --no-rlpx (--rlpx: default) */
	unsigned rlpx_parallel;         /* crawl --rlpx-parallel N (0: 16) */
	uint32_t rlpx_timeout_ms;       /* crawl --rlpx-timeout DUR (0: 10 s) */
	const char *chain;              /* crawl --chain NAME */
	bool has_networkid;             /* crawl --networkid N --genesis HASH */
	uint64_t networkid;
	const char *genesis;
	const char *forks;              /* crawl --forks N,N,... */
	bool has_ip;                    /* key to-enode --ip --tcp --udp */
	uint8_t ip[16];
	uint16_t tcp, udp;
	bool has_tcp, has_udp;
	unsigned queues;                /* --dataplane.queues N */
	const char *ipcpath;            /* bootnode --ipcpath PATH (admin) */
	/* bootnode --ban.threshold N|off --ban.window DUR --ban.duration DUR:
	 * the xdp dataplane's ban policy (0: its defaults, 16 / 10 s /
	 * 600 s; threshold DPLINK_BAN_OFF for "off"). */
	uint32_t ban_threshold, ban_window_s, ban_secs;
};

/* cli_parse() parses argv[1..argc) into *o (defaults first). Returns 0, or
 * -EINVAL with a one-line reason in err[0..err_len) (unknown flag, missing
 * value, bad address, port, CIDR, enode or number). */
int cli_parse(struct cli_opts *o, int argc, char **argv, char *err,
	      size_t err_len);

/* cli_parse_hostport() parses "IP:PORT", "[IPv6]:PORT" or ":PORT" (the
 * wildcard) from s. Returns 0 or -EINVAL. */
int cli_parse_hostport(uint8_t addr[16], uint16_t *port, const char *s);

/* cli_parse_duration() parses a Go-style duration ("500ms", "2s", "1m",
 * "1.5s") into milliseconds. Returns 0 or -EINVAL. */
int cli_parse_duration(uint32_t *ms, const char *s);

/* cli_parse_node() parses an enode:// URL or an "enr:" record (verified,
 * needs ip and udp) into *out. Returns 0 or -EINVAL. */
int cli_parse_node(struct enode *out, const char *s);

/* cli_parse_dataplane() parses a --dataplane value: "socket" (spawned
 * child, socket backend), "xdp:IFNAME" or "dpdk[:IFNAME]" (spawned child,
 * xdp or dpdk backend: *backend = v) or "attach:PATH" (a running `devplane-dp --shm
 * PATH`: *attach = PATH). The pointers point into v. Returns 0 or
 * -EINVAL (nothing changed). */
int cli_parse_dataplane(enum cli_dp *dp, const char **attach,
			const char **backend, const char *v);

/* cli_parse_budget() parses a --dataplane.budget value: "RATE:BURST"
 * (packets/s and burst per source IP, both > 0) or "off" (0:0). Returns 0
 * or -EINVAL (nothing changed). */
int cli_parse_budget(uint32_t *rate, uint32_t *burst, const char *v);

/* cli_parse_queues() parses a --dataplane.queues value, 1..
 * DPLINK_MAX_QUEUES. Returns 0 or -EINVAL (nothing changed). */
int cli_parse_queues(unsigned *n, const char *v);

/* cli_main() runs the devplane command line (argv[0] is the program) and
 * returns the process exit status. Prints results on stdout and errors on
 * stderr. */
int cli_main(int argc, char **argv);

#endif /* CONTROL_CLI_H */
