/* SPDX-License-Identifier: MIT */
/* tests/bench/bench.h - shared helpers for the devplane-bench sections. */
#ifndef TESTS_BENCH_H
#define TESTS_BENCH_H
#include <stddef.h>

/* bench_now() is a monotonic clock in seconds. */
double bench_now(void);

/* bench_report() prints one aligned row: operation, ops/s, MB/s (when
 * bytes_per_op > 0) and a free-form note such as a ceiling or a ratio. */
void bench_report(const char *op, double ops_per_s, double bytes_per_op, const char *note);

/* bench_section() prints a section heading. */
void bench_section(const char *name);

/* bench_keccak_multi_mbs() is keccak-256 throughput in MB/s over n
 * independent len-byte messages hashed side by side
 * (keccak256_multi_update + keccak256_multi_peek), n <= 64: the
 * multi-buffer ceiling. From bench_keccak.c, also used by bench_fe. */
double bench_keccak_multi_mbs(size_t len, size_t n);

/* Sections, one per file tests/bench/bench_<name>.c. Each runs for a bounded
 * time (about a second per row) and prints its rows. */
void bench_keccak(void);
void bench_secp(void);
void bench_ecies(void);
void bench_frame(void);
void bench_shmring(void);
void bench_dp(void);
void bench_crawl(void);
void bench_fe(void);
void bench_handshake(void);
void bench_discv4(void);
void bench_discv5(void);

#endif /* TESTS_BENCH_H */
