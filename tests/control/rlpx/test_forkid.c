/* SPDX-License-Identifier: MIT */
/* tests/control/rlpx/test_forkid.c - EIP-2124 vectors and geth forkid_test.go cases (creation, validation, encoding). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/rlp.h"
#include "control/rlpx/forkid.h"

#define MAXU64 UINT64_MAX

struct creation_case {
	uint64_t head, time;
	uint32_t hash;
	uint64_t next;
};

static void check_creation(const struct forkid_chain *c,
			   const struct creation_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct forkid id;

		forkid_compute(&id, c, cases[i].head, cases[i].time);
		if (id.hash != cases[i].hash || id.next != cases[i].next)
			fail_msg("%s case %zu (head %llu time %llu): have "
				 "%08x/%llu want %08x/%llu", c->name, i,
				 (unsigned long long)cases[i].head,
				 (unsigned long long)cases[i].time, id.hash,
				 (unsigned long long)id.next, cases[i].hash,
				 (unsigned long long)cases[i].next);
	}
}

static void chain_blocks(struct forkid_chain *c, const char *name,
			 const char *genesis_hex, const uint64_t *forks,
			 size_t n)
{
	uint8_t g[32];

	assert_int_equal(hex_decode(g, sizeof(g), genesis_hex,
				    strlen(genesis_hex)), 32);
	assert_int_equal(forkid_chain_init(c, name, 1, g, 0, forks, n, NULL,
					   0), 0);
}

#define MAINNET_GENESIS \
	"d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"

/* EIP-2124 "Test Cases": mainnet as of the Petersburg fork cap. */
static void mainnet_petersburg(struct forkid_chain *c)
{
	static const uint64_t f[] = { 1150000, 1920000, 2463000, 2675000,
				      2675000, 4370000, 7280000, 7280000 };

	chain_blocks(c, "mainnet-petersburg", MAINNET_GENESIS, f, 8);
}

static void test_forkid_crc32_genesis(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	static const uint8_t check[] = "123456789";

	(void)state;
	/* The CRC-32/IEEE check value. */
	assert_int_equal(forkid_crc32(0, check, 9), 0xcbf43926);
	assert_non_null(m);
	/* EIP-2124: forkhash0 = CRC32(<genesis-hash>) = 0xfc64ec04. */
	assert_int_equal(forkid_crc32(0, m->genesis, 32), 0xfc64ec04);
	/* Incremental update equals one pass over the concatenation. */
	{
		uint8_t buf[40];
		uint32_t a;

		memcpy(buf, m->genesis, 32);
		memset(buf + 32, 0, 8);
		buf[37] = 0x11; buf[38] = 0x8c; buf[39] = 0x30;  /* 1150000 */
		a = forkid_crc32(forkid_crc32(0, buf, 32), buf + 32, 8);
		assert_int_equal(a, forkid_crc32(0, buf, 40));
		assert_int_equal(a, 0x97c2c34c);
	}
}

