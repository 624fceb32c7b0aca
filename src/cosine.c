/*
 * cosine.c -- nfrec.cosine_sim for dense real[] and float8[] vectors.
 *
 * The math is in vecmath.c; this file checks the arrays and maps the
 * kernel's status to SQL: a zero vector gives NULL (similarity undefined),
 * NaN/Infinity is an error.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "pgutil.h"
#include "vecmath.h"

static Datum
CosineResult(FunctionCallInfo fcinfo, VecCosStatus st, double r)
{
	if (st == VEC_COS_NONFINITE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must not contain NaN or infinite values")));
	if (st == VEC_COS_ZERO)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(r);
}

static void
CheckSameDims(int na, int nb)
{
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", na, nb)));
}

PG_FUNCTION_INFO_V1(cosine_sim_float4);
Datum
cosine_sim_float4(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	void	   *pa,
			   *pb;
	int			na = nf_vector_array(a, FLOAT4OID, "vector", &pa);
	int			nb = nf_vector_array(b, FLOAT4OID, "vector", &pb);
	double		r = 0.0;
	VecCosStatus st;

	CheckSameDims(na, nb);
	st = vec_cosine_f4((const float *) pa, (const float *) pb, na, &r);
	return CosineResult(fcinfo, st, r);
}

PG_FUNCTION_INFO_V1(cosine_sim_float8);
Datum
cosine_sim_float8(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	void	   *pa,
			   *pb;
	int			na = nf_vector_array(a, FLOAT8OID, "vector", &pa);
	int			nb = nf_vector_array(b, FLOAT8OID, "vector", &pb);
	double		r = 0.0;
	VecCosStatus st;

	CheckSameDims(na, nb);
	st = vec_cosine_f8((const double *) pa, (const double *) pb, na, &r);
	return CosineResult(fcinfo, st, r);
}
