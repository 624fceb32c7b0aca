/*
 * als_width_test.c -- the ALS training kernels compute the same bits with
 * 8-float and with 16-float vectors (the claim of src/als_kern.h, on which
 * "an AVX2 CPU trains the model an AVX-512 CPU trains" rests).
 *
 * It includes src/als.c to reach its static kernels and compiles
 * src/als_kern.h once more, for AVX2 + FMA with 16-float vectors (_w16),
 * next to als.c's AVX2 variant with 8-float vectors (_v3); then runs both
 * on the same random rows for every specialised width (16..128 factors)
 * and a generic one (144), 0..13 events (the blocks of four and the
 * tail), with and without positive weights, and compares every output bit
 * of CgRow (and so SparseAcc and GemvSym), RowLoss and GramRows.  Needs a
 * CPU with AVX2 + FMA (x86-64-v3); says "skipped" otherwise.  Built
 * without sanitizers (they turn the variants off): test/unit/run.sh.
 */
#include "../../src/als.c"

#include <stdio.h>

#ifdef ALS_MULTI

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define ALS_NL 16
#define ALS_KSUF _w16
#include "../../src/als_kern.h"
#undef ALS_NL
#undef ALS_KSUF

static uint64 rng_state = 0x9e3779b97f4a7c15ULL;

static float
Rnd(void)
{
	rng_state = nf_mix64(rng_state + 1);
	return (float) ((double) (rng_state >> 11) / 9007199254740992.0 - 0.5);
}

/* both widths on one row; returns the number of differing outputs */
static int
CheckRow(int KB, int nitems, int n, bool signs, int steps)
{
	int			kp = 16 * KB,
				bad = 0;
	float	   *F = aligned_alloc(64, sizeof(float) * kp * nitems);
	float	   *G = aligned_alloc(64, sizeof(float) * kp * kp);
	float	   *P8 = aligned_alloc(64, sizeof(float) * kp * kp);
	float	   *P16 = aligned_alloc(64, sizeof(float) * kp * kp);
	float	   *x8 = aligned_alloc(64, sizeof(float) * kp);
	float	   *x16 = aligned_alloc(64, sizeof(float) * kp);
	int32		idx[16];
	float		wt[16];
	double		l8,
				l16;

	for (int i = 0; i < kp * nitems; i++)
		F[i] = Rnd();
	/* a symmetric positive Gram, as the trainer's */
	DISPATCH_KB(KB, GramRows_w16(kb_, F, 0, nitems, G));
	for (int e = 0; e < n; e++)
	{
		idx[e] = (int32) ((uint64) ((Rnd() + 0.5f) * nitems) % nitems);
		wt[e] = signs && e % 3 == 2 ? -1.0f - Rnd() : 1.0f + 4.0f * (Rnd() + 0.5f);
	}
	for (int j = 0; j < kp; j++)
		x8[j] = x16[j] = Rnd() * 0.1f;

	DISPATCH_KB(KB, CgRow_v3(kb_, G, F, idx, wt, n, 0.9f, 0.3f, steps, x8));
	DISPATCH_KB(KB, CgRow_w16(kb_, G, F, idx, wt, n, 0.9f, 0.3f, steps, x16));
	bad += memcmp(x8, x16, sizeof(float) * kp) != 0;
	DISPATCH_KB(KB, l8 = RowLoss_v3(kb_, G, F, idx, wt, n, 0.9f, 0.3f, x8));
	DISPATCH_KB(KB, l16 = RowLoss_w16(kb_, G, F, idx, wt, n, 0.9f, 0.3f, x16));
	bad += memcmp(&l8, &l16, sizeof(double)) != 0;
	DISPATCH_KB(KB, GramRows_v3(kb_, F, 1, nitems, P8));
	DISPATCH_KB(KB, GramRows_w16(kb_, F, 1, nitems, P16));
	bad += memcmp(P8, P16, sizeof(float) * kp * kp) != 0;

	free(F);
	free(G);
	free(P8);
	free(P16);
	free(x8);
	free(x16);
	return bad;
}

static int
RunAll(int *checks)
{
	int			failed = 0;

	for (int KB = 1; KB <= 9; KB++)
		for (int n = 0; n <= 13; n++)
			for (int signs = 0; signs <= 1; signs++)
			{
				int			bad = CheckRow(KB, 23, n, signs, 1 + n % 4);

				*checks += 3;
				failed += bad;
				if (bad)
					printf("als widths differ: %d factors, %d events, signs %d\n", 16 * KB, n, signs);
			}
	return failed;
}
#pragma GCC pop_options

int
main(void)
{
	int			checks = 0,
				failed;

	__builtin_cpu_init();
	if (!__builtin_cpu_supports("x86-64-v3"))
	{
		printf("als widths: skipped (the CPU has no AVX2 + FMA)\n");
		return 0;
	}
	failed = RunAll(&checks);
	printf("als widths: %d passed, %d failed\n", checks - failed, failed);
	return failed != 0;
}

#else

int
main(void)
{
	printf("als widths: skipped (not GCC on x86-64)\n");
	return 0;
}

#endif
