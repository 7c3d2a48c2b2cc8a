/* SPDX-License-Identifier: MIT */
/* control/cmd/flagdefs.h - the table of every devplane flag: name, value name, help line. */
#ifndef CONTROL_CMD_FLAGDEFS_H
#define CONTROL_CMD_FLAGDEFS_H

#include "control/cmd/flagid.h"

/* One flag: name (without dashes), value name (NULL: a boolean flag),
 * help line. */
struct flag_def {
	const char *name;
	const char *metavar;
	const char *help;
};

/* flag_defs[] is indexed by enum flag_id; flags.c parses and prints
 * help from it. */
extern const struct flag_def flag_defs[F_COUNT];

#endif /* CONTROL_CMD_FLAGDEFS_H */
