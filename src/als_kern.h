/*
 * als_kern.h -- the training kernels of als.c, included once per vector
 * width.  Not a public header: als.c includes it with
 *
 *   ALS_NL    the lanes of the native float vector VN (16 or 8)
 *   ALS_KSUF  the suffix of every name defined here (_v4, _v3, _def)
 *
 * and, for the x86-64 variants, a "#pragma GCC target" around it.
 *
 * A factor row is KB groups of 16 floats; each group is ALS_KP = 16 /
 * ALS_NL native vectors.  Every element-wise step is the same operation
 * per float whatever the width.  A dot product keeps one accumulator per
 * position in the group (acc[j % ALS_KP]), so each float lane sums the
 * same products in the same order as one 16-float accumulator would, and
 * its lanes are then summed in a fixed order (KHalf, KSum, Reduce4: the
 * 16-lane butterfly's order).  So every width computes the same bits, and
 * a model does not depend on the CPU it was trained on (among CPUs with
 * FMA; the baseline variant, without FMA, rounds the products apart).
 *
 * Why two widths: GCC splits a 16-float vector into two 8-float ones when
 * the target has no 16-float registers, but keeps such values in memory
 * between operations; on AVX2 that made training several times slower
 * than the 8-float code GCC writes for the same arithmetic.
 */

#define ALS_KCAT2(a, b) a##b
#define ALS_KCAT(a, b) ALS_KCAT2(a, b)
#define K(name) ALS_KCAT(name, ALS_KSUF)

#define ALS_KP (16 / ALS_NL)

#if ALS_NL == 16
#define VN v16
#define VNU v16u
#define K_BC(s) vbc(s)
#else
#define VN v8
#define VNU v8u
#define K_BC(s) ((v8) {s, s, s, s, s, s, s, s})
#endif
#define K_LD(p) (*(const VNU *) (p))
#define K_ST(p, v) (*(VNU *) (p) = (v))
#define K_ZERO ((VN) {0})

/* lanes i and i + 8 of a 16-float group's accumulator, added */
ALS_INLINE v8
K(KHalf) (const VN *acc)
{
#if ALS_NL == 16
	return vlo8(acc[0]) + vhi8(acc[0]);
#else
	return acc[0] + acc[1];
#endif
}

/* the sum of the 16 lanes (vsum_s's order) */
ALS_INLINE float
K(KSum) (const VN *acc)
{
	v8			h = K(KHalf) (acc);
	v4			q = __builtin_shufflevector(h, h, 0, 1, 2, 3) +
		__builtin_shufflevector(h, h, 4, 5, 6, 7);

	q = q + __builtin_shufflevector(q, q, 2, 3, 0, 1);
	q = q + __builtin_shufflevector(q, q, 1, 0, 3, 2);
	return q[0];
}

/* out = G v for a symmetric kp x kp G (column form: broadcast v[l]). */
ALS_INLINE void
K(GemvSym) (const int KB, const float *G, const float *v, VN *out)
{
	const int	kp = 16 * KB,
				nb = KB * ALS_KP;
	VN			a[ALS_KB_MAX * ALS_KP],
				b[ALS_KB_MAX * ALS_KP];

	for (int j = 0; j < nb; j++)
		a[j] = b[j] = K_ZERO;
	for (int l = 0; l < kp; l += 2)
	{
		VN			s0 = K_BC(v[l]),
					s1 = K_BC(v[l + 1]);
		const float *g0 = G + (Size) l * kp;
		const float *g1 = g0 + kp;

		for (int j = 0; j < nb; j++)
		{
			a[j] += s0 * K_LD(g0 + ALS_NL * j);
			b[j] += s1 * K_LD(g1 + ALS_NL * j);
		}
	}
	for (int j = 0; j < nb; j++)
		out[j] = a[j] + b[j];
}

/*
 * The lane sums of four dot products, each in KSum's order: lanes 0 and
 * 4 of z[0] hold those of d[0] and d[1], of z[1] those of d[2] and d[3]
 * (the other lanes are partial sums).
 */