static void test_forkid_eip2124_creation(void **state)
{
	struct forkid_chain c;
	static const struct creation_case mainnet[] = {
		{ 0, 0, 0xfc64ec04, 1150000 },
		{ 1149999, 0, 0xfc64ec04, 1150000 },
		{ 1150000, 0, 0x97c2c34c, 1920000 },
		{ 1919999, 0, 0x97c2c34c, 1920000 },
		{ 1920000, 0, 0x91d1f948, 2463000 },
		{ 2462999, 0, 0x91d1f948, 2463000 },
		{ 2463000, 0, 0x7a64da13, 2675000 },
		{ 2674999, 0, 0x7a64da13, 2675000 },
		{ 2675000, 0, 0x3edd5b10, 4370000 },
		{ 4369999, 0, 0x3edd5b10, 4370000 },
		{ 4370000, 0, 0xa00bc324, 7280000 },
		{ 7279999, 0, 0xa00bc324, 7280000 },
		{ 7280000, 0, 0x668db0af, 0 },
		{ 7987396, 0, 0x668db0af, 0 },
	};
	static const uint64_t ropsten_f[] = { 0, 0, 10, 10, 1700000, 4230000,
					      4939394, 6485846 };
	static const struct creation_case ropsten[] = {
		{ 0, 0, 0x30c7ddbc, 10 },
		{ 9, 0, 0x30c7ddbc, 10 },
		{ 10, 0, 0x63760190, 1700000 },
		{ 1699999, 0, 0x63760190, 1700000 },
		{ 1700000, 0, 0x3ea159c7, 4230000 },
		{ 4229999, 0, 0x3ea159c7, 4230000 },
		{ 4230000, 0, 0x97b544f3, 4939394 },
		{ 4939393, 0, 0x97b544f3, 4939394 },
		{ 4939394, 0, 0xd6e2149b, 6485846 },
		{ 6485845, 0, 0xd6e2149b, 6485846 },
		{ 6485846, 0, 0x4bc66396, 0 },
		{ 7500000, 0, 0x4bc66396, 0 },
	};
	static const uint64_t rinkeby_f[] = { 1, 2, 3, 3, 1035301, 3660663,
					      4321234, 5435345 };
	static const struct creation_case rinkeby[] = {
		{ 0, 0, 0x3b8e0691, 1 },
		{ 1, 0, 0x60949295, 2 },
		{ 2, 0, 0x8bde40dd, 3 },
		{ 3, 0, 0xcb3a64bb, 1035301 },
		{ 1035300, 0, 0xcb3a64bb, 1035301 },
		{ 1035301, 0, 0x8d748b57, 3660663 },
		{ 3660662, 0, 0x8d748b57, 3660663 },
		{ 3660663, 0, 0xe49cab14, 4321234 },
		{ 4321233, 0, 0xe49cab14, 4321234 },
		{ 4321234, 0, 0xafec6b27, 5435345 },
		{ 5435344, 0, 0xafec6b27, 5435345 },
		{ 5435345, 0, 0xcbdb8838, 0 },
		{ 6000000, 0, 0xcbdb8838, 0 },
	};
	static const uint64_t goerli_f[] = { 0, 0, 0, 0, 0, 0, 0, 1561651 };
	static const struct creation_case goerli[] = {
		{ 0, 0, 0xa3f5ab08, 1561651 },
		{ 1561650, 0, 0xa3f5ab08, 1561651 },
		{ 1561651, 0, 0xc25efa5c, 0 },
		{ 2000000, 0, 0xc25efa5c, 0 },
	};

	(void)state;
	mainnet_petersburg(&c);
	check_creation(&c, mainnet, sizeof(mainnet) / sizeof(mainnet[0]));
	chain_blocks(&c, "ropsten",
		     "41941023680923e0fe4d74a34bdac8141f2540e3ae90623718e47d66d1ca4a2d",
		     ropsten_f, 8);
	check_creation(&c, ropsten, sizeof(ropsten) / sizeof(ropsten[0]));
	chain_blocks(&c, "rinkeby",
		     "6341fd3daf94b748c72ced5a5b26028f2474f5f00d824504e4fa37a75767e177",
		     rinkeby_f, 8);
	check_creation(&c, rinkeby, sizeof(rinkeby) / sizeof(rinkeby[0]));
	chain_blocks(&c, "goerli",
		     "bf7e331f7f7c1dd2e05159666b3bf8bc7a8a3a9eb1d518969eab529dd9b88c1a",
		     goerli_f, 8);
	check_creation(&c, goerli, sizeof(goerli) / sizeof(goerli[0]));
}

