/* SPDX-License-Identifier: MIT */
/* control/store/visitrow.h - the crawler's results as crawl database rows: the discovery and RLPx parts of a visit. */
#ifndef CONTROL_VISITROW_H
#define CONTROL_VISITROW_H
#include <stddef.h>

#include "control/crawl/crawl.h"
#include "control/rlpx/rlpxprobe.h"
#include "control/store/crawldb.h"

/* visitrow_disc() fills the discovery part of a visit from o, one of the
 * crawler's results whose check finished (CRAWL_EV_DONE), and record, the
 * node's latest record text ("enr:..." when verified; NULL: none): the
 * ENR keys are read from it. */
void visitrow_disc(struct crawldb_disc *v, const struct crawl_out *o,
		   const char *record);

/* visitrow_rlpx() fills the RLPx part of a visit from a probe result:
 * client id split into name and version (crawl_rlpx_client_key()), caps
 * as "eth/68,snap/1", the Status (with the eth/69+ block range), our
 * check's verdict, the Disconnect and the error class
 * (crawl_rlpx_error_class()). */
void visitrow_rlpx(struct crawldb_rlpx *v, const struct rlpxprobe_result *r);

/* visitrow_enr_keys() writes the keys of the ENR text rec, in the
 * record's (sorted) order, comma-separated and non-printable bytes as
 * '?', into out[0..cap). Returns 0, -EBADMSG (not an ENR text), -ENOMEM. */
int visitrow_enr_keys(char *out, size_t cap, const char *rec);

/* visitrow_fail_name() names an enum crawl_fail ("timeout", "rejected",
 * "enr timeout", "enr invalid"); "" for -1. */
const char *visitrow_fail_name(int fail);

#endif /* CONTROL_VISITROW_H */
