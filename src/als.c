/*
 * als.c -- implicit-feedback ALS on plain arrays: canonicalization, the
 * training loop, the exact one-row solve, and a pthread pool.
 *
 * See als.h for the model.  How training is organised:
 *
 *  - Factors live in two buffers X (users) and Y (items) whose rows are
 *    padded to kp = factors rounded up to 16 floats (padding stays zero), so
 *    every row is a whole number of 64-byte vectors.
 *  - One half-step solves every row of one side against the other side's
 *    factors F and their Gram matrix G = F^T F.  For a row with observed
 *    columns e (weight w_e): A = G + sum_e (c_e - 1) f_e f_e^T + lambda I,
 *    b = sum_e c_e p_e f_e.  The CG solver never forms A: A v is G v (dense,
 *    k^2) plus a sparse gather over the row's events (4k per event), and it
 *    starts from the row's previous factors (Takacs et al. 2011, as in the
 *    `implicit` library).  The Cholesky solver forms A in double and solves
 *    exactly (als_solve_exact).
 *  - Rows are cut into chunks of roughly equal work; threads take chunks from
 *    an atomic counter.  A row's result does not depend on which thread
 *    solves it.  Gram matrices and the loss are summed per fixed block
 *    (blocks depend only on the data), then reduced in block order: the
 *    model is the same for any number of threads.
 *  - Hot loops use GCC vector extensions (als_kern.h), compiled with
 *    8-float vectors for AVX2+FMA and 16-float ones for AVX-512 and the
 *    baseline, picked at run time (KernelSet), the same bits on each CPU
 *    with FMA; kernels are specialised for kp = 16..128.
 */
#include "c.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "als.h"
#include "rng.h"

/* 64-byte vector values never cross a non-inlined call: no ABI concern. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define ALS_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define ALS_MULTI 1
#else
#define ALS_CLONES
#endif
#define ALS_INLINE static inline __attribute__((always_inline))

/* Work per solve chunk, in "event equivalents" (see ChunkCost). */
#define ALS_CHUNK_COST		16384
#define ALS_CHUNK_MAXROWS	2048
/* Gram/regularization partial sums: at most this many fixed blocks. */
#define ALS_GRAM_BLOCKS		32
#define ALS_INIT_SCALE		0.01f
/* Vectors of 16 floats per factor row, at most (factors <= 1024). */
#define ALS_KB_MAX			(ALS_MAX_FACTORS / 16)

/* ------------------------------------------------------------------ */
/* 16-float vectors                                                    */
/* ------------------------------------------------------------------ */

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4), may_alias));

/*
 * A splat is written as a constructor of equal elements: one broadcast on
 * every target, while "vector + scalar" of a 16-float vector on a target
 * without 16-float registers was built element by element in memory.
 */
ALS_INLINE v16
vbc(float s)
{
	return (v16) {s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s};
}

typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
typedef float v8u __attribute__((vector_size(32), aligned(4), may_alias));

/*
 * The low and high 8 lanes of a 16-float vector: macros, not functions,
 * so no 64-byte vector is ever passed by value.
 */
#define vlo8(v)		__builtin_shufflevector((v), (v), 0, 1, 2, 3, 4, 5, 6, 7)
#define vhi8(v)		__builtin_shufflevector((v), (v), 8, 9, 10, 11, 12, 13, 14, 15)

static double
NowSeconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline void
Poll(const AlsHooks *hooks)
{
	if (hooks && hooks->poll)
		hooks->poll(hooks->arg);
}

/* ------------------------------------------------------------------ */
/* Thread pool                                                         */
/* ------------------------------------------------------------------ */

typedef void (*AlsTaskFn) (void *arg, int64 task, int tid);

typedef struct PoolWorker
{
	struct AlsPool *pool;
	int			tid;
} PoolWorker;

struct AlsPool
{
	int			nthreads;		/* including the caller */
	int			nstarted;		/* worker threads running */
	pthread_t  *threads;
	PoolWorker *workers;
	pthread_mutex_t mu;
	pthread_cond_t cv_work;
	pthread_cond_t cv_done;
	uint64		generation;		/* bumped for each parallel run */
	bool		shutdown;
	int			active;			/* workers still in the current run */
	AlsTaskFn	fn;
	void	   *arg;
	int64		ntasks;
	_Atomic int64 next;			/* next task to hand out */
	_Atomic int stop;			/* stop handing out tasks */
};

static void
PoolRunTasks(AlsPool *pool, AlsTaskFn fn, void *arg, int64 ntasks, int tid)
{
	while (!atomic_load_explicit(&pool->stop, memory_order_relaxed))
	{
		int64		t = atomic_fetch_add(&pool->next, 1);

		if (t >= ntasks)
			break;
		fn(arg, t, tid);
	}
}

static void *
PoolWorkerMain(void *p)
{
	PoolWorker *w = (PoolWorker *) p;
	AlsPool    *pool = w->pool;
	uint64		seen = 0;

	for (;;)
	{
		AlsTaskFn	fn;
		void	   *arg;
		int64		ntasks;

		pthread_mutex_lock(&pool->mu);
		while (!pool->shutdown && pool->generation == seen)
			pthread_cond_wait(&pool->cv_work, &pool->mu);
		if (pool->shutdown)
		{
			pthread_mutex_unlock(&pool->mu);
			break;
		}
		seen = pool->generation;
		fn = pool->fn;
		arg = pool->arg;
		ntasks = pool->ntasks;
		pthread_mutex_unlock(&pool->mu);

		PoolRunTasks(pool, fn, arg, ntasks, w->tid);

		pthread_mutex_lock(&pool->mu);
		if (--pool->active == 0)
			pthread_cond_signal(&pool->cv_done);
		pthread_mutex_unlock(&pool->mu);
	}
	return NULL;
}