/* geth core/forkid/forkid_test.go TestCreation, current schedules. */
static void test_forkid_geth_creation(void **state)
{
	static const struct creation_case mainnet[] = {
		{ 0, 0, 0xfc64ec04, 1150000 },
		{ 1149999, 0, 0xfc64ec04, 1150000 },
		{ 1150000, 0, 0x97c2c34c, 1920000 },
		{ 1919999, 0, 0x97c2c34c, 1920000 },
		{ 1920000, 0, 0x91d1f948, 2463000 },
		{ 2462999, 0, 0x91d1f948, 2463000 },
		{ 2463000, 0, 0x7a64da13, 2675000 },
		{ 2674999, 0, 0x7a64da13, 2675000 },
		{ 2675000, 0, 0x3edd5b10, 4370000 },
		{ 4369999, 0, 0x3edd5b10, 4370000 },
		{ 4370000, 0, 0xa00bc324, 7280000 },
		{ 7279999, 0, 0xa00bc324, 7280000 },
		{ 7280000, 0, 0x668db0af, 9069000 },
		{ 9068999, 0, 0x668db0af, 9069000 },
		{ 9069000, 0, 0x879d6e30, 9200000 },
		{ 9199999, 0, 0x879d6e30, 9200000 },
		{ 9200000, 0, 0xe029e991, 12244000 },
		{ 12243999, 0, 0xe029e991, 12244000 },
		{ 12244000, 0, 0x0eb440f6, 12965000 },
		{ 12964999, 0, 0x0eb440f6, 12965000 },
		{ 12965000, 0, 0xb715077d, 13773000 },
		{ 13772999, 0, 0xb715077d, 13773000 },
		{ 13773000, 0, 0x20c327fc, 15050000 },
		{ 15049999, 0, 0x20c327fc, 15050000 },
		{ 15050000, 0, 0xf0afd0e3, 1681338455 },
		{ 20000000, 1681338454, 0xf0afd0e3, 1681338455 },
		{ 20000000, 1681338455, 0xdce96c2d, 1710338135 },
		{ 30000000, 1710338134, 0xdce96c2d, 1710338135 },
		{ 30000000, 1710338135, 0x9f3d2254, 1746612311 },
		{ 30000000, 1746022486, 0x9f3d2254, 1746612311 },
		{ 30000000, 1746612311, 0xc376cf8b, 1764798551 },
		{ 30000000, 1764798550, 0xc376cf8b, 1764798551 },
		{ 30000000, 1764798551, 0x5167e2a6, 1765290071 },
		{ 30000000, 1765290070, 0x5167e2a6, 1765290071 },
		{ 30000000, 1765290071, 0xcba2a1c0, 1767747671 },
		{ 30000000, 1767747670, 0xcba2a1c0, 1767747671 },
		{ 30000000, 1767747671, 0x07c9462e, 0 },
		{ 50000000, 2000000000, 0x07c9462e, 0 },
	};
	static const struct creation_case sepolia[] = {
		{ 0, 0, 0xfe3366e7, 1735371 },
		{ 1735370, 0, 0xfe3366e7, 1735371 },
		{ 1735371, 0, 0xb96cbd13, 1677557088 },
		{ 1735372, 1677557087, 0xb96cbd13, 1677557088 },
		{ 1735372, 1677557088, 0xf7f9bc08, 1706655072 },
		{ 1735372, 1706655071, 0xf7f9bc08, 1706655072 },
		{ 1735372, 1706655072, 0x88cf81d9, 1741159776 },
		{ 1735372, 1741159775, 0x88cf81d9, 1741159776 },
		{ 1735372, 1741159776, 0xed88b5fd, 1760427360 },
		{ 1735372, 1760427359, 0xed88b5fd, 1760427360 },
		{ 1735372, 1760427360, 0xe2ae4999, 1761017184 },
		{ 1735372, 1761017183, 0xe2ae4999, 1761017184 },
		{ 1735372, 1761017184, 0x56078a1e, 1761607008 },
		{ 1735372, 1761607007, 0x56078a1e, 1761607008 },
		{ 1735372, 1761607008, 0x268956b6, 1791294816 },
		{ 1735372, 1791294815, 0x268956b6, 1791294816 },
		{ 1735372, 1791294816, 0x6c1d9423, 0 },
		{ 1735372, 2000000000, 0x6c1d9423, 0 },
	};
	static const struct creation_case holesky[] = {
		{ 0, 0, 0xc61a6098, 1696000704 },
		{ 123, 0, 0xc61a6098, 1696000704 },
		{ 123, 1696000704, 0xfd4f016b, 1707305664 },
		{ 123, 1707305663, 0xfd4f016b, 1707305664 },
		{ 123, 1707305664, 0x9b192ad0, 1740434112 },
		{ 123, 1740434111, 0x9b192ad0, 1740434112 },
		{ 123, 1740434112, 0xdfbd9bed, 1759308480 },
		{ 123, 1759308479, 0xdfbd9bed, 1759308480 },
		{ 123, 1759308480, 0x783def52, 1759800000 },
		{ 123, 1759799999, 0x783def52, 1759800000 },
		{ 123, 1759800000, 0xa280a45c, 1760389824 },
		{ 123, 1760389823, 0xa280a45c, 1760389824 },
		{ 123, 1760389824, 0x9bc6cb31, 0 },
		{ 123, 2000000000, 0x9bc6cb31, 0 },
	};
	static const struct creation_case hoodi[] = {
		{ 0, 0, 0xbef71d30, 1742999832 },
		{ 123, 1742999831, 0xbef71d30, 1742999832 },
		{ 123, 1742999832, 0x0929e24e, 1761677592 },
		{ 123, 1761677591, 0x0929e24e, 1761677592 },
		{ 123, 1761677592, 0xe7e0e7ff, 1762365720 },
		{ 123, 1762365719, 0xe7e0e7ff, 1762365720 },
		{ 123, 1762365720, 0x3893353e, 1762955544 },
		{ 123, 1762955543, 0x3893353e, 1762955544 },
		{ 123, 1762955544, 0x23aa1351, 0 },
		{ 123, 2000000000, 0x23aa1351, 0 },
	};

	(void)state;
	check_creation(forkid_chain_by_name("mainnet"), mainnet,
		       sizeof(mainnet) / sizeof(mainnet[0]));
	check_creation(forkid_chain_by_name("sepolia"), sepolia,
		       sizeof(sepolia) / sizeof(sepolia[0]));
	check_creation(forkid_chain_by_name("holesky"), holesky,
		       sizeof(holesky) / sizeof(holesky[0]));
	check_creation(forkid_chain_by_name("hoodi"), hoodi,
		       sizeof(hoodi) / sizeof(hoodi[0]));
	assert_int_equal(forkid_chain_by_name("mainnet")->network_id, 1);
	assert_int_equal(forkid_chain_by_name("sepolia")->network_id,
			 11155111);
	assert_int_equal(forkid_chain_by_name("holesky")->network_id, 17000);
	assert_int_equal(forkid_chain_by_name("hoodi")->network_id, 560048);
	assert_null(forkid_chain_by_name("goerli"));
	assert_null(forkid_chain_by_name(NULL));
}

