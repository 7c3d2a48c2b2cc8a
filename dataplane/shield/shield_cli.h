/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_cli.h - "devplane-dp shield ..." operator commands for the XDP shield. */
#ifndef DATAPLANE_SHIELD_CLI_H
#define DATAPLANE_SHIELD_CLI_H

/* shield_cli() runs "shield attach|detach|stats|ban|unban|bans|allow|
 * disallow --iface IF ..."; argv[0] is "shield". Prints results on stdout
 * and errors on stderr. Returns the process exit status: 0 success,
 * 1 failure, 2 usage error. */
int shield_cli(int argc, char **argv);

#endif /* DATAPLANE_SHIELD_CLI_H */
