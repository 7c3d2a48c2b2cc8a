/* SPDX-License-Identifier: MIT */
/* control/dns/dnstree.h - EIP-1459 DNS node-list entries: codec, hashes,
 * root signatures, enrtree:// URLs and unpadded base32 (RFC 4648).
 *
 * Entry texts are those of dnsdisc.md, "DNS Record Structure":
 *   enrtree-root:v1 e=<hash> l=<hash> seq=<n> sig=<base64url, 65 bytes>
 *   enrtree-branch:<hash>,<hash>,...
 *   enrtree://<base32 compressed key>@<domain>
 *   enr:<base64url record>
 * A <hash> names the subdomain holding an entry: base32 of the first bytes
 * of keccak256(entry text). Trees we build use 16 bytes (26 characters);
 * parsing accepts 12..32 bytes, as geth does.
 *
 * No allocation, no I/O; every function may be called from any thread.
 * Parsing is stricter than geth in a few places (see each function); a
 * text geth's own builder writes always passes. */
#ifndef CONTROL_DNS_DNSTREE_H
#define CONTROL_DNS_DNSTREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/enr.h"

#define DNSTREE_HASH_LEN          16    /* keccak256 bytes in names we make */
#define DNSTREE_HASH_TEXT_LEN     26    /* base32 of DNSTREE_HASH_LEN bytes */
#define DNSTREE_HASH_MIN          12    /* shortest hash (geth minHashLength) */
#define DNSTREE_HASH_MAX          32    /* longest: all of keccak256 */
#define DNSTREE_HASH_TEXT_MAX     52    /* base32 of DNSTREE_HASH_MAX bytes */
#define DNSTREE_SIG_LEN           65    /* R || S || V */
#define DNSTREE_SIG_TEXT_LEN      87    /* base64url of 65 bytes */
#define DNSTREE_KEY_TEXT_LEN      53    /* base32 of a 33-byte compressed key */
#define DNSTREE_DOMAIN_MAX        253   /* DNS name, no trailing dot */
/* Children per branch in trees we build: geth's maxChildren, 370 bytes of
 * hashes and commas so that a branch answer stays within 512-byte UDP. */
#define DNSTREE_MAX_CHILDREN      13
/* The longest entry text we parse: any UDP or TCP answer a tree we would
 * follow can carry (an ENR is at most ENR_TEXT_MAX). */
#define DNSTREE_ENTRY_MAX         4096
/* Children of one parsed branch: the most 20-character hashes that fit
 * DNSTREE_ENTRY_MAX after "enrtree-branch:" (15 + 194 * 21 - 1 = 4088). */
#define DNSTREE_BRANCH_MAX        194
/* "enrtree://" + key + "@" + domain + NUL */
#define DNSTREE_LINK_TEXT_MAX \
	(10 + DNSTREE_KEY_TEXT_LEN + 1 + DNSTREE_DOMAIN_MAX + 1)
/* "enrtree-root:v1 e=H l=H seq=N sig=S" + NUL with 52-character hashes */
#define DNSTREE_ROOT_TEXT_MAX     (18 + 52 + 3 + 52 + 5 + 20 + 5 + 87 + 1)

#define DNSTREE_ROOT_PREFIX   "enrtree-root:v1"
#define DNSTREE_BRANCH_PREFIX "enrtree-branch:"
#define DNSTREE_LINK_PREFIX   "enrtree://"

enum dnstree_type {
	DNSTREE_BRANCH = 1,
	DNSTREE_LINK,
	DNSTREE_ENR,
};

/* enrtree-root:v1. Hash texts are NUL-terminated copies. */
struct dnstree_root {
	char eroot[DNSTREE_HASH_TEXT_MAX + 1];  /* root of the ENR subtree */
	char lroot[DNSTREE_HASH_TEXT_MAX + 1];  /* root of the link subtree */
	uint64_t seq;
	uint8_t sig[DNSTREE_SIG_LEN];           /* R || S || V */
};

/* An enrtree:// link (a URL or a link-tree leaf). */
struct dnstree_link {
	uint8_t pub[64];                        /* the signer's key, x || y */
	char domain[DNSTREE_DOMAIN_MAX + 1];
	/* "<key>@<domain>" as it was written: the tree's identity, which
	 * geth's link cache uses to tell trees apart. */
	char loc[DNSTREE_KEY_TEXT_LEN + 1 + DNSTREE_DOMAIN_MAX + 1];
};

/* A child hash of a branch, as a view into the parsed text. */
struct dnstree_child {
	uint16_t off;
	uint8_t len;
};

struct dnstree_entry {
	enum dnstree_type type;
	union {
		struct {
			size_t n;
			struct dnstree_child child[DNSTREE_BRANCH_MAX];
		} branch;                       /* views: die with the text */
		struct dnstree_link link;
		struct enr enr;                 /* decoded and verified */
	} u;
};