struct valid_case {
	uint64_t head, time;
	uint32_t hash;
	uint64_t next;
	enum forkid_verdict want;
};

static void check_validation(const struct forkid_chain *c,
			     const struct valid_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct forkid id = { cases[i].hash, cases[i].next };
		enum forkid_verdict v = forkid_validate(c, cases[i].head,
							cases[i].time, &id);

		if (v != cases[i].want)
			fail_msg("%s case %zu: have %s want %s", c->name, i,
				 forkid_verdict_name(v),
				 forkid_verdict_name(cases[i].want));
	}
}

static uint32_t update(uint32_t crc, uint64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	return forkid_crc32(crc, be, 8);
}

#define OK FORKID_OK
#define STALE FORKID_REMOTE_STALE
#define INCOMPAT FORKID_LOCAL_INCOMPATIBLE

/* EIP-2124 validation vectors (mainnet, Petersburg cap). */
static void test_forkid_eip2124_validation(void **state)
{
	struct forkid_chain c;
	const struct valid_case cases[] = {
		{ 7987396, 0, 0x668db0af, 0, OK },
		{ 7987396, 0, 0x668db0af, MAXU64, OK },
		{ 7279999, 0, 0xa00bc324, 0, OK },
		{ 7279999, 0, 0xa00bc324, 7280000, OK },
		{ 7279999, 0, 0xa00bc324, MAXU64, OK },
		{ 7987396, 0, 0xa00bc324, 7280000, OK },
		{ 7987396, 0, 0x3edd5b10, 4370000, OK },
		{ 7279999, 0, 0x668db0af, 0, OK },
		{ 4369999, 0, 0xa00bc324, 0, OK },
		{ 7987396, 0, 0xa00bc324, 0, STALE },
		{ 7987396, 0, 0x5cddc0e1, 0, INCOMPAT },
		{ 7279999, 0, 0x5cddc0e1, 0, INCOMPAT },
		{ 7987396, 0, 0xafec6b27, 0, INCOMPAT },
		{ 88888888, 0, 0x668db0af, 88888888, INCOMPAT },
		{ 7279999, 0, 0xa00bc324, 7279999, INCOMPAT },
	};

	(void)state;
	mainnet_petersburg(&c);
	/* 0x5cddc0e1 is Petersburg + a fork at 0xffffffff. */
	assert_int_equal(update(0x668db0af, 0xffffffff), 0x5cddc0e1);
	check_validation(&c, cases, sizeof(cases) / sizeof(cases[0]));
}

