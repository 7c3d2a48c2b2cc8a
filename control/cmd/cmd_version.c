/* SPDX-License-Identifier: MIT */
/* control/cmd/cmd_version.c - `devplane version`: version, commit, build. */
#include <stdio.h>
#include <stdlib.h>

#include "buildinfo.h"
#include "config.h"
#include "control/cmd/cmdutil.h"
#include "control/rlpx/p2p.h"

static const enum flag_id none[] = { F_END };

static const struct flags_cmd version_cmd = {
	.path = "version",
	.summary = "Print the version, the git commit and the build options.",
	.accept = none,
};

int cmd_version(int argc, char **argv)
{
	struct flags *o = malloc(sizeof(*o));
	char client[P2P_CLIENT_ID_MAX + 1];
	int status;

	if (!o)
		return 1;
	status = cmd_flags(o, &version_cmd, argc, argv);
	if (status >= 0) {
		free(o);
		return status;
	}
	free(o);
	p2p_client_id(client, sizeof(client));
	printf("devplane %s\n", DEVPLANE_VERSION);
	printf("commit     %s\n", DEVPLANE_GIT_COMMIT);
	printf("client id  %s\n", client);
	printf("build      %s, %s, sanitize %s\n", DEVPLANE_BUILDTYPE,
	       DEVPLANE_CC, DEVPLANE_SANITIZE);
	printf("backends   socket%s%s\n", HAVE_XDP ? ", xdp" : "",
	       HAVE_DPDK ? ", dpdk" : "");
	return 0;
}
