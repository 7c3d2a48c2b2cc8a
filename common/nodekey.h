/* SPDX-License-Identifier: MIT */
/* common/nodekey.h - geth node key files (--nodekey) and --nodekeyhex. */
#ifndef COMMON_NODEKEY_H
#define COMMON_NODEKEY_H
#include <stddef.h>
#include <stdint.h>

#define NODEKEY_LEN     32              /* secp256k1 private key */
#define NODEKEY_HEX_LEN 64              /* the file body, as geth writes it */

/* nodekey_parse_hex() parses exactly 64 hex digits (no "0x", no spaces) in
 * hex[0..len) as a private key, as --nodekeyhex does. Returns 0 or -EBADMSG
 * (wrong length, non-hex digit, or a key that is 0 or >= the curve order).
 * priv is written only on success. Any thread. */
int nodekey_parse_hex(uint8_t priv[NODEKEY_LEN], const char *hex, size_t len);

/* nodekey_load() reads a geth node key file: 64 hex digits, optionally
 * followed by one "\n" (geth writes none, editors add one). Returns 0, a
 * negative errno from open/read (-ENOENT when the file does not exist), or
 * -EBADMSG (any other content, including a bad key). Blocking file I/O:
 * control start-up only. */
int nodekey_load(uint8_t priv[NODEKEY_LEN], const char *path);

/* nodekey_save() writes priv as 64 hex digits with no newline. It writes a
 * temporary file next to path, created O_CREAT|O_EXCL with mode 0600,
 * fsyncs it and renames it over path, so a crash leaves either the old
 * file or the whole new key, never half a key. Returns 0, -EINVAL (invalid
 * key), -ENAMETOOLONG, or a negative errno from the file system. */
int nodekey_save(const char *path, const uint8_t priv[NODEKEY_LEN]);

/* nodekey_load_or_generate() loads path, or when it does not exist makes a
 * new key and stores it the way nodekey_save() does, except that an existing
 * file is never replaced: the temporary file is linked into place, and if
 * another process created path meanwhile, that key is loaded instead.
 * Returns 0 or as nodekey_load()/nodekey_save(). */
int nodekey_load_or_generate(uint8_t priv[NODEKEY_LEN], const char *path);

#endif /* COMMON_NODEKEY_H */
