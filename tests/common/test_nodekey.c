/* SPDX-License-Identifier: MIT */
/* tests/common/test_nodekey.c - node key files and --nodekeyhex, in a temp dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hex.h"
#include "common/nodekey.h"
#include "common/secp.h"

#define KEY_HEX "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"
/* n, the group order: the first invalid key. */
#define ORDER_HEX "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

struct tmp {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	static struct tmp t;

	snprintf(t.dir, sizeof(t.dir), "/tmp/test_nodekey.XXXXXX");
	if (!mkdtemp(t.dir))
		return -1;
	snprintf(t.path, sizeof(t.path), "%s/nodekey", t.dir);
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	DIR *d = opendir(t->dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(t->dir);
	return 0;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

/* Files in the temp dir, to see that no temporary is left behind. */
static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_nodekey_parse_hex(void **state)
{
	uint8_t k[32], want[32];

	(void)state;
	hex_decode(want, 32, KEY_HEX, 64);
	assert_int_equal(nodekey_parse_hex(k, KEY_HEX, 64), 0);
	assert_memory_equal(k, want, 32);
	assert_int_equal(nodekey_parse_hex(k, "B71C71A67E1177AD4E901695E1B4B9EE17AE16C6668D313EAC2F96DBCDA3F291", 64), 0);
	assert_memory_equal(k, want, 32);

	memset(k, 0x55, sizeof(k));
	assert_int_equal(nodekey_parse_hex(k, KEY_HEX, 63), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, KEY_HEX "00", 66), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, "0x" KEY_HEX, 66), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, "0x71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291", 64), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, "g71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291", 64), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, " 71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291", 64), -EBADMSG);
	/* Out of range: 0 and n. n - 1 is the largest valid key. */
	assert_int_equal(nodekey_parse_hex(k, "0000000000000000000000000000000000000000000000000000000000000000", 64), -EBADMSG);
	assert_int_equal(nodekey_parse_hex(k, ORDER_HEX, 64), -EBADMSG);
	/* Nothing written on failure. */
	for (int i = 0; i < 32; i++)
		assert_int_equal(k[i], 0x55);
	assert_int_equal(nodekey_parse_hex(k, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140", 64), 0);
}

static void test_nodekey_load(void **state)
{
	struct tmp *t = *state;
	uint8_t k[32], want[32];

	hex_decode(want, 32, KEY_HEX, 64);
	assert_int_equal(nodekey_load(k, t->path), -ENOENT);

	write_file(t->path, KEY_HEX, 64);        /* as geth writes it */
	assert_int_equal(nodekey_load(k, t->path), 0);
	assert_memory_equal(k, want, 32);
	write_file(t->path, KEY_HEX "\n", 65);   /* as an editor leaves it */
	memset(k, 0, sizeof(k));
	assert_int_equal(nodekey_load(k, t->path), 0);
	assert_memory_equal(k, want, 32);

	static const struct {
		const char *what, *body;
	} bad[] = {
		{ "empty", "" },
		{ "short", "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f29" },
		{ "short + newline", "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f29\n" },
		{ "two newlines", KEY_HEX "\n\n" },
		{ "crlf", KEY_HEX "\r\n" },
		{ "space", KEY_HEX " " },
		{ "leading space", " " KEY_HEX },
		{ "long", KEY_HEX "00" },
		{ "very long", KEY_HEX KEY_HEX },
		{ "non-hex", "z71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291" },
		{ "0x", "0x" KEY_HEX },
		{ "zero key", "0000000000000000000000000000000000000000000000000000000000000000" },
		{ "order", ORDER_HEX },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc;

		write_file(t->path, bad[i].body, strlen(bad[i].body));
		rc = nodekey_load(k, t->path);
		if (rc != -EBADMSG)
			fail_msg("'%s': got %d, want -EBADMSG", bad[i].what, rc);
	}
	/* A directory is not a key file. */
	assert_true(nodekey_load(k, t->dir) < 0);
	unlink(t->path);
}

static void test_nodekey_save(void **state)
{
	struct tmp *t = *state;
	uint8_t k[32], got[32], other[32];
	char body[80];
	struct stat st;

	hex_decode(k, 32, KEY_HEX, 64);
	assert_int_equal(nodekey_save(t->path, k), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(read_file(t->path, body, sizeof(body)), 64);
	assert_memory_equal(body, KEY_HEX, 64); /* no newline, as geth */
	assert_int_equal(count_files(t->dir), 1);
	assert_int_equal(nodekey_load(got, t->path), 0);
	assert_memory_equal(got, k, 32);

	/* Saving replaces the key atomically. */
	memset(other, 0x01, sizeof(other));
	assert_int_equal(nodekey_save(t->path, other), 0);
	assert_int_equal(nodekey_load(got, t->path), 0);
	assert_memory_equal(got, other, 32);
	assert_int_equal(count_files(t->dir), 1);

	/* An invalid key is never written. */
	memset(other, 0, sizeof(other));
	assert_int_equal(nodekey_save(t->path, other), -EINVAL);
	assert_int_equal(nodekey_load(got, t->path), 0);
	assert_int_equal(got[0], 0x01);

	/* Missing directory: the error, and nothing left behind. */
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/no/such/nodekey", t->dir);
	assert_int_equal(nodekey_save(missing, k), -ENOENT);
	assert_int_equal(count_files(t->dir), 1);
	unlink(t->path);
}

static void test_nodekey_load_or_generate(void **state)
{
	struct tmp *t = *state;
	uint8_t k1[32], k2[32], pub[64];
	struct stat st;
	char body[80];

	assert_int_equal(nodekey_load_or_generate(k1, t->path), 0);
	assert_true(secp_priv_check(k1));
	assert_int_equal(secp_pub_from_priv(pub, k1), 0);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(read_file(t->path, body, sizeof(body)), 64);
	assert_int_equal(count_files(t->dir), 1);
	/* Second start: the same key, not a new one. */
	assert_int_equal(nodekey_load_or_generate(k2, t->path), 0);
	assert_memory_equal(k1, k2, 32);
	/* A corrupt file is an error, never silently replaced. */
	write_file(t->path, "junk", 4);
	assert_int_equal(nodekey_load_or_generate(k2, t->path), -EBADMSG);
	assert_int_equal(read_file(t->path, body, sizeof(body)), 4);
	unlink(t->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nodekey_parse_hex),
		cmocka_unit_test_setup_teardown(test_nodekey_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodekey_save, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodekey_load_or_generate,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