ALS_INLINE void
K(Reduce4) (VN d[4][ALS_KP], v8 *z)
{
	v8			x0 = K(KHalf) (d[0]),
				x1 = K(KHalf) (d[1]),
				y0 = K(KHalf) (d[2]),
				y1 = K(KHalf) (d[3]);
	v8			z0,
				z1;

	z0 = __builtin_shufflevector(x0, x1, 0, 1, 2, 3, 8, 9, 10, 11) +
		__builtin_shufflevector(x0, x1, 4, 5, 6, 7, 12, 13, 14, 15);
	z1 = __builtin_shufflevector(y0, y1, 0, 1, 2, 3, 8, 9, 10, 11) +
		__builtin_shufflevector(y0, y1, 4, 5, 6, 7, 12, 13, 14, 15);
	z0 = z0 + __builtin_shufflevector(z0, z0, 2, 3, 0, 1, 6, 7, 4, 5);
	z1 = z1 + __builtin_shufflevector(z1, z1, 2, 3, 0, 1, 6, 7, 4, 5);
	z[0] = z0 + __builtin_shufflevector(z0, z0, 1, 0, 3, 2, 5, 4, 7, 6);
	z[1] = z1 + __builtin_shufflevector(z1, z1, 1, 0, 3, 2, 5, 4, 7, 6);
}

/*
 * out += sum_e (a_e + b_e (f_e . v)) f_e over the row's events, where
 * residual: a = c p, b = -(c - 1)   (the b - A v part of a residual)
 * else:     a = 0,   b = c - 1      (the sparse part of A v)
 * Four events at a time so that one shuffle tree reduces four dot products.
 */
ALS_INLINE void
K(SparseAcc) (const int KB, const float *F, const int32 *idx, const float *wt,
			  int64 n, float alpha, const VN *v, bool residual, VN *out)
{
	const int	kp = 16 * KB,
				nb = KB * ALS_KP;
	int64		e = 0;

	for (int64 q = 0; q < Min(n, ALS_PREFETCH); q++)
		PrefetchRow(F, idx, q, n, kp);
	for (; e + 4 <= n; e += 4)
	{
		const float *f0 = F + (Size) idx[e] * kp;
		const float *f1 = F + (Size) idx[e + 1] * kp;
		const float *f2 = F + (Size) idx[e + 2] * kp;
		const float *f3 = F + (Size) idx[e + 3] * kp;
		VN			d[4][ALS_KP];
		VN			c0,
					c1,
					c2,
					c3;
		v8			z[2];
		float		a[4],
					b[4];

		for (int q = 0; q < 4; q++)
		{
			for (int h = 0; h < ALS_KP; h++)
				d[q][h] = K_ZERO;
			PrefetchRow(F, idx, e + ALS_PREFETCH + q, n, kp);
		}
		for (int j = 0; j < nb; j++)
		{
			d[0][j % ALS_KP] += K_LD(f0 + ALS_NL * j) * v[j];
			d[1][j % ALS_KP] += K_LD(f1 + ALS_NL * j) * v[j];
			d[2][j % ALS_KP] += K_LD(f2 + ALS_NL * j) * v[j];
			d[3][j % ALS_KP] += K_LD(f3 + ALS_NL * j) * v[j];
		}
		for (int q = 0; q < 4; q++)
		{
			float		w = wt[e + q];

			a[q] = residual ? als_conf_pref(w, alpha) : 0.0f;
			b[q] = residual ? -als_conf_m1(w, alpha) : als_conf_m1(w, alpha);
		}
		K(Reduce4) (d, z);
		c0 = K_BC(a[0] + b[0] * z[0][0]);
		c1 = K_BC(a[1] + b[1] * z[0][4]);
		c2 = K_BC(a[2] + b[2] * z[1][0]);
		c3 = K_BC(a[3] + b[3] * z[1][4]);
		for (int j = 0; j < nb; j++)
			out[j] += (c0 * K_LD(f0 + ALS_NL * j) + c1 * K_LD(f1 + ALS_NL * j)) +
				(c2 * K_LD(f2 + ALS_NL * j) + c3 * K_LD(f3 + ALS_NL * j));
	}
	for (; e < n; e++)
	{
		const float *f = F + (Size) idx[e] * kp;
		float		w = wt[e];
		VN			d[ALS_KP],
					c;
		float		a = residual ? als_conf_pref(w, alpha) : 0.0f;
		float		b = residual ? -als_conf_m1(w, alpha) : als_conf_m1(w, alpha);

		for (int h = 0; h < ALS_KP; h++)
			d[h] = K_ZERO;
		for (int j = 0; j < nb; j++)
			d[j % ALS_KP] += K_LD(f + ALS_NL * j) * v[j];
		c = K_BC(a + b * K(KSum) (d));
		for (int j = 0; j < nb; j++)
			out[j] += c * K_LD(f + ALS_NL * j);
	}
}

