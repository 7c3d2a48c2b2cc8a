/* SPDX-License-Identifier: MIT */
/* control/cmd/cmdutil.h - every devplane command, and what they share. */
#ifndef CONTROL_CMDUTIL_H
#define CONTROL_CMDUTIL_H
#include <stdint.h>
#include <stdio.h>

#include "common/dplink_proto.h"
#include "control/cmd/flags.h"
#include "control/host/loop.h"
#include "control/host/nathost.h"
#include "control/host/node.h"

/*
 * A command is one file, control/cmd/cmd_<name>.c: its struct flags_cmd
 * (the flags it takes, its usage) and its main function, which parses
 * with cmd_flags(), builds the host's configuration and runs it. argv
 * holds the words after the command path ("devplane discv4 ping X" gives
 * {"X"}). Each returns the process exit status: 0 done, 1 failed, 2 bad
 * usage.
 */
typedef int cmd_fn(int argc, char **argv);

int cmd_bootnode(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_testnet(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_key_generate(int argc, char **argv);
int cmd_key_to_enode(int argc, char **argv);
int cmd_enr_dump(int argc, char **argv);
int cmd_discv4_ping(int argc, char **argv);
int cmd_discv4_resolve(int argc, char **argv);
int cmd_test_discv4(int argc, char **argv);
int cmd_discv5_ping(int argc, char **argv);
int cmd_discv5_resolve(int argc, char **argv);
int cmd_discv5_talk(int argc, char **argv);
int cmd_test_discv5(int argc, char **argv);
int cmd_rlpx_ping(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_ban(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_key_to_enr(int argc, char **argv);
int cmd_dns_build(int argc, char **argv);
int cmd_dns_verify(int argc, char **argv);
int cmd_nodeset_filter(int argc, char **argv);
int cmd_nodeset_info(int argc, char **argv);
int cmd_sim(int argc, char **argv);

/* cmd_flags() parses argv for c into *o. Returns -1 when the command
 * should run; otherwise the exit status, after printing the usage (on
 * stdout and 0 for --help; on stderr with the reason and 2 for an error).
 * Also initialises secp256k1, which most commands need. */
int cmd_flags(struct flags *o, const struct flags_cmd *c, int argc,
	      char **argv);

/* cmd_load_key() loads --nodekey FILE or --nodekeyhex HEX into priv.
 * Returns 0 or -errno after printing why. */
int cmd_load_key(uint8_t priv[32], const struct flags *o);

/* cmd_listen() fills one dataplane listen entry. */
void cmd_listen(struct dplink_listen *l, const uint8_t addr[16],
		uint16_t port, uint16_t idx);

/* cmd_loop_cfg() fills lc from the dataplane, netrestrict, metrics and
 * verbosity flags, with listen[0..n) and db (the loop commits it). */
void cmd_loop_cfg(struct loop_cfg *lc, const struct flags *o,
		  const struct dplink_listen *listen, unsigned n,
		  struct nodedb *db);

/* cmd_nat_cfg() fills the NAT port mapper's settings from --nat,
 * --nat.lease and --verbosity; the caller adds the loop, the local node,
 * the ports and on_publish, and starts it when nathost_maps(nc->mech). */
void cmd_nat_cfg(struct nathost_cfg *nc, const struct flags *o);

/* cmd_print_engine_stats() prints one line of d's counters for --stats. */
struct discv4;
void cmd_print_engine_stats(FILE *f, const char *who, const struct discv4 *d);

/* cmd_seed() returns a random engine seed (getrandom(2)): it keys the
 * engine's hash tables, which remote peers must not be able to predict.
 * Falls back to now mixed with the pid if getrandom fails. */
uint64_t cmd_seed(uint64_t now);

/* cmd_print_sources() prints what --dry-run shows: the chain, the
 * bootnodes (as the preset writes them, else as enode URLs), the discv5
 * bootnodes, the DNS trees and the DNS server, one per line. */
void cmd_print_sources(FILE *f, const struct flags *o);

/* cmd_dns_cfg() fills the DNS host's trees and server from --discovery.dns
 * (or --chain) and --dns.server. */
struct dnshost_cfg;
void cmd_dns_cfg(struct dnshost_cfg *c, const struct flags *o);

/* cmd_err() prints "devplane: WHAT: strerror(-rc)" on stderr. */
void cmd_err(const char *what, int rc);

/* cmd_oneshot_node() is the host of the one-shot commands (discv4 and
 * discv5 ping, resolve, talk): a loop with one socket bound to bind (the
 * --addr port, else an ephemeral one) and a discovery node on it with a
 * fresh key and no table refresh, discv5 alone when v5, else discv4 alone.
 * *now is the loop's time at the start. Prints what failed; whatever was
 * created is the caller's to free (node_fini(), loop_free()). */
int cmd_oneshot_node(struct loop **l, struct node *n, const struct flags *o,
		     const uint8_t bind[16], bool v5, uint64_t *now);

#endif /* CONTROL_CMDUTIL_H */
