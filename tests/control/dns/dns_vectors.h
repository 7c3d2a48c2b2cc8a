/* SPDX-License-Identifier: MIT */
/* tests/control/dns/dns_vectors.h - the example tree of dnsdisc.md and
 * EIP-1459 ("Example in zone file format"), copied from the spec text, and
 * the key it is signed with. The root verifies under the key of geth's
 * TestClientSyncTree (AKPYQ...); the AM5FCQ... key in the spec prose is
 * the linked tree's. */
#ifndef TESTS_DNS_VECTORS_H
#define TESTS_DNS_VECTORS_H

/* geth p2p/dnsdisc signingKeyForTesting */
#define SPEC_PRIV_HEX \
	"dc599867fc513f8f5e2c2c9c489cde5e71362d1d9ec6e693e0de063236ed1240"
#define SPEC_URL \
	"enrtree://AKPYQIUQIL7PSIACI32J7FGZW56E5FKHEFCCOFHILBIMW3M6LWXS2@n"
/* The public key dnsdisc.md prints beside the AM5FCQ... URL: it is the
 * AKPYQ... key above, the key of SPEC_PRIV_HEX. */
#define SPEC_PUB_HEX \
	"9f88229042fef9200246f49f94d9b77c4e954721442714e85850cb6d9e5daf2d" \
	"880ea0e53cb3ac1a75f9923c2726a4f941f7d326781baa6380754a360de5c2b6"

/* The linked tree. */
#define SPEC_LINK \
	"enrtree://AM5FCQLWIZX2QFPNJAP7VUERCCRNGRHWZG3YYHIUV7BVDQ5FDPRT2@morenodes.example.org"

#define SPEC_ROOT \
	"enrtree-root:v1 e=JWXYDBPXYWG6FX3GMDIBFA6CJ4 l=C7HRFPF3BLGF3YR4DY5KX3SMBE seq=1 sig=o908WmNp7LibOfPsr4btQwatZJ5URBr2ZAuxvK4UWHlsB9sUOTJQaGAlLPVAhM__XJesCHxLISo94z5Z2a463gA"
#define SPEC_ENR0 \
	"enr:-HW4QOFzoVLaFJnNhbgMoDXPnOvcdVuj7pDpqRvh6BRDO68aVi5ZcjB3vzQRZH2IcLBGHzo8uUN3snqmgTiE56CH3AMBgmlkgnY0iXNlY3AyNTZrMaECC2_24YYkYHEgdzxlSNKQEnHhuNAbNlMlWJxrJxbAFvA"
#define SPEC_ENR1 \
	"enr:-HW4QAggRauloj2SDLtIHN1XBkvhFZ1vtf1raYQp9TBW2RD5EEawDzbtSmlXUfnaHcvwOizhVYLtr7e6vw7NAf6mTuoCgmlkgnY0iXNlY3AyNTZrMaECjrXI8TLNXU0f8cthpAMxEshUyQlK-AM0PW2wfrnacNI"
#define SPEC_ENR2 \
	"enr:-HW4QLAYqmrwllBEnzWWs7I5Ev2IAs7x_dZlbYdRdMUx5EyKHDXp7AV5CkuPGUPdvbv1_Ms1CPfhcGCvSElSosZmyoqAgmlkgnY0iXNlY3AyNTZrMaECriawHKWdDRk2xeZkrOXBQ0dfMFLHY4eENZwdufn1S1o"
#define SPEC_BRANCH \
	"enrtree-branch:2XS2367YHAXJFGLZHVAWLQD4ZY,H4FHT4B454P6UXFD7JCYQ5PWDY,MHTDO6TMUBRIA2XWG5LUDACK24"

struct spec_rr {
	const char *name;               /* subdomain of the tree's domain */
	const char *txt;
};

/* The five subdomain entries, as in the spec's zone file. */
static const struct spec_rr spec_tree[] = {
	{ "C7HRFPF3BLGF3YR4DY5KX3SMBE", SPEC_LINK },
	{ "JWXYDBPXYWG6FX3GMDIBFA6CJ4", SPEC_BRANCH },
	{ "2XS2367YHAXJFGLZHVAWLQD4ZY", SPEC_ENR0 },
	{ "H4FHT4B454P6UXFD7JCYQ5PWDY", SPEC_ENR1 },
	{ "MHTDO6TMUBRIA2XWG5LUDACK24", SPEC_ENR2 },
};

#endif /* TESTS_DNS_VECTORS_H */