/* dnstree_b32_encode() writes the unpadded base32 (RFC 4648 §6, upper
 * case) of in[0..len) and a NUL to out, which must hold (len*8+4)/5 + 1
 * bytes. Returns the characters written without the NUL. */
size_t dnstree_b32_encode(char *out, const uint8_t *in, size_t len);

/* dnstree_b32_decode() decodes unpadded upper-case base32 in[0..len) into
 * out[0..cap), len*5/8 bytes. A length of 1, 3 or 6 mod 8, padding and
 * characters outside the alphabet are rejected; unused low bits of the
 * last character are ignored, as by Go's decoder (geth's 20-character
 * hash prefixes have them set). Returns the bytes written, or -EBADMSG,
 * -EMSGSIZE (cap too small). */
ssize_t dnstree_b32_decode(uint8_t *out, size_t cap, const char *in,
			   size_t len);

/* dnstree_valid_hash() is true when s[0..len) is a subdomain hash: base32
 * of DNSTREE_HASH_MIN..DNSTREE_HASH_MAX bytes (geth's isValidHash). */
bool dnstree_valid_hash(const char *s, size_t len);

/* dnstree_name() writes the subdomain name of an entry text,
 * base32(keccak256(txt)[0..16)), 26 characters and a NUL. */
void dnstree_name(char out[DNSTREE_HASH_TEXT_LEN + 1], const char *txt,
		  size_t len);

/* dnstree_hash_matches() is true when hash[0..hash_len) is a valid hash
 * and keccak256(txt) starts with the bytes it encodes: the check a client
 * makes on the entry it found at subdomain "hash". */
bool dnstree_hash_matches(const char *hash, size_t hash_len, const char *txt,
			  size_t len);

/* dnstree_parse_root() parses an enrtree-root:v1 text exactly as
 * "enrtree-root:v1 e=<hash> l=<hash> seq=<decimal> sig=<87 base64url>",
 * single spaces and nothing after the signature (geth's Sscanf also takes
 * runs of spaces and trailing words). It does not check the signature.
 * Returns len, or -EBADMSG (syntax, a bad hash or signature encoding),
 * -EMSGSIZE (over DNSTREE_ENTRY_MAX). */
ssize_t dnstree_parse_root(struct dnstree_root *r, const char *txt, size_t len);

/* dnstree_root_sighash() writes keccak256 of the root text before " sig="
 * as geth formats it (decimal seq without leading zeros). */
void dnstree_root_sighash(uint8_t hash[32], const struct dnstree_root *r);

/* dnstree_root_verify() checks r->sig (its R || S, low S; V is ignored as
 * geth ignores it) against pub. Returns 0 or -EKEYREJECTED. */
int dnstree_root_verify(const struct dnstree_root *r, const uint8_t pub[64]);

/* dnstree_root_sign() signs r with priv (RFC 6979, libsecp256k1's default
 * nonce, so the signature equals geth's crypto.Sign for the same key and
 * text) and stores it in r->sig. Returns 0 or -EINVAL (bad key). */
int dnstree_root_sign(struct dnstree_root *r, const uint8_t priv[32]);

/* dnstree_format_root() writes the root text and a NUL to out[0..cap).
 * Returns its length, or -EMSGSIZE. */
ssize_t dnstree_format_root(char *out, size_t cap,
			    const struct dnstree_root *r);

/* dnstree_parse_link() parses "enrtree://<key>@<domain>" in txt[0..len):
 * the key is base32 of a valid 33-byte compressed point, the domain 1..253
 * characters of letters, digits, '-', '_' and dots, in labels of 1..63
 * (geth takes any domain; one we cannot query is refused here). Returns
 * len, or -EBADMSG. URLs and link-tree leaves use the same form. */
ssize_t dnstree_parse_link(struct dnstree_link *l, const char *txt, size_t len);

/* dnstree_format_link() writes "enrtree://<key>@<domain>" and a NUL for
 * public key pub to out[0..cap). Returns its length, or -EINVAL (bad key
 * or domain), -EMSGSIZE. */
ssize_t dnstree_format_link(char *out, size_t cap, const uint8_t pub[64],
			    const char *domain);

/* dnstree_parse_entry() parses a non-root entry from txt[0..len), chosen by
 * prefix as geth's parseEntry: "enrtree://" a link, "enrtree-branch:" a
 * branch (empty allowed; every child a valid hash), "enr:" a record that
 * must decode (common/enr.h, strict base64url) and verify under the v4
 * scheme. Branch children are views into txt. Returns len, or -ENOMSG (no
 * known prefix: geth skips such TXT strings), -EBADMSG (malformed),
 * -EKEYREJECTED (record signature invalid or not v4), -EMSGSIZE (over
 * DNSTREE_ENTRY_MAX, or more than DNSTREE_BRANCH_MAX children). */
ssize_t dnstree_parse_entry(struct dnstree_entry *e, const char *txt,
			    size_t len);

#endif /* CONTROL_DNS_DNSTREE_H */
