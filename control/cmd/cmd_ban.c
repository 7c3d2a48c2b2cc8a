/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_ban.c - `devplane ban list|add|remove`: the XDP shield's
 * blocklist. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/cmd/cmdutil.h"
#include "control/host/dplink.h"

static const enum flag_id list_flags[] = { F_IFACE, F_END };
static const enum flag_id add_flags[] = { F_IFACE, F_FOR, F_END };

static const struct flags_cmd list_cmd = {
	.path = "ban list", .max_args = 0,
	.summary = "List the shield's blocklist entries and when they expire.",
	.accept = list_flags,
};

static const struct flags_cmd add_cmd = {
	.path = "ban add", .synopsis = "CIDR", .min_args = 1, .max_args = 1,
	.summary = "Drop discovery from CIDR in XDP.",
	.accept = add_flags,
};

static const struct flags_cmd remove_cmd = {
	.path = "ban remove", .synopsis = "CIDR", .min_args = 1, .max_args = 1,
	.summary = "Remove CIDR from the blocklist.",
	.accept = list_flags,
};

int cmd_ban(int argc, char **argv)
{
	static const struct {
		const char *word, *dp_word;
		const struct flags_cmd *cmd;
	} sub[] = {
		{ "list", "bans", &list_cmd }, { "add", "ban", &add_cmd },
		{ "remove", "unban", &remove_cmd },
	};
	const char *iface;
	char bin[PATH_MAX], ifbuf[64], ttl[16], dsub[8];
	char *av[12];
	struct flags *o;
	unsigned n = 0, k;
	int status;

	for (k = 0; argc >= 1 && k < 3; k++)
		if (!strcmp(argv[0], sub[k].word))
			break;
	if (argc < 1 || k == 3) {
		int help = argc >= 1 && (!strcmp(argv[0], "--help") ||
					 !strcmp(argv[0], "-h"));

		for (unsigned i = 0; i < 3; i++)
			flags_usage(help ? stdout : stderr, sub[i].cmd);
		return help ? 0 : 2;
	}
	o = malloc(sizeof(*o));
	if (!o)
		return 1;
	status = cmd_flags(o, sub[k].cmd, argc - 1, argv + 1);
	if (status >= 0)
		goto out;
	status = 1;
	iface = o->iface;
	if (!iface) {
		DIR *d = opendir("/sys/fs/bpf/devplane");
		struct dirent *e;
		unsigned found = 0;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' &&
			    strlen(e->d_name) < sizeof(ifbuf)) {
				snprintf(ifbuf, sizeof(ifbuf), "%s",
					 e->d_name);
				found++;
			}
		if (d)
			closedir(d);
		if (found != 1) {
			fprintf(stderr, "devplane: ban: %s; use --iface\n",
				found ? "several shields pinned" :
					"no shield pinned");
			goto out;
		}
		iface = ifbuf;
	}
	dplink_find_binary(bin, sizeof(bin), NULL);
	av[n++] = bin;
	av[n++] = (char *)"shield";
	snprintf(dsub, sizeof(dsub), "%s", sub[k].dp_word);
	av[n++] = dsub;
	av[n++] = (char *)"--iface";
	av[n++] = (char *)(uintptr_t)iface;
	if (o->n_args)
		av[n++] = (char *)(uintptr_t)o->args[0];
	if (o->for_ms) {
		snprintf(ttl, sizeof(ttl), "%u", o->for_ms / 1000);
		av[n++] = (char *)"--ttl";
		av[n++] = ttl;
	}
	av[n] = NULL;
	fflush(stdout);
	execvp(bin, av);
	fprintf(stderr, "devplane: ban: exec %s: %s\n", bin, strerror(errno));
out:
	free(o);
	return status;
}
