/*
 * nfrec.c -- module entry point.
 *
 * The library is loaded into a backend on first use.  OpenBLAS would start
 * one thread per core by default; a database backend must not compete with
 * its neighbours like that, so we pin BLAS to one thread at load time.
 * Training code that wants more cores runs its own worker threads.
 */
#include "postgres.h"

#include <cblas.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "model.h"				/* nf_model_init */
#include "model_events.h"		/* nf_events_init */
#include "model_neighbours.h"	/* nf_neighbours_init */
#include "titlemeta.h"			/* nf_titlemeta_init */

PG_MODULE_MAGIC;

/*
 * OpenBLAS' own API: its cblas.h declares it, but cblas.h may be another
 * implementation's (Debian's alternatives) while we link OpenBLAS.
 */
#ifndef OPENBLAS_VERSION
extern void openblas_set_num_threads(int num_threads);
extern int	openblas_get_num_threads(void);
extern char *openblas_get_corename(void);
extern char *openblas_get_config(void);
#endif

#if PG_VERSION_NUM < 160000
void		_PG_init(void);		/* fmgr.h declares it from 16 on */
#endif

void
_PG_init(void)
{
	openblas_set_num_threads(1);
	nf_model_init();
	nf_events_init();
	nf_neighbours_init();
	nf_titlemeta_init();
#if PG_VERSION_NUM >= 150000
	/* nfrec.* settings other than ours are typos: warn and remove them */
	MarkGUCPrefixReserved("nfrec");
#endif
}

/*
 * blas_info: which CPU kernels OpenBLAS picked in this backend.  Debian's
 * OpenBLAS 0.3.21 falls back to generic kernels on CPUs newer than itself
 * (see README, "OpenBLAS"); this is how a user checks.
 */
PG_FUNCTION_INFO_V1(blas_info);
Datum
blas_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = CStringGetTextDatum(openblas_get_corename());
	values[1] = CStringGetTextDatum(openblas_get_config());
	values[2] = Int32GetDatum(openblas_get_num_threads());
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
