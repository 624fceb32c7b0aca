/*
 * artwork_seed.c -- MD5 (RFC 1321) and the seed of an artwork pick
 * (artwork_seed.h).  Pure: no PostgreSQL headers beyond c.h, no
 * allocation.  The digest equals PostgreSQL's md5() (test/unit checks the
 * RFC 1321 test suite; sql/homepage.sql compares the homepage's picks with
 * pick_artwork, which calls md5()).
 */
#include "artwork_seed.h"

#include <string.h>

/*
 * The four rounds written out (RFC 1321's reference form): constant
 * rotations and message indices, no table or branch per step.  The loop
 * form this replaced cost a page of ~80 seeds 2-3 % of its time.
 */
#define MD5_F(x, y, z) (((x) & (y)) | (~(x) & (z)))
#define MD5_G(x, y, z) (((x) & (z)) | ((y) & ~(z)))
#define MD5_H(x, y, z) ((x) ^ (y) ^ (z))
#define MD5_I(x, y, z) ((y) ^ ((x) | ~(z)))
#define MD5_STEP(f, a, b, c, d, x, k, r) \
	do { \
		(a) += f((b), (c), (d)) + (x) + (uint32) (k); \
		(a) = Rotl((a), (r)) + (b); \
	} while (0)

static inline uint32
Rotl(uint32 x, int c)
{
	return (x << c) | (x >> (32 - c));
}

/* one 64-byte block into h[4] */
static void
Md5Block(uint32 h[4], const uint8 *blk)
{
	uint32		w[16],
				a = h[0],
				b = h[1],
				c = h[2],
				d = h[3];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32) blk[4 * i] | ((uint32) blk[4 * i + 1] << 8) |
			((uint32) blk[4 * i + 2] << 16) | ((uint32) blk[4 * i + 3] << 24);

	MD5_STEP(MD5_F, a, b, c, d, w[0], 0xd76aa478, 7);
	MD5_STEP(MD5_F, d, a, b, c, w[1], 0xe8c7b756, 12);
	MD5_STEP(MD5_F, c, d, a, b, w[2], 0x242070db, 17);
	MD5_STEP(MD5_F, b, c, d, a, w[3], 0xc1bdceee, 22);
	MD5_STEP(MD5_F, a, b, c, d, w[4], 0xf57c0faf, 7);
	MD5_STEP(MD5_F, d, a, b, c, w[5], 0x4787c62a, 12);
	MD5_STEP(MD5_F, c, d, a, b, w[6], 0xa8304613, 17);
	MD5_STEP(MD5_F, b, c, d, a, w[7], 0xfd469501, 22);
	MD5_STEP(MD5_F, a, b, c, d, w[8], 0x698098d8, 7);
	MD5_STEP(MD5_F, d, a, b, c, w[9], 0x8b44f7af, 12);
	MD5_STEP(MD5_F, c, d, a, b, w[10], 0xffff5bb1, 17);
	MD5_STEP(MD5_F, b, c, d, a, w[11], 0x895cd7be, 22);
	MD5_STEP(MD5_F, a, b, c, d, w[12], 0x6b901122, 7);
	MD5_STEP(MD5_F, d, a, b, c, w[13], 0xfd987193, 12);
	MD5_STEP(MD5_F, c, d, a, b, w[14], 0xa679438e, 17);
	MD5_STEP(MD5_F, b, c, d, a, w[15], 0x49b40821, 22);

	MD5_STEP(MD5_G, a, b, c, d, w[1], 0xf61e2562, 5);
	MD5_STEP(MD5_G, d, a, b, c, w[6], 0xc040b340, 9);
	MD5_STEP(MD5_G, c, d, a, b, w[11], 0x265e5a51, 14);
	MD5_STEP(MD5_G, b, c, d, a, w[0], 0xe9b6c7aa, 20);
	MD5_STEP(MD5_G, a, b, c, d, w[5], 0xd62f105d, 5);
	MD5_STEP(MD5_G, d, a, b, c, w[10], 0x02441453, 9);
	MD5_STEP(MD5_G, c, d, a, b, w[15], 0xd8a1e681, 14);
	MD5_STEP(MD5_G, b, c, d, a, w[4], 0xe7d3fbc8, 20);
	MD5_STEP(MD5_G, a, b, c, d, w[9], 0x21e1cde6, 5);
	MD5_STEP(MD5_G, d, a, b, c, w[14], 0xc33707d6, 9);
	MD5_STEP(MD5_G, c, d, a, b, w[3], 0xf4d50d87, 14);
	MD5_STEP(MD5_G, b, c, d, a, w[8], 0x455a14ed, 20);
	MD5_STEP(MD5_G, a, b, c, d, w[13], 0xa9e3e905, 5);
	MD5_STEP(MD5_G, d, a, b, c, w[2], 0xfcefa3f8, 9);
	MD5_STEP(MD5_G, c, d, a, b, w[7], 0x676f02d9, 14);
	MD5_STEP(MD5_G, b, c, d, a, w[12], 0x8d2a4c8a, 20);

	MD5_STEP(MD5_H, a, b, c, d, w[5], 0xfffa3942, 4);
	MD5_STEP(MD5_H, d, a, b, c, w[8], 0x8771f681, 11);
	MD5_STEP(MD5_H, c, d, a, b, w[11], 0x6d9d6122, 16);
	MD5_STEP(MD5_H, b, c, d, a, w[14], 0xfde5380c, 23);
	MD5_STEP(MD5_H, a, b, c, d, w[1], 0xa4beea44, 4);
	MD5_STEP(MD5_H, d, a, b, c, w[4], 0x4bdecfa9, 11);
	MD5_STEP(MD5_H, c, d, a, b, w[7], 0xf6bb4b60, 16);
	MD5_STEP(MD5_H, b, c, d, a, w[10], 0xbebfbc70, 23);
	MD5_STEP(MD5_H, a, b, c, d, w[13], 0x289b7ec6, 4);
	MD5_STEP(MD5_H, d, a, b, c, w[0], 0xeaa127fa, 11);
	MD5_STEP(MD5_H, c, d, a, b, w[3], 0xd4ef3085, 16);
	MD5_STEP(MD5_H, b, c, d, a, w[6], 0x04881d05, 23);
	MD5_STEP(MD5_H, a, b, c, d, w[9], 0xd9d4d039, 4);
	MD5_STEP(MD5_H, d, a, b, c, w[12], 0xe6db99e5, 11);
	MD5_STEP(MD5_H, c, d, a, b, w[15], 0x1fa27cf8, 16);
	MD5_STEP(MD5_H, b, c, d, a, w[2], 0xc4ac5665, 23);

	MD5_STEP(MD5_I, a, b, c, d, w[0], 0xf4292244, 6);
	MD5_STEP(MD5_I, d, a, b, c, w[7], 0x432aff97, 10);
	MD5_STEP(MD5_I, c, d, a, b, w[14], 0xab9423a7, 15);
	MD5_STEP(MD5_I, b, c, d, a, w[5], 0xfc93a039, 21);
	MD5_STEP(MD5_I, a, b, c, d, w[12], 0x655b59c3, 6);
	MD5_STEP(MD5_I, d, a, b, c, w[3], 0x8f0ccc92, 10);
	MD5_STEP(MD5_I, c, d, a, b, w[10], 0xffeff47d, 15);
	MD5_STEP(MD5_I, b, c, d, a, w[1], 0x85845dd1, 21);
	MD5_STEP(MD5_I, a, b, c, d, w[8], 0x6fa87e4f, 6);
	MD5_STEP(MD5_I, d, a, b, c, w[15], 0xfe2ce6e0, 10);
	MD5_STEP(MD5_I, c, d, a, b, w[6], 0xa3014314, 15);
	MD5_STEP(MD5_I, b, c, d, a, w[13], 0x4e0811a1, 21);
	MD5_STEP(MD5_I, a, b, c, d, w[4], 0xf7537e82, 6);
	MD5_STEP(MD5_I, d, a, b, c, w[11], 0xbd3af235, 10);
	MD5_STEP(MD5_I, c, d, a, b, w[2], 0x2ad7d2bb, 15);
	MD5_STEP(MD5_I, b, c, d, a, w[9], 0xeb86d391, 21);

	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
}

