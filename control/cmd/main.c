/* SPDX-License-Identifier: MIT */
/* control/cmd/main.c - the devplane executable: finds the command and runs
 * it. */
#include <stdio.h>
#include <string.h>

#include "control/cmd/cmdutil.h"

/* Commands by path; the first word alone names a group for the listing. */
static const struct {
	const char *w1, *w2;            /* w2 NULL: a one-word command */
	cmd_fn *fn;
	const char *summary;
} cmds[] = {
	{ "bootnode", NULL, cmd_bootnode, "a discovery bootnode (v4 and v5)" },
	{ "node", NULL, cmd_node, "an RLPx node: discovery, eth, ping/1" },
	{ "crawl", NULL, cmd_crawl, "crawl the network, write nodes.json" },
	{ "report", NULL, cmd_report, "a crawl's HTML report from its database" },
	{ "testnet", NULL, cmd_testnet, "N discovery nodes on loopback" },
	{ "discv4", "ping", cmd_discv4_ping, "ping a node" },
	{ "discv4", "resolve", cmd_discv4_resolve, "a node's current ENR" },
	{ "discv5", "ping", cmd_discv5_ping, "ping a node over discovery v5" },
	{ "discv5", "resolve", cmd_discv5_resolve, "a node's current ENR (v5)" },
	{ "discv5", "talk", cmd_discv5_talk, "a TALKREQ, print the TALKRESP" },
	{ "rlpx", "ping", cmd_rlpx_ping, "handshake and Hello with a node" },
	{ "test", "discv4", cmd_test_discv4, "the discv4 conformance suite" },
	{ "test", "discv5", cmd_test_discv5, "the discv5 conformance suite" },
	{ "key", "generate", cmd_key_generate, "a new node key file" },
	{ "key", "to-enode", cmd_key_to_enode, "a key file's enode URL" },
	{ "key", "to-enr", cmd_key_to_enr, "a record signed by a key file" },
	{ "enr", "dump", cmd_enr_dump, "an ENR's fields and signature" },
	{ "dns", "build", cmd_dns_build, "an EIP-1459 tree: txt.json, zone" },
	{ "dns", "verify", cmd_dns_verify, "walk a tree through DNS, check it" },
	{ "nodeset", "filter", cmd_nodeset_filter, "filter nodes.json (geth's)" },
	{ "nodeset", "info", cmd_nodeset_info, "ENR key counts of nodes.json" },
	{ "admin", NULL, cmd_admin, "one admin API call over --ipcpath" },
	{ "sim", NULL, cmd_sim, "simulate N nodes on a virtual clock" },
	{ "ban", NULL, cmd_ban, "the XDP shield's blocklist: list|add|remove" },
	{ "version", NULL, cmd_version, "version, commit, build options" },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f, const char *group)
{
	fputs("usage: devplane COMMAND [flags] [args]\n\ncommands:\n", f);
	for (size_t i = 0; i < N_CMDS; i++) {
		char path[40];

		if (group && strcmp(group, cmds[i].w1))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", cmds[i].w1,
			 cmds[i].w2 ? " " : "", cmds[i].w2 ? cmds[i].w2 : "");
		fprintf(f, "  %-20s %s\n", path, cmds[i].summary);
	}
	fputs("\n`devplane COMMAND --help` shows a command's flags.\n", f);
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

int main(int argc, char **argv)
{
	bool group = false;

	if (argc < 2) {
		usage(stderr, NULL);
		return 2;
	}
	if (is_help(argv[1])) {
		usage(stdout, NULL);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-version"))
		return cmd_version(0, argv + 2);
	for (size_t i = 0; i < N_CMDS; i++) {
		if (strcmp(argv[1], cmds[i].w1))
			continue;
		group = true;
		if (!cmds[i].w2)
			return cmds[i].fn(argc - 2, argv + 2);
		if (argc >= 3 && !strcmp(argv[2], cmds[i].w2))
			return cmds[i].fn(argc - 3, argv + 3);
	}
	if (group) {
		/* "devplane discv4" alone, or with --help or an unknown
		 * subcommand: list the group. */
		bool help = argc >= 3 && is_help(argv[2]);

		if (!help)
			fprintf(stderr, "devplane: unknown command: %s%s%s\n",
				argv[1], argc >= 3 ? " " : "",
				argc >= 3 ? argv[2] : "");
		usage(help ? stdout : stderr, argv[1]);
		return help ? 0 : 2;
	}
	fprintf(stderr, "devplane: unknown command: %s\n", argv[1]);
	usage(stderr, NULL);
	return 2;
}