/*
 * Conjugate-gradient update of one row x (kp floats) for the system
 * (G + lam I + sum_e cm1_e f_e f_e^T) x = sum_e cp_e f_e, starting from x.
 */
ALS_INLINE void
K(CgRow) (const int KB, const float *G, const float *F, const int32 *idx,
		  const float *wt, int64 n, float alpha, float lam, int steps, float *xrow)
{
	const int	nb = KB * ALS_KP;
	VN			x[ALS_KB_MAX * ALS_KP],
				r[ALS_KB_MAX * ALS_KP],
				p[ALS_KB_MAX * ALS_KP],
				ap[ALS_KB_MAX * ALS_KP],
				acc[ALS_KP];
	float		pbuf[16 * ALS_KB_MAX] __attribute__((aligned(64)));
	float		rs,
				rsnew;

	for (int j = 0; j < nb; j++)
		x[j] = K_LD(xrow + ALS_NL * j);

	/* r = b - A x */
	K(GemvSym) (KB, G, xrow, r);
	for (int j = 0; j < nb; j++)
		r[j] = -(r[j] + lam * x[j]);
	K(SparseAcc) (KB, F, idx, wt, n, alpha, x, true, r);
	for (int h = 0; h < ALS_KP; h++)
		acc[h] = K_ZERO;
	for (int j = 0; j < nb; j++)
	{
		p[j] = r[j];
		acc[j % ALS_KP] += r[j] * r[j];
	}
	rs = K(KSum) (acc);

	for (int it = 0; it < steps; it++)
	{
		float		pap,
					a;

		if (rs < 1e-20f)
			break;
		for (int j = 0; j < nb; j++)
			K_ST(pbuf + ALS_NL * j, p[j]);
		K(GemvSym) (KB, G, pbuf, ap);
		for (int j = 0; j < nb; j++)
			ap[j] += lam * p[j];
		K(SparseAcc) (KB, F, idx, wt, n, alpha, p, false, ap);
		for (int h = 0; h < ALS_KP; h++)
			acc[h] = K_ZERO;
		for (int j = 0; j < nb; j++)
			acc[j % ALS_KP] += p[j] * ap[j];
		pap = K(KSum) (acc);
		if (!(pap > 0))
			break;
		a = rs / pap;
		for (int h = 0; h < ALS_KP; h++)
			acc[h] = K_ZERO;
		for (int j = 0; j < nb; j++)
		{
			x[j] += a * p[j];
			r[j] -= a * ap[j];
			acc[j % ALS_KP] += r[j] * r[j];
		}
		rsnew = K(KSum) (acc);
		if (rsnew < 1e-20f)
			break;
		a = rsnew / rs;
		for (int j = 0; j < nb; j++)
			p[j] = r[j] + a * p[j];
		rs = rsnew;
	}
	for (int j = 0; j < nb; j++)
		K_ST(xrow + ALS_NL * j, x[j]);
}