AlsPool *
als_pool_create(int nthreads)
{
	AlsPool    *pool;
	sigset_t	all,
				old;
	int			err = 0;

	if (nthreads < 1)
		nthreads = 1;
	pool = calloc(1, sizeof(AlsPool));
	if (pool == NULL)
		return NULL;
	pool->nthreads = nthreads;
	pool->threads = calloc(nthreads, sizeof(pthread_t));
	pool->workers = calloc(nthreads, sizeof(PoolWorker));
	if (pool->threads == NULL || pool->workers == NULL)
	{
		free(pool->threads);
		free(pool->workers);
		free(pool);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv_work, NULL);
	pthread_cond_init(&pool->cv_done, NULL);
	atomic_init(&pool->next, 0);
	atomic_init(&pool->stop, 0);

	/* Workers must never run the backend's signal handlers. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int t = 1; t < nthreads; t++)
	{
		pool->workers[t].pool = pool;
		pool->workers[t].tid = t;
		err = pthread_create(&pool->threads[t], NULL, PoolWorkerMain, &pool->workers[t]);
		if (err != 0)
			break;
		pool->nstarted++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
	{
		als_pool_destroy(pool);
		errno = err;
		return NULL;
	}
	return pool;
}

void
als_pool_destroy(AlsPool *pool)
{
	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->shutdown = true;
	atomic_store(&pool->stop, 1);
	pthread_cond_broadcast(&pool->cv_work);
	pthread_mutex_unlock(&pool->mu);
	for (int t = 1; t <= pool->nstarted; t++)
		pthread_join(pool->threads[t], NULL);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->cv_work);
	pthread_cond_destroy(&pool->cv_done);
	free(pool->threads);
	free(pool->workers);
	free(pool);
}

int
als_pool_threads(const AlsPool *pool)
{
	return pool ? pool->nthreads : 1;
}

/*
 * Run fn(arg, t, tid) for t in [0, ntasks) on all threads.  The caller
 * takes tasks too and polls between them; it also polls while waiting for
 * the workers' last tasks.  Never polls with the mutex held.
 */
static void
PoolRun(AlsPool *pool, AlsTaskFn fn, void *arg, int64 ntasks, const AlsHooks *hooks)
{
	if (pool == NULL || pool->nthreads < 2 || ntasks < 2)
	{
		for (int64 t = 0; t < ntasks; t++)
		{
			Poll(hooks);
			fn(arg, t, 0);
		}
		return;
	}

	pthread_mutex_lock(&pool->mu);
	pool->fn = fn;
	pool->arg = arg;
	pool->ntasks = ntasks;
	atomic_store(&pool->next, 0);
	atomic_store(&pool->stop, 0);
	pool->active = pool->nstarted;
	pool->generation++;
	pthread_cond_broadcast(&pool->cv_work);
	pthread_mutex_unlock(&pool->mu);

	for (;;)
	{
		int64		t;

		Poll(hooks);
		t = atomic_fetch_add(&pool->next, 1);
		if (t >= ntasks)
			break;
		fn(arg, t, 0);
	}

	pthread_mutex_lock(&pool->mu);
	while (pool->active > 0)
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000L)
		{
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&pool->cv_done, &pool->mu, &ts) == ETIMEDOUT &&
			pool->active > 0)
		{
			pthread_mutex_unlock(&pool->mu);
			Poll(hooks);
			pthread_mutex_lock(&pool->mu);
		}
	}
	pthread_mutex_unlock(&pool->mu);
}

/* ------------------------------------------------------------------ */
/* Canonicalization                                                    */
/* ------------------------------------------------------------------ */

#define SIGN64 ((uint64) 1 << 63)

Size
als_canon_bytes_u64(int64 n)
{
	return sizeof(uint64) * ((Size) n + 1);
}

/*
 * LSD radix sort of (key, val) pairs, 8 bits per pass, skipping bytes on
 * which all keys agree.  Stable.  Returns which buffer holds the result.
 */
static int
RadixSort(int64 n, uint64 *k[2], uint32 *v[2], const AlsHooks *hooks)
{
	Size		hist[8][256];	/* 16 kB on the stack: poll may longjmp */
	int			cur = 0;

	memset(hist, 0, sizeof(hist));
	for (int64 i = 0; i < n; i++)
	{
		uint64		key = k[0][i];

		for (int b = 0; b < 8; b++)
			hist[b][(key >> (8 * b)) & 255]++;
	}
	for (int b = 0; b < 8; b++)
	{
		Size		off[256],
					sum = 0;
		const uint64 *ks = k[cur];
		const uint32 *vs = v[cur];
		uint64	   *kd = k[1 - cur];
		uint32	   *vd = v[1 - cur];

		if (hist[b][(ks[0] >> (8 * b)) & 255] == (Size) n)
			continue;
		for (int d = 0; d < 256; d++)
		{
			off[d] = sum;
			sum += hist[b][d];
		}
		Poll(hooks);
		for (int64 i = 0; i < n; i++)
		{
			Size		pos = off[(ks[i] >> (8 * b)) & 255]++;

			kd[pos] = ks[i];
			vd[pos] = vs[i];
		}
		cur = 1 - cur;
	}
	return cur;
}

