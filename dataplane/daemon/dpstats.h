/* SPDX-License-Identifier: MIT */
/* dataplane/daemon/dpstats.h - the dataplane's counters as `devplane-dp
 * stats` prints them. */
#ifndef DATAPLANE_DPSTATS_H
#define DATAPLANE_DPSTATS_H
#include <stddef.h>
#include <stdio.h>

#include "common/dplink_proto.h"

/* dpd_stats_path() is PATH.stats for the region at shm_path, written into
 * buf[0..cap). Returns 0 or -ENAMETOOLONG. */
int dpd_stats_path(char *buf, size_t cap, const char *shm_path);

/* dpd_print_stats() prints the counters of a mapped shared region: a
 * "backend NAME" line, then one "workerN.name value" line per counter and
 * worker, then "total.name". */
void dpd_print_stats(FILE *f, const struct dplink_shm *shm);

/* dpd_stats() maps PATH.stats of a running attach-mode dataplane read-only
 * and prints it. Returns 0 or -errno (-EBADMSG: not a counter region). */
int dpd_stats(FILE *f, const char *shm_path);

/* dpd_stats_pid() prints the counters of a dataplane that control
 * spawned, given the pid of either process: the region is an anonymous
 * memfd both hold, reached through /proc/pid/fd (the same user, or
 * CAP_SYS_PTRACE), and readable while control is stopped. Returns 0,
 * -ENOENT (no counter region among its fds) or -errno. */
int dpd_stats_pid(FILE *f, long pid);

#endif /* DATAPLANE_DPSTATS_H */
