/* SPDX-License-Identifier: MIT */
/* control/base/chains.h - the built-in chains (mainnet, sepolia, holesky,
 * hoodi) as data in one place: network id, genesis, fork schedule,
 * bootnodes and DNS node lists. */
#ifndef CONTROL_CHAINS_H
#define CONTROL_CHAINS_H
#include <stddef.h>
#include <stdint.h>

/*
 * Sources (go-ethereum v1.17.10 unless said otherwise):
 *   network id, genesis hash   params/config.go, core/genesis.go
 *   genesis time               core/genesis.go (the genesis block header)
 *   fork schedule              params/config.go; block forks and time
 *                              forks after the genesis (EIP-2124:
 *                              forks at genesis are not forks)
 *   bootnodes (discv4)         params/bootnodes.go XxxBootnodes, enr: and
 *                              enode:// texts exactly as geth has them
 *   bootnodes (discv5)         params/bootnodes.go V5Bootnodes: geth uses
 *                              the one list for every chain
 *   DNS tree                   params.KnownDNSNetwork(genesis, "all")
 * geth v1.17.10 no longer knows holesky: its bootnodes and DNS tree are
 * those of v1.17.0, the last release that had them.
 *
 * Plain constant data: any thread.
 */

#define CHAINS_GENESIS_LEN 32
#define CHAINS_MAX_FORKS   32           /* per list (block, time) */

struct chains_preset {
	const char *name;
	uint64_t network_id;
	uint8_t genesis[CHAINS_GENESIS_LEN];
	uint64_t genesis_time;
	uint64_t block_forks[CHAINS_MAX_FORKS];  /* ascending, > 0 */
	size_t n_block;
	uint64_t time_forks[CHAINS_MAX_FORKS];   /* ascending, > genesis */
	size_t n_time;
	const char *const *bootnodes;   /* "enr:..." or "enode://..." */
	size_t n_bootnodes;
	const char *const *bootnodes_v5;        /* "enr:..." */
	size_t n_bootnodes_v5;
	const char *dns;                /* enrtree:// URL, NULL: none */
};

/* chains_by_name() returns the preset called name, or NULL. */
const struct chains_preset *chains_by_name(const char *name);

/* chains_at() returns the i-th preset (0..chains_count() - 1), or NULL. */
const struct chains_preset *chains_at(size_t i);

/* chains_count() is the number of presets. */
size_t chains_count(void);

#endif /* CONTROL_CHAINS_H */