int32
als_canon_ids(int64 n, const int64 *ids, AlsCanonWork *w, int32 *idx,
			  const int64 **sorted, const AlsHooks *hooks)
{
	uint64	   *k[2] = {w->key0, w->key1};
	uint32	   *v[2] = {w->val0, w->val1};
	uint64	   *ks;
	int			cur;
	int32		nd = 0;
	uint64		prev = 0;

	for (int64 i = 0; i < n; i++)
	{
		k[0][i] = (uint64) ids[i] ^ SIGN64;
		v[0][i] = (uint32) i;
	}
	cur = RadixSort(n, k, v, hooks);
	ks = k[cur];
	/* compact the distinct keys in place (nd <= i) */
	for (int64 i = 0; i < n; i++)
	{
		uint64		key = ks[i];

		if (i == 0 || key != prev)
			ks[nd++] = key;
		prev = key;
		idx[v[cur][i]] = nd - 1;
	}
	for (int32 j = 0; j < nd; j++)
		ks[j] ^= SIGN64;
	*sorted = (const int64 *) ks;
	return nd;
}

/*
 * Stable counting sort of the rows src[0..n) (src NULL: rows 0..n-1) by
 * key[row] in [0, nkeys) into dst; cnt has room for nkeys + 1 counters.
 */
static void
CountingSort(int64 n, const int32 *key, int32 nkeys, const int32 *src,
			 int32 *dst, int64 *cnt)
{
	memset(cnt, 0, sizeof(int64) * ((Size) nkeys + 1));
	for (int64 e = 0; e < n; e++)
		cnt[key[e] + 1]++;
	for (int32 i = 0; i < nkeys; i++)
		cnt[i + 1] += cnt[i];
	for (int64 t = 0; t < n; t++)
	{
		int32		e = src ? src[t] : (int32) t;

		dst[cnt[key[e]]++] = e;
	}
}

int64
als_canon_order(int64 n, const int32 *uidx, int32 nusers,
				const int32 *iidx, int32 nitems,
				AlsCanonWork *w, const AlsHooks *hooks)
{
	int64	   *cnt = (int64 *) w->key0;
	int32	   *tmp = (int32 *) w->val1;
	int64		nnz = 0;

	/* by item, then stably by user: order by (user, item) */
	CountingSort(n, iidx, nitems, NULL, tmp, cnt);
	Poll(hooks);
	CountingSort(n, uidx, nusers, tmp, w->order, cnt);
	Poll(hooks);

	for (int64 t = 0; t < n; t++)
	{
		int32		e = w->order[t];

		if (t == 0 || uidx[e] != uidx[w->order[t - 1]] ||
			iidx[e] != iidx[w->order[t - 1]])
			nnz++;
	}
	return nnz;
}

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
als_canon_build(const AlsRaw *raw, const int32 *uidx, const int32 *iidx,
				AlsCanonWork *w, int64 *user_ptr, int32 *ev_item,
				float *ev_weight, int64 *bad_row)
{
	int64		n = raw->n;
	double	   *dbuf = (double *) w->key1;
	int64		o = 0;
	int64		pos = 0;

	user_ptr[0] = 0;
	while (pos < n)
	{
		int32		e = w->order[pos];
		int32		u = uidx[e];
		int32		it = iidx[e];
		int64		end = pos + 1;
		double		s;

		while (end < n && uidx[w->order[end]] == u && iidx[w->order[end]] == it)
			end++;
		if (end - pos == 1)
			s = raw->weights[e];
		else
		{
			/* sum duplicates in ascending order of value: order-free */
			for (int64 t = pos; t < end; t++)
				dbuf[t - pos] = raw->weights[w->order[t]];
			qsort(dbuf, end - pos, sizeof(double), CmpDouble);
			s = 0;
			for (int64 t = 0; t < end - pos; t++)
				s += dbuf[t];
		}
		if (!isfinite(s) || fabs(s) > FLT_MAX)
		{
			*bad_row = e;
			return -1;
		}
		ev_item[o] = it;
		ev_weight[o] = (float) s;
		o++;
		user_ptr[u + 1] = o;
		pos = end;
	}
	return 0;
}

void
als_transpose(int32 nusers, int32 nitems, const int64 *user_ptr,
			  const int32 *ev_item, const float *ev_weight,
			  int64 *item_ptr, int32 *ev_user, float *ev_weight_t)
{
	int64		nnz = user_ptr[nusers];

	memset(item_ptr, 0, sizeof(int64) * ((Size) nitems + 1));
	for (int64 e = 0; e < nnz; e++)
		item_ptr[ev_item[e] + 1]++;
	for (int32 i = 0; i < nitems; i++)
		item_ptr[i + 1] += item_ptr[i];
	/* fill using item_ptr[i] as cursor, then shift back */
	for (int32 u = 0; u < nusers; u++)
		for (int64 e = user_ptr[u]; e < user_ptr[u + 1]; e++)
		{
			int64		p = item_ptr[ev_item[e]]++;

			ev_user[p] = u;
			ev_weight_t[p] = ev_weight[e];
		}
	for (int32 i = nitems; i > 0; i--)
		item_ptr[i] = item_ptr[i - 1];
	item_ptr[0] = 0;
}