/*
 * Loss terms of one row y against the other side F (Gram G):
 *   y^T G y + lam |y|^2 + sum_e [c_e (p_e - s_e)^2 - s_e^2],  s_e = f_e . y
 * (the first term is the sum of s^2 over every column, observed or not).
 */
ALS_INLINE double
K(RowLoss) (const int KB, const float *G, const float *F, const int32 *idx,
			const float *wt, int64 n, float alpha, float lam, const float *yrow)
{
	const int	kp = 16 * KB,
				nb = KB * ALS_KP;
	VN			y[ALS_KB_MAX * ALS_KP],
				gy[ALS_KB_MAX * ALS_KP],
				q[ALS_KP],
				nrm[ALS_KP];
	double		sum = 0;

	for (int h = 0; h < ALS_KP; h++)
		q[h] = nrm[h] = K_ZERO;
	for (int j = 0; j < nb; j++)
		y[j] = K_LD(yrow + ALS_NL * j);
	K(GemvSym) (KB, G, yrow, gy);
	for (int j = 0; j < nb; j++)
	{
		q[j % ALS_KP] += y[j] * gy[j];
		nrm[j % ALS_KP] += y[j] * y[j];
	}
	sum = (double) K(KSum) (q) + (double) lam * K(KSum) (nrm);
	for (int64 e = 0; e < n; e++)
	{
		const float *f = F + (Size) idx[e] * kp;
		VN			d[ALS_KP];
		double		s,
					c,
					pr;

		for (int h = 0; h < ALS_KP; h++)
			d[h] = K_ZERO;
		for (int j = 0; j < nb; j++)
			d[j % ALS_KP] += K_LD(f + ALS_NL * j) * y[j];
		s = K(KSum) (d);
		c = 1.0 + als_conf_m1(wt[e], alpha);
		pr = wt[e] > 0 ? 1.0 : 0.0;
		sum += c * (pr - s) * (pr - s) - s * s;
	}
	return sum;
}

/* P = sum of y y^T over rows [r0, r1) (full kp x kp, float, rank-4 steps). */
ALS_INLINE void
K(GramRows) (const int KB, const float *Y, int64 r0, int64 r1, float *P)
{
	const int	kp = 16 * KB,
				nb = KB * ALS_KP;
	int64		r = r0;

	memset(P, 0, sizeof(float) * kp * kp);
	for (; r + 4 <= r1; r += 4)
	{
		const float *y0 = Y + (Size) r * kp;
		const float *y1 = y0 + kp;
		const float *y2 = y1 + kp;
		const float *y3 = y2 + kp;
		VN			c0[ALS_KB_MAX * ALS_KP],
					c1[ALS_KB_MAX * ALS_KP],
					c2[ALS_KB_MAX * ALS_KP],
					c3[ALS_KB_MAX * ALS_KP];

		for (int j = 0; j < nb; j++)
		{
			c0[j] = K_LD(y0 + ALS_NL * j);
			c1[j] = K_LD(y1 + ALS_NL * j);
			c2[j] = K_LD(y2 + ALS_NL * j);
			c3[j] = K_LD(y3 + ALS_NL * j);
		}
		for (int l = 0; l < kp; l++)
		{
			VN			a0 = K_BC(y0[l]),
						a1 = K_BC(y1[l]),
						a2 = K_BC(y2[l]),
						a3 = K_BC(y3[l]);
			float	   *Pl = P + (Size) l * kp;

			for (int j = 0; j < nb; j++)
				K_ST(Pl + ALS_NL * j, K_LD(Pl + ALS_NL * j) + (a0 * c0[j] + a1 * c1[j]) + (a2 * c2[j] + a3 * c3[j]));
		}
	}
	for (; r < r1; r++)
	{
		const float *y0 = Y + (Size) r * kp;

		for (int l = 0; l < kp; l++)
		{
			VN			a0 = K_BC(y0[l]);
			float	   *Pl = P + (Size) l * kp;

			for (int j = 0; j < nb; j++)
				K_ST(Pl + ALS_NL * j, K_LD(Pl + ALS_NL * j) + a0 * K_LD(y0 + ALS_NL * j));
		}
	}
}

