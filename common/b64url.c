/* SPDX-License-Identifier: MIT */
/* common/b64url.c - unpadded base64url (RFC 4648 §5). */
#include "common/b64url.h"

#include <errno.h>

/* RFC 4648 §5 alphabet, no padding. */
static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t b64url_encode(char *out, const uint8_t *in, size_t len)
{
	size_t o = 0, i;

	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	return o;
}

/* Strict decoding: a length of 1 mod 4 cannot occur, and the unused low
 * bits of the last character must be zero, so each byte string has exactly
 * one text form. */
ssize_t b64url_decode(uint8_t *out, size_t cap, const char *in, size_t len)
{
	size_t o = 0, i;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len % 4 == 1)
		return -EBADMSG;
	if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > cap)
		return -EMSGSIZE;
	for (i = 0; i < len; i++) {
		int v = b64_val(in[i]);

		if (v < 0)
			return -EBADMSG;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -EBADMSG;                /* non-zero trailing bits */
	return (ssize_t)o;
}