/* ------------------------------------------------------------------ */
/* Exact one-row solve                                                 */
/* ------------------------------------------------------------------ */

/*
 * A += sum_q c_q y_q y_q^T (lower triangle) for ng <= 4 events, each
 * element updated event after event in their order: the same operations
 * as ng rank-1 updates, with the row of A loaded and stored once.
 */
ALS_INLINE void
RankUpdate(int k, double *A, const double *yg, const double *c, int ng)
{
	for (int l = 0; l < k; l++)
	{
		double	   *Al = A + (Size) l * k;

		if (ng == 4)
		{
			const double *y0 = yg,
					   *y1 = yg + k,
					   *y2 = yg + 2 * (Size) k,
					   *y3 = yg + 3 * (Size) k;
			double		s0 = c[0] * y0[l],
						s1 = c[1] * y1[l],
						s2 = c[2] * y2[l],
						s3 = c[3] * y3[l];

			for (int j = 0; j <= l; j++)
			{
				double		a = Al[j];

				a += s0 * y0[j];
				a += s1 * y1[j];
				a += s2 * y2[j];
				a += s3 * y3[j];
				Al[j] = a;
			}
		}
		else
			for (int q = 0; q < ng; q++)
			{
				const double *y = yg + (Size) q * k;
				double		s = c[q] * y[l];

				for (int j = 0; j <= l; j++)
					Al[j] += s * y[j];
			}
	}
}

ALS_CLONES
int
als_solve_exact(int k, const float *Y, Size ldy, const double *YtY, Size ldg,
				const int32 *items, const float *weights, int64 n,
				double alpha, double lambda, float *x, double *work)
{
	double	   *A = work;
	double	   *b = work + (Size) k * k;
	double	   *yg = b + k;		/* 4 x k: the events waiting for RankUpdate */
	double		cg[4];
	int			ng = 0;

	for (int l = 0; l < k; l++)
	{
		for (int j = 0; j <= l; j++)
			A[(Size) l * k + j] = YtY[(Size) l * ldg + j];
		A[(Size) l * k + l] += lambda;
		b[l] = 0;
	}
	for (int64 e = 0; e < n; e++)
	{
		const float *y = Y + (Size) items[e] * ldy;
		double		w = weights[e];
		double		cm1 = alpha * fabs(w);
		double		cp = w > 0 ? 1.0 + alpha * w : 0.0;
		double	   *yd = yg + (Size) ng * k;

		for (int j = 0; j < k; j++)
			yd[j] = y[j];
		if (cp != 0)
			for (int j = 0; j < k; j++)
				b[j] += cp * yd[j];
		/* A and b are separate sums: A's updates may wait for three more */
		if (cm1 != 0)
		{
			cg[ng++] = cm1;
			if (ng == 4)
			{
				RankUpdate(k, A, yg, cg, 4);
				ng = 0;
			}
		}
	}
	if (ng > 0)
		RankUpdate(k, A, yg, cg, ng);

	return als_solve_dense_chol(k, A, b, x);
}

ALS_CLONES
int
als_solve_dense_chol(int k, double *A, double *b, float *x)
{
	/* A = L L^T, L in the lower triangle */
	for (int j = 0; j < k; j++)
	{
		double	   *Aj = A + (Size) j * k;
		double		d = Aj[j];

#pragma omp simd reduction(-:d)
		for (int m = 0; m < j; m++)
			d -= Aj[m] * Aj[m];
		if (!(d > 0) || !isfinite(d))
			return -1;
		d = sqrt(d);
		Aj[j] = d;
		for (int i = j + 1; i < k; i++)
		{
			double	   *Ai = A + (Size) i * k;
			double		s = Ai[j];

#pragma omp simd reduction(-:s)
			for (int m = 0; m < j; m++)
				s -= Ai[m] * Aj[m];
			Ai[j] = s / d;
		}
	}
	/* L z = b, then L^T x = z */
	for (int i = 0; i < k; i++)
	{
		const double *Ai = A + (Size) i * k;
		double		s = b[i];

#pragma omp simd reduction(-:s)
		for (int m = 0; m < i; m++)
			s -= Ai[m] * b[m];
		b[i] = s / Ai[i];
	}
	for (int i = k - 1; i >= 0; i--)
	{
		double		s = b[i];

		for (int m = i + 1; m < k; m++)
			s -= A[(Size) m * k + i] * b[m];
		b[i] = s / A[(Size) i * k + i];
	}
	for (int j = 0; j < k; j++)
		x[j] = (float) b[j];
	return 0;
}

void
als_gram(int k, const float *Y, Size ldy, int64 n, double *G)
{
	memset(G, 0, sizeof(double) * k * k);
	for (int64 r = 0; r < n; r++)
	{
		const float *y = Y + (Size) r * ldy;

		for (int l = 0; l < k; l++)
		{
			double		s = y[l];

			for (int j = 0; j < k; j++)
				G[(Size) l * k + j] += s * y[j];
		}
	}
}

/* ------------------------------------------------------------------ */
/* Training kernels                                                    */
/* ------------------------------------------------------------------ */

/* Rows gathered ahead of use in the sparse loops (software prefetch). */
#ifndef ALS_PREFETCH
#define ALS_PREFETCH	8
#endif