void
art_md5(const void *data, size_t len, uint8 digest[16])
{
	uint32		h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
	const uint8 *p = data;
	size_t		left = len;
	uint8		blk[64];
	uint64		bits = (uint64) len * 8;

	while (left >= 64)
	{
		Md5Block(h, p);
		p += 64;
		left -= 64;
	}
	/* the tail, 0x80, zeros, and the length in bits (little-endian) */
	memset(blk, 0, sizeof(blk));
	memcpy(blk, p, left);
	blk[left] = 0x80;
	if (left >= 56)
	{
		Md5Block(h, blk);
		memset(blk, 0, sizeof(blk));
	}
	for (int i = 0; i < 8; i++)
		blk[56 + i] = (uint8) (bits >> (8 * i));
	Md5Block(h, blk);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			digest[4 * i + j] = (uint8) (h[i] >> (8 * j));
}

/* the decimal text of v at p (as INT64_FORMAT prints it); returns its end */
static char *
PutInt64(char *p, int64 v)
{
	char		tmp[20];
	int			n = 0;
	uint64		u = v < 0 ? (uint64) 0 - (uint64) v : (uint64) v;

	if (v < 0)
		*p++ = '-';
	do
	{
		tmp[n++] = (char) ('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* the seed: the digest's first 15 hex digits (7.5 bytes) as a number */
static inline uint64
Seed60(const uint8 d[16])
{
	uint64		v = 0;

	for (int i = 0; i < 7; i++)
		v = (v << 8) | d[i];
	return (v << 4) | (d[7] >> 4);
}

void
art_seed_prefix(ArtSeedKey *key, int64 seed, int64 user_id)
{
	char	   *p = key->text;

	p = PutInt64(p, seed);
	*p++ = '/';
	p = PutInt64(p, user_id);
	*p++ = '/';
	key->len = (int) (p - key->text);
}

uint64
art_seed60_key(const ArtSeedKey *key, int64 title_id)
{
	char		text[sizeof(key->text) + 20];
	uint8		d[16];

	memcpy(text, key->text, key->len);
	art_md5(text, (size_t) (PutInt64(text + key->len, title_id) - text), d);
	/* 15 hex digits: the first 7 bytes and the high half of the 8th */
	return Seed60(d);
}

uint64
art_seed60(int64 seed, int64 user_id, int64 title_id)
{
	ArtSeedKey	key;

	art_seed_prefix(&key, seed, user_id);
	return art_seed60_key(&key, title_id);
}
