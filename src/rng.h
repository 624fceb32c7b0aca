/*
 * rng.h -- the one pseudo-random toolkit of nfrec (no PostgreSQL calls).
 *
 * splitmix64 (Steele, Lea & Flood 2014) as a 64-bit hash and as a seeding
 * sequence, and xoshiro256** (Blackman & Vigna 2018) as the generator.
 * Everything that must be reproducible for a seed (demo data, holdout
 * splits, initial ALS factors, Thompson draws, k-means++) uses these, so
 * the same seed gives the same numbers on every platform.
 */
#ifndef NFREC_RNG_H
#define NFREC_RNG_H

#include "c.h"

#define NF_GOLDEN_GAMMA	UINT64CONST(0x9E3779B97F4A7C15)

/* splitmix64's output function */
static inline uint64
nf_mix64_finish(uint64 z)
{
	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* a 64-bit hash: one splitmix64 step from state z */
static inline uint64
nf_mix64(uint64 z)
{
	return nf_mix64_finish(z + NF_GOLDEN_GAMMA);
}

/* the splitmix64 sequence: advances *x and returns the next value */
static inline uint64
nf_splitmix64(uint64 *x)
{
	return nf_mix64_finish(*x += NF_GOLDEN_GAMMA);
}

static inline uint64
nf_rotl64(uint64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: advances the 4-word state s and returns the next value */
static inline uint64
nf_xoshiro256ss(uint64 *s)
{
	uint64		result = nf_rotl64(s[1] * 5, 7) * 9;
	uint64		t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = nf_rotl64(s[3], 45);
	return result;
}

/* ---- the generator ----------------------------------------------------- */

/* xoshiro256** state */
typedef struct NfRng
{
	uint64		s[4];
} NfRng;

/* seed: four splitmix64 steps from x (same x, same stream) */
static inline void
nf_rng_seed(NfRng *r, uint64 x)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = nf_splitmix64(&x);
}

static inline uint64
nf_rng_next(NfRng *r)
{
	return nf_xoshiro256ss(r->s);
}

/* uniform in [0, 1): 53 random bits */
static inline double
nf_rng_u01(NfRng *r)
{
	return (double) (nf_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* uniform in (0, 1): 53 random bits centred in their cell, never 0 or 1 */
static inline double
nf_rng_open01(NfRng *r)
{
	return ((double) (nf_rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* uniform integer in [0, n) for 0 < n < 2^31 (high 32 bits, multiply-shift) */
static inline int
nf_rng_int(NfRng *r, int n)
{
	return (int) (((nf_rng_next(r) >> 32) * (uint64) n) >> 32);
}

#endif