ALS_INLINE void
PrefetchRow(const float *F, const int32 *idx, int64 e, int64 n, int kp)
{
	if (e < n)
	{
		const char *f = (const char *) (F + (Size) idx[e] * kp);

		for (int off = 0; off < kp * (int) sizeof(float); off += 64)
			__builtin_prefetch(f + off);
	}
}

/* ------------------------------------------------------------------ */
/* Training driver                                                     */
/* ------------------------------------------------------------------ */

typedef enum PassMode
{
	PASS_SOLVE,					/* solve rows */
	PASS_SOLVE_LOSS,			/* solve rows, then add their loss terms */
	PASS_LOSS					/* loss terms only */
} PassMode;

typedef struct Side
{
	int32		n;
	const int64 *ids;
	const int64 *ptr;
	const int32 *idx;
	const float *w;
	float	   *F;				/* this side's factors, n x kp */
	float	   *G;				/* Gram of F (float, kp x kp) */
	double	   *Gd;				/* Gram of F (double, kp x kp) */
	int32		nchunks;
	int32	   *chunk;			/* nchunks + 1 row bounds */
	double	   *chunk_loss;		/* per chunk */
	int32		ngram;			/* gram blocks */
	double	   *gram_reg;		/* per gram block: sum lam_row |row|^2 */
} Side;

/*
 * Everything the tasks read.  It lives in the caller's work buffer, never
 * on a stack: if the caller's poll longjmps away, workers finish their
 * current task reading it until als_pool_destroy joins them.
 */
typedef struct Trainer
{
	AlsParams	p;
	int			k,
				kp,
				KB;
	int			nthreads;
	float		alpha,
				lambda;
	Side		side[2];		/* 0 = users, 1 = items */
	float	   *gram_part;		/* ALS_GRAM_BLOCKS x kp x kp */
	double	   *solve_work;		/* nthreads x als_solve_work_doubles(k) */
	/* current pass */
	int			s;				/* side being solved / summed */
	PassMode	mode;
} Trainer;

static inline float
RowLambda(const Trainer *tr, const Side *sd, int32 row)
{
	if (tr->p.frequency_scaling)
		return tr->lambda * (float) (sd->ptr[row + 1] - sd->ptr[row]);
	return tr->lambda;
}

static inline int64
ChunkCost(int64 nnz, int kp)
{
	return nnz + kp / 2 + 8;
}

/* Cut rows into chunks of about ALS_CHUNK_COST; returns the count. */
static int32
MakeChunks(const int64 *ptr, int32 n, int kp, int32 *bounds)
{
	int32		nc = 0;
	int64		cost = 0;
	int32		start = 0;

	if (bounds)
		bounds[0] = 0;
	for (int32 r = 0; r < n; r++)
	{
		cost += ChunkCost(ptr[r + 1] - ptr[r], kp);
		if (cost >= ALS_CHUNK_COST || r + 1 - start >= ALS_CHUNK_MAXROWS || r == n - 1)
		{
			nc++;
			if (bounds)
				bounds[nc] = r + 1;
			cost = 0;
			start = r + 1;
		}
	}
	return nc;
}

static int32
GramBlocks(int32 n)
{
	int32		b = (n + 255) / 256;

	return Max(1, Min(b, ALS_GRAM_BLOCKS));
}

static inline int64
GramBlockStart(int32 n, int32 nb, int32 b)
{
	return (int64) n * b / nb;
}


/* Initial factor j of id on side s: uniform [0, 0.01), from (seed, s, id). */
static void
InitTask(void *arg, int64 t, int tid)
{
	Trainer    *tr = (Trainer *) arg;
	Side	   *sd = &tr->side[tr->s];
	int32		nb = GramBlocks(sd->n);
	int64		r0 = GramBlockStart(sd->n, nb, t),
				r1 = GramBlockStart(sd->n, nb, t + 1);

	for (int64 r = r0; r < r1; r++)
		als_init_row(tr->p.seed, tr->s, sd->ids[r], tr->k, tr->kp,
					 sd->F + (Size) r * tr->kp);
}

void
als_init_row(int64 seed, int side, int64 id, int k, int kp, float *row)
{
	uint64		base = nf_mix64((uint64) seed ^ nf_mix64(side + 1));
	uint64		h = nf_mix64(base ^ (uint64) id);

	for (int j = 0; j < kp; j++)
	{
		if (j < k)
		{
			uint64		z = nf_mix64(h + (uint64) j);

			row[j] = (float) (z >> 40) * (1.0f / 16777216.0f) * ALS_INIT_SCALE;
		}
		else
			row[j] = 0;
	}
}

/* Call with kb_ a compile-time constant for kp = 16..128 (unrolled kernels). */
#define DISPATCH_KB(KB, CALL) \
	switch (KB) \
	{ \
		case 1: { const int kb_ = 1; CALL; } break; \
		case 2: { const int kb_ = 2; CALL; } break; \
		case 3: { const int kb_ = 3; CALL; } break; \
		case 4: { const int kb_ = 4; CALL; } break; \
		case 5: { const int kb_ = 5; CALL; } break; \
		case 6: { const int kb_ = 6; CALL; } break; \
		case 7: { const int kb_ = 7; CALL; } break; \
		case 8: { const int kb_ = 8; CALL; } break; \
		default: { const int kb_ = (KB); CALL; } break; \
	}