/* geth TestValidation: legacy (block-only) and current mainnet. */
static void test_forkid_geth_validation(void **state)
{
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	struct forkid_chain legacy;
	const struct valid_case block_cases[] = {
		{ 15050000, 0, 0xf0afd0e3, 0, OK },
		{ 15050000, 0, 0xf0afd0e3, MAXU64, OK },
		{ 7279999, 0, 0xa00bc324, 0, OK },
		{ 7279999, 0, 0xa00bc324, 7280000, OK },
		{ 7279999, 0, 0xa00bc324, MAXU64, OK },
		{ 7280000, 0, 0xa00bc324, 7280000, OK },
		{ 7987396, 0, 0xa00bc324, 7280000, OK },
		{ 7987396, 0, 0x3edd5b10, 4370000, OK },
		{ 7279999, 0, 0x668db0af, 0, OK },
		{ 4369999, 0, 0xa00bc324, 0, OK },
		{ 7987396, 0, 0xa00bc324, 0, STALE },
		{ 7987396, 0, 0x5cddc0e1, 0, INCOMPAT },
		{ 7279999, 0, 0x5cddc0e1, 0, INCOMPAT },
		{ 7987396, 0, 0xafec6b27, 0, INCOMPAT },
		{ 88888888, 0, 0xf0afd0e3, 88888888, INCOMPAT },
		{ 7279999, 0, 0xa00bc324, 7279999, INCOMPAT },
	};
	const struct valid_case time_cases[] = {
		/* block to timestamp transition */
		{ 15050000, 0, 0xf0afd0e3, 0, OK },
		{ 15050000, 0, 0xf0afd0e3, 1681338455, OK },
		{ 15050000, 0, 0xf0afd0e3, MAXU64, OK },
		{ 20000000, 1681338455, 0xf0afd0e3, 1681338455, OK },
		{ 20123456, 1681338456, 0xf0afd0e3, 1681338455, OK },
		{ 20000000, 1681338455, 0x20c327fc, 15050000, OK },
		{ 15050000, 0, 0xdce96c2d, 0, OK },
		{ 13773000, 0, 0xf0afd0e3, 0, OK },
		{ 20000000, 1681338455, 0xf0afd0e3, 0, STALE },
		{ 15050000, 0, update(0xf0afd0e3, MAXU64), 0, INCOMPAT },
		{ 15050000, 0, update(0xdce96c2d, MAXU64), 0, INCOMPAT },
		{ 888888888, 1660000000, 0xf0afd0e3, 1660000000, INCOMPAT },
		{ 19999999, 1667999999, 0xf0afd0e3, 1667999999, INCOMPAT },
		/* timestamp based */
		{ 20000000, 1681338455, 0xdce96c2d, 0, OK },
		{ 20000000, 1681338455, 0xdce96c2d, MAXU64, OK },
		{ 20000000, 1668000000, 0xdce96c2d, 0, OK },
		{ 20000000, 1668000000, 0xdce96c2d, 1710338135, OK },
		{ 20000000, 1668000000, 0xdce96c2d, MAXU64, OK },
		{ 21000000, 1710338135, 0xdce96c2d, 1710338135, OK },
		{ 21123456, 1710338136, 0xdce96c2d, 1710338135, OK },
		{ 0, 0, 0x3edd5b10, 1710338135, OK },
		{ 21000000, 1700000000, 0x9f3d2254, 0, OK },
		{ 21000000, 1678000000, 0xc376cf8b, 0, OK },
		{ 21000000, 1710338135, 0xdce96c2d, 0, STALE },
		{ 20000000, 1681338455, update(0xdce96c2d, MAXU64), 0,
		  INCOMPAT },
		{ 20000000, 1668000000, update(0x9f3d2254, MAXU64), 0,
		  INCOMPAT },
		{ 20000000, 1681338455, 0x12345678, 0, INCOMPAT },
		{ 88888888, 8888888888ull, 0x07c9462e, 8888888888ull,
		  INCOMPAT },
		{ 20999999, 1699999999, 0x71147644, 1700000000, INCOMPAT },
	};

	(void)state;
	/* legacyConfig: mainnet without its time forks. */
	assert_int_equal(forkid_chain_init(&legacy, "legacy", 1, m->genesis,
					   0, m->block_forks, m->n_block,
					   NULL, 0), 0);
	check_validation(&legacy, block_cases,
			 sizeof(block_cases) / sizeof(block_cases[0]));
	check_validation(m, time_cases,
			 sizeof(time_cases) / sizeof(time_cases[0]));
}

