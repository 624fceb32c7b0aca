/*
 * artwork_seed.h -- the seed of one artwork pick (artwork_seed.c, pure).
 *
 * nfrec.pick_artwork seeds the Thompson draw of a title by the first 60
 * bits (15 hex digits) of md5('<seed>/<user_id>/<title_id>'); the
 * homepage computes the same number in C.  The server's md5 goes through
 * the cryptohash API (with OpenSSL: a context created and freed per
 * call), which cost more than the draws themselves, so this file carries
 * its own MD5 (RFC 1321) for keys of one block.
 */
#ifndef NFREC_ARTWORK_SEED_H
#define NFREC_ARTWORK_SEED_H

#include "c.h"

/* The 16-byte MD5 digest of len bytes (any length). */
extern void art_md5(const void *data, size_t len, uint8 digest[16]);

/*
 * The first 60 bits of md5 of the decimal text "<seed>/<user_id>/<title_id>"
 * as an unsigned number: strtoull of the digest's first 15 hex digits.
 */
extern uint64 art_seed60(int64 seed, int64 user_id, int64 title_id);

/*
 * The same seed for many titles of one (seed, user_id): the key's prefix
 * "<seed>/<user_id>/" formatted once (art_seed_prefix), then per title
 * only its id is formatted and one block hashed (art_seed60_key).
 * art_seed60_key(k, t) == art_seed60(seed, user_id, t).
 */
typedef struct ArtSeedKey
{
	char		text[2 * 21];	/* "<seed>/<user_id>/": at most 2 x (20 + 1) */
	int			len;
} ArtSeedKey;

extern void art_seed_prefix(ArtSeedKey *key, int64 seed, int64 user_id);
extern uint64 art_seed60_key(const ArtSeedKey *key, int64 title_id);

#endif