/*
 * The kernels (als_kern.h) once per vector width.  On x86-64 with GCC:
 * 16-float vectors for AVX-512 (x86-64-v4), 8-float ones for AVX2 + FMA
 * (x86-64-v3), and the baseline; picked once by the CPU (KernelSet).  The
 * widths compute the same bits (see als_kern.h).  Elsewhere, and under
 * AddressSanitizer, the baseline alone.
 */
#define ALS_NL 16
#define ALS_KSUF _def
#include "als_kern.h"
#undef ALS_NL
#undef ALS_KSUF

#ifdef ALS_MULTI
#pragma GCC push_options
#pragma GCC target("arch=x86-64-v4")
#define ALS_NL 16
#define ALS_KSUF _v4
#include "als_kern.h"
#undef ALS_NL
#undef ALS_KSUF
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("arch=x86-64-v3")
#define ALS_NL 8
#define ALS_KSUF _v3
#include "als_kern.h"
#undef ALS_NL
#undef ALS_KSUF
#pragma GCC pop_options
#endif

typedef struct AlsKernels
{
	AlsTaskFn	gram;
	AlsTaskFn	solve;
	void		(*gram_padded) (int kp, const float *F, int32 n, float *scratch, double *Gd);
	void		(*cg_row) (const AlsRowSolver *rs, const int32 *idx, const float *wt,
						   int64 n, float lam, float *row);
} AlsKernels;

static const AlsKernels *
KernelSet(void)
{
	static const AlsKernels def = {GramTask_def, SolveTask_def, GramPadded_def, CgRowAny_def};
#ifdef ALS_MULTI
	static const AlsKernels avx512 = {GramTask_v4, SolveTask_v4, GramPadded_v4, CgRowAny_v4};
	static const AlsKernels avx2 = {GramTask_v3, SolveTask_v3, GramPadded_v3, CgRowAny_v3};
	static const AlsKernels *chosen = NULL;	/* the backend thread's only */

	if (chosen == NULL)
	{
		__builtin_cpu_init();
		chosen = __builtin_cpu_supports("x86-64-v4") ? &avx512 :
			__builtin_cpu_supports("x86-64-v3") ? &avx2 : &def;
	}
	return chosen;
#else
	return &def;
#endif
}

/* Gram of side s: partial sums per block, reduced in block order. */
static void
GramPass(Trainer *tr, int s, AlsPool *pool, const AlsHooks *hooks)
{
	Side	   *sd = &tr->side[s];
	Size		kk = (Size) tr->kp * tr->kp;

	tr->s = s;
	PoolRun(pool, KernelSet()->gram, tr, sd->ngram, hooks);
	memset(sd->Gd, 0, sizeof(double) * kk);
	for (int32 b = 0; b < sd->ngram; b++)
	{
		const float *P = tr->gram_part + (Size) b * kk;

		for (Size i = 0; i < kk; i++)
			sd->Gd[i] += P[i];
	}
	for (Size i = 0; i < kk; i++)
		sd->G[i] = (float) sd->Gd[i];
}

static double
SolvePass(Trainer *tr, int s, PassMode mode, AlsPool *pool, const AlsHooks *hooks)
{
	Side	   *sd = &tr->side[s];
	double		loss = 0;

	tr->s = s;
	tr->mode = mode;
	PoolRun(pool, KernelSet()->solve, tr, sd->nchunks, hooks);
	if (mode != PASS_SOLVE)
		for (int32 c = 0; c < sd->nchunks; c++)
			loss += sd->chunk_loss[c];
	return loss;
}

static double
SumReg(const Side *sd)
{
	double		r = 0;

	for (int32 b = 0; b < sd->ngram; b++)
		r += sd->gram_reg[b];
	return r;
}

typedef struct WorkLayout
{
	Size		trainer,
				X,
				Y,
				G[2],
				Gd[2],
				chunk[2],
				chunk_loss[2],
				gram_reg[2],
				gram_part,
				solve_work,
				total;
} WorkLayout;

static void
Layout(const AlsData *d, const AlsParams *p, int nthreads, WorkLayout *L,
	   int32 *nchunks_u, int32 *nchunks_i)
{
	int			kp = (p->factors + 15) / 16 * 16;
	Size		kk = (Size) kp * kp;
	Size		off = 0;		/* from the 64-byte aligned base (see below) */
	int32		nc[2];

	nc[0] = MakeChunks(d->user_ptr, d->nusers, kp, NULL);
	nc[1] = MakeChunks(d->item_ptr, d->nitems, kp, NULL);
#define TAKE(field, bytes) do { L->field = off; off += ((Size) (bytes) + 63) & ~(Size) 63; } while (0)
	TAKE(trainer, sizeof(Trainer));
	TAKE(X, sizeof(float) * (Size) d->nusers * kp);
	TAKE(Y, sizeof(float) * (Size) d->nitems * kp);
	for (int s = 0; s < 2; s++)
	{
		TAKE(G[s], sizeof(float) * kk);
		TAKE(Gd[s], sizeof(double) * kk);
		TAKE(chunk[s], sizeof(int32) * ((Size) nc[s] + 1));
		TAKE(chunk_loss[s], sizeof(double) * (Size) nc[s]);
		TAKE(gram_reg[s], sizeof(double) * ALS_GRAM_BLOCKS);
	}
	TAKE(gram_part, sizeof(float) * kk * ALS_GRAM_BLOCKS);
	TAKE(solve_work, sizeof(double) * als_solve_work_doubles(p->factors) * (Size) Max(nthreads, 1));
#undef TAKE
	/*
	 * Offsets count from base = work rounded up to 64 bytes, which is up to
	 * 63 bytes past work: the buffer must hold that slack too.
	 */
	L->total = off + 63;
	*nchunks_u = nc[0];
	*nchunks_i = nc[1];
}