static void test_forkid_encoding(void **state)
{
	static const struct {
		struct forkid id;
		const char *hex;
	} cases[] = {
		{ { 0, 0 }, "c6840000000080" },
		{ { 0xdeadbeef, 0xbaddcafe }, "ca84deadbeef84baddcafe" },
		{ { 0xffffffff, MAXU64 }, "ce84ffffffff88ffffffffffffffff" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[32], want[32];
		struct rlp_buf b;
		struct rlp_item item;
		struct forkid back;
		ssize_t n, wn;

		rlp_buf_init(&b, buf, sizeof(buf));
		forkid_put(&b, &cases[i].id);
		n = rlp_buf_finish(&b);
		wn = hex_decode(want, sizeof(want), cases[i].hex,
				strlen(cases[i].hex));
		assert_int_equal(n, wn);
		assert_memory_equal(buf, want, (size_t)n);
		assert_int_equal(rlp_next(&item, buf, (size_t)n), n);
		assert_int_equal(forkid_from_item(&back, &item), 0);
		assert_int_equal(back.hash, cases[i].id.hash);
		assert_true(back.next == cases[i].id.next);
	}
}

static void test_forkid_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"c5830000000080",               /* 3-byte hash */
		"c785000000000080",             /* 5-byte hash */
		"c7840000000080c0",             /* extra element */
		"c584000000000",                /* truncated (odd, skipped) */
		"c58400000000",                 /* one element */
		"c7840000000082007f",           /* next with leading zero */
		"cf84ffffffff89010000000000000000",  /* next > 2^64 */
		"c6c4000000000080",             /* hash is a list */
		"8400000000",                   /* not a list */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[32];
		struct rlp_item item;
		struct forkid id;
		ssize_t n = hex_decode(buf, sizeof(buf), bad[i],
				       strlen(bad[i]));

		if (n < 0)
			continue;
		if (rlp_next(&item, buf, (size_t)n) < 0)
			continue;
		if (forkid_from_item(&id, &item) != -EBADMSG)
			fail_msg("case %zu (%s) accepted", i, bad[i]);
	}
}

