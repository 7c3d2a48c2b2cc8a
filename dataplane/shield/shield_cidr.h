/* SPDX-License-Identifier: MIT */
/* dataplane/shield/shield_cidr.h - CIDR text <-> the shield's LPM keys. */
#ifndef DATAPLANE_SHIELD_CIDR_H
#define DATAPLANE_SHIELD_CIDR_H
#include <stdbool.h>
#include <stddef.h>

#include "bpf/shield.h"

/* shield_cidr_key_valid() tells whether key is an IPv4 or IPv6 LPM key
 * with a prefix length in range (host bits are not checked). */
bool shield_cidr_key_valid(const struct shield_lpm_key *key);

/* shield_cidr_parse() parses "1.2.3.0/24", "2001:db8::/32" or a bare
 * address (full length) into an LPM key with host bits cleared.
 * Returns 0 or -EINVAL. */
int shield_cidr_parse(struct shield_lpm_key *out, const char *s);

/* shield_cidr_format() writes key as CIDR text into buf[0..len).
 * Returns 0, or -ENOSPC if it does not fit (64 bytes always do). */
int shield_cidr_format(char *buf, size_t len,
		       const struct shield_lpm_key *key);

#endif /* DATAPLANE_SHIELD_CIDR_H */