Size
als_train_work_size(const AlsData *d, const AlsParams *p, int nthreads)
{
	WorkLayout	L;
	int32		a,
				b;

	Layout(d, p, nthreads, &L, &a, &b);
	return L.total;
}

/* Nominal flops of one half-step solving n rows with nnz events. */
static double
SolveFlops(const AlsParams *p, double n, double nnz)
{
	double		k = p->factors;

	if (p->solver == ALS_SOLVER_CHOLESKY)
		return nnz * (k * k + 2 * k) + n * (k * k * k / 3 + 2 * k * k);
	return (p->cg_steps + 1) * (2 * k * k * n + 4 * k * nnz);
}

void
als_train(const AlsData *d, const AlsParams *p, AlsPool *pool,
		  const AlsHooks *hooks, void *work,
		  float *user_factors, float *item_factors, AlsResult *res)
{
	WorkLayout	L;
	Trainer    *tr;
	char	   *base = (char *) TYPEALIGN(64, (uintptr_t) work);
	double		t0 = NowSeconds();
	double		gflop = 0;
	double		k = p->factors;
	int32		nc[2];

	Layout(d, p, als_pool_threads(pool), &L, &nc[0], &nc[1]);
	tr = (Trainer *) (base + L.trainer);
	memset(tr, 0, sizeof(Trainer));
	tr->nthreads = als_pool_threads(pool);
	tr->p = *p;
	tr->k = p->factors;
	tr->kp = (p->factors + 15) / 16 * 16;
	tr->KB = tr->kp / 16;
	tr->alpha = (float) p->alpha;
	tr->lambda = (float) p->regularization;
	tr->gram_part = (float *) (base + L.gram_part);
	tr->solve_work = (double *) (base + L.solve_work);
	for (int s = 0; s < 2; s++)
	{
		Side	   *sd = &tr->side[s];

		sd->n = s == 0 ? d->nusers : d->nitems;
		sd->ids = s == 0 ? d->user_ids : d->item_ids;
		sd->ptr = s == 0 ? d->user_ptr : d->item_ptr;
		sd->idx = s == 0 ? d->user_items : d->item_users;
		sd->w = s == 0 ? d->user_w : d->item_w;
		sd->F = (float *) (base + (s == 0 ? L.X : L.Y));
		sd->G = (float *) (base + L.G[s]);
		sd->Gd = (double *) (base + L.Gd[s]);
		sd->nchunks = nc[s];
		sd->chunk = (int32 *) (base + L.chunk[s]);
		sd->chunk_loss = (double *) (base + L.chunk_loss[s]);
		sd->ngram = GramBlocks(sd->n);
		sd->gram_reg = (double *) (base + L.gram_reg[s]);
		MakeChunks(sd->ptr, sd->n, tr->kp, sd->chunk);
	}

	/* deterministic start: hash of (seed, side, id) */
	for (int s = 0; s < 2; s++)
	{
		tr->s = s;
		PoolRun(pool, InitTask, tr, GramBlocks(tr->side[s].n), hooks);
	}
	GramPass(tr, 1, pool, hooks);
	gflop += 2 * k * k * d->nitems * 1e-9;

	res->loss = NAN;
	res->iterations = p->iterations;
	if (p->iterations == 0)
	{
		GramPass(tr, 0, pool, hooks);
		res->loss = SolvePass(tr, 1, PASS_LOSS, pool, hooks) + SumReg(&tr->side[0]);
	}
	for (int it = 1; it <= p->iterations; it++)
	{
		bool		want_loss = it == p->iterations || (hooks && hooks->loss_every_iteration);
		double		loss = NAN;

		SolvePass(tr, 0, PASS_SOLVE, pool, hooks);
		GramPass(tr, 0, pool, hooks);
		loss = SolvePass(tr, 1, want_loss ? PASS_SOLVE_LOSS : PASS_SOLVE, pool, hooks);
		if (want_loss)
			loss += SumReg(&tr->side[0]);
		else
			loss = NAN;
		if (it < p->iterations)
			GramPass(tr, 1, pool, hooks);

		gflop += (SolveFlops(p, d->nusers, d->nnz) + SolveFlops(p, d->nitems, d->nnz) +
				  2 * k * k * (d->nusers + (it < p->iterations ? d->nitems : 0)) +
				  (want_loss ? 2 * k * d->nnz + 2 * k * k * d->nitems : 0)) * 1e-9;
		if (it == p->iterations)
			res->loss = loss;
		if (hooks && hooks->progress)
			hooks->progress(hooks->arg, it, loss, NowSeconds() - t0, gflop);
		Poll(hooks);
	}
	res->gflop = gflop;

	for (int32 r = 0; r < d->nusers; r++)
		memcpy(user_factors + (Size) r * tr->k, tr->side[0].F + (Size) r * tr->kp, sizeof(float) * tr->k);
	for (int32 r = 0; r < d->nitems; r++)
		memcpy(item_factors + (Size) r * tr->k, tr->side[1].F + (Size) r * tr->kp, sizeof(float) * tr->k);
}

