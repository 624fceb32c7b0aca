/*
 * pgutil.c -- small helpers shared by the SQL glue files.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

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

/*
 * A one- or two-dimensional array of a fixed-width, pass-by-value-or-not
 * element type, copied from a plain C array; no elements gives the empty
 * array.  dims[] has ndim entries; lower bounds are 1.
 */
static ArrayType *
PlainArray(const void *v, Oid elemtype, Size elemsize, int ndim, const int *dims)
{
	ArrayType  *r;
	Size		nelems = 1,
				nbytes;

	for (int d = 0; d < ndim; d++)
		nelems *= (Size) dims[d];
	if (nelems == 0)
		return construct_empty_array(elemtype);
	nbytes = ARR_OVERHEAD_NONULLS(ndim) + elemsize * nelems;
	if (nbytes > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("array of %zu elements is too large", nelems)));
	r = (ArrayType *) palloc0(nbytes);
	SET_VARSIZE(r, nbytes);
	r->ndim = ndim;
	r->dataoffset = 0;
	r->elemtype = elemtype;
	for (int d = 0; d < ndim; d++)
	{
		ARR_DIMS(r)[d] = dims[d];
		ARR_LBOUND(r)[d] = 1;
	}
	memcpy(ARR_DATA_PTR(r), v, elemsize * nelems);
	return r;
}

ArrayType *
nf_float4_array(const float *v, int n)
{
	return PlainArray(v, FLOAT4OID, sizeof(float4), 1, &n);
}

ArrayType *
nf_float8_array(const double *v, int n)
{
	return PlainArray(v, FLOAT8OID, sizeof(float8), 1, &n);
}

ArrayType *
nf_int8_array(const int64 *v, int n)
{
	return PlainArray(v, INT8OID, sizeof(int64), 1, &n);
}

ArrayType *
nf_float4_matrix(const float *v, int rows, int cols)
{
	int			dims[2] = {rows, cols};

	return PlainArray(v, FLOAT4OID, sizeof(float4), 2, dims);
}

ArrayType *
nf_float8_matrix(const double *v, int rows, int cols)
{
	int			dims[2] = {rows, cols};

	return PlainArray(v, FLOAT8OID, sizeof(float8), 2, dims);
}

char *
nf_excerpt(const char *s, int len, int maxchars)
{
	int			keep = pg_mbcharcliplen(s, len, maxchars);

	if (keep >= len)
		return pnstrdup(s, len);
	return psprintf("%s...", pnstrdup(s, keep));
}
