/*
 * pgutil.c -- small helpers shared by the SQL glue files.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "pgutil.h"

int
nf_vector_array(ArrayType *a, Oid elemtype, const char *what, void **data)
{
	int			n;

	if (ARR_ELEMTYPE(a) != elemtype)
		elog(ERROR, "unexpected array element type %u", ARR_ELEMTYPE(a));
	if (ARR_NDIM(a) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("The array has %d dimensions.", ARR_NDIM(a))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain null elements", what)));
	n = ARR_DIMS(a)[0];
	*data = ARR_DATA_PTR(a);
	return n;
}

ArrayType *
nf_float4_array(const float *v, int n)
{
	ArrayType  *r;
	int			nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float4) * n;

	r = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(r, nbytes);
	r->ndim = 1;
	r->dataoffset = 0;
	r->elemtype = FLOAT4OID;
	ARR_DIMS(r)[0] = n;
	ARR_LBOUND(r)[0] = 1;
	memcpy(ARR_DATA_PTR(r), v, sizeof(float4) * n);
	return r;
}

ArrayType *
nf_float8_array(const double *v, int n)
{
	ArrayType  *r;
	int			nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float8) * n;

	r = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(r, nbytes);
	r->ndim = 1;
	r->dataoffset = 0;
	r->elemtype = FLOAT8OID;
	ARR_DIMS(r)[0] = n;
	ARR_LBOUND(r)[0] = 1;
	memcpy(ARR_DATA_PTR(r), v, sizeof(float8) * n);
	return r;
}