static void test_forkid_custom_chain(void **state)
{
	struct forkid_chain c;
	struct forkid id;

	(void)state;
	/* Mainnet rebuilt from flags gives mainnet's ids. */
	assert_int_equal(forkid_chain_custom(&c, 1, "0x" MAINNET_GENESIS,
		"1150000,1920000,2463000,2675000,2675000,4370000,7280000,"
		"9069000,9200000,12244000,12965000,13773000,15050000,"
		"1681338455,1710338135,1746612311,1764798551,1765290071,"
		"t1767747671"), 0);
	assert_int_equal(c.n_block, 12);
	assert_int_equal(c.n_time, 6);
	forkid_compute(&id, &c, 30000000, 1767747671);
	assert_int_equal(id.hash, 0x07c9462e);
	forkid_compute(&id, &c, 15050000, 0);
	assert_int_equal(id.hash, 0xf0afd0e3);
	assert_true(id.next == 1681338455);
	/* No forks at all: hash of the genesis, next 0. */
	assert_int_equal(forkid_chain_custom(&c, 1337, MAINNET_GENESIS, ""), 0);
	forkid_compute(&id, &c, 99, 99);
	assert_int_equal(id.hash, 0xfc64ec04);
	assert_true(id.next == 0);
	assert_int_equal(forkid_chain_custom(&c, 1337, MAINNET_GENESIS, NULL),
			 0);
	/* Forks at 0 are the genesis ruleset. */
	assert_int_equal(forkid_chain_custom(&c, 5, MAINNET_GENESIS, "0,0,5"),
			 0);
	assert_int_equal(c.n_block, 1);
	/* Rejects. */
	assert_int_equal(forkid_chain_custom(&c, 1, "abcd", ""), -EINVAL);
	assert_int_equal(forkid_chain_custom(&c, 1, MAINNET_GENESIS, "1,x"),
			 -EINVAL);
	assert_int_equal(forkid_chain_custom(&c, 1, MAINNET_GENESIS, "1,,2"),
			 -EINVAL);
	assert_int_equal(forkid_chain_custom(&c, 1, MAINNET_GENESIS, "-1"),
			 -EINVAL);
	assert_int_equal(forkid_chain_custom(&c, 1, MAINNET_GENESIS,
		"99999999999999999999999"), -EINVAL);
}

/* geth TestTimeBasedForkInGenesis: time forks at or before the genesis
 * timestamp are skipped. */
static void test_forkid_time_fork_in_genesis(void **state)
{
	const uint64_t t = 1690475657;
	const struct forkid_chain *m = forkid_chain_by_name("mainnet");
	const uint32_t g = forkid_crc32(0, m->genesis, 32);
	const uint64_t sets[3][2] = { { t - 1, t + 1 }, { t, t + 1 },
				      { t + 1, t + 2 } };

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct forkid_chain c;
		struct forkid id;

		assert_int_equal(forkid_chain_init(&c, "x", 1337, m->genesis,
						   t, NULL, 0, sets[i], 2), 0);
		forkid_compute(&id, &c, 0, t);
		assert_int_equal(id.hash, g);
		assert_true(id.next == t + 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forkid_crc32_genesis),
		cmocka_unit_test(test_forkid_eip2124_creation),
		cmocka_unit_test(test_forkid_geth_creation),
		cmocka_unit_test(test_forkid_eip2124_validation),
		cmocka_unit_test(test_forkid_geth_validation),
		cmocka_unit_test(test_forkid_encoding),
		cmocka_unit_test(test_forkid_decode_rejects),
		cmocka_unit_test(test_forkid_custom_chain),
		cmocka_unit_test(test_forkid_time_fork_in_genesis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
