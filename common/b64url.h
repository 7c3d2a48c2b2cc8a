/* SPDX-License-Identifier: MIT */
/* common/b64url.h - unpadded base64url (RFC 4648 §5), as ENR text and
 * EIP-1459 signatures use it. No allocation; any thread. */
#ifndef COMMON_B64URL_H
#define COMMON_B64URL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* B64URL_ENCODED_LEN() is the text length of n bytes (no padding). */
#define B64URL_ENCODED_LEN(n) (((n) * 4 + 2) / 3)

/* b64url_encode() writes B64URL_ENCODED_LEN(len) characters for in[0..len)
 * to out (no NUL; out must hold that many). Returns the characters
 * written. */
size_t b64url_encode(char *out, const uint8_t *in, size_t len);

/* b64url_decode() decodes in[0..len) into out[0..cap). Strict: only the
 * 64 alphabet characters, no padding or whitespace, no length of 1 mod 4,
 * and the unused low bits of the last character must be zero, so each byte
 * string has exactly one text form. Returns the bytes written, or -EBADMSG
 * (not strict base64url), -EMSGSIZE (cap too small). */
ssize_t b64url_decode(uint8_t *out, size_t cap, const char *in, size_t len);

#endif /* COMMON_B64URL_H */
