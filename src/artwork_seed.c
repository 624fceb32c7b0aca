/*
 * artwork_seed.c -- MD5 (RFC 1321) and the seed of an artwork pick
 * (artwork_seed.h).  Pure: no PostgreSQL headers beyond c.h, no
 * allocation.  The digest equals PostgreSQL's md5() (test/unit checks the
 * RFC 1321 test suite; sql/homepage.sql compares the homepage's picks with
 * pick_artwork, which calls md5()).
 */
#include "artwork_seed.h"

#include <string.h>

static const uint32 md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};

static const uint8 md5_r[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21
};

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
	for (int i = 0; i < 64; i++)
	{
		uint32		f;
		int			g;

		if (i < 16)
		{
			f = (b & c) | (~b & d);
			g = i;
		}
		else if (i < 32)
		{
			f = (d & b) | (~d & c);
			g = (5 * i + 1) & 15;
		}
		else if (i < 48)
		{
			f = b ^ c ^ d;
			g = (3 * i + 5) & 15;
		}
		else
		{
			f = c ^ (b | ~d);
			g = (7 * i) & 15;
		}
		f += a + md5_k[i] + w[g];
		a = d;
		d = c;
		c = b;
		b += Rotl(f, md5_r[i]);
	}
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

uint64
art_seed60(int64 seed, int64 user_id, int64 title_id)
{
	char		key[3 * 20 + 2];
	char	   *p = key;
	uint8		d[16];
	uint64		v = 0;

	p = PutInt64(p, seed);
	*p++ = '/';
	p = PutInt64(p, user_id);
	*p++ = '/';
	p = PutInt64(p, title_id);
	art_md5(key, (size_t) (p - key), d);
	/* 15 hex digits: the first 7 bytes and the high half of the 8th */
	for (int i = 0; i < 7; i++)
		v = (v << 8) | d[i];
	return (v << 4) | (d[7] >> 4);
}