/* ------------------------------------------------------------------ */
/* One row at a time (als.h): the distributed training's steps         */
/* ------------------------------------------------------------------ */

float
als_row_lambda(double regularization, bool frequency_scaling, int64 nevents)
{
	float		lambda = (float) regularization;

	/* as RowLambda: the float lambda times the row's event count, in float */
	return frequency_scaling ? lambda * (float) nevents : lambda;
}

Size
als_gram_scratch_floats(int kp)
{
	return (Size) kp * kp;
}

void
als_gram_padded(int kp, const float *F, int32 n, float *scratch, float *G, double *Gd)
{
	Size		kk = (Size) kp * kp;

	/* GramPass's blocks and order, on one thread: the same sums */
	memset(Gd, 0, sizeof(double) * kk);
	KernelSet()->gram_padded(kp, F, n, scratch, Gd);
	for (Size i = 0; i < kk; i++)
		G[i] = (float) Gd[i];
}

int
als_solve_row(const AlsRowSolver *rs, const int32 *idx, const float *wt,
			  int64 n, float lam, float *row, double *work)
{
	if (rs->solver == ALS_SOLVER_CHOLESKY)
		return als_solve_exact(rs->k, rs->F, rs->kp, rs->Gd, rs->kp, idx, wt, n,
							   rs->alpha, lam, row, work);
	KernelSet()->cg_row(rs, idx, wt, n, lam, row);
	return 0;
}

void
als_solve_dense_cg(int k, const double *A, const double *b, int steps,
				   float *x, double *work)
{
	double	   *xd = work,
			   *r = work + k,
			   *p = work + 2 * k,
			   *ap = work + 3 * k;
	double		rs = 0,
				rsnew;

	/* CgRow's iteration on an explicit matrix, in double */
	for (int j = 0; j < k; j++)
		xd[j] = x[j];
	for (int l = 0; l < k; l++)
	{
		double		s = b[l];

		for (int j = 0; j < k; j++)
			s -= A[(Size) l * k + j] * xd[j];
		r[l] = s;
		p[l] = s;
		rs += s * s;
	}
	for (int it = 0; it < steps; it++)
	{
		double		pap = 0,
					a;

		if (rs < 1e-20)
			break;
		for (int l = 0; l < k; l++)
		{
			double		s = 0;

			for (int j = 0; j < k; j++)
				s += A[(Size) l * k + j] * p[j];
			ap[l] = s;
			pap += p[l] * s;
		}
		if (!(pap > 0))
			break;
		a = rs / pap;
		rsnew = 0;
		for (int j = 0; j < k; j++)
		{
			xd[j] += a * p[j];
			r[j] -= a * ap[j];
			rsnew += r[j] * r[j];
		}
		if (rsnew < 1e-20)
			break;
		a = rsnew / rs;
		for (int j = 0; j < k; j++)
			p[j] = r[j] + a * p[j];
		rs = rsnew;
	}
	for (int j = 0; j < k; j++)
		x[j] = (float) xd[j];
}

/* ------------------------------------------------------------------ */
/* The objective, scalar (als.h)                                       */
/* ------------------------------------------------------------------ */

double
als_objective(int k, int32 nusers, int32 nitems, const float *X, const float *Y,
			  const int64 *user_ptr, const int32 *ev_item, const float *ev_weight,
			  int64 nevents, double alpha, double lambda, bool frequency_scaling,
			  double *work, const AlsHooks *hooks)
{
	double	   *G = work;
	double	   *item_events = work + (Size) k * k;
	double		loss = 0.0,
				reg = 0.0;

	memset(work, 0, sizeof(double) * als_objective_work_doubles(k, nitems));
	for (int64 e = 0; e < nevents; e++)
		item_events[ev_item[e]] += 1.0;

	for (int32 i = 0; i < nitems; i++)
	{
		const float *y = Y + (Size) i * k;
		double		sq = 0.0;

		for (int a = 0; a < k; a++)
		{
			sq += (double) y[a] * y[a];
			for (int b = 0; b < k; b++)
				G[a * k + b] += (double) y[a] * y[b];
		}
		reg += sq * (frequency_scaling ? item_events[i] : 1.0);
		if ((i & 1023) == 0 && hooks && hooks->poll)
			hooks->poll(hooks->arg);
	}
	for (int32 u = 0; u < nusers; u++)
	{
		const float *x = X + (Size) u * k;
		double		sq = 0.0;

		for (int a = 0; a < k; a++)
		{
			double		gx = 0.0;

			sq += (double) x[a] * x[a];
			for (int b = 0; b < k; b++)
				gx += G[a * k + b] * x[b];
			loss += x[a] * gx;
		}
		reg += sq * (frequency_scaling ? (double) (user_ptr[u + 1] - user_ptr[u]) : 1.0);
		for (int64 e = user_ptr[u]; e < user_ptr[u + 1]; e++)
		{
			double		s = 0.0,
						w = ev_weight[e],
						c = 1.0 + alpha * fabs(w),
						p = w > 0.0 ? 1.0 : 0.0;

			for (int a = 0; a < k; a++)
				s += (double) x[a] * Y[(Size) ev_item[e] * k + a];
			/* replace the unobserved term s^2 by c (p - s)^2 */
			loss += c * (p - s) * (p - s) - s * s;
		}
		if ((u & 1023) == 0 && hooks && hooks->poll)
			hooks->poll(hooks->arg);
	}
	return loss + lambda * reg;
}
