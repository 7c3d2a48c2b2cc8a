/* SPDX-License-Identifier: MIT */
/* control/base/nodearg.h - a node given as text: an enode URL or an ENR. */
#ifndef CONTROL_NODEARG_H
#define CONTROL_NODEARG_H
#include "common/enode.h"

/* nodearg_parse() parses s, an enode:// URL or an "enr:" record (whose
 * signature must verify and which must carry ip+udp or ip6+udp6), into
 * *out. Returns 0, -EINVAL (neither, or invalid), -ENOMEM. */
int nodearg_parse(struct enode *out, const char *s);

#endif /* CONTROL_NODEARG_H */