/* One block of GramPass: the block's Gram and sum of lam |row|^2. */
static void
K(GramTask) (void *arg, int64 t, int tid)
{
	Trainer    *tr = (Trainer *) arg;
	Side	   *sd = &tr->side[tr->s];
	int			kp = tr->kp;
	int64		r0 = GramBlockStart(sd->n, sd->ngram, t),
				r1 = GramBlockStart(sd->n, sd->ngram, t + 1);
	float	   *P = tr->gram_part + (Size) t * kp * kp;
	double		reg = 0;

	DISPATCH_KB(tr->KB, K(GramRows) (kb_, sd->F, r0, r1, P));
	for (int64 r = r0; r < r1; r++)
	{
		const float *row = sd->F + (Size) r * kp;
		float		nrm = 0;

		for (int j = 0; j < kp; j++)
			nrm += row[j] * row[j];
		reg += (double) RowLambda(tr, sd, r) * nrm;
	}
	sd->gram_reg[t] = reg;
}

/* One chunk of SolvePass: solve its rows and/or add their loss terms. */
static void
K(SolveTask) (void *arg, int64 t, int tid)
{
	Trainer    *tr = (Trainer *) arg;
	Side	   *sd = &tr->side[tr->s];
	Side	   *od = &tr->side[1 - tr->s];
	int			kp = tr->kp;
	double		loss = 0;
	double	   *work = tr->solve_work + (Size) tid * als_solve_work_doubles(tr->k);

	for (int32 r = sd->chunk[t]; r < sd->chunk[t + 1]; r++)
	{
		int64		b = sd->ptr[r];
		int64		n = sd->ptr[r + 1] - b;
		const int32 *idx = sd->idx + b;
		const float *wt = sd->w + b;
		float	   *row = sd->F + (Size) r * kp;
		float		lam = RowLambda(tr, sd, r);

		if (tr->mode != PASS_LOSS)
		{
			if (tr->p.solver == ALS_SOLVER_CHOLESKY)
			{
				if (als_solve_exact(tr->k, od->F, kp, od->Gd, kp, idx, wt, n,
									tr->alpha, lam, row, work) != 0)
				{
					/* lambda > 0 keeps A positive definite; keep old row */
				}
			}
			else
			{
				DISPATCH_KB(tr->KB, K(CgRow) (kb_, od->G, od->F, idx, wt, n, tr->alpha, lam,
											  tr->p.cg_steps, row));
			}
		}
		if (tr->mode != PASS_SOLVE)
		{
			DISPATCH_KB(tr->KB, loss += K(RowLoss) (kb_, od->G, od->F, idx, wt, n, tr->alpha, lam, row));
		}
	}
	sd->chunk_loss[t] = loss;
}

/* als_gram_padded's blocks (see there) */
static void
K(GramPadded) (int kp, const float *F, int32 n, float *scratch, double *Gd)
{
	Size		kk = (Size) kp * kp;
	int32		nb = GramBlocks(n);

	for (int32 b = 0; b < nb; b++)
	{
		int64		r0 = GramBlockStart(n, nb, b),
					r1 = GramBlockStart(n, nb, b + 1);

		DISPATCH_KB(kp / 16, K(GramRows) (kb_, F, r0, r1, scratch));
		for (Size i = 0; i < kk; i++)
			Gd[i] += scratch[i];
	}
}

/* als_solve_row's conjugate-gradient step */
static void
K(CgRowAny) (const AlsRowSolver *rs, const int32 *idx, const float *wt,
			 int64 n, float lam, float *row)
{
	DISPATCH_KB(rs->kp / 16, K(CgRow) (kb_, rs->G, rs->F, idx, wt, n, rs->alpha, lam,
									   rs->cg_steps, row));
}

#undef K
#undef ALS_KP
#undef VN
#undef VNU
#undef K_BC
#undef K_LD
#undef K_ST
#undef K_ZERO
